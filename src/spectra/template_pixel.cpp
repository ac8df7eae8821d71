// One pixel of the image template fit: ECM over areas, bounded positions and background weights
// with the EM fit's E-pass, accelerated by SQUAREM (see template_pixel.hpp).
#include "template_pixel.hpp"

#include <algorithm>
#include <cmath>

namespace vitrum::spectra::detail {

using math::EmState;
using math::kPeakSums;

PixelScratch::PixelScratch(int n) {
  data_.assign(static_cast<size_t>(4 * n + math::stage_doubles(n)), 0.0);
  double* p = data_.data();
  ws.y = nullptr;
  ws.shirley = p;
  p += n;
  ws.peaks = p;
  p += n;
  ws.inv_lam = p;
  p += n;
  ws.resid = p;
  p += n;
  ws.stage = p;
  ws.shared = &shared_;
}

namespace {

/// E-pass of state x: ℓ into x.loglik, the sums into acc.
void evaluate(const TemplateModel& tm, math::Workspace& ws, const double* y, EmState& x,
              double* acc) {
  const math::SerialExec ex;
  math::shirley_init(ex, tm.model, tm.grid, x, ws);
  math::e_pass(ex, tm.model, tm.grid, y, ws.shirley, x, acc, ws.inv_lam, false, ws.stage);
  const int used = math::accum_used(tm.model, x.k);
  x.loglik = acc[used - 2] - acc[used - 1];
  ++x.iterations;
}

/// CM steps restricted to A and μ: A_j ← W_j / Z_j(μ'), μ_j one scoring step (scaled by alpha,
/// at most half a FWHM) clamped to the component's interval; c_b ← owned counts.
void step(const TemplateModel& tm, const int* comp, const double* acc, const EmState& cur,
          double alpha, double total, EmState& nxt) {
  nxt = cur;
  for (int j = 0; j < cur.k; ++j) {
    const double* a = acc + j * kPeakSums;
    const double W = a[math::kW], Z = a[math::kZ];
    if (!(Z > 0.0)) {
      nxt.area[j] = 0.0;
      continue;
    }
    const int c = comp[j];
    double dmu = 0.0;
    if (W > 1e-12 * total) {
      const double grad = a[math::kWg] - W * a[math::kZg] / Z;
      const double info = W * (a[math::kZgg] / Z - a[math::kZg] * a[math::kZg] / (Z * Z));
      if (info > 0.0) dmu = grad / info;
      const double half = 0.5 * std::exp(tm.t0[c]);
      dmu = std::clamp(dmu, -half, half) * alpha;
    }
    nxt.mu[j] = std::clamp(cur.mu[j] + dmu, tm.lo[c], tm.hi[c]);
    const double zhat = std::max(Z + a[math::kZg] * (nxt.mu[j] - cur.mu[j]), 0.5 * Z);
    nxt.area[j] = W / zhat;
  }
  const int ob = cur.k * kPeakSums;
  for (int b = 0; b < tm.model.n_bg(); ++b) nxt.bg[b] = std::max(acc[ob + b], 1e-10 * total);
}

/// ln A, μ, ln c: the coordinates SQUAREM extrapolates in.
int pack(const TemplateModel& tm, const EmState& s, double* v) {
  int p = 0;
  for (int j = 0; j < s.k; ++j) {
    v[p++] = std::log(std::max(s.area[j], 1e-300));
    v[p++] = s.mu[j];
  }
  for (int b = 0; b < tm.model.n_bg(); ++b) v[p++] = std::log(std::max(s.bg[b], 1e-300));
  return p;
}

void unpack(const TemplateModel& tm, const int* comp, const double* v, EmState& s) {
  int p = 0;
  for (int j = 0; j < s.k; ++j) {
    s.area[j] = std::exp(std::min(v[p++], 690.0));
    s.mu[j] = std::clamp(v[p++], tm.lo[comp[j]], tm.hi[comp[j]]);
  }
  for (int b = 0; b < tm.model.n_bg(); ++b) s.bg[b] = std::exp(std::min(v[p++], 690.0));
}

bool lower(const EmState& from, const EmState& to) {
  return !(to.loglik >= from.loglik - 1e-12 * std::fabs(from.loglik) - 1e-9);
}

}  // namespace

void fit_template_state(const TemplateModel& tm, PixelScratch& scratch, const double* y,
                        double total, const int* comp, EmState& s) {
  math::Workspace& ws = scratch.ws;
  double acc[math::kAccumSize], acc1[math::kAccumSize];
  const int used = math::accum_used(tm.model, s.k);
  const double tol = std::max(tm.abs_tolerance, 0.0);
  s.iterations = 0;
  s.status = static_cast<int>(math::FitStatus::IterationLimit);
  EmState x0 = s;
  evaluate(tm, ws, y, x0, acc);
  double v0[math::kMaxParams], v1[math::kMaxParams], v2[math::kMaxParams];
  while (x0.iterations < tm.max_iterations) {
    EmState x1;
    double alpha = 1.0;
    step(tm, comp, acc, x0, alpha, total, x1);
    x1.iterations = x0.iterations;
    evaluate(tm, ws, y, x1, acc1);
    while (lower(x0, x1) && alpha > 1e-3) {  // shorten the μ step while ℓ falls
      alpha *= 0.25;
      const int it = x1.iterations;
      step(tm, comp, acc, x0, alpha, total, x1);
      x1.iterations = it;
      evaluate(tm, ws, y, x1, acc1);
    }
    if (lower(x0, x1)) {  // no ascent left: a stationary point
      x0.status = static_cast<int>(math::FitStatus::Converged);
      x0.iterations = x1.iterations;
      break;
    }
    const double gain = x1.loglik - x0.loglik;
    if (gain <= std::min(tm.tolerance * std::fabs(x1.loglik), tol)) {
      x0 = x1;
      x0.status = static_cast<int>(math::FitStatus::Converged);
      break;
    }
    EmState x2;
    step(tm, comp, acc1, x1, 1.0, total, x2);
    const int p = pack(tm, x0, v0);
    pack(tm, x1, v1);
    pack(tm, x2, v2);
    double rr = 0.0, vv = 0.0;
    for (int i = 0; i < p; ++i) {
      const double r = v1[i] - v0[i], v = v2[i] - 2.0 * v1[i] + v0[i];
      rr += r * r;
      vv += v * v;
    }
    const double a = std::clamp(vv > 0.0 ? -std::sqrt(rr / vv) : -1.0, -32.0, -1.0);
    for (int i = 0; i < p; ++i) {
      const double r = v1[i] - v0[i], v = v2[i] - 2.0 * v1[i] + v0[i];
      v2[i] = v0[i] - 2.0 * a * r + a * a * v;
    }
    EmState xp = x1;
    unpack(tm, comp, v2, xp);
    evaluate(tm, ws, y, xp, acc);
    if (lower(x1, xp)) {  // overshot: continue from x1
      x0 = x1;
      x0.iterations = xp.iterations;
      std::copy(acc1, acc1 + used, acc);
    } else {
      x0 = xp;
    }
  }
  s = x0;
}

void template_lambda(const TemplateModel& tm, PixelScratch& scratch, const double* y,
                     const EmState& s, double* lam) {
  double acc[math::kAccumSize];
  EmState x = s;
  evaluate(tm, scratch.ws, y, x, acc);
  for (int n = 0; n < tm.grid.n; ++n) lam[n] = 1.0 / scratch.ws.inv_lam[n];
}

}  // namespace vitrum::spectra::detail
