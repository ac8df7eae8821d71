#pragma once
/// \file fit_image.hpp
/// Images fitted as images (`[image] mode = "template"` of `vitrum spectra fit`), the way XPS
/// analysts fit maps:
///   1. the sum spectrum of all pixels is fitted first with the guess-free EM (starts + BIC over
///      [peaks] count, fit_spectra): its K components (peaks or doublets) are the template, each
///      one chemical state with its position μ⁰_k, FWHM, η and doublet partner;
///   2. every pixel is then fitted with that template: the component shapes (FWHM, η, doublet)
///      are fixed, each component k has its own area A_k ≥ 0 and a position bounded to
///      μ⁰_k ± max_shift, and the background is the configured one ([background]), by the same
///      Poisson ECM as the EM fit (math::e_pass sums; one scoring step in μ per iteration,
///      SQUAREM-accelerated). max_shift is held below half the smallest separation of two
///      template components, so a component can never take another's place: component k is the
///      same chemical state in every pixel (no label swaps, no sorting);
///   3. pixels are visited in anti-diagonal wavefronts (y + x = d, each front in parallel), and
///      each pixel is started both from the template (scaled to its counts) and from its
///      already-fitted neighbours (y−1, x), (y, x−1), (y−1, x−1) (their significant positions,
///      their areas scaled to this pixel's counts); the start with the higher likelihood wins;
///   4. significance, allowing "no peak here" (K = 0): per component the likelihood-ratio
///      statistic D_k = 2 (ℓ_full − ℓ_without k) of the fit with k against the refit without k
///      (its area and shift, 2 parameters) is compared with the χ²₂ quantile at the level α
///      (`level`, default 1e-3): significant when D_k > −2 ln α. A pixel with no significant
///      component is reported with 0 components, and the maps of a component are masked (NaN)
///      where it is not significant. The statistic of the whole template against the
///      background alone (2K parameters) is reported as well. (χ²₂ is conservative for an area
///      on its boundary A = 0, and the bounded shift keeps the look-elsewhere effect small; the
///      test measures the false-positive rate on pixels without signal.)

#include <string>
#include <vector>

#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

/// Per-pixel results of a template fit, [pixel][component] for per-component arrays.
struct TemplateFitResult {
  FitResult reference;        ///< the fit of the sum spectrum (one fit): the template
  SpectrumImage sum_image;    ///< the sum spectrum (1 × 1), on the fitted axis
  int ny = 1, nx = 1, K = 0;  ///< grid and number of template components
  double max_shift = 0.0;     ///< bound used (eV), after the separation limit
  double level = 1e-3;        ///< significance level α
  double threshold = 0.0;     ///< −2 ln α: D_k above it is significant
  std::vector<double> template_position, template_fwhm, template_eta;  ///< [component]
  std::vector<double> position, area, lr_component;  ///< [pixel][K]; position/area unmasked
  /// [pixel][K] standard error of the position from the Fisher information (NaN: area ≈ 0 or at
  /// the shift bound)
  std::vector<double> position_se;
  std::vector<int> significant;                               ///< [pixel][K] 0/1
  std::vector<int> n_significant, iterations, start, status;  ///< [pixel]; start 0 template, 1 nb
  std::vector<double> background;                             ///< [pixel][n_bg]
  std::vector<double> log_likelihood;                         ///< [pixel] Poisson ln L (with ln y!)
  std::vector<double> lr_total;      ///< [pixel] 2 (ℓ_full − ℓ_background only)
  std::vector<double> chi2_reduced;  ///< [pixel] Pearson χ² / (channels − parameters)
  std::vector<double> total_counts;  ///< [pixel] Σ counts in the window (scaled)
  std::vector<float> residual;       ///< [pixel][channel] data − model on the window
  double seconds = 0.0;

  long pixels() const { return static_cast<long>(ny) * nx; }
  int n_background() const { return reference.n_background(); }
};

/// Fits `image` as an image (see the file comment). The template comes from the sum spectrum
/// fitted with `config` (its [peaks] count range, doublet, shape, [background], [em]); the
/// [image] keys give max_shift and level. Throws vitrum::Error when the sum spectrum has no
/// peak or the request is bad (as fit_spectra). CPU backend (OpenMP within each wavefront).
TemplateFitResult fit_image_template(const SpectrumImage& image, const FitConfig& config,
                                     const FitOptions& options = {});

/// Curves of pixel `pixel` of a template fit (data, model, background, one curve per component
/// named after its template position), for write_spectrum_fit_csv / plot_fit_csv.
FitCurves template_fit_curves(const TemplateFitResult& r, const SpectrumImage& image, long pixel);

/// Result maps of a template fit: n_components, lr_total, chi2_reduced, log_likelihood, start,
/// status, per-component stacks position and area masked where not significant (NaN),
/// position_all / area_all unmasked, lr_component, significant, background weights.
MapSet template_result_maps(const TemplateFitResult& r, const SpectrumImage& image,
                            const FitConfig& cfg);

/// The residual cube (data − model on the fitted window, ny × nx × channels) as an image named
/// "<block>_residual", for write_maps_hdf5's cubes.
SpectrumImage template_residual_cube(const TemplateFitResult& r, const SpectrumImage& image);

}  // namespace vitrum::spectra
