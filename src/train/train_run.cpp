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
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "data_checks.hpp"
#include "file_util.hpp"
#include "vitrum/core/blas_threads.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/script_path.hpp"
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

/// scripts/plot_training.py (or $VITRUM_TRAIN_PLOT_SCRIPT); empty when not found.
std::string plot_script() {
  return find_script("plot_training.py", "VITRUM_TRAIN_PLOT_SCRIPT");
}

/// The reference structures of every [data] file, their names for messages ("file, structure k
/// (line l)") and the potential's elements (sorted by atomic number).
struct Data {
  std::vector<Structure> all;
  std::vector<std::string> names;
  std::vector<std::string> elements;
  std::set<int> zset;
};

Data load_data(const TrainConfig& c) {
  Data d;
  for (const auto& f : c.files) {
    auto v = io::read_structures(f);
    if (v.empty()) fail("{}: no structures found", f);
    for (size_t k = 0; k < v.size(); ++k) {
      d.names.push_back(v[k].line > 0
                            ? fmt::format("{}, structure {} (line {})", f, k + 1, v[k].line)
                            : fmt::format("{}, structure {}", f, k + 1));
      d.all.push_back(std::move(v[k]));
    }
  }
  if (c.max_structures > 0 && static_cast<int>(d.all.size()) > c.max_structures) {
    d.all.resize(c.max_structures);
    d.names.resize(c.max_structures);
  }
  d.elements = c.elements;
  if (d.elements.empty()) {
    std::set<int> seen;
    for (const auto& s : d.all)
      for (int z : s.species) seen.insert(z);
    for (int z : seen)
      if (z >= 1 && z <= 118) d.elements.push_back(element_symbol(z));
  }
  for (const auto& e : d.elements) d.zset.insert(atomic_number(e));
  std::sort(d.elements.begin(), d.elements.end(), [](const std::string& a, const std::string& b) {
    return atomic_number(a) < atomic_number(b);
  });
  for (const auto& [sym, v] : c.atom_energy)
    if (d.zset.count(atomic_number(sym)) == 0)
      fail("{}: [potential] atom_energy names {}, which is not one of the elements", c.path, sym);
  return d;
}

/// test[k]: structure k is held out. By the files' set=train|test tags, or a seeded random
/// fraction.
std::vector<bool> split_train_test(const TrainConfig& c, const std::vector<Structure>& all) {
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
    Random rng(c.training.seed);
    rng.shuffle(perm);
    for (long q = 0; q < n_test; ++q) test[perm[q]] = true;
  }
  return test;
}

/// The symmetry-function lines: the config's, or generated for the elements.
std::vector<std::string> symmetry_function_lines(const TrainConfig& c,
                                                 const std::vector<std::string>& elements) {
  std::vector<std::string> lines = c.sf_lines;
  if (c.sf_lines.empty()) {
    SfSetSpec spec = c.sf;
    spec.elements = elements;
    for (const auto& sf : generate_symmetry_functions(spec)) lines.push_back(symfunction_line(sf));
  }
  return lines;
}

/// Statistics of the raw symmetry functions over all structures (as n2p2's nnp-scaling),
/// written to scaling.data. A function that never varies carries no information and cannot be
/// scaled: an error for explicit lines, dropped from generated ones. Returns the lines kept.
std::vector<std::string> scale_symmetry_functions(const TrainConfig& c, InputNnSpec raw_spec,
                                                  const std::vector<Structure>& all,
                                                  const std::function<void(std::string)>& say) {
  const std::string& dir = c.directory;
  const bool generated = c.sf_lines.empty();
  raw_spec.scaling = nnp::ScalingType::None;
  std::vector<std::string> lines = raw_spec.sf_lines;
  nnp::Potential pot0 = write_and_load(dir, raw_spec, c.path);
  std::vector<SfStatistics> stats = sf_statistics(pot0, all);
  const bool needs_range = c.scaling == nnp::ScalingType::Scale ||
                           c.scaling == nnp::ScalingType::ScaleCenter ||
                           c.scaling == nnp::ScalingType::ScaleSigma;
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
          first = fmt::format("'{}' is {} for every {} atom", file_lines[ln - 1], stats[e].gmin[s],
                              pot0.element(e).symbol);
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
    raw_spec.sf_lines = lines;
    pot0 = write_and_load(dir, raw_spec, c.path);
    stats = sf_statistics(pot0, all);
  }
  for (int e = 0; e < pot0.n_elements(); ++e)
    say(fmt::format("  {}: {} symmetry functions (cutoff {} {})\n", pot0.element(e).symbol,
                    pot0.element(e).sfs.size(), pot0.cutoff(), c.length_unit));
  write_scaling_data(dir + "/scaling.data", stats);
  return lines;
}

/// n2p2's normalization (nnp-norm) from the training structures.
struct Normalization {
  double mu = 0.0;       ///< mean energy per atom after the atom_energy offsets
  double sigma_e = 1.0;  ///< its sample standard deviation
  double sigma_f = 1.0;  ///< standard deviation of the force components
  long n_force = 0;      ///< force components seen
};

/// As n2p2's nnp-norm: conv_energy = 1/sigma_E, conv_length = sigma_F/sigma_E.
Normalization normalization(const TrainConfig& c, const std::vector<Structure>& all,
                            const std::vector<bool>& test, bool with_forces,
                            const std::function<void(std::string)>& say) {
  double mu = 0, var = 0, fsum = 0, f2 = 0;
  long nf = 0;
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
  Normalization n;
  n.mu = mu;
  n.n_force = nf;
  n.sigma_f = nf > 1 ? std::sqrt(f2 / (nf - 1)) : 1.0;
  if (!(n.sigma_f > 0)) n.sigma_f = 1.0;
  n.sigma_e = std::sqrt(var);
  if (!(n.sigma_e > 1e-12 * std::max(1.0, std::abs(mu)))) {
    n.sigma_e = nf > 0 ? n.sigma_f : 1.0;
    say(fmt::format("note: the training energies per atom do not vary; using sigma_E = {:.4g}\n",
                    n.sigma_e));
  }
  return n;
}

/// The optimizer's line of the log (and the Kalman filter's memory check).
void describe_optimizer(const TrainConfig& c, const Fitter& fitter,
                        const std::function<void(std::string)>& say) {
  const TrainSettings& ts = c.training;
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
}

/// The epochs: a log line each, the learning curve, checkpoints and the best weights written as
/// they come. Fills the report's epoch fields.
void train_epochs(const TrainConfig& c, Fitter& fitter, bool has_test, TrainReport& rep,
                  const std::function<void(std::string)>& say) {
  const TrainSettings& ts = c.training;
  const std::string& dir = c.directory;
  say(fmt::format("{:>6} {:>10} {:>13} {:>13} {:>13} {:>13} {:>8}\n", "epoch",
                  ts.optimizer == Optimizer::Kalman ? "eta" : "lr", "E_rmse_train", "E_rmse_test",
                  "F_rmse_train", "F_rmse_test", "s"));
  std::vector<EpochRecord> curve;
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
  const std::vector<EpochRecord> full = trainer.run(on_epoch);
  rep.epochs_run = full.back().epoch;
  rep.best_epoch = trainer.best_epoch();
  rep.initial = full.front();
  rep.best = full[rep.best_epoch];
  fitter.write_weights(dir);
  rep.structures_per_second =
      rep.train_seconds > 0 ? static_cast<double>(rep.n_train) * rep.epochs_run / rep.train_seconds
                            : 0;
}

/// The best model's predictions of the training and test structures.
struct Predictions {
  std::vector<int> train_list, test_list;
  std::vector<StructurePrediction> train, test;
};

Predictions predict_all(const TrainingSet& data, Fitter& fitter) {
  Predictions p;
  for (int k = 0; k < data.n_structures(); ++k)
    (data.structure(k).test ? p.test_list : p.train_list).push_back(k);
  fitter.loss(p.train_list, nullptr, &p.train);
  fitter.loss(p.test_list, nullptr, &p.test);
  return p;
}

/// energy_parity.csv and force_parity.csv (every stride-th atom, so that at most
/// parity_max_points force components per set are written).
void write_parity(const TrainConfig& c, const TrainingSet& data, const Predictions& p,
                  bool with_forces) {
  std::string ep = "set,structure,atoms,reference_per_atom,predicted_per_atom\n";
  std::string fp = "set,structure,atom,component,reference,predicted\n";
  for (int pass = 0; pass < 2; ++pass) {
    const auto& list = pass == 0 ? p.train_list : p.test_list;
    const auto& pred = pass == 0 ? p.train : p.test;
    const char* set = pass == 0 ? "train" : "test";
    long comps = 0;
    for (int k : list) comps += 3L * data.structure(k).n_atoms;
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
  write_file_atomic(c.directory + "/energy_parity.csv", ep);
  if (with_forces) write_file_atomic(c.directory + "/force_parity.csv", fp);
}

/// The written potential must predict what the trainer predicted: the first training and test
/// structures through nnp::Evaluator.
void check_written_potential(const TrainConfig& c, const TrainingSet& data,
                             const std::vector<Structure>& all, const Predictions& p,
                             TrainReport& rep, const std::function<void(std::string)>& say) {
  const nnp::Potential written = nnp::Potential::load_n2p2(c.directory);
  nnp::Evaluator ev(written, {});
  std::vector<int> check = {p.train_list.front()};
  if (!p.test_list.empty()) check.push_back(p.test_list.front());
  for (size_t q = 0; q < check.size(); ++q) {
    const int k = check[q];
    const auto r = ev.evaluate(all[k], data.structure(k).name);
    const auto& pred = q == 0 ? p.train[0] : p.test[0];
    const int n = data.structure(k).n_atoms;
    rep.check_energy = std::max(rep.check_energy, std::abs(r.energy - pred.energy) / n);
    for (int i = 0; i < n && !pred.forces.empty(); ++i)
      for (int x = 0; x < 3; ++x)
        rep.check_force = std::max(rep.check_force, std::abs(r.forces[i][x] - pred.forces[i][x]));
  }
  say(
      fmt::format("check: the written potential reproduces the trainer's predictions to {:.2e} "
                  "{}/atom and {:.2e} {}/{}\n",
                  rep.check_energy, c.energy_unit, rep.check_force, c.energy_unit, c.length_unit));
}

/// PNGs of the learning curve and parity data through scripts/plot_training.py.
void plot_training(const TrainConfig& c, const std::function<void(std::string)>& say) {
  const std::string script = plot_script();
  if (script.empty()) {
    say("note: PNG output skipped (scripts/plot_training.py not found; set "
        "VITRUM_TRAIN_PLOT_SCRIPT)\n");
    return;
  }
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + c.directory + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    say(fmt::format("note: PNG output failed ({} {}); the CSV files are complete\n", script,
                    c.directory));
}

}  // namespace

TrainReport run_training(const TrainConfig& c, bool quiet) {
  const auto t_start = Clock::now();
  if (c.threads > 0) omp_set_num_threads(c.threads);
  single_threaded_blas();  // the trainer splits its GEMMs over OpenMP row blocks itself
  const std::function<void(std::string)> say = [&](const std::string& s) {
    if (!quiet) {
      std::fputs(s.c_str(), stdout);
      std::fflush(stdout);
    }
  };
  const TrainSettings& ts = c.training;
  const Data d = load_data(c);
  const bool with_forces = ts.force_weight > 0;
  detail::check_data(c, d.all, d.names, d.zset, with_forces);
  const std::vector<bool> test = split_train_test(c, d.all);
  long n_train = 0, n_test = 0;
  for (bool t : test) (t ? n_test : n_train)++;
  if (n_train == 0)
    fail("{}: no training structures (all {} are in the test set)", c.path, d.all.size());

  std::vector<std::string> lines = symmetry_function_lines(c, d.elements);
  const std::string& dir = c.directory;
  std::error_code ec;
  fs::create_directories(dir + "/checkpoint", ec);
  if (ec) fail("cannot create the output directory {}: {}", dir, ec.message());
  InputNnSpec spec = base_spec(c, d.elements, lines);
  say(fmt::format("vitrum train: {} structures ({} train, {} test) from {}; elements", d.all.size(),
                  n_train, n_test, fmt::join(c.files, ", ")));
  for (const auto& e : d.elements) say(" " + e);
  say(fmt::format("; {} threads, backend {}\n", omp_get_max_threads(),
                  to_string(c.training.backend)));
  require_backend(c.training.backend);  // before the symmetry functions, which take a while

  auto t0 = Clock::now();
  spec.sf_lines = scale_symmetry_functions(c, spec, d.all, say);
  const Normalization norm = normalization(c, d.all, test, with_forces, say);
  spec.normalized = c.normalize;
  if (c.normalize) {
    spec.mean_energy = norm.mu;
    spec.conv_energy = 1.0 / norm.sigma_e;
    spec.conv_length = norm.sigma_f / norm.sigma_e;
  }
  say(
      fmt::format("  data: mean energy {:.8g} {}/atom, sigma_E {:.4g} {}/atom, sigma_F {:.4g} "
                  "{}/{}; SF statistics {:.2f} s\n",
                  norm.mu, c.energy_unit, norm.sigma_e, c.energy_unit,
                  norm.n_force > 0 ? norm.sigma_f : 0.0, c.energy_unit, c.length_unit, since(t0)));

  // The potential to train and its data.
  nnp::Potential pot = write_and_load(dir, spec, c.path);
  t0 = Clock::now();
  const TrainingSet data(pot, d.all, d.names, test, with_forces, c.max_memory_gb * 1e9);
  say(fmt::format("  symmetry functions{} of {} atoms: {:.2f} s, {:.1f} MB\n",
                  with_forces ? " and derivatives" : "", data.n_atoms(), since(t0),
                  data.memory_bytes() / 1e6));
  Fitter fitter(pot, data, norm.sigma_e, norm.sigma_f, ts.energy_weight, ts.force_weight,
                ts.backend);
  fitter.initialize(ts.seed, c.normalize ? 0.0 : norm.mu);
  fitter.write_weights(dir);

  TrainReport rep;
  rep.directory = dir;
  rep.n_train = n_train;
  rep.n_test = n_test;
  rep.n_parameters = fitter.n_parameters();
  describe_optimizer(c, fitter, say);
  const bool has_test = n_test > 0;
  train_epochs(c, fitter, has_test, rep, say);

  const Predictions pred = predict_all(data, fitter);
  write_parity(c, data, pred, with_forces);
  check_written_potential(c, data, d.all, pred, rep, say);
  if (c.plots) plot_training(c, say);
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
