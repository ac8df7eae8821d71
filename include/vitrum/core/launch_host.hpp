#pragma once
/// \file launch_host.hpp
/// The launcher of the emulated device (exec_space.hpp): a kernel's single-source functor runs
/// in a host loop over its index range (OpenMP for long ranges; every kernel writes only its own
/// entry, so the result does not depend on the thread count), and a reduction runs the passes of
/// math/block_reduce.hpp on the space's (host-allocated) device memory. The CUDA launcher
/// (kernels/core/launch_cuda.cuh) has the same members.

#include <string>
#include <utility>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/math/block_reduce.hpp"

namespace vitrum::exec {

struct HostLauncher {
  Space* space;  ///< where reductions send their result from; may be null for for_each alone

  /// f(i) for every i < n.
  template <class F>
  void for_each(long n, const F& f) const {
#pragma omp parallel for schedule(static) if (n > 8192)
    for (long i = 0; i < n; ++i) f(i);
  }

  /// The fixed-order reduction of `term` over n entries (W values each) into out[0..W) on the
  /// host: the passes write block results into the device scratch arrays `a` and `b` (each at
  /// least reduce_blocks(n) * W doubles), and the last block's W values are copied to the host
  /// (recorded under `name`).
  template <int W, class Op, class Term>
  void reduce(long n, const Term& term, const Op& op, double* a, double* b, double* out,
              const std::string& name) const {
    if (n <= 0) {
      for (int k = 0; k < W; ++k) out[k] = Op::identity();
      return;
    }
    math::block_pass_host<W>(n, term, op, a);
    long m = math::reduce_blocks(n);
    while (m > 1) {
      math::block_pass_host<W>(m, math::PartialTerm<W>{a}, op, b);
      std::swap(a, b);
      m = math::reduce_blocks(m);
    }
    space->to_host(out, a, W * sizeof(double), name);
  }
};

}  // namespace vitrum::exec
