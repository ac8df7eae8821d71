#pragma once
/// \file team.hpp
/// Teams of lanes that cooperate on one centre atom, written so that the cooperative kernels
/// (team_sf.hpp) are single source for a GPU warp and for a CPU emulator of it.
///
/// A team offers:
///   - `size`: number of lanes (a power of two, at most kMaxTeam);
///   - `each(f)`: runs f(lane) for every lane. On the GPU each thread runs its own lane, then
///     the warp synchronizes (shared-memory writes of the step become visible); the emulator runs
///     the lanes one after another;
///   - `Var<V>`: a per-lane value ("a register"): `v[lane]`. On the GPU it holds one value, in
///     the emulator one value per lane;
///   - `sum(v)` / `min(v)`: the team-wide reduction, in the fixed butterfly order of
///     __shfl_xor_sync (offsets size/2, ..., 1); every lane gets the same bits;
///   - `ballot(pred)`: the bit mask of the lanes whose pred(lane) is true.
/// Code between team calls is uniform: every lane computes the same values.

#include <cstdint>

#include "vitrum/core/hd.hpp"

namespace vitrum::nnp {

constexpr int kMaxTeam = 32;

VITRUM_HD int popcount32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __popc(x);
#else
  return __builtin_popcount(x);
#endif
}

/// Bits of the lanes below `lane` (the CUDA lanemask_lt).
VITRUM_HD uint32_t lanes_below(int lane) {
  return lane >= 32 ? 0xffffffffu : ((1u << lane) - 1u);
}

/// The butterfly reduction of v[0..size) in place, as the xor shuffles of a warp compute it:
/// at offset o, lane l takes v[l] op v[l ^ o]. Returns lane 0's result (all lanes agree).
template <typename V, typename Op>
inline V butterfly_reduce(V* v, int size, Op op) {
  for (int o = size / 2; o > 0; o /= 2) {
    V next[kMaxTeam]{};
    for (int l = 0; l < size; ++l) next[l] = op(v[l], v[l ^ o]);
    for (int l = 0; l < size; ++l) v[l] = next[l];
  }
  return v[0];
}

/// The CPU emulator of a team: lanes run one after another; reductions follow the warp's
/// butterfly order exactly.
struct EmulatedTeam {
  int size;  ///< 1, 2, 4, 8, 16 or 32
  template <typename V>
  struct Var {
    V v[kMaxTeam]{};
    V& operator[](int l) { return v[l]; }
    const V& operator[](int l) const { return v[l]; }
  };
  template <typename F>
  void each(F&& f) const {
    for (int l = 0; l < size; ++l) f(l);
  }
  template <typename V>
  V sum(const Var<V>& x) const {
    V v[kMaxTeam]{};
    for (int l = 0; l < size; ++l) v[l] = x.v[l];
    return butterfly_reduce(v, size, [](V a, V b) { return a + b; });
  }
  template <typename V>
  V min(const Var<V>& x) const {
    V v[kMaxTeam]{};
    for (int l = 0; l < size; ++l) v[l] = x.v[l];
    return butterfly_reduce(v, size, [](V a, V b) { return b < a ? b : a; });
  }
  template <typename F>
  uint32_t ballot(F&& pred) const {
    uint32_t m = 0;
    for (int l = 0; l < size; ++l)
      if (pred(l)) m |= 1u << l;
    return m;
  }
};

#if defined(__CUDACC__)
/// One warp of 32 threads. Only meaningful in device code (the host bodies are never run).
struct WarpTeam {
  static constexpr int size = 32;
  int lane;
  template <typename V>
  struct Var {
    V v;
    __host__ __device__ V& operator[](int) { return v; }
    __host__ __device__ const V& operator[](int) const { return v; }
  };
  template <typename F>
  __host__ __device__ void each(F&& f) const {
#if defined(__CUDA_ARCH__)
    f(lane);
    __syncwarp();
#endif
  }
  template <typename V>
  __host__ __device__ V sum(const Var<V>& x) const {
    V v = x.v;
#if defined(__CUDA_ARCH__)
    for (int o = size / 2; o > 0; o /= 2) v = v + __shfl_xor_sync(0xffffffffu, v, o);
#endif
    return v;
  }
  template <typename V>
  __host__ __device__ V min(const Var<V>& x) const {
    V v = x.v;
#if defined(__CUDA_ARCH__)
    for (int o = size / 2; o > 0; o /= 2) {
      const V w = __shfl_xor_sync(0xffffffffu, v, o);
      v = w < v ? w : v;
    }
#endif
    return v;
  }
  template <typename F>
  __host__ __device__ uint32_t ballot(F&& pred) const {
#if defined(__CUDA_ARCH__)
    return __ballot_sync(0xffffffffu, pred(lane));
#else
    return pred(lane) ? 1u : 0u;
#endif
  }
};
#endif

}  // namespace vitrum::nnp
