#pragma once
/// \file network.hpp
/// Batched per-element feed-forward networks on the CPU: every layer of every atom of an element
/// is one GEMM (BLAS) plus the activation, and the reverse pass gives dE/dG for all atoms at once.
/// With n2p2's normalize_nodes, each pre-activation is divided by the fan-in of its layer.

#include <vector>

#include "vitrum/nnp/potential.hpp"

namespace vitrum::nnp {

/// One element's network in precision T, with scratch for a batch.
template <typename T>
class BatchedNetwork {
 public:
  BatchedNetwork() = default;
  BatchedNetwork(const Element& element, bool normalize_nodes);

  int n_inputs() const { return sizes_.front(); }
  /// Forward and backward pass for `n` atoms. `input` is n × n_inputs (row-major, scaled G);
  /// writes E_i^NN to energy[n] and, if dedg != nullptr, dE_i/dG_s to dedg (n × n_inputs).
  /// Rows are processed in fixed blocks of kRowBlock atoms, in parallel (OpenMP) when called
  /// outside a parallel region, BLAS single-threaded: the result does not depend on the threads.
  void run(int n, const T* input, T* energy, T* dedg);

  static constexpr int kRowBlock = 64;

  /// Bytes of the batch-sized buffers (activations, derivatives, reverse-pass rows): what the
  /// CUDA network holds on the device for the same batch (kernels/nnp/network_cuda.cuh).
  std::size_t buffer_bytes() const {
    std::size_t b = (delta_.capacity() + back_.capacity()) * sizeof(T);
    for (std::size_t l = 0; l < y_.size(); ++l)
      b += (y_[l].capacity() + d_[l].capacity()) * sizeof(T);
    return b;
  }

 private:
  void run_rows(int r0, int r1, int widest, const T* input, T* energy, T* dedg);
  std::vector<int> sizes_;
  std::vector<int> act_;
  std::vector<std::vector<T>> w_, b_;
  bool normalize_ = false;
  std::vector<std::vector<T>> y_, d_;  // per layer: activations and f'(x), batch-sized
  std::vector<T> delta_, back_;
};

/// y = alpha * x(m×k) * W(n×k)^T (+ beta y): the forward GEMM of a layer, row-major.
void gemm_nt(int m, int n, int k, const double* x, const double* w, double* y);
void gemm_nt(int m, int n, int k, const float* x, const float* w, float* y);
/// y(m×k) = x(m×n) * W(n×k), row-major: the backward GEMM.
void gemm_nn(int m, int n, int k, const double* x, const double* w, double* y);
void gemm_nn(int m, int n, int k, const float* x, const float* w, float* y);

}  // namespace vitrum::nnp
