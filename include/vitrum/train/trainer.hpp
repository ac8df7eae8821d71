#pragma once
/// \file trainer.hpp
/// Fitting HDNNP weights to reference energies and forces (network GEMMs and the Kalman
/// covariance on the cpu, OpenMP + BLAS, or on cuda, cuBLAS: train_backend.hpp).
///
/// Model (identical to nnp::Evaluator for the potential it is built from):
///   E = sum_i [ E_i^NN(G_s,i) / c_E + mu + offset(Z_i) ],   G_s = scale * G + shift,
///   F_j = -dE/dr_j = -(1/c_E) sum_i sum_s (dE_i^NN/dG_s,is) scale_s dG_is/dr_j,
/// with c_E = conv_energy and mu = mean_energy (1 and 0 for potentials without normalization).
///
/// Loss of a set B of structures (dimensionless; sigma_E, sigma_F are fixed data statistics):
///   L = w_E / |B| sum_{s in B} ((E_s - E_s^ref) / (N_s sigma_E))^2
///     + w_F / N_F sum_{s in B} sum_{j in s, c} ((F_jc - F_jc^ref) / sigma_F)^2,
/// N_F = number of force components in B. Its gradient with respect to every weight is analytic:
/// the energy term through alpha_i = dL/dE_i^NN = 2 w_E (E_s - E_s^ref) / (|B| N_s^2 sigma_E^2
/// c_E), the force term through u_i = dL/d(dE_i^NN/dG_s) = -(1/c_E) scale * (J_i^T D) with
/// D_j = dL/dF_j = 2 w_F (F_j - F_j^ref) / (N_F sigma_F^2) and J_i = dG_i/dr (TrainingSet): a
/// direction in G-space fed to TrainableNetwork::backward (forward-over-reverse, batched per
/// element with GEMMs).
///
/// Optimizers: Adam (Kingma & Ba 2015) on mini-batches of structures with a learning-rate
/// schedule, or n2p2's extended Kalman filter (kalman_filter.hpp) with one energy or force
/// observation (or a few) per update. Both with early stopping on the test-set loss and a seed: a
/// run is bit-for-bit reproducible on the CPU for a given seed, data and thread count.
///
/// Kalman-filter observations (n2p2's energy and force updates, in the loss normalization):
///   energy of structure s:   xi = w_E (E_s^ref - E_s) / sigma_E,   H = (w_E / sigma_E) dE_s/dw
///   force component F_jc:    xi = w_F (F_jc^ref - F_jc) / sigma_F, H = (w_F / sigma_F) dF_jc/dw
/// With normalization (conv_energy = 1/sigma_E, conv_length = sigma_F/sigma_E) these are n2p2's
/// internal units: the total energy error and the force error times force_weight.

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/nnp/potential.hpp"
#include "vitrum/train/kalman_filter.hpp"
#include "vitrum/train/trainable_network.hpp"
#include "vitrum/train/training_set.hpp"

namespace vitrum::train {

/// Learning-rate schedules over epochs e = 1..E (lr0 = learning_rate, lr1 = learning_rate_final):
/// constant lr0; exponential lr0 (lr1/lr0)^((e-1)/(E-1)); cosine lr1 + (lr0-lr1)(1+cos(pi (e-1)/
/// (E-1)))/2; plateau: lr0, multiplied by plateau_factor (not below lr1) after plateau_patience
/// epochs without a better monitored loss.
enum class Schedule { Constant, Exponential, Cosine, Plateau };

/// Weight update method.
enum class Optimizer { Adam, Kalman };

/// Kalman-filter training (the [training.kalman] table; n2p2's names in brackets). Per epoch
/// round(energy_fraction x training structures) energy updates and round(force_fraction x
/// training force components / force_batch) force updates, in a seeded random order.
/// Candidates are drawn from shuffled lists; a candidate whose error is below threshold x the
/// training RMSE of the last epoch is skipped, up to threshold_trials candidates, after which
/// the largest error seen is used (n2p2's selection_mode 2).
struct KalmanTrainSettings {
  KalmanSettings filter;
  bool decouple_elements = false;   ///< one P block per element [decoupling_type 1]
  double energy_fraction = 1.0;     ///< [short_energy_fraction]
  double force_fraction = 0.02315;  ///< [short_force_fraction]
  double energy_threshold = 0.0;    ///< [short_energy_error_threshold]
  double force_threshold = 1.0;     ///< [short_force_error_threshold]
  int threshold_trials = 3;         ///< [rmse_threshold_trials]
  int force_batch = 1;              ///< force observations per update [task_batch_size_force]
};

/// Optimization options (the [training] table of the config).
struct TrainSettings {
  Optimizer optimizer = Optimizer::Adam;
  KalmanTrainSettings kalman;
  int epochs = 300;
  int batch_size = 4;                 ///< structures per Adam step
  double learning_rate = 1e-2;        ///< initial Adam step size
  double learning_rate_final = 1e-4;  ///< final (exponential, cosine) or smallest (plateau)
  Schedule schedule = Schedule::Exponential;
  int plateau_patience = 10;
  double plateau_factor = 0.5;
  double energy_weight = 1.0;  ///< w_E
  double force_weight = 10.0;  ///< w_F (0: energies only)
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  double weight_decay = 0.0;         ///< decoupled (AdamW) decay per step, times the step size
  int early_stopping_patience = 50;  ///< epochs without a better test loss before stopping; 0 off
  double max_minutes = 0.0;  ///< stop after the epoch that ends past this wall time (0: no limit)
  std::uint64_t seed = 1;    ///< initial weights, train/test split, batch order
  /// Where the network GEMMs and the Kalman covariance run ([training] backend): run_training()
  /// builds its Fitter on it, and the Trainer's Kalman filter follows the Fitter's backend.
  Backend backend = Backend::Cpu;
};

/// Loss terms of a set of structures.
struct LossTerms {
  double energy = 0.0;      ///< weighted energy term of L
  double force = 0.0;       ///< weighted force term of L
  double energy_sse = 0.0;  ///< sum of squared per-atom energy errors ((E - E_ref)/N)^2
  long n_energy = 0;        ///< structures
  double force_sse = 0.0;   ///< sum of squared force-component errors
  long n_force = 0;         ///< force components
  double loss() const { return energy + force; }
  /// RMSE of the energy per atom (data energy unit); 0 without structures.
  double rmse_energy() const;
  /// RMSE of the force components (data energy/length); 0 without forces.
  double rmse_force() const;
};

/// Predicted energy and forces of one structure (data units).
struct StructurePrediction {
  double energy = 0.0;
  std::vector<Vec3> forces;  ///< empty when the set has no Jacobians
};

/// The in-training HDNNP: `potential`'s symmetry functions, scaling, normalization and offsets
/// with trainable networks, evaluated on `data` (which must have been built with the same
/// potential's symmetry functions). sigma_energy (energy per atom) and sigma_force (force
/// component) normalize the loss.
class Fitter {
 public:
  /// `backend` runs the networks' batched passes (cuda: cuBLAS, device-resident activations;
  /// throws a clear error without CUDA support or a device).
  Fitter(const nnp::Potential& potential, const TrainingSet& data, double sigma_energy,
         double sigma_force, double energy_weight, double force_weight,
         Backend backend = Backend::Cpu);

  int n_elements() const { return static_cast<int>(nets_.size()); }
  long n_parameters() const { return static_cast<long>(params_.size()); }
  const TrainableNetwork& network(int e) const { return nets_[e]; }
  Backend backend() const { return backend_; }
  const TrainingSet& data() const { return *data_; }
  const nnp::Potential& potential() const { return *pot_; }
  /// All weights and biases, element after element (TrainableNetwork layout).
  std::vector<double>& parameters() { return params_; }
  const std::vector<double>& parameters() const { return params_; }
  long parameter_offset(int e) const { return offset_[e]; }
  /// Element e's parameters as a vector (TrainableNetwork layout).
  std::vector<double> element_parameters(int e) const;

  /// Random initial weights: uniform in +-sqrt(6 / (n_in + n_out)) (times n_in under
  /// normalize_nodes), biases 0 except the output bias, set to `output_bias` (times n_in under
  /// normalize_nodes). With `data_init`, each hidden layer is then rescaled on the data set's
  /// symmetry functions (up to 4096 atoms per element, layer after layer): W_k <- W_k / s_k,
  /// b_k <- -m_k / (s_k c) with m_k, s_k the mean and standard deviation of neuron k's
  /// pre-activation, so every hidden neuron starts centred with unit spread over the data (scaled
  /// symmetry functions often vary by only a few percent of their range). Deterministic for a
  /// seed.
  void initialize(std::uint64_t seed, double output_bias, bool data_init = true);
  /// Takes the weights of `potential` (same architecture).
  void set_from_potential(const nnp::Potential& potential);

  /// Loss of the structures `list` (indices into the data set). With `grad`, also its gradient
  /// (resized to n_parameters() and overwritten). With `predictions`, the predicted energies and
  /// forces, one per entry of `list`.
  LossTerms loss(const std::vector<int>& list, std::vector<double>* grad,
                 std::vector<StructurePrediction>* predictions = nullptr);

  /// Kalman-filter observations. Predicted total energy of structure k (data units); with `h`
  /// (n_parameters() values, overwritten) also dE/dw.
  double energy_jacobian(int k, double* h);
  /// Predicted force component `c` (0..2) on atom `atom` (structure-local index) of structure k
  /// (data units); with `h`, also its derivative with respect to every weight. Only the atoms
  /// whose symmetry functions depend on `atom` are evaluated. Needs the set's Jacobians.
  double force_jacobian(int k, int atom, int c, double* h);

  /// Writes weights.NNN.data of every element to `dir` (atomically).
  void write_weights(const std::string& dir) const;

  double sigma_energy() const { return sigma_e_; }
  double sigma_force() const { return sigma_f_; }

 private:
  struct ThreadScratch {
    std::vector<Vec3> f;
    std::vector<double> w, v;
  };
  /// Gathers the scaled symmetry functions of rows_[e] into in_[e] and runs element e's forward
  /// pass into energy_[e] and dedg_[e]; returns the number of rows.
  long forward_rows(int e);
  const nnp::Potential* pot_;
  const TrainingSet* data_;
  double sigma_e_, sigma_f_, w_e_, w_f_;
  double inv_ce_, mu_;
  Backend backend_;
  std::vector<double> offset_z_;  // per element atom_energy
  std::vector<TrainableNetwork> nets_;
  std::vector<double> params_;
  std::vector<long> offset_;
  std::vector<std::vector<double>> scale_, gs_;  // per element: scale_s; scaled G rows
  // Batch buffers per element.
  std::vector<std::vector<double>> in_, energy_, dedg_, alpha_, u_;
  std::vector<std::vector<long>> rows_;
  std::vector<long> brow_;                        // batch row of each chunk atom
  std::vector<std::vector<const double*>> jrow_;  // force_jacobian: dG/dr_atom,c row per batch row
  std::vector<ThreadScratch> scratch_;
};

/// One epoch of the learning curve.
struct EpochRecord {
  int epoch = 0;  ///< 0: before training
  double learning_rate = 0.0;
  LossTerms train, test;
  double seconds = 0.0;       ///< wall time of the epoch (training steps and evaluation)
  double step_seconds = 0.0;  ///< wall time of the training steps (loss, gradient, Adam) alone
};

/// Adam or the Kalman filter, with early stopping. `on_epoch(record, improved)` is
/// called after every epoch (including epoch 0) with the monitored loss (test set, or training
/// set when there is no test set) and whether it improved; the trainer keeps the best weights.
class Trainer {
 public:
  Trainer(Fitter& fitter, TrainSettings settings);
  /// Runs training on the structures flagged train/test in the data set; on return the fitter
  /// holds the best weights (lowest monitored loss). Returns the learning curve.
  std::vector<EpochRecord> run(
      const std::function<void(const EpochRecord&, bool improved)>& on_epoch = {});
  int best_epoch() const { return best_epoch_; }
  /// Kalman filter: updates per epoch and P's memory for these settings (for checks and
  /// messages before training).
  static double kalman_updates_per_epoch(const TrainSettings& s, const Fitter& f);
  static std::vector<long> kalman_blocks(const TrainSettings& s, const Fitter& f);

 private:
  double schedule_lr(int epoch, double plateau_lr) const;
  Fitter& fitter_;
  TrainSettings s_;
  int best_epoch_ = 0;
};

/// The seeded generator of the trainer (std::mt19937_64, whose sequence the standard fixes).
/// uniform() in [0, 1) with 53 random bits; below(n) in [0, n).
class Random {
 public:
  explicit Random(std::uint64_t seed);
  double uniform();
  std::uint64_t below(std::uint64_t n);
  /// Fisher–Yates shuffle (identical on every platform).
  void shuffle(std::vector<int>& v);

 private:
  std::mt19937_64 engine_;
};

}  // namespace vitrum::train
