// Batched networks on the CPU through BLAS GEMMs; the activation math is the shared
// single-source header.
#include <cblas.h>

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
  for (int l = 1; l <= L; ++l) {
    const size_t need = static_cast<size_t>(n) * sizes_[l];
    if (y_[l].size() < need) {
      y_[l].resize(need);
      d_[l].resize(need);
    }
  }
  // Forward: x^l = (b + W y^{l-1}) [/ n_{l-1}], y^l = f(x^l), keep f'(x^l).
  for (int l = 1; l <= L; ++l) {
    const T* prev = l == 1 ? input : y_[l - 1].data();
    const int nin = sizes_[l - 1], nout = sizes_[l];
    T* y = y_[l].data();
    T* d = d_[l].data();
    gemm_nt(n, nout, nin, prev, w_[l - 1].data(), y);
    const T inv = normalize_ ? T(1) / T(nin) : T(1);
    const int a = act_[l - 1];
    const T* b = b_[l - 1].data();
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < nout; ++k) {
        const T x = (y[(size_t)i * nout + k] + b[k]) * inv;
        activate<T>(a, x, y[(size_t)i * nout + k], d[(size_t)i * nout + k]);
      }
  }
  for (int i = 0; i < n; ++i) energy[i] = y_[L][i];
  if (!dedg) return;
  // Backward: delta^l = dE/dx^l; dE/dy^{l-1} = delta^l W^l [/ n_{l-1}].
  delta_.assign(d_[L].begin(), d_[L].begin() + n);
  for (int l = L; l >= 1; --l) {
    const int nin = sizes_[l - 1], nout = sizes_[l];
    const T inv = normalize_ ? T(1) / T(nin) : T(1);
    if (inv != T(1))
      for (auto& v : delta_) v *= inv;
    T* out = l == 1 ? dedg : nullptr;
    if (!out) {
      back_.resize(static_cast<size_t>(n) * nin);
      out = back_.data();
    }
    gemm_nn(n, nout, nin, delta_.data(), w_[l - 1].data(), out);
    if (l > 1) {
      const T* d = d_[l - 1].data();
      delta_.resize(static_cast<size_t>(n) * nin);
#pragma omp parallel for schedule(static)
      for (long q = 0; q < static_cast<long>(n) * nin; ++q) delta_[q] = out[q] * d[q];
    }
  }
}

template class BatchedNetwork<double>;
template class BatchedNetwork<float>;

}  // namespace vitrum::nnp
