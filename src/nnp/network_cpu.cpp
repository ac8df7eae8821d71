// Batched networks on the CPU through BLAS GEMMs; the activation math is the shared
// single-source header.
#include <cblas.h>
#include <omp.h>

#include <algorithm>

#include "vitrum/core/blas_threads.hpp"
#include "vitrum/nnp/math/activation.hpp"
#include "vitrum/nnp/network.hpp"

namespace vitrum::nnp {

void gemm_nt(int m, int n, int k, const double* x, const double* w, double* y) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, x, k, w, k, 0.0, y, n);
}
void gemm_nt(int m, int n, int k, const float* x, const float* w, float* y) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
}
void gemm_nn(int m, int n, int k, const double* x, const double* w, double* y) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0, x, n, w, k, 0.0, y, k);
}
void gemm_nn(int m, int n, int k, const float* x, const float* w, float* y) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1.0f, x, n, w, k, 0.0f, y, k);
}

template <typename T>
BatchedNetwork<T>::BatchedNetwork(const Element& element, bool normalize_nodes)
    : normalize_(normalize_nodes) {
  single_threaded_blas();  // BLAS runs inside this library's OpenMP blocks
  sizes_.push_back(element.layers.front().n_in);
  for (const auto& l : element.layers) {
    sizes_.push_back(l.n_out);
    act_.push_back(l.activation);
    w_.emplace_back(l.weights.begin(), l.weights.end());
    b_.emplace_back(l.bias.begin(), l.bias.end());
  }
  y_.resize(sizes_.size());
  d_.resize(sizes_.size());
}

template <typename T>
void BatchedNetwork<T>::run(int n, const T* input, T* energy, T* dedg) {
  const int L = static_cast<int>(act_.size());
  int widest = 1;
  for (int l = 0; l <= L; ++l) widest = std::max(widest, sizes_[l]);
  for (int l = 1; l <= L; ++l) {
    const size_t need = static_cast<size_t>(n) * sizes_[l];
    if (y_[l].size() < need) {
      y_[l].resize(need);
      d_[l].resize(need);
    }
  }
  if (dedg && delta_.size() < static_cast<size_t>(n) * widest) {
    delta_.resize(static_cast<size_t>(n) * widest);
    back_.resize(static_cast<size_t>(n) * widest);
  }
  // Fixed blocks of rows (atoms), whatever the thread count, each through every layer with
  // single-threaded BLAS calls: the same bits at any thread count.
  const int blocks = (n + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(dynamic, 1) if (blocks > 1 && !omp_in_parallel())
  for (int b = 0; b < blocks; ++b)
    run_rows(b * kRowBlock, std::min(n, (b + 1) * kRowBlock), widest, input, energy, dedg);
}

template <typename T>
void BatchedNetwork<T>::run_rows(int r0, int r1, int widest, const T* input, T* energy, T* dedg) {
  const int L = static_cast<int>(act_.size());
  const int m = r1 - r0;
  // Forward: x^l = (b + W y^{l-1}) [/ n_{l-1}], y^l = f(x^l), keep f'(x^l).
  for (int l = 1; l <= L; ++l) {
    const int nin = sizes_[l - 1], nout = sizes_[l];
    const T* prev = (l == 1 ? input : y_[l - 1].data()) + static_cast<size_t>(r0) * nin;
    T* y = y_[l].data() + static_cast<size_t>(r0) * nout;
    T* d = d_[l].data() + static_cast<size_t>(r0) * nout;
    gemm_nt(m, nout, nin, prev, w_[l - 1].data(), y);
    const T inv = normalize_ ? T(1) / T(nin) : T(1);
    const int a = act_[l - 1];
    const T* bias = b_[l - 1].data();
    for (int i = 0; i < m; ++i)
      for (int k = 0; k < nout; ++k) {
        const size_t q = static_cast<size_t>(i) * nout + k;
        activate<T>(a, (y[q] + bias[k]) * inv, y[q], d[q]);
      }
  }
  for (int i = r0; i < r1; ++i) energy[i] = y_[L][i];
  if (!dedg) return;
  // Backward: delta^l = dE/dx^l; dE/dy^{l-1} = delta^l W^l [/ n_{l-1}]. This block's rows of
  // the delta and back buffers: m rows of at most `widest` values from row r0 on.
  T* delta = delta_.data() + static_cast<size_t>(r0) * widest;
  T* back = back_.data() + static_cast<size_t>(r0) * widest;
  for (int i = 0; i < m; ++i) delta[i] = d_[L][r0 + i];
  for (int l = L; l >= 1; --l) {
    const int nin = sizes_[l - 1], nout = sizes_[l];
    const T inv = normalize_ ? T(1) / T(nin) : T(1);
    if (inv != T(1))
      for (int q = 0; q < m * nout; ++q) delta[q] *= inv;
    T* out = l == 1 ? dedg + static_cast<size_t>(r0) * nin : back;
    gemm_nn(m, nout, nin, delta, w_[l - 1].data(), out);
    if (l > 1) {
      const T* d = d_[l - 1].data() + static_cast<size_t>(r0) * nin;
      for (int q = 0; q < m * nin; ++q) delta[q] = out[q] * d[q];
    }
  }
}

template class BatchedNetwork<double>;
template class BatchedNetwork<float>;

}  // namespace vitrum::nnp
