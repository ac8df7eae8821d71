#pragma once
/// \file spectrum.hpp
/// A batch of spectra sharing one energy axis: a spectral image (ny × nx × channels), a stack or
/// line scan (n × channels) or a single spectrum (1 × 1 × channels). Layout [pixel][channel], C
/// order, energy ascending (readers flip descending data). This is the unit the fit pipeline
/// batches over.

#include <map>
#include <string>
#include <vector>

namespace vitrum::spectra {

/// Kind of the energy abscissa.
enum class EnergyKind { Binding, Kinetic };

/// One navigation axis as stored in a file (HyperSpy `axis-i` / NeXus coordinate): value of index
/// i is offset + i * scale, in `units`.
struct NavAxis {
  std::string name;   ///< coordinate name as written in the file, e.g. "y", "x", "cycle"
  std::string units;  ///< e.g. "µm", "" for a plain index
  double offset = 0.0;
  double scale = 1.0;
  std::string long_name;  ///< human-readable name, e.g. "Depth-profile cycle"
};

struct SpectrumImage {
  std::string name;            ///< block / dataset name
  std::string source;          ///< file it came from
  int ny = 1, nx = 1;          ///< navigation shape (pixels = ny * nx)
  std::vector<double> energy;  ///< channel energies (eV), strictly ascending
  std::vector<float> counts;   ///< ny * nx * channels intensities, [pixel][channel]
  EnergyKind energy_kind = EnergyKind::Binding;
  std::string energy_units = "eV";
  std::map<std::string, std::string> metadata;  ///< instrument header fields, verbatim
  /// Excitation (photon) energy hν in eV, 0 when the file does not give it. Binding energy =
  /// hν − kinetic energy (no work-function term).
  double photon_energy = 0.0;
  /// Work function φ (eV) of the kinetic-energy scale, 0 when unknown: with it the conversion is
  /// E_B = hν − φ − E_K (set by readers whose files give it, e.g. netCDF attrs).
  double work_function = 0.0;
  /// Navigation axes as stored, slowest first. Empty: the default, (y, x) pixel-index axes for
  /// an image, none for a single spectrum. One axis: a stack or line scan, stored with ny = 1,
  /// nx = axis length.
  std::vector<NavAxis> navigation;

  int channels() const { return static_cast<int>(energy.size()); }
  long pixels() const { return static_cast<long>(ny) * nx; }
  const float* spectrum(long pixel) const { return counts.data() + pixel * channels(); }
  float* spectrum(long pixel) { return counts.data() + pixel * channels(); }
};

}  // namespace vitrum::spectra
