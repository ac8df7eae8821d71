#pragma once
/// \file kalman_filter.hpp
/// The extended Kalman filter of n2p2's training (Singraber, Morawietz, Behler, Dellago, J. Chem.
/// Theory Comput. 15, 3075 (2019); Blank & Brown, J. Chemom. 8, 391 (1994)), in its "standard"
/// and "fading memory" forms, globally or decoupled into blocks of weights (n2p2's
/// decoupling_type 0 and 1).
///
/// State: the weights w (n values) and the error covariance P (n x n, per block b a dense P_b),
/// P = I / epsilon at the start. One update with m observations y = h(w) + noise, their errors
/// xi = y_ref - h(w) (m values) and Jacobian H (m x n, H_kj = dh_k/dw_j):
///
///   X_b = P_b H_b^T                        (n_b x m; H_b the columns of block b)
///   A   = sum_b H_b X_b + R                (m x m)
///         R = I / eta  (standard)          R = lambda I  (fading memory)
///   K_b = X_b A^{-1}                       (the Kalman gain)
///   P_b <- P_b - K_b X_b^T                 (fading memory: then P_b <- P_b / lambda)
///   P_b <- P_b + q I                       (process noise)
///   w_b <- w_b + K_b xi
///
/// Schedules per update, with u = updates per epoch (n2p2 divides qtau and etatau by it, so the
/// parameters are per epoch): q <- max(q exp(-qtau / u), qmin); standard: before the update,
/// eta <- min(eta exp(etatau / u), etamax); fading memory: after it, lambda <- nu lambda + 1 - nu.
/// n2p2's usual values: epsilon 0.01, q0 0.01, qtau 2.302, qmin 1e-6, eta0 0.01, etatau 2.302,
/// etamax 1 (lambda 0.96, nu 0.99870 for fading memory).
///
/// The products with P go through the backend seam (train_backend.hpp): on the cpu, BLAS GEMMs
/// split over the rows of P into one call per OpenMP thread (bit-for-bit reproducible for a
/// thread count); on cuda, cuBLAS GEMMs with P resident on the device (only H, X and K, n x m
/// each, cross the bus per update). Memory: 8 sum_b n_b^2 bytes (host or device).

#include <memory>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/train/train_backend.hpp"

namespace vitrum::train {

/// Parameters of the filter (n2p2's kalman_* keywords).
struct KalmanSettings {
  bool fading_memory = false;  ///< n2p2 kalman_type 1
  double epsilon = 1e-2;       ///< P = I / epsilon at the start
  double q0 = 1e-2;            ///< initial process noise
  double qtau = 2.302;         ///< per epoch: q decays by exp(-qtau) per epoch
  double qmin = 1e-6;          ///< process-noise floor
  double eta0 = 1e-2;          ///< standard: initial "learning rate" (R = I / eta)
  double etatau = 2.302;       ///< per epoch: eta grows by exp(etatau) per epoch
  double etamax = 1.0;         ///< cap of eta
  double lambda = 0.96;        ///< fading memory: initial forgetting factor
  double nu = 0.99870;         ///< fading memory: lambda <- nu lambda + 1 - nu
};

class KalmanFilter {
 public:
  /// `blocks`: sizes of the decoupled weight blocks, in weight order (one block: global EKF).
  /// `updates_per_epoch` scales qtau and etatau; `backend` holds P and runs its products.
  /// Throws vitrum::Error on bad settings (and for cuda without CUDA support or a device).
  KalmanFilter(std::vector<long> blocks, const KalmanSettings& settings, double updates_per_epoch,
               Backend backend = Backend::Cpu);

  long n_weights() const { return n_; }
  /// Bytes held by P.
  double memory_bytes() const;
  /// Bytes P would take for these blocks.
  static double memory_bytes(const std::vector<long>& blocks);

  /// One update with `m` observations: `h` is m x n (row k = dh_k/dw), `xi` the m errors
  /// (reference minus prediction); `w` (n values) is updated in place.
  void update(int m, const double* h, const double* xi, double* w);

  long updates() const { return updates_; }
  double q() const { return q_; }
  double eta() const { return eta_; }
  double lambda() const { return lambda_; }
  /// Mean of the diagonal of P (a scale of the remaining weight uncertainty).
  double mean_diagonal() const;

 private:
  KalmanSettings s_;
  std::vector<long> blocks_, offsets_;
  long n_ = 0;
  std::unique_ptr<KalmanCovariance> p_;  // P on the backend (host or device)
  double q_, eta_, lambda_;
  double qdecay_, etagrow_;
  long updates_ = 0;
  std::vector<double> x_, k_, a_;  // scratch: X (n x m), K (n x m), A (m x m)
};

}  // namespace vitrum::train
