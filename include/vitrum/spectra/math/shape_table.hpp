#pragma once
/// \file shape_table.hpp
/// A line shape tabulated in its reduced variable, for the polish (polish.hpp) of components
/// whose shape parameters are fixed. LA(α, β, m) and LA(α, β, m, n) are scale families in the
/// FWHM parameter F (the core is a function of u/F and the Gaussian FWHM is m·F/100), so with
/// α, β, m, n fixed the unit-area profile is
///   f(u; F) = g(u/F) / F,    u = x − x0,
/// and one table of g and g' serves every position and width of every spectrum:
///   ∂f/∂x0 = −g'(v)/F²,   ∂f/∂F = −(g(v) + v g'(v))/F²,   v = u/F.
/// g is interpolated by cubic Hermite polynomials between nodes v_i = −v_max + i·h holding g
/// and g' (measured interpolation error: shape_table_max_error() and the tests); |v| ≥ v_max
/// falls back to the direct evaluation (the caller's job: shape_table_eval returns false).
/// Host and device code (VITRUM_HD), but only the CPU driver builds tables.

#include "vitrum/core/hd.hpp"

namespace vitrum::spectra::math {

/// Non-owning view of one table.
struct ShapeTableView {
  const double* g = nullptr;   ///< [n] g(v_i)
  const double* dg = nullptr;  ///< [n] g'(v_i)
  double v_max = 0.0;          ///< nodes span [−v_max, v_max]
  double h = 0.0;              ///< node spacing
  int n = 0;                   ///< nodes (0: no table)
};

/// g(v) and g'(v) by cubic Hermite interpolation; false outside [−v_max, v_max) or without a
/// table (g and dg untouched then).
VITRUM_HD bool shape_table_eval(const ShapeTableView& t, double v, double& g, double& dg) {
  if (t.n < 2) return false;
  const double s = (v + t.v_max) / t.h;
  if (!(s >= 0.0) || !(s < static_cast<double>(t.n - 1))) return false;
  const int i = static_cast<int>(s);
  const double q = s - static_cast<double>(i), q2 = q * q, q3 = q2 * q;
  const double g0 = t.g[i], g1 = t.g[i + 1];
  const double m0 = t.dg[i] * t.h, m1 = t.dg[i + 1] * t.h;  // slopes per unit q
  const double h00 = 2.0 * q3 - 3.0 * q2 + 1.0, h10 = q3 - 2.0 * q2 + q;
  const double h01 = -2.0 * q3 + 3.0 * q2, h11 = q3 - q2;
  g = h00 * g0 + h10 * m0 + h01 * g1 + h11 * m1;
  const double d00 = 6.0 * q2 - 6.0 * q, d10 = 3.0 * q2 - 4.0 * q + 1.0;
  const double d01 = -d00, d11 = 3.0 * q2 - 2.0 * q;
  dg = (d00 * g0 + d10 * m0 + d01 * g1 + d11 * m1) / t.h;
  return true;
}

/// Value of a component A·g(v)/F and its gradient (x0, F, A; the shape parameters' entries set
/// to 0: they are fixed) from a table; false when v lies outside it.
VITRUM_HD bool shape_table_value_grad(const ShapeTableView& t, double x, double x0, double F,
                                      double A, double& value, double* grad) {
  const double inv_f = 1.0 / F, v = (x - x0) * inv_f;
  double g, dg;
  if (!shape_table_eval(t, v, g, dg)) return false;
  value = A * g * inv_f;
  if (grad != nullptr) {
    const double a2 = A * inv_f * inv_f;
    grad[0] = -a2 * dg;
    grad[1] = -a2 * (g + v * dg);
    grad[2] = g * inv_f;
    for (int k = 3; k < 7; ++k) grad[k] = 0.0;
  }
  return true;
}

}  // namespace vitrum::spectra::math
