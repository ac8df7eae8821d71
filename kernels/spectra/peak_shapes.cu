// CUDA evaluation of the line shapes (see peak_shapes.cuh).
#include <cuda_runtime.h>

#include <vector>

#include "core/device.cuh"
#include "core/device_array.cuh"
#include "spectra/peak_shapes.cuh"
#include "vitrum/spectra/math/peak_shapes.hpp"

namespace vitrum::spectra {
namespace {

__global__ void shape_values_kernel(math::ShapeKind kind, math::ShapeParams s, const double* x,
                                    int n, int single, double* out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  out[i] = single ? static_cast<double>(math::shape_value_f(kind, s, x[i]))
                  : math::shape_value(kind, s, x[i]);
}

__global__ void shape_grads_kernel(math::ShapeKind kind, math::ShapeParams s, const double* x,
                                   int n, double* out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  double g[math::kShapeGradSize];
  math::shape_value_and_grad(kind, s, x[i], g);
  for (int k = 0; k < math::kShapeGradSize; ++k) out[i * math::kShapeGradSize + k] = g[k];
}

}  // namespace

std::vector<double> evaluate_shape_cuda(math::ShapeKind kind, const math::ShapeParams& params,
                                        const std::vector<double>& x, bool single) {
  const int n = static_cast<int>(x.size());
  std::vector<double> out(x.size());
  if (n == 0) return out;
  cuda::DeviceArray<double> dx(x.size()), dout(x.size());
  dx.upload(x);
  const int block = 128;
  shape_values_kernel<<<(n + block - 1) / block, block>>>(kind, params, dx.data(), n,
                                                          single ? 1 : 0, dout.data());
  VITRUM_CUDA_CHECK(cudaGetLastError());
  VITRUM_CUDA_CHECK(cudaDeviceSynchronize());
  dout.download(out.data(), out.size());
  return out;
}

std::vector<double> evaluate_shape_grad_cuda(math::ShapeKind kind, const math::ShapeParams& params,
                                             const std::vector<double>& x) {
  const int n = static_cast<int>(x.size());
  std::vector<double> out(x.size() * math::kShapeGradSize);
  if (n == 0) return out;
  cuda::DeviceArray<double> dx(x.size()), dout(out.size());
  dx.upload(x);
  const int block = 128;
  shape_grads_kernel<<<(n + block - 1) / block, block>>>(kind, params, dx.data(), n, dout.data());
  VITRUM_CUDA_CHECK(cudaGetLastError());
  VITRUM_CUDA_CHECK(cudaDeviceSynchronize());
  dout.download(out.data(), out.size());
  return out;
}

}  // namespace vitrum::spectra
