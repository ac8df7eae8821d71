// Result side of the polish: array sizes, per-spectrum outcome, units back to stored intensity,
// area fractions, residual maps and model curves.
#include <cmath>

#include "spectra/polish.cuh"
#include "vitrum/core/error.hpp"

namespace vitrum::spectra::detail {

namespace {

constexpr int kP = math::kPolishParamsPerComponent;

double stored_scale(const PeakModel& m, int i, double scale) {
  const int nc = static_cast<int>(m.components.size());
  if (i < nc * kP) return i % kP == kArea ? scale : 1.0;
  return m.background[i - nc * kP].basis == BackgroundBasis::Curve ? 1.0 : scale;
}

/// λ over the channels of spectrum `fit` for its fitted full parameters (counts); only
/// `component` when ≥ 0 (no background then).
void model_counts(const PolishPlan& p, const PolishBatch& b, long fit, const double* full,
                  int component, double* lam) {
  const long n = p.channels;
  std::vector<double> bg(p.model.background.size() * n + 1);
  spectrum_background(p, b, fit, bg.data());
  for (long i = 0; i < n; ++i) {
    if (component < 0) {
      lam[i] = math::polish_channel(p.map, full, p.x[i], p.w[i], bg.data(), i, n, nullptr);
    } else {
      const math::ShapeParams s = math::polish_component(full, component);
      lam[i] = p.w[i] * math::shape_value(p.map.kind[component], s, p.x[i]);
    }
  }
}

}  // namespace

PolishResult empty_result(const PolishPlan& p, const PolishBatch& b, const PolishOptions& o) {
  PolishResult r;
  r.fits = b.count;
  r.n_full = p.map.n_full;
  r.n_comp = p.map.n_comp;
  r.n_free = p.map.n_free;
  r.backend = o.backend;
  for (int i = 0; i < r.n_full; ++i) r.param_names.push_back(model_param_name(b.model, i));
  r.energy = p.x;
  r.params.assign(static_cast<size_t>(b.count) * r.n_full, NAN);
  r.se.assign(r.params.size(), NAN);
  r.area_fraction.assign(static_cast<size_t>(b.count) * r.n_comp, NAN);
  r.status.assign(b.count, static_cast<int>(PolishStatus::InvalidData));
  r.iterations.assign(b.count, 0);
  r.at_bound.assign(b.count, 0);
  r.deviance.assign(b.count, NAN);
  r.chi2_reduced.assign(b.count, NAN);
  if (o.residuals) r.residuals.assign(static_cast<size_t>(b.count) * p.channels, NAN);
  return r;
}

void store_outcome(const PolishPlan& p, const math::PolishOut& out, long fit, PolishResult& r) {
  r.status[fit] = static_cast<int>(out.status);
  r.iterations[fit] = out.iterations;
  r.at_bound[fit] = out.at_bound;
  r.deviance[fit] = out.deviance;
  const long dof = p.channels - (p.map.n_free - out.at_bound);
  r.chi2_reduced[fit] = dof > 0 ? out.chi2 / static_cast<double>(dof) : NAN;
}

void finish_result(const PolishPlan& p, const PolishBatch& b, const PolishOptions& o,
                   PolishResult& r) {
  const int nf = r.n_full, nc = r.n_comp;
#pragma omp parallel for schedule(dynamic, 16) num_threads(o.threads > 0 ? o.threads : 1)
  for (long f = 0; f < r.fits; ++f) {
    double* full = r.params.data() + f * nf;
    if (o.residuals && r.status[f] != static_cast<int>(PolishStatus::InvalidData)) {
      std::vector<double> lam(p.channels);
      model_counts(p, b, f, full, -1, lam.data());
      const float* s = b.spectra + f * b.stride;
      for (long i = 0; i < p.channels; ++i) {
        const double y = static_cast<double>(s[i]) * b.intensity_scale;
        r.residuals[f * p.channels + i] =
            lam[i] > 0.0 ? static_cast<float>((y - lam[i]) / std::sqrt(lam[i])) : NAN;
      }
    }
    double total = 0.0;
    for (int c = 0; c < nc; ++c) total += full[c * kP + kArea];
    for (int c = 0; c < nc; ++c) r.area_fraction[f * nc + c] = full[c * kP + kArea] / total;
    for (int i = 0; i < nf; ++i) {
      const double k = stored_scale(p.model, i, b.intensity_scale);
      full[i] /= k;
      r.se[f * nf + i] /= k;
    }
  }
}

}  // namespace vitrum::spectra::detail

namespace vitrum::spectra {

std::vector<double> polish_model_curve(const PolishBatch& batch, const PolishResult& result,
                                       long fit, int component) {
  const detail::PolishPlan p = detail::make_polish_plan(batch);
  if (fit < 0 || fit >= result.fits) fail("polish_model_curve: fit {} of {}", fit, result.fits);
  std::vector<double> full(result.params.begin() + fit * result.n_full,
                           result.params.begin() + (fit + 1) * result.n_full);
  for (int i = 0; i < result.n_full; ++i)
    full[i] *= detail::stored_scale(p.model, i, batch.intensity_scale);
  std::vector<double> lam(p.channels);
  detail::model_counts(p, batch, fit, full.data(), component, lam.data());
  for (double& v : lam) v /= batch.intensity_scale;
  return lam;
}

}  // namespace vitrum::spectra
