#pragma once
/// \file backgrounds.hpp
/// XPS backgrounds on one spectrum, written once for host and device (VITRUM_HD): linear,
/// Shirley (iterated Proctor–Sherwood and "active"), Tougaard with the universal two- and
/// three-parameter cross-sections, and the CasaXPS end-point averaging. Formulas:
/// docs/xps-lineshapes.md.
///
/// Conventions: x[0..n) ascending binding energies (eV), y the intensities; a region is the
/// inclusive channel range [i0, i1] (0 ≤ i0 < i1 < n). End-point intensities are the mean of
/// the `avg_width` channels centred on the end channel (clipped to the data; avg_width ≤ 1: the
/// channel itself), as CasaXPS's "Av. Width" (odd widths centre exactly; an even width w takes
/// w/2 channels on either side, i.e. w + 1 channels). The background is computed on the region
/// and continued as a constant (its end values) outside it. No allocation: callers pass `work`
/// buffers of n doubles. No exceptions: status codes.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::spectra::math {

/// Outcome of an iterated background.
enum class BgStatus : int {
  Ok = 0,              ///< converged (or a closed-form background)
  IterationLimit = 1,  ///< Shirley: max iterations reached (the last iterate is returned)
  LinearFallback = 2,  ///< Shirley: ∫(I − B) ≤ 0 over the region (no step): linear background
  BadRegion = 3,       ///< i0/i1 out of range or i1 ≤ i0; out is left untouched
};

/// Universal inelastic cross-section F(T) = B T / ((C − c' T²)² + D T²), T ≥ 0 the energy loss
/// (eV). Two-parameter ("U 2 Tougaard"): c' = −1, D = 0 gives B T/(C + T²)², the classic
/// B = 2866 eV², C = 1643 eV². Three-parameter ("U 3 Tougaard"): c' = 1, e.g. C = 551 eV²,
/// D = 436 eV² for polymers/oxides. B scales the background.
struct TougaardCrossSection {
  double B = 2866.0;    ///< eV² (ignored by tougaard_background's MatchEnd mode)
  double C = 1643.0;    ///< eV²
  double D = 0.0;       ///< eV²
  int three_param = 0;  ///< 0: B T/(C + T²)²;  1: B T/((C − T²)² + D T²)
};

/// F(T) (1/eV) of a cross-section; 0 for T ≤ 0.
VITRUM_HD double tougaard_kernel(const TougaardCrossSection& k, double T) {
  if (!(T > 0)) return 0.0;
  const double T2 = T * T;
  const double q = k.three_param ? k.C - T2 : k.C + T2;
  return k.B * T / (q * q + (k.three_param ? k.D * T2 : 0.0));
}

/// Mean of `width` channels centred on channel i (see the file comment), clipped to [0, n).
VITRUM_HD double endpoint_average(const double* y, int n, int i, int width) {
  const int half = width > 1 ? width / 2 : 0;
  int a = i - half, b = i + half;
  if (a < 0) a = 0;
  if (b > n - 1) b = n - 1;
  double s = 0;
  for (int j = a; j <= b; ++j) s += y[j];
  return s / (b - a + 1);
}

/// Continues out[i0..i1] as constants outside the region.
VITRUM_HD void extend_constant(double* out, int n, int i0, int i1) {
  for (int i = 0; i < i0; ++i) out[i] = out[i0];
  for (int i = i1 + 1; i < n; ++i) out[i] = out[i1];
}

VITRUM_HD bool region_ok(int n, int i0, int i1) {
  return i0 >= 0 && i1 < n && i1 > i0;
}

/// Straight line through (x[i0], y_lo) and (x[i1], y_hi), constant outside.
VITRUM_HD BgStatus linear_background(const double* x, int n, int i0, int i1, double y_lo,
                                     double y_hi, double* out) {
  if (!region_ok(n, i0, i1)) return BgStatus::BadRegion;
  const double slope = (y_hi - y_lo) / (x[i1] - x[i0]);
  for (int i = i0; i <= i1; ++i) out[i] = y_lo + slope * (x[i] - x[i0]);
  extend_constant(out, n, i0, i1);
  return BgStatus::Ok;
}

/// Cumulative trapezoid Q[i] = ∫_{x[i0]}^{x[i]} f dx over the region (Q[i0] = 0).
VITRUM_HD void cumulative_trapezoid(const double* x, const double* f, int i0, int i1, double* Q) {
  Q[i0] = 0.0;
  for (int i = i0 + 1; i <= i1; ++i) Q[i] = Q[i - 1] + 0.5 * (f[i] + f[i - 1]) * (x[i] - x[i - 1]);
}

/// "Active" Shirley from a model's peak sum P (no inner iteration):
///   B(E) = y_lo + (y_hi − y_lo) ∫_{E_lo}^{E} P / ∫_{E_lo}^{E_hi} P   (cumulative trapezoid).
/// With ∫ P ≤ 0 it returns the linear background (LinearFallback). work: n doubles.
VITRUM_HD BgStatus shirley_active(const double* x, const double* peaks, int n, int i0, int i1,
                                  double y_lo, double y_hi, double* out, double* work) {
  if (!region_ok(n, i0, i1)) return BgStatus::BadRegion;
  cumulative_trapezoid(x, peaks, i0, i1, work);
  const double total = work[i1];
  if (!(total > 0)) {
    linear_background(x, n, i0, i1, y_lo, y_hi, out);
    return BgStatus::LinearFallback;
  }
  const double k = (y_hi - y_lo) / total;
  for (int i = i0; i <= i1; ++i) out[i] = y_lo + k * work[i];
  extend_constant(out, n, i0, i1);
  return BgStatus::Ok;
}

/// Iterated (Proctor–Sherwood) Shirley: B₀ = y_lo; B_{k+1}(E) = y_lo + (y_hi − y_lo) Q_k(E) /
/// Q_k(E_hi), Q_k(E) = ∫_{E_lo}^{E} (y − B_k) (cumulative trapezoid), until
/// max|B_{k+1} − B_k| ≤ tol · max(|y_hi − y_lo|, tiny). Returns the status; *iterations (may be
/// null) the number of updates. work: 2n doubles.
VITRUM_HD BgStatus shirley_iterated(const double* x, const double* y, int n, int i0, int i1,
                                    double y_lo, double y_hi, int max_iter, double tol, double* out,
                                    double* work, int* iterations) {
  using std::fabs;
  if (!region_ok(n, i0, i1)) return BgStatus::BadRegion;
  double* diff = work;
  double* Q = work + n;
  for (int i = i0; i <= i1; ++i) out[i] = y_lo;
  const double scale = fabs(y_hi - y_lo) > 1e-300 ? fabs(y_hi - y_lo) : 1e-300;
  BgStatus status = BgStatus::IterationLimit;
  int it = 0;
  for (; it < max_iter; ++it) {
    for (int i = i0; i <= i1; ++i) diff[i] = y[i] - out[i];
    cumulative_trapezoid(x, diff, i0, i1, Q);
    if (!(Q[i1] > 0)) {
      linear_background(x, n, i0, i1, y_lo, y_hi, out);
      if (iterations) *iterations = it;
      return BgStatus::LinearFallback;
    }
    const double k = (y_hi - y_lo) / Q[i1];
    double change = 0;
    for (int i = i0; i <= i1; ++i) {
      const double b = y_lo + k * Q[i];
      change = fabs(b - out[i]) > change ? fabs(b - out[i]) : change;
      out[i] = b;
    }
    if (change <= tol * scale) {
      status = BgStatus::Ok;
      ++it;
      break;
    }
  }
  if (iterations) *iterations = it;
  extend_constant(out, n, i0, i1);
  return status;
}

/// Tougaard integral of the piecewise-linear interpolant ŷ of (y − y_lo) over the region:
///   S(E_i) = ∫_{E_lo}^{E_i} F(E_i − E') [ŷ(E') − y_lo] dE'   with F's B set to 1,
/// each channel interval integrated with 5-point Gauss–Legendre (F is smooth on the scale of a
/// channel: √C ≈ 40 eV). O(N²). S has S[i0] = 0; out receives S over the region only.
VITRUM_HD void tougaard_integral(const double* x, const double* y, int i0, int i1, double y_lo,
                                 TougaardCrossSection k, double* S) {
  constexpr double gx[5] = {-0.90617984593866399, -0.53846931010568309, 0.0, 0.53846931010568309,
                            0.90617984593866399};
  constexpr double gw[5] = {0.23692688505618909, 0.47862867049936647, 0.56888888888888889,
                            0.47862867049936647, 0.23692688505618909};
  k.B = 1.0;
  for (int i = i0; i <= i1; ++i) {
    double s = 0;
    for (int j = i0; j < i; ++j) {
      const double a = x[j], b = x[j + 1], h = 0.5 * (b - a), m = 0.5 * (a + b);
      const double ya = y[j] - y_lo, yb = y[j + 1] - y_lo;
      double part = 0;
      for (int q = 0; q < 5; ++q) {
        const double e = m + h * gx[q];
        const double t = (e - a) / (b - a);
        part += gw[q] * tougaard_kernel(k, x[i] - e) * (ya + t * (yb - ya));
      }
      s += part * h;
    }
    S[i] = s;
  }
}

/// How tougaard_background scales the cross-section.
enum class TougaardScale : int {
  Fixed = 0,     ///< B as given: background = y_lo + B·S
  MatchEnd = 1,  ///< B chosen so the background meets y_hi at E_hi: B = (y_hi − y_lo)/S(E_hi)
};

/// Tougaard background y_lo + B·S(E) (tougaard_integral), constant outside the region. In
/// MatchEnd mode *B_used (may be null) receives the fitted B; S(E_hi) ≤ 0 gives the linear
/// background and LinearFallback.
VITRUM_HD BgStatus tougaard_background(const double* x, const double* y, int n, int i0, int i1,
                                       double y_lo, double y_hi, const TougaardCrossSection& k,
                                       TougaardScale mode, double* out, double* B_used) {
  if (!region_ok(n, i0, i1)) return BgStatus::BadRegion;
  tougaard_integral(x, y, i0, i1, y_lo, k, out);
  double B = k.B;
  if (mode == TougaardScale::MatchEnd) {
    if (!(out[i1] > 0)) {
      linear_background(x, n, i0, i1, y_lo, y_hi, out);
      return BgStatus::LinearFallback;
    }
    B = (y_hi - y_lo) / out[i1];
  }
  if (B_used) *B_used = B;
  for (int i = i0; i <= i1; ++i) out[i] = y_lo + B * out[i];
  extend_constant(out, n, i0, i1);
  return BgStatus::Ok;
}

}  // namespace vitrum::spectra::math
