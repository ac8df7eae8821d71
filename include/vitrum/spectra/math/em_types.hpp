#pragma once
/// \file em_types.hpp
/// Plain data shared by the CPU and CUDA backends of the spectrum-adapted EM fit: limits, the
/// per-batch model description, the channel grids, the per-fit state, the per-spectrum workspace,
/// the result view ([fit][param] layout) and the serial executor. Everything here is POD so a
/// kernel can take it by value; pointers point to host memory on the CPU and to device memory in
/// a kernel.

#include <cstdint>

#include "vitrum/core/hd.hpp"

namespace vitrum::spectra::math {

/// Most peaks (or doublets) one fit may hold.
inline constexpr int kMaxPeaks = 8;
/// Most fixed-shape background components (uniform, two ramps, step ramps) plus Shirley.
inline constexpr int kMaxBackground = 16;
/// Free shape parameters per peak: position μ, t = ln FWHM, Lorentzian fraction η.
inline constexpr int kShapeParams = 3;
/// Most parameters of one fit: per peak area + shape parameters, plus background weights.
inline constexpr int kMaxParams = kMaxPeaks * (1 + kShapeParams) + kMaxBackground;
/// Accumulated sums per peak in one E-pass: W, ∇Q part (3), Z, ∇Z (3), Σ ∇g∇gᵀ/g (6).
inline constexpr int kPeakSums = 14;
/// Length of the accumulator vector of one E-pass (peaks, background, likelihood terms).
inline constexpr int kAccumSize = kMaxPeaks * kPeakSums + kMaxBackground + 2;

/// Peak shapes the fit knows (values from vitrum/spectra/math/lineshapes.hpp).
enum class PeakShape : int { Gaussian = 0, PseudoVoigt = 1 };

/// Outcome of one fit, stored as an integer in the result maps. Bad spectra are reported here,
/// never thrown: a batch of 65 536 spectra must not stop at one NaN.
enum class FitStatus : int {
  Converged = 0,       ///< relative change of the log-likelihood fell below the tolerance
  IterationLimit = 1,  ///< max_iterations reached before convergence (parameters still usable)
  DegeneratePeak = 2,  ///< a peak lost (almost) all its intensity in every candidate fit
  EmptySpectrum = 3,   ///< no intensity in the window (all zero); not fitted
  InvalidValues = 4,   ///< NaN or infinite intensities in the window; not fitted
  NegativeValues = 5,  ///< negative intensities in the window (and negative = "reject"); not fitted
};

/// How a fit was started (diagnostics; the start that gave the kept fit is reported).
enum class StartKind : int { Maxima = 0, Extend = 1, Random = 2 };

/// A channel grid: the full window or the binned screening copy. bg holds the fixed background
/// shapes, each normalised to sum 1 over the grid: bg[b * n + i].
struct Grid {
  const double* x = nullptr;     ///< channel energies (eV), ascending
  const double* mult = nullptr;  ///< channels of the full grid summed into each channel (1 on it)
  const double* bg = nullptr;    ///< n_bg_fixed × n fixed background shapes
  int n = 0;                     ///< channels
  int bin = 1;                   ///< full-grid channels per channel (last one may hold fewer)
  int uniform = 0;               ///< channel centres evenly spaced (to 1e-6 of the spacing)
};

/// The fit model shared by every spectrum of a batch (all energies in eV on the fitted axis).
struct EmModel {
  PeakShape shape = PeakShape::PseudoVoigt;
  int eta_free = 1;  ///< η fitted per peak (pseudo-Voigt only); otherwise fixed at eta_init
  double eta_init = 0.3, eta_lo = 0.0, eta_hi = 1.0;
  int doublet = 0;     ///< each peak is a spin–orbit doublet
  double split = 0.0;  ///< signed offset (eV) of the minor line from the major one on this axis
  double ratio = 0.0;  ///< area of the minor line / area of the major line
  double mu_lo = 0.0, mu_hi = 0.0;       ///< bounds on the (major-line) position
  double fwhm_lo = 0.1, fwhm_hi = 10.0;  ///< bounds on the FWHM
  double fwhm_init = 1.0;                ///< FWHM of random starts' geometric centre
  int n_bg_fixed = 0;                    ///< fixed-shape background components on each grid
  int shirley = 0;                       ///< an active Shirley component follows them
  int shirley_rising = 1;                ///< Shirley grows toward higher x (binding-energy axis)
  double delta = 1.0;  ///< mean full-grid channel spacing (eV): area ↔ counts conversion
  double x_lo = 0.0, x_hi = 0.0;  ///< window edges (first and last channel)

  VITRUM_HD int shape_params() const { return shape == PeakShape::PseudoVoigt && eta_free ? 3 : 2; }
  VITRUM_HD int n_bg() const { return n_bg_fixed + (shirley ? 1 : 0); }
};

/// Iteration control and model selection, shared by every spectrum of a batch.
struct EmControl {
  int k_min = 1, k_max = 4;         ///< range of the number of peaks, chosen by BIC
  int random_starts = 3;            ///< seeded random starts per number of peaks
  int screen_iterations = 15;       ///< iterations every start gets before the best is kept
  int max_iterations = 1000;        ///< iterations of the kept start (per grid)
  double tolerance = 1e-9;          ///< relative change of the multinomial log-likelihood
  double abs_tolerance = 1e-2;      ///< and at most this absolute change (log-likelihood units)
  double min_peak_fraction = 1e-6;  ///< a peak with less of the counts is degenerate
  double smooth_fwhm = 0.5;         ///< FWHM (eV) of the Gaussian smoothing for start detection
  std::uint64_t seed = 1;           ///< random starts: counter-based on (seed, spectrum, K, start)
  int clip_negative = 0;            ///< negative intensities set to 0 instead of rejecting the fit
  int uncertainties = 1;            ///< compute standard errors from the observed information
  int bic_patience = 0;  ///< stop the K scan after this many K without a better BIC (0: scan all)
};

/// State of one mixture: per peak area A (intensity × eV), position μ (eV), t = ln FWHM and η;
/// per background component its counts c. Expected counts in channel n:
///   λ_n = Σ_k A_k g_k(x_n) m_n + Σ_b c_b h_b(n)
/// with g the unit-area peak shape and h_b the background shapes normalised over the grid.
struct EmState {
  int k = 0;
  double area[kMaxPeaks];
  double mu[kMaxPeaks];
  double t[kMaxPeaks];
  double eta[kMaxPeaks];
  double bg[kMaxBackground];
  double loglik = 0.0;  ///< Poisson log-likelihood without the Σ ln y! constant, on its grid
  double lmult = 0.0;   ///< multinomial log-likelihood Σ y ln(λ/Λ) (convergence scale)
  int iterations = 0;   ///< E-passes spent on this fit (all grids)
  int status = 0;       ///< FitStatus
  int start = 0;        ///< StartKind of the start this fit came from
};

/// Per-spectrum scratch, allocated by the dispatch point (host memory on the CPU, global memory
/// per block on the GPU). Sizes: n = full channels, nb = screening channels.
struct Workspace {
  double* y = nullptr;        ///< n: intensities (scaled, double)
  double* yb = nullptr;       ///< nb: screening-grid intensities
  double* smooth = nullptr;   ///< nb: smoothed per-channel intensity (start detection)
  double* resid = nullptr;    ///< nb: residual of the start being built
  double* shirley = nullptr;  ///< n: current Shirley shape on the grid in use
  double* peaks = nullptr;    ///< n: peak sums of a state (its Shirley shape)
  double* inv_lam = nullptr;  ///< n: 1/λ per channel of the last evaluated state
  double* stage = nullptr;    ///< stage_doubles(n): staged E-pass scratch (kStaged executors)
  double* info = nullptr;     ///< kMaxParams²: observed information, then its factor
  EmState* shared = nullptr;  ///< one state broadcast from the leader lane to the others
  double ylog = 0.0;          ///< Σ y ln λ of the state whose 1/λ is in inv_lam
  const double* ylog_grid = nullptr;  ///< grid (its x) inv_lam and ylog belong to; null: none
};

/// Where one backend writes its results; layout [fit][param] (param fastest).
struct ResultView {
  int max_peaks = 0;  ///< row length of the per-peak arrays (k_max)
  int n_bg = 0;       ///< row length of background arrays
  int n_k = 0;        ///< row length of bic_by_k (k_max − k_min + 1)
  int* n_peaks = nullptr;
  int* status = nullptr;
  int* iterations = nullptr;
  int* start = nullptr;
  double* position = nullptr;
  double* fwhm = nullptr;
  double* area = nullptr;
  double* eta = nullptr;
  double* position_se = nullptr;
  double* fwhm_se = nullptr;
  double* area_se = nullptr;
  double* eta_se = nullptr;
  double* background = nullptr;  ///< counts per background component
  double* log_likelihood = nullptr;
  double* bic = nullptr;
  double* total_counts = nullptr;
  double* bic_by_k = nullptr;
};

/// Executor of a single lane: the CPU backend runs one spectrum per OpenMP thread with it. The
/// CUDA backend provides the same interface for a thread block (lanes = threads). Contract:
/// loops over channels are strided by lanes(); reduce() sums each of v[0..m) over all lanes and
/// leaves the total in every lane; code between `if (leader())` and sync() runs on one lane.
struct SerialExec {
  static constexpr bool kStaged = true;  ///< E-passes staged through Workspace::stage
  VITRUM_HD int lane() const { return 0; }
  VITRUM_HD int lanes() const { return 1; }
  VITRUM_HD bool leader() const { return true; }
  VITRUM_HD void sync() const {}
  VITRUM_HD void reduce(double*, int) const {}
};

/// SplitMix64: a counter-based generator, so the random starts of spectrum i do not depend on
/// the thread or block that fits it.
VITRUM_HD std::uint64_t splitmix64(std::uint64_t& s) {
  s += 0x9E3779B97F4A7C15ull;
  std::uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Uniform double in [0, 1).
VITRUM_HD double uniform01(std::uint64_t& s) {
  return static_cast<double>(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/// Seed of the random stream of (spectrum, K, start).
VITRUM_HD std::uint64_t stream_seed(std::uint64_t seed, long spectrum, int k, int start) {
  std::uint64_t s = seed ^ 0xD1B54A32D192ED03ull;
  s ^= static_cast<std::uint64_t>(spectrum) * 0x9E3779B97F4A7C15ull;
  splitmix64(s);
  s ^= (static_cast<std::uint64_t>(k) << 32) ^ static_cast<std::uint64_t>(start);
  splitmix64(s);
  return s;
}

template <typename T>
VITRUM_HD T vmin(T a, T b) {
  return a < b ? a : b;
}
template <typename T>
VITRUM_HD T vmax(T a, T b) {
  return a < b ? b : a;
}
template <typename T>
VITRUM_HD T vclamp(T v, T lo, T hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

}  // namespace vitrum::spectra::math
