// The vitrum side of the LAMMPS plugin: loads an HDNNP or the teacher through vitrum_core and
// evaluates a LAMMPS rank's atoms (locals + ghosts, full neighbor list) with it.
#include "vitrum_bridge.hpp"

#include <algorithm>
#include <cmath>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/stated_units.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/potential.hpp"
#include "vitrum/teacher/math/born_dsf.hpp"
#include "vitrum/teacher/teacher.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

namespace vitrum::lammps_bridge {

namespace {

/// Atomic numbers of the types' elements; an unknown symbol is an error.
std::vector<int> type_numbers(const std::vector<std::string>& type_elements) {
  std::vector<int> z;
  for (size_t t = 0; t < type_elements.size(); ++t) {
    const int n = atomic_number(type_elements[t]);
    if (n == 0)
      fail("pair_coeff: '{}' (atom type {}) is not an element symbol", type_elements[t], t + 1);
    z.push_back(n);
  }
  return z;
}

class FfModel : public Model {
 public:
  FfModel(std::vector<int> type_z, std::vector<std::string> elements)
      : type_z_(std::move(type_z)), elements_(std::move(elements)) {}
  double cutoff() const override { return ff_->cutoff(); }
  double min_distance() const override { return ff_->min_distance(); }
  std::string describe() const override { return ff_->describe(); }
  std::vector<std::pair<std::string, double>> element_masses() const override {
    std::vector<std::pair<std::string, double>> m;
    for (const auto& e : elements_) m.emplace_back(e, standard_mass(atomic_number(e)));
    return m;
  }

  void compute(int nlocal, int nall, const double* x, const int* type,
               const std::vector<int>& offsets, const std::vector<int>& neighbors, double skin,
               std::uint64_t list_id, bool atom_virial, Output& out) override {
    shell_.n_local = nlocal;
    shell_.fold_ghosts = false;
    shell_.positions.resize(nall);
    shell_.species.resize(nall);
    shell_.owner.assign(nall, -1);
    shell_.shift.assign(nall, Vec3{0, 0, 0});
    for (int i = 0; i < nall; ++i) {
      shell_.positions[i] = Vec3{x[3 * i], x[3 * i + 1], x[3 * i + 2]};
      shell_.species[i] = type_z_[type[i] - 1];
    }
    for (int i = 0; i < nlocal; ++i) shell_.owner[i] = i;
    shell_.width = cutoff() + skin;
    if (list_id != list_.build_id) {  // LAMMPS rebuilt its list: copy it (else it is unchanged)
      list_.cutoff = cutoff();
      list_.skin = skin;
      list_.offsets = offsets;
      list_.neighbors = neighbors;
      list_.build_id = list_id;
    }
    md::ForceResult r;
    evaluate(atom_virial, r);
    out.energy = r.energy;
    out.forces.resize(3 * static_cast<size_t>(nlocal));
    for (int i = 0; i < nlocal; ++i)
      for (int c = 0; c < 3; ++c) out.forces[3 * i + c] = r.forces[i][c];
    out.ghost_forces.clear();
    if (!r.ghost_forces.empty()) {
      out.ghost_forces.resize(3 * r.ghost_forces.size());
      for (size_t g = 0; g < r.ghost_forces.size(); ++g)
        for (int c = 0; c < 3; ++c) out.ghost_forces[3 * g + c] = r.ghost_forces[g][c];
    }
    out.atom_energy.resize(nlocal);
    for (int i = 0; i < nlocal; ++i)
      out.atom_energy[i] = r.atom_energy[i] + offset_of_z(shell_.species[i]);
    const double(&w)[3][3] = r.virial;
    const double v[6] = {w[0][0], w[1][1], w[2][2], w[0][1], w[0][2], w[1][2]};
    std::copy(v, v + 6, out.virial);
    out.min_distance = r.min_distance;
    out.extrapolations = r.extrapolations;
    out.atom_virial.clear();
    if (atom_virial && !r.atom_virial.empty()) {
      out.atom_virial = std::move(r.atom_virial);  // from the evaluation itself
    } else if (atom_virial) {
      out.atom_virial.assign(6 * static_cast<size_t>(nall), 0.0);
      fill_atom_virial(out.atom_virial);
    }
  }

 protected:
  /// Energy, forces and virial of shell_ and list_ into r; with atom_virial the force field may
  /// fill r.atom_virial (6 per shell entry) too, else fill_atom_virial() is called afterwards.
  virtual void evaluate(bool /*atom_virial*/, md::ForceResult& r) {
    ff_->compute(shell_, list_, r);
  }
  /// Per-atom virials of the last compute() (shell_ and list_), 6 per shell entry (zeroed).
  virtual void fill_atom_virial(std::vector<double>& w) = 0;

  /// Energy added to an atom's network energy (mean + atom energy, LAMMPS units); 0 for the
  /// teacher, whose per-atom energies are complete.
  virtual double offset_of_z(int) const { return 0.0; }

  std::vector<int> type_z_;
  std::vector<std::string> elements_;
  std::unique_ptr<md::ForceField> ff_;  ///< the teacher's force field (the HDNNP: its evaluator)
  neighbor::GhostShell shell_;
  neighbor::NeighborList list_;
};

class NnpModel final : public FfModel {
 public:
  NnpModel(const std::string& dir, const std::vector<std::string>& type_elements, double cflength,
           double cfenergy, Backend backend, Precision precision)
      : FfModel(type_numbers(type_elements), {}), pot_(nnp::Potential::load_n2p2(dir)) {
    if (!(cflength > 0) || !(cfenergy > 0))
      fail("pair_style vitrum: cflength and cfenergy must be positive (got {}, {})", cflength,
           cfenergy);
    std::string known;
    for (const auto& e : pot_.elements()) {
      elements_.push_back(e.symbol);
      known += (known.empty() ? "" : ", ") + e.symbol;
    }
    for (size_t t = 0; t < type_z_.size(); ++t)
      if (pot_.element_index(type_z_[t]) < 0)
        fail("pair_coeff: element {} (atom type {}) is not in the potential {} (it has {})",
             type_elements[t], t + 1, dir, known);
    energy_unit_ = 1.0 / cfenergy;
    eval_ = std::make_unique<nnp::Evaluator>(
        pot_, nnp::EvalOptions{backend, precision, true, 1.0 / cflength, energy_unit_});
    const units::StatedUnits stated = units::read_stated_units(dir);
    stated_length_ = stated.angstrom;
    stated_energy_ = stated.ev;
  }
  double stated_length_angstrom() const override { return stated_length_; }
  double stated_energy_ev() const override { return stated_energy_; }
  double cutoff() const override { return eval_->cutoff(); }
  double min_distance() const override {
    const double d = pot_.min_distance() * eval_->options().length_unit;
    return d > 0 ? d : 1e-6 * cutoff();
  }
  std::string describe() const override {
    const nnp::EvalOptions& o = eval_->options();
    return fmt::format(
        "HDNNP {} ({} elements, cutoff {:.4g}, 1 potential length unit = {:.10g}, 1 potential "
        "energy unit = {:.10g} in LAMMPS units, backend {}, precision {})",
        pot_.directory(), pot_.n_elements(), cutoff(), o.length_unit, o.energy_unit,
        to_string(o.backend), to_string(o.precision));
  }

 private:
  /// The CPU backend's evaluator accumulates the per-atom virials in its gradient pass when asked
  /// (nnp::EvalResult::atom_virial: every pair term (r_j - r_i) (x) F_ij split half to i, half
  /// to j, ghosts' halves returned for LAMMPS's reverse communication), at no extra evaluation.
  void evaluate(bool atom_virial, md::ForceResult& r) override {
    eval_->compute(shell_, list_, r, atom_virial && eval_->has_atom_virial());
  }

  /// Backends without per-atom virials (CUDA): W = sum over pairs (i centre, j neighbor) of
  /// (r_j - r_i) (x) F_ij, F_ij = -dE_i/dr_j, from one extra evaluation of a shell in which each
  /// centre i has a private copy of each of its neighbors, so that the force the evaluator leaves
  /// on a copy is F_ij alone. Half of each pair term goes to i, half to j.
  void fill_atom_virial(std::vector<double>& w) override {
    const int n = shell_.n_local;
    const std::vector<int>& off = list_.offsets;
    const std::vector<int>& nb = list_.neighbors;
    const int entries = off[n];
    copies_.n_local = n;
    copies_.fold_ghosts = false;
    copies_.width = shell_.width;
    copies_.positions.assign(shell_.positions.begin(), shell_.positions.begin() + n);
    copies_.species.assign(shell_.species.begin(), shell_.species.begin() + n);
    for (int q = 0; q < entries; ++q) {
      copies_.positions.push_back(shell_.positions[nb[q]]);
      copies_.species.push_back(shell_.species[nb[q]]);
    }
    copies_.owner.assign(copies_.positions.size(), -1);
    for (int i = 0; i < n; ++i) copies_.owner[i] = i;
    copies_.shift.assign(copies_.positions.size(), Vec3{0, 0, 0});
    if (copies_list_.build_id != list_.build_id + kCopiesIdOffset) {
      copies_list_.cutoff = list_.cutoff;
      copies_list_.skin = list_.skin;
      copies_list_.offsets = off;
      copies_list_.neighbors.resize(entries);
      for (int q = 0; q < entries; ++q) copies_list_.neighbors[q] = n + q;
      copies_list_.build_id = list_.build_id + kCopiesIdOffset;
    }
    md::ForceResult r;
    eval_->compute(copies_, copies_list_, r);
    for (int i = 0; i < n; ++i) {
      const Vec3 ri = shell_.positions[i];
      for (int q = off[i]; q < off[i + 1]; ++q) {
        const int j = nb[q];
        const Vec3 d = shell_.positions[j] - ri, f = r.ghost_forces[q];
        const double t[6] = {d.x * f.x, d.y * f.y, d.z * f.z, d.x * f.y, d.x * f.z, d.y * f.z};
        for (int c = 0; c < 6; ++c) {
          w[6 * static_cast<size_t>(i) + c] += 0.5 * t[c];
          w[6 * static_cast<size_t>(j) + c] += 0.5 * t[c];
        }
      }
    }
  }

  /// build_id of the copies' list: apart from those of the lists LAMMPS hands over.
  static constexpr std::uint64_t kCopiesIdOffset = std::uint64_t{1} << 61;
  neighbor::GhostShell copies_;
  neighbor::NeighborList copies_list_;

  double offset_of_z(int z) const override {
    const double mean = pot_.normalized() ? pot_.mean_energy() : 0.0;
    return (mean + pot_.element(pot_.element_index(z)).atom_energy) * energy_unit_;
  }
  nnp::Potential pot_;
  std::unique_ptr<nnp::Evaluator> eval_;
  double energy_unit_ = 1.0, stated_length_ = 0.0, stated_energy_ = 0.0;
};

class TeacherModel final : public FfModel {
 public:
  TeacherModel(const std::string& path, const std::vector<std::string>& type_elements,
               Backend backend)
      : FfModel(type_numbers(type_elements), {}) {
    const teacher::TeacherParams params = teacher::read_teacher_params(path);
    elements_ = params.elements;
    std::string known;
    for (const auto& e : elements_) known += (known.empty() ? "" : ", ") + e;
    for (size_t t = 0; t < type_elements.size(); ++t)
      if (std::find(elements_.begin(), elements_.end(), element_symbol(type_z_[t])) ==
          elements_.end())
        fail("pair_coeff: element {} (atom type {}) is not in the teacher potential {} (it has {})",
             type_elements[t], t + 1, path, known);
    ff_ = teacher::make_teacher(params, backend);
    tables_ = teacher::compile_teacher_tables(params);
  }
  double stated_length_angstrom() const override { return 1.0; }
  double stated_energy_ev() const override { return 1.0; }

 private:
  /// Each pair's virial f d (x) d split half to each atom (LAMMPS's pair convention): a local's
  /// half of each of its pairs from its full list, with the teacher's own pair math
  /// (teacher::atom_terms); nothing lands on ghosts (their owners count their own halves).
  void fill_atom_virial(std::vector<double>& w) override {
    types_.resize(shell_.size());
    for (int k = 0; k < shell_.size(); ++k) types_[k] = tables_.type_of_z[shell_.species[k]];
    const teacher::TeacherView view = tables_.host_view();
    for (int i = 0; i < shell_.n_local; ++i) {
      const teacher::AtomTerms t =
          teacher::atom_terms(i, shell_.positions.data(), types_.data(), list_.neighbors.data(),
                              list_.offsets[i], list_.offsets[i + 1], view);
      for (int c = 0; c < 6; ++c) w[6 * static_cast<size_t>(i) + c] = t.virial[c];
    }
  }

  teacher::TeacherTables tables_;
  std::vector<int> types_;
};

}  // namespace

std::unique_ptr<Model> Model::load_nnp(const std::string& directory,
                                       const std::vector<std::string>& type_elements,
                                       double cflength, double cfenergy, const std::string& backend,
                                       const std::string& precision) {
  return std::make_unique<NnpModel>(directory, type_elements, cflength, cfenergy,
                                    parse_backend(backend), parse_precision(precision));
}

std::unique_ptr<Model> Model::load_teacher(const std::string& toml_path,
                                           const std::vector<std::string>& type_elements,
                                           const std::string& backend) {
  return std::make_unique<TeacherModel>(toml_path, type_elements, parse_backend(backend));
}

bool lammps_units(const std::string& style, double& angstrom, double& ev) {
  if (style == "metal") {
    angstrom = 1.0;
    ev = 1.0;
  } else if (style == "real") {
    angstrom = 1.0;
    ev = units::energy_in_ev("kcal/mol");
  } else if (style == "electron") {
    angstrom = units::length_in_angstrom("bohr");
    ev = units::energy_in_ev("Hartree");
  } else {
    return false;
  }
  return true;
}

}  // namespace vitrum::lammps_bridge
