#pragma once
/// \file lineshapes.hpp
/// XPS peak shapes, written once for host and device (VITRUM_HD). Conventions follow
/// ../shared/formats/lineshapes.md and lmfit:
///
///   x0 = centre (eV), F = FWHM (eV), A = area (counts·eV or a mixture weight), u = x − x0.
///   Gaussian     g(u; σ)  = exp(−u²/2σ²) / (σ √(2π)),        F = 2√(2 ln 2) σ ≈ 2.35482 σ
///   Lorentzian   l(u; γ)  = (γ/π) / (u² + γ²),                F = 2γ
///   pseudo-Voigt pv(u; F, η) = (1−η) g(u; σ=F/2.35482) + η l(u; γ=F/2)   (lmfit `pvoigt`:
///                AREA mixing, η = Lorentzian fraction, both parts share the FWHM F)
///   CasaXPS SGL(m) is height mixing; sgl_to_area_fraction() converts m to η.
///
/// All functions are unit-area probability densities in x (1/eV) unless the name says "height".
/// T is float or double. No allocation, no exceptions, no <cmath> overload ambiguity under nvcc.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::spectra::math {

/// 2√(2 ln 2): FWHM / σ of a Gaussian.
inline constexpr double kFwhmPerSigma = 2.3548200450309493;
/// √(2π).
inline constexpr double kSqrt2Pi = 2.5066282746310002;
/// 1/π.
inline constexpr double kInvPi = 0.31830988618379067;
/// 4 ln 2 (the Gaussian exponent in FWHM form: exp(−4 ln2 u²/F²)).
inline constexpr double kFourLn2 = 2.772588722239781;

/// σ (eV) of a Gaussian with FWHM `fwhm` (eV).
template <typename T>
VITRUM_HD T sigma_from_fwhm(T fwhm) {
  return fwhm / T(kFwhmPerSigma);
}

/// FWHM (eV) of a Gaussian with standard deviation `sigma` (eV).
template <typename T>
VITRUM_HD T fwhm_from_sigma(T sigma) {
  return sigma * T(kFwhmPerSigma);
}

/// Half width at half maximum γ (eV) of a Lorentzian with FWHM `fwhm`: γ = F/2.
template <typename T>
VITRUM_HD T gamma_from_fwhm(T fwhm) {
  return T(0.5) * fwhm;
}

/// Unit-area Gaussian density at x (1/eV): exp(−(x−x0)²/2σ²)/(σ√(2π)). σ > 0.
template <typename T>
VITRUM_HD T gaussian_pdf(T x, T x0, T sigma) {
  using std::exp;  // float overload on host; CUDA provides the device overloads
  const T z = (x - x0) / sigma;
  return exp(T(-0.5) * z * z) / (sigma * T(kSqrt2Pi));
}

/// Unit-area Gaussian density parametrised by FWHM (eV).
template <typename T>
VITRUM_HD T gaussian_pdf_fwhm(T x, T x0, T fwhm) {
  return gaussian_pdf(x, x0, sigma_from_fwhm(fwhm));
}

/// Unit-area Lorentzian (Cauchy) density at x (1/eV): (γ/π)/((x−x0)² + γ²). γ = HWHM > 0.
template <typename T>
VITRUM_HD T lorentzian_pdf(T x, T x0, T gamma) {
  const T u = x - x0;
  return T(kInvPi) * gamma / (u * u + gamma * gamma);
}

/// Unit-area Lorentzian density parametrised by FWHM (eV) (γ = F/2).
template <typename T>
VITRUM_HD T lorentzian_pdf_fwhm(T x, T x0, T fwhm) {
  return lorentzian_pdf(x, x0, gamma_from_fwhm(fwhm));
}

/// Unit-area pseudo-Voigt density (lmfit `pvoigt`, area mixing):
///   (1−η) G(x; x0, σ = F/2.35482) + η L(x; x0, γ = F/2), 0 ≤ η ≤ 1 the Lorentzian area fraction.
template <typename T>
VITRUM_HD T pseudo_voigt_pdf(T x, T x0, T fwhm, T eta) {
  return (T(1) - eta) * gaussian_pdf_fwhm(x, x0, fwhm) + eta * lorentzian_pdf_fwhm(x, x0, fwhm);
}

/// Peak height of a Gaussian of area A and FWHM F: A·2√(ln2/π)/F ≈ 0.939437 A/F.
template <typename T>
VITRUM_HD T gaussian_height(T area, T fwhm) {
  return area * T(0.9394372786996513) / fwhm;
}

/// Peak height of a Lorentzian of area A and FWHM F: 2A/(πF) ≈ 0.63662 A/F.
template <typename T>
VITRUM_HD T lorentzian_height(T area, T fwhm) {
  return area * T(0.6366197723675814) / fwhm;
}

/// Peak height of a pseudo-Voigt of area A, FWHM F and Lorentzian area fraction η.
template <typename T>
VITRUM_HD T pseudo_voigt_height(T area, T fwhm, T eta) {
  return (T(1) - eta) * gaussian_height(area, fwhm) + eta * lorentzian_height(area, fwhm);
}

/// CasaXPS SGL(m) height-mixing fraction m ∈ [0,1] (m = percent/100) → area fraction η:
///   η = 1.5708 m / (1.0645 (1−m) + 1.5708 m)   (ratios of area/(H·F) for L and G: π/2, √(π/4ln2)).
template <typename T>
VITRUM_HD T sgl_to_area_fraction(T m) {
  const T l = T(1.5707963267948966) * m;
  const T g = T(1.0644670194312262) * (T(1) - m);
  return l / (g + l);
}

/// Inverse of sgl_to_area_fraction: area fraction η → CasaXPS height-mixing fraction m.
template <typename T>
VITRUM_HD T area_fraction_to_sgl(T eta) {
  const T l = eta / T(1.5707963267948966);
  const T g = (T(1) - eta) / T(1.0644670194312262);
  return l / (g + l);
}

/// CDF of the unit Gaussian at x: ½ erfc(−(x−x0)/(σ√2)). Used for channel-integrated models.
template <typename T>
VITRUM_HD T gaussian_cdf(T x, T x0, T sigma) {
  using std::erfc;
  return T(0.5) * erfc(-(x - x0) / (sigma * T(1.4142135623730951)));
}

/// CDF of the unit Lorentzian at x: ½ + atan((x−x0)/γ)/π.
template <typename T>
VITRUM_HD T lorentzian_cdf(T x, T x0, T gamma) {
  using std::atan;
  return T(0.5) + T(kInvPi) * atan((x - x0) / gamma);
}

/// CDF of the pseudo-Voigt (area mixing, shared FWHM F).
template <typename T>
VITRUM_HD T pseudo_voigt_cdf(T x, T x0, T fwhm, T eta) {
  return (T(1) - eta) * gaussian_cdf(x, x0, sigma_from_fwhm(fwhm)) +
         eta * lorentzian_cdf(x, x0, gamma_from_fwhm(fwhm));
}

/// Standard doublet area ratio (minor/major) for orbital angular momentum l = 1 (p: 1/2),
/// 2 (d: 2/3), 3 (f: 3/4); 0 (s) has no doublet and returns 0.
template <typename T>
VITRUM_HD T doublet_area_ratio(int l) {
  return l <= 0 ? T(0) : T(l) / T(l + 1);
}

}  // namespace vitrum::spectra::math
