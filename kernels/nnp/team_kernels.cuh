#pragma once
/// \file team_kernels.cuh
/// The CUDA shells of the team (warp per centre atom) NNP kernels: each warp carves its slice of
/// dynamic shared memory and runs the single-source team functions of team_sf.hpp /
/// team_sf_grad.hpp (which the CPU emulator tests against n2p2); plus the fixed-order device
/// reduction of the per-atom virial. Included by evaluator.cu and device_evaluator.cu (the
/// non-template kernel has internal linkage, so each gets its own).

#include "vitrum/nnp/math/team_sf_grad.hpp"

namespace vitrum::nnp {

/// Where an atom's G and dE/dG rows live: element per shell entry, row in the element's batch,
/// offset of each element's block.
struct TeamRows {
  const int* elem;
  const int* row;
  const long* g_off;
};

struct TeamLaunch {
  int cap;           ///< staged neighbors per warp (the chunk's longest list)
  long stage_bytes;  ///< shared memory per warp
  int warps;         ///< warps per block
};

template <typename T>
__device__ TeamStage<T> warp_stage(const TeamLaunch& t, int ne, int nslots, bool grad) {
  extern __shared__ double team_smem[];
  auto* base = reinterpret_cast<unsigned char*>(team_smem) + (threadIdx.x >> 5) * t.stage_bytes;
  return carve_stage<T>(base, t.cap, ne, nslots, grad);
}

template <typename T>
__global__ void team_sf_kernel(SfPlanView p, TeamInputs in, TeamRows L, int c0, int c1,
                               TeamLaunch t, T* G, double* dmin) {
  const int i = c0 + blockIdx.x * t.warps + static_cast<int>(threadIdx.x >> 5);
  if (i >= c1) return;  // whole warps leave together
  TeamStage<T> s = warp_stage<T>(t, p.n_elements, p.max_slots, false);
  const int e = L.elem[i];
  team_atom_sf<T>(WarpTeam{static_cast<int>(threadIdx.x & 31)}, p, in, i, s,
                  G + L.g_off[e] + (long)L.row[i] * p.elem_n_sf[e], dmin + i);
}

template <typename T>
__global__ void team_gradient_kernel(SfPlanView p, TeamInputs in, TeamRows L, int c0, int c1,
                                     long base, TeamLaunch t, const T* dEdG, Vec3* grad,
                                     double* virial) {
  const int i = c0 + blockIdx.x * t.warps + static_cast<int>(threadIdx.x >> 5);
  if (i >= c1) return;
  TeamStage<T> s = warp_stage<T>(t, p.n_elements, p.max_slots, true);
  const int e = L.elem[i];
  team_atom_gradient<T>(WarpTeam{static_cast<int>(threadIdx.x & 31)}, p, in, i, s,
                        dEdG + L.g_off[e] + (long)L.row[i] * p.elem_n_sf[e], grad, base,
                        virial + 9L * i);
}

// Column sums of an n x 9 row-major array in a fixed order: block b sums rows b*256 + t,
// strided by the grid, then a shared-memory tree; out[9 b + x]. Run twice (grid, then one block)
// for the total: deterministic for a fixed grid size.
constexpr int kReduceThreads = 256;
constexpr int kReduceBlocks = 120;
static __global__ void virial_reduce_kernel(long n, const double* v, double* out) {
  __shared__ double buf[kReduceThreads];
  for (int x = 0; x < 9; ++x) {
    double acc = 0;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n;
         i += (long)gridDim.x * blockDim.x)
      acc += v[9 * i + x];
    buf[threadIdx.x] = acc;
    __syncthreads();
    for (int o = blockDim.x / 2; o > 0; o /= 2) {
      if ((int)threadIdx.x < o) buf[threadIdx.x] += buf[threadIdx.x + o];
      __syncthreads();
    }
    if (threadIdx.x == 0) out[9L * blockIdx.x + x] = buf[0];
    __syncthreads();
  }
}

}  // namespace vitrum::nnp
