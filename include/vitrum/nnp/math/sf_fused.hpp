#pragma once
/// \file sf_fused.hpp
/// Fused angular terms ("runs") of the (1 + lambda cos)^zeta kind, shared by the CPU path and the
/// legacy CUDA kernels through symmetry_function.hpp. A run is a sequence of angular terms of one
/// pair group with the same distance-function slot, the same r_jk function (or none) and the same
/// weighting, each with lambda = ±1 and an integer zeta <= kRunMaxDegree (n2p2's types 3, 9, 13
/// as potentials use them: SiO2-BKS has runs of 4 terms, zeta 1 and 4, lambda ±1). For a run
///   - the SF pass needs, per pair block, the power sums S±_q = sum_k [1 ± c_k > 0] (1 ± c_k)^q u_k
///     (u_k the neighbor factor): one pass over the block for all terms of the run;
///   - the gradient pass needs A(c) = sum_t w_t 2^{1-zeta_t} (1 + lambda_t c)^{zeta_t} and dA/dc:
///     two polynomials (one per sign of lambda) evaluated by Horner's rule with their derivative,
///     so the block's per-pair accumulators are read and written once per run instead of once per
///     term.
/// The clamp of the generic angular factor (zero where 1 + lambda cos <= 0) is kept per sign.
/// Same formulas as PowAngle (symmetry_function.hpp), summed in a different order: the results
/// agree with the generic path to rounding (NnpFusedRuns tests).

#include "vitrum/core/hd.hpp"

namespace vitrum::nnp {

#if defined(_OPENMP) && !defined(__CUDACC__)
#define VITRUM_PRAGMA(x) _Pragma(#x)
#define VITRUM_SIMD VITRUM_PRAGMA(omp simd)
#define VITRUM_SIMD_SUM(...) VITRUM_PRAGMA(omp simd reduction(+ : __VA_ARGS__))
#else
#define VITRUM_SIMD
#define VITRUM_SIMD_SUM(...)
#endif

// Full unrolling of the short fixed-count loops over polynomial degrees.
#if defined(__CUDACC__)
#define VITRUM_UNROLL_POLY _Pragma("unroll")
#else
#define VITRUM_UNROLL_POLY _Pragma("GCC unroll 16")
#endif

/// Largest integer zeta of a fused run (the Horner polynomials have kRunMaxDegree + 1 terms).
constexpr int kRunMaxDegree = 16;

template <typename T, int D>
VITRUM_HD void run_power_sums_t(int k0, int k1, const T* c, const T* u, T* sp, T* sm) {
  T S[2 * D + 2] = {};
  VITRUM_SIMD_SUM(S[:2 * D + 2])
  for (int k = k0; k < k1; ++k) {
    const T x = T(1) + c[k], y = T(1) - c[k];
    T px = x > T(0) ? u[k] : T(0), py = y > T(0) ? u[k] : T(0);
    VITRUM_UNROLL_POLY
    for (int q = 1; q <= D; ++q) {
      px *= x;
      py *= y;
      S[q] += px;
      S[D + 1 + q] += py;
    }
  }
  for (int q = 0; q <= D; ++q) {
    sp[q] = S[q];
    sm[q] = S[D + 1 + q];
  }
}

/// sp[q] = sum_k [1 + c_k > 0] (1 + c_k)^q u_k, sm[q] the same with 1 - c_k, q = 1..deg (deg a
/// power of two <= kRunMaxDegree; entries 0 and above deg are left as they are).
template <typename T>
VITRUM_HD void run_power_sums(int deg, int k0, int k1, const T* c, const T* u, T* sp, T* sm) {
  switch (deg) {
    case 1:
      return run_power_sums_t<T, 1>(k0, k1, c, u, sp, sm);
    case 2:
      return run_power_sums_t<T, 2>(k0, k1, c, u, sp, sm);
    case 4:
      return run_power_sums_t<T, 4>(k0, k1, c, u, sp, sm);
    case 8:
      return run_power_sums_t<T, 8>(k0, k1, c, u, sp, sm);
    default:
      return run_power_sums_t<T, 16>(k0, k1, c, u, sp, sm);
  }
}

/// The partial derivatives of one run's contribution at the pairs [k0, k1) of a block, added to
/// ak (d/dr_ik through R(r_ik)), ajk (d/dr_jk, narrow runs) and ac (d/dcos); returns
/// sum_k A v_k jv_k W_k (the r_ij factor's partner sum). cp/cm: coefficients of the two
/// polynomials in (1 + c) and (1 - c), degree D; F: Z_j for weighted runs, else 1.
template <typename T, int D, bool NARROW>
VITRUM_HD T run_gradient_t(int k0, int k1, const T* cp, const T* cm, T vj, T F, const T* c,
                           const T* v, const T* dv, const T* jv, const T* jd, const T* wz, T* ak,
                           T* ajk, T* ac) {
  T ajs = T(0);
  VITRUM_SIMD_SUM(ajs)
  for (int k = k0; k < k1; ++k) {
    const T x = T(1) + c[k], y = T(1) - c[k];
    T ap = cp[D], dp = T(0), am = cm[D], dm = T(0);
    VITRUM_UNROLL_POLY
    for (int q = D - 1; q >= 0; --q) {
      dp = dp * x + ap;
      ap = ap * x + cp[q];
      dm = dm * y + am;
      am = am * y + cm[q];
    }
    const T A = (x > T(0) ? ap : T(0)) + (y > T(0) ? am : T(0));
    const T dA = (x > T(0) ? dp : T(0)) - (y > T(0) ? dm : T(0));
    const T W = F * wz[k];
    const T jvk = NARROW ? jv[k] : T(1);
    const T avj = A * vj * W;
    ajs += A * v[k] * jvk * W;
    ak[k] += avj * dv[k] * jvk;
    if constexpr (NARROW) ajk[k] += avj * v[k] * jd[k];
    ac[k] += dA * vj * v[k] * jvk * W;
  }
  return ajs;
}

template <typename T, bool NARROW>
VITRUM_HD T run_gradient_n(int deg, int k0, int k1, const T* cp, const T* cm, T vj, T F, const T* c,
                           const T* v, const T* dv, const T* jv, const T* jd, const T* wz, T* ak,
                           T* ajk, T* ac) {
  switch (deg) {
    case 1:
      return run_gradient_t<T, 1, NARROW>(k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk, ac);
    case 2:
      return run_gradient_t<T, 2, NARROW>(k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk, ac);
    case 4:
      return run_gradient_t<T, 4, NARROW>(k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk, ac);
    case 8:
      return run_gradient_t<T, 8, NARROW>(k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk, ac);
    default:
      return run_gradient_t<T, 16, NARROW>(k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk,
                                           ac);
  }
}

/// run_gradient_t dispatched on the run's degree (a power of two) and on its r_jk factor.
template <typename T>
VITRUM_HD T run_gradient(int deg, bool narrow, int k0, int k1, const T* cp, const T* cm, T vj, T F,
                         const T* c, const T* v, const T* dv, const T* jv, const T* jd, const T* wz,
                         T* ak, T* ajk, T* ac) {
  if (narrow)
    return run_gradient_n<T, true>(deg, k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk, ac);
  return run_gradient_n<T, false>(deg, k0, k1, cp, cm, vj, F, c, v, dv, jv, jd, wz, ak, ajk, ac);
}

}  // namespace vitrum::nnp
