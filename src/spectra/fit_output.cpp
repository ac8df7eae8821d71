// The outputs of a spectra fit (see fit_output.hpp): block selection, result maps, the CSV of a
// single spectrum's fit, and the PNG plots through scripts/plot_spectra.py.
#include "vitrum/spectra/fit_output.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "vitrum/core/error.hpp"
#include "vitrum/core/script_path.hpp"

namespace vitrum::spectra {

namespace {

namespace fs = std::filesystem;

template <typename F>
Map scalar_map(const std::string& name, const std::string& units, const std::string& long_name,
               long n, F&& value, bool integer) {
  Map m;
  m.name = name;
  m.units = units;
  m.long_name = long_name;
  m.integer = integer;
  m.values.resize(n);
  for (long i = 0; i < n; ++i) m.values[i] = static_cast<float>(value(i));
  return m;
}

PeakStack peak_stack(const FitResult& r, const std::string& name, const std::string& units,
                     const std::string& long_name, const std::vector<double>& v) {
  PeakStack s;
  s.name = name;
  s.units = units;
  s.long_name = long_name;
  s.n_peaks = r.max_peaks;
  s.values.resize(static_cast<size_t>(r.max_peaks) * r.fits);
  for (int k = 0; k < r.max_peaks; ++k) {
    s.peak_labels.push_back(fmt::format("peak {}", k + 1));
    for (long i = 0; i < r.fits; ++i)
      s.values[static_cast<size_t>(k) * r.fits + i] =
          static_cast<float>(v[static_cast<size_t>(i) * r.max_peaks + k]);
  }
  return s;
}

PeakStack row_stack(const std::string& name, const std::string& units, const std::string& long_name,
                    const std::vector<double>& v, long fits,
                    const std::vector<std::string>& labels) {
  PeakStack s;
  s.name = name;
  s.units = units;
  s.long_name = long_name;
  const int n = static_cast<int>(labels.size());
  s.n_peaks = n;
  s.peak_labels = labels;
  s.values.resize(static_cast<size_t>(n) * fits);
  for (int k = 0; k < n; ++k)
    for (long i = 0; i < fits; ++i)
      s.values[static_cast<size_t>(k) * fits + i] = static_cast<float>(v[i * n + k]);
  return s;
}

/// scripts/plot_spectra.py (or $VITRUM_PLOT_SCRIPT); empty when not found.
std::string plot_script() {
  return find_script("plot_spectra.py", "VITRUM_PLOT_SCRIPT");
}

bool run_plot(const std::string& args, bool quiet) {
  const std::string script = plot_script();
  if (script.empty()) {
    if (!quiet)
      std::fprintf(stderr,
                   "note: PNG output skipped (scripts/plot_spectra.py not found; "
                   "set VITRUM_PLOT_SCRIPT)\n");
    return false;
  }
  const std::string cmd = "/usr/bin/python3 '" + script + "' " + args + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    if (!quiet)
      std::fprintf(stderr, "note: PNG output failed (%s %s); the HDF5/CSV results are complete\n",
                   script.c_str(), args.c_str());
    return false;
  }
  return true;
}

}  // namespace

std::string block_file_name(const std::string& s) {
  std::string r;
  for (char ch : s) r += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-') ? ch : '_';
  return r.empty() ? "block" : r;
}

/// Blocks to fit: the named ones (error listing what the file holds if one is missing), else
/// every block, or with a window only those whose energies contain it.
std::vector<const SpectrumImage*> select_blocks(const std::vector<SpectrumImage>& images,
                                                const FitConfig& cfg,
                                                const std::vector<std::string>& names,
                                                const std::string& input) {
  std::string have;
  for (const auto& im : images)
    have += fmt::format("{}'{}' ({}–{} eV {})", have.empty() ? "" : ", ", im.name,
                        im.energy.front(), im.energy.back(), energy_kind_name(im.energy_kind));
  std::vector<const SpectrumImage*> out;
  if (!names.empty()) {
    for (const auto& n : names) {
      const SpectrumImage* found = nullptr;
      for (const auto& im : images)
        if (im.name == n) found = &im;
      if (!found) fail("{}: no block named '{}'; the file holds {}", input, n, have);
      out.push_back(found);
    }
    return out;
  }
  for (const auto& im : images) {
    if (cfg.has_window && cfg.axis == FitAxis::AsRecorded) {
      const double tol = 1e-6 * std::max(1.0, std::fabs(im.energy.back()));
      if (cfg.window_min < im.energy.front() - tol || cfg.window_max > im.energy.back() + tol)
        continue;
    }
    out.push_back(&im);
  }
  if (out.empty())
    fail("{}: the fit window [{}, {}] eV of {} lies outside every block: the file holds {}", input,
         cfg.window_min, cfg.window_max, cfg.source.empty() ? "the config" : cfg.source, have);
  return out;
}

MapSet result_maps(const FitResult& r, const SpectrumImage& im, const FitConfig& cfg,
                   const std::string& backend) {
  MapSet set;
  set.name = block_file_name(r.name);
  set.title = fmt::format("EM fit of {} ({})", r.name, r.source);
  set.source = r.source;
  set.ny = r.ny;
  set.nx = r.nx;
  set.navigation = im.navigation;
  const long n = r.fits;
  const std::string e_units = "eV";
  const std::string e_kind = energy_kind_name(r.energy_kind);
  set.maps.push_back(scalar_map(
      "n_peaks", "", "Number of peaks (BIC)", n, [&](long i) { return r.n_peaks[i]; }, true));
  set.maps.push_back(scalar_map(
      "status", "", "Fit status", n, [&](long i) { return r.status[i]; }, true));
  set.maps.push_back(scalar_map(
      "iterations", "", "EM iterations", n, [&](long i) { return r.iterations[i]; }, true));
  set.maps.push_back(scalar_map(
      "log_likelihood", "", "Poisson log-likelihood", n,
      [&](long i) { return r.log_likelihood[i]; }, false));
  set.maps.push_back(scalar_map(
      "bic", "", "BIC", n, [&](long i) { return r.bic[i]; }, false));
  set.maps.push_back(scalar_map(
      "total_counts", "counts", "Counts in the window", n,
      [&](long i) { return r.total_counts[i]; }, false));
  set.peak_stacks.push_back(
      peak_stack(r, "position", e_units, "Peak position (" + e_kind + " energy)", r.position));
  set.peak_stacks.push_back(peak_stack(r, "fwhm", e_units, "Peak FWHM", r.fwhm));
  set.peak_stacks.push_back(peak_stack(r, "area", "intensity·eV", "Peak area", r.area));
  if (r.shape == PeakShape::PseudoVoigt)
    set.peak_stacks.push_back(peak_stack(r, "eta", "", "Lorentzian fraction (mixing)", r.eta));
  set.peak_stacks.push_back(
      peak_stack(r, "position_se", e_units, "Standard error of the position", r.position_se));
  set.peak_stacks.push_back(
      peak_stack(r, "fwhm_se", e_units, "Standard error of the FWHM", r.fwhm_se));
  set.peak_stacks.push_back(
      peak_stack(r, "area_se", "intensity·eV", "Standard error of the area", r.area_se));
  if (r.shape == PeakShape::PseudoVoigt)
    set.peak_stacks.push_back(
        peak_stack(r, "eta_se", "", "Standard error of the mixing", r.eta_se));
  if (r.n_background() > 0)
    set.peak_stacks.push_back(row_stack("background", "intensity",
                                        "Background weight (intensity summed over the window)",
                                        r.background, n, r.background_names));
  std::vector<std::string> klabels;
  for (int k = r.k_min; k <= r.max_peaks; ++k) klabels.push_back(fmt::format("K={}", k));
  set.peak_stacks.push_back(row_stack("bic_by_k", "", "BIC per number of peaks (screening grid)",
                                      r.bic_by_k, n, klabels));

  auto& md = set.metadata;
  md["fit.method"] = "spectrum-adapted EM (ECM + SQUAREM), BIC model selection";
  md["fit.config"] = cfg.source.empty() ? "defaults" : cfg.source;
  md["fit.backend"] = backend;
  md["fit.window_eV"] = fmt::format("[{}, {}] {} energy, {} channels", r.energy.front(),
                                    r.energy.back(), e_kind, r.energy.size());
  md["fit.shape"] = r.shape == PeakShape::Gaussian ? "gaussian" : "pseudo-voigt";
  md["fit.peaks"] = fmt::format("{}..{}", r.k_min, r.max_peaks);
  if (r.doublet)
    md["fit.doublet"] = fmt::format(
        "splitting {} eV (minor line at higher binding energy), area "
        "ratio {}; position = major line, area = both lines",
        std::fabs(r.doublet_split), r.doublet_ratio);
  md["fit.intensity_scale"] = fmt::format("{}", r.intensity_scale);
  md["fit.screen_bin"] = fmt::format("{}", r.screen_bin);
  md["fit.seconds"] = fmt::format("{:.3f}", r.seconds);
  md["fit.status_codes"] =
      "0 converged, 1 iteration-limit, 2 degenerate-peak, 3 empty-spectrum, 4 invalid-values, "
      "5 negative-values";
  md["fit.area_units"] = "stored intensity × eV (Σ over channels of the peak × channel width)";
  return set;
}

void write_single_fit_csv(const std::string& path, const FitResult& r, const SpectrumImage& im) {
  const auto c = fit_curves(r, im, 0);
  FitCurves fc;
  fc.energy = c.energy;
  fc.data = c.data;
  fc.fit = c.fit;
  fc.background = c.background;
  fc.components = c.peaks;  // the background column holds the sum of its components
  fc.energy_kind = r.energy_kind;
  std::vector<std::string> comments = {
      fmt::format("vitrum spectra fit of {} block '{}'", r.source, r.name),
      fmt::format("{} peak(s), ln L = {:.6f}, BIC = {:.6f}, status {}", r.n_peaks[0],
                  r.log_likelihood[0], r.bic[0],
                  fit_status_name(static_cast<FitStatus>(r.status[0])))};
  for (int k = 0; k < r.n_peaks[0]; ++k)
    comments.push_back(fmt::format(
        "peak_{}: position {:.5f} +- {:.5f} eV, FWHM {:.5f} +- {:.5f} eV, area {:.6g} +- {:.4g}"
        ", eta {:.4f}",
        k + 1, r.position[k], r.position_se[k], r.fwhm[k], r.fwhm_se[k], r.area[k], r.area_se[k],
        r.eta[k]));
  write_spectrum_fit_csv(path, fc, comments);
}

bool plot_maps(const std::string& h5_path, const std::string& out_dir, bool quiet) {
  return run_plot("maps '" + h5_path + "' -o '" + out_dir + "'", quiet);
}

bool plot_fit_csv(const std::string& csv_path, const std::string& png_path, bool quiet) {
  return run_plot("spectrum '" + csv_path + "' -o '" + png_path + "'", quiet);
}

}  // namespace vitrum::spectra
