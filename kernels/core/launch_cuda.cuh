#pragma once
/// \file launch_cuda.cuh
/// The launcher of the CUDA space (included by .cu files only): the same members as
/// exec::HostLauncher (vitrum/core/launch_host.hpp), with a kernel's functor run one thread per
/// index and each reduction block reduced by kReduceBlock threads in shared memory, in the
/// halving order of math/block_reduce.hpp. Kernels go to the default stream, in issue order.

#include <cuda_runtime.h>

#include <string>
#include <utility>

#include "core/device.cuh"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/math/block_reduce.hpp"

namespace vitrum::exec {

namespace cuda_detail {

constexpr int kThreads = 256;

template <class F>
__global__ void for_each_kernel(long n, F f) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) f(i);
}

template <int W, class Op, class Term>
__global__ void block_reduce_kernel(long n, Term term, Op op, double* partial) {
  __shared__ double s[math::kReduceBlock * W];
  const int t = threadIdx.x;
  const long i = static_cast<long>(blockIdx.x) * math::kReduceBlock + t;
  if (i < n) {
    term(i, s + t * W);
  } else {
    for (int k = 0; k < W; ++k) s[t * W + k] = Op::identity();
  }
  __syncthreads();
  for (int h = math::kReduceBlock / 2; h > 0; h >>= 1) {
    if (t < h)
      for (int k = 0; k < W; ++k) s[t * W + k] = op(s[t * W + k], s[(t + h) * W + k]);
    __syncthreads();
  }
  if (t == 0)
    for (int k = 0; k < W; ++k) partial[blockIdx.x * W + k] = s[k];
}

}  // namespace cuda_detail

struct CudaLauncher {
  Space* space;

  template <class F>
  void for_each(long n, const F& f) const {
    if (n <= 0) return;
    const long blocks = (n + cuda_detail::kThreads - 1) / cuda_detail::kThreads;
    cuda_detail::for_each_kernel<<<static_cast<unsigned>(blocks), cuda_detail::kThreads>>>(n, f);
    VITRUM_CUDA_CHECK(cudaGetLastError());
  }

  template <int W, class Op, class Term>
  void reduce(long n, const Term& term, const Op& op, double* a, double* b, double* out,
              const std::string& name) const {
    if (n <= 0) {
      for (int k = 0; k < W; ++k) out[k] = Op::identity();
      return;
    }
    long m = math::reduce_blocks(n);
    cuda_detail::block_reduce_kernel<W>
        <<<static_cast<unsigned>(m), math::kReduceBlock>>>(n, term, op, a);
    VITRUM_CUDA_CHECK(cudaGetLastError());
    while (m > 1) {
      const long next = math::reduce_blocks(m);
      cuda_detail::block_reduce_kernel<W>
          <<<static_cast<unsigned>(next), math::kReduceBlock>>>(m, math::PartialTerm<W>{a}, op, b);
      VITRUM_CUDA_CHECK(cudaGetLastError());
      std::swap(a, b);
      m = next;
    }
    space->to_host(out, a, W * sizeof(double), name);  // waits for the kernels
  }
};

}  // namespace vitrum::exec
