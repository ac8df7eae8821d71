// The CUDA backend of training (train_backend.hpp): cuBLAS dgemm on device-resident data.
//
// Network passes: forward() uploads the weights and the batch's scaled symmetry functions once;
// every layer's activations, f', f'', delta and dE/dy stay on the device until backward(), which
// uploads alpha and u, runs the tangent and reverse passes on the device and brings back only the
// gradient (n_parameters values) -- per batch, the bus carries the input, E, dE/dG, alpha, u and
// the gradient, never a layer's activations. The elementwise work calls the same single-source
// activate_d2() as the CPU backend; the bias gradient is a fixed-order column sum (one thread per
// neuron), so the backend is deterministic run to run.
//
// Kalman covariance: P lives on the device for the whole run; an update sends H (m x n) and K
// (n x m) and returns X = P H^T (n x m). The m x m solve stays on the host (KalmanFilter).
#include <algorithm>

#include "core/cublas_lazy.cuh"
#include "core/device_array.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/train/math/activation_d2.hpp"
#include "vitrum/train/train_backend.hpp"

namespace vitrum::train {

namespace {

using cuda::DeviceArray;

void cublas_check(cublasStatus_t s, const char* what, int line) {
  if (s != CUBLAS_STATUS_SUCCESS)
    fail("cuBLAS error {} in {} ({}:{})", static_cast<int>(s), what, __FILE__, line);
}
#define VITRUM_CUBLAS_CHECK(call) cublas_check((call), #call, __LINE__)

/// One cuBLAS handle (RAII).
class BlasHandle {
 public:
  BlasHandle() { VITRUM_CUBLAS_CHECK(cuda::blas::create(&h_)); }
  ~BlasHandle() { cuda::blas::destroy(h_); }
  BlasHandle(const BlasHandle&) = delete;
  BlasHandle& operator=(const BlasHandle&) = delete;
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

constexpr int kThreads = 128;
inline int n_blocks(long n) {
  return static_cast<int>(std::max(1L, (n + kThreads - 1) / kThreads));
}

/// Row-major C(m x n) = alpha op(A) op(B) + beta C on the device: the CPU backend's gemm() with
/// cuBLAS's column-major view (C^T = op(B)^T op(A)^T; a row-major matrix is its transpose).
void gemm(cublasHandle_t h, bool ta, bool tb, int m, int n, int k, double alpha, const double* a,
          int lda, const double* b, int ldb, double beta, double* c, int ldc) {
  if (m == 0 || n == 0) return;
  VITRUM_CUBLAS_CHECK(cuda::blas::dgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                        ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb, a,
                                        lda, &beta, c, ldc));
}

/// y = f((y + b) c), d1 = f', d2 = f'' for an n x nout batch (y holds W y^{l-1} on entry).
__global__ void activation_kernel(long total, int nout, const double* bias, double c, int act,
                                  double* y, double* d1, double* d2) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q >= total) return;
  const double x = (y[q] + bias[q % nout]) * c;
  activate_d2<double>(act, x, y[q], d1[q], d2[q]);
}

/// out = a * b elementwise.
__global__ void multiply_kernel(long total, const double* a, const double* b, double* out) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q < total) out[q] = a[q] * b[q];
}

/// a = alpha_i delta^l + xbar^l (xbar may be null: energy term only).
__global__ void combine_kernel(long total, int nout, const double* alpha, const double* delta,
                               const double* xbar, double* a) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q >= total) return;
  a[q] = alpha[q / nout] * delta[q] + (xbar != nullptr ? xbar[q] : 0.0);
}

/// gb[k] += c sum_i a[i][k], the sum over rows in order (one thread per column: deterministic).
__global__ void bias_gradient_kernel(int n, int nout, double c, const double* a, double* gb) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= nout) return;
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += a[static_cast<long>(i) * nout + k];
  gb[k] += c * s;
}

/// xbar^{l-1} = xbar^{l-1} f'_{l-1} + g^{l-1} f''_{l-1} xdot^{l-1} (xbar holds c xbar^l W^l).
__global__ void xbar_kernel(long total, const double* d1, const double* g, const double* d2,
                            const double* xdot, double* xbar) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q < total) xbar[q] = xbar[q] * d1[q] + g[q] * d2[q] * xdot[q];
}

/// P <- P * scale + q I for an nb x nb block (scale 1: no multiplication, as on the CPU).
__global__ void scale_shift_kernel(long nb, double scale, double q, double* p) {
  const long e = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (e >= nb * nb) return;
  double v = p[e];
  if (scale != 1.0) v *= scale;
  if (e / nb == e % nb) v += q;
  p[e] = v;
}

#define VITRUM_LAUNCH_CHECK() VITRUM_CUDA_CHECK(cudaGetLastError())

class CudaNetworkPasses final : public NetworkPasses {
 public:
  explicit CudaNetworkPasses(const NetworkLayout& layout) : lay_(layout) {
    const size_t L = lay_.activations.size() + 1;
    for (auto* v : {&y_, &d1_, &d2_, &delta_, &g_, &xdot_, &ydot_, &xbar_}) v->resize(L);
  }

  void forward(int n, const double* params, const double* input, double* energy,
               double* dedg) override {
    const int L = n_layers();
    const auto& sz = lay_.sizes;
    n_ = n;
    for (int l = 1; l <= L; ++l) {
      const size_t need = static_cast<size_t>(n) * sz[l];
      for (auto* v : {&y_, &d1_, &d2_, &delta_, &xdot_, &ydot_, &xbar_}) (*v)[l].resize(need);
      g_[l - 1].resize(static_cast<size_t>(n) * sz[l - 1]);
    }
    if (n == 0) return;
    params_.upload(params, lay_.n_parameters);
    input_.upload(input, static_cast<size_t>(n) * sz[0]);
    const double* p = params_.data();
    cublasHandle_t h = blas_.get();
    for (int l = 1; l <= L; ++l) {
      const int nin = sz[l - 1], nout = sz[l];
      const double* prev = l == 1 ? input_.data() : y_[l - 1].data();
      gemm(h, false, true, n, nout, nin, 1.0, prev, nin, p + lay_.w_off[l - 1], nin, 0.0,
           y_[l].data(), nout);
      const long total = static_cast<long>(n) * nout;
      activation_kernel<<<n_blocks(total), kThreads>>>(total, nout, p + lay_.b_off[l - 1], c(l),
                                                       lay_.activations[l - 1], y_[l].data(),
                                                       d1_[l].data(), d2_[l].data());
      VITRUM_LAUNCH_CHECK();
    }
    y_[L].download(energy, n);
    // Reverse: delta^L = f_L'; g^{l-1} = c_l delta^l W^l; delta^{l-1} = g^{l-1} f'_{l-1}.
    VITRUM_CUDA_CHECK(
        cudaMemcpy(delta_[L].data(), d1_[L].data(), sizeof(double) * n, cudaMemcpyDeviceToDevice));
    for (int l = L; l >= 1; --l) {
      const int nin = sz[l - 1], nout = sz[l];
      gemm(h, false, false, n, nin, nout, c(l), delta_[l].data(), nout, p + lay_.w_off[l - 1], nin,
           0.0, g_[l - 1].data(), nin);
      if (l > 1) {
        const long total = static_cast<long>(n) * nin;
        multiply_kernel<<<n_blocks(total), kThreads>>>(total, g_[l - 1].data(), d1_[l - 1].data(),
                                                       delta_[l - 1].data());
        VITRUM_LAUNCH_CHECK();
      }
    }
    g_[0].download(dedg, static_cast<size_t>(n) * sz[0]);
  }

  void backward(const double* /*params: on the device since forward()*/, const double* alpha,
                const double* u, double* grad) override {
    const int L = n_layers();
    const int n = n_;
    const auto& sz = lay_.sizes;
    if (n == 0) return;
    cublasHandle_t h = blas_.get();
    const double* p = params_.data();
    alpha_.upload(alpha, n);
    grad_.upload(grad, lay_.n_parameters);  // accumulate onto the caller's values, as the CPU
    const bool force = u != nullptr;
    if (force) {
      u_.upload(u, static_cast<size_t>(n) * sz[0]);
      // Tangent pass along u: xdot^l = c_l W^l ydot^{l-1}, ydot^l = f'_l xdot^l.
      for (int l = 1; l <= L; ++l) {
        const int nin = sz[l - 1], nout = sz[l];
        const double* prev = l == 1 ? u_.data() : ydot_[l - 1].data();
        gemm(h, false, true, n, nout, nin, c(l), prev, nin, p + lay_.w_off[l - 1], nin, 0.0,
             xdot_[l].data(), nout);
        const long total = static_cast<long>(n) * nout;
        if (l < L)
          multiply_kernel<<<n_blocks(total), kThreads>>>(total, d1_[l].data(), xdot_[l].data(),
                                                         ydot_[l].data());
        else
          multiply_kernel<<<n_blocks(total), kThreads>>>(total, d2_[L].data(), xdot_[L].data(),
                                                         xbar_[L].data());
        VITRUM_LAUNCH_CHECK();
      }
    }
    // Reverse pass of S = sum_i alpha_i E_i + u_i . g_i.
    double* gr = grad_.data();
    for (int l = L; l >= 1; --l) {
      const int nin = sz[l - 1], nout = sz[l];
      const double* w = p + lay_.w_off[l - 1];
      const long total = static_cast<long>(n) * nout;
      a_.resize(total);
      combine_kernel<<<n_blocks(total), kThreads>>>(total, nout, alpha_.data(), delta_[l].data(),
                                                    force ? xbar_[l].data() : nullptr, a_.data());
      VITRUM_LAUNCH_CHECK();
      const double* prev = l == 1 ? input_.data() : y_[l - 1].data();
      double* gw = gr + lay_.w_off[l - 1];
      gemm(h, true, false, nout, nin, n, c(l), a_.data(), nout, prev, nin, 1.0, gw, nin);
      if (force) {
        const double* prev_dot = l == 1 ? u_.data() : ydot_[l - 1].data();
        gemm(h, true, false, nout, nin, n, c(l), delta_[l].data(), nout, prev_dot, nin, 1.0, gw,
             nin);
      }
      bias_gradient_kernel<<<n_blocks(nout), kThreads>>>(n, nout, c(l), a_.data(),
                                                         gr + lay_.b_off[l - 1]);
      VITRUM_LAUNCH_CHECK();
      if (force && l > 1) {
        // xbar^{l-1} = (c_l xbar^l W^l) f'_{l-1} + g^{l-1} f''_{l-1} xdot^{l-1}
        double* xp = xbar_[l - 1].data();
        gemm(h, false, false, n, nin, nout, c(l), xbar_[l].data(), nout, w, nin, 0.0, xp, nin);
        const long tin = static_cast<long>(n) * nin;
        xbar_kernel<<<n_blocks(tin), kThreads>>>(tin, d1_[l - 1].data(), g_[l - 1].data(),
                                                 d2_[l - 1].data(), xdot_[l - 1].data(), xp);
        VITRUM_LAUNCH_CHECK();
      }
    }
    grad_.download(grad, lay_.n_parameters);
  }

 private:
  int n_layers() const { return static_cast<int>(lay_.activations.size()); }
  double c(int l) const { return lay_.normalize_nodes ? 1.0 / lay_.sizes[l - 1] : 1.0; }

  NetworkLayout lay_;
  BlasHandle blas_;
  int n_ = 0;  // rows of the last forward()
  DeviceArray<double> params_, input_, alpha_, u_, grad_, a_;
  // Per layer l, batch-sized, as in the CPU backend (g_[0] = dE/dG).
  std::vector<DeviceArray<double>> y_, d1_, d2_, delta_, g_, xdot_, ydot_, xbar_;
};

class CudaKalmanCovariance final : public KalmanCovariance {
 public:
  CudaKalmanCovariance(const std::vector<long>& blocks, double epsilon) : blocks_(blocks) {
    offsets_ = block_offsets(blocks_, n_);
    p_.resize(blocks_.size());
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b];
      p_[b].resize(static_cast<size_t>(nb) * nb);
      p_[b].zero();
      scale_shift_kernel<<<n_blocks(nb * nb), kThreads>>>(nb, 1.0, 1.0 / epsilon, p_[b].data());
      VITRUM_LAUNCH_CHECK();
    }
  }

  void multiply(int m, const double* h, double* x) override {
    h_.upload(h, static_cast<size_t>(m) * n_);
    x_.resize(static_cast<size_t>(n_) * m);
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b], o = offsets_[b];
      gemm(blas_.get(), false, true, static_cast<int>(nb), m, static_cast<int>(nb), 1.0,
           p_[b].data(), static_cast<int>(nb), h_.data() + o, static_cast<int>(n_), 0.0,
           x_.data() + o * m, m);
    }
    x_.download(x, static_cast<size_t>(n_) * m);
  }

  void downdate(int m, const double* k, const double* x, double scale, double q) override {
    k_.upload(k, static_cast<size_t>(n_) * m);
    x_.upload(x, static_cast<size_t>(n_) * m);
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b], o = offsets_[b];
      gemm(blas_.get(), false, true, static_cast<int>(nb), static_cast<int>(nb), m, -1.0,
           k_.data() + o * m, m, x_.data() + o * m, m, 1.0, p_[b].data(), static_cast<int>(nb));
      scale_shift_kernel<<<n_blocks(nb * nb), kThreads>>>(nb, scale, q, p_[b].data());
      VITRUM_LAUNCH_CHECK();
    }
  }

  double trace() const override {
    double s = 0;
    std::vector<double> diag;
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const long nb = blocks_[b];
      diag.resize(nb);
      VITRUM_CUDA_CHECK(cudaMemcpy2D(diag.data(), sizeof(double), p_[b].data(),
                                     sizeof(double) * (nb + 1), sizeof(double), nb,
                                     cudaMemcpyDeviceToHost));
      for (long i = 0; i < nb; ++i) s += diag[i];
    }
    return s;
  }

 private:
  std::vector<long> blocks_, offsets_;
  long n_ = 0;
  BlasHandle blas_;
  std::vector<DeviceArray<double>> p_;  // per block, row-major n_b x n_b
  DeviceArray<double> h_, x_, k_;
};

}  // namespace

std::unique_ptr<NetworkPasses> make_cuda_network_passes(const NetworkLayout& layout) {
  return std::make_unique<CudaNetworkPasses>(layout);
}

std::unique_ptr<KalmanCovariance> make_cuda_kalman_covariance(const std::vector<long>& blocks,
                                                              double epsilon) {
  return std::make_unique<CudaKalmanCovariance>(blocks, epsilon);
}

}  // namespace vitrum::train
