#pragma once
/// \file fit_image.hpp
/// Images fitted as images (`[image] mode = "template"` of `vitrum spectra fit`), the way XPS
/// analysts fit maps:
///   1. the sum spectrum of all pixels is fitted first with the guess-free EM (starts + BIC over
///      [peaks] count, fit_spectra) and then polished by maximum likelihood ([polish]: its
///      line_shape, tougaard and bic keys; without a [polish] table the EM's shape): its K
///      chemical states (a component and its linked doublet partner) are the template, each
///      with its position μ⁰_k, FWHM and line shape (LA, GL, SGL, DS, pseudo-Voigt, ...);
///   2. every pixel is then fitted with that template by the maximum-likelihood polish
///      (math::polish_run, bounded Levenberg–Marquardt on the Poisson deviance): line shapes
///      and FWHMs fixed, each state k with a free area ≥ 0 and a position bounded to
///      μ⁰_k ± max_shift, doublet partners linked, the background terms of the sum's polish
///      (the EM's fixed shapes, the pixel's own iterated Shirley, the active Tougaard term
///      recomputed from the pixel's components) with free coefficients. max_shift is held
///      below half the smallest separation of two states, so a state can never take another's
///      place: state k is the same chemical state in every pixel (no label swaps, no sorting);
///   3. pixels are visited in anti-diagonal wavefronts (y + x = d, each front in parallel), and
///      each pixel is started both from the template (scaled to its counts) and from its
///      already-fitted neighbours (y−1, x), (y, x−1), (y−1, x−1) (their significant positions,
///      their areas scaled to this pixel's counts); the start with the higher likelihood wins;
///   4. significance, allowing "no peak here" (K = 0): per state the likelihood-ratio
///      statistic D_k = 2 (ℓ_full − ℓ_without k) = deviance without k − deviance with all,
///      of the fit against the refit without k (its area and shift, 2 parameters), is
///      compared with the χ²₂ quantile at the level α (`level`, default 1e-3): significant when
///      D_k > −2 ln α. A pixel with no significant state is reported with 0 components, and the
///      maps of a state are masked (NaN) where it is not significant. The statistic of the
///      whole template against the background alone (2K parameters) is reported as well. (χ²₂
///      is conservative for an area on its boundary A = 0, and the bounded shift keeps the
///      look-elsewhere effect small; the test measures the false-positive rate on pixels
///      without signal.)

#include <memory>
#include <string>
#include <vector>

#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

namespace detail {
struct TemplatePolish;  // the per-pixel model (src/spectra/template_polish.hpp)
}

/// Per-pixel results of a template fit, [pixel][component] for per-component arrays.
struct TemplateFitResult {
  FitResult reference;        ///< the EM fit of the sum spectrum (one fit): the template's start
  SpectrumImage sum_image;    ///< the sum spectrum (1 × 1), on the fitted axis
  int ny = 1, nx = 1, K = 0;  ///< grid and number of template components
  double max_shift = 0.0;     ///< bound used (eV), after the separation limit
  double level = 1e-3;        ///< significance level α
  double threshold = 0.0;  ///< χ² quantile at 1 − α (2 or 3 d.o.f.): D_k above it significant
  int test_dof = 2;        ///< degrees of freedom of the test: area, shift (and width)
  std::vector<double> template_position, template_fwhm, template_eta;  ///< [component] (η: NaN
                                                                       ///< unless pseudo-Voigt)
  std::vector<std::string> template_line_shape;  ///< [component] CasaXPS notation
  std::vector<std::string> background_names;     ///< [n_background] terms of the per-pixel fit
  /// the per-pixel model (polished sum spectrum, bounds), shared by copies of the result
  std::shared_ptr<const detail::TemplatePolish> model;
  std::vector<double> position, area, lr_component;  ///< [pixel][K]; position/area unmasked
  std::vector<double> fwhm;  ///< [pixel][K] FWHM (the template's unless [image] widths = "free")
  /// [pixel][K] standard error of the position from the Fisher information (NaN: area ≈ 0 or at
  /// the shift bound)
  std::vector<double> position_se;
  std::vector<int> significant;  ///< [pixel][K] 0/1
  /// [pixel]; start 0 template, 1 neighbours; status 0 converged, 1 iteration limit, 2 polish
  /// failed (invalid start or singular), 3–5 not fitted (fit.hpp's FitStatus)
  std::vector<int> n_significant, iterations, start, status;
  std::vector<double> background;      ///< [pixel][n_bg] coefficients of the background curves
  std::vector<double> log_likelihood;  ///< [pixel] Poisson ln L (with ln y!)
  std::vector<double> lr_total;        ///< [pixel] 2 (ℓ_full − ℓ_background only)
  std::vector<double> chi2_reduced;    ///< [pixel] Pearson χ² / (channels − parameters)
  std::vector<double> total_counts;    ///< [pixel] Σ counts in the window (scaled)
  std::vector<float> residual;         ///< [pixel][channel] data − model on the window
  std::vector<float> data;             ///< [pixel][channel] the fitted window (stored intensity)
  double seconds = 0.0;

  long pixels() const { return static_cast<long>(ny) * nx; }
  int n_background() const { return static_cast<int>(background_names.size()); }
};

/// How the per-pixel polishes are scheduled. PerPixel: the pixels of a wavefront on OpenMP
/// threads, each pixel's polishes (template start, neighbour start, background only, without
/// each state) one after the other. Batched: each of those steps for every pixel of the
/// wavefront in one batch (one launch on the GPU: one warp per polish; the host keeps the
/// starts, the Tougaard curve between rounds, the choice of start and the significance test,
/// computed from the polishes' deviances). Auto: Batched with backend cuda, else PerPixel; on
/// the CPU both give the same numbers (the same steps in the same order). EmulatedWarp (CPU
/// backend, for tests): Batched with the CUDA kernel's arithmetic emulated on the CPU (each
/// polish's channel sums over 32 lanes combined in the warp's shuffle order, no line-shape
/// tables), so the GPU path's batching and lane mapping are tested without a device.
enum class TemplateSchedule { Auto, PerPixel, Batched, EmulatedWarp };

/// Fits `image` as an image (see the file comment). The template comes from the sum spectrum
/// fitted with `config` (its [peaks] count range, doublet, shape, [background], [em]; always on
/// the CPU, so every backend gets the same template); the [image] keys give max_shift and level.
/// Throws vitrum::Error when the sum spectrum has no peak or the request is bad (as
/// fit_spectra). Backends cpu (OpenMP within each wavefront) and cuda (batched per wavefront).
TemplateFitResult fit_image_template(const SpectrumImage& image, const FitConfig& config,
                                     const FitOptions& options = {},
                                     TemplateSchedule schedule = TemplateSchedule::Auto);

/// Curves of pixel `pixel` of a template fit (data, model, background, one curve per component
/// named after its template position), for write_spectrum_fit_csv / plot_fit_csv. The model is
/// rebuilt from the result's position, area and background values of the pixel.
FitCurves template_fit_curves(const TemplateFitResult& r, const SpectrumImage& image, long pixel);

/// Curves of the template itself on the sum spectrum (data: the sum's window; model: the
/// polished sum spectrum's parameters, the model every pixel is fitted with), for the `_sum.csv`.
FitCurves template_sum_curves(const TemplateFitResult& r);

/// Result maps of a template fit: n_components, lr_total, chi2_reduced, log_likelihood, start,
/// status, per-component stacks position and area masked where not significant (NaN),
/// position_all / area_all unmasked, lr_component, significant, background weights.
MapSet template_result_maps(const TemplateFitResult& r, const SpectrumImage& image,
                            const FitConfig& cfg);

/// The residual cube (data − model on the fitted window, ny × nx × channels) as an image named
/// "<block>_residual", for write_maps_hdf5's cubes.
SpectrumImage template_residual_cube(const TemplateFitResult& r, const SpectrumImage& image);

}  // namespace vitrum::spectra
