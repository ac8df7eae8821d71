// `vitrum spectra fit`: batched EM peak fitting of spectra and spectral images (XPS maps).
#include <omp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace vitrum::app {

namespace {

namespace fs = std::filesystem;
using spectra::FitConfig;
using spectra::FitResult;
using spectra::SpectrumImage;

struct FitArgs {
  std::string input, config, output;
  std::string backend = "cpu";
  int threads = 0;
  std::vector<std::string> blocks;
  bool quiet = false;
  bool no_png = false;
  bool overwrite = false;
};

/// Progress with an ETA on stderr for runs longer than a couple of seconds.
class Progress {
 public:
  Progress(std::string what, bool quiet) : what_(std::move(what)), quiet_(quiet) {
    tty_ = isatty(fileno(stderr)) != 0;
  }
  void operator()(long done, long total) {
    if (quiet_ || total <= 0) return;
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    if (t < 2.0 && done < total) return;
    const int pct = static_cast<int>(100.0 * done / total);
    if (!tty_ && pct < next_pct_ && done < total) return;
    next_pct_ = pct / 10 * 10 + 10;
    const double eta = done > 0 ? t * (total - done) / done : 0.0;
    std::fprintf(stderr, "%s%s: %ld/%ld spectra (%d%%), %.1f s elapsed, ETA %.1f s%s",
                 tty_ ? "\r" : "", what_.c_str(), done, total, pct, t, eta,
                 tty_ && done < total ? "" : "\n");
    printed_ = true;
  }

 private:
  std::string what_;
  bool quiet_, tty_ = false, printed_ = false;
  int next_pct_ = 0;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

std::string stem_of(const std::string& out) {
  const fs::path p(out);
  return (p.parent_path() / p.stem()).string();
}

std::string sanitize(const std::string& s) {
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
    have +=
        fmt::format("{}'{}' ({}–{} eV {})", have.empty() ? "" : ", ", im.name, im.energy.front(),
                    im.energy.back(), spectra::energy_kind_name(im.energy_kind));
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
    if (cfg.has_window && cfg.axis == spectra::FitAxis::AsRecorded) {
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

template <typename F>
spectra::Map scalar_map(const std::string& name, const std::string& units,
                        const std::string& long_name, long n, F&& value, bool integer) {
  spectra::Map m;
  m.name = name;
  m.units = units;
  m.long_name = long_name;
  m.integer = integer;
  m.values.resize(n);
  for (long i = 0; i < n; ++i) m.values[i] = static_cast<float>(value(i));
  return m;
}

spectra::PeakStack peak_stack(const FitResult& r, const std::string& name, const std::string& units,
                              const std::string& long_name, const std::vector<double>& v) {
  spectra::PeakStack s;
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

spectra::PeakStack row_stack(const std::string& name, const std::string& units,
                             const std::string& long_name, const std::vector<double>& v, long fits,
                             const std::vector<std::string>& labels) {
  spectra::PeakStack s;
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

spectra::MapSet result_maps(const FitResult& r, const SpectrumImage& im, const FitConfig& cfg,
                            const std::string& backend) {
  spectra::MapSet set;
  set.name = sanitize(r.name);
  set.title = fmt::format("EM fit of {} ({})", r.name, r.source);
  set.source = r.source;
  set.ny = r.ny;
  set.nx = r.nx;
  set.navigation = im.navigation;
  const long n = r.fits;
  const std::string e_units = "eV";
  const std::string e_kind = spectra::energy_kind_name(r.energy_kind);
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
  if (r.shape == spectra::PeakShape::PseudoVoigt)
    set.peak_stacks.push_back(peak_stack(r, "eta", "", "Lorentzian fraction (mixing)", r.eta));
  set.peak_stacks.push_back(
      peak_stack(r, "position_se", e_units, "Standard error of the position", r.position_se));
  set.peak_stacks.push_back(
      peak_stack(r, "fwhm_se", e_units, "Standard error of the FWHM", r.fwhm_se));
  set.peak_stacks.push_back(
      peak_stack(r, "area_se", "intensity·eV", "Standard error of the area", r.area_se));
  if (r.shape == spectra::PeakShape::PseudoVoigt)
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
  md["fit.shape"] = r.shape == spectra::PeakShape::Gaussian ? "gaussian" : "pseudo-voigt";
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

/// plot_spectra.py next to the executable's source tree (build dir under the repo), or
/// $VITRUM_PLOT_SCRIPT; empty when not found.
std::string plot_script() {
  if (const char* env = std::getenv("VITRUM_PLOT_SCRIPT")) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path()) {
    const fs::path s = d / "scripts" / "plot_spectra.py";
    if (fs::exists(s, ec)) return s.string();
  }
  return {};
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

void run_fit(const FitArgs& a) {
  const Backend backend = parse_backend(a.backend);
  require_backend(backend);
  if (a.threads > 0) omp_set_num_threads(a.threads);
  FitConfig cfg = a.config.empty() ? FitConfig{} : spectra::read_fit_config(a.config);
  const std::string ext = fs::path(a.output).extension().string();
  if (ext != ".h5" && ext != ".hdf5" && ext != ".hspy" && ext != ".nxs")
    fail("--output {}: the result file must end in .h5, .hdf5, .hspy or .nxs", a.output);
  spectra::ReadOptions ro;
  ro.photon_energy = cfg.photon_energy;
  ro.rate_to_counts = cfg.rate_to_counts;
  const auto images = spectra::read_spectra(a.input, ro);
  if (images.empty()) fail("{}: no spectra found", a.input);
  const auto blocks = select_blocks(images, cfg, a.blocks.empty() ? cfg.blocks : a.blocks, a.input);
  {  // output safety (vitrum/core/output_guard.hpp): the result file and the single-spectrum CSVs
    std::vector<std::string> outputs = {a.output};
    for (const SpectrumImage* im : blocks)
      if (im->pixels() == 1 && cfg.write_curves)
        outputs.push_back(stem_of(a.output) + "_" + sanitize(im->name) + ".csv");
    guard_existing_outputs(outputs, a.overwrite, "give --overwrite to replace them");
  }

  spectra::FitOptions opt;
  opt.backend = backend;
  opt.threads = a.threads;
  std::vector<spectra::MapSet> sets;
  std::vector<std::string> csvs;
  const std::string stem = stem_of(a.output);
  for (const SpectrumImage* im : blocks) {
    Progress progress(fmt::format("fit {}", im->name), a.quiet);
    opt.progress = [&progress](long d, long t) { progress(d, t); };
    const FitResult r = spectra::fit_spectra(*im, cfg, opt);
    const auto counts = r.status_counts();
    if (!a.quiet) {
      std::printf(
          "%s: block '%s', %ld spectra × %zu channels [%.4g, %.4g] eV (%s), %s: %.3f s "
          "(%.1f spectra/s)\n",
          a.input.c_str(), r.name.c_str(), r.fits, r.energy.size(), r.energy.front(),
          r.energy.back(), spectra::energy_kind_name(r.energy_kind), to_string(backend), r.seconds,
          r.fits / std::max(r.seconds, 1e-9));
      std::string st;
      for (int s = 0; s < 6; ++s)
        if (counts[s] > 0)
          st += fmt::format("{}{} {}", st.empty() ? "" : ", ", counts[s],
                            spectra::fit_status_name(static_cast<spectra::FitStatus>(s)));
      std::printf("  status: %s\n", st.c_str());
      if (r.fits == 1) {
        std::printf("  %d peak(s), ln L = %.4f, BIC = %.4f, %d iterations\n", r.n_peaks[0],
                    r.log_likelihood[0], r.bic[0], r.iterations[0]);
        for (int k = 0; k < r.n_peaks[0]; ++k)
          std::printf(
              "  peak %d: position %.4f ± %.4f eV, FWHM %.4f ± %.4f eV, area %.6g ± %.3g%s\n",
              k + 1, r.position[k], r.position_se[k], r.fwhm[k], r.fwhm_se[k], r.area[k],
              r.area_se[k],
              std::isnan(r.eta[k])
                  ? ""
                  : fmt::format(", eta {:.3f} ± {:.3f}", r.eta[k], r.eta_se[k]).c_str());
      }
    }
    sets.push_back(result_maps(r, *im, cfg, to_string(backend)));
    if (r.fits == 1 && cfg.write_curves) {
      const auto c = spectra::fit_curves(r, *im, 0);
      spectra::FitCurves fc;
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
                      spectra::fit_status_name(static_cast<spectra::FitStatus>(r.status[0])))};
      for (int k = 0; k < r.n_peaks[0]; ++k)
        comments.push_back(fmt::format(
            "peak_{}: position {:.5f} +- {:.5f} eV, FWHM {:.5f} +- {:.5f} eV, area {:.6g} +- {:.4g}"
            ", eta {:.4f}",
            k + 1, r.position[k], r.position_se[k], r.fwhm[k], r.fwhm_se[k], r.area[k],
            r.area_se[k], r.eta[k]));
      const std::string csv = stem + "_" + sanitize(r.name) + ".csv";
      spectra::write_spectrum_fit_csv(csv, fc, comments);
      csvs.push_back(csv);
    }
  }
  spectra::write_maps_hdf5(a.output, sets);
  if (!a.quiet) std::printf("wrote %s\n", a.output.c_str());
  for (const auto& c : csvs)
    if (!a.quiet) std::printf("wrote %s\n", c.c_str());
  if (cfg.write_png && !a.no_png) {
    bool any_image = false;
    for (const auto& s : sets) any_image = any_image || s.ny * s.nx > 1;
    if (any_image && run_plot("maps '" + a.output + "' -o '" + stem + "_png'", a.quiet) && !a.quiet)
      std::printf("wrote %s_png/*.png\n", stem.c_str());
    for (const auto& c : csvs) {
      const std::string png = fs::path(c).replace_extension(".png").string();
      if (run_plot("spectrum '" + c + "' -o '" + png + "'", a.quiet) && !a.quiet)
        std::printf("wrote %s\n", png.c_str());
    }
  }
}

}  // namespace

void register_spectra_fit(CLI::App& spectra) {
  auto a = std::make_shared<FitArgs>();
  auto* cmd = spectra.add_subcommand(
      "fit",
      "Fit peaks to every spectrum of a file (VAMAS, HDF5 image/stack, CSV) with the "
      "spectrum-adapted EM algorithm: Gaussian or pseudo-Voigt peaks (optionally spin-orbit "
      "doublets), fixed-shape and Shirley backgrounds, several starts per spectrum and the "
      "number of peaks chosen by BIC. Writes maps of every fitted quantity (HDF5, "
      "HyperSpy/NeXus layout), PNG maps, and for single spectra a CSV (and PNG) of data, fit "
      "and components.\n\n" +
          spectra::fit_config_help());
  cmd->add_option("input", a->input, "spectrum file (.vms/.npl, .h5/.hspy/.nxs, .csv/.txt)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config,-c", a->config, "TOML fit configuration (keys above)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--output,-o", a->output, "result maps, .h5")->required();
  cmd->add_option("--backend", a->backend, "cpu or cuda")->capture_default_str();
  cmd->add_option("--threads", a->threads, "CPU threads (0: OpenMP default)")
      ->capture_default_str();
  cmd->add_option("--block", a->blocks,
                  "fit only this block (repeatable; overrides [data] blocks)");
  cmd->add_flag("--quiet,-q", a->quiet, "no progress or summary output");
  cmd->add_flag("--no-png", a->no_png, "skip the PNG maps/plots");
  cmd->add_flag("--overwrite", a->overwrite, overwrite_help());
  cmd->callback([a] { run_fit(*a); });
}

}  // namespace vitrum::app
