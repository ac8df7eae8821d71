#pragma once
/// \file network_cuda.cuh
/// The per-element batched networks on a CUDA device, shared by the CUDA evaluator backend
/// (evaluator.cu) and the device HDNNP (device_evaluator.cu): one cuBLAS GEMM per layer for all
/// atoms of an element, the activation and its derivative in one kernel, and the reverse pass
/// for dE/dG. Included by .cu files only.
#include <algorithm>
#include <vector>

#include "core/cublas_lazy.cuh"
#include "core/device_array.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/nnp/math/activation.hpp"

namespace vitrum::nnp {
namespace {

using cuda::DeviceArray;

void cublas_check(cublasStatus_t s, const char* what, int line) {
  if (s != CUBLAS_STATUS_SUCCESS)
    fail("cuBLAS error {} in {} ({}:{})", int(s), what, __FILE__, line);
}
#define VITRUM_CUBLAS_CHECK(call) cublas_check((call), #call, __LINE__)

constexpr int kThreads = 128;
inline int blocks(long n) {
  return static_cast<int>(std::max(1L, (n + kThreads - 1) / kThreads));
}

// Y^T(out x n) = W(out x in, row-major) X^T: cuBLAS column-major view of Y = X W^T.
void gemm_forward(cublasHandle_t h, int n, int out, int in, const double* w, const double* x,
                  double* y) {
  const double one = 1, zero = 0;
  VITRUM_CUBLAS_CHECK(cuda::blas::dgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &one, w, in, x, in,
                                        &zero, y, out));
}
void gemm_forward(cublasHandle_t h, int n, int out, int in, const float* w, const float* x,
                  float* y) {
  const float one = 1, zero = 0;
  VITRUM_CUBLAS_CHECK(cuda::blas::sgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &one, w, in, x, in,
                                        &zero, y, out));
}
// dY_prev(n x in) = delta(n x out) W(out x in), row-major.
void gemm_backward(cublasHandle_t h, int n, int out, int in, const double* w, const double* delta,
                   double* dprev) {
  const double one = 1, zero = 0;
  VITRUM_CUBLAS_CHECK(cuda::blas::dgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, &one, w, in, delta,
                                        out, &zero, dprev, in));
}
void gemm_backward(cublasHandle_t h, int n, int out, int in, const float* w, const float* delta,
                   float* dprev) {
  const float one = 1, zero = 0;
  VITRUM_CUBLAS_CHECK(cuda::blas::sgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, &one, w, in, delta,
                                        out, &zero, dprev, in));
}

template <typename T>
__global__ void activation_kernel(long n, int nout, const T* bias, T inv, int act, T* y, T* d) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q >= n * nout) return;
  const T x = (y[q] + bias[q % nout]) * inv;
  activate<T>(act, x, y[q], d[q]);
}

template <typename T>
__global__ void scale_kernel(long n, T s, T* v) {
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q < n) v[q] *= s;
}

template <typename T>
__global__ void multiply_kernel(long n, const T* a, T* b) {  // b = a * b
  const long q = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (q < n) b[q] = a[q] * b[q];
}

/// One element's network on the device: weights, and scratch for a batch.
template <typename T>
struct CudaNetwork {
  std::vector<int> sizes, act;
  std::vector<DeviceArray<T>> w, b;
  DeviceArray<T> scale, shift;     ///< the SF scaling (evaluator backend)
  DeviceArray<double> gmin, gmax;  ///< the scaling range (evaluator backend)
  std::vector<DeviceArray<T>> y, d;
  DeviceArray<T> delta, back;
};

/// Forward and reverse pass for `n` atoms: energy[n] and, if dedg, dE/dG (n x n_inputs) from the
/// scaled inputs (n x n_inputs, row-major).
template <typename T>
void run_network(cublasHandle_t blas, bool normalize_nodes, CudaNetwork<T>& net, int n,
                 const T* input, T* energy, T* dedg) {
  const int L = static_cast<int>(net.act.size());
  net.y.resize(L + 1);
  net.d.resize(L + 1);
  for (int l = 1; l <= L; ++l) {
    const int nin = net.sizes[l - 1], nout = net.sizes[l];
    net.y[l].resize((size_t)n * nout);
    net.d[l].resize((size_t)n * nout);
    const T* prev = l == 1 ? input : net.y[l - 1].data();
    gemm_forward(blas, n, nout, nin, net.w[l - 1].data(), prev, net.y[l].data());
    const T inv = normalize_nodes ? T(1) / T(nin) : T(1);
    activation_kernel<T><<<blocks((long)n * nout), kThreads>>>(
        n, nout, net.b[l - 1].data(), inv, net.act[l - 1], net.y[l].data(), net.d[l].data());
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }
  VITRUM_CUDA_CHECK(cudaMemcpy(energy, net.y[L].data(), n * sizeof(T), cudaMemcpyDeviceToDevice));
  if (!dedg) return;
  net.delta.resize(n);
  VITRUM_CUDA_CHECK(
      cudaMemcpy(net.delta.data(), net.d[L].data(), n * sizeof(T), cudaMemcpyDeviceToDevice));
  for (int l = L; l >= 1; --l) {
    const int nin = net.sizes[l - 1], nout = net.sizes[l];
    if (normalize_nodes) {
      scale_kernel<T>
          <<<blocks((long)n * nout), kThreads>>>((long)n * nout, T(1) / T(nin), net.delta.data());
      VITRUM_CUDA_CHECK(cudaGetLastError());
    }
    T* out = dedg;
    if (l > 1) {
      net.back.resize((size_t)n * nin);
      out = net.back.data();
    }
    gemm_backward(blas, n, nout, nin, net.w[l - 1].data(), net.delta.data(), out);
    if (l > 1) {
      // delta^{l-1} = dE/dy^{l-1} * f'(x^{l-1})
      multiply_kernel<T><<<blocks((long)n * nin), kThreads>>>((long)n * nin, net.d[l - 1].data(),
                                                              net.back.data());
      VITRUM_CUDA_CHECK(cudaGetLastError());
      net.delta.swap(net.back);
    }
  }
}

}  // namespace
}  // namespace vitrum::nnp
