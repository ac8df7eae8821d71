// Dispatch of the spectrum readers by extension and content, and the energy-axis helpers shared by
// the readers and the fit.
#include "vitrum/spectra/spectrum_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"

namespace vitrum::spectra {
namespace {

std::string extension_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = base.find_last_of('.');
  if (dot == std::string::npos || dot == 0) return {};
  std::string ext = base.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

/// HDF5 signature at offset 0, 512, 1024, ... (a user block may precede the superblock).
bool looks_like_hdf5(std::ifstream& in) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (std::streamoff off = 0; off <= 8192; off = off ? off * 2 : 512) {
    in.clear();
    in.seekg(off);
    unsigned char buf[8] = {};
    if (!in.read(reinterpret_cast<char*>(buf), 8)) return false;
    if (std::equal(buf, buf + 8, sig)) return true;
  }
  return false;
}

bool looks_like_vamas(std::ifstream& in) {
  in.clear();
  in.seekg(0);
  std::string line;
  for (int i = 0; i < 20 && std::getline(in, line); ++i) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    return line.compare(b, 14, "VAMAS Surface ") == 0;
  }
  return false;
}

}  // namespace

const char* energy_kind_name(EnergyKind kind) {
  return kind == EnergyKind::Binding ? "binding" : "kinetic";
}

SpectrumFormat detect_spectrum_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the file for reading (does it exist?)");
  const std::string ext = extension_of(path);
  const bool hdf5 = looks_like_hdf5(in);
  const bool vamas = !hdf5 && looks_like_vamas(in);
  auto is = [&](std::initializer_list<const char*> exts) {
    for (const char* e : exts)
      if (ext == e) return true;
    return false;
  };
  if (is({"vms", "vamas", "npl"})) {
    if (hdf5) throw InputError(path, 0, "the extension says VAMAS but the content is an HDF5 file");
    return SpectrumFormat::Vamas;  // the VAMAS reader reports a wrong first line precisely
  }
  if (is({"nc", "nc4", "netcdf", "cdf"})) {
    if (!hdf5)
      throw InputError(path, 0,
                       "the extension says netCDF but the file is not netCDF-4/HDF5 (netCDF-3 "
                       "classic files are not read: write with engine=\"netcdf4\" or "
                       "\"h5netcdf\")");
    return SpectrumFormat::NetCdf;
  }
  if (is({"h5", "hdf5", "hdf", "he5", "hspy", "nxs", "nx5", "nxs5"})) {
    if (!hdf5)
      throw InputError(path, 0,
                       fmt::format("the extension '.{}' says HDF5 but the file has no HDF5 "
                                   "signature (truncated or not HDF5)",
                                   ext));
    return SpectrumFormat::Hdf5;
  }
  if (is({"csv", "txt", "dat", "xy", "tsv", "prn"})) {
    if (hdf5) return SpectrumFormat::Hdf5;
    if (vamas) return SpectrumFormat::Vamas;
    return SpectrumFormat::Csv;
  }
  if (hdf5) return SpectrumFormat::Hdf5;
  if (vamas) return SpectrumFormat::Vamas;
  throw InputError(
      path, 0,
      fmt::format("unknown spectrum format: extension '{}' is not one of .vms .vamas "
                  ".npl (VAMAS), .h5 .hdf5 .hspy .nxs (HDF5), .nc (netCDF-4), .csv .txt .dat .xy "
                  ".tsv (two-column text), and the content is neither HDF5 nor VAMAS",
                  ext.empty() ? "(none)" : "." + ext));
}

std::vector<SpectrumImage> read_spectra(const std::string& path, const ReadOptions& options) {
  std::vector<SpectrumImage> images;
  switch (detect_spectrum_format(path)) {
    case SpectrumFormat::Vamas:
      images = read_vamas(path, options);
      break;
    case SpectrumFormat::Hdf5:
      // xarray/netCDF-4 files saved under an HDF5 extension carry _NCProperties.
      images = is_netcdf4(path) ? read_spectrum_netcdf(path, options)
                                : read_spectrum_hdf5(path, options);
      break;
    case SpectrumFormat::NetCdf:
      images = read_spectrum_netcdf(path, options);
      break;
    case SpectrumFormat::Csv:
      images = read_spectrum_csv(path, options);
      break;
  }
  if (images.empty()) throw InputError(path, 0, "the file holds no spectra");
  return images;
}

bool check_monotonic(const std::vector<double>& energy, const std::string& file,
                     const std::string& what) {
  if (energy.size() < 2)
    throw InputError(
        file, 0,
        fmt::format("{}: {} channel(s); a spectrum needs at least 2", what, energy.size()));
  for (size_t i = 0; i < energy.size(); ++i)
    if (!std::isfinite(energy[i]))
      throw InputError(file, 0, fmt::format("{}: energy of channel {} is not finite", what, i));
  const bool descending = energy[1] < energy[0];
  for (size_t i = 1; i < energy.size(); ++i) {
    const bool ok = descending ? energy[i] < energy[i - 1] : energy[i] > energy[i - 1];
    if (!ok)
      throw InputError(file, 0,
                       fmt::format("{}: energy axis is not strictly monotonic: channel {} is {} "
                                   "eV after {} eV (channel {}), but the axis started {}",
                                   what, i, energy[i], energy[i - 1], i - 1,
                                   descending ? "descending" : "ascending"));
  }
  return descending;
}

void convert_energy(SpectrumImage& image, EnergyKind kind, double photon_energy) {
  if (image.energy_kind == kind) return;
  const double hv = photon_energy > 0 ? photon_energy : image.photon_energy;
  if (!(hv > 0))
    fail(
        "{}: '{}': cannot convert {} to {} energy: the excitation energy hν is unknown (give it "
        "explicitly)",
        image.source, image.name, energy_kind_name(image.energy_kind), energy_kind_name(kind));
  // E_B = hν − φ − E_K and E_K = hν − φ − E_B: the same reflection, which reverses the order.
  const double phi = image.work_function;
  for (auto& e : image.energy) e = hv - phi - e;
  std::reverse(image.energy.begin(), image.energy.end());
  const int n = image.channels();
  for (long p = 0; p < image.pixels(); ++p) std::reverse(image.spectrum(p), image.spectrum(p) + n);
  image.energy_kind = kind;
  image.photon_energy = hv;
  image.metadata["energy_converted"] =
      phi != 0.0 ? fmt::format("to {} with hν = {} eV, φ = {} eV", energy_kind_name(kind), hv, phi)
                 : fmt::format("to {} with hν = {} eV", energy_kind_name(kind), hv);
}

SpectrumImage select_window(const SpectrumImage& image, double lo, double hi, int min_channels) {
  const char* kind = energy_kind_name(image.energy_kind);
  if (image.energy.empty())
    fail("{}: '{}': the spectrum has no channels", image.source, image.name);
  const double emin = image.energy.front(), emax = image.energy.back();
  if (!(lo < hi))
    fail("{}: '{}': energy window [{}, {}] eV is empty or inverted: give lo < hi", image.source,
         image.name, lo, hi);
  // Half a channel of slack so a window typed as the data's own end points is accepted.
  const double slack = image.channels() > 1 ? 0.5 * (emax - emin) / (image.channels() - 1) : 0.0;
  if (lo < emin - slack || hi > emax + slack)
    fail(
        "{}: '{}': energy window [{}, {}] eV lies outside the data, which covers [{}, {}] eV "
        "({} energy)",
        image.source, image.name, lo, hi, emin, emax, kind);
  const auto b =
      std::lower_bound(image.energy.begin(), image.energy.end(), lo - 1e-9) - image.energy.begin();
  const auto e =
      std::upper_bound(image.energy.begin(), image.energy.end(), hi + 1e-9) - image.energy.begin();
  if (e - b < min_channels)
    fail("{}: '{}': energy window [{}, {}] eV holds {} channel(s), fewer than {}", image.source,
         image.name, lo, hi, e - b, min_channels);
  SpectrumImage out;
  out.name = image.name;
  out.source = image.source;
  out.ny = image.ny;
  out.nx = image.nx;
  out.energy.assign(image.energy.begin() + b, image.energy.begin() + e);
  out.energy_kind = image.energy_kind;
  out.energy_units = image.energy_units;
  out.metadata = image.metadata;
  out.photon_energy = image.photon_energy;
  out.navigation = image.navigation;
  const long m = e - b;
  out.counts.resize(static_cast<size_t>(image.pixels()) * m);
  for (long p = 0; p < image.pixels(); ++p)
    std::copy(image.spectrum(p) + b, image.spectrum(p) + e, out.counts.begin() + p * m);
  out.metadata["energy_window"] = fmt::format("[{}, {}] eV", lo, hi);
  return out;
}

}  // namespace vitrum::spectra
