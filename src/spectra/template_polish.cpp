// The per-pixel model and polish of the image template fit (template_polish.hpp).
#include "template_polish.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "polish_fit_detail.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"

namespace vitrum::spectra::detail {

namespace {

constexpr int kP = math::kPolishParamsPerComponent;

/// Largest shift that keeps every state inside its own half of the gap to the others.
double shift_bound(const std::vector<double>& mu, double requested) {
  double sep = std::numeric_limits<double>::infinity();
  for (size_t a = 0; a < mu.size(); ++a)
    for (size_t b = a + 1; b < mu.size(); ++b) sep = std::min(sep, std::fabs(mu[a] - mu[b]));
  return std::min(requested, 0.45 * sep);
}

/// Component c's state: the component its position follows (itself when not linked).
int main_of(const PeakModel& m, int c) {
  for (int guard = 0; guard < static_cast<int>(m.components.size()); ++guard) {
    const int l = m.components[c].param[kPosition].link;
    if (l < 0) return c;
    c = l;
  }
  fail("{}: the doublet links of the template form a cycle", m.source);
}

/// The per-pixel model in counts from the sum's model and parameters (stored units).
PeakModel pixel_model(const PeakModel& in, const std::vector<double>& P, double scale,
                      const std::vector<double>& lo, const std::vector<double>& hi,
                      const std::vector<int>& main, bool free_widths) {
  PeakModel m = in;
  m.source = in.source + " (image template)";
  for (size_t c = 0; c < m.components.size(); ++c) {
    ModelComponent& mc = m.components[c];
    const double* p = P.data() + c * kP;
    for (int q = 0; q < kP; ++q) {
      ParamSpec& s = mc.param[q];
      if (q == kArea) s.offset *= scale;
      if (s.link >= 0) continue;
      s = ParamSpec{p[q], p[q], p[q], true};
    }
    const auto k = std::find(main.begin(), main.end(), static_cast<int>(c)) - main.begin();
    if (k < static_cast<long>(main.size())) {
      mc.param[kPosition] = ParamSpec{p[kPosition], lo[k], hi[k]};
      mc.param[kArea] = ParamSpec{p[kArea] * scale, 0.0, INFINITY};
      if (free_widths) mc.param[kFwhm] = ParamSpec{p[kFwhm], 0.1 * p[kFwhm], 3.0 * p[kFwhm]};
    }
  }
  const int b0 = static_cast<int>(m.components.size()) * kP;
  for (size_t t = 0; t < m.background.size(); ++t) {
    if (m.background[t].basis != BackgroundBasis::Curve)
      fail("{}: the image template fit takes curve background terms only", in.source);
    m.background[t].coefficient = ParamSpec{P[b0 + t], 0.0, INFINITY};
  }
  return m;
}

/// The model with the states `off` (area fixed at 0, position fixed) as a map.
math::ParamMap map_without(const PeakModel& m, const std::vector<int>& main,
                           const std::vector<int>& off) {
  PeakModel q = m;
  for (int k : off) {
    ModelComponent& c = q.components[main[k]];
    c.param[kArea] = ParamSpec{0.0, 0.0, 0.0, true};
    c.param[kPosition].fixed = true;
    c.param[kFwhm].fixed = true;
  }
  return build_param_map(q);
}

std::string shape_text(const ModelComponent& c, const double* p) {
  if (!c.lineshape.empty()) return c.lineshape;
  CasaLineShape ls;
  ls.kind = c.kind;
  for (int q = 0; q < 4; ++q) ls.p[q] = p[kShape0 + q];
  ls.ds_gauss_percent = 100.0 * ls.p[1] / p[kFwhm];
  return format_casa_lineshape(ls);
}

}  // namespace

TemplatePolish make_template_polish(const FitResult& ref, const PeakModel& model,
                                    const std::vector<double>& params, const FitConfig& cfg,
                                    double ref_total, double max_shift) {
  TemplatePolish tp;
  const int nc = static_cast<int>(model.components.size());
  tp.n_full = model.n_full();
  if (static_cast<int>(params.size()) != tp.n_full)
    fail("image template: {} parameters for a model of {}", params.size(), tp.n_full);
  for (int c = 0; c < nc; ++c)
    if (main_of(model, c) == c) tp.main.push_back(c);
  tp.K = static_cast<int>(tp.main.size());
  tp.state_factor.assign(tp.K, 0.0);
  for (int c = 0; c < nc; ++c) {
    const int k = static_cast<int>(std::find(tp.main.begin(), tp.main.end(), main_of(model, c)) -
                                   tp.main.begin());
    tp.state_factor[k] += params[c * kP + kArea];
  }
  for (int k = 0; k < tp.K; ++k) {
    const double* p = params.data() + tp.main[k] * kP;
    tp.state_factor[k] = p[kArea] > 0.0 ? tp.state_factor[k] / p[kArea] : 1.0;
    tp.mu0.push_back(p[kPosition]);
    tp.fwhm0.push_back(p[kFwhm]);
    tp.line_shape.push_back(shape_text(model.components[tp.main[k]], p));
  }
  const double s = shift_bound(tp.mu0, max_shift);
  for (int k = 0; k < tp.K; ++k) {
    tp.lo.push_back(tp.mu0[k] - s);
    tp.hi.push_back(tp.mu0[k] + s);
  }
  tp.scale = cfg.intensity_scale;
  tp.free_widths = cfg.image_free_widths;
  tp.model = pixel_model(model, params, tp.scale, tp.lo, tp.hi, tp.main, tp.free_widths);
  tp.map_full = build_param_map(tp.model);
  for (int k = 0; k < tp.K; ++k) tp.map_without.push_back(map_without(tp.model, tp.main, {k}));
  std::vector<int> all(tp.K);
  for (int k = 0; k < tp.K; ++k) all[k] = k;
  tp.map_none = map_without(tp.model, tp.main, all);
  tp.maps = {tp.map_full, tp.map_none};
  tp.maps.insert(tp.maps.end(), tp.map_without.begin(), tp.map_without.end());
  tp.start = params;
  for (int c = 0; c < nc; ++c) tp.start[c * kP + kArea] *= tp.scale;
  tp.ref_total = ref_total;
  tp.n_bg = static_cast<int>(model.background.size());
  for (const BackgroundTerm& t : model.background) tp.background_names.push_back(t.name);
  tp.tougaard = cfg.polish_tougaard;
  tp.xs = cfg.polish_tougaard_xs;
  const int n = static_cast<int>(ref.energy.size());
  tp.n_fixed_curves = static_cast<int>(ref.background_shapes.size()) / std::max(n, 1);
  tp.shirley = ref.n_background() > tp.n_fixed_curves;
  if (tp.n_bg != ref.n_background() + (tp.tougaard ? 1 : 0))
    fail("image template: {} background terms, expected the EM's {}{}", tp.n_bg, ref.n_background(),
         tp.tougaard ? " + Tougaard" : "");
  tp.fixed_curves = ref.background_shapes;
  tp.x = ref.energy;
  tp.w.assign(n, 1.0);
  tp.control = cfg.polish_control;  // not looser than the [em] tolerances (deviance = −2ℓ)
  tp.control.rel_tol = std::min(tp.control.rel_tol, cfg.tolerance);
  tp.control.abs_tol = std::min(tp.control.abs_tol, 2.0 * cfg.abs_tolerance);
  tp.control.max_iterations = std::max(tp.control.max_iterations, cfg.max_iterations);
  tp.tables = build_polish_tables(tp.map_full, {}, tp.start, 1);
  return tp;
}

void pixel_background(const TemplatePolish& tp, const FitResult& ref, const float* data,
                      double* bgc) {
  const int n = tp.channels();
  for (int i = 0; i < tp.n_fixed_curves * n; ++i) bgc[i] = tp.fixed_curves[i] * tp.scale;
  if (tp.shirley) {
    const std::vector<float> y(data, data + n);
    const std::vector<double> c = em_background_curves(ref, y, {0});
    for (int i = 0; i < n; ++i)
      bgc[tp.n_fixed_curves * n + i] = c[tp.n_fixed_curves * n + i] * tp.scale;
  }
  if (tp.tougaard) std::fill_n(bgc + (tp.n_bg - 1) * n, n, 0.0);
}

void pixel_tougaard(const TemplatePolish& tp, const math::ParamMap& map, const double* full,
                    double* bgc, const math::ShapeTableView* views) {
  if (!tp.tougaard) return;
  tougaard_of_components(map, tp.x, full, tp.xs, views, bgc + (tp.n_bg - 1) * tp.channels());
}

PixelPolish polish_pixel(const TemplatePolish& tp, const math::ParamMap& map, const double* y,
                         double* bgc, double* full, double* se, math::PolishWork& work,
                         const math::ShapeTableView* views) {
  PixelPolish r;
  const long n = tp.channels();
  for (int round = 0; round < (tp.tougaard ? 2 : 1); ++round) {
    pixel_tougaard(tp, map, full, bgc, views);
    math::PolishOut out{full, se, NAN, NAN, 0, 0, math::PolishStatus::InvalidStart};
    serial_polish(map, tp.control, tp.x.data(), tp.w.data(), y, bgc, n, views, out, work);
    r.iterations += out.iterations;
    r.deviance = out.deviance;
    r.chi2 = out.chi2;
    r.status = out.status;
    if (out.status > math::PolishStatus::IterationLimit) break;
  }
  return r;
}

std::vector<PixelPolish> polish_jobs(const TemplatePolish& tp, TemplateJobs& jobs,
                                     const JobRound& round, const math::ShapeTableView* views) {
  jobs.maps = tp.maps.data();
  jobs.n_maps = static_cast<int>(tp.maps.size());
  jobs.n_full = tp.n_full;
  jobs.n_bg = tp.n_bg;
  jobs.channels = tp.channels();
  jobs.x = tp.x.data();
  jobs.w = tp.w.data();
  jobs.control = tp.control;
  jobs.tables = views;
  const long J = jobs.count(), n = tp.channels();
  std::vector<PixelPolish> out(J);
  jobs.active.assign(J, 1);
  for (int r = 0; r < (tp.tougaard ? 2 : 1); ++r) {
    for (long j = 0; j < J; ++j)  // as polish_pixel: the curve from the round's start
      if (jobs.active[j])
        pixel_tougaard(tp, tp.maps[jobs.map[j]], jobs.full.data() + j * tp.n_full,
                       jobs.bg.data() + j * tp.n_bg * n, views);
    round(jobs);
    for (long j = 0; j < J; ++j) {
      if (!jobs.active[j]) continue;
      out[j].iterations += jobs.iterations[j];
      out[j].deviance = jobs.deviance[j];
      out[j].chi2 = jobs.chi2[j];
      out[j].status = static_cast<math::PolishStatus>(jobs.status[j]);
      if (out[j].status > math::PolishStatus::IterationLimit) jobs.active[j] = 0;
    }
  }
  return out;
}

void pixel_lambda(const TemplatePolish& tp, const double* full_in, const double* bgc, double* lam,
                  double* comps) {
  const int n = tp.channels(), nc = tp.map_full.n_comp;
  std::vector<double> full(full_in, full_in + tp.n_full), theta(math::kPolishMaxFree, 0.0);
  const math::ParamMap& m = tp.map_full;
  for (int i = 0; i < m.n_full; ++i)
    if (m.role[i] == math::ParamRole::Free) theta[m.index[i]] = full[i];
  math::polish_expand(m, theta.data(), full.data());
  std::vector<int> state(nc, 0);
  for (int c = 0; c < nc; ++c)
    state[c] = static_cast<int>(std::find(tp.main.begin(), tp.main.end(), main_of(tp.model, c)) -
                                tp.main.begin());
  if (comps != nullptr) std::fill_n(comps, static_cast<size_t>(tp.K) * n, 0.0);
  const int b0 = nc * kP;
  for (int i = 0; i < n; ++i) {
    double l = 0.0;
    for (int c = 0; c < nc; ++c) {
      const double v =
          math::shape_value(m.kind[c], math::polish_component(full.data(), c), tp.x[i]);
      l += v;
      if (comps != nullptr) comps[state[c] * n + i] += v;
    }
    for (int t = 0; t < tp.n_bg; ++t) l += full[b0 + t] * bgc[t * n + i];
    lam[i] = l;
  }
}

}  // namespace vitrum::spectra::detail
