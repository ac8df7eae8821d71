#pragma once
/// \file shared_exp.hpp
/// The Gaussians exp(-eta (r - r_s)^2) of several distance functions with the same r_s and
/// cutoff, evaluated at the same distances, with fewer exponentials: when eta = m eta_b for an
/// earlier function b of the same rows (m an integer >= 2, to 4 ulp), exp(-eta x) =
/// exp(-eta_b x)^m by binary powering (a few multiplications and selects per value instead of a
/// vector exp). The n2p2 water potentials: radial etas 0.001, 0.01, 0.03, 0.06 (r_s = 0) become
/// one exp and three powers (m = 10, 3, 2); the r_jk functions of a type-3 pair group, etas 0.01,
/// 0.03, 0.07, 0.2, one exp and three powers (m = 3, 7, 20; in double, see the cap below).
///
/// Accuracy (relative to exp of the same argument): a power whose chain of bases multiplies the
/// root exponential's eta by A (A = eta / eta_root <= max_exp_amplification<T>()) has relative
/// error at most A d + (A - 1) u to first order (d: the root exp's relative error; u: unit
/// roundoff; the m - 1 multiplications of x^m expanded as a tree each add <= u), plus the rounding
/// of the exponent itself (<= ~2 u eta (r - r_s)^2, as for the direct exp). For double and A <= 128
/// that is <= ~7e-14 relative, in float (A <= 16) <= ~5e-6; the SharedExp tests assert the bound.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/nnp/math/sf_fused.hpp"  // VITRUM_SIMD, VITRUM_UNROLL_POLY

namespace vitrum::nnp {

/// Largest integer multiple that exp_multiple accepts (power_row handles m < 256).
constexpr int kMaxExpMultiple = 128;
/// Largest product A of the multipliers along a chain of shared exponentials in T: the added
/// relative error (5 A + 1) u is then <= 7.1e-14 in double (A <= 128) and <= 4.9e-6 in float
/// (A <= 16: the size of float's own exponent rounding, 4 u x, at x = eta (r - rs)^2 ~ 20).
template <typename T>
VITRUM_HD constexpr int max_exp_amplification() {
  return sizeof(T) >= 8 ? 128 : 16;
}
/// Rows of one cutoff run that may share (later rows always call exp); bases are searched among
/// the kExpBaseWindow rows before a row (the plan sorts rows by (r_s, eta) within a cutoff).
constexpr int kMaxSharedRows = 64;
constexpr int kExpBaseWindow = 8;

/// The integer m in [2, kMaxExpMultiple] with eta == m eta_b to 4 ulp of eta, or 0.
VITRUM_HD int exp_multiple(double eta, double eta_b) {
  if (!(eta_b > 0.0) || !(eta > 1.5 * eta_b)) return 0;
  const double q = eta / eta_b;
  if (!(q < kMaxExpMultiple + 0.5)) return 0;
  const int m = static_cast<int>(q + 0.5);
  const double tol = 4.0 * 2.220446049250313e-16 * eta;
  return fabs(eta - m * eta_b) <= tol ? m : 0;
}

/// For rows [0, nf) of Gaussian distance functions fns[idx[a]] sharing a cutoff: base[a] = the
/// row whose Gaussian to the power m[a] gives row a's (nearest earlier row with the same rs and
/// an integer eta ratio, chain multiplier <= max_exp_amplification<T>), or -1 (exp). nf is
/// clipped to kMaxSharedRows by the caller (later rows use exp).
template <typename T, typename Fn>
VITRUM_HD void shared_exp_bases(const Fn* fns, const int* idx, int nf, int* base, int* m) {
  int amp[kMaxSharedRows];
  for (int a = 0; a < nf; ++a) {
    const Fn f = fns[idx[a]];
    base[a] = -1;
    m[a] = 1;
    const int b0 = a > kExpBaseWindow ? a - kExpBaseWindow : 0;
    for (int b = a - 1; b >= b0 && base[a] < 0; --b) {  // nearest first: largest eta_b, least m
      if (fns[idx[b]].rs != f.rs) continue;
      const int mb = exp_multiple(f.eta, fns[idx[b]].eta);
      if (mb >= 2 && amp[b] * mb <= max_exp_amplification<T>()) {
        base[a] = b;
        m[a] = mb;
      }
    }
    amp[a] = base[a] >= 0 ? amp[base[a]] * m[a] : 1;
  }
}

/// out[k] = b[k]^m, 2^(NB-1) <= m < 2^NB, by binary powering (uniform m: selects only).
template <typename T, int NB>
VITRUM_HD void power_row_t(int n, const T* b, int m, T* out) {
  VITRUM_SIMD
  for (int k = 0; k < n; ++k) {
    T x = b[k];
    T p = (m & 1) ? x : T(1);
    VITRUM_UNROLL_POLY
    for (int bit = 1; bit < NB; ++bit) {
      x = x * x;
      p = ((m >> bit) & 1) ? p * x : p;
    }
    out[k] = p;
  }
}

/// out[k] = b[k]^m for 2 <= m <= 255.
template <typename T>
VITRUM_HD void power_row(int n, const T* b, int m, T* out) {
  if (m < 4)
    power_row_t<T, 2>(n, b, m, out);
  else if (m < 8)
    power_row_t<T, 3>(n, b, m, out);
  else if (m < 16)
    power_row_t<T, 4>(n, b, m, out);
  else if (m < 32)
    power_row_t<T, 5>(n, b, m, out);
  else if (m < 64)
    power_row_t<T, 6>(n, b, m, out);
  else if (m < 128)
    power_row_t<T, 7>(n, b, m, out);
  else
    power_row_t<T, 8>(n, b, m, out);
}

/// The raw Gaussians of rows [0, nf) of Gaussian distance functions fns[idx[a]] sharing a cutoff
/// at the n distances r: g[a * stride + k] = exp(-eta_a (r_k - rs_a)^2), by exp or as a power of
/// an earlier row (shared_exp_bases). The caller multiplies by the cutoff.
template <typename T, typename Fn>
VITRUM_HD void gaussian_rows(const Fn* fns, const int* idx, int nf, int n, const T* r, T* g,
                             long stride) {
  int base[kMaxSharedRows], m[kMaxSharedRows];
  const int ns = nf < kMaxSharedRows ? nf : kMaxSharedRows;
  shared_exp_bases<T>(fns, idx, ns, base, m);
  for (int a = 0; a < nf; ++a) {
    T* ga = g + a * stride;
    if (a < ns && base[a] >= 0) {
      power_row<T>(n, g + base[a] * stride, m[a], ga);
      continue;
    }
    const T eta = T(fns[idx[a]].eta), rs = T(fns[idx[a]].rs);
    VITRUM_SIMD
    for (int k = 0; k < n; ++k) {
      const T dr = r[k] - rs;
      ga[k] = exp(-eta * dr * dr);
    }
  }
}

}  // namespace vitrum::nnp
