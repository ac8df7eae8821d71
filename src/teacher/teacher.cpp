// The dispatch point of the teacher potential: the TOML parameter file, the compiled per-pair
// tables, the single backend switch, and the fixed-order reduction of per-atom terms (the same
// for both backends and any thread count).
#include "vitrum/teacher/teacher.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

namespace vitrum::teacher {

namespace {

// ---------------------------------------------------------------- TOML reading

void require(const TomlTable& t, const std::string& key, bool ok, const std::string& msg) {
  if (!ok) t.error_at(key.empty() ? nullptr : t.table().get(key), msg);
}

/// A required table of the parameter file.
TomlTable required_table(TomlTable& root, const char* name) {
  TomlTable t = root.child(name);
  if (!t.present())
    throw InputError(root.file(), 0, fmt::format("missing required table [{}]", name));
  return t;
}

void read_charges(TomlTable& ch, TeacherParams& p) {
  for (auto [kp, vp] : toml_in_file_order(ch.table())) {
    const std::string sym(kp->str());
    if (atomic_number(sym) == 0)
      throw InputError(ch.file(), static_cast<long>(kp->source().begin.line),
                       fmt::format("[charges] '{}' is not an element symbol", sym));
    p.elements.push_back(sym);
    p.charges.push_back(ch.number(sym, std::nullopt, "e"));
  }
  require(ch, "", !p.elements.empty(), "[charges] lists no element; expected e.g. Si = 2.4");
}

void read_coulomb(TomlTable& co, TeacherParams& p) {
  co.reject_unknown({"alpha", "cutoff", "coulomb_constant"});
  p.alpha = co.number("alpha", std::nullopt, "1/Å");
  require(co, "alpha", p.alpha >= 0, "[coulomb] alpha must be >= 0 (1/Å)");
  p.coulomb_cutoff = co.number("cutoff", std::nullopt, "Å");
  require(co, "cutoff", p.coulomb_cutoff > 0, "[coulomb] cutoff must be > 0 (Å)");
  p.coulomb_constant = co.positive("coulomb_constant", p.coulomb_constant, "eV Å / e²");
}

void read_wall(TomlTable& w, PairParams& pp) {
  const std::string ww = w.label();
  w.reject_unknown({"epsilon", "radius", "exponent"});
  pp.has_wall = true;
  pp.wall.epsilon = w.number("epsilon", std::nullopt, "eV");
  require(w, "epsilon", pp.wall.epsilon > 0, ww + " epsilon must be > 0 (eV)");
  pp.wall.radius = w.number("radius", std::nullopt, "Å");
  require(w, "radius", pp.wall.radius > 0, ww + " radius must be > 0 (Å)");
  pp.wall.exponent = static_cast<int>(w.integer("exponent", pp.wall.exponent, 1, 64));
}

/// One [pair.A-B] table; `key` is "A-B".
PairParams read_pair(TomlTable& t, const std::string& key, double default_cutoff) {
  const std::string where = t.label();
  t.reject_unknown({"A", "rho", "b", "C", "cutoff", "wall", "none"});
  PairParams pp;
  const std::size_t dash = key.find('-');
  pp.a = key.substr(0, dash);
  pp.b = key.substr(dash + 1);
  pp.A = t.number("A", std::nullopt, "eV");
  require(t, "A", pp.A >= 0, where + " A must be >= 0 (eV)");
  const bool has_rho = t.has("rho"), has_b = t.has("b");
  if (has_rho == has_b)
    t.error_at(nullptr,
               fmt::format("{} needs exactly one of 'rho' (Å) or 'b' = 1/rho (1/Å)", where));
  if (has_rho) {
    pp.rho = t.number("rho", std::nullopt, "Å");
    require(t, "rho", pp.rho > 0, where + " rho must be > 0 (Å)");
  } else {
    const double b = t.number("b", std::nullopt, "1/Å");
    require(t, "b", b > 0, where + " b must be > 0 (1/Å)");
    pp.rho = 1.0 / b;
  }
  pp.C = t.number("C", std::nullopt, "eV Å^6");
  require(t, "C", pp.C >= 0, where + " C must be >= 0 (eV Å^6)");
  pp.cutoff = default_cutoff;
  if (t.has("cutoff")) {
    pp.cutoff = t.number("cutoff", std::nullopt, "Å");
    require(t, "cutoff", pp.cutoff > 0, where + " cutoff must be > 0 (Å)");
  }
  TomlTable w = t.child("wall");
  if (w.present()) read_wall(w, pp);
  return pp;
}

/// Throws when `pp` names an element without a charge or repeats a pair listed before.
void check_new_pair(const TeacherParams& p, const PairParams& pp, const std::string& where,
                    long line) {
  for (const std::string& s : {pp.a, pp.b})
    if (std::find(p.elements.begin(), p.elements.end(), s) == p.elements.end())
      throw InputError(p.file, line,
                       fmt::format("{}: element '{}' has no entry in [charges]", where, s));
  auto same = [&](const std::string& a, const std::string& b) {
    return (a == pp.a && b == pp.b) || (a == pp.b && b == pp.a);
  };
  bool repeated = false;
  for (const PairParams& o : p.pairs) repeated = repeated || same(o.a, o.b);
  for (const auto& [a, b] : p.no_short_range) repeated = repeated || same(a, b);
  if (repeated)
    throw InputError(p.file, line,
                     fmt::format("{} repeats the pair {}-{} (A-B and B-A are the same pair)", where,
                                 pp.a, pp.b));
}

/// [pair.A-B] none = true: the pair has no short-range term (BKS Si-Si). Returns false for a
/// table with parameters.
bool read_no_term(TomlTable& t, const PairParams& pp, TeacherParams& p, long line) {
  if (!t.has("none")) return false;
  const std::string where = t.label();
  t.reject_unknown({"none"});
  const toml::node* none = t.table().get("none");
  if (!none->is_boolean() || !*none->value<bool>())
    t.error_at(none, fmt::format("{} none must be true (the pair has no short-range term); for "
                                 "a pair with one, drop 'none' and give A, b or rho, and C",
                                 where));
  check_new_pair(p, pp, where, line);
  p.no_short_range.emplace_back(pp.a, pp.b);
  return true;
}

/// Every pair of elements with a charge needs its [pair.A-B] table (parameters, or none = true):
/// a table deleted by mistake must not silently become a pair without short-range repulsion.
void check_pairs_covered(const TeacherParams& p, const toml::table& root) {
  auto covered = [&](const std::string& a, const std::string& b) {
    for (const PairParams& o : p.pairs)
      if ((o.a == a && o.b == b) || (o.a == b && o.b == a)) return true;
    for (const auto& [x, y] : p.no_short_range)
      if ((x == a && y == b) || (x == b && y == a)) return true;
    return false;
  };
  const toml::node* pairs = root.get("pair");
  const long line = pairs != nullptr ? static_cast<long>(pairs->source().begin.line) : 0;
  for (std::size_t e = 0; e < p.elements.size(); ++e)
    for (std::size_t f = e; f < p.elements.size(); ++f)
      if (!covered(p.elements[e], p.elements[f]))
        throw InputError(
            p.file, line,
            fmt::format("no [pair.{0}-{1}] table: {0} and {1} both have charges, so the pair "
                        "needs its short-range parameters (A, b or rho, C), or [pair.{0}-{1}] "
                        "none = true when it has no short-range term (Coulomb only)",
                        p.elements[e], p.elements[f]));
}

void read_pairs(TomlTable& pairs, TeacherParams& p) {
  const std::string& file = pairs.file();
  for (auto [kp, vp] : toml_in_file_order(pairs.table())) {
    const std::string key(kp->str());
    const long line = static_cast<long>(kp->source().begin.line);
    const std::size_t dash = key.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == key.size() ||
        key.find('-', dash + 1) != std::string::npos)
      throw InputError(file, line,
                       fmt::format("pair name '{}' must be two element symbols joined by '-', "
                                   "e.g. [pair.Si-O]",
                                   key));
    TomlTable t = pairs.child(key);
    PairParams names;
    names.a = key.substr(0, dash);
    names.b = key.substr(dash + 1);
    if (read_no_term(t, names, p, line)) continue;  // none = true: Coulomb only
    const PairParams pp = read_pair(t, key, p.short_range_cutoff);
    check_new_pair(p, pp, t.label(), line);
    p.pairs.push_back(pp);
  }
}

TeacherParams parse_table(const toml::table& root_table, const std::string& file) {
  TomlTable root(root_table, file, "");
  TeacherParams p;
  p.file = file;
  root.reject_unknown({"potential", "charges", "coulomb", "short_range", "pair"});
  TomlTable pot = root.child("potential");
  pot.reject_unknown({"name", "reference"});
  p.name = pot.string("name", "");
  p.reference = pot.string("reference", "");
  TomlTable ch = required_table(root, "charges");
  read_charges(ch, p);
  TomlTable co = required_table(root, "coulomb");
  read_coulomb(co, p);
  TomlTable sr = required_table(root, "short_range");
  sr.reject_unknown({"cutoff", "shift"});
  p.short_range_cutoff = sr.number("cutoff", std::nullopt, "Å");
  require(sr, "cutoff", p.short_range_cutoff > 0, "[short_range] cutoff must be > 0 (Å)");
  p.shift = sr.boolean("shift", false);
  TomlTable pairs = root.child("pair");
  if (pairs.present()) read_pairs(pairs, p);
  check_pairs_covered(p, root_table);
  p.validate();
  return p;
}

}  // namespace

// ---------------------------------------------------------------- compiled tables

TeacherTables compile_teacher_tables(const TeacherParams& p) {
  TeacherTables t;
  t.n_types = static_cast<int>(p.elements.size());
  t.type_of_z.assign(128, -1);
  for (int e = 0; e < t.n_types; ++e) t.type_of_z[atomic_number(p.elements[e])] = e;
  t.dsf = make_dsf_coeffs(p.alpha, p.coulomb_cutoff);
  t.pair.assign(static_cast<size_t>(t.n_types) * t.n_types, PairCoeffs{});
  t.self_energy.resize(t.n_types);
  const double k = p.coulomb_constant;
  for (int a = 0; a < t.n_types; ++a) {
    t.self_energy[a] = dsf_self_energy(t.dsf, k * p.charges[a] * p.charges[a]);
    for (int b = 0; b < t.n_types; ++b) {
      PairCoeffs& c = t.pair[a * t.n_types + b];
      c.qq = k * p.charges[a] * p.charges[b];
      c.cut2 = t.dsf.rc2;
    }
  }
  t.cutoff = p.coulomb_cutoff;
  for (const PairParams& pp : p.pairs) {
    const int a = t.type_of_z[atomic_number(pp.a)], b = t.type_of_z[atomic_number(pp.b)];
    PairCoeffs c = t.pair[a * t.n_types + b];
    c.A = pp.A;
    c.inv_rho = 1.0 / pp.rho;
    c.C = pp.C;
    c.rc_sr2 = pp.cutoff * pp.cutoff;
    c.offset =
        p.shift ? pp.A * std::exp(-pp.cutoff * c.inv_rho) - pp.C / std::pow(pp.cutoff, 6.0) : 0.0;
    double cut = std::max(p.coulomb_cutoff, pp.cutoff);
    if (pp.has_wall) {
      c.wall_eps = pp.wall.epsilon;
      c.wall_r = pp.wall.radius;
      c.wall_n = pp.wall.exponent;
      cut = std::max(cut, pp.wall.radius);
    }
    c.cut2 = cut * cut;
    t.cutoff = std::max(t.cutoff, cut);
    t.pair[a * t.n_types + b] = c;
    t.pair[b * t.n_types + a] = c;
  }
  return t;
}

// ---------------------------------------------------------------- the force field

namespace {

class TeacherForceField final : public md::ForceField {
 public:
  TeacherForceField(TeacherParams params, Backend backend)
      : params_(std::move(params)),
        tables_(compile_teacher_tables(params_)),
        backend_kind_(backend) {
    require_backend(backend);
    switch (backend) {
      case Backend::Cpu:
        backend_ = make_teacher_cpu_backend(tables_);
        break;
      case Backend::Cuda:
        backend_ = make_teacher_cuda_backend(tables_);
        break;
    }
  }

  double cutoff() const override { return tables_.cutoff; }
  // Nothing is left on ghosts: under domain decomposition (GhostShell::fold_ghosts false) each
  // local atom sums its own pairs with ghosts (half their energy and virial); serially the CPU
  // backend evaluates a pair with an image once and adds the image's force to its owner.
  bool has_ghost_forces() const override { return false; }
  // The CPU backend sums each pair once on a half list, in its vectorised loop.
  bool wants_half_list() const override { return backend_->half_list(); }

  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               md::ForceResult& out) override {
    set_types(shell, list);
    backend_->compute(shell, list, types_, terms_);
    reduce(shell, out);
  }

  bool device_resident() const override { return backend_kind_ == Backend::Cuda; }
  // The CUDA backend reads the positions from the device; the forces come back complete on the
  // host (nothing is left on ghosts), so `d_forces` is not written.
  void compute_device(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                      const Vec3* d_positions, Vec3*, md::ForceResult& out) override {
    if (!device_resident()) fail("{}: device-resident evaluation needs the CUDA backend", source());
    set_types(shell, list);
    backend_->compute_device(shell, list, types_, d_positions, terms_);
    reduce(shell, out);
  }

 private:
  /// Checks the list and fills types_ for every shell entry.
  void set_types(const neighbor::GhostShell& shell, const neighbor::NeighborList& list) {
    if (list.cutoff + list.skin < cutoff() * (1 - 1e-12))
      fail("neighbor list cutoff {} Å is shorter than the teacher potential's cutoff {} Å ({})",
           list.cutoff + list.skin, cutoff(), source());
    if (list.half && !backend_->half_list())
      fail("the {} backend of the teacher potential needs a full neighbor list ({})",
           to_string(backend_kind_), source());
    if (list.n_local() != shell.n_local)
      fail("neighbor list has {} atoms but the ghost shell {} local atoms", list.n_local(),
           shell.n_local);
    types_.resize(shell.size());
    for (int i = 0; i < shell.size(); ++i) {
      const int z = shell.species[i];
      const int t = (z > 0 && z < 128) ? tables_.type_of_z[z] : -1;
      if (t < 0) {
        std::string known;
        for (const auto& e : params_.elements) known += (known.empty() ? "" : ", ") + e;
        fail(
            "atom {} has atomic number {} ({}), an element the teacher potential {} has no "
            "charge for (it knows {})",
            i, z, (z >= 1 && z <= 118) ? element_symbol(z) : std::string("?"), source(), known);
      }
      types_[i] = t;
    }
  }

  /// Fixed-order reduction over atoms: identical for both backends and any thread count.
  void reduce(const neighbor::GhostShell& shell, md::ForceResult& out) const {
    const int n = shell.n_local;
    out.forces.resize(n);
    out.atom_energy.resize(n);
    double e = 0.0, w[6] = {0, 0, 0, 0, 0, 0}, min_r2 = INFINITY;
    for (int i = 0; i < n; ++i) {
      const AtomTerms& t = terms_[i];
      e += t.energy;
      out.atom_energy[i] = t.energy;
      out.forces[i] = t.force;
      for (int c = 0; c < 6; ++c) w[c] += t.virial[c];
      min_r2 = std::min(min_r2, t.min_r2);
    }
    out.energy = e;
    out.virial[0][0] = w[0];
    out.virial[1][1] = w[1];
    out.virial[2][2] = w[2];
    out.virial[0][1] = out.virial[1][0] = w[3];
    out.virial[0][2] = out.virial[2][0] = w[4];
    out.virial[1][2] = out.virial[2][1] = w[5];
    out.extrapolations = 0;
    out.min_distance = std::sqrt(min_r2);
  }

 public:
  std::string describe() const override {
    std::string walls;
    for (const auto& pp : params_.pairs)
      if (pp.has_wall) walls += (walls.empty() ? "" : ", ") + pp.a + "-" + pp.b;
    return fmt::format(
        "teacher {} ({}): Buckingham (cutoff {:.4g} Å{}) + DSF Coulomb (alpha {:.4g} 1/Å, cutoff "
        "{:.4g} Å){}, units Å/eV/e, backend {}",
        params_.name.empty() ? "potential" : params_.name, source(), params_.short_range_cutoff,
        params_.shift ? ", shifted" : "", params_.alpha, params_.coulomb_cutoff,
        walls.empty() ? "" : ", walls " + walls, to_string(backend_kind_));
  }

 private:
  std::string source() const { return params_.file.empty() ? "(built in code)" : params_.file; }

  TeacherParams params_;
  TeacherTables tables_;
  Backend backend_kind_;
  std::unique_ptr<TeacherBackend> backend_;
  std::vector<int> types_;
  std::vector<AtomTerms> terms_;
};

}  // namespace

double TeacherParams::cutoff() const {
  double c = coulomb_cutoff;
  for (const auto& pp : pairs) {
    c = std::max(c, pp.cutoff);
    if (pp.has_wall) c = std::max(c, pp.wall.radius);
  }
  return c;
}

void TeacherParams::validate() const {
  const std::string where = file.empty() ? "teacher parameters" : file;
  if (elements.empty()) fail("{}: no elements (the [charges] table is empty)", where);
  if (charges.size() != elements.size())
    fail("{}: {} charges for {} elements", where, charges.size(), elements.size());
  for (size_t e = 0; e < elements.size(); ++e) {
    if (atomic_number(elements[e]) == 0) fail("{}: '{}' is not an element", where, elements[e]);
    for (size_t f = 0; f < e; ++f)
      if (elements[f] == elements[e]) fail("{}: element {} listed twice", where, elements[e]);
    if (!std::isfinite(charges[e])) fail("{}: charge of {} is not finite", where, elements[e]);
  }
  if (!(alpha >= 0) || !std::isfinite(alpha)) fail("{}: DSF alpha must be >= 0 (1/Å)", where);
  if (!(coulomb_cutoff > 0) || !std::isfinite(coulomb_cutoff))
    fail("{}: Coulomb cutoff must be > 0 (Å)", where);
  if (!(coulomb_constant > 0)) fail("{}: Coulomb constant must be > 0 (eV Å / e²)", where);
  for (const auto& pp : pairs) {
    for (const std::string& s : {pp.a, pp.b})
      if (std::find(elements.begin(), elements.end(), s) == elements.end())
        fail("{}: pair {}-{}: element {} has no charge entry", where, pp.a, pp.b, s);
    if (!(pp.A >= 0) || !(pp.rho > 0) || !(pp.C >= 0) || !(pp.cutoff > 0))
      fail("{}: pair {}-{} needs A >= 0 eV, rho > 0 Å, C >= 0 eV Å^6, cutoff > 0 Å", where, pp.a,
           pp.b);
    if (pp.has_wall && (!(pp.wall.epsilon > 0) || !(pp.wall.radius > 0) || pp.wall.exponent < 1 ||
                        pp.wall.exponent > 64))
      fail("{}: pair {}-{} wall needs epsilon > 0 eV, radius > 0 Å, exponent 1..64", where, pp.a,
           pp.b);
  }
}

TeacherParams parse_teacher_params(std::string_view text, const std::string& file) {
  return parse_table(parse_toml(text, file), file);
}

TeacherParams read_teacher_params(const std::string& toml_path) {
  return parse_table(parse_toml_file(toml_path, "the teacher parameter file"), toml_path);
}

std::unique_ptr<md::ForceField> make_teacher(const TeacherParams& params, Backend backend) {
  params.validate();
  return std::make_unique<TeacherForceField>(params, backend);
}

std::unique_ptr<md::ForceField> load_teacher(const std::string& toml_path, Backend backend) {
  return make_teacher(read_teacher_params(toml_path), backend);
}

std::string lammps_pair_commands(const TeacherParams& p,
                                 const std::vector<std::string>& type_elements) {
  p.validate();
  const std::string where = p.file.empty() ? "teacher parameters" : p.file;
  auto charge_of = [&](const std::string& s) {
    for (size_t e = 0; e < p.elements.size(); ++e)
      if (p.elements[e] == s) return p.charges[e];
    fail("{}: LAMMPS type element {} has no charge entry", where, s);
  };
  for (const auto& pp : p.pairs)
    if (pp.has_wall)
      fail("{}: pair {}-{} has a repulsive wall, which LAMMPS's born/coul/dsf cannot express",
           where, pp.a, pp.b);
  std::ostringstream os;
  os << fmt::format("pair_style born/coul/dsf {} {} {}\n", p.alpha, p.short_range_cutoff,
                    p.coulomb_cutoff);
  const int nt = static_cast<int>(type_elements.size());
  for (int a = 0; a < nt; ++a) {
    for (int b = a; b < nt; ++b) {
      const PairParams* found = nullptr;
      for (const auto& pp : p.pairs)
        if ((pp.a == type_elements[a] && pp.b == type_elements[b]) ||
            (pp.b == type_elements[a] && pp.a == type_elements[b]))
          found = &pp;
      // pair_coeff I J A rho sigma C D cutoff (sigma = D = 0: the Buckingham form)
      if (found)
        os << fmt::format("pair_coeff {} {} {} {} 0 {} 0 {}\n", a + 1, b + 1, found->A, found->rho,
                          found->C, found->cutoff);
      else
        os << fmt::format("pair_coeff {} {} 0 1 0 0 0 {}\n", a + 1, b + 1, p.short_range_cutoff);
    }
  }
  os << "pair_modify shift " << (p.shift ? "yes" : "no") << "\n";
  for (int a = 0; a < nt; ++a)
    os << fmt::format("set type {} charge {}\n", a + 1, charge_of(type_elements[a]));
  return os.str();
}

}  // namespace vitrum::teacher
