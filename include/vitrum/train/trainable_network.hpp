#pragma once
/// \file trainable_network.hpp
/// One element's atomic network with the batched passes training needs: every layer of every
/// atom of the batch is one GEMM (BLAS, CPU threads) plus elementwise work.
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

#include <vector>

namespace vitrum::train {

class TrainableNetwork {
 public:
  TrainableNetwork() = default;
  /// `sizes` = {n_inputs, hidden..., 1}; `activations` = one nnp::Activation code per layer.
  TrainableNetwork(std::vector<int> sizes, std::vector<int> activations, bool normalize_nodes);

  const std::vector<int>& sizes() const { return sizes_; }
  const std::vector<int>& activations() const { return act_; }
  bool normalize_nodes() const { return normalize_; }
  int n_inputs() const { return sizes_.front(); }
  int n_layers() const { return static_cast<int>(act_.size()); }
  /// Number of weights and biases. Flat layout: per layer l = 1..L, W^l (n_l x n_{l-1},
  /// row-major) then b^l.
  long n_parameters() const { return n_params_; }
  long weight_offset(int l) const { return w_off_[l - 1]; }
  long bias_offset(int l) const { return b_off_[l - 1]; }

  /// Forward and reverse pass for `n` atoms (row-major input n x n_inputs): energy[i] = E_i,
  /// dedg[i * n_inputs + s] = dE_i/dy^0_s. Keeps the batch state for backward().
  void forward(int n, const double* params, const double* input, double* energy, double* dedg);

  /// Adds to `grad` (n_parameters values) the gradient of S (see the file comment) for the batch
  /// of the last forward() with the same params and input. `alpha`: n values; `u`: n x n_inputs
  /// values, or nullptr for the energy term only.
  void backward(const double* params, const double* alpha, const double* u, double* grad);

 private:
  std::vector<int> sizes_, act_;
  bool normalize_ = false;
  long n_params_ = 0;
  std::vector<long> w_off_, b_off_;
  int n_ = 0;  // rows of the last forward()
  const double* input_ = nullptr;
  // Per layer l (index l, 0 unused where noted), batch-sized: y, f', f'', delta, g (dE/dy^l for
  // l < L), xdot, ydot, xbar and scratch.
  std::vector<std::vector<double>> y_, d1_, d2_, delta_, g_, xdot_, ydot_, xbar_;
  std::vector<double> tmp_, a_;
};

}  // namespace vitrum::train
