// Batched forward, reverse and forward-over-reverse passes of an atomic network: the network
// object and its CPU backend (BLAS on OpenMP threads). The CUDA backend is
// kernels/train/train_backend.cu.
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

/// The CPU backend: BLAS GEMMs and OpenMP elementwise loops on host buffers.
class CpuNetworkPasses final : public NetworkPasses {
 public:
  explicit CpuNetworkPasses(const NetworkLayout& layout)
      : sizes_(layout.sizes),
        act_(layout.activations),
        normalize_(layout.normalize_nodes),
        w_off_(layout.w_off),
        b_off_(layout.b_off) {
    const size_t L = act_.size() + 1;
    for (auto* v : {&y_, &d1_, &d2_, &delta_, &g_, &xdot_, &ydot_, &xbar_}) v->resize(L);
  }
  void forward(int n, const double* params, const double* input, double* energy,
               double* dedg) override;
  void backward(const double* params, const double* alpha, const double* u, double* grad) override;

 private:
  int n_layers() const { return static_cast<int>(act_.size()); }
  std::vector<int> sizes_, act_;
  bool normalize_ = false;
  std::vector<long> w_off_, b_off_;
  int n_ = 0;  // rows of the last forward()
  const double* input_ = nullptr;
  // Per layer l (index l, 0 unused where noted), batch-sized: y, f', f'', delta, g (dE/dy^l for
  // l < L), xdot, ydot, xbar and scratch.
  std::vector<std::vector<double>> y_, d1_, d2_, delta_, g_, xdot_, ydot_, xbar_;
  std::vector<double> tmp_, a_;
};

void CpuNetworkPasses::forward(int n, const double* params, const double* input, double* energy,
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

void CpuNetworkPasses::backward(const double* params, const double* alpha, const double* u,
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

}  // namespace

std::unique_ptr<NetworkPasses> make_cpu_network_passes(const NetworkLayout& layout) {
  return std::make_unique<CpuNetworkPasses>(layout);
}

TrainableNetwork::TrainableNetwork(std::vector<int> sizes, std::vector<int> activations,
                                   bool normalize_nodes, Backend backend)
    : backend_(backend) {
  auto& lay = layout_;
  lay.sizes = std::move(sizes);
  lay.activations = std::move(activations);
  lay.normalize_nodes = normalize_nodes;
  if (lay.sizes.size() < 2 || lay.activations.size() + 1 != lay.sizes.size() ||
      lay.sizes.back() != 1)
    fail(
        "TrainableNetwork: {} layer sizes and {} activations (need n_in, hidden..., 1 and one "
        "activation per layer)",
        lay.sizes.size(), lay.activations.size());
  for (int s : lay.sizes)
    if (s < 1) fail("TrainableNetwork: layer sizes must be >= 1");
  long p = 0;
  for (size_t l = 1; l < lay.sizes.size(); ++l) {
    lay.w_off.push_back(p);
    p += static_cast<long>(lay.sizes[l - 1]) * lay.sizes[l];
    lay.b_off.push_back(p);
    p += lay.sizes[l];
  }
  lay.n_parameters = p;
  passes_ = make_network_passes(layout_, backend_);
}

TrainableNetwork::TrainableNetwork(const TrainableNetwork& o)
    : layout_(o.layout_),
      backend_(o.backend_),
      passes_(o.passes_ ? make_network_passes(layout_, backend_) : nullptr) {}

TrainableNetwork& TrainableNetwork::operator=(const TrainableNetwork& o) {
  if (this != &o) *this = TrainableNetwork(o);
  return *this;
}

TrainableNetwork::~TrainableNetwork() = default;

void TrainableNetwork::forward(int n, const double* params, const double* input, double* energy,
                               double* dedg) {
  passes_->forward(n, params, input, energy, dedg);
}

void TrainableNetwork::backward(const double* params, const double* alpha, const double* u,
                                double* grad) {
  passes_->backward(params, alpha, u, grad);
}

}  // namespace vitrum::train
