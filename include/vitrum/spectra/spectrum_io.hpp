#pragma once
/// \file spectrum_io.hpp
/// Reading spectra (VAMAS ISO 14976, HDF5 spectrum images, two-column text/CSV) into
/// SpectrumImage, and writing spectrum images, fit-result maps and single-spectrum fit curves.
///
/// Every reader returns energies strictly ascending (descending files are flipped together with
/// their intensities) and records the abscissa kind; every error is a vitrum::InputError naming
/// the file (and the line, for text formats) and what was expected.
///
/// HDF5 output uses one layout that HyperSpy (.hspy 3.1), NeXus (NXdata) and plain h5py read
/// (../shared/formats/spectrum-hdf5.md):
///
///   /                       @file_format="HyperSpy" @file_format_version="3.1" @NX_class="NXroot"
///                           @default="Experiments"
///   /Experiments            @NX_class="NXentry" @default=<first signal>
///   /Experiments/<signal>   @NX_class="NXdata" @signal="data" @axes=[...] @<axis>_indices
///     data                  float32, navigation axes first, signal axes last (C order)
///     axis-0, axis-1, ...   HyperSpy axes (@name @units @size @offset @scale @navigate @is_binned)
///     <axis> datasets       NeXus coordinates with @units @long_name (energy also @type)
///     metadata/General, metadata/Signal, original_metadata
///
/// All writers are atomic (write `<path>.tmp-<pid>`, close, rename onto `path`; the temporary is
/// removed on failure) and close every HDF5 handle on every exit path.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "vitrum/spectra/spectrum.hpp"

namespace vitrum::spectra {

// ------------------------------------------------------------------------------------------------
// Reading

/// What the energy axis of the returned images should be.
enum class EnergyAxis {
  AsRecorded,  ///< keep the file's abscissa kind (binding or kinetic)
  Binding,     ///< convert kinetic → binding with E_B = hν − E_K (needs hν from the file)
  Kinetic,     ///< convert binding → kinetic with E_K = hν − E_B (needs hν from the file)
};

/// File formats read_spectra understands.
enum class SpectrumFormat { Vamas, Hdf5, Csv, NetCdf };

/// What a file's energy axis is, where the file may not say it (netCDF/xarray).
enum class EnergyDeclared {
  FromFile,         ///< from the file's attributes or coordinate name; an error if it says none
  Binding,          ///< binding energy E_B (positive below the Fermi level)
  Kinetic,          ///< kinetic energy E_K (converted with hν and φ when asked)
  RelativeToFermi,  ///< E − E_F, stored as binding energy E_B = −(E − E_F)
};

/// Options of read_spectra. The defaults return the file's data unchanged apart from ordering.
struct ReadOptions {
  /// Abscissa conversion. Converting needs the excitation energy (VAMAS block parameter 14, HDF5
  /// original_metadata photon_energy_eV / NeXus source energy, or `photon_energy` below); a
  /// conversion without one is an error naming the block.
  EnergyAxis energy = EnergyAxis::AsRecorded;
  /// Excitation energy hν (eV) to use where the file gives none (0: none).
  double photon_energy = 0.0;
  /// VAMAS: intensities recorded as a rate (unit "c/s") are multiplied by collection time × number
  /// of scans to give counts, the right input for a Poisson (EM) fit. Recorded in metadata.
  bool rate_to_counts = false;
  /// VAMAS MAP/MAPDP: assemble blocks of one region into an ny × nx image when the header gives
  /// discrete x and y counts and the blocks fill the grid. Off: one SpectrumImage per block.
  bool assemble_maps = true;
  /// netCDF: kind of the energy axis when the file does not declare it (or to override it).
  EnergyDeclared energy_kind = EnergyDeclared::FromFile;
  /// netCDF: name of the energy dimension ("": the one named energy/binding_energy/… or the
  /// only coordinate in eV).
  std::string energy_dimension;
  /// Work function φ (eV) where the file gives none (0: none), for kinetic ↔ binding.
  double work_function = 0.0;
};

/// Reads every spectrum in `path`. The format is chosen by extension (.vms .vamas .npl → VAMAS;
/// .h5 .hdf5 .hspy .nxs .nx5 → HDF5; .csv .txt .dat .xy .tsv → text) and confirmed by content
/// (HDF5 signature, VAMAS format line); an unknown extension is accepted only if the content is
/// recognisably HDF5 or VAMAS. VAMAS: one entry per block (MAP-mode regions assembled into
/// images, see ReadOptions::assemble_maps); HDF5: one entry per spectrum dataset; text: one entry
/// (a stack when there are more than two columns).
/// Throws InputError (file, line where known, what was expected) on any malformed input.
std::vector<SpectrumImage> read_spectra(const std::string& path, const ReadOptions& options = {});

/// netCDF-4 reader for spectral images written by xarray (DataArray.to_netcdf, engine netcdf4 or
/// h5netcdf): every data variable of the root group with 1–3 dimensions, one of them energy, in
/// any order; navigation dimensions named y and x are taken as such, else in stored order.
/// Dimensions are resolved from the HDF5 dimension scales (not through libnetcdf, which links
/// a second, serial HDF5; see src/spectra/spectrum_netcdf.cpp). The axis kind comes from
/// ReadOptions::energy_kind, else the attribute `energy_axis` ("binding", "kinetic", "E-E_F")
/// of the coordinate, the variable or the file, else the coordinate's name or long_name;
/// hν from attrs `photon_energy`/`hv`, φ from `work_function`. See
/// docs/spectra-images.md.
std::vector<SpectrumImage> read_spectrum_netcdf(const std::string& path,
                                                const ReadOptions& options = {});

/// True when `path` is an HDF5 file with netCDF-4's root attribute `_NCProperties`.
bool is_netcdf4(const std::string& path);

/// Format of `path` as read_spectra would choose it; throws InputError if unknown.
SpectrumFormat detect_spectrum_format(const std::string& path);

/// VAMAS (ISO 14976) reader: REGULAR and IRREGULAR scans, NORM/SDP/MAP/MAPDP/… experiment modes,
/// inclusion lists, CRLF/LF, blank-line-prefixed files. See ../shared/formats/vamas.md.
std::vector<SpectrumImage> read_vamas(const std::string& path, const ReadOptions& options = {});

/// HDF5 reader: the HyperSpy/NeXus layout above (every /Experiments/<name> with a `data`
/// dataset), or any NXdata group with @signal. Data rank 1 (one spectrum), 2 (stack n × channels)
/// or 3 (ny × nx × channels), energy last.
std::vector<SpectrumImage> read_spectrum_hdf5(const std::string& path,
                                              const ReadOptions& options = {});

/// Text reader: columns separated by commas, semicolons, tabs or spaces; `#` comments; optional
/// header line(s) before the first numeric row (a header naming "binding"/"BE" or "kinetic"/"KE"
/// sets the energy kind; binding is the default). Column 1 is energy (eV), every further column
/// one spectrum. Energy must be strictly monotonic (descending is flipped).
std::vector<SpectrumImage> read_spectrum_csv(const std::string& path,
                                             const ReadOptions& options = {});

// ------------------------------------------------------------------------------------------------
// Energy-axis helpers (also used by the fit)

/// Converts `image` in place to `kind` using hν = `photon_energy` (or image.photon_energy when
/// `photon_energy` is 0) and the work function image.work_function (E_B = hν − φ − E_K),
/// re-ordering channels to stay ascending. Throws Error if hν is unknown.
void convert_energy(SpectrumImage& image, EnergyKind kind, double photon_energy = 0.0);

/// Channels of `image` with lo ≤ energy ≤ hi (eV, in the image's own kind), as a new image.
/// Throws Error naming image.source, image.name and both ranges when the window is empty, inverted
/// or lies (partly) outside the data, or holds fewer than `min_channels` channels.
SpectrumImage select_window(const SpectrumImage& image, double lo, double hi, int min_channels = 3);

/// Throws InputError(file) unless `energy` is strictly monotonic with at least 2 values; returns
/// true when it is descending. `what` names the axis in the message, e.g. "block 'C 1s'".
bool check_monotonic(const std::vector<double>& energy, const std::string& file,
                     const std::string& what);

/// Lower-case name of the energy kind ("binding" / "kinetic").
const char* energy_kind_name(EnergyKind kind);

// ------------------------------------------------------------------------------------------------
// Writing

/// Writes spectrum images to one HDF5 file, each as /Experiments/<name> (names sanitised to
/// [A-Za-z0-9_.-] and made unique; the original name is kept in metadata/General/@title).
/// data is float32 of shape (ny, nx, channels), (n, channels) for one navigation axis, or
/// (channels) for a single spectrum; chunks of whole spectra, gzip + shuffle. Atomic.
void write_spectra_hdf5(const std::string& path, const std::vector<SpectrumImage>& images);

/// write_spectra_hdf5 for one image (e.g. the output of `vitrum spectra synth`).
void write_spectrum_image_hdf5(const std::string& path, const SpectrumImage& image);

/// A 2-D map over the navigation grid: ny × nx values, [pixel] in C order (y slowest).
struct Map {
  std::string name;           ///< dataset-group suffix, e.g. "log_likelihood", "bic", "status"
  std::string units;          ///< e.g. "eV", "counts", "" for dimensionless
  std::string long_name;      ///< axis label for plots, e.g. "Log-likelihood"
  std::vector<float> values;  ///< ny * nx values
  bool integer = false;       ///< store as int32 (status codes, iteration and peak counts)
};

/// Per-peak maps: n_peaks × ny × nx values, [peak][pixel]. NaN where a pixel has fewer peaks.
struct PeakStack {
  std::string name;       ///< e.g. "position", "fwhm", "area", "eta"
  std::string units;      ///< e.g. "eV", "counts"
  std::string long_name;  ///< e.g. "Peak position (binding energy)"
  int n_peaks = 0;
  std::vector<float> values;             ///< n_peaks * ny * nx values
  std::vector<std::string> peak_labels;  ///< optional, one per peak (e.g. "C 1s A", "C 1s B")
};

/// One set of result maps over one navigation grid, e.g. the fit of one region of one image, or
/// the truth of a synthetic image. Each Map and PeakStack becomes its own HyperSpy signal
/// /Experiments/<name>_<map.name> (NXdata, signal axes y and x; stacks have a navigation axis
/// "peak" first), so HyperSpy shows them as images and NeXus viewers plot them.
struct MapSet {
  std::string name;    ///< prefix of the signal names, e.g. "C1s"
  std::string title;   ///< human-readable, stored as metadata/General/@title (default: name)
  std::string source;  ///< file the spectra came from (metadata/General/@original_filename)
  int ny = 1, nx = 1;  ///< navigation grid
  /// Navigation axes as in SpectrumImage::navigation (copy the fitted image's to keep its
  /// coordinates): empty = pixel-index y, x; one axis = a line/stack of nx points (ny = 1).
  std::vector<NavAxis> navigation;
  std::vector<Map> maps;
  std::vector<PeakStack> peak_stacks;
  std::map<std::string, std::string> metadata;  ///< written to original_metadata (fit settings…)
};

/// Writes result maps (and optionally spectrum cubes, e.g. the fitted model or residual, each as
/// in write_spectra_hdf5) to one HDF5 file. Sizes are checked (Error naming the map). Atomic.
void write_maps_hdf5(const std::string& path, const std::vector<MapSet>& sets,
                     const std::vector<SpectrumImage>& cubes = {});

/// The curves of one fitted spectrum, for write_spectrum_fit_csv and scripts/plot_spectra.py.
struct FitCurves {
  std::vector<double> energy;      ///< eV, ascending
  std::vector<double> data;        ///< measured intensity
  std::vector<double> fit;         ///< total model (peaks + background)
  std::vector<double> background;  ///< may be empty
  /// name, curve of each peak alone (without background; the plot draws it on the background)
  std::vector<std::pair<std::string, std::vector<double>>> components;
  EnergyKind energy_kind = EnergyKind::Binding;
};

/// Writes `curves` as CSV: a `#` comment line per entry of `comments`, then the header
/// `binding_energy_eV|kinetic_energy_eV,data,fit[,background],<component names>` and one row per
/// channel. Component names have commas replaced. Sizes checked. Atomic.
void write_spectrum_fit_csv(const std::string& path, const FitCurves& curves,
                            const std::vector<std::string>& comments = {});

}  // namespace vitrum::spectra
