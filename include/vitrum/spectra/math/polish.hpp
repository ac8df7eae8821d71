#pragma once
/// \file polish.hpp
/// Maximum-likelihood polish of one spectrum, written once for host and device (VITRUM_HD):
/// a bounded Levenberg–Marquardt iteration on the Poisson deviance over the free parameters of a
/// constrained peak model (vitrum/spectra/model.hpp builds the ParamMap).
///
/// Model of channel n (energy x_n, weight w_n, background basis b_{t,n}):
///   λ_n = w_n Σ_c shape_value(kind_c, params_c, x_n) + Σ_t c_t b_{t,n}
/// The drivers use w_n = 1: a channel's intensity is the components' value at its energy, so an
/// area A is intensity × eV, as CasaXPS and the EM (fit.hpp) define it.
/// Full parameters: per component (x0, F, A, p[0..3]) in the gradient order of peak_shapes.hpp,
/// then one coefficient per background term. Each full parameter is fixed, free (θ_j) or linked:
///   value = factor · value(target) + offset, the target a fixed or free parameter.
/// Deviance D(θ) = 2 Σ_n [y_n ln(y_n/λ_n) − (y_n − λ_n)]; half its gradient is
///   g_j = Σ_n (1 − y_n/λ_n) ∂λ_n/∂θ_j,
/// and the Fisher information (the expected Hessian of D/2) I_jk = Σ_n ∂_jλ_n ∂_kλ_n / λ_n.
/// Step: (I + μ diag I) δ = −g over the free parameters not held at a bound (a parameter at a
/// bound whose gradient pushes outwards is held), then θ + δ clipped into the bounds; accepted
/// when D falls (μ /= 3), else μ *= 4 and retried. Converged when an accepted step lowers D by
/// less than abs_tol + rel_tol·D, or when no step can lower it (μ beyond 1e12).
/// Standard errors: √diag(I⁻¹) of the free parameters off their bounds; a linked parameter gets
/// |factor| times its target's; fixed and held parameters get 0.
///
/// The channel sums are split by (first, stride) so that a warp's lanes (GPU) or one loop (CPU)
/// run the same code; the sums are combined in a fixed order (deterministic).

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"
#include "vitrum/spectra/math/shape_table.hpp"
#include "vitrum/spectra/math/small_linalg.hpp"

namespace vitrum::spectra::math {

inline constexpr int kPolishMaxComponents = 12;
inline constexpr int kPolishMaxBackground = 4;
inline constexpr int kPolishParamsPerComponent = kShapeGradSize;  // x0, F, A, p[0..3]
inline constexpr int kPolishMaxFull =
    kPolishMaxComponents * kPolishParamsPerComponent + kPolishMaxBackground;
inline constexpr int kPolishMaxFree = 32;
/// Entries of the packed upper triangle of the Fisher matrix plus the gradient and deviance.
inline constexpr int kPolishSums = kPolishMaxFree * (kPolishMaxFree + 1) / 2 + kPolishMaxFree + 2;

/// Role of a full parameter.
enum class ParamRole : int { Fixed = 0, Free = 1, Linked = 2 };

/// Per-spectrum status of the polish (stored as int).
enum class PolishStatus : int {
  Converged = 0,
  IterationLimit = 1,
  InvalidStart = 2,  ///< start outside the line shapes' domain or a non-positive model
  InvalidData = 3,   ///< NaN or negative counts
  Singular = 4,      ///< no free parameter identifiable
};

/// How the full parameters follow the free ones (flat, copied as is to the device).
struct ParamMap {
  int n_comp = 0, n_bg = 0, n_full = 0, n_free = 0;
  ShapeKind kind[kPolishMaxComponents];
  ParamRole role[kPolishMaxFull];
  int index[kPolishMaxFull];  ///< Free: free index; Linked: full index of its (non-linked) target
  double factor[kPolishMaxFull], offset[kPolishMaxFull];
  int full_of_free[kPolishMaxFree];
  double lo[kPolishMaxFree], hi[kPolishMaxFree];
};

/// Iteration control.
struct PolishControl {
  int max_iterations = 200;
  double rel_tol = 1e-10;
  double abs_tol = 1e-3;  // deviance units (2 ln L): well below one unit of significance
  double mu0 = 1e-3;
};

/// Result of one spectrum (full parameters).
struct PolishOut {
  double* full;     ///< [n_full] in: start (fixed values too), out: fitted
  double* se;       ///< [n_full]
  double deviance;  ///< final D
  double chi2;      ///< Pearson Σ (y − λ)²/λ
  int iterations;
  int at_bound;  ///< free parameters held at a bound at the end
  PolishStatus status;
};

/// Full parameters from the free ones: fixed ones keep their values in `full`.
VITRUM_HD void polish_expand(const ParamMap& m, const double* theta, double* full) {
  for (int i = 0; i < m.n_full; ++i)
    if (m.role[i] == ParamRole::Free) full[i] = theta[m.index[i]];
  for (int i = 0; i < m.n_full; ++i)
    if (m.role[i] == ParamRole::Linked) full[i] = m.factor[i] * full[m.index[i]] + m.offset[i];
}

/// Component c of `full` as ShapeParams.
VITRUM_HD ShapeParams polish_component(const double* full, int c) {
  const double* f = full + c * kPolishParamsPerComponent;
  ShapeParams s{f[0], f[1], f[2], {f[3], f[4], f[5], f[6]}};
  return s;
}

#if defined(__CUDACC__)
#define VITRUM_POLISH_NOINLINE __host__ __device__ __noinline__
#else
#define VITRUM_POLISH_NOINLINE inline
#endif

/// One component's value and gradient, kept out of line on the device: every line shape's code
/// then exists once in the kernel instead of once per call site (compile time and code size).
VITRUM_POLISH_NOINLINE double polish_shape_grad(ShapeKind kind, const ShapeParams& s, double x,
                                                double* grad) {
  return shape_value_and_grad(kind, s, x, grad);
}

/// One component's value (see polish_shape_grad).
VITRUM_POLISH_NOINLINE double polish_shape_value(ShapeKind kind, const ShapeParams& s, double x) {
  return shape_value(kind, s, x);
}

/// λ at channel n and, when dfull != nullptr, ∂λ/∂full[i] for every full parameter.
/// `tables` (optional, [n_comp]; CPU only): a component with a table (n > 0, shape parameters
/// fixed) is interpolated from it (shape_table.hpp) wherever its reduced offset lies inside.
VITRUM_HD double polish_channel(const ParamMap& m, const double* full, double x, double w,
                                const double* bg, long n, long channels, double* dfull,
                                const ShapeTableView* tables = nullptr) {
  double lam = 0.0;
  for (int c = 0; c < m.n_comp; ++c) {
    const ShapeParams s = polish_component(full, c);
    if (tables != nullptr && tables[c].n > 0) {
      double value, grad[kShapeGradSize];
      if (shape_table_value_grad(tables[c], x, s.position, s.fwhm, s.area, value,
                                 dfull != nullptr ? grad : nullptr)) {
        lam += w * value;
        if (dfull != nullptr)
          for (int k = 0; k < kShapeGradSize; ++k)
            dfull[c * kPolishParamsPerComponent + k] = w * grad[k];
        continue;
      }
    }
    if (dfull != nullptr) {
      double grad[kShapeGradSize];
      lam += w * polish_shape_grad(m.kind[c], s, x, grad);
      for (int k = 0; k < kShapeGradSize; ++k)
        dfull[c * kPolishParamsPerComponent + k] = w * grad[k];
    } else {
      lam += w * polish_shape_value(m.kind[c], s, x);
    }
  }
  const int b0 = m.n_comp * kPolishParamsPerComponent;
  for (int t = 0; t < m.n_bg; ++t) {
    const double b = bg[t * channels + n];
    lam += full[b0 + t] * b;
    if (dfull != nullptr) dfull[b0 + t] = b;
  }
  return lam;
}

/// ∂λ/∂θ from ∂λ/∂full through the links; `held[j]` zeroes held parameters.
VITRUM_HD void polish_chain(const ParamMap& m, const double* dfull, const int* held,
                            double* dtheta) {
  for (int j = 0; j < m.n_free; ++j) dtheta[j] = 0.0;
  for (int i = 0; i < m.n_full; ++i) {
    if (m.role[i] == ParamRole::Free) {
      dtheta[m.index[i]] += dfull[i];
    } else if (m.role[i] == ParamRole::Linked) {
      const int t = m.index[i];
      if (m.role[t] == ParamRole::Free) dtheta[m.index[t]] += m.factor[i] * dfull[i];
    }
  }
  if (held != nullptr)
    for (int j = 0; j < m.n_free; ++j)
      if (held[j]) dtheta[j] = 0.0;
}

/// Poisson deviance term of one channel (+inf where λ ≤ 0 and y > 0).
VITRUM_HD double deviance_term(double y, double lam) {
  using std::log;
  if (!(lam > 0.0)) return y > 0.0 || lam < 0.0 ? INFINITY : 0.0;
  if (y <= 0.0) return 2.0 * lam;
  return 2.0 * (y * log(y / lam) - (y - lam));
}

/// Partial sums over channels first, first + stride, ...: with_derivs = false gives only
/// sums[0] = D, sums[1] = Pearson χ²; true adds g (sums[2 ..]) and the packed upper Fisher
/// (after g, row-major j ≤ k). sums holds kPolishSums doubles, zeroed here.
VITRUM_HD void polish_sums(const ParamMap& m, const double* full, const double* x, const double* w,
                           const double* y, const double* bg, long channels, long first,
                           long stride, bool with_derivs, const int* held, double* sums,
                           const ShapeTableView* tables = nullptr) {
  const int p = m.n_free;
  const int n_sums = with_derivs ? 2 + p + p * (p + 1) / 2 : 2;
  for (int i = 0; i < n_sums; ++i) sums[i] = 0.0;
  double dfull[kPolishMaxFull], dt[kPolishMaxFree];
  for (long n = first; n < channels; n += stride) {
    const double lam =
        polish_channel(m, full, x[n], w[n], bg, n, channels, with_derivs ? dfull : nullptr, tables);
    sums[0] += deviance_term(y[n], lam);
    sums[1] += lam > 0.0 ? (y[n] - lam) * (y[n] - lam) / lam : INFINITY;
    if (!with_derivs || !(lam > 0.0)) continue;
    polish_chain(m, dfull, held, dt);
    const double r = 1.0 - y[n] / lam;
    for (int j = 0; j < p; ++j) sums[2 + j] += r * dt[j];
    double* f = sums + 2 + p;
    for (int j = 0; j < p; ++j) {
      const double a = dt[j] / lam;
      for (int k = j; k < p; ++k) *f++ += a * dt[k];
    }
  }
}

/// Held flags: free parameters at a bound whose gradient g pushes them outwards.
VITRUM_HD int polish_held(const ParamMap& m, const double* theta, const double* g, int* held) {
  int count = 0;
  for (int j = 0; j < m.n_free; ++j) {
    held[j] = (theta[j] <= m.lo[j] && g[j] > 0.0) || (theta[j] >= m.hi[j] && g[j] < 0.0);
    count += held[j];
  }
  return count;
}

/// Solves (I + μ diag I) δ = −g for the non-held parameters (packed upper I). Returns false
/// when nothing is identifiable. work: p*p + p doubles; keep: p ints.
VITRUM_HD bool polish_step(int p, const double* fisher, const double* g, const int* held, double mu,
                           double* delta, double* work, int* keep) {
  double* a = work;
  double* v = work + p * p;
  const double* f = fisher;
  for (int j = 0; j < p; ++j)
    for (int k = j; k < p; ++k) {
      const double e = *f++;
      a[j * p + k] = a[k * p + j] = e + (j == k ? mu * e : 0.0);
    }
  for (int j = 0; j < p; ++j) keep[j] = held[j] ? 0 : 1;
  if (cholesky_dropping(p, a, keep) == 0) return false;
  for (int i = 0; i < p; ++i) {  // L v = −g
    double t = keep[i] ? -g[i] : 0.0;
    for (int k = 0; k < i; ++k)
      if (keep[k] && keep[i]) t -= a[i * p + k] * v[k];
    v[i] = keep[i] ? t / a[i * p + i] : 0.0;
  }
  for (int i = p - 1; i >= 0; --i) {  // Lᵀ δ = v
    if (!keep[i]) {
      delta[i] = 0.0;
      continue;
    }
    double t = v[i];
    for (int k = i + 1; k < p; ++k)
      if (keep[k]) t -= a[k * p + i] * delta[k];
    delta[i] = t / a[i * p + i];
  }
  return true;
}

/// Standard errors of the full parameters from the packed Fisher matrix at the optimum.
VITRUM_HD void polish_errors(const ParamMap& m, const double* fisher, const int* held, double* se,
                             double* work, int* keep) {
  const int p = m.n_free;
  double* a = work;
  double* v = work + p * p;
  const double* f = fisher;
  for (int j = 0; j < p; ++j)
    for (int k = j; k < p; ++k) a[j * p + k] = a[k * p + j] = *f++;
  for (int j = 0; j < p; ++j) keep[j] = held[j] ? 0 : 1;
  cholesky_dropping(p, a, keep);
  double se_free[kPolishMaxFree];
  for (int j = 0; j < p; ++j) {
    const double var = keep[j] ? inverse_diagonal(p, a, keep, j, v) : 0.0;
    se_free[j] = var > 0.0 ? std::sqrt(var) : 0.0;
  }
  for (int i = 0; i < m.n_full; ++i) {
    se[i] = 0.0;
    if (m.role[i] == ParamRole::Free) se[i] = se_free[m.index[i]];
    if (m.role[i] == ParamRole::Linked && m.role[m.index[i]] == ParamRole::Free)
      se[i] = std::fabs(m.factor[i]) * se_free[m.index[m.index[i]]];
  }
}

/// Working memory of one polish (per spectrum; one per warp on the GPU).
struct PolishWork {
  double theta[kPolishMaxFree], trial[kPolishMaxFree], delta[kPolishMaxFree];
  double full_trial[kPolishMaxFull];
  double sums[kPolishSums];
  double trial_sums[2];
  double mat[kPolishMaxFree * kPolishMaxFree + kPolishMaxFree];
  int held[kPolishMaxFree], keep[kPolishMaxFree];
};

/// The Levenberg–Marquardt loop of one spectrum. `sums(full, with_derivs, held, out)` fills
/// out[0] = D, out[1] = χ², and with derivatives g and the packed Fisher (polish_sums layout),
/// summed over every channel; it is the only backend-specific part (one loop on the CPU, a warp
/// reduction on the GPU). theta starts from out.full (free entries); bounds are enforced on it.
template <typename Sums>
VITRUM_HD void polish_run(const ParamMap& m, const PolishControl& ctl, const Sums& sums,
                          PolishOut& out, PolishWork& w) {
  const int p = m.n_free;
  double* full = out.full;
  for (int i = 0; i < m.n_full; ++i)
    if (m.role[i] == ParamRole::Free) {
      const int j = m.index[i];
      w.theta[j] = full[i] < m.lo[j] ? m.lo[j] : (full[i] > m.hi[j] ? m.hi[j] : full[i]);
    }
  polish_expand(m, w.theta, full);
  for (int j = 0; j < p; ++j) w.held[j] = 0;
  out.iterations = 0;
  out.at_bound = 0;
  out.status = PolishStatus::Converged;
  sums(full, true, w.held, w.sums);
  if (!(w.sums[0] < INFINITY)) {
    out.status = PolishStatus::InvalidStart;
  } else {
    double mu = ctl.mu0;
    bool done = p == 0;
    int it = 0;
    while (!done && it < ctl.max_iterations) {
      ++it;
      const double d0 = w.sums[0];
      const double* g = w.sums + 2;
      polish_held(m, w.theta, g, w.held);
      bool accepted = false;
      while (!accepted && mu < 1e12) {
        if (!polish_step(p, w.sums + 2 + p, g, w.held, mu, w.delta, w.mat, w.keep)) {
          out.status = PolishStatus::Singular;
          done = true;
          break;
        }
        for (int j = 0; j < p; ++j) {
          const double t = w.theta[j] + w.delta[j];
          w.trial[j] = t < m.lo[j] ? m.lo[j] : (t > m.hi[j] ? m.hi[j] : t);
        }
        for (int i = 0; i < m.n_full; ++i) w.full_trial[i] = full[i];
        polish_expand(m, w.trial, w.full_trial);
        sums(w.full_trial, false, w.held, w.trial_sums);
        if (w.trial_sums[0] < d0) {
          accepted = true;
          mu = mu / 3.0 > 1e-12 ? mu / 3.0 : 1e-12;
        } else {
          mu *= 4.0;
        }
      }
      if (!accepted) break;  // no step lowers D: a minimum within the bounds
      for (int j = 0; j < p; ++j) w.theta[j] = w.trial[j];
      polish_expand(m, w.theta, full);
      for (int j = 0; j < p; ++j) w.held[j] = 0;
      sums(full, true, w.held, w.sums);
      if (d0 - w.sums[0] < ctl.abs_tol + ctl.rel_tol * w.sums[0]) done = true;
    }
    out.iterations = it;
    if (!done && it >= ctl.max_iterations && out.status == PolishStatus::Converged)
      out.status = PolishStatus::IterationLimit;
  }
  out.at_bound = polish_held(m, w.theta, w.sums + 2, w.held);
  for (int j = 0; j < p; ++j)  // a parameter on its bound is not a free estimate
    if (w.theta[j] <= m.lo[j] || w.theta[j] >= m.hi[j]) w.held[j] = 1;
  polish_errors(m, w.sums + 2 + p, w.held, out.se, w.mat, w.keep);
  out.deviance = w.sums[0];
  out.chi2 = w.sums[1];
}

/// sums functor of one CPU spectrum: every channel in order.
struct SerialPolishSums {
  const ParamMap* m;
  const double *x, *w, *y, *bg;
  long channels;
  const ShapeTableView* tables = nullptr;  ///< [n_comp] or nullptr (polish_channel)
  VITRUM_HD void operator()(const double* full, bool derivs, const int* held, double* out) const {
    polish_sums(*m, full, x, w, y, bg, channels, 0, 1, derivs, held, out, tables);
  }
};

}  // namespace vitrum::spectra::math
