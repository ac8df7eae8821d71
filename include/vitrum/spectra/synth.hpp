#pragma once
/// \file synth.hpp
/// Synthetic XPS spectrum images with known truth, for tests and benchmarks of the fit.
///
/// Every pixel holds one core level in two chemical states, A and B:
///   state A at binding energy x_A (eV), state B at x_A + Δ(y, x)   (Δ: the chemical-shift map)
///   area of B = r(y, x) · P,  area of A = (1 − r(y, x)) · P            (r: the intensity-ratio
///   map)
/// optionally each as a spin–orbit doublet (partner at +splitting eV, area ratio d, e.g. 1/2 for p,
/// 2/3 for d, 3/4 for f; the state's area is shared main : partner = 1 : d). Shapes are Gaussian or
/// pseudo-Voigt (lineshapes.hpp, shared FWHM F and Lorentzian area fraction η). The expected counts
/// of channel i (energy E_i, width δ = energy_step) are
///   μ_i = b + k · Σ_{j<i} s_j + k · s_i / 2 + s_i,     s_i = δ Σ_peaks A f(E_i)
/// i.e. a flat background b plus a Shirley-like step proportional to the peak intensity at lower
/// binding energy (total step height k · P), and the observed counts are Poisson(μ_i). Each pixel
/// With `background_kind = Tougaard` the step is replaced by an inelastic background computed
/// from the peaks with a universal cross-section F (math/backgrounds.hpp):
///   μ_i = b + ∫_{E_0}^{E_i} F(E_i − E') ŝ(E') dE' + s_i,   ŝ the linear interpolant of s,
/// (B scales F; the "U 2" cross-section B T/(C + T²)² or "U 3" B T/((C − T²)² + D T²)).
/// `line_shape` (any text parse_casa_lineshape accepts: GL(30), SGL(30), LA(1.5,3,20), DS(0.1,40),
/// Voigt(0.3), PV(0.3), Gaussian, Lorentzian) replaces `shape`/`eta` when not empty; every peak
/// then has that shape with FWHM parameter `fwhm` (peak_shapes.hpp). Each pixel
/// has its own random stream (xoshiro256** seeded by splitmix64 of seed and pixel index), so the
/// image is the same for a given seed on any thread count and platform.

#include <cstdint>
#include <string>
#include <vector>

#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/spectrum.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::spectra {

/// Peak shape of the synthetic image.
enum class SynthShape { Gaussian, PseudoVoigt };

/// Background of the synthetic image besides the flat part.
enum class SynthBackground {
  ShirleyStep,  ///< k · (peak counts at lower binding energy), k = `shirley`
  Tougaard,     ///< universal-cross-section loss background of the peaks (`tougaard`)
};

/// Spatial pattern p(y, x) ∈ [0, 1] of a synthetic map; the map is min + (max − min) · p.
enum class SynthPattern {
  Constant,   ///< p = 0 (the map is `min` everywhere)
  GradientX,  ///< p = x / (nx − 1)
  GradientY,  ///< p = y / (ny − 1)
  Radial,     ///< p = 1 at the centre falling to 0 at the corners
  Checker,    ///< p alternates 0 / 1 in square tiles of `tile` pixels
};

/// One synthetic map: pattern and value range.
struct SynthMap {
  SynthPattern pattern = SynthPattern::GradientX;
  double min = 0.0;
  double max = 1.0;
  int tile = 4;  ///< tile size in pixels (Checker only)
};

/// Parameters of synthesize(). Energies are binding energies in eV; counts are expected counts.
struct SynthConfig {
  int ny = 32;                ///< image rows
  int nx = 32;                ///< image columns
  double energy_min = 278.0;  ///< first channel (eV, binding)
  double energy_max = 294.0;  ///< last channel (eV, binding; included when on the grid)
  double energy_step = 0.05;  ///< channel spacing (eV)
  SynthShape shape = SynthShape::Gaussian;
  double position = 284.8;         ///< binding energy of state A (eV)
  double fwhm = 1.0;               ///< FWHM of every peak (eV)
  double eta = 0.3;                ///< Lorentzian area fraction (pseudo-Voigt only), 0–1
  double doublet_splitting = 0.0;  ///< spin–orbit splitting (eV); 0 = singlets
  double doublet_ratio = 0.5;      ///< partner : main area ratio of a doublet
  SynthMap shift{SynthPattern::GradientX, 0.8, 2.0};  ///< chemical shift Δ of B vs A (eV)
  SynthMap ratio{SynthPattern::Radial, 0.1, 0.9};     ///< fraction r of the intensity in B
  double peak_counts = 20000.0;  ///< P: expected counts in all peaks of one pixel
  double background = 100.0;     ///< b: flat background (expected counts per channel)
  double shirley = 0.005;        ///< k: step height / P (Shirley-like step)
  std::string line_shape;        ///< any line shape (see above); empty: `shape` and `eta`
  SynthBackground background_kind = SynthBackground::ShirleyStep;
  math::TougaardCrossSection tougaard;  ///< B, C, D, three_param (Tougaard background)
  bool noise = true;                    ///< Poisson noise; false gives the expected counts
  std::uint64_t seed = 1;               ///< random seed
  double photon_energy = 1486.6;        ///< hν recorded in the image (Al Kα), for KE conversion
  std::string name = "synthetic";       ///< image name
};

/// Output of synthesize(): the image, its noise-free expectation and the truth maps.
struct SynthResult {
  SpectrumImage image;     ///< observed counts (Poisson if config.noise)
  SpectrumImage expected;  ///< μ, the noise-free expected counts, same shape
  /// Truth over the ny × nx grid: maps "shift" (eV), "ratio" (B fraction), "peak_counts",
  /// "background", "shirley_step" (counts/channel), "tougaard_B" (eV², 0 without Tougaard);
  /// per-peak stacks "position" (eV), "fwhm" (eV),
  /// "eta", "area" (counts, over the whole real line), peaks ordered A, [A partner], B, [B
  /// partner].
  MapSet truth;
};

/// Generates a synthetic image. Throws vitrum::Error naming the parameter when `config` is invalid
/// (sizes ≤ 0, step ≤ 0, FWHM ≤ 0, η or ratio outside [0, 1], peaks outside the energy window…).
/// Deterministic: the same config gives the same bits.
SynthResult synthesize(const SynthConfig& config);

/// Value p(y, x) ∈ [0, 1] of `pattern` at pixel (iy, ix) of an ny × nx grid.
double synth_pattern(const SynthMap& map, int iy, int ix, int ny, int nx);

/// Parses a pattern name: constant, gradient_x, gradient_y, radial, checker.
SynthPattern parse_synth_pattern(const std::string& name);

/// Reads a synth configuration from a TOML file on top of `base` (see configs/ or
/// `vitrum spectra synth --help` for the keys). Throws InputError naming the file and key.
SynthConfig load_synth_config(const std::string& path, const SynthConfig& base = {});

/// Deterministic Poisson sampler on one random stream: (seed, stream) gives the same sequence on
/// every platform (xoshiro256**; PTRS rejection for mean ≥ 10, multiplication method below).
class PoissonStream {
 public:
  PoissonStream(std::uint64_t seed, std::uint64_t stream);
  /// Uniform double in [0, 1).
  double uniform();
  /// Poisson(mean) sample; mean ≤ 0 gives 0.
  double poisson(double mean);

 private:
  std::uint64_t s_[4];
};

}  // namespace vitrum::spectra
