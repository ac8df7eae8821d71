#pragma once
/// \file em_shapes.hpp
/// A fitted peak component and its derivatives with respect to its shape parameters
/// θ = (μ, t = ln F, η), for the EM M-step (gradient, expected information) and the observed
/// information (second derivatives). The shape values come from lineshapes.hpp; this file only
/// adds the derivatives, in closed form:
///
///   Gaussian part G(u; σ = F/2.35482), z = u/σ, u = x − μ:
///     ∂ ln G/∂μ = z/σ,   ∂ ln G/∂t = z² − 1,
///     ∂² ln G/∂μ² = −1/σ², ∂² ln G/∂μ∂t = −2z/σ, ∂² ln G/∂t² = −2z²
///   Lorentzian part L(u; γ = F/2), D = u² + γ²:
///     ∂ ln L/∂μ = 2u/D,  ∂ ln L/∂t = 1 − 2γ²/D,
///     ∂² ln L/∂μ² = 2(u² − γ²)/D², ∂² ln L/∂μ∂t = −4uγ²/D², ∂² ln L/∂t² = −4γ²u²/D²
///   and ∂f = f ∂ln f, ∂²f = f (∂² ln f + ∂ln f ∂ln fᵀ).
///   Pseudo-Voigt g = (1−η) G + η L (lineshapes.hpp's area mixing): ∂g/∂η = L − G.
///   Doublet: g(u) = [line(u) + r · line(u − Δ)] / (1 + r), unit area, Δ and r fixed.
///
/// Parameter order everywhere: 0 = μ, 1 = t, 2 = η. Packed symmetric 3×3: (00,01,02,11,12,22).

#include "vitrum/core/hd.hpp"
#include "vitrum/spectra/math/em_types.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"

namespace vitrum::spectra::math {

/// z² beyond which the Gaussian factor exp(−z²/2) < 6e-17 is taken as exactly 0 (skips exp).
inline constexpr double kGaussCutZ2 = 75.0;

/// Value, gradient and (optionally) packed Hessian of a unit-area shape.
struct ShapeDerivs {
  double g;
  double d[kShapeParams];
  double h[6];
};

/// Per-peak constants of one evaluation sweep (derived once from μ, t, η).
struct PeakConsts {
  double mu, fwhm, eta;
  double inv_sigma;      ///< 1/σ of the Gaussian part
  double gamma;          ///< HWHM of the Lorentzian part
  double pi_over_gamma;  ///< π/γ: 1/D = L · π/γ
};

VITRUM_HD PeakConsts peak_consts(double mu, double t, double eta) {
  using std::exp;
  PeakConsts c;
  c.mu = mu;
  c.fwhm = exp(t);
  c.eta = eta;
  c.inv_sigma = 1.0 / sigma_from_fwhm(c.fwhm);
  c.gamma = gamma_from_fwhm(c.fwhm);
  c.pi_over_gamma = 3.14159265358979323846 / c.gamma;
  return c;
}

/// Gaussian part of a line at offset u = x − μ: G (0 where exp(−z²/2) underflows, see
/// kGaussCutZ2) and ∂G/∂μ, ∂G/∂t. The density is lineshapes.hpp's at unit σ, rescaled:
/// G = φ(z)/σ.
VITRUM_HD void gauss_part(const PeakConsts& c, double u, double& G, double& d_mu, double& d_t) {
  const double z = u * c.inv_sigma;
  const double z2 = z * z;
  G = z2 < kGaussCutZ2 ? gaussian_pdf(z, 0.0, 1.0) * c.inv_sigma : 0.0;
  d_mu = G * z * c.inv_sigma;
  d_t = G * (z2 - 1.0);
}

/// Lorentzian part of a line at offset u: L and ∂L/∂μ, ∂L/∂t (1/(u² + γ²) = L π/γ).
VITRUM_HD void lorentz_part(const PeakConsts& c, double u, double& L, double& d_mu, double& d_t) {
  L = lorentzian_pdf(u, 0.0, c.gamma);
  const double inv_d = L * c.pi_over_gamma;
  d_mu = L * (2.0 * u * inv_d);
  d_t = L * (1.0 - 2.0 * c.gamma * c.gamma * inv_d);
}

/// Weights of the Gaussian and Lorentzian parts: (1 − η, η) for the pseudo-Voigt (area mixing,
/// lineshapes.hpp), (1, 0) for a Gaussian; then ∂g/∂η = L − G.
VITRUM_HD void mix_weights(PeakShape shape, double eta, double& wg, double& wl) {
  wg = shape == PeakShape::PseudoVoigt ? 1.0 - eta : 1.0;
  wl = shape == PeakShape::PseudoVoigt ? eta : 0.0;
}

/// Weights of the lines of a peak component: a singlet (1), or a doublet's major line
/// 1/(1 + r) at μ and minor line r/(1 + r) at μ + split (unit total area).
VITRUM_HD int line_weights(const EmModel& m, double* w, double* offset) {
  if (!m.doublet) {
    w[0] = 1.0;
    offset[0] = 0.0;
    return 1;
  }
  w[0] = 1.0 / (1.0 + m.ratio);
  w[1] = m.ratio * w[0];
  offset[0] = 0.0;
  offset[1] = m.split;
  return 2;
}

/// One line (no doublet partner) at offset u = x − μ. kHess selects second derivatives.
template <bool kHess>
VITRUM_HD void line_derivs(PeakShape shape, const PeakConsts& c, double u, ShapeDerivs& o) {
  double G, dg_mu, dg_t, L = 0.0, dl_mu = 0.0, dl_t = 0.0, wg, wl;
  gauss_part(c, u, G, dg_mu, dg_t);
  if (shape == PeakShape::PseudoVoigt) lorentz_part(c, u, L, dl_mu, dl_t);
  mix_weights(shape, c.eta, wg, wl);
  o.g = wg * G + wl * L;
  o.d[0] = wg * dg_mu + wl * dl_mu;
  o.d[1] = wg * dg_t + wl * dl_t;
  o.d[2] = shape == PeakShape::PseudoVoigt ? L - G : 0.0;
  if (kHess) {
    const double z = u * c.inv_sigma, z2 = z * z;
    const double sg_mu = z * c.inv_sigma, sg_t = z2 - 1.0;
    const double hg00 = G * (-c.inv_sigma * c.inv_sigma + sg_mu * sg_mu);
    const double hg01 = G * (-2.0 * z * c.inv_sigma + sg_mu * sg_t);
    const double hg11 = G * (-2.0 * z2 + sg_t * sg_t);
    double hl00 = 0.0, hl01 = 0.0, hl11 = 0.0;
    if (shape == PeakShape::PseudoVoigt) {
      const double inv_d = L * c.pi_over_gamma, id2 = inv_d * inv_d;
      const double g2 = c.gamma * c.gamma;
      const double sl_mu = 2.0 * u * inv_d, sl_t = 1.0 - 2.0 * g2 * inv_d;
      hl00 = L * (2.0 * (u * u - g2) * id2 + sl_mu * sl_mu);
      hl01 = L * (-4.0 * u * g2 * id2 + sl_mu * sl_t);
      hl11 = L * (-4.0 * g2 * u * u * id2 + sl_t * sl_t);
    }
    o.h[0] = wg * hg00 + wl * hl00;
    o.h[1] = wg * hg01 + wl * hl01;
    o.h[3] = wg * hg11 + wl * hl11;
    o.h[2] = shape == PeakShape::PseudoVoigt ? dl_mu - dg_mu : 0.0;
    o.h[4] = shape == PeakShape::PseudoVoigt ? dl_t - dg_t : 0.0;
    o.h[5] = 0.0;
  }
}

/// A peak component (a line, or a doublet of two lines with fixed offset and area ratio) at x.
template <bool kHess>
VITRUM_HD void peak_derivs(const EmModel& m, const PeakConsts& c, double x, ShapeDerivs& o) {
  double w[2], off[2];
  const int lines = line_weights(m, w, off);
  line_derivs<kHess>(m.shape, c, x - c.mu, o);
  if (lines == 1) return;
  ShapeDerivs p;
  line_derivs<kHess>(m.shape, c, x - c.mu - off[1], p);
  o.g = w[0] * o.g + w[1] * p.g;
  for (int i = 0; i < kShapeParams; ++i) o.d[i] = w[0] * o.d[i] + w[1] * p.d[i];
  if (kHess)
    for (int i = 0; i < 6; ++i) o.h[i] = w[0] * o.h[i] + w[1] * p.h[i];
}

/// Unit-area shape value only (model curves, starts).
VITRUM_HD double peak_value(const EmModel& m, double mu, double fwhm, double eta, double x) {
  auto line = [&](double x0) {
    return m.shape == PeakShape::Gaussian ? gaussian_pdf_fwhm(x, x0, fwhm)
                                          : pseudo_voigt_pdf(x, x0, fwhm, eta);
  };
  if (!m.doublet) return line(mu);
  return (line(mu) + m.ratio * line(mu + m.split)) / (1.0 + m.ratio);
}

/// Height of the major line of a unit-area peak component (for starts from a measured height).
VITRUM_HD double peak_major_height(const EmModel& m, double fwhm, double eta) {
  const double h = m.shape == PeakShape::Gaussian ? gaussian_height(1.0, fwhm)
                                                  : pseudo_voigt_height(1.0, fwhm, eta);
  return m.doublet ? h / (1.0 + m.ratio) : h;
}

}  // namespace vitrum::spectra::math
