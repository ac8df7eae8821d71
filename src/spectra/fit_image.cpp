// Images fitted as images (fit_image.hpp): the sum spectrum's EM fit becomes a template, applied
// to every pixel in anti-diagonal wavefronts with neighbour starts, bounded shifts and a
// likelihood-ratio significance test per component.
#include "vitrum/spectra/fit_image.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "template_pixel.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::spectra {

namespace {

using detail::PixelScratch;
using detail::TemplateModel;
using math::EmState;
using math::FitStatus;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The grid and model the pixels are fitted with, from the reference fit (as fit_curves does).
struct Setup {
  TemplateModel tm;
  std::vector<double> mult;
  std::vector<double> ref_area;  ///< template areas (scaled counts units) of the sum spectrum
  std::vector<double> ref_bg;    ///< template background weights (scaled)
  double ref_total = 0.0;        ///< counts of the sum spectrum (scaled)
  double scale = 1.0;
};

void build_setup(const FitResult& ref, const FitConfig& cfg, double max_shift, Setup& s) {
  TemplateModel& tm = s.tm;
  math::EmModel& m = tm.model;
  const int n = static_cast<int>(ref.energy.size());
  m.shape = ref.shape;
  m.eta_free = 0;
  m.doublet = ref.doublet ? 1 : 0;
  m.split = ref.doublet_split;
  m.ratio = ref.doublet_ratio;
  m.n_bg_fixed = static_cast<int>(ref.background_shapes.size()) / std::max(n, 1);
  m.shirley = ref.n_background() > m.n_bg_fixed ? 1 : 0;
  m.shirley_rising = ref.energy_kind == EnergyKind::Binding ? 1 : 0;
  m.x_lo = ref.energy.front();
  m.x_hi = ref.energy.back();
  m.mu_lo = m.x_lo;
  m.mu_hi = m.x_hi;
  m.delta = n > 1 ? (m.x_hi - m.x_lo) / (n - 1) : 1.0;
  s.mult.assign(n, 1.0);
  tm.grid = math::Grid{ref.energy.data(), s.mult.data(), ref.background_shapes.data(), n, 1, 0};
  tm.K = ref.n_peaks[0];
  s.scale = cfg.intensity_scale;
  for (int k = 0; k < tm.K; ++k) {
    tm.mu0.push_back(ref.position[k]);
    tm.t0.push_back(std::log(ref.fwhm[k]));
    tm.eta0.push_back(std::isnan(ref.eta[k]) ? 0.0 : ref.eta[k]);
    tm.lo.push_back(ref.position[k] - max_shift);
    tm.hi.push_back(ref.position[k] + max_shift);
    s.ref_area.push_back(ref.area[k] * s.scale);
  }
  for (int b = 0; b < ref.n_background(); ++b) s.ref_bg.push_back(ref.background[b] * s.scale);
  s.ref_total = ref.total_counts[0];
  tm.max_iterations = cfg.max_iterations;
  tm.tolerance = cfg.tolerance;
  tm.abs_tolerance = cfg.abs_tolerance;
}

/// Largest shift that keeps every component inside its own half of the gap to the others.
double shift_bound(const std::vector<double>& mu, double requested) {
  double sep = std::numeric_limits<double>::infinity();
  for (size_t a = 0; a < mu.size(); ++a)
    for (size_t b = a + 1; b < mu.size(); ++b) sep = std::min(sep, std::fabs(mu[a] - mu[b]));
  return std::min(requested, 0.45 * sep);
}

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

/// State of template slots `comp` started from area/position/background values.
EmState make_state(const TemplateModel& tm, const std::vector<int>& comp, const double* area,
                   const double* mu, const double* bg) {
  EmState s{};
  s.k = static_cast<int>(comp.size());
  for (int j = 0; j < s.k; ++j) {
    const int c = comp[j];
    s.area[j] = std::max(area[c], 1e-300);
    s.mu[j] = std::clamp(mu[c], tm.lo[c], tm.hi[c]);
    s.t[j] = tm.t0[c];
    s.eta[j] = tm.eta0[c];
  }
  for (int b = 0; b < tm.model.n_bg(); ++b) s.bg[b] = std::max(bg[b], 1e-300);
  return s;
}

struct ImageRun {
  const SpectrumImage& im;
  const FitConfig& cfg;
  Setup& su;
  TemplateFitResult& r;
  long first = 0;
};

/// Start from the already-fitted neighbours (y−1, x), (y, x−1), (y−1, x−1); false if none.
bool neighbour_start(const ImageRun& run, long p, double total, std::vector<double>& area,
                     std::vector<double>& mu, std::vector<double>& bg) {
  const TemplateFitResult& r = run.r;
  const int K = r.K, nb = r.n_background();
  const long y = p / r.nx, x = p % r.nx;
  const long cand[3][2] = {{y - 1, x}, {y, x - 1}, {y - 1, x - 1}};
  std::vector<double> mu_sum(K, 0.0), mu_n(K, 0.0);
  area.assign(K, 0.0);
  bg.assign(nb, 0.0);
  int used = 0;
  for (const auto& c : cand) {
    if (c[0] < 0 || c[1] < 0) continue;
    const long q = c[0] * r.nx + c[1];
    if (r.status[q] > 1 || !(r.total_counts[q] > 0.0)) continue;  // not fitted
    const double f = total / r.total_counts[q];
    for (int k = 0; k < K; ++k) {
      area[k] += f * r.area[q * K + k] * run.su.scale;
      if (r.significant[q * K + k]) {
        mu_sum[k] += r.position[q * K + k];
        mu_n[k] += 1.0;
      }
    }
    for (int b = 0; b < nb; ++b) bg[b] += f * r.background[q * nb + b] * run.su.scale;
    ++used;
  }
  if (used == 0) return false;
  mu = run.su.tm.mu0;
  for (int k = 0; k < K; ++k) {
    area[k] /= used;
    if (mu_n[k] > 0) mu[k] = mu_sum[k] / mu_n[k];
  }
  for (double& v : bg) v /= used;
  return true;
}

/// Marks pixel p as not fitted with `status`.
void write_unfitted(TemplateFitResult& r, long p, FitStatus status, double total) {
  r.status[p] = static_cast<int>(status);
  r.total_counts[p] = total;
  r.n_significant[p] = 0;
}

/// Standard errors of the positions of pixel p's fit `best` from the Fisher information
/// I_ab = Σ_n ∂_a λ_n ∂_b λ_n / λ_n over areas, positions and background weights (components
/// with a negligible area and positions at a bound left out; a Shirley shape held fixed).
void position_errors(ImageRun& run, long p, const EmState& best, const double* lam,
                     const double* shirley) {
  TemplateFitResult& r = run.r;
  const TemplateModel& tm = run.su.tm;
  const math::EmModel& m = tm.model;
  const int K = r.K, n = tm.grid.n, nbf = m.n_bg_fixed, nb = m.n_bg();
  double total = 0.0;
  for (int c = 0; c < n; ++c) total += lam[c];
  // Columns: ∂λ/∂A_k, ∂λ/∂μ_k (kept components), then ∂λ/∂c_b.
  std::vector<std::vector<double>> cols;
  std::vector<int> mu_col(K, -1);
  for (int k = 0; k < K; ++k) {
    if (!(best.area[k] * n > 1e-6 * total)) continue;
    const double f = std::exp(best.t[k]), eta = best.eta[k], h = 1e-4 * f;
    std::vector<double> da(n), dm(n);
    for (int c = 0; c < n; ++c) {
      const double x = tm.grid.x[c];
      da[c] = math::peak_value(m, best.mu[k], f, eta, x);
      dm[c] = best.area[k] *
              (math::peak_value(m, best.mu[k] + h, f, eta, x) -
               math::peak_value(m, best.mu[k] - h, f, eta, x)) /
              (2.0 * h);
    }
    cols.push_back(std::move(da));
    const bool interior = best.mu[k] > tm.lo[k] + 1e-9 && best.mu[k] < tm.hi[k] - 1e-9;
    if (interior) {
      mu_col[k] = static_cast<int>(cols.size());
      cols.push_back(std::move(dm));
    }
  }
  for (int b = 0; b < nb; ++b) {
    std::vector<double> h(n);
    for (int c = 0; c < n; ++c) h[c] = b < nbf ? tm.grid.bg[b * n + c] : shirley[c];
    cols.push_back(std::move(h));
  }
  const int P = static_cast<int>(cols.size());
  std::vector<double> info(static_cast<size_t>(P) * P, 0.0), work(P);
  for (int a = 0; a < P; ++a)
    for (int b = 0; b <= a; ++b) {
      double v = 0.0;
      for (int c = 0; c < n; ++c) v += cols[a][c] * cols[b][c] / std::max(lam[c], 1e-300);
      info[a * P + b] = info[b * P + a] = v;
    }
  std::vector<int> keep(P, 1);
  math::cholesky_dropping(P, info.data(), keep.data());
  for (int k = 0; k < K; ++k) {
    const int i = mu_col[k];
    if (i >= 0 && keep[i])
      r.position_se[p * K + k] =
          std::sqrt(math::inverse_diagonal(P, info.data(), keep.data(), i, work.data()));
  }
}

/// Leave-one-out refits of pixel p's fit `best`: D_k = 2 (ℓ − ℓ without k) against the χ²₂
/// threshold; writes the per-component results and returns the number of significant ones.
int test_components(ImageRun& run, long p, PixelScratch& scratch, const std::vector<double>& y,
                    const EmState& best, const EmState& none, int& iterations) {
  TemplateFitResult& r = run.r;
  const TemplateModel& tm = run.su.tm;
  const int K = r.K, nb = r.n_background();
  double total = 0.0;
  for (double v : y) total += v;
  std::vector<double> bestmu(K), bestarea(K), bestbg(best.bg, best.bg + nb);
  for (int k = 0; k < K; ++k) {
    bestmu[k] = best.mu[k];
    bestarea[k] = best.area[k];
  }
  int n_sig = 0;
  for (int k = 0; k < K; ++k) {
    double l_without = none.loglik;
    if (K > 1) {
      std::vector<int> rest;
      for (int j = 0; j < K; ++j)
        if (j != k) rest.push_back(j);
      EmState w = make_state(tm, rest, bestarea.data(), bestmu.data(), bestbg.data());
      detail::fit_template_state(tm, scratch, y.data(), total, rest.data(), w);
      iterations += w.iterations;
      l_without = std::max(w.loglik, none.loglik);
    }
    const double D = std::max(0.0, 2.0 * (best.loglik - l_without));
    const long j = p * K + k;
    r.lr_component[j] = D;
    r.significant[j] = D > r.threshold ? 1 : 0;
    n_sig += r.significant[j];
    r.position[j] = best.mu[k];
    r.area[j] = best.area[k] / run.su.scale;
  }
  return n_sig;
}

/// Fits pixel p: template and neighbour starts, background-only and leave-one-out refits.
void fit_pixel(ImageRun& run, long p, PixelScratch& scratch, std::vector<double>& y) {
  TemplateFitResult& r = run.r;
  const TemplateModel& tm = run.su.tm;
  const int K = r.K, nb = r.n_background(), n = tm.grid.n;
  const float* spec = run.im.spectrum(p) + run.first;
  double total = 0.0, lny = 0.0;
  bool negative = false;
  for (int c = 0; c < n; ++c) {
    double v = static_cast<double>(spec[c]) * run.su.scale;
    if (!std::isfinite(v)) return write_unfitted(r, p, FitStatus::InvalidValues, kNaN);
    if (v < 0.0) {
      negative = true;
      if (run.cfg.clip_negative) v = 0.0;
    }
    y[c] = v;
    total += v;
    if (v > 0.0) lny += std::lgamma(v + 1.0);
  }
  if (negative && !run.cfg.clip_negative)
    return write_unfitted(r, p, FitStatus::NegativeValues, total);
  if (!(total > 0.0)) return write_unfitted(r, p, FitStatus::EmptySpectrum, total);

  std::vector<int> all(K);
  for (int k = 0; k < K; ++k) all[k] = k;
  const double f = total / run.su.ref_total;
  std::vector<double> area(K), bg(nb);
  for (int k = 0; k < K; ++k) area[k] = f * run.su.ref_area[k];
  for (int b = 0; b < nb; ++b) bg[b] = f * run.su.ref_bg[b];
  EmState best = make_state(tm, all, area.data(), tm.mu0.data(), bg.data());
  detail::fit_template_state(tm, scratch, y.data(), total, all.data(), best);
  int iterations = best.iterations, start = 0;
  std::vector<double> mu;
  if (run.cfg.image_neighbors && neighbour_start(run, p, total, area, mu, bg)) {
    EmState nbs = make_state(tm, all, area.data(), mu.data(), bg.data());
    detail::fit_template_state(tm, scratch, y.data(), total, all.data(), nbs);
    iterations += nbs.iterations;
    if (nbs.loglik > best.loglik) {
      best = nbs;
      start = 1;
    }
  }
  // Background alone (K = 0), started from the fit's background holding all the counts.
  double bsum = 0.0;
  for (int b = 0; b < nb; ++b) bsum += best.bg[b];
  std::vector<double> bg0(nb);
  for (int b = 0; b < nb; ++b) bg0[b] = best.bg[b] * total / std::max(bsum, 1e-300);
  EmState none = make_state(tm, {}, nullptr, nullptr, bg0.data());
  detail::fit_template_state(tm, scratch, y.data(), total, nullptr, none);
  iterations += none.iterations;
  const int n_sig = test_components(run, p, scratch, y, best, none, iterations);
  // Residuals and Pearson χ² of the full fit.
  std::vector<double> lam(n);
  detail::template_lambda(tm, scratch, y.data(), best, lam.data());
  double chi2 = 0.0;
  for (int c = 0; c < n; ++c) {
    chi2 += (y[c] - lam[c]) * (y[c] - lam[c]) / std::max(lam[c], 1e-300);
    r.residual[p * n + c] = static_cast<float>((y[c] - lam[c]) / run.su.scale);
  }
  const int params = 2 * K + nb;
  r.chi2_reduced[p] = n > params ? chi2 / (n - params) : kNaN;
  position_errors(run, p, best, lam.data(), scratch.ws.shirley);
  for (int b = 0; b < nb; ++b) r.background[p * nb + b] = best.bg[b] / run.su.scale;
  r.log_likelihood[p] = best.loglik - lny;
  r.lr_total[p] = std::max(0.0, 2.0 * (best.loglik - none.loglik));
  r.n_significant[p] = n_sig;
  r.iterations[p] = iterations;
  r.start[p] = start;
  r.status[p] = best.status;
  r.total_counts[p] = total;
}

void size_result(TemplateFitResult& r, int n) {
  const size_t P = static_cast<size_t>(r.pixels()), PK = P * r.K;
  r.position.assign(PK, kNaN);
  r.position_se.assign(PK, kNaN);
  r.area.assign(PK, kNaN);
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
}

}  // namespace

TemplateFitResult fit_image_template(const SpectrumImage& image, const FitConfig& cfg,
                                     const FitOptions& opt) {
  if (opt.backend != Backend::Cpu)
    fail("[image] mode = \"template\" runs on the CPU backend only (give --backend cpu)");
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
  r.reference = fit_spectra(r.sum_image, sum_cfg, sum_opt);
  const FitResult& ref = r.reference;
  if (ref.n_peaks[0] < 1 || ref.status[0] > 1)
    fail(
        "{} (block '{}'): the sum spectrum's fit found no usable peak (status {}); the template "
        "fit needs at least one component",
        image.source, image.name, fit_status_name(static_cast<FitStatus>(ref.status[0])));
  r.K = ref.n_peaks[0];
  std::vector<double> mu0(ref.position.begin(), ref.position.begin() + r.K);
  r.max_shift = shift_bound(mu0, cfg.image_max_shift);
  r.level = cfg.image_level;
  r.threshold = -2.0 * std::log(cfg.image_level);  // χ²₂ quantile at 1 − α
  Setup su;
  build_setup(ref, cfg, r.max_shift, su);
  for (int k = 0; k < r.K; ++k) {
    r.template_position.push_back(ref.position[k]);
    r.template_fwhm.push_back(ref.fwhm[k]);
    r.template_eta.push_back(ref.eta[k]);
  }
  const int n = su.tm.grid.n;
  size_result(r, n);
  ImageRun run{*im, cfg, su, r, ref.window_first};
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  std::vector<std::unique_ptr<PixelScratch>> scratch;
  std::vector<std::vector<double>> ybuf(threads, std::vector<double>(n));
  for (int t = 0; t < threads; ++t) scratch.push_back(std::make_unique<PixelScratch>(n));
  long done = 0;
  for (long d = 0; d <= static_cast<long>(r.ny) + r.nx - 2; ++d) {
    const long ylo = std::max(0L, d - (r.nx - 1)), yhi = std::min<long>(d, r.ny - 1);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long yy = ylo; yy <= yhi; ++yy) {
      const int t = omp_get_thread_num();
      fit_pixel(run, yy * r.nx + (d - yy), *scratch[t], ybuf[t]);
    }
    done += yhi - ylo + 1;
    if (opt.progress) opt.progress(done, r.pixels());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace vitrum::spectra
