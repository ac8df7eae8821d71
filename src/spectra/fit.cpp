// The dispatch point of the EM fit: checks the request against the data, builds the window
// grid, the binned screening grid and the background shapes once per batch, sizes the result
// arrays and hands one FitBatch to the chosen backend.
#include "vitrum/spectra/fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/fit_batch.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
#ifdef VITRUM_HAVE_CUDA
#include "spectra/fit.cuh"
#endif

namespace vitrum::spectra {

const char* fit_status_name(FitStatus s) {
  switch (s) {
    case FitStatus::Converged:
      return "converged";
    case FitStatus::IterationLimit:
      return "iteration-limit";
    case FitStatus::DegeneratePeak:
      return "degenerate-peak";
    case FitStatus::EmptySpectrum:
      return "empty-spectrum";
    case FitStatus::InvalidValues:
      return "invalid-values";
    case FitStatus::NegativeValues:
      return "negative-values";
  }
  return "unknown";
}

std::vector<long> FitResult::status_counts() const {
  std::vector<long> c(6, 0);
  for (int s : status)
    if (s >= 0 && s < 6) ++c[s];
  return c;
}

namespace {

/// Grids and shapes of one batch, owned here; the EmProblem points into them.
struct Prepared {
  std::vector<double> x, mult, bg;     // full grid
  std::vector<double> xb, multb, bgb;  // screening grid
  math::EmProblem problem;
  std::vector<std::string> bg_names;
  const SpectrumImage* image = nullptr;  // the (possibly converted) image fitted
  SpectrumImage converted;
  long first = 0;
};

std::string where(const SpectrumImage& im) {
  return fmt::format("{} (block '{}')", im.source.empty() ? "<memory>" : im.source, im.name);
}

EnergyKind target_kind(const SpectrumImage& im, FitAxis axis) {
  if (axis == FitAxis::Binding) return EnergyKind::Binding;
  if (axis == FitAxis::Kinetic) return EnergyKind::Kinetic;
  return im.energy_kind;
}

/// Fixed background shapes on the full grid, each normalised to sum 1.
void build_backgrounds(const FitConfig& cfg, bool rising, Prepared& p, math::BgLayout& L) {
  const int n = static_cast<int>(p.x.size());
  const double lo = p.x.front(), hi = p.x.back();
  auto add = [&](const std::string& name, auto&& f) {
    std::vector<double> h(n);
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += (h[i] = f(p.x[i]));
    for (double& v : h) v /= s;
    p.bg.insert(p.bg.end(), h.begin(), h.end());
    p.bg_names.push_back(name);
    return static_cast<int>(p.bg_names.size()) - 1;
  };
  if (cfg.bg_uniform) L.uniform = add("uniform", [](double) { return 1.0; });
  if (cfg.bg_ramps) {
    L.ramp_up = add("ramp_up", [&](double x) { return x - lo; });
    L.ramp_down = add("ramp_down", [&](double x) { return hi - x; });
  }
  if (cfg.bg_steps > 0) {
    // Step j (1..M) rises linearly from 0 at node j−1 to 1 at node j and stays 1: a non-negative
    // sum of them is any monotone piecewise-linear step toward the inelastic side.
    const int M = cfg.bg_steps;
    L.n_steps = M;
    L.steps_rising = rising ? 1 : 0;
    for (int j = 1; j <= M; ++j) {
      const double a = lo + (hi - lo) * (j - 1) / M, b = lo + (hi - lo) * j / M;
      // Falling steps (kinetic axis) mirror the nodes: component j is 1 below its lower node.
      const double a2 = hi - (hi - lo) * j / M, b2 = hi - (hi - lo) * (j - 1) / M;
      const int idx = add(fmt::format("step_{}", j), [&](double x) {
        return rising ? std::clamp((x - a) / (b - a), 0.0, 1.0)
                      : std::clamp((b2 - x) / (b2 - a2), 0.0, 1.0);
      });
      if (j == 1) L.steps_first = idx;
    }
  }
  if (cfg.bg_shirley) p.bg_names.push_back("shirley");
}

void prepare(const SpectrumImage& image, const FitConfig& cfg, Prepared& p) {
  if (image.channels() < 2 || image.counts.size() != static_cast<size_t>(image.pixels()) *
                                                         static_cast<size_t>(image.channels()))
    fail("{}: the spectrum data has {} values for {} × {} pixels of {} channels", where(image),
         image.counts.size(), image.ny, image.nx, image.channels());
  const EnergyKind kind = target_kind(image, cfg.axis);
  p.image = &image;
  if (kind != image.energy_kind) {
    p.converted = image;
    convert_energy(p.converted, kind, cfg.photon_energy);
    p.image = &p.converted;
  }
  const SpectrumImage& im = *p.image;
  const auto& e = im.energy;
  for (size_t i = 1; i < e.size(); ++i)
    if (!(e[i] > e[i - 1]))
      fail("{}: energies must be strictly ascending (channel {} is {} eV after {} eV)", where(im),
           i, e[i], e[i - 1]);
  double lo = e.front(), hi = e.back();
  if (cfg.has_window) {
    if (!(cfg.window_min < cfg.window_max))
      fail("{}: the fit window [{}, {}] eV is empty or inverted", cfg.source, cfg.window_min,
           cfg.window_max);
    const double tol = 1e-6 * std::max(1.0, std::fabs(hi));
    if (cfg.window_min < lo - tol || cfg.window_max > hi + tol)
      fail(
          "{}: the fit window [{}, {}] eV ({} energy) lies outside the data of {}, which spans "
          "[{}, {}] eV; set [window] min/max inside it",
          cfg.source.empty() ? "config" : cfg.source, cfg.window_min, cfg.window_max,
          energy_kind_name(kind), where(im), lo, hi);
    lo = cfg.window_min;
    hi = cfg.window_max;
  }
  const auto first = std::lower_bound(e.begin(), e.end(), lo - 1e-9) - e.begin();
  const auto last = std::upper_bound(e.begin(), e.end(), hi + 1e-9) - e.begin();
  p.first = first;
  p.x.assign(e.begin() + first, e.begin() + last);
  const int n = static_cast<int>(p.x.size());

  math::EmModel& m = p.problem.model;
  math::EmControl& c = p.problem.control;
  if (cfg.k_min < 1 || cfg.k_max < cfg.k_min || cfg.k_max > math::kMaxPeaks)
    fail("{}: number of peaks {}..{} is not a range within 1..{}", cfg.source, cfg.k_min, cfg.k_max,
         math::kMaxPeaks);
  m.shape = cfg.shape;
  m.eta_free = cfg.shape == PeakShape::PseudoVoigt && cfg.eta_free ? 1 : 0;
  m.eta_init = cfg.shape == PeakShape::PseudoVoigt ? cfg.eta : 0.0;
  m.eta_lo = cfg.eta_free ? cfg.eta_min : cfg.eta;
  m.eta_hi = cfg.eta_free ? cfg.eta_max : cfg.eta;
  m.eta_init = std::clamp(m.eta_init, m.eta_lo, m.eta_hi);
  m.x_lo = p.x.empty() ? lo : p.x.front();
  m.x_hi = p.x.empty() ? hi : p.x.back();
  const double width = m.x_hi - m.x_lo;
  m.delta = n > 1 ? width / (n - 1) : 1.0;
  m.doublet = cfg.doublet ? 1 : 0;
  m.ratio = cfg.doublet ? cfg.doublet_ratio : 0.0;
  m.split = cfg.doublet ? (kind == EnergyKind::Binding ? 1.0 : -1.0) * cfg.doublet_splitting : 0.0;
  m.mu_lo = std::isnan(cfg.position_min) ? m.x_lo : cfg.position_min;
  m.mu_hi = std::isnan(cfg.position_max) ? m.x_hi : cfg.position_max;
  m.fwhm_lo = std::isnan(cfg.fwhm_min) ? 3.0 * m.delta : cfg.fwhm_min;
  m.fwhm_hi = std::isnan(cfg.fwhm_max) ? std::max(0.25 * width, 2.0 * m.fwhm_lo) : cfg.fwhm_max;
  if (!(m.mu_lo < m.mu_hi))
    fail("{}: position bounds [{}, {}] eV hold no position", cfg.source, m.mu_lo, m.mu_hi);
  if (!(m.fwhm_lo > 0.0) || !(m.fwhm_lo < m.fwhm_hi))
    fail("{}: FWHM bounds [{}, {}] eV must satisfy 0 < fwhm_min < fwhm_max", cfg.source, m.fwhm_lo,
         m.fwhm_hi);
  m.fwhm_init = std::sqrt(m.fwhm_lo * m.fwhm_hi);

  math::BgLayout& L = p.problem.layout;
  const bool rising = kind == EnergyKind::Binding;
  build_backgrounds(cfg, rising, p, L);
  m.n_bg_fixed = static_cast<int>(p.bg.size()) / std::max(n, 1);
  m.shirley = cfg.bg_shirley ? 1 : 0;
  m.shirley_rising = rising ? 1 : 0;
  if (m.n_bg() > math::kMaxBackground)
    fail("{}: {} background components requested; at most {} (steps ≤ {})", cfg.source, m.n_bg(),
         math::kMaxBackground, math::kMaxBackground - 4);
  const int pmax = math::param_count(m, cfg.k_max);
  if (n < pmax + 2)
    fail(
        "{}: the fit window holds {} channels of {}; {} peaks with this background need at "
        "least {}",
        cfg.source.empty() ? "config" : cfg.source, n, where(im), cfg.k_max, pmax + 2);
  p.mult.assign(n, 1.0);

  // Screening grid: bins of `bin` channels so the narrowest allowed peak spans ≥ 4 bins, and at
  // least 16 (and P + 2) bins remain.
  int bin = cfg.screen_bin > 0 ? cfg.screen_bin
                               : std::max(1, static_cast<int>(m.fwhm_lo / (4.0 * m.delta)));
  bin = std::max(1, std::min(bin, n / std::max(16, pmax + 2)));
  const int nb = (n + bin - 1) / bin;
  p.xb.assign(nb, 0.0);
  p.multb.assign(nb, 0.0);
  p.bgb.assign(static_cast<size_t>(m.n_bg_fixed) * nb, 0.0);
  for (int i = 0; i < n; ++i) {
    const int j = i / bin;
    p.xb[j] += p.x[i];
    p.multb[j] += 1.0;
    for (int b = 0; b < m.n_bg_fixed; ++b) p.bgb[b * nb + j] += p.bg[b * n + i];
  }
  for (int j = 0; j < nb; ++j) p.xb[j] /= p.multb[j];

  auto uniform = [](const std::vector<double>& x) {
    if (x.size() < 3) return 1;
    const double d = (x.back() - x.front()) / (x.size() - 1);
    for (size_t i = 1; i < x.size(); ++i)
      if (std::fabs(x[i] - x[i - 1] - d) > 1e-6 * d) return 0;
    return 1;
  };
  p.problem.full = {p.x.data(), p.mult.data(), p.bg.data(), n, 1, uniform(p.x)};
  // The last bin may hold fewer channels: its centre breaks the even spacing.
  p.problem.screen = bin > 1 ? math::Grid{p.xb.data(),  p.multb.data(),
                                          p.bgb.data(), nb,
                                          bin,          n % bin == 0 ? uniform(p.xb) : 0}
                             : p.problem.full;

  c.k_min = cfg.k_min;
  c.k_max = cfg.k_max;
  c.random_starts = cfg.random_starts;
  c.bic_patience = cfg.bic_patience;
  c.screen_iterations = cfg.screening_iterations;
  c.max_iterations = cfg.max_iterations;
  c.tolerance = cfg.tolerance;
  c.abs_tolerance = cfg.abs_tolerance;
  c.min_peak_fraction = cfg.min_peak_fraction;
  c.smooth_fwhm = std::isnan(cfg.smooth_fwhm) ? m.fwhm_lo : cfg.smooth_fwhm;
  c.seed = cfg.seed;
  c.clip_negative = cfg.clip_negative ? 1 : 0;
  c.uncertainties = cfg.uncertainties ? 1 : 0;
}

template <typename T, typename U>
T* sized(std::vector<T>& v, size_t n, U fill) {
  v.assign(n, static_cast<T>(fill));
  return v.data();
}

}  // namespace

FitResult fit_spectra(const SpectrumImage& image, const FitConfig& cfg, const FitOptions& opt) {
  require_backend(opt.backend);
  Prepared p;
  prepare(image, cfg, p);
  const SpectrumImage& im = *p.image;
  const math::EmModel& m = p.problem.model;

  FitResult r;
  r.name = im.name;
  r.source = im.source;
  r.ny = im.ny;
  r.nx = im.nx;
  r.fits = im.pixels();
  r.energy_kind = im.energy_kind;
  r.axis_converted = p.image != &image;
  r.photon_energy = cfg.photon_energy;
  r.window_first = p.first;
  r.energy = p.x;
  r.screen_bin = p.problem.screen.bin;
  r.shape = cfg.shape;
  r.doublet = cfg.doublet;
  r.doublet_split = m.split;
  r.doublet_ratio = m.ratio;
  r.k_min = cfg.k_min;
  r.max_peaks = cfg.k_max;
  r.background_names = p.bg_names;
  r.background_shapes = p.bg;
  r.intensity_scale = cfg.intensity_scale;
  r.backend = opt.backend;

  const size_t F = static_cast<size_t>(r.fits);
  const size_t KP = F * r.max_peaks;
  math::ResultView out;
  out.max_peaks = r.max_peaks;
  out.n_bg = r.n_background();
  out.n_k = r.n_k();
  out.n_peaks = sized(r.n_peaks, F, 0);
  out.status = sized(r.status, F, 0);
  out.iterations = sized(r.iterations, F, 0);
  out.start = sized(r.start, F, -1);
  out.position = sized(r.position, KP, NAN);
  out.fwhm = sized(r.fwhm, KP, NAN);
  out.area = sized(r.area, KP, NAN);
  out.eta = sized(r.eta, KP, NAN);
  out.position_se = sized(r.position_se, KP, NAN);
  out.fwhm_se = sized(r.fwhm_se, KP, NAN);
  out.area_se = sized(r.area_se, KP, NAN);
  out.eta_se = sized(r.eta_se, KP, NAN);
  out.background = sized(r.background, F * std::max(out.n_bg, 1), NAN);
  out.log_likelihood = sized(r.log_likelihood, F, NAN);
  out.bic = sized(r.bic, F, NAN);
  out.total_counts = sized(r.total_counts, F, NAN);
  out.bic_by_k = sized(r.bic_by_k, F * out.n_k, NAN);

  FitBatch b;
  b.problem = p.problem;
  b.spectra = im.counts.data() + p.first;
  b.stride = im.channels();
  b.count = r.fits;
  b.intensity_scale = cfg.intensity_scale;
  b.out = out;
  b.threads = opt.threads;
  b.progress = opt.progress;

  const auto t0 = std::chrono::steady_clock::now();
  if (opt.backend == Backend::Cuda) {
#ifdef VITRUM_HAVE_CUDA
    launch_spectra_fit(b);
#else
    fail("the CUDA backend is not compiled into this build");
#endif
  } else {
    fit_spectra_cpu(b);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Back to the stored intensity units.
  const double inv = 1.0 / cfg.intensity_scale;
  for (size_t i = 0; i < KP; ++i) {
    r.area[i] *= inv;
    r.area_se[i] *= inv;
  }
  for (double& v : r.background) v *= inv;
  return r;
}

FitCurveSet fit_curves(const FitResult& r, const SpectrumImage& image, long i) {
  if (i < 0 || i >= r.fits) fail("fit_curves: fit {} out of range (0..{})", i, r.fits - 1);
  const SpectrumImage* im = &image;
  SpectrumImage conv;
  if (r.axis_converted) {
    conv = image;
    convert_energy(conv, r.energy_kind, r.photon_energy);
    im = &conv;
  }
  const int n = static_cast<int>(r.energy.size());
  FitCurveSet c;
  c.energy = r.energy;
  c.data.resize(n);
  const float* s = im->spectrum(i) + r.window_first;
  for (int j = 0; j < n; ++j) c.data[j] = s[j];
  c.fit.assign(n, 0.0);
  c.background.assign(n, 0.0);
  math::EmModel m;
  m.shape = r.shape;
  m.doublet = r.doublet ? 1 : 0;
  m.split = r.doublet_split;
  m.ratio = r.doublet_ratio;
  m.shirley_rising = r.energy_kind == EnergyKind::Binding ? 1 : 0;
  std::vector<double> peaks_sum(n, 0.0);
  const int np = r.n_peaks[i];
  for (int k = 0; k < np; ++k) {
    const size_t j = static_cast<size_t>(i) * r.max_peaks + k;
    std::vector<double> v(n);
    const double eta = std::isnan(r.eta[j]) ? 0.0 : r.eta[j];
    for (int q = 0; q < n; ++q) {
      v[q] = r.area[j] * math::peak_value(m, r.position[j], r.fwhm[j], eta, r.energy[q]);
      peaks_sum[q] += v[q];
      c.fit[q] += v[q];
    }
    c.peaks.emplace_back(fmt::format("peak_{}", k + 1), std::move(v));
  }
  const int nbf = static_cast<int>(r.background_shapes.size()) / std::max(n, 1);
  for (int b = 0; b < r.n_background(); ++b) {
    const double w = r.background[static_cast<size_t>(i) * r.n_background() + b];
    std::vector<double> v(n, 0.0);
    if (b < nbf) {
      for (int q = 0; q < n; ++q) v[q] = w * r.background_shapes[static_cast<size_t>(b) * n + q];
    } else {  // Shirley: the same shape the fit used, from the fitted peaks
      std::vector<double> mult(n, 1.0), shape(n);
      math::Grid g{r.energy.data(), mult.data(), nullptr, n, 1, 0};
      math::shirley_from_peaks(m, g, peaks_sum.data(), shape.data());
      for (int q = 0; q < n; ++q) v[q] = w * shape[q];
    }
    for (int q = 0; q < n; ++q) {
      c.background[q] += v[q];
      c.fit[q] += v[q];
    }
    c.background_components.emplace_back(r.background_names[b], std::move(v));
  }
  return c;
}

}  // namespace vitrum::spectra
