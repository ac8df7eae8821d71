// The polish as a step of `vitrum spectra fit`: models from the EM's answer (grouped by the
// number of peaks), from [model] or from the block's CasaXPS template; result maps and the
// residual cube.
#include "vitrum/spectra/polish_fit.hpp"

#include <cmath>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/background.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/casa_template.hpp"

namespace vitrum::spectra {

namespace {

constexpr int kP = math::kPolishParamsPerComponent;

/// The fitted window of every pixel of `im` as fit_spectra saw it, [pixel][channel].
std::vector<float> fitted_window(const FitResult& r, const SpectrumImage& im) {
  SpectrumImage conv;
  const SpectrumImage* src = &im;
  if (r.axis_converted) {
    conv = im;
    convert_energy(conv, r.energy_kind, r.photon_energy);
    src = &conv;
  }
  const long n = static_cast<long>(r.energy.size());
  std::vector<float> out(static_cast<size_t>(im.pixels()) * n);
  for (long p = 0; p < im.pixels(); ++p)
    std::copy_n(src->spectrum(p) + r.window_first, n, out.begin() + p * n);
  return out;
}

/// Model with k EM peaks (doublets linked as configured) and the EM's background terms.
PeakModel em_model(const FitResult& r, const FitConfig& cfg, int k) {
  PeakModel m;
  m.source = cfg.source.empty() ? "the EM start" : cfg.source;
  const double lo = r.energy.front(), hi = r.energy.back();
  for (int i = 0; i < k; ++i) {
    ModelComponent c;
    c.name = fmt::format("peak_{}", i + 1);
    c.kind = r.shape == PeakShape::Gaussian ? ShapeKind::Gaussian : ShapeKind::PseudoVoigt;
    c.lineshape = c.kind == ShapeKind::Gaussian ? "Gaussian" : "PV";
    c.param[kPosition] = ParamSpec{0.5 * (lo + hi), lo, hi};
    c.param[kFwhm] = ParamSpec{1.0, 1e-3, hi - lo};
    c.param[kArea] = ParamSpec{1.0, 0.0, INFINITY};
    c.param[kShape0] = ParamSpec{cfg.eta, cfg.eta_min, cfg.eta_max, !cfg.eta_free};
    m.components.push_back(c);
    if (r.doublet)
      add_doublet_partner(m, static_cast<int>(m.components.size()) - 1, c.name + "_partner",
                          r.doublet_split, r.doublet_ratio);
  }
  for (const std::string& b : r.background_names) {
    BackgroundTerm t{b, BackgroundBasis::Curve};
    t.coefficient = ParamSpec{0.0, 0.0, INFINITY};
    m.background.push_back(t);
  }
  return m;
}

/// Background curves of the EM terms for the given spectra: the fixed shapes, and for
/// "shirley" the iterated Shirley of each spectrum's window with its step normalised to sum 1.
std::vector<double> em_curves(const FitResult& r, const std::vector<float>& data,
                              const std::vector<long>& pix) {
  const long n = static_cast<long>(r.energy.size());
  const int nb = r.n_background();
  const int nfixed = static_cast<int>(r.background_shapes.size() / static_cast<size_t>(n));
  const bool shirley = nb > nfixed;
  const long count = shirley ? static_cast<long>(pix.size()) : 1;
  std::vector<double> c(static_cast<size_t>(count) * nb * n, 0.0);
  BackgroundModel sh;
  BackgroundSpec shirley_spec;
  shirley_spec.kind = BackgroundKind::Shirley;
  sh.parts.push_back(shirley_spec);
  std::vector<double> y(n);
  for (long f = 0; f < count; ++f) {
    double* dst = c.data() + f * nb * n;
    std::copy(r.background_shapes.begin(), r.background_shapes.end(), dst);
    if (!shirley) continue;
    for (long i = 0; i < n; ++i) y[i] = data[pix[f] * n + i];
    const BackgroundResult b =
        compute_background(sh, r.energy, y, r.energy.front(), r.energy.back());
    double lo = INFINITY, sum = 0.0;
    for (double v : b.values) lo = std::fmin(lo, v);
    for (double v : b.values) sum += v - lo;
    for (long i = 0; i < n; ++i)
      dst[nfixed * n + i] = sum > 0.0 ? (b.values[i] - lo) / sum : 1.0 / static_cast<double>(n);
  }
  return c;
}

/// Per-spectrum starts (stored units) from the EM results of the pixels.
std::vector<double> em_starts(const FitResult& r, const PeakModel& m,
                              const std::vector<long>& pix) {
  const int nf = m.n_full(), nb = r.n_background(), per = r.doublet ? 2 : 1;
  std::vector<double> s;
  for (long p : pix) {
    std::vector<double> v = model_values(m);
    for (int k = 0; k < r.n_peaks[p]; ++k) {
      const long q = p * r.max_peaks + k;
      double* c = v.data() + k * per * kP;
      c[kPosition] = r.position[q];
      c[kFwhm] = r.fwhm[q];
      c[kArea] = r.doublet ? r.area[q] / (1.0 + r.doublet_ratio) : r.area[q];
      c[kShape0] = std::isnan(r.eta[q]) ? c[kShape0] : r.eta[q];
    }
    for (int b = 0; b < nb; ++b) v[nf - nb + b] = r.background[p * nb + b];
    s.insert(s.end(), v.begin(), v.end());
  }
  return s;
}

}  // namespace

PolishedBlock polish_fitted_block(const FitResult& r, const SpectrumImage& im, const FitConfig& cfg,
                                  const PolishOptions& o) {
  PolishedBlock out;
  out.name = r.name;
  out.ny = r.ny;
  out.nx = r.nx;
  out.energy_kind = cfg.polish_start == "casa" ? EnergyKind::Binding : r.energy_kind;
  const long n = static_cast<long>(r.energy.size());
  if (cfg.polish_start == "casa") {
    const CasaTemplate t = read_casa_template(im);
    SpectrumImage prepared;
    PolishBatch b = casa_batch(t, im, prepared);
    out.data.push_back(prepared.counts);
    b.spectra = out.data.back().data();
    out.pixels.emplace_back();
    for (long p = 0; p < im.pixels(); ++p) out.pixels.back().push_back(p);
    out.batches.push_back(std::move(b));
  } else {
    const std::vector<float> window = fitted_window(r, im);
    if (cfg.polish_start == "model") {
      PolishBatch b;
      b.model = cfg.model;
      b.energy = r.energy;
      b.count = im.pixels();
      b.stride = n;
      b.intensity_scale = r.intensity_scale;
      out.data.push_back(window);
      b.spectra = out.data.back().data();
      out.pixels.emplace_back();
      for (long p = 0; p < im.pixels(); ++p) out.pixels.back().push_back(p);
      out.batches.push_back(std::move(b));
    } else {
      for (int k = 1; k <= r.max_peaks; ++k) {
        std::vector<long> pix;
        for (long p = 0; p < r.fits; ++p)
          if (r.n_peaks[p] == k && r.status[p] <= static_cast<int>(FitStatus::IterationLimit))
            pix.push_back(p);
        if (pix.empty()) continue;
        PolishBatch b;
        b.model = em_model(r, cfg, k);
        b.energy = r.energy;
        b.count = static_cast<long>(pix.size());
        b.stride = n;
        b.intensity_scale = r.intensity_scale;
        std::vector<float> d(static_cast<size_t>(b.count) * n);
        for (long f = 0; f < b.count; ++f)
          std::copy_n(window.begin() + pix[f] * n, n, d.begin() + f * n);
        b.curves = em_curves(r, window, pix);
        b.starts = em_starts(r, b.model, pix);
        out.data.push_back(std::move(d));
        b.spectra = out.data.back().data();
        out.pixels.push_back(pix);
        out.batches.push_back(std::move(b));
      }
    }
  }
  for (size_t g = 0; g < out.batches.size(); ++g) {
    out.batches[g].spectra = out.data[g].data();  // data moved into place: re-point
    out.results.push_back(polish_spectra(out.batches[g], o));
    const PeakModel& m = out.batches[g].model;
    if (static_cast<int>(m.components.size()) > out.max_components) {
      out.max_components = static_cast<int>(m.components.size());
      out.component_names.clear();
      for (const ModelComponent& c : m.components) out.component_names.push_back(c.name);
    }
  }
  return out;
}

FitCurves polish_curves(const PolishedBlock& p, std::vector<std::string>& comments) {
  if (p.results.size() != 1 || p.results[0].fits != 1)
    fail("polish_curves: block '{}' is not a single polished spectrum", p.name);
  const PolishBatch& b = p.batches[0];
  const PolishResult& r = p.results[0];
  FitCurves c;
  c.energy = b.energy;
  c.energy_kind = p.energy_kind;
  const long n = static_cast<long>(b.energy.size());
  for (long i = 0; i < n; ++i) c.data.push_back(b.spectra[i]);
  c.fit = polish_model_curve(b, r, 0);
  c.background = c.fit;
  for (int k = 0; k < r.n_comp; ++k) {
    std::vector<double> v = polish_model_curve(b, r, 0, k);
    for (long i = 0; i < n; ++i) c.background[i] -= v[i];
    c.components.emplace_back(b.model.components[k].name, std::move(v));
  }
  comments.push_back(
      fmt::format("polish: status {}, reduced chi2 {:.4f}, deviance {:.3f}, {} "
                  "iterations",
                  polish_status_name(static_cast<PolishStatus>(r.status[0])), r.chi2_reduced[0],
                  r.deviance[0], r.iterations[0]));
  for (int k = 0; k < r.n_comp; ++k) {
    const int i = k * kP;
    CasaLineShape ls;  // the fitted shape parameters, in CasaXPS notation
    ls.kind = b.model.components[k].kind;
    for (int q = 0; q < 4; ++q) ls.p[q] = r.param(0, i + kShape0 + q);
    ls.ds_gauss_percent = 100.0 * ls.p[1] / r.param(0, i + kFwhm);
    comments.push_back(fmt::format(
        "{} ({}): position {:.5f} +- {:.5f} eV, FWHM {:.5f} +- {:.5f} eV, area {:.6g} +- {:.3g} "
        "({:.2f}%)",
        b.model.components[k].name, format_casa_lineshape(ls), r.param(0, i), r.error(0, i),
        r.param(0, i + kFwhm), r.error(0, i + kFwhm), r.param(0, i + kArea), r.error(0, i + kArea),
        100.0 * r.area_fraction[k]));
  }
  return c;
}

void add_polish_maps(const PolishedBlock& p, MapSet& maps, std::vector<SpectrumImage>& cubes) {
  const long pixels = static_cast<long>(p.ny) * p.nx;
  const int nc = p.max_components;
  auto map = [&](const char* name, const char* units, const char* long_name, bool integer) {
    maps.maps.push_back(Map{name, units, long_name, std::vector<float>(pixels, NAN), integer});
    if (integer) std::fill(maps.maps.back().values.begin(), maps.maps.back().values.end(), -1.0f);
    return maps.maps.size() - 1;
  };
  const size_t st = map("polish_status", "", "Polish status (-1: not polished)", true);
  const size_t it = map("polish_iterations", "", "Polish iterations", true);
  const size_t chi = map("polish_chi2_reduced", "", "Reduced chi-square (Pearson)", false);
  const size_t dev = map("polish_deviance", "", "Poisson deviance", false);
  const char* names[] = {"position", "fwhm", "area"};
  const char* units[] = {"eV", "eV", "intensity eV"};
  const int params[] = {kPosition, kFwhm, kArea};
  const size_t s0 = maps.peak_stacks.size();
  for (int q = 0; q < 7; ++q) {
    PeakStack s;
    s.name = q == 6 ? "polish_area_fraction"
                    : fmt::format("polish_{}{}", names[q / 2], q % 2 ? "_se" : "");
    s.units = q == 6 ? "" : units[q / 2];
    s.long_name = s.name;
    s.n_peaks = nc;
    s.values.assign(static_cast<size_t>(nc) * pixels, NAN);
    s.peak_labels = p.component_names;
    maps.peak_stacks.push_back(std::move(s));
  }
  const bool residuals = !p.results.empty() && !p.results[0].residuals.empty();
  SpectrumImage cube;
  if (residuals) {
    cube.name = p.name + "_residual";
    cube.ny = p.ny;
    cube.nx = p.nx;
    cube.energy = p.results[0].energy;
    cube.counts.assign(static_cast<size_t>(pixels) * cube.energy.size(), NAN);
  }
  for (size_t g = 0; g < p.results.size(); ++g) {
    const PolishResult& r = p.results[g];
    for (long f = 0; f < r.fits; ++f) {
      const long px = p.pixels[g][f];
      maps.maps[st].values[px] = static_cast<float>(r.status[f]);
      maps.maps[it].values[px] = static_cast<float>(r.iterations[f]);
      maps.maps[chi].values[px] = static_cast<float>(r.chi2_reduced[f]);
      maps.maps[dev].values[px] = static_cast<float>(r.deviance[f]);
      for (int c = 0; c < r.n_comp; ++c) {
        for (int q = 0; q < 6; ++q) {
          const int i = c * kP + params[q / 2];
          maps.peak_stacks[s0 + q].values[c * pixels + px] =
              static_cast<float>(q % 2 ? r.error(f, i) : r.param(f, i));
        }
        maps.peak_stacks[s0 + 6].values[c * pixels + px] =
            static_cast<float>(r.area_fraction[f * r.n_comp + c]);
      }
      if (residuals && r.residuals.size() == static_cast<size_t>(r.fits) * cube.energy.size())
        std::copy_n(r.residuals.begin() + f * cube.energy.size(), cube.energy.size(),
                    cube.counts.begin() + px * cube.energy.size());
    }
  }
  if (residuals) cubes.push_back(std::move(cube));
}

}  // namespace vitrum::spectra
