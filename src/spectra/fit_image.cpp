// Images fitted as images (fit_image.hpp): the sum spectrum's EM fit, polished, becomes a
// template, applied to every pixel by the maximum-likelihood polish in anti-diagonal wavefronts
// with neighbour starts, bounded shifts and a likelihood-ratio significance test per state.
// The steps of one pixel's fit (fit_image_detail.hpp) and the per-pixel schedule are here; the
// batched schedule (CPU jobs or the GPU) is in fit_image_batched.cpp.
#include "vitrum/spectra/fit_image.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "fit_image_detail.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/polish_fit.hpp"

namespace vitrum::spectra {

namespace {

using detail::ImageRun;
using detail::PixelPolish;
using detail::Scratch;
using detail::TemplatePolish;
using namespace detail;  // the steps of fit_image_detail.hpp
using math::FitStatus;
using math::PolishStatus;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kP = math::kPolishParamsPerComponent;

/// The sum of every pixel's spectrum (non-finite values skipped), as a 1 × 1 image.
SpectrumImage sum_spectrum(const SpectrumImage& im) {
  SpectrumImage s;
  s.name = im.name + " (sum)";
  s.source = im.source;
  s.energy = im.energy;
  s.energy_kind = im.energy_kind;
  s.energy_units = im.energy_units;
  s.photon_energy = im.photon_energy;
  s.work_function = im.work_function;
  s.metadata = im.metadata;
  const int n = im.channels();
  std::vector<double> acc(n, 0.0);
  for (long p = 0; p < im.pixels(); ++p) {
    const float* v = im.spectrum(p);
    for (int c = 0; c < n; ++c)
      if (std::isfinite(v[c])) acc[c] += v[c];
  }
  s.counts.assign(acc.begin(), acc.end());
  return s;
}

/// The χ² quantile at 1 − α for 2 or 3 degrees of freedom: x with survival S(x) = α, where
/// S₂(x) = e^{−x/2} and S₃(x) = erfc(√(x/2)) + √(2x/π) e^{−x/2} (bisection for 3).
double chi2_quantile(int dof, double alpha) {
  if (dof == 2) return -2.0 * std::log(alpha);
  auto survival = [](double x) {
    return std::erfc(std::sqrt(0.5 * x)) + std::sqrt(2.0 * x / M_PI) * std::exp(-0.5 * x);
  };
  double lo = 0.0, hi = 1.0;
  while (survival(hi) > alpha) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (survival(mid) > alpha ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// True for background terms whose coefficient scales with the counts (all but the Tougaard B,
/// a ratio of loss to peak intensity).
bool scaled_term(const TemplatePolish& tp, int t) {
  return !(tp.tougaard && t == tp.n_bg - 1);
}

/// Full parameters (counts) from per-state positions, state areas (stored units) and background
/// coefficients; the template's values elsewhere.
void full_from(const TemplatePolish& tp, const double* mu, const double* fwhm, const double* area,
               const double* bg, double* full) {
  std::copy(tp.start.begin(), tp.start.end(), full);
  for (int k = 0; k < tp.K; ++k) {
    const int c = tp.main[k] * kP;
    full[c + kPosition] = std::clamp(mu[k], tp.lo[k], tp.hi[k]);
    full[c + kArea] = std::max(area[k], 0.0) * tp.scale / tp.state_factor[k];
    if (tp.free_widths) full[c + kFwhm] = fwhm[k];
  }
  const int b0 = tp.n_full - tp.n_bg;
  for (int t = 0; t < tp.n_bg; ++t) full[b0 + t] = std::max(bg[t], 0.0);
}

/// Marks pixel p as not fitted with `status`.
void write_unfitted(TemplateFitResult& r, long p, FitStatus status, double total) {
  r.status[p] = static_cast<int>(status);
  r.total_counts[p] = total;
  r.n_significant[p] = 0;
}

/// Fits with the template start and the neighbours' start; the better one in s.best.
PixelPolish fit_both_starts(ImageRun& run, long p, Scratch& s, int& start) {
  const TemplatePolish& tp = run.tp;
  template_start(tp, s.total, s.full.data());
  PixelPolish best = detail::polish_pixel(tp, tp.map_full, s.y.data(), s.bgc.data(), s.full.data(),
                                          s.se.data(), s.work, s.v);
  s.best = s.full;
  s.best_se = s.se;
  start = 0;
  if (run.cfg.image_neighbors && neighbour_start(run, p, s.total, s.full.data())) {
    const PixelPolish nb = detail::polish_pixel(tp, tp.map_full, s.y.data(), s.bgc.data(),
                                                s.full.data(), s.se.data(), s.work, s.v);
    keep_better(best, nb, s, start);
  }
  return best;
}

/// Background-only and leave-one-out refits of pixel p's fit s.best: D_k = deviance without k
/// − deviance with every state, against the χ²₂ threshold; returns the number of significant
/// states and the background-only deviance in d_none.
int test_states(ImageRun& run, long p, Scratch& s, const PixelPolish& best, double& d_none,
                int& iterations) {
  const TemplatePolish& tp = run.tp;
  const int K = tp.K;
  // Background alone, started from the fit's background holding all the counts.
  none_start(tp, s, s.full.data());
  const PixelPolish none = detail::polish_pixel(tp, tp.map_none, s.y.data(), s.bgc.data(),
                                                s.full.data(), s.se.data(), s.work, s.v);
  iterations += none.iterations;
  d_none = none.deviance;
  std::vector<double> d_without(K, d_none);
  for (int k = 0; k < K && K > 1; ++k) {
    without_start(tp, s, k, s.full.data());
    const PixelPolish w = detail::polish_pixel(tp, tp.map_without[k], s.y.data(), s.bgc.data(),
                                               s.full.data(), s.se.data(), s.work, s.v);
    iterations += w.iterations;
    if (usable(w)) d_without[k] = std::min(w.deviance, d_none);
  }
  return store_states(run, p, s, best, d_without);
}

/// Fits pixel p: template and neighbour starts, background-only and leave-one-out refits.
void fit_pixel(ImageRun& run, long p, Scratch& s) {
  if (!prepare_pixel(run, p, s)) return;
  int start = 0;
  const PixelPolish best = fit_both_starts(run, p, s, start);
  int iterations = best.iterations;
  double d_none = INFINITY;
  const int n_sig = test_states(run, p, s, best, d_none, iterations);
  finish_pixel(run, p, s, best, d_none, n_sig, iterations, start);
}

/// The per-pixel schedule: the pixels of each wavefront on OpenMP threads, each pixel's polishes
/// one after the other.
void fit_wavefronts_per_pixel(ImageRun& run, int threads,
                              const std::function<void(long, long)>& progress) {
  TemplateFitResult& r = run.r;
  std::vector<std::unique_ptr<Scratch>> scratch;
  for (int t = 0; t < threads; ++t) scratch.push_back(std::make_unique<Scratch>(run.tp));
  long done = 0;
  for (long d = 0; d <= static_cast<long>(r.ny) + r.nx - 2; ++d) {
    const long ylo = std::max(0L, d - (r.nx - 1)), yhi = std::min<long>(d, r.ny - 1);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long yy = ylo; yy <= yhi; ++yy) {
      const int t = omp_get_thread_num();
      fit_pixel(run, yy * r.nx + (d - yy), *scratch[t]);
    }
    done += yhi - ylo + 1;
    if (progress) progress(done, r.pixels());
  }
}

void size_result(TemplateFitResult& r, int n) {
  const size_t P = static_cast<size_t>(r.pixels()), PK = P * r.K;
  r.position.assign(PK, kNaN);
  r.position_se.assign(PK, kNaN);
  r.area.assign(PK, kNaN);
  r.fwhm.assign(PK, kNaN);
  r.lr_component.assign(PK, kNaN);
  r.significant.assign(PK, 0);
  r.n_significant.assign(P, 0);
  r.iterations.assign(P, 0);
  r.start.assign(P, -1);
  r.status.assign(P, 0);
  r.background.assign(P * std::max(r.n_background(), 1), kNaN);
  r.log_likelihood.assign(P, kNaN);
  r.lr_total.assign(P, kNaN);
  r.chi2_reduced.assign(P, kNaN);
  r.total_counts.assign(P, kNaN);
  r.residual.assign(P * n, std::nanf(""));
  r.data.assign(P * n, std::nanf(""));
}

}  // namespace

namespace detail {

Scratch::Scratch(const TemplatePolish& tp)
    : y(tp.channels()),
      bgc(static_cast<size_t>(tp.n_bg) * tp.channels() + 1),
      lam(tp.channels()),
      full(tp.n_full),
      se(tp.n_full),
      best(tp.n_full),
      best_se(tp.n_full),
      window(tp.channels()) {
  if (tp.tables.views(0, views)) v = views;
}

bool prepare_pixel(ImageRun& run, long p, Scratch& s) {
  TemplateFitResult& r = run.r;
  const TemplatePolish& tp = run.tp;
  const int n = tp.channels();
  const float* spec = run.im.spectrum(p) + run.first;
  double total = 0.0, lny = 0.0, ylny = 0.0;
  bool negative = false;
  for (int c = 0; c < n; ++c) {
    r.data[p * n + c] = spec[c];
    double v = static_cast<double>(spec[c]) * tp.scale;
    if (!std::isfinite(v)) return write_unfitted(r, p, FitStatus::InvalidValues, kNaN), false;
    if (v < 0.0) {
      negative = true;
      if (run.cfg.clip_negative) v = 0.0;
    }
    s.y[c] = v;
    s.window[c] = static_cast<float>(v / tp.scale);
    total += v;
    if (v > 0.0) {
      lny += std::lgamma(v + 1.0);
      ylny += v * std::log(v);
    }
  }
  if (negative && !run.cfg.clip_negative)
    return write_unfitted(r, p, FitStatus::NegativeValues, total), false;
  if (!(total > 0.0)) return write_unfitted(r, p, FitStatus::EmptySpectrum, total), false;
  for (int c = 0; c < n; ++c) r.data[p * n + c] = s.window[c];
  detail::pixel_background(tp, r.reference, s.window.data(), s.bgc.data());
  s.total = total;
  s.lny = lny;
  s.ylny = ylny;
  return true;
}

void template_start(const TemplatePolish& tp, double total, double* full) {
  const double f = total / tp.ref_total;
  std::copy(tp.start.begin(), tp.start.end(), full);
  for (int k = 0; k < tp.K; ++k) full[tp.main[k] * kP + kArea] *= f;
  for (int t = 0; t < tp.n_bg; ++t)
    if (scaled_term(tp, t)) full[tp.n_full - tp.n_bg + t] *= f;
}

bool neighbour_start(const ImageRun& run, long p, double total, double* full) {
  const TemplateFitResult& r = run.r;
  const int K = r.K, nb = r.n_background();
  const long y = p / r.nx, x = p % r.nx;
  const long cand[3][2] = {{y - 1, x}, {y, x - 1}, {y - 1, x - 1}};
  std::vector<double> mu(run.tp.mu0), mu_sum(K, 0.0), mu_n(K, 0.0), area(K, 0.0), bg(nb, 0.0);
  std::vector<double> fw(run.tp.fwhm0), fw_sum(K, 0.0);
  int used = 0;
  for (const auto& c : cand) {
    if (c[0] < 0 || c[1] < 0) continue;
    const long q = c[0] * r.nx + c[1];
    if (r.status[q] > 1 || !(r.total_counts[q] > 0.0)) continue;  // not fitted
    const double f = total / r.total_counts[q];
    for (int k = 0; k < K; ++k) {
      area[k] += f * r.area[q * K + k];
      if (r.significant[q * K + k]) {
        mu_sum[k] += r.position[q * K + k];
        fw_sum[k] += r.fwhm[q * K + k];
        mu_n[k] += 1.0;
      }
    }
    for (int b = 0; b < nb; ++b)  // the Tougaard B is a ratio to the peaks: not scaled
      bg[b] += (scaled_term(run.tp, b) ? f : 1.0) * r.background[q * nb + b];
    ++used;
  }
  if (used == 0) return false;
  for (int k = 0; k < K; ++k) {
    area[k] /= used;
    if (mu_n[k] > 0) mu[k] = mu_sum[k] / mu_n[k];
    if (mu_n[k] > 0) fw[k] = fw_sum[k] / mu_n[k];
  }
  for (double& v : bg) v /= used;
  full_from(run.tp, mu.data(), fw.data(), area.data(), bg.data(), full);
  return true;
}

bool usable(const PixelPolish& f) {
  return f.status <= PolishStatus::IterationLimit;
}

void keep_better(PixelPolish& best, const PixelPolish& nb, Scratch& s, int& start) {
  best.iterations += nb.iterations;
  if (usable(nb) && (!usable(best) || nb.deviance < best.deviance)) {
    const int it = best.iterations;
    best = nb;
    best.iterations = it;
    s.best = s.full;
    s.best_se = s.se;
    start = 1;
  }
}

void none_start(const TemplatePolish& tp, Scratch& s, double* full) {
  const int K = tp.K, n = tp.channels(), b0 = tp.n_full - tp.n_bg;
  std::copy(s.best.begin(), s.best.end(), full);
  for (int k = 0; k < K; ++k) full[tp.main[k] * kP + kArea] = 0.0;
  detail::pixel_tougaard(tp, tp.map_none, full, s.bgc.data(), s.v);
  double bsum = 0.0;
  for (int t = 0; t < tp.n_bg; ++t)
    for (int i = 0; i < n; ++i) bsum += full[b0 + t] * s.bgc[t * n + i];
  for (int t = 0; t < tp.n_bg; ++t)
    if (scaled_term(tp, t)) full[b0 + t] *= bsum > 0.0 ? s.total / bsum : 1.0;
}

void without_start(const TemplatePolish& tp, const Scratch& s, int k, double* full) {
  std::copy(s.best.begin(), s.best.end(), full);
  full[tp.main[k] * kP + kArea] = 0.0;
}

int store_states(ImageRun& run, long p, const Scratch& s, const PixelPolish& best,
                 const std::vector<double>& d_without) {
  const TemplatePolish& tp = run.tp;
  TemplateFitResult& r = run.r;
  const int K = tp.K, n = tp.channels();
  int n_sig = 0;
  for (int k = 0; k < K; ++k) {
    const double D = std::max(0.0, d_without[k] - best.deviance);
    const long j = p * K + k;
    const int c = tp.main[k] * kP;
    r.lr_component[j] = D;
    r.significant[j] = D > r.threshold ? 1 : 0;
    n_sig += r.significant[j];
    r.position[j] = s.best[c + kPosition];
    r.area[j] = s.best[c + kArea] * tp.state_factor[k] / tp.scale;
    r.fwhm[j] = s.best[c + kFwhm];
    const double se = s.best_se[c + kPosition];
    r.position_se[j] = se > 0.0 && s.best[c + kArea] * n > 1e-6 * s.total ? se : kNaN;
  }
  return n_sig;
}

void finish_pixel(ImageRun& run, long p, Scratch& s, const PixelPolish& best, double d_none,
                  int n_sig, int iterations, int start) {
  TemplateFitResult& r = run.r;
  const TemplatePolish& tp = run.tp;
  const int n = tp.channels(), nb = tp.n_bg;
  // Residuals and Pearson χ² of the kept fit.
  detail::pixel_tougaard(tp, tp.map_full, s.best.data(), s.bgc.data(), s.v);
  detail::pixel_lambda(tp, s.best.data(), s.bgc.data(), s.lam.data());
  double chi2 = 0.0;
  for (int c = 0; c < n; ++c) {
    const double lam = s.lam[c];
    chi2 += (s.y[c] - lam) * (s.y[c] - lam) / std::max(lam, 1e-300);
    r.residual[p * n + c] = static_cast<float>((s.y[c] - lam) / tp.scale);
  }
  const int params = tp.map_full.n_free;
  r.chi2_reduced[p] = n > params ? chi2 / (n - params) : kNaN;
  for (int t = 0; t < nb; ++t) r.background[p * nb + t] = s.best[tp.n_full - nb + t];
  r.log_likelihood[p] = -0.5 * best.deviance + s.ylny - s.total - s.lny;
  r.lr_total[p] = std::max(0.0, d_none - best.deviance);
  r.n_significant[p] = n_sig;
  r.iterations[p] = iterations;
  r.start[p] = start;
  r.status[p] = best.status == PolishStatus::Converged        ? 0
                : best.status == PolishStatus::IterationLimit ? 1
                                                              : 2;
  r.total_counts[p] = s.total;
}

}  // namespace detail

TemplateFitResult fit_image_template(const SpectrumImage& image, const FitConfig& cfg,
                                     const FitOptions& opt, TemplateSchedule schedule) {
  if (opt.backend != Backend::Cpu && opt.backend != Backend::Cuda)
    fail("[image] mode = \"template\" runs on the cpu or cuda backend");
#ifndef VITRUM_HAVE_CUDA
  if (opt.backend == Backend::Cuda)
    fail("[image] mode = \"template\": backend cuda requested, but this build has no CUDA support");
#endif
  const auto t0 = std::chrono::steady_clock::now();
  // The image on the fitted axis (converted once), and its sum spectrum.
  SpectrumImage conv;
  const SpectrumImage* im = &image;
  const EnergyKind kind = cfg.axis == FitAxis::Binding   ? EnergyKind::Binding
                          : cfg.axis == FitAxis::Kinetic ? EnergyKind::Kinetic
                                                         : image.energy_kind;
  if (kind != image.energy_kind) {
    conv = image;
    convert_energy(conv, kind, cfg.photon_energy);
    im = &conv;
  }
  TemplateFitResult r;
  r.ny = im->ny;
  r.nx = im->nx;
  r.sum_image = sum_spectrum(*im);
  FitConfig sum_cfg = cfg;
  sum_cfg.axis = FitAxis::AsRecorded;
  FitOptions sum_opt = opt;
  sum_opt.progress = nullptr;
  sum_opt.backend = Backend::Cpu;  // one spectrum: the same template for every backend
  r.reference = fit_spectra(r.sum_image, sum_cfg, sum_opt);
  const FitResult& ref = r.reference;
  if (ref.n_peaks[0] < 1 || ref.status[0] > 1)
    fail(
        "{} (block '{}'): the sum spectrum's fit found no usable peak (status {}); the template "
        "fit needs at least one component",
        image.source, image.name, fit_status_name(static_cast<FitStatus>(ref.status[0])));
  if (cfg.polish && cfg.polish_start != "em")
    fail(
        "[image] mode = \"template\" takes its template from the sum spectrum's EM fit and "
        "polish; [polish] start = \"{}\" is not supported with it (use start = \"em\")",
        cfg.polish_start);
  // The template: the sum spectrum polished as [polish] says (the EM's shape without it).
  FitConfig pcfg = sum_cfg;
  pcfg.polish = true;
  pcfg.polish_start = "em";
  PolishOptions po;
  po.control = cfg.polish_control;
  po.threads = opt.threads;
  po.residuals = false;
  const PolishedBlock pb = polish_fitted_block(ref, r.sum_image, pcfg, po);
  size_t g = 0;
  while (g < pb.results.size() && pb.results[g].fits != 1) ++g;
  if (g == pb.results.size() ||
      pb.results[g].status[0] > static_cast<int>(PolishStatus::IterationLimit))
    fail(
        "{} (block '{}'): the maximum-likelihood polish of the sum spectrum failed ({}); the "
        "template fit needs it",
        image.source, image.name,
        g == pb.results.size()
            ? "no result"
            : polish_status_name(static_cast<PolishStatus>(pb.results[g].status[0])));
  const int n = static_cast<int>(ref.energy.size());
  double sum_total = 0.0;
  for (int c = 0; c < n; ++c)
    sum_total +=
        static_cast<double>(r.sum_image.counts[ref.window_first + c]) * cfg.intensity_scale;
  auto tp = std::make_shared<TemplatePolish>(detail::make_template_polish(
      ref, pb.batches[g].model, pb.results[g].params, cfg, sum_total, cfg.image_max_shift));
  r.model = tp;
  r.K = tp->K;
  r.max_shift = r.K > 0 ? tp->hi[0] - tp->mu0[0] : cfg.image_max_shift;
  r.level = cfg.image_level;
  r.test_dof = cfg.image_free_widths ? 3 : 2;
  r.threshold = chi2_quantile(r.test_dof, cfg.image_level);
  r.background_names = tp->background_names;
  for (int k = 0; k < r.K; ++k) {
    const ModelComponent& c = tp->model.components[tp->main[k]];
    r.template_position.push_back(tp->mu0[k]);
    r.template_fwhm.push_back(tp->fwhm0[k]);
    r.template_eta.push_back(
        c.kind == ShapeKind::PseudoVoigt ? tp->start[tp->main[k] * kP + kShape0] : kNaN);
    r.template_line_shape.push_back(tp->line_shape[k]);
  }
  size_result(r, n);
  ImageRun run{*im, cfg, *tp, r, ref.window_first};
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  if (opt.backend == Backend::Cuda || schedule == TemplateSchedule::Batched ||
      schedule == TemplateSchedule::EmulatedWarp) {
    detail::JobRound round = [threads](detail::TemplateJobs& j) {
      detail::polish_template_jobs_cpu(j, threads);
    };
    if (schedule == TemplateSchedule::EmulatedWarp)
      round = [threads](detail::TemplateJobs& j) {
        detail::polish_template_jobs_warp_emulated(j, threads);
      };
#ifdef VITRUM_HAVE_CUDA
    if (opt.backend == Backend::Cuda)
      round = [](detail::TemplateJobs& j) { detail::launch_template_jobs(j); };
#endif
    detail::fit_wavefronts_batched(run, round, threads, opt.progress);
  } else {
    fit_wavefronts_per_pixel(run, threads, opt.progress);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace vitrum::spectra
