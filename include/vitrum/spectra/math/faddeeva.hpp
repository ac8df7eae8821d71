#pragma once
/// \file faddeeva.hpp
/// The Faddeeva function w(z) = exp(−z²) erfc(−iz) in the closed upper half plane, the scaled
/// complementary error function erfcx and the Voigt profile, written once for host and device.
///
/// Algorithm: J.A.C. Weideman, "Computation of the complex error function", SIAM J. Numer.
/// Anal. 31 (1994) 1497–1518, eq. (38)–(39) with N = 40 terms:
///   w(z) ≈ 2 p(Z) / (L − iz)² + (1/√π) / (L − iz),   Z = (L + iz)/(L − iz),   L = √(N/√2),
/// p a polynomial of degree N − 1 whose coefficients are the FFT coefficients of
/// exp(−t²)(L² + t²) on t = L tan(θ/2) (computed once offline with numpy.fft, listed below).
/// Measured against scipy.special.wofz on Im z ∈ [1e-12, 20], |Re z| ≤ 40: relative error of
/// Re w ≤ 7e-11 wherever Re w ≥ 1e-6 of its maximum along the line, ≤ 2e-13 where ≥ 1e-3.
/// For |z| > 15 the asymptotic (Laplace) series is used instead (see faddeeva_w).
/// Only Im z ≥ 0 is supported (all this code needs). No allocation, no exceptions.

#include <cmath>

#include "vitrum/core/hd.hpp"

// Full unrolling in device code turns the coefficient tables below into immediates.
#if defined(__CUDA_ARCH__)
#define VITRUM_SPECTRA_UNROLL _Pragma("unroll")
#else
#define VITRUM_SPECTRA_UNROLL
#endif

namespace vitrum::spectra::math {

/// Minimal complex number usable in device code (std::complex is host-only under nvcc).
template <typename T>
struct Cplx {
  T re, im;
};

template <typename T>
VITRUM_HD Cplx<T> cmul(Cplx<T> a, Cplx<T> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}

template <typename T>
VITRUM_HD Cplx<T> cdiv(Cplx<T> a, Cplx<T> b) {
  using std::fabs;
  // Smith's algorithm: no overflow for large |b|.
  if (fabs(b.re) >= fabs(b.im)) {
    const T r = b.im / b.re, d = b.re + b.im * r;
    return {(a.re + a.im * r) / d, (a.im - a.re * r) / d};
  }
  const T r = b.re / b.im, d = b.re * r + b.im;
  return {(a.re * r + a.im) / d, (a.im * r - a.re) / d};
}

/// Weideman's L for N = 40: √(40/√2).
inline constexpr double kWeidemanL = 5.3182958969449885;
/// Number of polynomial coefficients (N).
inline constexpr int kWeidemanN = 40;

/// Coefficient a_k of Z^(N−1−k) in p(Z) (highest degree first, Horner order).
VITRUM_HD double weideman_coefficient(int k) {
  // A switch keeps the table in code (usable in a kernel without a __constant__ array).
  constexpr double a[kWeidemanN] = {
      -1.7527826756777114e-15, 1.3935886310518609e-15,  1.1475369445370331e-14,
      -5.2087639420318658e-15, -7.0704060282155924e-14, 1.3813786608029581e-14,
      4.5345890551827458e-13,  1.2033465317070164e-13,  -2.9077185104142701e-12,
      -2.7275959268990846e-12, 1.7714363309551116e-11,  3.4727332121065047e-11,
      -9.0551299791741255e-11, -3.5632350403602684e-10, 2.1085995172143158e-10,
      3.0177805143694057e-09,  3.2497465940473093e-09,  -1.8315616800990142e-08,
      -6.3517734827378542e-08, 1.4198642546425777e-08,  5.9121369527584398e-07,
      1.4835661131688826e-06,  -1.0660138984764461e-06, -1.8007447144665785e-05,
      -5.5913092642348794e-05, -3.9393631454771427e-05, 0.00043980701598694203,
      0.0027054056330737628,   0.010048186242783513,    0.029202916471241892,
      0.071823617790743352,    0.15504263802479482,     0.29989437996150059,
      0.52665289882770838,     0.84721745765938172,     1.2563815675765131,
      1.7253830848179779,      2.2015137948783119,      2.6160541527618602,
      2.8996245093897048};
  return a[k];
}

/// Faddeeva function w(x + iy) for y ≥ 0 (Weideman, N = 40). T is float or double; the sums
/// run in T (float gives float accuracy).
template <typename T>
VITRUM_HD Cplx<T> faddeeva_w(T x, T y) {
  if (x * x + y * y > T(225)) {
    // |z| > 15: asymptotic series w = i/(√π z) Σ_k (2k−1)!!/(2z²)^k, 12 terms (last term
    // < 1e-20): relative error ≤ 1e-15 vs scipy wofz, where Weideman's N = 40 loses accuracy
    // in Re w near the real axis (4e-9 at y = 1e-6, |x| ≥ 20). exp(−z²) < e^{−225} is dropped.
    const Cplx<T> z{x, y};
    const Cplx<T> q = cdiv(Cplx<T>{T(1), T(0)}, cmul(Cplx<T>{T(2) * x, T(2) * y}, z));
    Cplx<T> S{T(1), T(0)};
    for (int k = 12; k >= 1; --k) {
      const Cplx<T> t = cmul(q, S);
      S = {T(1) + T(2 * k - 1) * t.re, T(2 * k - 1) * t.im};
    }
    const Cplx<T> r = cdiv(S, z);
    const T inv_sqrt_pi = T(0.56418958354775628);
    return {-inv_sqrt_pi * r.im, inv_sqrt_pi * r.re};
  }
  const T L = T(kWeidemanL);
  // iz = −y + ix; L − iz = (L + y) − ix; L + iz = (L − y) + ix.
  const Cplx<T> lm{L + y, -x};
  const Cplx<T> lp{L - y, x};
  const Cplx<T> Z = cdiv(lp, lm);
  Cplx<T> p{T(weideman_coefficient(0)), T(0)};
  VITRUM_SPECTRA_UNROLL
  for (int k = 1; k < kWeidemanN; ++k) {
    p = cmul(p, Z);
    p.re += T(weideman_coefficient(k));
  }
  const Cplx<T> inv = cdiv(Cplx<T>{T(1), T(0)}, lm);
  const Cplx<T> inv2 = cmul(inv, inv);
  const Cplx<T> t = cmul(p, inv2);
  const T inv_sqrt_pi = T(0.56418958354775628);
  return {T(2) * t.re + inv_sqrt_pi * inv.re, T(2) * t.im + inv_sqrt_pi * inv.im};
}

/// Scaled complementary error function erfcx(s) = exp(s²) erfc(s) = Re w(is) for s ≥ 0.
template <typename T>
VITRUM_HD T erfcx_nonneg(T s) {
  return faddeeva_w(T(0), s).re;
}

/// Unit-area Voigt profile (convolution of a unit Gaussian of standard deviation σ and a unit
/// Lorentzian of HWHM γ) at offset u: Re w((u + iγ)/(σ√2)) / (σ√(2π)). σ > 0, γ ≥ 0. Same
/// definition as scipy.special.voigt_profile(u, σ, γ).
template <typename T>
VITRUM_HD T voigt_pdf(T u, T sigma, T gamma) {
  const T s2 = sigma * T(1.4142135623730951);
  return faddeeva_w(u / s2, gamma / s2).re / (sigma * T(2.5066282746310002));
}

/// FWHM of a Voigt profile from its Gaussian and Lorentzian FWHMs (Olivero & Longbothum 1977,
/// 0.02% accuracy): 0.5346 f_L + √(0.2166 f_L² + f_G²). For reporting, not for the profile.
template <typename T>
VITRUM_HD T voigt_fwhm_approx(T fwhm_gauss, T fwhm_lorentz) {
  using std::sqrt;
  return T(0.5346) * fwhm_lorentz +
         sqrt(T(0.2166) * fwhm_lorentz * fwhm_lorentz + fwhm_gauss * fwhm_gauss);
}

}  // namespace vitrum::spectra::math
