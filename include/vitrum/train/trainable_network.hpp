#pragma once
/// \file trainable_network.hpp
/// One element's atomic network with the batched passes training needs: every layer of every
/// atom of the batch is one GEMM plus elementwise work, on the backend chosen at construction
/// (cpu: BLAS on OpenMP threads; cuda: cuBLAS on device-resident activations; train_backend.hpp).
///
/// Network (n2p2, ../shared/formats/n2p2.md B.5): y^0 = G_s (scaled symmetry functions),
///   x^l = c_l (W^l y^{l-1} + b^l),  y^l = f_l(x^l),  E = y^L,
/// with c_l = 1/n_{l-1} under normalize_nodes, else 1.
///
/// forward() gives E_i and g_i = dE_i/dy^0 (reverse pass: delta^L = f_L', g^{l-1} = c_l W^T
/// delta^l, delta^{l-1} = g^{l-1} f'_{l-1}). backward() gives the gradient with respect to
/// every weight and bias of
///   S = sum_i [ alpha_i E_i + u_i . g_i ],
/// i.e. the energy term (alpha_i = dLoss/dE_i) and the force term (u_i = dLoss/dg_i, a direction
/// in G-space obtained from the force residuals contracted with dG/dr). The force term is
/// forward-over-reverse: u_i . g_i is the tangent (directional derivative) of E_i along u_i,
///   ydot^0 = u, xdot^l = c_l W^l ydot^{l-1}, ydot^l = f'_l xdot^l,
/// and its reverse pass, with xbar^L = f_L'' xdot^L and
///   xbar^{l-1} = (c_l W^T xbar^l) f'_{l-1} + g^{l-1} f''_{l-1} xdot^{l-1},
/// gives  dS/dW^l = c_l [ (alpha delta^l + xbar^l)^T y^{l-1} + delta^l^T ydot^{l-1} ],
///        dS/db^l = c_l sum_i (alpha_i delta^l_i + xbar^l_i).
/// All sums over atoms run in a fixed order (GEMMs and per-column loops): the result does not
/// depend on the number of OpenMP threads (BLAS threading aside, which splits output blocks).
/// The cuda backend agrees with the cpu one to rounding (cuBLAS orders its sums differently).

#include <memory>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/train/train_backend.hpp"

namespace vitrum::train {

class TrainableNetwork {
 public:
  TrainableNetwork() = default;
  /// `sizes` = {n_inputs, hidden..., 1}; `activations` = one nnp::Activation code per layer.
  /// `backend` runs the passes (cuda throws a clear error without CUDA support or a device).
  TrainableNetwork(std::vector<int> sizes, std::vector<int> activations, bool normalize_nodes,
                   Backend backend = Backend::Cpu);
  /// A copy has the same shape and backend and fresh (empty) batch state.
  TrainableNetwork(const TrainableNetwork& o);
  TrainableNetwork& operator=(const TrainableNetwork& o);
  TrainableNetwork(TrainableNetwork&&) noexcept = default;
  TrainableNetwork& operator=(TrainableNetwork&&) noexcept = default;
  ~TrainableNetwork();

  const std::vector<int>& sizes() const { return layout_.sizes; }
  const std::vector<int>& activations() const { return layout_.activations; }
  bool normalize_nodes() const { return layout_.normalize_nodes; }
  Backend backend() const { return backend_; }
  int n_inputs() const { return layout_.sizes.front(); }
  int n_layers() const { return static_cast<int>(layout_.activations.size()); }
  /// Number of weights and biases. Flat layout: per layer l = 1..L, W^l (n_l x n_{l-1},
  /// row-major) then b^l.
  long n_parameters() const { return layout_.n_parameters; }
  long weight_offset(int l) const { return layout_.w_off[l - 1]; }
  long bias_offset(int l) const { return layout_.b_off[l - 1]; }

  /// Forward and reverse pass for `n` atoms (row-major input n x n_inputs): energy[i] = E_i,
  /// dedg[i * n_inputs + s] = dE_i/dy^0_s. Keeps the batch state for backward().
  void forward(int n, const double* params, const double* input, double* energy, double* dedg);

  /// Adds to `grad` (n_parameters values) the gradient of S (see the file comment) for the batch
  /// of the last forward() with the same params and input. `alpha`: n values; `u`: n x n_inputs
  /// values, or nullptr for the energy term only.
  void backward(const double* params, const double* alpha, const double* u, double* grad);

 private:
  NetworkLayout layout_;
  Backend backend_ = Backend::Cpu;
  std::unique_ptr<NetworkPasses> passes_;  // the batch state lives here
};

}  // namespace vitrum::train
