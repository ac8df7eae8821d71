// The polish as a step of `vitrum spectra fit`: models from the EM's answer (grouped by the
// number of peaks), from [model] or from the block's CasaXPS template; result maps and the
// residual cube.
#include "vitrum/spectra/polish_fit.hpp"

#include <cmath>

#include "polish_fit_detail.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/background.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/casa_template.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/shape_table.hpp"

namespace vitrum::spectra {

namespace detail {

/// Tougaard integral (cross-section xs, B = 1) of the components of `full` (links expanded
/// here) over the channels x, into out[n]; tables (or null) as in the polish.
void tougaard_of_components(const math::ParamMap& map, const std::vector<double>& x,
                            const double* full_in, const math::TougaardCrossSection& xs,
                            const math::ShapeTableView* tables, double* out) {
  std::vector<double> full(full_in, full_in + map.n_full), theta(math::kPolishMaxFree, 0.0);
  for (int i = 0; i < map.n_full; ++i)
    if (map.role[i] == math::ParamRole::Free) theta[map.index[i]] = full[i];
  math::polish_expand(map, theta.data(), full.data());
  const long n = static_cast<long>(x.size());
  std::vector<double> s(n, 0.0);
  for (int c = 0; c < map.n_comp; ++c) {
    const math::ShapeParams sp = math::polish_component(full.data(), c);
    for (long i = 0; i < n; ++i) {
      double v;
      if (tables == nullptr || tables[c].n == 0 ||
          !math::shape_table_value_grad(tables[c], x[i], sp.position, sp.fwhm, sp.area, v, nullptr))
        v = math::shape_value(map.kind[c], sp, x[i]);
      s[i] += v;
    }
  }
  math::tougaard_integral(x.data(), s.data(), 0, static_cast<int>(n - 1), 0.0, xs, out);
}

/// Background curves of the EM terms for the given spectra: the fixed shapes, and for
/// "shirley" the iterated Shirley of each spectrum's window with its step normalised to sum 1.
std::vector<double> em_background_curves(const FitResult& r, const std::vector<float>& data,
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

}  // namespace detail

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

/// Component shape from CasaXPS text: kind and fixed shape parameters (DS: its Gaussian FWHM
/// resolved with F = 1 eV; the polish holds it fixed in eV).
void set_line_shape(ModelComponent& c, const std::string& text) {
  const CasaLineShape ls = parse_casa_lineshape(text, "[polish] line_shape");
  const math::ShapeParams p = ls.params(0.0, 1.0, 1.0);
  c.kind = ls.kind;
  c.lineshape = text;
  for (int q = 0; q < 4; ++q) c.param[kShape0 + q] = ParamSpec{p.p[q], p.p[q], p.p[q], true};
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
    if (!cfg.polish_line_shape.empty()) set_line_shape(c, cfg.polish_line_shape);
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
  if (cfg.polish_tougaard) {  // last term: B × Tougaard integral of the components
    BackgroundTerm t{"tougaard", BackgroundBasis::Curve};
    t.coefficient = ParamSpec{0.0, 0.0, INFINITY};
    m.background.push_back(t);
  }
  return m;
}

/// Curves of a batch with the Tougaard term (the model's last background term) recomputed from
/// per-spectrum parameters `params` [count][n_full]; `base` holds the other curves ([count or
/// 1][n_curve − 1][channel]).
std::vector<double> with_tougaard_curves(const PolishBatch& b, const std::vector<double>& base,
                                         const std::vector<double>& params,
                                         const math::TougaardCrossSection& xs) {
  const long n = static_cast<long>(b.energy.size());
  const int nb = static_cast<int>(b.model.background.size()) - 1, nf = b.model.n_full();
  const bool shared = base.size() == static_cast<size_t>(nb) * n;
  std::vector<double> c(static_cast<size_t>(b.count) * (nb + 1) * n);
  const math::ParamMap map = build_param_map(b.model);
  const PolishTables tab = build_polish_tables(map, params, model_values(b.model), b.count);
#pragma omp parallel for schedule(dynamic, 4)
  for (long f = 0; f < b.count; ++f) {
    double* dst = c.data() + f * (nb + 1) * n;
    std::copy_n(base.begin() + (shared ? 0 : f * nb * n), nb * n, dst);
    math::ShapeTableView views[math::kPolishMaxComponents];
    const bool any = tab.views(f, views);
    detail::tougaard_of_components(map, b.energy, params.data() + f * nf, xs, any ? views : nullptr,
                                   dst + nb * n);
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
      if (m.components[k * per].kind == ShapeKind::PseudoVoigt && !std::isnan(r.eta[q]))
        c[kShape0] = r.eta[q];
    }
    for (int b = 0; b < nb; ++b) v[nf - nb + b] = r.background[p * nb + b];
    s.insert(s.end(), v.begin(), v.end());
  }
  return s;
}

/// Polishes b; with the active Tougaard term (base: the other curves) the curve is recomputed
/// from the polished components and the batch polished again from there.
PolishResult polish_em_batch(PolishBatch& b, const std::vector<double>* base, const FitConfig& cfg,
                             const PolishOptions& o) {
  PolishResult res = polish_spectra(b, o);
  if (base != nullptr) {
    b.curves = with_tougaard_curves(b, *base, res.params, cfg.polish_tougaard_xs);
    b.starts = res.params;
    res = polish_spectra(b, o);
  }
  return res;
}

/// Rows `fits` of a per-spectrum array of `per` values per spectrum (a shared array of `per`
/// values, size == per, is returned as is).
template <typename T>
std::vector<T> rows(const std::vector<T>& v, size_t per, const std::vector<long>& fits) {
  if (v.empty() || v.size() == per) return v;
  std::vector<T> out;
  for (long f : fits) out.insert(out.end(), v.begin() + f * per, v.begin() + (f + 1) * per);
  return out;
}

/// The fits `fits` of group g as a new group (batch, data, result, pixels, Tougaard base).
void append_subgroup(PolishedBlock& out, size_t g, const std::vector<long>& fits) {
  const PolishBatch& b = out.batches[g];
  const PolishResult& r = out.results[g];
  const long n = static_cast<long>(b.energy.size());
  const size_t nf = static_cast<size_t>(r.n_full), nc = static_cast<size_t>(r.n_comp);
  PolishBatch nb = b;
  nb.count = static_cast<long>(fits.size());
  nb.starts = rows(b.starts, nf, fits);
  const size_t ncurve = b.curves.size() / static_cast<size_t>(b.count * n);
  nb.curves = b.count == 1 ? b.curves : rows(b.curves, ncurve * n, fits);
  PolishResult nr = r;
  nr.fits = nb.count;
  nr.params = rows(r.params, nf, fits);
  nr.se = rows(r.se, nf, fits);
  nr.area_fraction = rows(r.area_fraction, nc, fits);
  nr.status = rows(r.status, 1, fits);
  nr.iterations = rows(r.iterations, 1, fits);
  nr.at_bound = rows(r.at_bound, 1, fits);
  nr.deviance = rows(r.deviance, 1, fits);
  nr.chi2_reduced = rows(r.chi2_reduced, 1, fits);
  nr.residuals = rows(r.residuals, static_cast<size_t>(n), fits);
  std::vector<long> pix;
  std::vector<float> d;
  for (long f : fits) {
    pix.push_back(out.pixels[g][f]);
    d.insert(d.end(), out.data[g].begin() + f * n, out.data[g].begin() + (f + 1) * n);
  }
  if (!out.tougaard_base.empty()) {
    const std::vector<double>& base = out.tougaard_base[g];
    const size_t per = (ncurve - 1) * n;
    out.tougaard_base.push_back(base.size() == per ? base : rows(base, per, fits));
  }
  out.batches.push_back(std::move(nb));
  out.results.push_back(std::move(nr));
  out.pixels.push_back(std::move(pix));
  out.data.push_back(std::move(d));
  out.batches.back().spectra = out.data.back().data();
}

/// Group g reduced by one peak (doublet) per spectrum, the weakest by area dropped from its
/// polished parameters, and polished. The fits whose BIC (deviance + free · ln N) falls move to
/// a new group of k − 1 peaks at the end; group g keeps the others. False when none moved.
bool prune_group(PolishedBlock& out, size_t g, int k, const FitResult& r, const FitConfig& cfg,
                 const PolishOptions& o) {
  const int per = r.doublet ? 2 : 1, nb = static_cast<int>(out.batches[g].model.background.size());
  const long count = out.results[g].fits;
  PolishBatch b = out.batches[g];
  b.model = em_model(r, cfg, k - 1);
  const int nf_old = out.results[g].n_full, nf = b.model.n_full();
  b.starts.assign(static_cast<size_t>(count) * nf, 0.0);
  for (long f = 0; f < count; ++f) {
    const double* src = out.results[g].params.data() + f * nf_old;
    int weakest = 0;
    for (int j = 1; j < k; ++j)
      if (src[j * per * kP + kArea] < src[weakest * per * kP + kArea]) weakest = j;
    double* dst = b.starts.data() + f * nf;
    for (int j = 0, q = 0; j < k; ++j)
      if (j != weakest) std::copy_n(src + j * per * kP, per * kP, dst + (q++) * per * kP);
    std::copy_n(src + nf_old - nb, nb, dst + nf - nb);
  }
  const std::vector<double>* base = out.tougaard_base.empty() ? nullptr : &out.tougaard_base[g];
  if (base != nullptr) b.curves = with_tougaard_curves(b, *base, b.starts, cfg.polish_tougaard_xs);
  PolishResult red = polish_em_batch(b, base, cfg, o);
  const double ln_n = std::log(static_cast<double>(b.energy.size()));
  const PolishResult& full = out.results[g];
  std::vector<long> better, kept;
  for (long f = 0; f < count; ++f) {
    const bool ok = red.status[f] <= static_cast<int>(PolishStatus::IterationLimit);
    const double bic_full = full.deviance[f] + full.n_free * ln_n;
    const double bic_red = red.deviance[f] + red.n_free * ln_n;
    (ok && bic_red < bic_full ? better : kept).push_back(f);
  }
  if (better.empty()) return false;
  out.batches.push_back(std::move(b));
  out.results.push_back(std::move(red));
  out.pixels.push_back(out.pixels[g]);
  out.data.push_back(out.data[g]);
  out.batches.back().spectra = out.data.back().data();
  if (base != nullptr) out.tougaard_base.push_back(*base);
  const size_t whole = out.batches.size() - 1;
  append_subgroup(out, whole, better);  // whole + 1: the reduced fits that won
  append_subgroup(out, g, kept);        // whole + 2: the fits that keep k peaks, into g
  const bool tg = !out.tougaard_base.empty();
  std::swap(out.batches[g], out.batches[whole + 2]);
  std::swap(out.results[g], out.results[whole + 2]);
  std::swap(out.pixels[g], out.pixels[whole + 2]);
  std::swap(out.data[g], out.data[whole + 2]);
  if (tg) std::swap(out.tougaard_base[g], out.tougaard_base[whole + 2]);
  for (size_t i : {whole + 2, whole}) {
    out.batches.erase(out.batches.begin() + i);
    out.results.erase(out.results.begin() + i);
    out.pixels.erase(out.pixels.begin() + i);
    out.data.erase(out.data.begin() + i);
    if (tg) out.tougaard_base.erase(out.tougaard_base.begin() + i);
  }
  return true;
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
        b.curves = detail::em_background_curves(r, window, pix);
        b.starts = em_starts(r, b.model, pix);
        if (cfg.polish_tougaard) {
          out.tougaard_base.push_back(b.curves);
          b.curves = with_tougaard_curves(b, b.curves, b.starts, cfg.polish_tougaard_xs);
        }
        out.data.push_back(std::move(d));
        b.spectra = out.data.back().data();
        out.pixels.push_back(pix);
        out.batches.push_back(std::move(b));
      }
    }
  }
  for (size_t g = 0; g < out.batches.size(); ++g) {
    out.batches[g].spectra = out.data[g].data();  // data moved into place: re-point
    const std::vector<double>* base = out.tougaard_base.empty() ? nullptr : &out.tougaard_base[g];
    out.results.push_back(polish_em_batch(out.batches[g], base, cfg, o));
  }
  if (cfg.polish_start == "em" && cfg.polish_bic) {  // backward elimination on polished models
    for (size_t g = 0; g < out.batches.size();) {    // (groups appended meanwhile included)
      const int k = static_cast<int>(out.batches[g].model.components.size()) / (r.doublet ? 2 : 1);
      if (k > r.k_min && out.results[g].fits > 0) prune_group(out, g, k, r, cfg, o);
      ++g;  // g now holds the fits that keep k peaks; moved ones are examined at the end
    }
  }
  for (size_t g = 0; g < out.batches.size(); ++g) {
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
