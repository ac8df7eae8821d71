// The maximum-likelihood polish: model scaling to counts, the per-spectrum set-up and the CPU
// backend (OpenMP over spectra, each the serial math of vitrum/spectra/math/polish.hpp).
#include "vitrum/spectra/polish.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "spectra/polish.cuh"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/shape_table.hpp"

namespace vitrum::spectra {

namespace {

constexpr int kP = math::kPolishParamsPerComponent;

/// Factor from stored intensity units to counts of full parameter i (areas and sum-1 background
/// coefficients scale; positions, widths, shape parameters and curve factors do not).
double param_scale(const PeakModel& m, int i, double scale) {
  const int nc = static_cast<int>(m.components.size());
  if (i < nc * kP) return i % kP == kArea ? scale : 1.0;
  return m.background[i - nc * kP].basis == BackgroundBasis::Curve ? 1.0 : scale;
}

void scale_spec(ParamSpec& s, double f) {
  s.value *= f;
  s.lo *= f;
  s.hi *= f;
  s.offset *= f;
}

/// The model in counts (areas, sum-1 coefficients × intensity_scale).
PeakModel model_in_counts(const PeakModel& in, double scale) {
  PeakModel m = in;
  for (ModelComponent& c : m.components) scale_spec(c.param[kArea], scale);
  for (BackgroundTerm& t : m.background)
    if (t.basis != BackgroundBasis::Curve) scale_spec(t.coefficient, scale);
  return m;
}

int curve_count(const PeakModel& m) {
  int n = 0;
  for (const BackgroundTerm& t : m.background) n += t.basis == BackgroundBasis::Curve;
  return n;
}

/// CPU sums of one spectrum: the same terms as math::polish_sums over every channel, with the
/// Fisher matrix accumulated from blocks of kBlock channels (J_jb = ∂_jλ_b/√λ_b stored by
/// parameter, so that each I_jk += Σ_b J_jb J_kb runs over contiguous channels and
/// vectorises). Deterministic, independent of the thread count.
struct BlockedPolishSums {
  static constexpr int kBlock = 32;
  const math::ParamMap* m;
  const double *x, *w, *y, *bg;
  long channels;
  const math::ShapeTableView* tables;

  void operator()(const double* full, bool derivs, const int* held, double* out) const {
    if (!derivs) {
      math::polish_sums(*m, full, x, w, y, bg, channels, 0, 1, false, held, out, tables);
      return;
    }
    const int p = m->n_free;
    const int n_sums = 2 + p + p * (p + 1) / 2;
    for (int i = 0; i < n_sums; ++i) out[i] = 0.0;
    alignas(64) double jb[math::kPolishMaxFree][kBlock];
    double dfull[math::kPolishMaxFull], dt[math::kPolishMaxFree];
    for (long n0 = 0; n0 < channels; n0 += kBlock) {
      const int nb = static_cast<int>(std::min<long>(kBlock, channels - n0));
      for (int b = 0; b < nb; ++b) {
        const long n = n0 + b;
        const double lam =
            math::polish_channel(*m, full, x[n], w[n], bg, n, channels, dfull, tables);
        out[0] += math::deviance_term(y[n], lam);
        out[1] += lam > 0.0 ? (y[n] - lam) * (y[n] - lam) / lam : INFINITY;
        if (!(lam > 0.0)) {
          for (int j = 0; j < p; ++j) jb[j][b] = 0.0;
          continue;
        }
        math::polish_chain(*m, dfull, held, dt);
        const double r = 1.0 - y[n] / lam, s = 1.0 / std::sqrt(lam);
        for (int j = 0; j < p; ++j) {
          out[2 + j] += r * dt[j];
          jb[j][b] = dt[j] * s;
        }
      }
      for (int j = 0; j < p; ++j)
        for (int b = nb; b < kBlock; ++b) jb[j][b] = 0.0;
      double* f = out + 2 + p;
      for (int j = 0; j < p; ++j)
        for (int k = j; k < p; ++k) {
          double acc = 0.0;
#pragma omp simd reduction(+ : acc)
          for (int b = 0; b < kBlock; ++b) acc += jb[j][b] * jb[k][b];
          *f++ += acc;
        }
    }
  }
};

}  // namespace

const char* polish_status_name(PolishStatus s) {
  switch (s) {
    case PolishStatus::Converged:
      return "converged";
    case PolishStatus::IterationLimit:
      return "iteration-limit";
    case PolishStatus::InvalidStart:
      return "invalid-start";
    case PolishStatus::InvalidData:
      return "invalid-data";
    case PolishStatus::Singular:
      return "singular";
  }
  return "unknown";
}

std::vector<double> background_basis(const PeakModel& model, long n) {
  std::vector<double> b;
  for (const BackgroundTerm& t : model.background) {
    if (t.basis == BackgroundBasis::Curve) continue;
    const double norm_ramp = n > 1 ? 2.0 / (static_cast<double>(n) * (n - 1)) : 1.0;
    for (long i = 0; i < n; ++i) {
      switch (t.basis) {
        case BackgroundBasis::Uniform:
          b.push_back(1.0 / static_cast<double>(n));
          break;
        case BackgroundBasis::RampUp:
          b.push_back(norm_ramp * static_cast<double>(i));
          break;
        default:
          b.push_back(norm_ramp * static_cast<double>(n - 1 - i));
      }
    }
  }
  return b;
}

namespace detail {

/// Everything a backend needs, in counts, on host arrays.
PolishPlan make_polish_plan(const PolishBatch& batch) {
  PolishPlan p;
  const long n = static_cast<long>(batch.energy.size());
  if (n < 2) fail("polish: need at least 2 channels (got {})", n);
  if (batch.count > 0 && batch.spectra == nullptr) fail("polish: no spectra given");
  p.model = model_in_counts(batch.model, batch.intensity_scale);
  p.map = build_param_map(p.model);
  p.channels = n;
  p.x = batch.energy;
  p.w.assign(batch.energy.size(), 1.0);  // intensity of a channel = the model's value there
  p.n_curve = curve_count(batch.model);
  const long nf = p.model.n_full();
  const long per = static_cast<long>(p.n_curve) * n;
  if (p.n_curve > 0 && batch.curves.size() != static_cast<size_t>(per) &&
      batch.curves.size() != static_cast<size_t>(per * batch.count))
    fail("polish: {} background curves of {} channels need {} or {} values (got {})", p.n_curve, n,
         per, per * batch.count, batch.curves.size());
  p.curve_stride = batch.curves.size() == static_cast<size_t>(per) ? 0 : per;
  p.basis = background_basis(batch.model, n);
  if (!batch.starts.empty() && batch.starts.size() != static_cast<size_t>(nf * batch.count))
    fail("polish: starts need {} values per spectrum × {} (got {})", nf, batch.count,
         batch.starts.size());
  return p;
}

/// Background basis of spectrum `fit` ([term][channel], counts per unit coefficient).
void spectrum_background(const PolishPlan& p, const PolishBatch& b, long fit, double* out) {
  const long n = p.channels;
  long basis_row = 0, curve_row = 0;
  for (size_t t = 0; t < p.model.background.size(); ++t) {
    double* dst = out + static_cast<long>(t) * n;
    if (p.model.background[t].basis == BackgroundBasis::Curve) {
      const double* src = b.curves.data() + fit * p.curve_stride + curve_row++ * n;
      for (long i = 0; i < n; ++i) dst[i] = src[i] * b.intensity_scale;
    } else {
      for (long i = 0; i < n; ++i) dst[i] = p.basis[basis_row * n + i];
      ++basis_row;
    }
  }
}

/// Counts and start of spectrum `fit`; false when the data are invalid.
bool spectrum_setup(const PolishPlan& p, const PolishBatch& b, long fit, double* y, double* full) {
  const long n = p.channels;
  const float* s = b.spectra + fit * b.stride;
  double total = 0.0, floor = INFINITY;
  bool ok = true;
  for (long i = 0; i < n; ++i) {
    y[i] = static_cast<double>(s[i]) * b.intensity_scale;
    if (!(y[i] >= 0.0) || !std::isfinite(y[i])) ok = false;
    total += y[i];
    floor = std::fmin(floor, y[i]);
  }
  const int nf = p.model.n_full();
  const std::vector<double> v = model_values(p.model);
  for (int i = 0; i < nf; ++i)
    full[i] = b.starts.empty()
                  ? v[i]
                  : b.starts[fit * nf + i] * param_scale(b.model, i, b.intensity_scale);
  const int b0 = static_cast<int>(p.model.components.size()) * kP;
  for (size_t t = 0; t < p.model.background.size(); ++t) {  // a free sum-1 term starting at 0
    const BackgroundTerm& bt = p.model.background[t];
    double& c = full[b0 + t];
    if (!bt.coefficient.fixed && bt.basis != BackgroundBasis::Curve && !(c > 0.0))
      c = std::fmax(floor * static_cast<double>(n), 1e-3 * total + 1e-6);
  }
  return ok;
}

}  // namespace detail

void polish_spectra_cpu(const detail::PolishPlan& p, const PolishBatch& b, const PolishOptions& o,
                        PolishResult& r) {
  const long n = p.channels;
  const int nf = p.map.n_full;
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  PolishTables tables;
  if (o.tabulate) {
    // shape parameters are stored unscaled in the starts
    tables = build_polish_tables(p.map, b.starts, model_values(p.model), b.count);
  }
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> y(n), bg(static_cast<size_t>(p.model.background.size()) * n + 1);
    math::ShapeTableView views[math::kPolishMaxComponents];
    math::PolishWork work;
#pragma omp for schedule(dynamic, 1)
    for (long f = 0; f < b.count; ++f) {
      double* full = r.params.data() + f * nf;
      math::PolishOut out{full, r.se.data() + f * nf,           NAN, NAN, 0,
                          0,    math::PolishStatus::InvalidData};
      const bool ok = detail::spectrum_setup(p, b, f, y.data(), full);
      detail::spectrum_background(p, b, f, bg.data());
      if (ok) {
        const bool tab = tables.views(f, views);
        const math::SerialPolishSums sums{&p.map,    p.x.data(), p.w.data(),           y.data(),
                                          bg.data(), n,          tab ? views : nullptr};
        math::polish_run(p.map, o.control, sums, out, work);
      }
      detail::store_outcome(p, out, f, r);
    }
  }
}

PolishResult polish_spectra(const PolishBatch& batch, const PolishOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const detail::PolishPlan plan = detail::make_polish_plan(batch);
  PolishResult r = detail::empty_result(plan, batch, options);
  if (options.backend == Backend::Cuda) {
#ifdef VITRUM_HAVE_CUDA
    launch_spectra_polish(plan, batch, options, r);
#else
    fail("polish: backend cuda requested, but this build has no CUDA support");
#endif
  } else {
    polish_spectra_cpu(plan, batch, options, r);
  }
  detail::finish_result(plan, batch, options, r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace vitrum::spectra
