#pragma once
/// \file fit.hpp
/// Batched peak fitting of spectra and spectral images with the spectrum-adapted EM algorithm
/// (Matsumura et al., STAM 20, 733 (2019); ../shared/formats/em-spectra.md). The math is in
/// vitrum/spectra/math/em.hpp (one copy for CPU and GPU); this header holds the configuration
/// (TOML), the result arrays ([fit][param] layout) and the single dispatch point fit_spectra().
///
/// Model per spectrum (energies in eV on the fitted axis, intensities as Poisson counts after
/// `intensity_scale`):
///   λ(x_n) = Σ_k A_k g(x_n; μ_k, F_k, η_k) + Σ_b c_b h_b(x_n)
/// with g a unit-area Gaussian or pseudo-Voigt (lmfit `pvoigt`, area mixing) — optionally a
/// spin–orbit doublet with fixed splitting and area ratio — and h_b background shapes
/// normalised over the window: uniform, increasing/decreasing linear ramps, a step-like sum of
/// ramps with evenly spaced nodes, and an active Shirley background. The number of peaks is
/// chosen by BIC = −2 ln L + P ln S (S = total counts, P free parameters) over a range.
///
/// Reported per fit: number of peaks; per peak position (eV, the major line of a doublet),
/// FWHM (eV), area (intensity × eV; a doublet's total), η (pseudo-Voigt), their standard
/// errors from the observed information; background counts per component; Poisson
/// log-likelihood (with the ln y! term), BIC, iterations, status.

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/math/em_types.hpp"
#include "vitrum/spectra/model.hpp"
#include "vitrum/spectra/spectrum.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

using math::FitStatus;
using math::PeakShape;

/// Lower-case name of a status: "converged", "iteration-limit", "degenerate-peak",
/// "empty-spectrum", "invalid-values", "negative-values".
const char* fit_status_name(FitStatus s);

/// Axis the fit runs on.
enum class FitAxis { AsRecorded, Binding, Kinetic };

/// Everything a fit needs besides the data. Defaults are those of an empty config file and are
/// listed by fit_config_help(). NaN means "derived from the data" where a comment says so.
struct FitConfig {
  std::string source;  ///< config file it came from ("" for defaults)

  // [data]
  std::vector<std::string> blocks;     ///< blocks/datasets to fit by name; empty: every block
  FitAxis axis = FitAxis::AsRecorded;  ///< energy axis to fit on (converted with hν if needed)
  double photon_energy = 0.0;          ///< hν (eV) where the file gives none (0: none)
  double work_function = 0.0;          ///< φ (eV) where the file gives none (0: none)
  /// netCDF: kind of the stored energy axis when the file does not say it.
  EnergyDeclared energy_kind = EnergyDeclared::FromFile;
  std::string energy_dimension;  ///< netCDF: name of the energy dimension ("": detected)
  double intensity_scale = 1.0;  ///< factor from stored intensities to Poisson counts
  bool rate_to_counts = false;   ///< VAMAS c/s → counts (collection time × scans)
  bool clip_negative = false;    ///< negative = "clip" (set to 0) instead of "reject"

  // [window]
  bool has_window = false;
  double window_min = 0.0, window_max = 0.0;  ///< eV on the fitted axis, inclusive

  // [peaks]
  PeakShape shape = PeakShape::PseudoVoigt;
  int k_min = 1, k_max = 3;                       ///< range of the number of peaks (or doublets)
  double position_min = NAN, position_max = NAN;  ///< NaN: the window
  double fwhm_min = NAN;                          ///< NaN: 3 channel spacings
  double fwhm_max = NAN;                          ///< NaN: a quarter of the window width
  double eta = 0.3;  ///< Lorentzian fraction: start value, or the value when fixed
  bool eta_free = true;
  double eta_min = 0.0, eta_max = 1.0;

  // [peaks.doublet]
  bool doublet = false;
  double doublet_splitting = 0.0;  ///< eV; the minor line lies at higher binding energy
  double doublet_ratio = 0.0;      ///< minor/major area (p 1/2, d 2/3, f 3/4)

  // [background]
  bool bg_uniform = true;
  bool bg_ramps = true;  ///< increasing and decreasing linear ramps
  int bg_steps = 0;      ///< step-like ramp components with evenly spaced nodes
  bool bg_shirley = false;

  // [em]
  double tolerance = 1e-9;      ///< relative change of the log-likelihood
  double abs_tolerance = 1e-2;  ///< and absolute change (ln L units) at convergence
  int max_iterations = 1000;
  int random_starts = 1;
  int bic_patience = 1;  ///< stop the K scan after this many K without a better BIC
  int screening_iterations = 5;
  std::uint64_t seed = 1;
  int screen_bin = 0;        ///< channels per screening bin; 0: auto (fwhm_min/4 per bin)
  double smooth_fwhm = NAN;  ///< start detection smoothing (eV); NaN: fwhm_min
  double min_peak_fraction = 1e-6;
  bool uncertainties = true;

  // [polish] (maximum-likelihood polish after the EM; polish_fit.hpp)
  bool polish = false;
  std::string polish_start = "em";  ///< em | model | casa
  math::PolishControl polish_control;
  bool polish_residuals = true;   ///< residual cube in the result file
  std::string polish_line_shape;  ///< start "em": CasaXPS shape of the components ("": EM's)
  bool polish_tougaard = false;   ///< start "em": active Tougaard background (B fitted)
  bool polish_bic = false;        ///< start "em": peaks also chosen by the polished BIC
  math::TougaardCrossSection polish_tougaard_xs;  ///< its cross-section (B = 1)

  // [model] (constrained model for polish start = "model")
  bool has_model = false;
  PeakModel model;
  // [image]
  bool image_template = false;     ///< mode = "template": fit images as images (fit_image.hpp)
  double image_max_shift = 0.3;    ///< eV: bound on each component's shift from the template
  double image_level = 1e-3;       ///< significance level α of the per-component test
  bool image_neighbors = true;     ///< also start each pixel from its fitted neighbours
  bool image_free_widths = false;  ///< widths = "free": each pixel fits every state's FWHM

  // [output]
  bool write_curves = true;  ///< single spectra: CSV of data, fit and components (+ PNG)
  bool write_png = true;     ///< PNG maps (images) / plot (single spectra) when possible
};

/// Parses a TOML fit configuration. Unknown tables or keys, wrong types and impossible values
/// throw vitrum::InputError naming the file, the line and the key.
FitConfig parse_fit_config(const std::string& toml_text, const std::string& source_name);
/// Reads and parses a TOML fit configuration file (InputError if it cannot be read).
FitConfig read_fit_config(const std::string& path);
/// The accepted keys with their defaults and meaning (for --help and the docs).
std::string fit_config_help();

/// How to run a fit.
struct FitOptions {
  Backend backend = Backend::Cpu;
  int threads = 0;  ///< CPU threads (0: OpenMP default)
  /// Called now and then with (spectra done, total) from one thread; may be empty.
  std::function<void(long, long)> progress;
};

/// Results of fitting one SpectrumImage: arrays over fits (pixels, C order y slowest) and, for
/// per-peak quantities, [fit][peak] with max_peaks = k_max slots (NaN beyond n_peaks[fit]);
/// peaks sorted by position.
struct FitResult {
  std::string name, source;  ///< block name and file of the fitted image
  int ny = 1, nx = 1;
  long fits = 0;
  EnergyKind energy_kind = EnergyKind::Binding;
  bool axis_converted = false;  ///< energies were converted to the fitted axis
  double photon_energy = 0.0;   ///< hν used for a conversion
  long window_first = 0;        ///< first fitted channel of the (converted) image
  std::vector<double> energy;   ///< fitted channels (eV)
  int screen_bin = 1;           ///< channels per screening bin actually used
  PeakShape shape = PeakShape::PseudoVoigt;
  bool doublet = false;
  double doublet_split = 0.0;  ///< signed offset of the minor line on this axis (eV)
  double doublet_ratio = 0.0;
  int k_min = 1, max_peaks = 0;
  std::vector<std::string> background_names;  ///< uniform, ramp_up, ramp_down, step_i, shirley
  std::vector<double> background_shapes;      ///< fixed shapes, [component][channel], sum 1
  double intensity_scale = 1.0;
  Backend backend = Backend::Cpu;
  double seconds = 0.0;  ///< wall time of the fit proper

  std::vector<int> n_peaks, status, iterations, start;        ///< [fit]
  std::vector<double> position, fwhm, area, eta;              ///< [fit][max_peaks]
  std::vector<double> position_se, fwhm_se, area_se, eta_se;  ///< [fit][max_peaks]
  std::vector<double> background;      ///< [fit][n_background] (intensity units summed)
  std::vector<double> log_likelihood;  ///< [fit] Poisson ln L, scaled counts
  std::vector<double> bic;             ///< [fit]
  std::vector<double> total_counts;    ///< [fit] Σ counts in the window (scaled)
  std::vector<double> bic_by_k;        ///< [fit][k_max − k_min + 1] (screening grid)

  int n_background() const { return static_cast<int>(background_names.size()); }
  int n_k() const { return max_peaks - k_min + 1; }
  /// Number of fits with each status (index = FitStatus value).
  std::vector<long> status_counts() const;
};

/// Fits every spectrum of `image` (one batch) on the chosen backend. Throws vitrum::Error for a
/// bad request (window outside the data, too few channels, bounds that cannot hold a peak, no
/// CUDA device); per-spectrum problems (NaN, negative, empty) only set that fit's status.
FitResult fit_spectra(const SpectrumImage& image, const FitConfig& config,
                      const FitOptions& options = {});

/// Curves of one fitted spectrum on the fitted channels, in the image's intensity units: data,
/// total model, background (sum of its components), one curve per peak ("peak_1", ...; a
/// doublet's curve holds both lines) and one per background component (uniform, ramp_up, ...,
/// shirley). `image` is the one given to fit_spectra.
struct FitCurveSet {
  std::vector<double> energy, data, fit, background;
  std::vector<std::pair<std::string, std::vector<double>>> peaks;
  std::vector<std::pair<std::string, std::vector<double>>> background_components;
};
FitCurveSet fit_curves(const FitResult& result, const SpectrumImage& image, long fit_index);

}  // namespace vitrum::spectra
