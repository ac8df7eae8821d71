#pragma once
/// \file train_backend.hpp
/// Internal (not for users): the seam between training and its two GEMM backends. Everything
/// training does with matrices goes through the two interfaces below, built by the one dispatch
/// point make_network_passes() / make_kalman_covariance() from the project's Backend:
///
///   cpu   OpenBLAS dgemm, large products split over OpenMP threads by rows (deterministic for a
///         thread count); src/train/trainable_network.cpp and kalman_filter.cpp.
///   cuda  cuBLAS dgemm on device-resident data: a batch's input, every layer's activations and
///         derivatives stay on the device from forward() to backward(); P stays on the device for
///         the whole run. kernels/train/train_backend.cu.
///
/// Both run the same single-source activation math (vitrum/train/math/activation_d2.hpp).
#include <memory>
#include <vector>

#include "vitrum/core/backend.hpp"

namespace vitrum::train {

/// Shape of one atomic network: `sizes` = {n_inputs, hidden..., 1}, one activation code per
/// layer, c_l = 1/n_{l-1} under normalize_nodes; flat parameter layout per layer l = 1..L:
/// W^l (n_l x n_{l-1}, row-major) at w_off[l-1], then b^l at b_off[l-1].
struct NetworkLayout {
  std::vector<int> sizes, activations;
  bool normalize_nodes = false;
  std::vector<long> w_off, b_off;
  long n_parameters = 0;
};

/// The batched passes of TrainableNetwork (formulas in trainable_network.hpp). forward() keeps
/// the batch state (on the host or the device) for the next backward().
class NetworkPasses {
 public:
  virtual ~NetworkPasses() = default;
  /// energy: n values, dedg: n x n_inputs (host). `input` must stay valid until backward().
  virtual void forward(int n, const double* params, const double* input, double* energy,
                       double* dedg) = 0;
  /// grad += dS/dw (host, n_parameters values); u may be nullptr (energy term only).
  virtual void backward(const double* params, const double* alpha, const double* u,
                        double* grad) = 0;
};

/// The Kalman filter's products with its covariance P (blocks b, row-major n_b x n_b each, at
/// weight offsets `offsets`), P = I / epsilon at the start.
class KalmanCovariance {
 public:
  virtual ~KalmanCovariance() = default;
  /// X_b = P_b H_b^T for every block: h is m x n (host), x is n x m (host, overwritten).
  virtual void multiply(int m, const double* h, double* x) = 0;
  /// P_b <- (P_b - K_b X_b^T) * scale + q I for every block (k, x: n x m, host).
  virtual void downdate(int m, const double* k, const double* x, double scale, double q) = 0;
  /// Sum of the diagonal of P.
  virtual double trace() const = 0;
};

/// The dispatch point: the passes of one network on `backend` (throws a clear error for cuda
/// without CUDA support or without a device).
std::unique_ptr<NetworkPasses> make_network_passes(const NetworkLayout& layout, Backend backend);
/// Offsets of the covariance blocks in the weight vector (a running sum of `blocks`); `total`
/// receives the number of weights. Shared by both covariance backends.
inline std::vector<long> block_offsets(const std::vector<long>& blocks, long& total) {
  std::vector<long> offsets;
  total = 0;
  for (long b : blocks) {
    offsets.push_back(total);
    total += b;
  }
  return offsets;
}

/// The dispatch point for the Kalman filter's covariance.
std::unique_ptr<KalmanCovariance> make_kalman_covariance(const std::vector<long>& blocks,
                                                         double epsilon, Backend backend);

/// The backends themselves (make_* above choose). The cuda ones are defined in
/// kernels/train/train_backend.cu, or fail when CUDA is not compiled in.
std::unique_ptr<NetworkPasses> make_cpu_network_passes(const NetworkLayout& layout);
std::unique_ptr<NetworkPasses> make_cuda_network_passes(const NetworkLayout& layout);
std::unique_ptr<KalmanCovariance> make_cpu_kalman_covariance(const std::vector<long>& blocks,
                                                             double epsilon);
std::unique_ptr<KalmanCovariance> make_cuda_kalman_covariance(const std::vector<long>& blocks,
                                                              double epsilon);

}  // namespace vitrum::train
