// The `vitrum train` configuration: TOML with every key checked (type, range) and unknown keys
// rejected, naming the file, line and key.
#include "vitrum/train/train_config.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/toml.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/train/n2p2_writer.hpp"

namespace vitrum::train {

namespace {

using Table = TomlTable;

nnp::ScalingType scaling_of(const std::string& s) {
  if (s == "none") return nnp::ScalingType::None;
  if (s == "scale") return nnp::ScalingType::Scale;
  if (s == "center") return nnp::ScalingType::Center;
  if (s == "scale_center") return nnp::ScalingType::ScaleCenter;
  return nnp::ScalingType::ScaleSigma;
}

Schedule schedule_of(const std::string& s) {
  if (s == "constant") return Schedule::Constant;
  if (s == "exponential") return Schedule::Exponential;
  if (s == "cosine") return Schedule::Cosine;
  return Schedule::Plateau;
}

void read_grid(Table& t, GridMode& mode, int& n, double& r_lower, double& r_upper,
               const std::string& file) {
  mode = parse_grid_mode(t.choice("mode", mode == GridMode::Centered ? "centered" : "shifted",
                                  {"centered", "shifted"}),
                         file);
  n = static_cast<int>(t.integer("n", n, 0, 1000));
  r_lower = t.non_negative("r_lower", r_lower);
  r_upper = t.non_negative("r_upper", r_upper);
}

/// [data]: the files (relative to the config's directory), split, units and data checks.
void read_data(Table& d, TrainConfig& c, const std::string& path, const std::string& base_dir) {
  if (!d.present()) throw InputError(path, 0, "missing table [data] (file = \"input.data\")");
  for (const auto& f : d.strings("file")) {
    const std::filesystem::path p(f);
    c.files.push_back(
        p.is_absolute() || base_dir.empty() ? f : (std::filesystem::path(base_dir) / p).string());
  }
  if (c.files.empty()) d.error("file", "missing: expected file = \"input.data\" (or a list)");
  c.split = d.choice("split", c.split, {"auto", "file", "random"});
  c.test_fraction = d.number("test_fraction", c.test_fraction);
  if (!(c.test_fraction >= 0 && c.test_fraction < 1))
    d.error("test_fraction",
            fmt::format("expected 0 <= test_fraction < 1, got {}", c.test_fraction));
  c.max_structures = static_cast<int>(d.integer("max_structures", 0, 0, 1L << 30));
  c.energy_unit = d.string("energy_unit", c.energy_unit);
  c.length_unit = d.string("length_unit", c.length_unit);
  try {
    units::energy_in_ev(c.energy_unit);
  } catch (const Error& e) {
    d.error("energy_unit", e.what());
  }
  try {
    units::length_in_angstrom(c.length_unit);
  } catch (const Error& e) {
    d.error("length_unit", e.what());
  }
  c.check_units = d.boolean("check_units", c.check_units);
  c.min_distance = d.non_negative("min_distance", c.min_distance);
  c.energy_outlier = d.non_negative("energy_outlier", c.energy_outlier);
  d.check_unknown(
      "file, split, test_fraction, max_structures, energy_unit, length_unit, check_units, "
      "min_distance, energy_outlier");
}

/// [potential]: elements, offsets, networks, activations and scaling.
void read_potential(Table& p, TrainConfig& c) {
  c.elements = p.strings("elements");
  for (const auto& e : c.elements)
    if (atomic_number(e) == 0) p.error("elements", fmt::format("unknown element '{}'", e));
  c.atom_energy = p.number_table("atom_energy", std::map<std::string, double>{});
  c.normalize = p.boolean("normalize", c.normalize);
  c.cutoff_type = static_cast<int>(p.integer("cutoff_type", c.cutoff_type, 0, 8));
  c.cutoff_alpha = p.number("cutoff_alpha", c.cutoff_alpha);
  if (!(c.cutoff_alpha >= 0 && c.cutoff_alpha < 1))
    p.error("cutoff_alpha", "expected 0 <= cutoff_alpha < 1");
  c.hidden_nodes = p.integers("hidden_nodes", c.hidden_nodes, 1, 100000);
  if (c.hidden_nodes.empty()) p.error("hidden_nodes", "expected at least one hidden layer");
  c.activation = p.string("activation", c.activation);
  c.output_activation = p.string("output_activation", c.output_activation);
  for (const auto* key : {"activation", "output_activation"}) {
    const std::string& a = std::string(key) == "activation" ? c.activation : c.output_activation;
    if (a.size() != 1 && !(std::string(key) == "activation" && a.size() == c.hidden_nodes.size()))
      p.error(key,
              fmt::format("expected one n2p2 activation code (l t s p r g c S e h){}, got "
                          "\"{}\"",
                          std::string(key) == "activation" ? " or one per hidden layer" : "", a));
    for (char ch : a) {
      try {
        activation_from_code(ch);
      } catch (const Error& e) {
        p.error(key, e.what());
      }
    }
  }
  c.normalize_nodes = p.boolean("normalize_nodes", c.normalize_nodes);
  c.scaling = scaling_of(p.choice("scaling", "scale_center",
                                  {"none", "scale", "center", "scale_center", "scale_sigma"}));
  c.scale_min = p.number("scale_min", c.scale_min);
  c.scale_max = p.number("scale_max", c.scale_max);
  if (!(c.scale_max > c.scale_min)) p.error("scale_max", "expected scale_max > scale_min");
  p.check_unknown(
      "elements, atom_energy, normalize, cutoff_type, cutoff_alpha, hidden_nodes, activation, "
      "output_activation, normalize_nodes, scaling, scale_min, scale_max");
}

/// [symmetry_functions]: explicit lines, or the generation grids.
void read_symmetry_functions(Table& s, TrainConfig& c, const std::string& path) {
  c.sf.cutoff = s.positive("cutoff", c.sf.cutoff);
  for (auto l : s.strings("lines")) {
    // Accept "symfunction_short O 2 ..." and "O 2 ...".
    std::istringstream ss(l);
    std::string first;
    ss >> first;
    if (first != "symfunction_short" && first != "symfunction") l = "symfunction_short " + l;
    c.sf_lines.push_back(l);
  }
  {
    const toml::table* rt = s.subtable("radial");
    const toml::table* at = s.subtable("angular");
    if (!c.sf_lines.empty() && (rt != nullptr || at != nullptr))
      s.error("lines",
              "give either explicit lines or [symmetry_functions.radial]/[.angular] "
              "generation tables, not both");
    Table r(rt, path, "symmetry_functions.radial");
    read_grid(r, c.sf.radial.mode, c.sf.radial.n, c.sf.radial.r_lower, c.sf.radial.r_upper, path);
    r.check_unknown("mode, n, r_lower, r_upper");
    Table a(at, path, "symmetry_functions.angular");
    c.sf.angular.type = static_cast<int>(a.integer("type", c.sf.angular.type, 3, 9));
    if (c.sf.angular.type != 3 && c.sf.angular.type != 9)
      a.error("type", "expected 3 (narrow) or 9 (wide)");
    read_grid(a, c.sf.angular.mode, c.sf.angular.n, c.sf.angular.r_lower, c.sf.angular.r_upper,
              path);
    c.sf.angular.zetas = a.numbers("zetas", c.sf.angular.zetas);
    c.sf.angular.lambdas = a.numbers("lambdas", c.sf.angular.lambdas);
    a.check_unknown("type, mode, n, r_lower, r_upper, zetas, lambdas");
  }
  s.check_unknown("cutoff, lines, radial, angular");
}

/// [training.kalman]: n2p2's extended Kalman filter.
void read_kalman(Table& k, KalmanTrainSettings& ks) {
  auto& kf = ks.filter;
  kf.fading_memory = k.choice("type", "standard", {"standard", "fading_memory"}) == "fading_memory";
  kf.epsilon = k.positive("epsilon", kf.epsilon);
  kf.q0 = k.non_negative("q0", kf.q0);
  kf.qtau = k.non_negative("qtau", kf.qtau);
  kf.qmin = k.non_negative("qmin", kf.qmin);
  kf.eta0 = k.positive("eta0", kf.eta0);
  kf.etatau = k.non_negative("etatau", kf.etatau);
  kf.etamax = k.positive("etamax", kf.etamax);
  if (kf.etamax < kf.eta0) k.error("etamax", "expected etamax >= eta0");
  kf.lambda = k.positive("lambda", kf.lambda);
  if (kf.lambda > 1) k.error("lambda", "expected 0 < lambda <= 1");
  kf.nu = k.positive("nu", kf.nu);
  if (kf.nu > 1) k.error("nu", "expected 0 < nu <= 1");
  ks.decouple_elements = k.choice("decoupling", "global", {"global", "element"}) == "element";
  ks.energy_fraction = k.non_negative("energy_fraction", ks.energy_fraction);
  ks.force_fraction = k.non_negative("force_fraction", ks.force_fraction);
  if (ks.force_fraction > 1) k.error("force_fraction", "expected 0 <= force_fraction <= 1");
  ks.energy_threshold = k.non_negative("energy_threshold", ks.energy_threshold);
  ks.force_threshold = k.non_negative("force_threshold", ks.force_threshold);
  ks.threshold_trials =
      static_cast<int>(k.integer("threshold_trials", ks.threshold_trials, 1, 1000000));
  ks.force_batch = static_cast<int>(k.integer("force_batch", ks.force_batch, 1, 1024));
  k.check_unknown(
      "type, epsilon, q0, qtau, qmin, eta0, etatau, etamax, lambda, nu, decoupling, "
      "energy_fraction, force_fraction, energy_threshold, force_threshold, threshold_trials, "
      "force_batch");
}

/// [training]: optimizer, schedule, loss weights, stopping, resources.
void read_training(Table& t, TrainConfig& c, const std::string& path) {
  auto& ts = c.training;
  ts.epochs = static_cast<int>(t.integer("epochs", ts.epochs, 0, 100000000));
  ts.batch_size = static_cast<int>(t.integer("batch_size", ts.batch_size, 1, 1L << 30));
  ts.learning_rate = t.positive("learning_rate", ts.learning_rate);
  ts.learning_rate_final = t.positive("learning_rate_final", ts.learning_rate_final);
  ts.schedule = schedule_of(
      t.choice("schedule", "exponential", {"constant", "exponential", "cosine", "plateau"}));
  ts.plateau_patience =
      static_cast<int>(t.integer("plateau_patience", ts.plateau_patience, 1, 1L << 30));
  ts.plateau_factor = t.positive("plateau_factor", ts.plateau_factor);
  if (ts.plateau_factor >= 1) t.error("plateau_factor", "expected 0 < plateau_factor < 1");
  ts.energy_weight = t.non_negative("energy_weight", ts.energy_weight);
  ts.force_weight = t.non_negative("force_weight", ts.force_weight);
  if (ts.energy_weight == 0 && ts.force_weight == 0)
    t.error("force_weight", "energy_weight and force_weight are both 0: nothing to fit");
  ts.adam_beta1 = t.non_negative("adam_beta1", ts.adam_beta1);
  ts.adam_beta2 = t.non_negative("adam_beta2", ts.adam_beta2);
  if (ts.adam_beta1 >= 1 || ts.adam_beta2 >= 1)
    t.error("adam_beta1", "Adam's beta1 and beta2 must be in [0, 1)");
  ts.adam_epsilon = t.positive("adam_epsilon", ts.adam_epsilon);
  ts.weight_decay = t.non_negative("weight_decay", ts.weight_decay);
  ts.early_stopping_patience = static_cast<int>(
      t.integer("early_stopping_patience", ts.early_stopping_patience, 0, 1L << 30));
  ts.seed = static_cast<std::uint64_t>(t.integer("seed", 1, 0, INT64_MAX));
  ts.max_minutes = t.non_negative("max_minutes", ts.max_minutes);
  c.max_memory_gb = t.non_negative("max_memory_gb", c.max_memory_gb);
  c.threads = static_cast<int>(t.integer("threads", 0, 0, 4096));
  ts.backend = parse_backend(t.choice("backend", "cpu", {"cpu", "cuda"}));
  ts.optimizer = t.choice("optimizer", "adam", {"adam", "kalman"}) == "kalman" ? Optimizer::Kalman
                                                                               : Optimizer::Adam;
  const toml::table* kt = t.subtable("kalman");
  if (kt != nullptr && ts.optimizer != Optimizer::Kalman)
    t.error("kalman", "a [training.kalman] table needs optimizer = \"kalman\"");
  Table k(kt, path, "training.kalman");
  read_kalman(k, ts.kalman);
  t.check_unknown(
      "optimizer, kalman, epochs, batch_size, learning_rate, learning_rate_final, schedule, "
      "plateau_patience, plateau_factor, energy_weight, force_weight, adam_beta1, adam_beta2, "
      "adam_epsilon, weight_decay, early_stopping_patience, max_minutes, seed, max_memory_gb, "
      "threads, backend");
}

/// [output]: directory, checkpoints, plots, parity data.
void read_output(Table& o, TrainConfig& c) {
  c.directory = o.string("directory", c.directory);
  if (c.directory.empty()) o.error("directory", "must not be empty");
  c.checkpoint_every =
      static_cast<int>(o.integer("checkpoint_every", c.checkpoint_every, 0, 1L << 30));
  c.plots = o.boolean("plots", c.plots);
  c.parity_max_points = o.integer("parity_max_points", c.parity_max_points, 0, 1L << 40);
  o.check_unknown("directory, checkpoint_every, plots, parity_max_points");
}

}  // namespace

TrainConfig parse_train_config(const std::string& text, const std::string& path,
                               const std::string& base_dir) {
  const toml::table root = parse_toml(text, path);
  TrainConfig c;
  c.path = path;
  for (auto&& [k, v] : root) {
    static const std::set<std::string> tables = {"data", "potential", "symmetry_functions",
                                                 "training", "output"};
    if (tables.count(std::string(k.str())) == 0 || !v.is_table())
      throw InputError(path, static_cast<long>(k.source().begin.line),
                       fmt::format("unknown key '{}' at the top level; accepted tables: [data], "
                                   "[potential], [symmetry_functions], [training], [output]",
                                   k.str()));
  }
  auto table = [&](const char* name) {
    const toml::node* n = root.get(name);
    return Table(n != nullptr ? n->as_table() : nullptr, path, name);
  };

  Table d = table("data");
  read_data(d, c, path, base_dir);
  Table p = table("potential");
  read_potential(p, c);
  Table s = table("symmetry_functions");
  read_symmetry_functions(s, c, path);
  Table t = table("training");
  read_training(t, c, path);
  Table o = table("output");
  read_output(o, c);
  return c;
}

TrainConfig read_train_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open the training configuration", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_train_config(ss.str(), path, std::filesystem::path(path).parent_path().string());
}

// One raw string, the schema text of `vitrum train --schema`: longer than 80 lines by nature.
std::string train_config_help() {
  return R"(CONFIG.toml schema for `vitrum train` (lengths and energies in the units of the data;
relative data paths are resolved against the config file's directory, the output directory
against the working directory). Unknown keys are errors.

[data]
  file = "input.data"         reference structures: n2p2 input.data or extended XYZ with energies
                              and forces; a list of files is accepted
  split = "auto"              auto: the file's `begin set=train|test` tags if any, else random;
                              file: tags only (untagged = train); random: ignore tags
  test_fraction = 0.1         fraction held out for testing (random split, seeded)
  max_structures = 0          use only the first N structures (0: all)
  energy_unit = "eV"          names for reports and the unit checks: eV, Hartree, Ry, ...
  length_unit = "angstrom"    angstrom, bohr, nm
  check_units = true          reject data that look inconsistent: a structure whose comment says
                              energy_unit=... or length_unit=... (as vitrum run's training-set
                              frames do) other than the declared units, and the checks below
  min_distance = 0.5          Å: atoms closer than this are an error (wrong length unit?)
  energy_outlier = 50.0       structures whose energy per atom departs from a per-element
                              least-squares fit by more than this many robust sigmas are an
                              error (mixed eV/Hartree?); 0: off

[potential]
  elements = ["O", "Si"]      default: every element in the data
  atom_energy = { O = 0.0 }   per-element energy offsets (default 0)
  normalize = true            write mean_energy, conv_energy = 1/sigma_E and
                              conv_length = sigma_F/sigma_E (n2p2's normalization)
  cutoff_type = 6             n2p2 cutoff function code 0..8 (6: POLY2)
  cutoff_alpha = 0.0          inner cutoff fraction
  hidden_nodes = [25, 25]     neurons per hidden layer
  activation = "t"            hidden-layer activation (n2p2 code l t s p r g c S e h), or one
                              code per hidden layer, e.g. "tp"
  output_activation = "l"
  normalize_nodes = false     n2p2's normalize_nodes
  scaling = "scale_center"    none | scale | center | scale_center | scale_sigma
  scale_min = 0.0, scale_max = 1.0

[symmetry_functions]
  cutoff = 6.0                r_c of the generated functions
  lines = [...]               explicit n2p2 lines ("O 2 Si 0.01 0.0 6.0"), instead of generation
  [symmetry_functions.radial] type 2, per element pair
    mode = "shifted"          shifted: r_s on an even grid, eta = 1/(2 dr^2);
                              centered: r_s = 0, 1/sqrt(2 eta) on an even grid
    n = 8                     functions per element pair
    r_lower = 0.5             first grid point
    r_upper = 0.0             last grid point (0: the cutoff)
  [symmetry_functions.angular] per central element and neighbor-element pair
    type = 9                  3 (narrow) or 9 (wide)
    mode = "centered"         grid of (eta, r_s) as above
    n = 3                     grid points (0: no angular functions)
    r_lower = 0.5, r_upper = 0.0
    zetas = [1, 4, 16]
    lambdas = [-1, 1]

[training]
  optimizer = "adam"          adam | kalman (n2p2's extended Kalman filter, [training.kalman])
  epochs = 300
  batch_size = 4              structures per Adam step
  learning_rate = 1e-2
  learning_rate_final = 1e-4
  schedule = "exponential"    constant | exponential | cosine | plateau
  plateau_patience = 10       plateau: epochs without improvement before lr *= plateau_factor
  plateau_factor = 0.5
  energy_weight = 1.0         loss = w_E mean(((E - E_ref)/N / sigma_E)^2)
  force_weight = 10.0              + w_F mean(((F - F_ref) / sigma_F)^2)   (0: energies only)
  adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8
  weight_decay = 0.0          decoupled (AdamW)
  early_stopping_patience = 50  stop after this many epochs without a better test loss (0: off);
                              the best epoch's weights are always the ones written
  max_minutes = 0             stop after the epoch that ends past this many minutes of training
                              (0: no limit; the best epoch's weights are written as always)
  seed = 1                    initial weights, split, batch order (bit-for-bit reproducible)
  max_memory_gb = 16          limit for the cached symmetry-function derivatives and the
                              Kalman filter's covariance matrix (each)
  threads = 0                 OpenMP threads (0: OMP_NUM_THREADS or all cores)
  backend = "cpu"             cpu | cuda: where the network GEMMs (forward, backward, force
                              derivatives) and the Kalman covariance run. cpu: OpenBLAS on
                              `threads` threads, bit-for-bit reproducible; cuda: cuBLAS with the
                              batch's activations and P resident on the GPU (agrees with cpu to
                              rounding; needs a CUDA build and a device)
  [training.kalman]           optimizer = "kalman": one observation per update, as n2p2 (its
                              keyword in brackets); learning_rate, batch_size, schedule and adam_*
                              do not apply. Energy update: error w_E (E_ref - E)/sigma_E of the
                              total energy; force update: w_F (F_ref - F)/sigma_F of one component
    type = "standard"         standard | fading_memory               [kalman_type 0 | 1]
    epsilon = 0.01            P = I/epsilon at the start              [kalman_epsilon]
    q0 = 0.01, qtau = 2.302, qmin = 1e-6   process noise q = max(q0 exp(-qtau t), qmin), t in
                              epochs                        [kalman_q0, kalman_qtau, kalman_qmin]
    eta0 = 0.01, etatau = 2.302, etamax = 1.0   standard: measurement noise 1/eta, eta =
                              min(eta0 exp(etatau t), etamax)   [kalman_eta, _etatau, _etamax]
    lambda = 0.96, nu = 0.99870   fading memory: forgetting factor and its growth
                                                                  [kalman_lambda_short, _nue_short]
    decoupling = "global"     global (one P) | element (one P per element)   [decoupling_type 0|1]
    energy_fraction = 1.0     energy updates per epoch / training structures
                                                                  [short_energy_fraction]
    force_fraction = 0.02315  force observations per epoch / training force components
                                                                  [short_force_fraction]
    energy_threshold = 0.0    an energy (force) candidate whose error is below this times the
    force_threshold = 1.0     training RMSE of the last epoch is skipped
                                                  [short_energy_error_threshold, _force_]
    threshold_trials = 3      candidates tried per update; then the worst one tried is used
                                                                  [rmse_threshold_trials]
    force_batch = 1           force observations per update (one Kalman update with several
                              rows of H; cheaper per observation)   [task_batch_size_force]

[output]
  directory = "nnp"           input.nn, scaling.data, weights.NNN.data, learning_curve.csv/.png,
                              energy_parity.csv, force_parity.csv, parity.png, checkpoint/
  checkpoint_every = 1        epochs between checkpoint/weights.NNN.data (0: never)
  plots = true                PNGs through scripts/plot_training.py (python3 + matplotlib)
  parity_max_points = 100000  force components per set in force_parity.csv (subsampled)
)";
}

}  // namespace vitrum::train
