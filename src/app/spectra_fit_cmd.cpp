// `vitrum spectra fit`: batched EM peak fitting of spectra and spectral images (XPS maps). The
// command parses its options and calls spectra (fit, fit_output, spectrum_io); it builds no
// results itself.
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
#include "vitrum/spectra/fit_image.hpp"
#include "vitrum/spectra/fit_output.hpp"
#include "vitrum/spectra/polish_fit.hpp"
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

/// The block's line of the console summary, and its peaks when it is a single spectrum.
void print_summary(const std::string& input, const FitResult& r, Backend backend) {
  const auto counts = r.status_counts();
  std::printf(
      "%s: block '%s', %ld spectra × %zu channels [%.4g, %.4g] eV (%s), %s: %.3f s "
      "(%.1f spectra/s)\n",
      input.c_str(), r.name.c_str(), r.fits, r.energy.size(), r.energy.front(), r.energy.back(),
      spectra::energy_kind_name(r.energy_kind), to_string(backend), r.seconds,
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
      std::printf("  peak %d: position %.4f ± %.4f eV, FWHM %.4f ± %.4f eV, area %.6g ± %.3g%s\n",
                  k + 1, r.position[k], r.position_se[k], r.fwhm[k], r.fwhm_se[k], r.area[k],
                  r.area_se[k],
                  std::isnan(r.eta[k])
                      ? ""
                      : fmt::format(", eta {:.3f} ± {:.3f}", r.eta[k], r.eta_se[k]).c_str());
  }
}

void print_polish_summary(const spectra::PolishedBlock& p) {
  long n = 0, converged = 0;
  double seconds = 0.0;
  for (const spectra::PolishResult& r : p.results) {
    n += r.fits;
    seconds += r.seconds;
    for (int s : r.status) converged += s == static_cast<int>(spectra::PolishStatus::Converged);
  }
  std::printf("  polish: %ld spectra, %ld converged, %.3f s\n", n, converged, seconds);
  if (n != 1) return;
  const spectra::PolishResult& r = p.results[0];
  std::printf("  polish: reduced chi2 %.3f, deviance %.2f, %d iterations\n", r.chi2_reduced[0],
              r.deviance[0], r.iterations[0]);
  for (int c = 0; c < r.n_comp; ++c) {
    const int i = c * spectra::math::kPolishParamsPerComponent;
    std::printf(
        "    %s: position %.4f ± %.4f eV, FWHM %.4f ± %.4f eV, area %.6g ± %.3g (%.1f%%)\n",
        p.component_names.size() > static_cast<size_t>(c) ? p.component_names[c].c_str() : "?",
        r.param(0, i), r.error(0, i), r.param(0, i + 1), r.error(0, i + 1), r.param(0, i + 2),
        r.error(0, i + 2), 100.0 * r.area_fraction[c]);
  }
}

/// `[image] mode = "template"`: the block as an image (fit_image.hpp); maps, the residual cube,
/// and CSVs of the sum spectrum's fit and of the pixel with the strongest signal.
void fit_as_image(const FitArgs& a, const FitConfig& cfg, const spectra::FitOptions& opt,
                  const SpectrumImage& im, std::vector<spectra::MapSet>& sets,
                  std::vector<SpectrumImage>& cubes, std::vector<std::string>& csvs) {
  const spectra::TemplateFitResult r = spectra::fit_image_template(im, cfg, opt);
  long none = 0, best = 0;
  for (long p = 0; p < r.pixels(); ++p) {
    none += r.n_significant[p] == 0;
    if (r.lr_total[p] > r.lr_total[best] || std::isnan(r.lr_total[best])) best = p;
  }
  if (!a.quiet) {
    std::printf(
        "%s: block '%s', %ld pixels fitted as an image with a %d-component template "
        "(max shift %.3f eV, level %g): %.3f s\n",
        a.input.c_str(), im.name.c_str(), r.pixels(), r.K, r.max_shift, r.level, r.seconds);
    for (int k = 0; k < r.K; ++k) {
      long sig = 0;
      for (long p = 0; p < r.pixels(); ++p) sig += r.significant[p * r.K + k];
      std::printf("  C%d: template %.4f eV, FWHM %.4f eV; significant in %ld pixels\n", k + 1,
                  r.template_position[k], r.template_fwhm[k], sig);
    }
    std::printf("  %ld pixels without a significant component\n", none);
  }
  sets.push_back(spectra::template_result_maps(r, im, cfg));
  cubes.push_back(spectra::template_residual_cube(r, im));
  if (cfg.write_curves) {
    const std::string base = stem_of(a.output) + "_" + spectra::block_file_name(im.name);
    std::vector<std::string> sum_notes = {
        fmt::format("image template of {} block '{}': the polished sum spectrum", a.input, im.name),
        "the maximum-likelihood polish of the sum spectrum's EM fit; every pixel is fitted with "
        "these line shapes, widths and background terms (bounded shifts, free areas)"};
    for (int k = 0; k < r.K; ++k)
      sum_notes.push_back(fmt::format("C{}: position {:.5f} eV, FWHM {:.5f} eV, line shape {}",
                                      k + 1, r.template_position[k], r.template_fwhm[k],
                                      r.template_line_shape[k]));
    spectra::write_spectrum_fit_csv(base + "_sum.csv", spectra::template_sum_curves(r), sum_notes);
    csvs.push_back(base + "_sum.csv");
    const long y = best / r.nx, x = best % r.nx;
    spectra::write_spectrum_fit_csv(
        base + "_pixel.csv", spectra::template_fit_curves(r, im, best),
        {fmt::format("template fit of {} block '{}', pixel y = {}, x = {}", a.input, im.name, y, x),
         fmt::format("{} significant component(s), 2 dln L vs background = {:.2f}",
                     r.n_significant[best], r.lr_total[best])});
    csvs.push_back(base + "_pixel.csv");
  }
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
  ro.work_function = cfg.work_function;
  ro.energy_kind = cfg.energy_kind;
  ro.energy_dimension = cfg.energy_dimension;
  const auto images = spectra::read_spectra(a.input, ro);
  if (images.empty()) fail("{}: no spectra found", a.input);
  const auto blocks =
      spectra::select_blocks(images, cfg, a.blocks.empty() ? cfg.blocks : a.blocks, a.input);
  {  // output safety (vitrum/core/output_guard.hpp): the result file and the single-spectrum CSVs
    std::vector<std::string> outputs = {a.output};
    for (const SpectrumImage* im : blocks) {
      const std::string base = stem_of(a.output) + "_" + spectra::block_file_name(im->name);
      if (im->pixels() == 1 && cfg.write_curves) {
        outputs.push_back(base + ".csv");
        if (cfg.polish) outputs.push_back(base + "_polish.csv");
      }
      if (im->pixels() > 1 && cfg.image_template && cfg.write_curves) {
        outputs.push_back(base + "_sum.csv");
        outputs.push_back(base + "_pixel.csv");
      }
    }
    guard_existing_outputs(outputs, a.overwrite, "give --overwrite to replace them");
  }

  spectra::FitOptions opt;
  opt.backend = backend;
  opt.threads = a.threads;
  std::vector<spectra::MapSet> sets;
  std::vector<SpectrumImage> cubes;  // residual cubes (polish, template image fits)
  std::vector<std::string> csvs;
  const std::string stem = stem_of(a.output);
  for (const SpectrumImage* im : blocks) {
    Progress progress(fmt::format("fit {}", im->name), a.quiet);
    opt.progress = [&progress](long d, long t) { progress(d, t); };
    if (cfg.image_template && im->pixels() > 1) {
      fit_as_image(a, cfg, opt, *im, sets, cubes, csvs);
      continue;
    }
    const FitResult r = spectra::fit_spectra(*im, cfg, opt);
    if (!a.quiet) print_summary(a.input, r, backend);
    sets.push_back(spectra::result_maps(r, *im, cfg, to_string(backend)));
    if (cfg.polish) {
      spectra::PolishOptions po;
      po.backend = backend;
      po.threads = a.threads;
      po.control = cfg.polish_control;
      po.residuals = cfg.polish_residuals;
      const spectra::PolishedBlock pb = spectra::polish_fitted_block(r, *im, cfg, po);
      spectra::add_polish_maps(pb, sets.back(), cubes);
      if (!a.quiet) print_polish_summary(pb);
      if (im->pixels() == 1 && cfg.write_curves) {
        std::vector<std::string> comments;
        const spectra::FitCurves pc = spectra::polish_curves(pb, comments);
        const std::string csv = stem + "_" + spectra::block_file_name(r.name) + "_polish.csv";
        spectra::write_spectrum_fit_csv(csv, pc, comments);
        csvs.push_back(csv);
      }
    }
    if (r.fits == 1 && cfg.write_curves) {
      const std::string csv = stem + "_" + spectra::block_file_name(r.name) + ".csv";
      spectra::write_single_fit_csv(csv, r, *im);
      csvs.push_back(csv);
    }
  }
  spectra::write_maps_hdf5(a.output, sets, cubes);
  if (!a.quiet) std::printf("wrote %s\n", a.output.c_str());
  for (const auto& c : csvs)
    if (!a.quiet) std::printf("wrote %s\n", c.c_str());
  if (cfg.write_png && !a.no_png) {
    bool any_image = false;
    for (const auto& s : sets) any_image = any_image || s.ny * s.nx > 1;
    if (any_image && spectra::plot_maps(a.output, stem + "_png", a.quiet) && !a.quiet)
      std::printf("wrote %s_png/*.png\n", stem.c_str());
    for (const auto& c : csvs) {
      const std::string png = fs::path(c).replace_extension(".png").string();
      if (spectra::plot_fit_csv(c, png, a.quiet) && !a.quiet)
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
  cmd->add_option("input", a->input,
                  "spectrum file (.vms/.npl, .h5/.hspy/.nxs, .nc (xarray netCDF-4), .csv/.txt)")
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
