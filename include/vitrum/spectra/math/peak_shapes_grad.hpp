#pragma once
/// \file peak_shapes_grad.hpp
/// shape_value_and_grad: a component's value and its gradient with respect to (x0, F, A,
/// p[0..3]) (order and methods: peak_shapes.hpp). Included by peak_shapes.hpp.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"

namespace vitrum::spectra::math {

/// Central-difference gradient of shape_value over every parameter the kind uses.
VITRUM_HD double shape_value_and_grad_fd(ShapeKind kind, const ShapeParams& s, double x,
                                         double grad[kShapeGradSize]) {
  using std::fabs;
  using std::fmax;
  const double v = shape_value(kind, s, x);
  const double hw = 1e-5 * fmax(s.fwhm, 1e-3);
  ShapeParams a = s, b = s;
  a.position += hw;
  b.position -= hw;
  grad[0] = (shape_value(kind, a, x) - shape_value(kind, b, x)) / (2.0 * hw);
  a = s;
  b = s;
  a.fwhm += hw;
  b.fwhm -= hw;
  grad[1] = (shape_value(kind, a, x) - shape_value(kind, b, x)) / (2.0 * hw);
  grad[2] =
      s.area != 0.0 ? v / s.area : shape_unit_value<double>(kind, x - s.position, s.fwhm, s.p);
  const int np = shape_param_count(kind);
  for (int i = 0; i < 4; ++i) {
    grad[3 + i] = 0.0;
    if (i >= np) continue;
    // eV-valued: Voigt f_L, DS f_G. Dimensionless: α, β, m, n.
    const bool ev =
        (kind == ShapeKind::Voigt && i == 0) || (kind == ShapeKind::DoniachSunjicGauss && i == 1);
    double h = ev ? hw : 1e-5 * fmax(fabs(s.p[i]), 1.0);
    a = s;
    b = s;
    a.p[i] += h;
    b.p[i] -= h;
    // Stay inside the domain at a lower bound (one-sided difference there).
    if (!shape_params_valid(kind, b)) {
      b = s;
      grad[3 + i] = (shape_value(kind, a, x) - v) / h;
      continue;
    }
    if (!shape_params_valid(kind, a)) {
      grad[3 + i] = (v - shape_value(kind, b, x)) / h;
      continue;
    }
    grad[3 + i] = (shape_value(kind, a, x) - shape_value(kind, b, x)) / (2.0 * h);
  }
  return v;
}

/// Value of a component at x (counts/eV) and its gradient grad[kShapeGradSize] with respect
/// to (x0, F, A, p[0], p[1], p[2], p[3]); entries of unused p[] are 0.
VITRUM_HD double shape_value_and_grad(ShapeKind kind, const ShapeParams& s, double x,
                                      double grad[kShapeGradSize]) {
  const double u = x - s.position;
  double g, d[3];
  switch (kind) {
    case ShapeKind::Gaussian:
    case ShapeKind::Lorentzian:
    case ShapeKind::PseudoVoigt:
      pv_family_grad(kind, u, s.fwhm, s.p[0], g, d);
      break;
    case ShapeKind::GL:
    case ShapeKind::SGL:
      casa_gl_grad(kind == ShapeKind::SGL, u, s.fwhm, s.p[0], g, d);
      break;
    default:
      return shape_value_and_grad_fd(kind, s, x, grad);
  }
  grad[0] = s.area * d[0];
  grad[1] = s.area * d[1];
  grad[2] = g;
  grad[3] = shape_param_count(kind) > 0 ? s.area * d[2] : 0.0;
  grad[4] = grad[5] = grad[6] = 0.0;
  return s.area * g;
}

}  // namespace vitrum::spectra::math
