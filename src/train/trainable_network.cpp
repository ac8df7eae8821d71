// Batched forward, reverse and forward-over-reverse passes of an atomic network (CPU, BLAS).
#include "vitrum/train/trainable_network.hpp"

#include <cblas.h>
#include <omp.h>

#include "vitrum/core/error.hpp"
#include "vitrum/train/math/activation_d2.hpp"

namespace vitrum::train {

namespace {

/// C(m x n) = alpha op(A) op(B) + beta C, row-major. Large products are split over the rows of C
/// into one block per OpenMP thread, each a single BLAS call: every element of C is computed by
/// one call whatever the split, and the split is fixed for a thread count (deterministic).
void gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  if (m == 0 || n == 0) return;
  const auto TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads > 1 && m >= 2 * threads && static_cast<double>(m) * n * k > 2e5) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < threads; ++t) {
      const int r0 = static_cast<int>(static_cast<long>(m) * t / threads);
      const int r1 = static_cast<int>(static_cast<long>(m) * (t + 1) / threads);
      if (r1 == r0) continue;
      // Rows r0..r1 of op(A): rows of A, or columns of A when transposed.
      const double* ar = ta ? a + r0 : a + static_cast<long>(r0) * lda;
      cblas_dgemm(CblasRowMajor, TA, TB, r1 - r0, n, k, alpha, ar, lda, b, ldb, beta,
                  c + static_cast<long>(r0) * ldc, ldc);
    }
    return;
  }
  cblas_dgemm(CblasRowMajor, TA, TB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// Below this many elements an elementwise loop runs on one thread (a parallel region costs more).
constexpr long kParallelMin = 1 << 14;

void grow(std::vector<double>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

TrainableNetwork::TrainableNetwork(std::vector<int> sizes, std::vector<int> activations,
                                   bool normalize_nodes)
    : sizes_(std::move(sizes)), act_(std::move(activations)), normalize_(normalize_nodes) {
  if (sizes_.size() < 2 || act_.size() + 1 != sizes_.size() || sizes_.back() != 1)
    fail(
        "TrainableNetwork: {} layer sizes and {} activations (need n_in, hidden..., 1 and one "
        "activation per layer)",
        sizes_.size(), act_.size());
  for (int s : sizes_)
    if (s < 1) fail("TrainableNetwork: layer sizes must be >= 1");
  long p = 0;
  for (size_t l = 1; l < sizes_.size(); ++l) {
    w_off_.push_back(p);
    p += static_cast<long>(sizes_[l - 1]) * sizes_[l];
    b_off_.push_back(p);
    p += sizes_[l];
  }
  n_params_ = p;
  const size_t L = act_.size() + 1;
  for (auto* v : {&y_, &d1_, &d2_, &delta_, &g_, &xdot_, &ydot_, &xbar_}) v->resize(L);
}

void TrainableNetwork::forward(int n, const double* params, const double* input, double* energy,
                               double* dedg) {
  const int L = n_layers();
  n_ = n;
  input_ = input;
  for (int l = 1; l <= L; ++l) {
    const size_t need = static_cast<size_t>(n) * sizes_[l];
    for (auto* v : {&y_, &d1_, &d2_, &delta_, &xdot_, &ydot_, &xbar_}) grow((*v)[l], need);
    grow(g_[l - 1], static_cast<size_t>(n) * sizes_[l - 1]);
  }
  if (n == 0) return;
  for (int l = 1; l <= L; ++l) {
    const int nin = sizes_[l - 1], nout = sizes_[l];
    const double* prev = l == 1 ? input : y_[l - 1].data();
    const double* w = params + w_off_[l - 1];
    const double* b = params + b_off_[l - 1];
    double* y = y_[l].data();
    double* d1 = d1_[l].data();
    double* d2 = d2_[l].data();
    gemm(false, true, n, nout, nin, 1.0, prev, nin, w, nin, 0.0, y, nout);
    const double c = normalize_ ? 1.0 / nin : 1.0;
    const int a = act_[l - 1];
#pragma omp parallel for schedule(static) if (static_cast <long>(n) * nout > kParallelMin)
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < nout; ++k) {
        const size_t q = static_cast<size_t>(i) * nout + k;
        const double x = (y[q] + b[k]) * c;
        activate_d2<double>(a, x, y[q], d1[q], d2[q]);
      }
  }
  for (int i = 0; i < n; ++i) energy[i] = y_[L][i];
  // Reverse: delta^L = f_L'; g^{l-1} = c_l delta^l W^l; delta^{l-1} = g^{l-1} f'_{l-1}.
  for (int i = 0; i < n; ++i) delta_[L][i] = d1_[L][i];
  for (int l = L; l >= 1; --l) {
    const int nin = sizes_[l - 1], nout = sizes_[l];
    const double c = normalize_ ? 1.0 / nin : 1.0;
    double* out = l == 1 ? dedg : g_[l - 1].data();
    gemm(false, false, n, nin, nout, c, delta_[l].data(), nout, params + w_off_[l - 1], nin, 0.0,
         out, nin);
    if (l > 1) {
      const double* d1 = d1_[l - 1].data();
      double* dl = delta_[l - 1].data();
      const long total = static_cast<long>(n) * nin;
#pragma omp parallel for schedule(static) if (total > kParallelMin)
      for (long q = 0; q < total; ++q) dl[q] = out[q] * d1[q];
    }
  }
}

void TrainableNetwork::backward(const double* params, const double* alpha, const double* u,
                                double* grad) {
  const int L = n_layers();
  const int n = n_;
  if (n == 0) return;
  // Tangent pass along u: xdot^l = c_l W^l ydot^{l-1}, ydot^l = f'_l xdot^l.
  if (u != nullptr) {
    for (int l = 1; l <= L; ++l) {
      const int nin = sizes_[l - 1], nout = sizes_[l];
      const double c = normalize_ ? 1.0 / nin : 1.0;
      const double* prev = l == 1 ? u : ydot_[l - 1].data();
      gemm(false, true, n, nout, nin, c, prev, nin, params + w_off_[l - 1], nin, 0.0,
           xdot_[l].data(), nout);
      if (l < L) {
        const double* d1 = d1_[l].data();
        const double* xd = xdot_[l].data();
        double* yd = ydot_[l].data();
        const long total = static_cast<long>(n) * nout;
#pragma omp parallel for schedule(static) if (total > kParallelMin)
        for (long q = 0; q < total; ++q) yd[q] = d1[q] * xd[q];
      }
    }
    for (int i = 0; i < n; ++i) xbar_[L][i] = d2_[L][i] * xdot_[L][i];
  }
  // Reverse pass of S = sum_i alpha_i E_i + u_i . g_i.
  for (int l = L; l >= 1; --l) {
    const int nin = sizes_[l - 1], nout = sizes_[l];
    const double c = normalize_ ? 1.0 / nin : 1.0;
    const double* w = params + w_off_[l - 1];
    const double* dl = delta_[l].data();
    const double* xb = xbar_[l].data();
    grow(a_, static_cast<size_t>(n) * nout);
    double* a = a_.data();
#pragma omp parallel for schedule(static) if (static_cast <long>(n) * nout > kParallelMin)
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < nout; ++k) {
        const size_t q = static_cast<size_t>(i) * nout + k;
        a[q] = alpha[i] * dl[q] + (u != nullptr ? xb[q] : 0.0);
      }
    const double* prev = l == 1 ? input_ : y_[l - 1].data();
    double* gw = grad + w_off_[l - 1];
    double* gb = grad + b_off_[l - 1];
    gemm(true, false, nout, nin, n, c, a, nout, prev, nin, 1.0, gw, nin);
    if (u != nullptr) {
      const double* prev_dot = l == 1 ? u : ydot_[l - 1].data();
      gemm(true, false, nout, nin, n, c, dl, nout, prev_dot, nin, 1.0, gw, nin);
    }
    // Bias: fixed-order column sums.
    grow(tmp_, static_cast<size_t>(nout));
    for (int k = 0; k < nout; ++k) tmp_[k] = 0.0;
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < nout; ++k) tmp_[k] += a[static_cast<size_t>(i) * nout + k];
    for (int k = 0; k < nout; ++k) gb[k] += c * tmp_[k];
    if (u != nullptr && l > 1) {
      // xbar^{l-1} = (c_l xbar^l W^l) f'_{l-1} + g^{l-1} f''_{l-1} xdot^{l-1}
      double* xp = xbar_[l - 1].data();
      gemm(false, false, n, nin, nout, c, xb, nout, w, nin, 0.0, xp, nin);
      const double* d1 = d1_[l - 1].data();
      const double* d2 = d2_[l - 1].data();
      const double* gl = g_[l - 1].data();
      const double* xd = xdot_[l - 1].data();
      const long total = static_cast<long>(n) * nin;
#pragma omp parallel for schedule(static) if (total > kParallelMin)
      for (long q = 0; q < total; ++q) xp[q] = xp[q] * d1[q] + gl[q] * d2[q] * xd[q];
    }
  }
}

}  // namespace vitrum::train
