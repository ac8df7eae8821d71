#pragma once
/// \file train_config.hpp
/// `vitrum train CONFIG.toml`: the configuration (every key documented in train_config_help(),
/// unknown keys rejected naming key and file) and the whole run: read and check the reference
/// data, generate or take the symmetry functions, compute scaling.data and the normalization,
/// train, and write an n2p2-format potential with its learning curve and parity data.
///
/// Output directory:
///   input.nn, scaling.data, weights.NNN.data   the potential (best epoch; rewritten whenever the
///                                              monitored loss improves, atomically)
///   checkpoint/weights.NNN.data                the weights of the latest epoch (every
///                                              checkpoint_every epochs, atomically)
///   learning_curve.csv (+ .png)                loss and RMSE per epoch, train and test
///   energy_parity.csv, force_parity.csv (+ parity.png)   predicted vs reference of the best model

#include <map>
#include <string>
#include <vector>

#include "vitrum/nnp/potential.hpp"
#include "vitrum/train/sf_generation.hpp"
#include "vitrum/train/trainer.hpp"

namespace vitrum::train {

struct TrainConfig {
  std::string path;  ///< the config file (for messages)

  // [data]
  std::vector<std::string> files;  ///< reference structures (relative to the config's directory)
  std::string split = "auto";      ///< auto | file | random
  double test_fraction = 0.1;
  int max_structures = 0;          ///< 0: all
  std::string energy_unit = "eV";  ///< names for reports and checks (vitrum::units)
  std::string length_unit = "angstrom";
  bool check_units = true;
  double min_distance = 0.5;     ///< Å: closer atoms mean broken data or a wrong length unit
  double energy_outlier = 50.0;  ///< robust sigmas of the composition-fit residual per atom

  // [potential]
  std::vector<std::string> elements;          ///< default: the elements of the data
  std::map<std::string, double> atom_energy;  ///< offsets (energy units), default 0
  bool normalize = true;                      ///< mean_energy / conv_energy / conv_length
  int cutoff_type = 6;
  double cutoff_alpha = 0.0;
  std::vector<int> hidden_nodes = {25, 25};
  std::string activation = "t";  ///< hidden layers (n2p2 code)
  std::string output_activation = "l";
  bool normalize_nodes = false;
  nnp::ScalingType scaling = nnp::ScalingType::ScaleCenter;
  double scale_min = 0.0, scale_max = 1.0;

  // [symmetry_functions]
  std::vector<std::string> sf_lines;  ///< explicit lines (instead of generation)
  SfSetSpec sf;                       ///< generation request (elements filled in later)

  // [training]
  TrainSettings training;
  double max_memory_gb = 16.0;  ///< limit for the dG/dr cache
  int threads = 0;              ///< OpenMP threads (0: default)

  // [output]
  std::string directory = "nnp";
  int checkpoint_every = 1;
  bool plots = true;
  long parity_max_points = 100000;  ///< force components written per set (subsampled)
};

/// Reads and checks a config file; relative data paths are resolved against its directory.
TrainConfig read_train_config(const std::string& path);
/// Parses config text; `path` names it in errors, `base_dir` resolves relative data paths.
TrainConfig parse_train_config(const std::string& text, const std::string& path,
                               const std::string& base_dir);
/// The documented schema with defaults (for --help and the docs).
std::string train_config_help();

/// Summary of a run.
struct TrainReport {
  std::string directory;
  long n_train = 0, n_test = 0, n_parameters = 0;
  int epochs_run = 0, best_epoch = 0;
  EpochRecord initial, best;           ///< epoch 0 and the best epoch
  double seconds = 0.0;                ///< whole run
  double train_seconds = 0.0;          ///< training epochs only
  double structures_per_second = 0.0;  ///< training throughput (energy + force loss and gradient)
  /// Largest differences between the in-training prediction and nnp::Evaluator on the written
  /// potential (energy per atom, force component), over the checked structures.
  double check_energy = 0.0, check_force = 0.0;
};

/// Runs the whole training described by `config`; prints progress to stdout unless quiet.
TrainReport run_training(const TrainConfig& config, bool quiet = false);

}  // namespace vitrum::train
