#pragma once
/// \file peak_shapes.hpp
/// Every XPS line shape behind one switch, for host and device (VITRUM_HD): the value of a
/// component (counts/eV, scaled by its area) and its gradient with respect to every parameter.
/// Formulas and the CasaXPS definitions of position, FWHM and area: docs/xps-lineshapes.md;
/// the profiles themselves: lineshapes.hpp, faddeeva.hpp, casa_shapes.hpp.
///
/// ShapeParams: position x0 (eV, binding energy), fwhm F (eV), area A (counts·eV), and p[]:
///   Gaussian            —                        F = FWHM
///   Lorentzian          —                        F = FWHM
///   PseudoVoigt         p[0] = η ∈ [0, 1]        lmfit pvoigt: area mixing, shared FWHM F
///   Voigt               p[0] = f_L ≥ 0 (eV)      F = f_G, the Gaussian FWHM; f_L = 2γ the
///                                                Lorentzian FWHM (scipy voigt_profile(σ = f_G/
///                                                2.35482, γ = f_L/2)); f_G > 0
///   GL                  p[0] = m ∈ [0, 100]      CasaXPS GL(m), product form
///   SGL                 p[0] = m ∈ [0, 100]      CasaXPS SGL(m), sum form (height mixing)
///   DoniachSunjicGauss  p[0] = α ∈ [0, 1),       F = Lorentzian FWHM 2γ; area over |u| ≤ 10 F
///                       p[1] = f_G ≥ 0 (eV)      Gaussian FWHM of the convolution
///   LA                  p[0] = α > ½, p[1] = β > ½, p[2] = m ≥ 0   CasaXPS LA(α, β, m)
///   LA4                 as LA, p[3] = n ≥ 0      LA(α, β, m, n): high-BE tail stretched
/// Unused p[] entries are ignored. Invalid parameters give NaN (never an exception); check them
/// on the host with shape_params_valid() first.
///
/// Gradient order (kShapeGradSize = 7): ∂/∂x0, ∂/∂F, ∂/∂A, ∂/∂p[0..3]. Gaussian, Lorentzian,
/// PseudoVoigt, GL and SGL are analytic; Voigt, DoniachSunjicGauss, LA and LA4 use central
/// differences of shape_value with steps h = 1e-5·max(F, 1e-3) (x0, F, eV-valued p) and
/// 1e-5·max(|p|, 1) (dimensionless p), relative accuracy ~1e-9 (documented, deterministic).

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/spectra/math/casa_shapes.hpp"
#include "vitrum/spectra/math/faddeeva.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"

namespace vitrum::spectra::math {

/// The line shapes (values stored as int in files; do not reorder).
enum class ShapeKind : int {
  Gaussian = 0,
  Lorentzian = 1,
  PseudoVoigt = 2,
  Voigt = 3,
  GL = 4,
  SGL = 5,
  DoniachSunjicGauss = 6,
  LA = 7,
  LA4 = 8,
};

/// Number of ShapeKind values.
inline constexpr int kShapeKinds = 9;
/// Entries of a shape gradient: x0, F, A, p[0..3].
inline constexpr int kShapeGradSize = 7;

/// One line-shape component (see the file comment for p[] per kind).
struct ShapeParams {
  double position;  ///< x0 (eV)
  double fwhm;      ///< F (eV), the kind's width parameter
  double area;      ///< A (counts·eV)
  double p[4];      ///< shape-specific
};

/// Number of p[] entries `kind` uses.
VITRUM_HD int shape_param_count(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::Gaussian:
    case ShapeKind::Lorentzian:
      return 0;
    case ShapeKind::PseudoVoigt:
    case ShapeKind::Voigt:
    case ShapeKind::GL:
    case ShapeKind::SGL:
      return 1;
    case ShapeKind::DoniachSunjicGauss:
      return 2;
    case ShapeKind::LA:
      return 3;
    case ShapeKind::LA4:
      return 4;
  }
  return 0;
}

/// True when the parameters are inside the kind's domain (F > 0, finite, p ranges above).
VITRUM_HD bool shape_params_valid(ShapeKind kind, const ShapeParams& s) {
  using std::isfinite;
  if (!(isfinite(s.position) && isfinite(s.area) && s.fwhm > 0 && isfinite(s.fwhm))) return false;
  for (int i = 0; i < shape_param_count(kind); ++i)
    if (!isfinite(s.p[i])) return false;
  switch (kind) {
    case ShapeKind::PseudoVoigt:
      return s.p[0] >= 0 && s.p[0] <= 1;
    case ShapeKind::Voigt:
      return s.p[0] >= 0;
    case ShapeKind::GL:
    case ShapeKind::SGL:
      return s.p[0] >= 0 && s.p[0] <= 100;
    case ShapeKind::DoniachSunjicGauss:
      return s.p[0] >= 0 && s.p[0] < 1 && s.p[1] >= 0;
    case ShapeKind::LA:
      return s.p[0] > 0.5 && s.p[1] > 0.5 && s.p[2] >= 0;
    case ShapeKind::LA4:
      return s.p[0] > 0.5 && s.p[1] > 0.5 && s.p[2] >= 0 && s.p[3] >= 0;
    default:
      return true;
  }
}

/// A unit-area profile with its per-component constants computed once (normalisations, the
/// LA/DS cores, σ of the convolution), for evaluating many channels: prepare_shape() then
/// prepared_unit_value() per offset. shape_value() is exactly these two calls.
template <typename T>
struct PreparedShape {
  ShapeKind kind;
  T fwhm;
  T p0;        ///< η (PV), M = m/100 (GL, SGL)
  T sigma;     ///< Gaussian σ (Voigt, convolutions; ≤ 0: no convolution)
  T gamma;     ///< Voigt HWHM
  T inv_norm;  ///< GL, SGL: 1/(F · area per F of the height profile)
  LaCore<T> la;
  DsCore<T> ds;
};

template <typename T>
VITRUM_HD PreparedShape<T> prepare_shape(ShapeKind kind, T F, const T p[4]) {
  PreparedShape<T> r{};
  r.kind = kind;
  r.fwhm = F;
  r.p0 = p[0];
  switch (kind) {
    case ShapeKind::Voigt:
      r.sigma = sigma_from_fwhm(F);
      r.gamma = T(0.5) * p[0];
      break;
    case ShapeKind::GL:
      r.p0 = p[0] / T(100);
      r.inv_norm = T(1) / (F * gl_area_per_fwhm(r.p0));
      break;
    case ShapeKind::SGL:
      r.p0 = p[0] / T(100);
      r.inv_norm = T(1) / (F * sgl_area_per_fwhm(r.p0));
      break;
    case ShapeKind::DoniachSunjicGauss:
      r.ds = ds_core(F, p[0]);
      r.sigma = sigma_from_fwhm(p[1]);
      break;
    case ShapeKind::LA:
    case ShapeKind::LA4:
      r.la = la_core(F, p[0], p[1], kind == ShapeKind::LA4 ? p[3] : T(0));
      r.sigma = sigma_from_fwhm(p[2] * F / T(100));
      break;
    default:
      break;
  }
  return r;
}

/// Unit-area profile of a prepared shape at offset u = x − x0 (1/eV).
template <typename T>
VITRUM_HD T prepared_unit_value(const PreparedShape<T>& c, T u) {
  switch (c.kind) {
    case ShapeKind::Gaussian:
      return gaussian_pdf_fwhm(u, T(0), c.fwhm);
    case ShapeKind::Lorentzian:
      return lorentzian_pdf_fwhm(u, T(0), c.fwhm);
    case ShapeKind::PseudoVoigt:
      return pseudo_voigt_pdf(u, T(0), c.fwhm, c.p0);
    case ShapeKind::Voigt:
      return voigt_pdf(u, c.sigma, c.gamma);
    case ShapeKind::GL:
      return gl_height_profile(u, c.fwhm, c.p0) * c.inv_norm;
    case ShapeKind::SGL:
      return sgl_height_profile(u, c.fwhm, c.p0) * c.inv_norm;
    case ShapeKind::DoniachSunjicGauss:
      return gauss_convolve(c.ds, u, c.sigma, c.fwhm);
    case ShapeKind::LA:
    case ShapeKind::LA4:
      return gauss_convolve(c.la, u, c.sigma, c.fwhm);
  }
  return T(NAN);
}

/// Unit-area profile of `kind` at offset u = x − x0 (1/eV), in T = float or double.
template <typename T>
VITRUM_HD T shape_unit_value(ShapeKind kind, T u, T F, const T p[4]) {
  return prepared_unit_value(prepare_shape(kind, F, p), u);
}

/// Value of a component at x (counts/eV): A · profile(x − x0).
VITRUM_HD double shape_value(ShapeKind kind, const ShapeParams& s, double x) {
  return s.area * shape_unit_value<double>(kind, x - s.position, s.fwhm, s.p);
}

/// Single-precision evaluation of the same profile (offset and parameters rounded to float).
VITRUM_HD float shape_value_f(ShapeKind kind, const ShapeParams& s, double x) {
  const float p[4] = {float(s.p[0]), float(s.p[1]), float(s.p[2]), float(s.p[3])};
  return float(s.area) * shape_unit_value<float>(kind, float(x - s.position), float(s.fwhm), p);
}

/// Analytic gradient of the Gaussian/Lorentzian/pseudo-Voigt family (unit area) at offset u:
/// g and ∂g/∂x0, ∂g/∂F, ∂g/∂η (η ignored for pure kinds).
VITRUM_HD void pv_family_grad(ShapeKind kind, double u, double F, double eta, double& g,
                              double d[3]) {
  const double sigma = sigma_from_fwhm(F), gam = 0.5 * F;
  const double G = gaussian_pdf(u, 0.0, sigma);
  const double L = lorentzian_pdf(u, 0.0, gam);
  const double D = u * u + gam * gam;
  const double G_x0 = G * u / (sigma * sigma), G_F = G * (u * u / (sigma * sigma) - 1.0) / F;
  const double L_x0 = L * 2.0 * u / D, L_F = L * (u * u - gam * gam) / (D * F);
  const double wl = kind == ShapeKind::Lorentzian ? 1.0 : kind == ShapeKind::Gaussian ? 0.0 : eta;
  g = (1.0 - wl) * G + wl * L;
  d[0] = (1.0 - wl) * G_x0 + wl * L_x0;
  d[1] = (1.0 - wl) * G_F + wl * L_F;
  d[2] = kind == ShapeKind::PseudoVoigt ? L - G : 0.0;
}

/// Analytic gradient of unit-area SGL(m) or GL(m): g and ∂g/∂x0, ∂g/∂F, ∂g/∂m (m in percent).
VITRUM_HD void casa_gl_grad(bool sum_form, double u, double F, double m, double& g, double d[3]) {
  using std::exp;
  using std::sqrt;
  const double M = m / 100.0, v = u / F, v2 = v * v;
  const double Q = 1.0 / (1.0 + 4.0 * (sum_form ? 1.0 : M) * v2);
  double h, h_v2, h_M, I, I_M;  // height profile, ∂h/∂(v²), ∂h/∂M, area/F, ∂(area/F)/∂M
  if (sum_form) {
    const double E = exp(-kFourLn2 * v2);
    h = (1.0 - M) * E + M * Q;
    h_v2 = -(1.0 - M) * kFourLn2 * E - 4.0 * M * Q * Q;
    h_M = Q - E;
    I = sgl_area_per_fwhm(M);
    I_M = kLorentzAreaPerHF - kGaussAreaPerHF;
  } else {
    const double E = exp(-kFourLn2 * (1.0 - M) * v2);
    h = E * Q;
    h_v2 = -kFourLn2 * (1.0 - M) * h - 4.0 * M * h * Q;
    h_M = kFourLn2 * v2 * h - 4.0 * v2 * h * Q;
    I = gl_area_per_fwhm(M);
    // I(M) = ∫ h dv, so dI/dM = ∫ ∂h/∂M dv; with s² = ln2 (1−M)/M and erfcx' = 2s erfcx − 2/√π:
    if (M < 1e-6) {
      // dI/dM at M = 0: ∫ e^{−k v²} (k − 4) v² dv = (k − 4) √π / (2 k^{3/2}), k = 4 ln 2.
      I_M = (kFourLn2 - 4.0) * 1.7724538509055159 / (2.0 * kFourLn2 * sqrt(kFourLn2));
    } else if (M < 1.0) {
      // I = π/(2√M) erfcx(s), s² = ln2 (1−M)/M, erfcx'(s) = 2s erfcx(s) − 2/√π.
      const double s = sqrt(0.6931471805599453 * (1.0 - M) / M);
      const double ex = erfcx_nonneg(s);
      const double ds = -0.6931471805599453 / (2.0 * s * M * M);
      I_M = -0.5 * kLorentzAreaPerHF * ex / (M * sqrt(M)) +
            kLorentzAreaPerHF / sqrt(M) * (2.0 * s * ex - 1.1283791670955126) * ds;
    } else {
      I_M = INFINITY;  // ∫ ∂h/∂M dv diverges at M = 1 (pure Lorentzian)
    }
  }
  g = h / (F * I);
  d[0] = -h_v2 * 2.0 * v / F / (F * I);               // ∂v²/∂x0 = −2v/F
  d[1] = (h_v2 * (-2.0 * v2) / F) / (F * I) - g / F;  // ∂v²/∂F = −2v²/F
  d[2] = (h_M / (F * I) - g * I_M / I) / 100.0;
}

}  // namespace vitrum::spectra::math

#include "vitrum/spectra/math/peak_shapes_grad.hpp"
