#pragma once
/// \file casa_shapes.hpp
/// CasaXPS line shapes and the Gaussian convolution they use, written once for host and device
/// (formulas and the definitions of area, FWHM and position: docs/xps-lineshapes.md).
///
/// Energies are binding energies; u = x − x0, so u > 0 is the high-binding-energy side, where
/// the asymmetric tails of metals lie. Every function returns a unit-area density (1/eV).
///   GL(m)   product: exp(−4 ln2 (1−M) u²/F²) / (1 + 4 M u²/F²),            M = m/100
///           area F·(π/(2√M)) erfcx(√(ln2 (1−M)/M))  (closed form; M = 0: F √(π/(4 ln2)))
///   SGL(m)  sum: (1−M) exp(−4 ln2 u²/F²) + M / (1 + 4u²/F²),
///           area F·[(1−M) √(π/(4 ln2)) + M π/2]
///   LA(α, β, m)   L(u)^α for u ≥ 0 and L(u)^β for u < 0, L(u) = 1/(1 + 4u²/F²), each half
///           normalised in closed form: ∫₀^∞ L^a du = F √π Γ(a − ½) / (4 Γ(a))  (a > ½);
///           then convolved with a unit Gaussian of FWHM m·F/100 (m = 0: no convolution).
///   LA(α, β, m, n) as LA(α, β, m) with the high-BE tail stretched: L(u/(1 + n/100))^α for u ≥ 0
///           (vitrum's definition; n = 0 is LA(α, β, m)).
///   DS(α, f_G)  Doniach–Šunjić of Lorentzian FWHM F = 2γ and asymmetry 0 ≤ α < 1, tail toward
///           high binding energy, d(u) = cos(πα/2 + (1−α) atan(−u/γ)) / (γ² + u²)^((1−α)/2),
///           normalised by its integral over |u| ≤ kDsTruncation·F (closed-form antiderivative),
///           then convolved with a unit Gaussian of FWHM f_G.
/// Convolutions: fixed composite 10-point Gauss–Legendre over s ∈ [u − 9σ, u + 9σ], split at the
/// kink s = 0, panel width min(2σ, max(F/4, |s|)) growing away from s = 0 (deterministic,
/// the same bits on CPU and GPU up to the libm differences). No allocation, no exceptions;
/// invalid parameters give NaN.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/spectra/math/faddeeva.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"

namespace vitrum::spectra::math {

/// Half-width of the window (in units of the Lorentzian FWHM F) over which a Doniach–Šunjić
/// profile's area is defined (its integral over the real line diverges for α > 0).
inline constexpr double kDsTruncation = 10.0;
/// √(π/(4 ln 2)): area / (height · FWHM) of a Gaussian.
inline constexpr double kGaussAreaPerHF = 1.0644670194312262;
/// π/2: area / (height · FWHM) of a Lorentzian.
inline constexpr double kLorentzAreaPerHF = 1.5707963267948966;
/// Most Gauss–Legendre panels of one convolution (a guard; normal cases use < 80).
inline constexpr int kMaxConvPanels = 400;

/// Node k (0..4, positive half) and weight of the 10-point Gauss–Legendre rule on [−1, 1].
VITRUM_HD void gauss_legendre10(int k, double& node, double& weight) {
  constexpr double x[5] = {0.14887433898163122, 0.43339539412924721, 0.67940956829902444,
                           0.86506336668898454, 0.97390652851717174};
  constexpr double w[5] = {0.29552422471475298, 0.26926671930999652, 0.21908636251598201,
                           0.14945134915058036, 0.066671344308688069};
  node = x[k];
  weight = w[k];
}

/// Height-1 GL(m) product profile (unnormalised), M = m/100 ∈ [0, 1].
template <typename T>
VITRUM_HD T gl_height_profile(T u, T fwhm, T M) {
  using std::exp;
  const T v2 = u * u / (fwhm * fwhm);
  return exp(-T(kFourLn2) * (T(1) - M) * v2) / (T(1) + T(4) * M * v2);
}

/// ∫ of the height-1 GL(m) profile over the real line, divided by F.
template <typename T>
VITRUM_HD T gl_area_per_fwhm(T M) {
  using std::sqrt;
  if (M <= T(0)) return T(kGaussAreaPerHF);
  const T s = sqrt(T(0.6931471805599453) * (T(1) - M) / M);
  return T(kLorentzAreaPerHF) / sqrt(M) * erfcx_nonneg(s);
}

/// Unit-area CasaXPS GL(m) at offset u; m in percent [0, 100].
template <typename T>
VITRUM_HD T gl_pdf(T u, T fwhm, T m) {
  const T M = m / T(100);
  return gl_height_profile(u, fwhm, M) / (fwhm * gl_area_per_fwhm(M));
}

/// Height-1 SGL(m) sum profile (unnormalised), M = m/100.
template <typename T>
VITRUM_HD T sgl_height_profile(T u, T fwhm, T M) {
  using std::exp;
  const T v2 = u * u / (fwhm * fwhm);
  return (T(1) - M) * exp(-T(kFourLn2) * v2) + M / (T(1) + T(4) * v2);
}

/// ∫ of the height-1 SGL(m) profile, divided by F.
template <typename T>
VITRUM_HD T sgl_area_per_fwhm(T M) {
  return (T(1) - M) * T(kGaussAreaPerHF) + M * T(kLorentzAreaPerHF);
}

/// Unit-area CasaXPS SGL(m) at offset u; m in percent [0, 100].
template <typename T>
VITRUM_HD T sgl_pdf(T u, T fwhm, T m) {
  const T M = m / T(100);
  return sgl_height_profile(u, fwhm, M) / (fwhm * sgl_area_per_fwhm(M));
}

/// ∫₀^∞ (1 + 4u²/F²)^(−a) du = F √π Γ(a − ½) / (4 Γ(a)), a > ½ (NaN otherwise).
template <typename T>
VITRUM_HD T la_half_area(T a, T fwhm) {
  using std::exp;
  using std::lgamma;
  if (!(a > T(0.5))) return T(NAN);
  return fwhm * T(0.44311346272637900) * exp(lgamma(a - T(0.5)) - lgamma(a));
}

/// Parameters of an (unconvolved) LA profile, normalised to unit area.
template <typename T>
struct LaCore {
  T fwhm, alpha, beta, stretch, inv_area;
  VITRUM_HD T operator()(T u) const;
};

template <typename T>
VITRUM_HD LaCore<T> la_core(T fwhm, T alpha, T beta, T n) {
  LaCore<T> c;
  c.fwhm = fwhm;
  c.alpha = alpha;
  c.beta = beta;
  c.stretch = T(1) + n / T(100);
  c.inv_area = T(1) / (c.stretch * la_half_area(alpha, fwhm) + la_half_area(beta, fwhm));
  return c;
}

template <typename T>
VITRUM_HD T LaCore<T>::operator()(T u) const {
  using std::pow;
  const T v = u >= T(0) ? u / (fwhm * stretch) : u / fwhm;
  const T L = T(1) / (T(1) + T(4) * v * v);
  return pow(L, u >= T(0) ? alpha : beta) * inv_area;
}

/// Doniach–Šunjić core (unit area over |u| ≤ kDsTruncation·F), tail toward u > 0.
template <typename T>
struct DsCore {
  T gamma, alpha, inv_area;
  VITRUM_HD T operator()(T u) const;
};

/// Antiderivative of the unnormalised DS d(w) = cos(πα/2 + (1−α) atan(w/γ))/(γ²+w²)^((1−α)/2)
/// in w (tail toward w < 0): D(w) = −r^α sin(α(π/2 − θ))/α, θ = atan(w/γ), r = √(γ² + w²)
/// (α → 0: θ − π/2, the Lorentzian's).
template <typename T>
VITRUM_HD T ds_antiderivative(T w, T gamma, T alpha) {
  using std::atan;
  using std::pow;
  using std::sin;
  using std::sqrt;
  const T phi = T(1.5707963267948966) - atan(w / gamma);
  const T r = sqrt(gamma * gamma + w * w);
  const T ap = alpha * phi;
  const T sinc = ap < T(1e-4) ? T(1) - ap * ap / T(6) : sin(ap) / ap;
  return -pow(r, alpha) * phi * sinc;
}

template <typename T>
VITRUM_HD DsCore<T> ds_core(T fwhm, T alpha) {
  DsCore<T> c;
  c.gamma = T(0.5) * fwhm;
  c.alpha = alpha;
  const T W = T(kDsTruncation) * fwhm;
  const T area = ds_antiderivative(W, c.gamma, alpha) - ds_antiderivative(-W, c.gamma, alpha);
  c.inv_area = (alpha >= T(0) && alpha < T(1)) ? T(1) / area : T(NAN);
  return c;
}

template <typename T>
VITRUM_HD T DsCore<T>::operator()(T u) const {
  using std::atan;
  using std::cos;
  using std::pow;
  const T w = -u;  // tail toward high binding energy
  return cos(T(1.5707963267948966) * alpha + (T(1) - alpha) * atan(w / gamma)) /
         pow(gamma * gamma + w * w, T(0.5) * (T(1) - alpha)) * inv_area;
}

/// ∫ f(s) g(u − s; σ) ds over s ∈ [a, b], a the end nearer s = 0 (a and b on the same side of
/// 0 or a = 0); panels grow away from s = 0 (see the file comment). With a 9σ window and 2σ
/// panels the result agrees with the 0.75σ-panel rule to 6e-14 (LA, m = 5..300).
template <typename T, typename F>
VITRUM_HD T conv_segment(const F& f, T u, T sigma, T scale, T a, T b) {
  using std::exp;
  using std::fabs;
  using std::fmax;
  using std::fmin;
  const T dir = b > a ? T(1) : T(-1);
  const T inv_s = T(1) / sigma;
  T sum = T(0), s = a;
  for (int panel = 0; panel < kMaxConvPanels && (b - s) * dir > T(0); ++panel) {
    const T width = fmin(T(2) * sigma, fmax(T(0.25) * scale, fabs(s)));
    T e = s + dir * width;
    if ((e - b) * dir > T(0)) e = b;
    const T mid = T(0.5) * (s + e), half = T(0.5) * (e - s);
    T part = T(0);
    VITRUM_SPECTRA_UNROLL
    for (int k = 0; k < 5; ++k) {
      double xn, wn;
      gauss_legendre10(k, xn, wn);
      for (int sign = -1; sign <= 1; sign += 2) {
        const T t = mid + T(sign) * half * T(xn);
        const T z = (u - t) * inv_s;
        part += T(wn) * f(t) * exp(T(-0.5) * z * z);
      }
    }
    sum += part * fabs(half);
    s = e;
  }
  return sum * inv_s * T(0.3989422804014327);
}

/// (f ∗ g_σ)(u) for a unit-area f with its kink or peak at s = 0 and width scale `scale`;
/// σ ≤ 0 returns f(u) (no convolution).
template <typename T, typename F>
VITRUM_HD T gauss_convolve(const F& f, T u, T sigma, T scale) {
  if (!(sigma > T(0))) return f(u);
  const T lo = u - T(9) * sigma, hi = u + T(9) * sigma;
  if (lo >= T(0)) return conv_segment(f, u, sigma, scale, lo, hi);
  if (hi <= T(0)) return conv_segment(f, u, sigma, scale, hi, lo);
  return conv_segment(f, u, sigma, scale, T(0), hi) + conv_segment(f, u, sigma, scale, T(0), lo);
}

/// Unit-area CasaXPS LA(α, β, m) (n = 0) or LA(α, β, m, n) at offset u (see the file comment).
template <typename T>
VITRUM_HD T la_pdf(T u, T fwhm, T alpha, T beta, T m, T n) {
  const LaCore<T> c = la_core(fwhm, alpha, beta, n);
  const T sigma = sigma_from_fwhm(m * fwhm / T(100));
  return gauss_convolve(c, u, sigma, fwhm);
}

/// Unit-area (over the truncation window) Doniach–Šunjić of Lorentzian FWHM F and asymmetry α,
/// convolved with a Gaussian of FWHM f_G (0: none), at offset u.
template <typename T>
VITRUM_HD T ds_gauss_pdf(T u, T fwhm, T alpha, T fwhm_gauss) {
  const DsCore<T> c = ds_core(fwhm, alpha);
  return gauss_convolve(c, u, sigma_from_fwhm(fwhm_gauss), fwhm);
}

}  // namespace vitrum::spectra::math
