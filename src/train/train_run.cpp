// `vitrum train`: data checks, symmetry functions and scaling, normalization, the training loop
// with its outputs (potential, checkpoints, learning curve, parity data, plots), and a final
// check that the written potential predicts what the trainer predicted.
#include <fmt/ranges.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "file_util.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/evaluator.hpp"
#include "vitrum/train/n2p2_writer.hpp"
#include "vitrum/train/train_config.hpp"

namespace vitrum::train {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// Checks every structure for what training needs; throws naming file, structure and atom.
void check_data(const TrainConfig& c, const std::vector<Structure>& all,
                const std::vector<std::string>& names, const std::set<int>& allowed_z,
                bool need_forces) {
  std::string known;
  for (int z : allowed_z) known += (known.empty() ? "" : ", ") + element_symbol(z);
  for (size_t k = 0; k < all.size(); ++k) {
    const Structure& s = all[k];
    const std::string& where = names[k];
    validate_structure(s, where);
    for (size_t i = 0; i < s.size(); ++i)
      if (allowed_z.count(s.species[i]) == 0)
        fail(
            "{}: atom {} is {}, which is not one of the potential's elements ({}); add it to "
            "[potential] elements or remove the structure",
            where, i + 1, element_symbol(s.species[i]), known);
    if (!s.has_energy)
      fail("{}: no reference energy (an `energy` line in input.data, energy= in extended XYZ)",
           where);
    if (!std::isfinite(s.energy))
      fail("{}: the reference energy is not finite ({})", where, s.energy);
    if (need_forces) {
      if (s.forces.empty())
        fail(
            "{}: no reference forces; training with forces needs them for every structure "
            "(set [training] force_weight = 0 to fit energies only)",
            where);
      bool all_zero = true;
      for (size_t i = 0; i < s.size(); ++i) {
        const Vec3& f = s.forces[i];
        if (!std::isfinite(f.x) || !std::isfinite(f.y) || !std::isfinite(f.z))
          fail("{}: atom {} ({}) has a non-finite reference force ({}, {}, {})", where, i + 1,
               element_symbol(s.species[i]), f.x, f.y, f.z);
        all_zero = all_zero && f.x == 0 && f.y == 0 && f.z == 0;
      }
      // n2p2 input.data always has force columns; all of them exactly 0 means "none".
      if (all_zero && s.size() > 1)
        fail(
            "{}: every reference force is exactly 0, i.e. the structure has no forces (input.data "
            "holds zeros where there are none); remove it, or set [training] force_weight = 0 to "
            "fit energies only",
            where);
    }
  }
  if (!c.check_units) return;
  // Unit tags in the comment (`energy_unit=eV length_unit=angstrom`, as vitrum run's training-set
  // frames carry them) must name the declared units.
  for (size_t k = 0; k < all.size(); ++k) {
    std::istringstream ss(all[k].comment);
    std::string tok;
    while (ss >> tok) {
      const bool energy = tok.rfind("energy_unit=", 0) == 0;
      const bool length = tok.rfind("length_unit=", 0) == 0;
      if (!energy && !length) continue;
      const std::string unit = tok.substr(12);
      const std::string& declared = energy ? c.energy_unit : c.length_unit;
      double factor = 0.0, want = 1.0;
      try {
        factor = energy ? units::energy_in_ev(unit) : units::length_in_angstrom(unit);
        want = energy ? units::energy_in_ev(declared) : units::length_in_angstrom(declared);
      } catch (const Error&) {
        factor = 0.0;  // an unknown unit name cannot match
      }
      if (std::abs(factor - want) > 1e-12 * want)
        fail(
            "{}: inconsistent units: the structure's comment says {} but [data] {} = \"{}\"; "
            "convert the data, or declare its unit (or set [data] check_units = false)",
            names[k], tok, energy ? "energy_unit" : "length_unit", declared);
    }
  }
  // Atoms too close: broken data, or positions in a smaller unit than declared.
  const double dmin = c.min_distance / units::length_in_angstrom(c.length_unit);
  if (dmin > 0) {
    for (size_t k = 0; k < all.size(); ++k) {
      const Structure& s = all[k];
      if (s.size() < 2 && !s.box.periodic) continue;
      const neighbor::GhostShell shell =
          neighbor::build_ghost_shell(s.box, s.positions, s.species, dmin);
      const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, dmin, 0.0);
      for (int i = 0; i < shell.n_local; ++i)
        for (int q = list.offsets[i]; q < list.offsets[i + 1]; ++q) {
          const int j = list.neighbors[q];
          const Vec3 d = shell.positions[j] - shell.positions[i];
          const double r = std::sqrt(dot(d, d));
          fail(
              "{}: atoms {} ({}) and {} ({}) are {:.4g} {} apart, closer than [data] "
              "min_distance = {} Å: broken data, or positions not in the declared length unit "
              "({})",
              names[k], i + 1, element_symbol(s.species[i]), shell.owner[j] + 1,
              element_symbol(s.species[shell.owner[j]]), r, c.length_unit, c.min_distance,
              c.length_unit);
        }
    }
  }
  // Energies: per-element least-squares fit E_s ~ sum_e n_se eps_e (refitted without the
  // structures far off the first fit). A structure far outside the others' spread is in another
  // unit (when a unit factor brings it back) or broken.
  if (c.energy_outlier > 0 && all.size() >= 8) {
    std::vector<int> zs(allowed_z.begin(), allowed_z.end());
    const int ne = static_cast<int>(zs.size());
    std::vector<std::vector<double>> n(all.size(), std::vector<double>(ne, 0.0));
    for (size_t k = 0; k < all.size(); ++k)
      for (int z : all[k].species)
        n[k][std::lower_bound(zs.begin(), zs.end(), z) - zs.begin()] += 1.0;
    auto fit = [&](const std::vector<bool>& use) {
      std::vector<double> ata(ne * ne, 0.0), eps(ne, 0.0);
      for (size_t k = 0; k < all.size(); ++k) {
        if (!use[k]) continue;
        for (int a = 0; a < ne; ++a) {
          eps[a] += n[k][a] * all[k].energy;
          for (int b = 0; b < ne; ++b) ata[a * ne + b] += n[k][a] * n[k][b];
        }
      }
      // Small ridge: one composition for all structures is rank deficient.
      double tr = 0;
      for (int a = 0; a < ne; ++a) tr += ata[a * ne + a];
      for (int a = 0; a < ne; ++a) ata[a * ne + a] += 1e-10 * tr / ne;
      for (int col = 0; col < ne; ++col) {  // Gaussian elimination, partial pivoting
        int piv = col;
        for (int r = col + 1; r < ne; ++r)
          if (std::abs(ata[r * ne + col]) > std::abs(ata[piv * ne + col])) piv = r;
        for (int x = 0; x < ne; ++x) std::swap(ata[col * ne + x], ata[piv * ne + x]);
        std::swap(eps[col], eps[piv]);
        for (int r = col + 1; r < ne; ++r) {
          const double f = ata[r * ne + col] / ata[col * ne + col];
          for (int x = col; x < ne; ++x) ata[r * ne + x] -= f * ata[col * ne + x];
          eps[r] -= f * eps[col];
        }
      }
      for (int r = ne - 1; r >= 0; --r) {
        for (int x = r + 1; x < ne; ++x) eps[r] -= ata[r * ne + x] * eps[x];
        eps[r] /= ata[r * ne + r];
      }
      return eps;
    };
    auto fitted = [&](const std::vector<double>& eps, size_t k) {
      double e = 0;
      for (int a = 0; a < ne; ++a) e += n[k][a] * eps[a];
      return e;
    };
    // Median and robust sigma (1.4826 MAD) of the residuals per atom of the structures in use.
    auto robust = [&](const std::vector<double>& res, const std::vector<bool>& use, double& med,
                      double& sigma) {
      std::vector<double> v;
      for (size_t k = 0; k < res.size(); ++k)
        if (use[k]) v.push_back(res[k]);
      std::sort(v.begin(), v.end());
      med = v[v.size() / 2];
      for (double& x : v) x = std::abs(x - med);
      std::sort(v.begin(), v.end());
      sigma = 1.4826 * v[v.size() / 2];
    };
    std::vector<bool> use(all.size(), true);
    std::vector<double> eps = fit(use), res(all.size());
    for (size_t k = 0; k < all.size(); ++k)
      res[k] = (all[k].energy - fitted(eps, k)) / static_cast<double>(all[k].size());
    double med, sigma;
    robust(res, use, med, sigma);
    for (size_t k = 0; k < all.size(); ++k) use[k] = !(std::abs(res[k] - med) > 10 * sigma);
    eps = fit(use);
    for (size_t k = 0; k < all.size(); ++k)
      res[k] = (all[k].energy - fitted(eps, k)) / static_cast<double>(all[k].size());
    robust(res, use, med, sigma);
    // Ratios between common energy units (the energy times f matches the others).
    static const std::pair<double, const char*> kFactors[] = {
        {units::kHartree, "eV per Hartree"},
        {1.0 / units::kHartree, "Hartree per eV"},
        {units::kRydberg, "eV per Rydberg"},
        {1.0 / units::kRydberg, "Rydberg per eV"},
        {2.0, "Rydberg per Hartree"},
        {0.5, "Hartree per Rydberg"},
        {units::kKcalPerMol, "eV per kcal/mol"},
        {1.0 / units::kKcalPerMol, "kcal/mol per eV"},
        {units::kKjPerMol, "eV per kJ/mol"},
        {1.0 / units::kKjPerMol, "kJ/mol per eV"}};
    if (sigma > 0)
      for (size_t k = 0; k < all.size(); ++k) {
        const double dev = std::abs(res[k] - med) / sigma;
        if (dev <= 10) continue;
        for (const auto& [f, name] : kFactors) {
          const double r =
              (all[k].energy * f - fitted(eps, k)) / static_cast<double>(all[k].size());
          if (std::abs(r - med) < 5 * sigma)
            fail(
                "{}: inconsistent energy units: the energy per atom departs from a per-element "
                "fit of the other structures by {:.4g} {}/atom ({:.0f} times their spread), "
                "but fits them when multiplied by {:.6g} ({}); convert it to {} like the rest "
                "(or set [data] check_units = false)",
                names[k], res[k] - med, c.energy_unit, dev, f, name, c.energy_unit);
        }
        if (dev > c.energy_outlier)
          fail(
              "{}: the energy per atom departs from a per-element fit of the data set by {:.4g} "
              "{}/atom, {:.0f} times the typical spread ({:.3g}): inconsistent energy units or "
              "a broken calculation; remove the structure, or set [data] energy_outlier = 0 / "
              "check_units = false to accept it",
              names[k], res[k] - med, c.energy_unit, dev, sigma);
      }
  }
}

/// Number of `symfunction_short` lines per element symbol.
std::map<std::string, int> sf_counts(const std::vector<std::string>& lines) {
  std::map<std::string, int> n;
  for (const auto& l : lines) {
    std::istringstream ss(l);
    std::string kw, el;
    ss >> kw >> el;
    ++n[el];
  }
  return n;
}

InputNnSpec base_spec(const TrainConfig& c, const std::vector<std::string>& elements,
                      const std::vector<std::string>& lines) {
  InputNnSpec s;
  s.elements = elements;
  s.atom_energy = c.atom_energy;
  s.cutoff_type = c.cutoff_type;
  s.cutoff_alpha = c.cutoff_alpha;
  s.scaling = c.scaling;
  s.scale_min = c.scale_min;
  s.scale_max = c.scale_max;
  s.normalize_nodes = c.normalize_nodes;
  s.hidden_nodes = c.hidden_nodes;
  s.activations =
      c.activation.size() == 1 ? std::string(c.hidden_nodes.size(), c.activation[0]) : c.activation;
  s.activations += c.output_activation;
  s.sf_lines = lines;
  s.comments = {"High-dimensional neural network potential (n2p2 format) trained by vitrum train",
                fmt::format("from {}", c.path),
                fmt::format("units of the training data: energy {}, length {}", c.energy_unit,
                            c.length_unit)};
  return s;
}

/// Writes input.nn and zero weights (so the directory loads) and loads the potential.
nnp::Potential write_and_load(const std::string& dir, const InputNnSpec& spec,
                              const std::string& config) {
  write_input_nn(dir + "/input.nn", spec);
  const auto counts = sf_counts(spec.sf_lines);
  for (const auto& el : spec.elements) {
    auto it = counts.find(el);
    if (it == counts.end()) fail("{}: element {} has no symmetry functions", config, el);
    std::vector<int> sizes = {it->second};
    sizes.insert(sizes.end(), spec.hidden_nodes.begin(), spec.hidden_nodes.end());
    sizes.push_back(1);
    size_t np = 0;
    for (size_t l = 1; l < sizes.size(); ++l)
      np += static_cast<size_t>(sizes[l - 1]) * sizes[l] + sizes[l];
    write_weights(weights_path(dir, atomic_number(el)), sizes, std::vector<double>(np, 0.0));
  }
  try {
    return nnp::Potential::load_n2p2(dir);
  } catch (const InputError& e) {
    throw Error(fmt::format("{} (symmetry functions and settings from {})", e.what(), config));
  }
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::string csv_num(double v) {
  return std::isfinite(v) ? fmt::format("{:.10g}", v) : "nan";
}

std::string curve_csv(const std::vector<EpochRecord>& curve, const TrainConfig& c, bool has_test) {
  std::string o = fmt::format(
      "# vitrum train learning curve ({}): loss = normalized training objective; RMSE of the "
      "energy per atom [{}/atom] and of the force components [{}/{}]{}\n"
      "epoch,learning_rate,loss_train,loss_test,rmse_energy_train,rmse_energy_test,"
      "rmse_force_train,rmse_force_test,seconds\n",
      c.path, c.energy_unit, c.energy_unit, c.length_unit,
      c.training.optimizer == Optimizer::Kalman ? "; learning_rate: the Kalman filter's eta" : "");
  const double nan = std::nan("");
  for (const auto& r : curve)
    o += fmt::format("{},{},{},{},{},{},{},{},{}\n", r.epoch, csv_num(r.learning_rate),
                     csv_num(r.train.loss()), csv_num(has_test ? r.test.loss() : nan),
                     csv_num(r.train.rmse_energy()), csv_num(has_test ? r.test.rmse_energy() : nan),
                     csv_num(r.train.n_force ? r.train.rmse_force() : nan),
                     csv_num(has_test && r.test.n_force ? r.test.rmse_force() : nan),
                     csv_num(r.seconds));
  return o;
}

/// scripts/plot_training.py above the executable (build dir in the repository) or
/// $VITRUM_TRAIN_PLOT_SCRIPT; empty when not found.
std::string plot_script() {
  if (const char* env = std::getenv("VITRUM_TRAIN_PLOT_SCRIPT")) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path()) {
    const fs::path s = d / "scripts" / "plot_training.py";
    if (fs::exists(s, ec)) return s.string();
  }
  return {};
}

}  // namespace

TrainReport run_training(const TrainConfig& c, bool quiet) {
  const auto t_start = Clock::now();
  if (c.threads > 0) omp_set_num_threads(c.threads);
  use_single_threaded_blas();
  auto say = [&](const std::string& s) {
    if (!quiet) {
      std::fputs(s.c_str(), stdout);
      std::fflush(stdout);
    }
  };
  const TrainSettings& ts = c.training;

  // ---- data
  std::vector<Structure> all;
  std::vector<std::string> names;
  for (const auto& f : c.files) {
    auto v = io::read_structures(f);
    if (v.empty()) fail("{}: no structures found", f);
    for (size_t k = 0; k < v.size(); ++k) {
      names.push_back(v[k].line > 0 ? fmt::format("{}, structure {} (line {})", f, k + 1, v[k].line)
                                    : fmt::format("{}, structure {}", f, k + 1));
      all.push_back(std::move(v[k]));
    }
  }
  if (c.max_structures > 0 && static_cast<int>(all.size()) > c.max_structures) {
    all.resize(c.max_structures);
    names.resize(c.max_structures);
  }
  std::set<int> zset;
  std::vector<std::string> elements = c.elements;
  if (elements.empty()) {
    std::set<int> seen;
    for (const auto& s : all)
      for (int z : s.species) seen.insert(z);
    for (int z : seen)
      if (z >= 1 && z <= 118) elements.push_back(element_symbol(z));
  }
  for (const auto& e : elements) zset.insert(atomic_number(e));
  std::sort(elements.begin(), elements.end(), [](const std::string& a, const std::string& b) {
    return atomic_number(a) < atomic_number(b);
  });
  for (const auto& [sym, v] : c.atom_energy)
    if (zset.count(atomic_number(sym)) == 0)
      fail("{}: [potential] atom_energy names {}, which is not one of the elements", c.path, sym);
  const bool with_forces = ts.force_weight > 0;
  check_data(c, all, names, zset, with_forces);

  // ---- train/test split
  std::vector<bool> test(all.size(), false);
  bool tags = false;
  for (const auto& s : all) tags = tags || s.set == "train" || s.set == "test";
  if (c.split == "file" && !tags)
    fail("{}: [data] split = \"file\" but no structure has a set=train/test tag", c.path);
  if (c.split == "file" || (c.split == "auto" && tags)) {
    for (size_t k = 0; k < all.size(); ++k) test[k] = all[k].set == "test";
  } else {
    long n_test = std::lround(c.test_fraction * static_cast<double>(all.size()));
    if (c.test_fraction > 0 && n_test == 0 && all.size() >= 2) n_test = 1;
    std::vector<int> perm(all.size());
    for (size_t k = 0; k < perm.size(); ++k) perm[k] = static_cast<int>(k);
    Random rng(ts.seed);
    rng.shuffle(perm);
    for (long q = 0; q < n_test; ++q) test[perm[q]] = true;
  }
  long n_train = 0, n_test = 0;
  for (bool t : test) (t ? n_test : n_train)++;
  if (n_train == 0)
    fail("{}: no training structures (all {} are in the test set)", c.path, all.size());

  // ---- symmetry functions
  const bool generated = c.sf_lines.empty();
  std::vector<std::string> lines = c.sf_lines;
  if (generated) {
    SfSetSpec spec = c.sf;
    spec.elements = elements;
    for (const auto& sf : generate_symmetry_functions(spec)) lines.push_back(symfunction_line(sf));
  }
  const std::string dir = c.directory;
  std::error_code ec;
  fs::create_directories(dir + "/checkpoint", ec);
  if (ec) fail("cannot create the output directory {}: {}", dir, ec.message());
  InputNnSpec spec = base_spec(c, elements, lines);
  InputNnSpec raw_spec = spec;
  raw_spec.scaling = nnp::ScalingType::None;
  say(fmt::format("vitrum train: {} structures ({} train, {} test) from {}; elements", all.size(),
                  n_train, n_test, fmt::join(c.files, ", ")));
  for (const auto& e : elements) say(" " + e);
  say(fmt::format("; {} threads, backend {}\n", omp_get_max_threads(),
                  to_string(c.training.backend)));
  require_backend(c.training.backend);  // before the symmetry functions, which take a while

  // Statistics of the raw symmetry functions over all structures (as n2p2's nnp-scaling); a
  // function that never varies carries no information and cannot be scaled.
  auto t0 = Clock::now();
  nnp::Potential pot0 = write_and_load(dir, raw_spec, c.path);
  std::vector<SfStatistics> stats = sf_statistics(pot0, all);
  const bool needs_range = c.scaling == nnp::ScalingType::Scale ||
                           c.scaling == nnp::ScalingType::ScaleCenter ||
                           c.scaling == nnp::ScalingType::ScaleSigma;
  {
    const auto file_lines = read_lines(dir + "/input.nn");
    std::set<std::string> constant;
    std::string first;
    for (int e = 0; e < pot0.n_elements(); ++e) {
      if (stats[e].n_atoms == 0)
        fail("{}: element {} has no atoms in the data", c.path, pot0.element(e).symbol);
      for (size_t s = 0; s < stats[e].gmin.size(); ++s)
        if (needs_range && !(stats[e].gmax[s] > stats[e].gmin[s])) {
          const int ln = pot0.element(e).sfs[s].line;
          constant.insert(file_lines[ln - 1]);
          if (first.empty())
            first = fmt::format("'{}' is {} for every {} atom", file_lines[ln - 1],
                                stats[e].gmin[s], pot0.element(e).symbol);
        }
    }
    if (!constant.empty()) {
      if (!generated)
        fail(
            "{}: symmetry function {}: it carries no information and min/max scaling is "
            "undefined; remove it from [symmetry_functions] lines{}",
            c.path, first,
            constant.size() > 1 ? fmt::format(" ({} such functions)", constant.size()) : "");
      std::vector<std::string> kept;
      for (const auto& l : lines)
        if (constant.count(l) == 0) kept.push_back(l);
      say(
          fmt::format("note: dropped {} generated symmetry functions that are constant over the "
                      "data (e.g. {})\n",
                      lines.size() - kept.size(), first));
      lines = kept;
      spec.sf_lines = lines;
      raw_spec.sf_lines = lines;
      pot0 = write_and_load(dir, raw_spec, c.path);
      stats = sf_statistics(pot0, all);
    }
  }
  for (int e = 0; e < pot0.n_elements(); ++e)
    say(fmt::format("  {}: {} symmetry functions (cutoff {} {})\n", pot0.element(e).symbol,
                    pot0.element(e).sfs.size(), pot0.cutoff(), c.length_unit));
  write_scaling_data(dir + "/scaling.data", stats);

  // ---- normalization from the training structures
  // As n2p2's nnp-norm: mu = mean energy per atom (here after the atom_energy offsets),
  // sigma_E its sample standard deviation, sigma_F the standard deviation of the force
  // components; conv_energy = 1/sigma_E, conv_length = sigma_F/sigma_E.
  double mu = 0, var = 0, fsum = 0, f2 = 0;
  long nf = 0;
  {
    std::vector<double> rho;
    for (size_t k = 0; k < all.size(); ++k) {
      if (test[k]) continue;
      double off = 0;
      for (int z : all[k].species) {
        auto it = c.atom_energy.find(element_symbol(z));
        off += it == c.atom_energy.end() ? 0.0 : it->second;
      }
      rho.push_back((all[k].energy - off) / static_cast<double>(all[k].size()));
      if (with_forces)
        for (const auto& f : all[k].forces) {
          fsum += f.x + f.y + f.z;
          nf += 3;
        }
    }
    for (double r : rho) mu += r;
    mu /= static_cast<double>(rho.size());
    for (double r : rho) var += (r - mu) * (r - mu);
    var /= std::max<double>(1.0, static_cast<double>(rho.size()) - 1.0);
    const double fmean = nf > 0 ? fsum / nf : 0.0;
    for (size_t k = 0; k < all.size() && with_forces; ++k)
      if (!test[k])
        for (const auto& f : all[k].forces)
          f2 += (f.x - fmean) * (f.x - fmean) + (f.y - fmean) * (f.y - fmean) +
                (f.z - fmean) * (f.z - fmean);
  }
  double sigma_f = nf > 1 ? std::sqrt(f2 / (nf - 1)) : 1.0;
  if (!(sigma_f > 0)) sigma_f = 1.0;
  double sigma_e = std::sqrt(var);
  if (!(sigma_e > 1e-12 * std::max(1.0, std::abs(mu)))) {
    sigma_e = nf > 0 ? sigma_f : 1.0;
    say(fmt::format("note: the training energies per atom do not vary; using sigma_E = {:.4g}\n",
                    sigma_e));
  }
  spec.normalized = c.normalize;
  if (c.normalize) {
    spec.mean_energy = mu;
    spec.conv_energy = 1.0 / sigma_e;
    spec.conv_length = sigma_f / sigma_e;
  }
  say(
      fmt::format("  data: mean energy {:.8g} {}/atom, sigma_E {:.4g} {}/atom, sigma_F {:.4g} "
                  "{}/{}; SF statistics {:.2f} s\n",
                  mu, c.energy_unit, sigma_e, c.energy_unit, nf > 0 ? sigma_f : 0.0, c.energy_unit,
                  c.length_unit, since(t0)));

  // ---- the potential to train and its data
  nnp::Potential pot = write_and_load(dir, spec, c.path);
  t0 = Clock::now();
  const TrainingSet data(pot, all, names, test, with_forces, c.max_memory_gb * 1e9);
  say(fmt::format("  symmetry functions{} of {} atoms: {:.2f} s, {:.1f} MB\n",
                  with_forces ? " and derivatives" : "", data.n_atoms(), since(t0),
                  data.memory_bytes() / 1e6));
  Fitter fitter(pot, data, sigma_e, sigma_f, ts.energy_weight, ts.force_weight, ts.backend);
  fitter.initialize(ts.seed, c.normalize ? 0.0 : mu);
  fitter.write_weights(dir);

  // ---- training
  TrainReport rep;
  rep.directory = dir;
  rep.n_train = n_train;
  rep.n_test = n_test;
  rep.n_parameters = fitter.n_parameters();
  if (ts.optimizer == Optimizer::Kalman) {
    const auto blocks = Trainer::kalman_blocks(ts, fitter);
    const double p_bytes = KalmanFilter::memory_bytes(blocks);
    if (c.max_memory_gb > 0 && p_bytes > c.max_memory_gb * 1e9)
      fail(
          "{}: the Kalman filter's covariance matrix needs {:.2f} GB for {} weights, more than "
          "[training] max_memory_gb = {}: use smaller networks, fewer symmetry functions, "
          "[training.kalman] decoupling = \"element\", or raise the limit",
          c.path, p_bytes / 1e9, fitter.n_parameters(), c.max_memory_gb);
    const auto& k = ts.kalman;
    say(fmt::format(
        "  {} weights and biases; Kalman filter ({}, {}, P {:.0f} MB), {} epochs, {:.0f} updates "
        "per epoch (energy fraction {}, force fraction {}, {} force observation(s) per update)\n",
        fitter.n_parameters(), k.filter.fading_memory ? "fading memory" : "standard",
        k.decouple_elements ? "per element" : "global", p_bytes / 1e6, ts.epochs,
        Trainer::kalman_updates_per_epoch(ts, fitter), k.energy_fraction, k.force_fraction,
        k.force_batch));
  } else {
    say(fmt::format("  {} weights and biases; Adam, {} epochs, batches of {} structures\n",
                    fitter.n_parameters(), ts.epochs, ts.batch_size));
  }
  say(fmt::format("{:>6} {:>10} {:>13} {:>13} {:>13} {:>13} {:>8}\n", "epoch",
                  ts.optimizer == Optimizer::Kalman ? "eta" : "lr", "E_rmse_train", "E_rmse_test",
                  "F_rmse_train", "F_rmse_test", "s"));
  std::vector<EpochRecord> curve;
  const bool has_test = n_test > 0;
  Trainer trainer(fitter, ts);
  auto on_epoch = [&](const EpochRecord& r, bool improved) {
    curve.push_back(r);
    if (r.epoch > 0) rep.train_seconds += r.step_seconds;
    say(fmt::format("{:>6} {:>10.3e} {:>13.5e} {:>13.5e} {:>13.5e} {:>13.5e} {:>8.2f}{}\n", r.epoch,
                    r.learning_rate, r.train.rmse_energy(),
                    has_test ? r.test.rmse_energy() : std::nan(""), r.train.rmse_force(),
                    has_test ? r.test.rmse_force() : std::nan(""), r.seconds,
                    improved ? " *" : ""));
    write_file_atomic(dir + "/learning_curve.csv", curve_csv(curve, c, has_test));
    if (c.checkpoint_every > 0 && r.epoch > 0 && r.epoch % c.checkpoint_every == 0)
      fitter.write_weights(dir + "/checkpoint");
    if (improved) fitter.write_weights(dir);
  };
  curve = {};
  const std::vector<EpochRecord> full = trainer.run(on_epoch);
  rep.epochs_run = full.back().epoch;
  rep.best_epoch = trainer.best_epoch();
  rep.initial = full.front();
  rep.best = full[rep.best_epoch];
  fitter.write_weights(dir);
  rep.structures_per_second =
      rep.train_seconds > 0 ? static_cast<double>(n_train) * rep.epochs_run / rep.train_seconds : 0;

  // ---- parity data of the best model
  std::vector<int> train_list, test_list;
  for (int k = 0; k < data.n_structures(); ++k)
    (data.structure(k).test ? test_list : train_list).push_back(k);
  std::string ep = "set,structure,atoms,reference_per_atom,predicted_per_atom\n";
  std::string fp = "set,structure,atom,component,reference,predicted\n";
  std::vector<StructurePrediction> pred_train, pred_test;
  fitter.loss(train_list, nullptr, &pred_train);
  fitter.loss(test_list, nullptr, &pred_test);
  for (int pass = 0; pass < 2; ++pass) {
    const auto& list = pass == 0 ? train_list : test_list;
    const auto& pred = pass == 0 ? pred_train : pred_test;
    const char* set = pass == 0 ? "train" : "test";
    long comps = 0;
    for (int k : list) comps += 3L * data.structure(k).n_atoms;
    // Every stride-th atom, so that at most parity_max_points components are written.
    const long stride = c.parity_max_points >= 3
                            ? std::max(1L, (comps + c.parity_max_points - 1) / c.parity_max_points)
                            : 0;
    long atom_counter = 0;
    for (size_t q = 0; q < list.size(); ++q) {
      const auto& s = data.structure(list[q]);
      ep += fmt::format("{},{},{},{:.12g},{:.12g}\n", set, list[q] + 1, s.n_atoms,
                        s.energy / s.n_atoms, pred[q].energy / s.n_atoms);
      if (stride == 0 || pred[q].forces.empty()) continue;
      for (int i = 0; i < s.n_atoms; ++i, ++atom_counter) {
        if (atom_counter % stride != 0) continue;
        for (int x = 0; x < 3; ++x)
          fp += fmt::format("{},{},{},{},{:.10g},{:.10g}\n", set, list[q] + 1, i + 1, "xyz"[x],
                            s.forces[i][x], pred[q].forces[i][x]);
      }
    }
  }
  write_file_atomic(dir + "/energy_parity.csv", ep);
  if (with_forces) write_file_atomic(dir + "/force_parity.csv", fp);

  // ---- the written potential must predict what the trainer predicted
  {
    const nnp::Potential written = nnp::Potential::load_n2p2(dir);
    nnp::Evaluator ev(written, {});
    std::vector<int> check = {train_list.front()};
    if (!test_list.empty()) check.push_back(test_list.front());
    for (size_t q = 0; q < check.size(); ++q) {
      const int k = check[q];
      const auto r = ev.evaluate(all[k], data.structure(k).name);
      const auto& p = q == 0 ? pred_train[0] : pred_test[0];
      const int n = data.structure(k).n_atoms;
      rep.check_energy = std::max(rep.check_energy, std::abs(r.energy - p.energy) / n);
      for (int i = 0; i < n && !p.forces.empty(); ++i)
        for (int x = 0; x < 3; ++x)
          rep.check_force = std::max(rep.check_force, std::abs(r.forces[i][x] - p.forces[i][x]));
    }
    say(fmt::format(
        "check: the written potential reproduces the trainer's predictions to {:.2e} "
        "{}/atom and {:.2e} {}/{}\n",
        rep.check_energy, c.energy_unit, rep.check_force, c.energy_unit, c.length_unit));
  }

  // ---- plots
  if (c.plots) {
    const std::string script = plot_script();
    if (script.empty()) {
      say("note: PNG output skipped (scripts/plot_training.py not found; set "
          "VITRUM_TRAIN_PLOT_SCRIPT)\n");
    } else {
      const std::string cmd = "/usr/bin/python3 '" + script + "' '" + dir + "' >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0)
        say(fmt::format("note: PNG output failed ({} {}); the CSV files are complete\n", script,
                        dir));
    }
  }
  rep.seconds = since(t_start);
  say(fmt::format(
      "best epoch {} of {}: energy RMSE {:.4g} (train) {:.4g} (test) {}/atom, force RMSE {:.4g} "
      "(train) {:.4g} (test) {}/{}; {:.1f} structures/s; {:.1f} s in all\nwrote {}/input.nn, "
      "scaling.data, weights.NNN.data, learning_curve.csv, energy_parity.csv{}\n",
      rep.best_epoch, rep.epochs_run, rep.best.train.rmse_energy(),
      has_test ? rep.best.test.rmse_energy() : std::nan(""), c.energy_unit,
      rep.best.train.rmse_force(), has_test ? rep.best.test.rmse_force() : std::nan(""),
      c.energy_unit, c.length_unit, rep.structures_per_second, rep.seconds, dir,
      with_forces ? ", force_parity.csv" : ""));
  return rep;
}

}  // namespace vitrum::train
