#pragma once
/// \file em.hpp
/// The spectrum-adapted EM fit of one spectrum, written once for the CPU (OpenMP over spectra,
/// SerialExec) and the GPU (one warp per spectrum, kernels/spectra/fit.cu). See
/// ../shared/formats/em-spectra.md and include/vitrum/spectra/fit.hpp.
///
/// Model (Poisson counts y_n on channels x_n with multiplicity m_n, 1 on the full grid):
///   λ_n = Σ_k A_k g_k(x_n; μ_k, F_k, η_k) m_n + Σ_b c_b h_b(n),   Σ_n h_b(n) = 1,
/// A_k the area (intensity × eV), g_k a unit-area peak (em_shapes.hpp), h_b fixed background
/// shapes (uniform, ramps, step ramps) and optionally an active Shirley shape (∝ the cumulative
/// peak sum of the state being evaluated). Maximising the Poisson likelihood
///   ℓ = Σ_n y_n ln λ_n − λ_n
/// is the spectrum-adapted EM's Σ y ln Σ π f with the total intensity as a free scale.
///
/// One iteration (ECM), every sum over channels in one E-pass (O(N K)):
///   E-step: ρ_n = y_n/λ_n; component k owns w_nk = ρ_n A_k g_k(x_n) m_n counts; W_k = Σ_n w_nk.
///   CM-1  : A_k ← W_k / Z_k with Z_k = Σ_n g_k(x_n) m_n (exact; the shape normalised over the
///           measured grid, so truncated peaks are handled), c_b ← max(W_b, floor).
///   CM-2  : θ_k = (μ, ln F, η) takes one Fisher-scoring step on
///             Q_k(θ) = Σ_n w_nk ln[g_k(x_n; θ)/Z_k(θ)],
///           ∇Q_k = Σ_n w_nk ∇ln g − W_k ∇Z/Z,  I_k = W_k [Σ m ∇g∇gᵀ/(g Z) − ∇Z∇Zᵀ/Z²],
///           with a trust region and the bounds (for a Gaussian singlet: the closed-form weighted
///           mean/variance update to first order). A step that lowers ℓ is shortened.
/// The iteration is accelerated by SQUAREM (em_run) and stops when one plain step changes ℓ by
/// at most min(tolerance · |Σ y ln(λ/Λ)|, abs_tolerance). Its fixed point is the maximum-
/// likelihood estimate (∇ℓ = 0); tests/spectra/spectra_fit_math_test.cpp checks that.
///
/// Per spectrum (fit_spectrum), with no initial guesses:
///   1. screening, for K = k_min, … (until bic_patience K bring no better provisional BIC):
///      starts from smoothed local maxima (greedy on the residual, doublet-matched), from the
///      best K−1 start plus a peak at its largest residual, and seeded random starts each run
///      screen_iterations on the screening grid (channels binned so the narrowest allowed peak
///      spans ≥ 4 bins); the best per K is kept;
///   2. selection: the K with the best provisional BIC = −2ℓ + P ln S is converged first, every
///      other K only while it can still beat the best BIC (early rejection);
///   3. the chosen fit is polished on the full grid, and its standard errors come from the
///      observed information −∇²ℓ.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/spectra/math/em_shapes.hpp"
#include "vitrum/spectra/math/em_types.hpp"
#include "vitrum/spectra/math/small_linalg.hpp"

namespace vitrum::spectra::math {

/// Packed offsets of one peak's sums in the E-pass accumulator.
enum PeakSum : int { kW = 0, kWg = 1, kZ = 4, kZg = 5, kZgg = 8 };

/// Number of accumulator entries an E-pass of `k` peaks uses.
VITRUM_HD int accum_used(const EmModel& m, int k) {
  return k * kPeakSums + m.n_bg() + 2;
}

/// Free parameters of a fit with k peaks (areas, shape parameters, background weights).
VITRUM_HD int param_count(const EmModel& m, int k) {
  return k * (1 + m.shape_params()) + m.n_bg();
}

// ------------------------------------------------------------------------------------------------
// E-pass

/// ln r for r within [kLogRatioLo, kLogRatioHi] by ln r = 2 atanh(s), s = (r − 1)/(r + 1),
/// |s| ≤ 1/9, to s¹⁵ (error < 2 s¹⁷/17 ≈ 7e-18), in Estrin's form. Used for the ratio of λ to
/// the previous pass's λ, which is in this range for almost every channel after the first
/// iterations, so the library logarithm is mostly avoided.
inline constexpr double kLogRatioLo = 0.8, kLogRatioHi = 1.25;
VITRUM_HD double log_ratio_series(double r) {
  const double s = (r - 1.0) / (r + 1.0);
  const double s2 = s * s, s4 = s2 * s2, s8 = s4 * s4;
  const double a = 1.0 + s2 * (1.0 / 3), b = 1.0 / 5 + s2 * (1.0 / 7);
  const double c = 1.0 / 9 + s2 * (1.0 / 11), e = 1.0 / 13 + s2 * (1.0 / 15);
  return 2.0 * s * ((a + s4 * b) + s8 * (c + s4 * e));
}

/// The 14 sums of one peak (see PeakSum) gain one channel: ra = ρ A m weights the data-side
/// sums (W, ∇Q part), mn the shape-side ones (Z, ∇Z, Σ ∇g∇gᵀ/g).
struct PeakSums {
  double w = 0, wg0 = 0, wg1 = 0, wg2 = 0, z = 0, zg0 = 0, zg1 = 0, zg2 = 0;
  double h00 = 0, h01 = 0, h02 = 0, h11 = 0, h12 = 0, h22 = 0;
};
VITRUM_HD void add_peak_sums(double ra, double mn, double g, double d0, double d1, double d2,
                             double& w, double& wg0, double& wg1, double& wg2, double& z,
                             double& zg0, double& zg1, double& zg2, double& h00, double& h01,
                             double& h02, double& h11, double& h12, double& h22) {
  w += ra * g;
  wg0 += ra * d0;
  wg1 += ra * d1;
  wg2 += ra * d2;
  z += mn * g;
  zg0 += mn * d0;
  zg1 += mn * d1;
  zg2 += mn * d2;
  const double ig = g > 1e-300 ? mn / g : 0.0;
  h00 += ig * d0 * d0;
  h01 += ig * d0 * d1;
  h02 += ig * d0 * d2;
  h11 += ig * d1 * d1;
  h12 += ig * d1 * d2;
  h22 += ig * d2 * d2;
}
VITRUM_HD void store_peak_sums(const PeakSums& q, double scale_w, double* a) {
  a[kW] += scale_w * q.w;
  a[kWg + 0] += scale_w * q.wg0;
  a[kWg + 1] += scale_w * q.wg1;
  a[kWg + 2] += scale_w * q.wg2;
  a[kZ] += q.z;
  a[kZg + 0] += q.zg0;
  a[kZg + 1] += q.zg1;
  a[kZg + 2] += q.zg2;
  a[kZgg + 0] += q.h00;
  a[kZgg + 1] += q.h01;
  a[kZgg + 2] += q.h02;
  a[kZgg + 3] += q.h11;
  a[kZgg + 4] += q.h12;
  a[kZgg + 5] += q.h22;
}

/// y ln(λ/λ_prev) (relative, r = λ/λ_prev) or y ln λ of one channel.
VITRUM_HD double ylog_term(double yn, double lam, double inv_prev, bool relative) {
  using std::log;
  if (!(yn > 0.0)) return 0.0;
  if (!relative) return yn * log(lam);
  const double r = lam * inv_prev;
  return yn * (r > kLogRatioLo && r < kLogRatioHi ? log_ratio_series(r) : log(r));
}

// `omp simd` reductions for the CPU's staged E-pass (reassociates the sums over channels, which
// only the CPU's lanes-of-one executor does; deterministic for a given build).
#if defined(_OPENMP) && !defined(__CUDACC__)
#define VITRUM_PRAGMA(x) _Pragma(#x)
#define VITRUM_SIMD_SUM(...) VITRUM_PRAGMA(omp simd reduction(+ : __VA_ARGS__))
#else
#define VITRUM_SIMD_SUM(...)
#endif

/// Doubles of staging scratch a staged E-pass needs on a grid of n channels.
VITRUM_HD long stage_doubles(int n) {
  return (4L * kMaxPeaks + 3L) * n;
}

/// First channel of gr with x ≥ v (gr.n if none).
VITRUM_HD int grid_lower(const Grid& gr, double v) {
  int lo = 0, hi = gr.n;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (gr.x[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/// One E-pass at state s over grid gr: fills acc[0..accum_used) with the per-peak sums (see
/// PeakSum), the background owned counts, Σ y ln λ and Σ λ, reduced over lanes. `shirley` is
/// the Shirley shape of s on this grid (unused without Shirley).
///
/// inv_lam holds 1/λ_n of the previously evaluated state on this grid; with `relative` the
/// pass returns Σ y ln(λ/λ_prev) (log_ratio_series) instead of Σ y ln λ, and it always stores
/// its own 1/λ for the next pass.
///
/// Two loop structures over the same per-channel formulas: executors with kStaged (the CPU),
/// given `stage` scratch, first store every peak's m·g and m·∇g per channel, then form the sums
/// in short loops that vectorise; the GPU's warps do everything in one fused loop (recomputing
/// is cheaper there than the memory traffic).
template <class Exec>
VITRUM_HD void e_pass(const Exec& ex, const EmModel& m, const Grid& gr, const double* y,
                      const double* shirley, const EmState& s, double* acc, double* inv_lam,
                      bool relative, double* stage = nullptr) {
  using std::sqrt;
  const int K = s.k;
  const int nbf = m.n_bg_fixed;
  const int used = accum_used(m, K);
  const int ob = K * kPeakSums;
  const int N = gr.n;
  // Sums in a local array (not through `acc`, which could alias inv_lam for the compiler).
  double loc[kAccumSize];
  for (int i = 0; i < used; ++i) loc[i] = 0.0;
  PeakConsts pc[kMaxPeaks];
  for (int k = 0; k < K; ++k) pc[k] = peak_consts(s.mu[k], s.t[k], s.eta[k]);
  double sum_ylog = 0.0, sum_lam = 0.0;
  if (Exec::kStaged && stage != nullptr) {  // (without scratch, a staged executor fuses too)
    // Stage: per peak rows G = m g, D0..D2 = m ∇g, built line part by line part: the
    // Lorentzian over every channel (a loop that vectorises), the Gaussian only over the
    // channels where it does not underflow; then λ, ρ and λ/λ_prev (or λ).
    double* rho_row = stage + 4L * K * N;
    double* r_row = rho_row + N;
    double* lam_row = r_row + N;
    for (int n = 0; n < N; ++n) lam_row[n] = 0.0;
    double lw[2], loff[2];
    const int lines = line_weights(m, lw, loff);
    for (int k = 0; k < K; ++k) {
      double* G = stage + 4L * k * N;
      double *D0 = G + N, *D1 = G + 2 * N, *D2 = G + 3 * N;
      for (int n = 0; n < N; ++n) G[n] = D0[n] = D1[n] = D2[n] = 0.0;
      double wg, wl;
      mix_weights(m.shape, pc[k].eta, wg, wl);
      const bool pv = m.shape == PeakShape::PseudoVoigt;
      for (int l = 0; l < lines; ++l) {
        const double x0 = pc[k].mu + loff[l];
        if (pv) {
          const double a = lw[l] * wl, b = lw[l];
          for (int n = 0; n < N; ++n) {
            double L, l_mu, l_t;
            lorentz_part(pc[k], gr.x[n] - x0, L, l_mu, l_t);
            const double mn = gr.mult[n];
            G[n] += mn * a * L;
            D0[n] += mn * a * l_mu;
            D1[n] += mn * a * l_t;
            D2[n] += mn * b * L;
          }
        }
        const double reach = sqrt(kGaussCutZ2) / pc[k].inv_sigma;
        const int n0 = grid_lower(gr, x0 - reach), n1 = grid_lower(gr, x0 + reach);
        const double a = lw[l] * wg, b = pv ? lw[l] : 0.0;
        for (int n = n0; n < n1; ++n) {
          double g, g_mu, g_t;
          gauss_part(pc[k], gr.x[n] - x0, g, g_mu, g_t);
          const double mn = gr.mult[n];
          G[n] += mn * a * g;
          D0[n] += mn * a * g_mu;
          D1[n] += mn * a * g_t;
          D2[n] -= mn * b * g;
        }
      }
      const double A = s.area[k];
      for (int n = 0; n < N; ++n) lam_row[n] += A * G[n];
    }
    for (int n = 0; n < N; ++n) {
      double lam = lam_row[n];
      for (int b = 0; b < nbf; ++b) lam += s.bg[b] * gr.bg[b * N + n];
      if (m.shirley) lam += s.bg[nbf] * shirley[n];
      lam = vmax(lam, 1e-300);
      const double il = 1.0 / lam;
      rho_row[n] = y[n] * il;
      r_row[n] = relative ? lam * inv_lam[n] : lam;
      inv_lam[n] = il;
      sum_lam += lam;
    }
    if (relative) {  // the series where it applies (vectorised), the library log elsewhere
      int outside = 0;
      VITRUM_SIMD_SUM(sum_ylog, outside)
      for (int n = 0; n < N; ++n) {
        const double r = r_row[n];
        const bool in = r > kLogRatioLo && r < kLogRatioHi;
        const double t = log_ratio_series(in ? r : 1.0);
        sum_ylog += in && y[n] > 0.0 ? y[n] * t : 0.0;
        outside += !in && y[n] > 0.0;
      }
      if (outside > 0)
        for (int n = 0; n < N; ++n) {
          const double r = r_row[n];
          if (!(r > kLogRatioLo && r < kLogRatioHi)) sum_ylog += ylog_term(y[n], r, 1.0, true);
        }
    } else {
      for (int n = 0; n < N; ++n) sum_ylog += ylog_term(y[n], r_row[n], 1.0, false);
    }
    for (int k = 0; k < K; ++k) {
      const double* G = stage + 4L * k * N;
      const double *D0 = G + N, *D1 = G + 2 * N, *D2 = G + 3 * N;
      double w = 0, wg0 = 0, wg1 = 0, wg2 = 0, z = 0, zg0 = 0, zg1 = 0, zg2 = 0;
      double h00 = 0, h01 = 0, h02 = 0, h11 = 0, h12 = 0, h22 = 0;
      VITRUM_SIMD_SUM(w, wg0, wg1, wg2, z, zg0, zg1, zg2, h00, h01, h02, h11, h12, h22)
      for (int n = 0; n < N; ++n)
        add_peak_sums(rho_row[n], 1.0, G[n], D0[n], D1[n], D2[n], w, wg0, wg1, wg2, z, zg0, zg1,
                      zg2, h00, h01, h02, h11, h12, h22);
      const PeakSums q{w, wg0, wg1, wg2, z, zg0, zg1, zg2, h00, h01, h02, h11, h12, h22};
      store_peak_sums(q, s.area[k], loc + k * kPeakSums);
    }
    for (int b = 0; b < nbf; ++b) {
      const double* h = gr.bg + static_cast<long>(b) * N;
      double t = 0.0;
      VITRUM_SIMD_SUM(t)
      for (int n = 0; n < N; ++n) t += rho_row[n] * h[n];
      loc[ob + b] = s.bg[b] * t;
    }
    if (m.shirley) {
      double t = 0.0;
      VITRUM_SIMD_SUM(t)
      for (int n = 0; n < N; ++n) t += rho_row[n] * shirley[n];
      loc[ob + nbf] = s.bg[nbf] * t;
    }
  } else {
    for (int n = ex.lane(); n < N; n += ex.lanes()) {
      const double x = gr.x[n], mn = gr.mult[n], yn = y[n];
      ShapeDerivs sd[kMaxPeaks];
      double peak = 0.0;
      for (int k = 0; k < K; ++k) {
        peak_derivs<false>(m, pc[k], x, sd[k]);
        peak += s.area[k] * sd[k].g;
      }
      double lam = peak * mn;
      for (int b = 0; b < nbf; ++b) lam += s.bg[b] * gr.bg[b * N + n];
      if (m.shirley) lam += s.bg[nbf] * shirley[n];
      lam = vmax(lam, 1e-300);
      const double il = 1.0 / lam;
      const double rho = yn * il;
      sum_ylog += ylog_term(yn, lam, inv_lam[n], relative);
      inv_lam[n] = il;
      sum_lam += lam;
      for (int k = 0; k < K; ++k) {
        double* a = loc + k * kPeakSums;
        const ShapeDerivs& q = sd[k];
        add_peak_sums(rho * s.area[k] * mn, mn, q.g, q.d[0], q.d[1], q.d[2], a[kW], a[kWg],
                      a[kWg + 1], a[kWg + 2], a[kZ], a[kZg], a[kZg + 1], a[kZg + 2], a[kZgg],
                      a[kZgg + 1], a[kZgg + 2], a[kZgg + 3], a[kZgg + 4], a[kZgg + 5]);
      }
      for (int b = 0; b < nbf; ++b) loc[ob + b] += rho * s.bg[b] * gr.bg[b * N + n];
      if (m.shirley) loc[ob + nbf] += rho * s.bg[nbf] * shirley[n];
    }
  }
  for (int i = 0; i < used - 2; ++i) acc[i] = loc[i];
  acc[used - 2] = sum_ylog;
  acc[used - 1] = sum_lam;
  ex.reduce(acc, used);
}

/// Peak sum per channel of state s (lanes), for the Shirley shape of a fresh start.
template <class Exec>
VITRUM_HD void peak_sum_pass(const Exec& ex, const EmModel& m, const Grid& gr, const EmState& s,
                             double* peaks_out) {
  PeakConsts pc[kMaxPeaks];
  for (int k = 0; k < s.k; ++k) pc[k] = peak_consts(s.mu[k], s.t[k], s.eta[k]);
  for (int n = ex.lane(); n < gr.n; n += ex.lanes()) {
    double peak = 0.0;
    for (int k = 0; k < s.k; ++k) {
      ShapeDerivs q;
      peak_derivs<false>(m, pc[k], gr.x[n], q);
      peak += s.area[k] * q.g;
    }
    peaks_out[n] = peak * gr.mult[n];
  }
}

/// Active Shirley shape from the peak sum P (leader only): the background level at x is the
/// peak intensity accumulated from the low-binding-energy end (trapezoid), so on a
/// binding-energy axis it rises toward higher x; h(n) ∝ level · m_n, normalised to sum 1.
VITRUM_HD void shirley_from_peaks(const EmModel& m, const Grid& gr, const double* peaks,
                                  double* shape) {
  double run = 0.0, total = 0.0;
  if (m.shirley_rising) {
    for (int n = 0; n < gr.n; ++n) {
      const double level = run + 0.5 * peaks[n];
      run += peaks[n];
      shape[n] = level * gr.mult[n];
      total += shape[n];
    }
  } else {
    for (int n = gr.n - 1; n >= 0; --n) {
      const double level = run + 0.5 * peaks[n];
      run += peaks[n];
      shape[n] = level * gr.mult[n];
      total += shape[n];
    }
  }
  if (!(total > 0.0)) {
    double mt = 0.0;
    for (int n = 0; n < gr.n; ++n) mt += gr.mult[n];
    for (int n = 0; n < gr.n; ++n) shape[n] = gr.mult[n] / mt;
    return;
  }
  for (int n = 0; n < gr.n; ++n) shape[n] /= total;
}

/// Recomputes the Shirley shape of state s on grid gr (all lanes take part).
template <class Exec>
VITRUM_HD void shirley_init(const Exec& ex, const EmModel& m, const Grid& gr, const EmState& s,
                            Workspace& ws) {
  if (!m.shirley) return;
  peak_sum_pass(ex, m, gr, s, ws.peaks);
  ex.sync();
  if (ex.leader()) shirley_from_peaks(m, gr, ws.peaks, ws.shirley);
  ex.sync();
}

// ------------------------------------------------------------------------------------------------
// M-step

/// CM steps from the sums of an E-pass at state `cur`; alpha ∈ (0, 1] scales the shape step.
/// Returns the number of degenerate peaks (less than min_peak_fraction of the counts).
VITRUM_HD int m_step(const EmModel& m, const EmControl& c, const double* acc, const EmState& cur,
                     double alpha, double total, EmState& nxt) {
  using std::exp;
  using std::fabs;
  using std::log;
  using std::sqrt;
  const int K = cur.k;
  const int d = m.shape_params();
  nxt = cur;
  int degenerate = 0;
  const double t_lo = log(m.fwhm_lo), t_hi = log(m.fwhm_hi);
  for (int k = 0; k < K; ++k) {
    const double* a = acc + k * kPeakSums;
    const double W = a[kW], Z = a[kZ];
    if (!(W > c.min_peak_fraction * total) || !(Z > 0.0)) {
      ++degenerate;
      nxt.area[k] = Z > 0.0 ? W / Z : 0.0;
      continue;
    }
    const double iz = 1.0 / Z;
    double grad[3], info[6], step[3] = {0.0, 0.0, 0.0};
    for (int i = 0; i < 3; ++i) grad[i] = a[kWg + i] - W * a[kZg + i] * iz;
    const int pij[6][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 2}};
    for (int p = 0; p < 6; ++p) {
      const int i = pij[p][0], j = pij[p][1];
      info[p] = W * (a[kZgg + p] * iz - a[kZg + i] * a[kZg + j] * iz * iz);
    }
    if (!solve_packed_spd(d, info, grad, step)) {
      // Fall back to a diagonal step (the coupled system is singular, e.g. η at no information).
      for (int i = 0; i < d; ++i) {
        const double ii = info[i == 0 ? 0 : (i == 1 ? 3 : 5)];
        step[i] = ii > 0.0 ? grad[i] / ii : 0.0;
      }
    }
    // Trust region: at most half a FWHM in μ, a factor e^0.5 in F, 0.25 in η per iteration.
    const double fwhm = exp(cur.t[k]);
    double scale = 1.0;
    if (fabs(step[0]) > 0.5 * fwhm) scale = vmin(scale, 0.5 * fwhm / fabs(step[0]));
    if (fabs(step[1]) > 0.5) scale = vmin(scale, 0.5 / fabs(step[1]));
    if (d > 2 && fabs(step[2]) > 0.25) scale = vmin(scale, 0.25 / fabs(step[2]));
    scale *= alpha;
    if (!(scale == scale)) scale = 0.0;
    nxt.mu[k] = vclamp(cur.mu[k] + scale * step[0], m.mu_lo, m.mu_hi);
    nxt.t[k] = vclamp(cur.t[k] + scale * step[1], t_lo, t_hi);
    if (d > 2) nxt.eta[k] = vclamp(cur.eta[k] + scale * step[2], m.eta_lo, m.eta_hi);
    // Normalisation at the new θ to first order, so the peak keeps its W_k counts.
    const double dth[3] = {nxt.mu[k] - cur.mu[k], nxt.t[k] - cur.t[k], nxt.eta[k] - cur.eta[k]};
    double zhat = Z;
    for (int i = 0; i < d; ++i) zhat += a[kZg + i] * dth[i];
    zhat = vmax(zhat, 0.5 * Z);
    nxt.area[k] = W / zhat;
  }
  const int ob = K * kPeakSums;
  const double floor = 1e-10 * total;
  for (int b = 0; b < m.n_bg(); ++b) nxt.bg[b] = vmax(acc[ob + b], floor);
  return degenerate;
}

// ------------------------------------------------------------------------------------------------
// Iteration

/// Early rejection of a model-selection fit assumes that the remaining gain of ℓ is at most
/// kRejectFactor times the last plain ECM step's gain (a rate ≤ 0.99 per step; SQUAREM cycles
/// are faster than that).
inline constexpr double kRejectFactor = 100.0;

/// Largest SQUAREM step length |α| (α = −1 is two plain ECM steps).
inline constexpr double kMaxExtrapolation = 32.0;

/// Parameters of a state in the unconstrained coordinates SQUAREM extrapolates in:
/// ln A_k, μ_k, t_k, η_k, ln c_b. Returns the vector length.
VITRUM_HD int pack_state(const EmModel& m, const EmState& s, double* v) {
  using std::log;
  int p = 0;
  for (int k = 0; k < s.k; ++k) {
    v[p++] = log(vmax(s.area[k], 1e-300));
    v[p++] = s.mu[k];
    v[p++] = s.t[k];
    v[p++] = s.eta[k];
  }
  for (int b = 0; b < m.n_bg(); ++b) v[p++] = log(vmax(s.bg[b], 1e-300));
  return p;
}

/// Inverse of pack_state, clamping to the bounds.
VITRUM_HD void unpack_state(const EmModel& m, const double* v, EmState& s) {
  using std::exp;
  using std::log;
  const double t_lo = log(m.fwhm_lo), t_hi = log(m.fwhm_hi);
  int p = 0;
  for (int k = 0; k < s.k; ++k) {
    s.area[k] = exp(vmin(v[p++], 690.0));
    s.mu[k] = vclamp(v[p++], m.mu_lo, m.mu_hi);
    s.t[k] = vclamp(v[p++], t_lo, t_hi);
    const double eta = v[p++];
    if (m.shape == PeakShape::PseudoVoigt) s.eta[k] = vclamp(eta, m.eta_lo, m.eta_hi);
  }
  for (int b = 0; b < m.n_bg(); ++b) s.bg[b] = exp(vmin(v[p++], 690.0));
}

/// Runs ECM from state s on grid gr, accelerated by SQUAREM (Varadhan & Roland, Scand. J.
/// Stat. 35, 335 (2008)): from x0, two ECM steps give x1 and x2; with r = x1 − x0 and
/// v = x2 − 2x1 + x0 (unconstrained coordinates, pack_state) the point
/// x' = x0 − 2αr + α²v, α = −‖r‖/‖v‖ ∈ [−32, −1], is kept if ℓ(x') ≥ ℓ(x1), otherwise the
/// cycle continues from x1; the next ECM step from x' is the stabilisation step. So ℓ never
/// decreases (without Shirley; a plain step that lowers ℓ is shortened), and the fixed point is
/// the ECM one. Stops after max_iter E-passes, or when one plain step changes ℓ by at most
/// min(tolerance · |ℓ_mult|, abs_tol); s ends at an evaluated state (s.loglik, s.lmult set).
/// acc and acc_prev hold kAccumSize doubles. Returns the FitStatus of this run.
///
/// Early rejection (model selection): when ℓ plus kRejectFactor times the last plain step's
/// gain stays below `reject_below` — the ℓ this fit needs to beat the best BIC so far — the run
/// stops (IterationLimit): ECM gains shrink geometrically, so with a rate ≤ 1 − 1/kRejectFactor
/// the fit cannot reach it.
template <class Exec>
VITRUM_HD int em_run(const Exec& ex, const EmModel& m, const EmControl& c, const Grid& gr,
                     const double* y, double total, Workspace& ws, EmState& s, int max_iter,
                     double rel_tol, double abs_tol, double* acc, double* acc_prev,
                     double reject_below = -1e300) {
  using std::fabs;
  using std::log;
  using std::sqrt;
  const int used = accum_used(m, s.k);
  int iters = s.iterations;
  const int limit = iters + max_iter;
  int status = static_cast<int>(FitStatus::IterationLimit);
  const int degenerate = static_cast<int>(FitStatus::DegeneratePeak);
  const int converged = static_cast<int>(FitStatus::Converged);
  // With Shirley the shape is recomputed from x's own peaks first, so ℓ(x) is exact for x and
  // the comparisons below are meaningful (the M-step still holds the shape fixed).
  // ws.ylog is Σ y ln λ of the state whose 1/λ is in ws.inv_lam (on grid ws.ylog_grid); each
  // pass adds its relative sum to it (see e_pass), also across runs on the same grid.
  auto evaluate = [&](EmState& x, double* a) {
    shirley_init(ex, m, gr, x, ws);
    const bool rel = ws.ylog_grid == gr.x;
    e_pass(ex, m, gr, y, ws.shirley, x, a, ws.inv_lam, rel, ws.stage);
    ++iters;
    const double ylog = rel ? ws.ylog + a[used - 2] : a[used - 2];
    ws.ylog = ylog;
    ws.ylog_grid = gr.x;
    x.loglik = ylog - a[used - 1];
    x.lmult = ylog - total * log(vmax(a[used - 1], 1e-300));
  };
  auto lower = [&](const EmState& from, const EmState& to) {
    return !(to.loglik >= from.loglik - 1e-12 * fabs(from.loglik) - 1e-9);
  };
  EmState x0 = s;
  evaluate(x0, acc);
  double v0[kMaxParams], v1[kMaxParams], v2[kMaxParams];
  while (true) {
    if (iters >= limit) {
      s = x0;
      break;
    }
    // Plain ECM step x0 → x1, shortened while it lowers ℓ.
    EmState x1;
    if (m_step(m, c, acc, x0, 1.0, total, x1) > 0) {
      s = x0;
      status = degenerate;
      break;
    }
    evaluate(x1, acc_prev);
    double alpha = 1.0;
    bool stalled = false;
    while (lower(x0, x1)) {
      alpha *= 0.25;
      if (alpha < 1e-3 || iters >= limit) {
        stalled = true;
        break;
      }
      m_step(m, c, acc, x0, alpha, total, x1);
      evaluate(x1, acc_prev);
    }
    if (stalled) {  // no ascent left along the scoring direction: a stationary point
      s = x0;
      if (alpha < 1e-3) status = converged;
      break;
    }
    if (fabs(x1.loglik - x0.loglik) <= vmin(rel_tol * fabs(x1.lmult), abs_tol)) {
      s = x1;
      status = converged;
      break;
    }
    if (iters >= limit ||
        x1.loglik + kRejectFactor * fabs(x1.loglik - x0.loglik) + 1.0 < reject_below) {
      s = x1;
      break;
    }
    EmState x2;
    if (m_step(m, c, acc_prev, x1, 1.0, total, x2) > 0) {
      s = x1;
      status = degenerate;
      break;
    }
    const int p = pack_state(m, x0, v0);
    pack_state(m, x1, v1);
    pack_state(m, x2, v2);
    double rr = 0.0, vv = 0.0;
    for (int i = 0; i < p; ++i) {
      const double r = v1[i] - v0[i], v = v2[i] - 2.0 * v1[i] + v0[i];
      rr += r * r;
      vv += v * v;
    }
    double a = vv > 0.0 ? -sqrt(rr / vv) : -1.0;
    a = vclamp(a, -kMaxExtrapolation, -1.0);
    for (int i = 0; i < p; ++i) {
      const double r = v1[i] - v0[i], v = v2[i] - 2.0 * v1[i] + v0[i];
      v2[i] = v0[i] - 2.0 * a * r + a * a * v;
    }
    EmState xp = x0;
    unpack_state(m, v2, xp);
    evaluate(xp, acc);
    if (lower(x1, xp)) {  // overshot: continue from x1, whose sums are in acc_prev
      x0 = x1;
      for (int i = 0; i < used; ++i) acc[i] = acc_prev[i];
    } else {
      x0 = xp;
    }
  }
  s.iterations = iters;
  s.status = status;
  return status;
}

// ------------------------------------------------------------------------------------------------
// Starts

/// Linear interpolation of v on the grid at x (0 outside).
VITRUM_HD double grid_interp(const Grid& gr, const double* v, double x) {
  if (!(x >= gr.x[0]) || !(x <= gr.x[gr.n - 1])) return 0.0;
  int lo = 0, hi = gr.n - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (gr.x[mid] <= x)
      lo = mid;
    else
      hi = mid;
  }
  const double w = gr.x[hi] > gr.x[lo] ? (x - gr.x[lo]) / (gr.x[hi] - gr.x[lo]) : 0.0;
  return (1.0 - w) * v[lo] + w * v[hi];
}

/// Screening-grid intensities (sums of full-grid channels) and their Gaussian-smoothed
/// per-channel level for start detection (lanes).
template <class Exec>
VITRUM_HD void prepare_screen(const Exec& ex, const EmControl& c, const Grid& full, const Grid& scr,
                              Workspace& ws) {
  if (scr.bin > 1) {
    for (int j = ex.lane(); j < scr.n; j += ex.lanes()) {
      double s = 0.0;
      const int i1 = vmin(full.n, (j + 1) * scr.bin);
      for (int i = j * scr.bin; i < i1; ++i) s += ws.y[i];
      ws.yb[j] = s;
    }
    ex.sync();
  }
  const double* yb = scr.bin > 1 ? ws.yb : ws.y;
  const double sigma = sigma_from_fwhm(c.smooth_fwhm);
  // Uniform grid: the kernel weights depend only on the channel offset.
  constexpr int kMaxHalf = 63;
  const double dx = scr.n > 1 ? (scr.x[scr.n - 1] - scr.x[0]) / (scr.n - 1) : 1.0;
  const int half = static_cast<int>(3.0 * sigma / dx);
  if (scr.uniform && half <= kMaxHalf) {
    double w[kMaxHalf + 1];
    for (int o = 0; o <= half; ++o) w[o] = gaussian_pdf(o * dx, 0.0, sigma);
    for (int j = ex.lane(); j < scr.n; j += ex.lanes()) {
      double sw = 0.0, sv = 0.0;
      const int lo = vmax(0, j - half), hi = vmin(scr.n - 1, j + half);
      for (int i = lo; i <= hi; ++i) {
        const double wi = w[i > j ? i - j : j - i];
        sw += wi;
        sv += wi * yb[i] / scr.mult[i];
      }
      ws.smooth[j] = sv / sw;
    }
    ex.sync();
    return;
  }
  for (int j = ex.lane(); j < scr.n; j += ex.lanes()) {
    double sw = 0.0, sv = 0.0;
    const double xj = scr.x[j];
    for (int i = j; i >= 0 && scr.x[i] >= xj - 3.0 * sigma; --i) {
      const double w = gaussian_pdf(scr.x[i], xj, sigma);
      sw += w;
      sv += w * yb[i] / scr.mult[i];
    }
    for (int i = j + 1; i < scr.n && scr.x[i] <= xj + 3.0 * sigma; ++i) {
      const double w = gaussian_pdf(scr.x[i], xj, sigma);
      sw += w;
      sv += w * yb[i] / scr.mult[i];
    }
    ws.smooth[j] = sv / sw;
  }
  ex.sync();
}

/// Level of the linear baseline through the ends of the smoothed spectrum at channel j.
struct Baseline {
  double lo = 0.0, hi = 0.0, x0 = 0.0, x1 = 1.0;
  VITRUM_HD double at(double x) const { return vmax(0.0, lo + (hi - lo) * (x - x0) / (x1 - x0)); }
};

VITRUM_HD Baseline baseline_of(const Grid& scr, const double* smooth) {
  Baseline b;
  const int w = vmax(1, vmin(3, scr.n / 10));
  for (int i = 0; i < w; ++i) {
    b.lo += smooth[i] / w;
    b.hi += smooth[scr.n - 1 - i] / w;
  }
  b.lo = vmax(b.lo, 0.0);
  b.hi = vmax(b.hi, 0.0);
  b.x0 = scr.x[0];
  b.x1 = scr.x[scr.n - 1] > scr.x[0] ? scr.x[scr.n - 1] : scr.x[0] + 1.0;
  return b;
}

/// Index ranges of the background components (set by the dispatch point).
struct BgLayout {
  int uniform = -1, ramp_up = -1, ramp_down = -1, steps_first = -1, n_steps = 0;
  int steps_rising = 1;
};

/// Background weights of a start from the baseline: the flat part to the uniform component,
/// the slope to the matching ramp (or steps), every enabled component at least a small share
/// so EM can grow it. Returns the counts given to the background.
VITRUM_HD double init_background(const EmModel& m, const BgLayout& L, const Grid& full,
                                 const Baseline& base, double total, EmState& s) {
  const int nb = m.n_bg();
  if (nb == 0) return 0.0;
  const double nfull = static_cast<double>(full.n);
  double flat = vmin(base.lo, base.hi) * nfull;
  double slope = 0.5 * vmax(base.lo, base.hi) * nfull - 0.5 * vmin(base.lo, base.hi) * nfull;
  const bool rising = base.hi > base.lo;
  double b0 = flat + slope;
  if (b0 > 0.9 * total) {
    const double f = 0.9 * total / b0;
    flat *= f;
    slope *= f;
    b0 = 0.9 * total;
  }
  const double share = vmax(0.02 * b0, 1e-3 * total) / nb;
  for (int b = 0; b < nb; ++b) s.bg[b] = share;
  if (L.uniform >= 0)
    s.bg[L.uniform] += flat;
  else
    slope += flat;
  int target = rising ? L.ramp_up : L.ramp_down;
  if (target >= 0) {
    s.bg[target] += slope;
  } else if (L.n_steps > 0 && rising == (L.steps_rising != 0)) {
    for (int i = 0; i < L.n_steps; ++i) s.bg[L.steps_first + i] += slope / L.n_steps;
  } else if (m.shirley) {
    s.bg[m.n_bg_fixed] += slope;
  } else if (L.uniform >= 0) {
    s.bg[L.uniform] += slope;
  } else {
    for (int b = 0; b < nb; ++b) s.bg[b] += slope / nb;
  }
  double sum = 0.0;
  for (int b = 0; b < nb; ++b) sum += s.bg[b];
  return sum;
}

/// Places one peak greedily on the residual r (leader only): at the maximum of the doublet-
/// matched residual r(x) + r(x + Δ) within the position bounds, FWHM from the half-maximum walk
/// (deconvolved from the smoothing), area from the height. Subtracts it from r.
VITRUM_HD void place_peak(const EmModel& m, const EmControl& c, const Grid& scr, double* r, int k,
                          EmState& s) {
  using std::log;
  using std::sqrt;
  int best = -1;
  double best_score = -1e300;
  for (int j = 0; j < scr.n; ++j) {
    const double x = scr.x[j];
    if (x < m.mu_lo || x > m.mu_hi) continue;
    double score = r[j];
    if (m.doublet) score += grid_interp(scr, r, x + m.split);
    if (score > best_score) {
      best_score = score;
      best = j;
    }
  }
  if (best < 0) best = scr.n / 2;
  const double h = r[best];
  double fwhm;
  if (h > 0.0) {
    double left = scr.x[0], right = scr.x[scr.n - 1];
    bool lf = false, rf = false;
    for (int j = best; j > 0; --j)
      if (r[j - 1] < 0.5 * h) {
        const double f = (r[j] - 0.5 * h) / (r[j] - r[j - 1]);
        left = scr.x[j] - f * (scr.x[j] - scr.x[j - 1]);
        lf = true;
        break;
      }
    for (int j = best; j + 1 < scr.n; ++j)
      if (r[j + 1] < 0.5 * h) {
        const double f = (r[j] - 0.5 * h) / (r[j] - r[j + 1]);
        right = scr.x[j] + f * (scr.x[j + 1] - scr.x[j]);
        rf = true;
        break;
      }
    const double xb = scr.x[best];
    double obs = right - left;
    if (lf && !rf) obs = 2.0 * (xb - left);
    if (rf && !lf) obs = 2.0 * (right - xb);
    const double fs = c.smooth_fwhm;
    fwhm = sqrt(vmax(obs * obs - fs * fs, m.fwhm_lo * m.fwhm_lo));
  } else {
    fwhm = m.fwhm_init;
  }
  fwhm = vclamp(fwhm, m.fwhm_lo, m.fwhm_hi);
  const double eta = m.eta_init;
  const double feff = sqrt(fwhm * fwhm + c.smooth_fwhm * c.smooth_fwhm);
  const double area = vmax(h, 0.0) / peak_major_height(m, feff, eta);
  s.mu[k] = vclamp(scr.x[best], m.mu_lo, m.mu_hi);
  s.t[k] = log(fwhm);
  s.eta[k] = eta;
  s.area[k] = area;
  const PeakConsts pc = peak_consts(s.mu[k], log(feff), eta);
  for (int j = 0; j < scr.n; ++j) {
    ShapeDerivs q;  // (the Gaussian factor is skipped where it underflows)
    peak_derivs<false>(m, pc, scr.x[j], q);
    r[j] -= area * q.g;
  }
}

/// Gives the peaks of s (which carry areas from heights) a total of at most `budget` counts,
/// and at least a share each so none starts empty.
VITRUM_HD void balance_peaks(const EmModel& m, double budget, EmState& s, int first) {
  double counts = 0.0;
  for (int k = 0; k < s.k; ++k) counts += s.area[k] / m.delta;
  const double floor_each = 0.02 * budget / vmax(1, s.k);
  if (counts > budget && counts > 0.0) {
    const double f = budget / counts;
    for (int k = first; k < s.k; ++k) s.area[k] *= f;
  }
  for (int k = first; k < s.k; ++k) s.area[k] = vmax(s.area[k], floor_each * m.delta);
}

/// Builds start `which` for K peaks into s (leader only). kind: Maxima (greedy on the smoothed
/// spectrum), Extend (prev + one peak at the largest residual), Random (seeded).
VITRUM_HD void build_start(const EmModel& m, const EmControl& c, const BgLayout& L,
                           const Grid& full, const Grid& scr, Workspace& ws, double total, int K,
                           StartKind kind, const EmState* prev, std::uint64_t rng, EmState& s) {
  using std::exp;
  using std::log;
  const Baseline base = baseline_of(scr, ws.smooth);
  s.k = K;
  s.iterations = 0;
  s.status = 0;
  s.loglik = s.lmult = -1e300;
  s.start = static_cast<int>(kind);
  for (int k = 0; k < kMaxPeaks; ++k) {
    s.area[k] = 0.0;
    s.mu[k] = 0.5 * (m.mu_lo + m.mu_hi);
    s.t[k] = log(m.fwhm_init);
    s.eta[k] = m.eta_init;
  }
  for (int b = 0; b < kMaxBackground; ++b) s.bg[b] = 0.0;
  if (kind == StartKind::Extend && prev != nullptr) {
    for (int k = 0; k < prev->k; ++k) {
      s.area[k] = prev->area[k];
      s.mu[k] = prev->mu[k];
      s.t[k] = prev->t[k];
      s.eta[k] = prev->eta[k];
    }
    for (int b = 0; b < m.n_bg(); ++b) s.bg[b] = prev->bg[b];
    // Residual of the previous fit on the screening grid, per full-grid channel.
    PeakConsts pc[kMaxPeaks];
    for (int k = 0; k < prev->k; ++k) pc[k] = peak_consts(prev->mu[k], prev->t[k], prev->eta[k]);
    for (int j = 0; j < scr.n; ++j) {
      double model = 0.0;
      for (int k = 0; k < prev->k; ++k) {
        ShapeDerivs q;
        peak_derivs<false>(m, pc[k], scr.x[j], q);
        model += prev->area[k] * q.g;
      }
      for (int b = 0; b < m.n_bg_fixed; ++b)
        model += prev->bg[b] * scr.bg[b * scr.n + j] / scr.mult[j];
      ws.resid[j] = ws.smooth[j] - model;
    }
    if (m.shirley) {  // add the Shirley level, lagged, via a uniform share of its counts
      const double lev = prev->bg[m.n_bg_fixed] / full.n;
      for (int j = 0; j < scr.n; ++j) ws.resid[j] -= lev;
    }
    place_peak(m, c, scr, ws.resid, prev->k, s);
    double peak_counts = 0.0;
    for (int k = 0; k < prev->k; ++k) peak_counts += s.area[k] / m.delta;
    const double budget = vmax(total - peak_counts, 0.05 * total);
    const double newc = s.area[prev->k] / m.delta;
    if (newc > budget) s.area[prev->k] = budget * m.delta;
    s.area[prev->k] = vmax(s.area[prev->k], 0.01 * total * m.delta);
    return;
  }
  const double bgc = init_background(m, L, full, base, total, s);
  const double budget = vmax(total - bgc, 0.1 * total);
  if (kind == StartKind::Random) {
    const double t_lo = log(m.fwhm_lo), t_hi = log(m.fwhm_hi);
    for (int k = 0; k < K; ++k) {
      s.mu[k] = m.mu_lo + (m.mu_hi - m.mu_lo) * uniform01(rng);
      s.t[k] = t_lo + (t_hi - t_lo) * uniform01(rng);
      if (m.shape == PeakShape::PseudoVoigt && m.eta_free)
        s.eta[k] = m.eta_lo + (m.eta_hi - m.eta_lo) * uniform01(rng);
      s.area[k] = budget / K * m.delta;
    }
    return;
  }
  for (int j = 0; j < scr.n; ++j) ws.resid[j] = ws.smooth[j] - base.at(scr.x[j]);
  for (int k = 0; k < K; ++k) place_peak(m, c, scr, ws.resid, k, s);
  balance_peaks(m, budget, s, 0);
}

// ------------------------------------------------------------------------------------------------
// Uncertainties: observed information of the Poisson likelihood

/// Index of parameter `which` (0 = area, 1 = μ, 2 = t, 3 = η) of peak k in the information
/// matrix, and of background component b.
VITRUM_HD int pidx_peak(const EmModel& m, int k, int which) {
  return k * (1 + m.shape_params()) + which;
}
VITRUM_HD int pidx_bg(const EmModel& m, int K, int b) {
  return K * (1 + m.shape_params()) + b;
}

/// Observed information J = −∇²ℓ at state s on grid gr into ws.info (P × P, row-major), rows
/// accumulated in chunks so each lane holds at most kChunk partial sums:
///   J = Σ_n (y_n/λ_n²) ∇λ_n ∇λ_nᵀ − (y_n/λ_n − 1) ∇²λ_n.
/// The Shirley shape is held fixed (its dependence on the peaks is not differentiated).
template <class Exec>
VITRUM_HD void observed_information(const Exec& ex, const EmModel& m, const Grid& gr,
                                    const double* y, const EmState& s, Workspace& ws) {
  constexpr int kChunk = 256;
  const int K = s.k;
  const int d = m.shape_params();
  const int P = param_count(m, K);
  const int rows = vmax(1, kChunk / P);
  PeakConsts pc[kMaxPeaks];
  for (int k = 0; k < K; ++k) pc[k] = peak_consts(s.mu[k], s.t[k], s.eta[k]);
  for (int r0 = 0; r0 < P; r0 += rows) {
    const int r1 = vmin(P, r0 + rows);
    double part[kChunk];
    for (int i = 0; i < (r1 - r0) * P; ++i) part[i] = 0.0;
    for (int n = ex.lane(); n < gr.n; n += ex.lanes()) {
      const double mn = gr.mult[n];
      double grad[kMaxParams];
      ShapeDerivs sd[kMaxPeaks];
      double lam = 0.0;
      for (int k = 0; k < K; ++k) {
        peak_derivs<true>(m, pc[k], gr.x[n], sd[k]);
        lam += s.area[k] * sd[k].g * mn;
        grad[pidx_peak(m, k, 0)] = sd[k].g * mn;
        for (int i = 0; i < d; ++i) grad[pidx_peak(m, k, 1 + i)] = s.area[k] * mn * sd[k].d[i];
      }
      for (int b = 0; b < m.n_bg(); ++b) {
        const double h = b < m.n_bg_fixed ? gr.bg[b * gr.n + n] : ws.shirley[n];
        lam += s.bg[b] * h;
        grad[pidx_bg(m, K, b)] = h;
      }
      lam = vmax(lam, 1e-300);
      const double yl = y[n] / lam;
      const double w1 = yl / lam, w2 = yl - 1.0;
      for (int i = r0; i < r1; ++i) {
        double* row = part + (i - r0) * P;
        const double gi = w1 * grad[i];
        for (int j = i; j < P; ++j) row[j] += gi * grad[j];  // upper triangle, mirrored below
      }
      // −(y/λ − 1) ∇²λ: within each peak's block only.
      for (int k = 0; k < K; ++k) {
        const int base = pidx_peak(m, k, 0);
        const int idx[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
        for (int i = 0; i <= d; ++i) {
          const int gi = base + i;
          if (gi < r0 || gi >= r1) continue;
          double* row = part + (gi - r0) * P;
          for (int j = i; j <= d; ++j) {
            double h2;
            if (i == 0 && j == 0)
              h2 = 0.0;
            else if (i == 0)
              h2 = mn * sd[k].d[j - 1];
            else if (j == 0)
              h2 = mn * sd[k].d[i - 1];
            else
              h2 = s.area[k] * mn * sd[k].h[idx[i - 1][j - 1]];
            row[base + j] -= w2 * h2;
          }
        }
      }
    }
    ex.reduce(part, (r1 - r0) * P);
    if (ex.leader())
      for (int i = 0; i < (r1 - r0) * P; ++i) ws.info[r0 * P + i] = part[i];
    ex.sync();
  }
  if (ex.leader())
    for (int i = 0; i < P; ++i)
      for (int j = i + 1; j < P; ++j) ws.info[j * P + i] = ws.info[i * P + j];
  ex.sync();
}

/// Standard errors (leader only) from ws.info: parameters at a bound or without information
/// get NaN. se_* arrays have K entries (area, position, FWHM, η).
VITRUM_HD void standard_errors(const EmModel& m, const EmState& s, Workspace& ws, double* se_area,
                               double* se_mu, double* se_fwhm, double* se_eta) {
  using std::exp;
  using std::fabs;
  using std::log;
  using std::sqrt;
  const int K = s.k;
  const int d = m.shape_params();
  const int P = param_count(m, K);
  int keep[kMaxParams];
  double work[kMaxParams];
  for (int i = 0; i < P; ++i) keep[i] = 1;
  const double t_lo = log(m.fwhm_lo), t_hi = log(m.fwhm_hi);
  for (int k = 0; k < K; ++k) {
    const double f = exp(s.t[k]);
    if (fabs(s.mu[k] - m.mu_lo) < 1e-9 * f || fabs(s.mu[k] - m.mu_hi) < 1e-9 * f)
      keep[pidx_peak(m, k, 1)] = 0;
    if (fabs(s.t[k] - t_lo) < 1e-9 || fabs(s.t[k] - t_hi) < 1e-9) keep[pidx_peak(m, k, 2)] = 0;
    if (d > 2 && (fabs(s.eta[k] - m.eta_lo) < 1e-9 || fabs(s.eta[k] - m.eta_hi) < 1e-9))
      keep[pidx_peak(m, k, 3)] = 0;
  }
  // Background weights at their floor are at a bound too.
  double total_bg = 0.0;
  for (int b = 0; b < m.n_bg(); ++b) total_bg += s.bg[b];
  for (int b = 0; b < m.n_bg(); ++b)
    if (s.bg[b] <= 1e-8 * vmax(total_bg, 1e-300)) keep[pidx_bg(m, K, b)] = 0;
  cholesky_dropping(P, ws.info, keep);
  auto se = [&](int i) {
    const double v = inverse_diagonal(P, ws.info, keep, i, work);
    return v >= 0.0 ? sqrt(v) : NAN;
  };
  for (int k = 0; k < K; ++k) {
    se_area[k] = se(pidx_peak(m, k, 0));
    se_mu[k] = se(pidx_peak(m, k, 1));
    se_fwhm[k] = exp(s.t[k]) * se(pidx_peak(m, k, 2));
    se_eta[k] = d > 2 ? se(pidx_peak(m, k, 3)) : NAN;
  }
}

// ------------------------------------------------------------------------------------------------
// One spectrum, end to end

/// Everything fit_spectrum needs besides the executor and the spectrum.
struct EmProblem {
  EmModel model;
  EmControl control;
  BgLayout layout;
  Grid full;    ///< the fitted window
  Grid screen;  ///< binned copy for screening and model selection (== full when bin is 1)
};

/// Largest absolute tolerance on ℓ of the per-K fits compared by BIC (ln-likelihood units):
/// BIC differences that matter are ≳ ln S per parameter, so 0.1 is ample. The relative
/// tolerance still applies: converging tightly on the cheap screening grid leaves the
/// full-grid polish of the kept fit only a few passes.
inline constexpr double kSelectAbsTolerance = 0.1;

/// Writes a not-fitted result (status only) for spectrum i; keeps bic_by_k when asked.
VITRUM_HD void write_empty(const ResultView& out, long i, FitStatus status, double total,
                           bool keep_bic_by_k = false) {
  out.n_peaks[i] = 0;
  out.status[i] = static_cast<int>(status);
  out.iterations[i] = 0;
  out.start[i] = -1;
  for (int k = 0; k < out.max_peaks; ++k) {
    const long j = i * out.max_peaks + k;
    out.position[j] = out.fwhm[j] = out.area[j] = out.eta[j] = NAN;
    out.position_se[j] = out.fwhm_se[j] = out.area_se[j] = out.eta_se[j] = NAN;
  }
  for (int b = 0; b < out.n_bg; ++b) out.background[i * out.n_bg + b] = NAN;
  if (!keep_bic_by_k)
    for (int k = 0; k < out.n_k; ++k) out.bic_by_k[i * out.n_k + k] = NAN;
  out.log_likelihood[i] = out.bic[i] = NAN;
  out.total_counts[i] = total;
}

/// Fits spectrum i (intensities `spec`, full-grid channels, float as stored) into out. All lanes
/// of ex call it; ws is this spectrum's scratch.
template <class Exec>
VITRUM_HD void fit_spectrum(const Exec& ex, const EmProblem& pb, const float* spec, long i,
                            Workspace& ws, const ResultView& out, double intensity_scale) {
  using std::exp;
  using std::isfinite;
  using std::lgamma;
  using std::log;
  const EmModel& m = pb.model;
  const EmControl& c = pb.control;
  const Grid& full = pb.full;
  const Grid& scr = pb.screen;
  // Copy, scale and check the data.
  double chk[4] = {0.0, 0.0, 0.0, 0.0};  // non-finite, negative, total, Σ ln y!
  for (int n = ex.lane(); n < full.n; n += ex.lanes()) {
    double v = static_cast<double>(spec[n]) * intensity_scale;
    if (!isfinite(v)) {
      chk[0] += 1.0;
      v = 0.0;
    } else if (v < 0.0) {
      chk[1] += 1.0;
      if (c.clip_negative) v = 0.0;
    }
    ws.y[n] = v;
    chk[2] += v;
    if (v > 0.0) chk[3] += lgamma(v + 1.0);
  }
  ex.reduce(chk, 4);
  const double total = chk[2];
  if (chk[0] > 0.0) {
    if (ex.leader()) write_empty(out, i, FitStatus::InvalidValues, NAN);
    return;
  }
  if (chk[1] > 0.0 && !c.clip_negative) {
    if (ex.leader()) write_empty(out, i, FitStatus::NegativeValues, total);
    return;
  }
  if (!(total > 0.0)) {
    if (ex.leader()) write_empty(out, i, FitStatus::EmptySpectrum, total);
    return;
  }
  ws.ylog_grid = nullptr;  // ws.inv_lam belongs to the previous spectrum
  prepare_screen(ex, c, full, scr, ws);
  const double* ys = scr.bin > 1 ? ws.yb : ws.y;
  if (ex.leader())
    for (int k = 0; k < out.n_k; ++k) out.bic_by_k[i * out.n_k + k] = NAN;

  double acc[kAccumSize], acc_prev[kAccumSize];
  const int degenerate = static_cast<int>(FitStatus::DegeneratePeak);
  const double log_total = log(total);
  // Phase A, screening: for each K the starts run screen_iterations; the best start per K is
  // kept with a provisional BIC. The scan stops after bic_patience K without a better one.
  EmState cand[kMaxPeaks + 1];
  double prov[kMaxPeaks + 1];
  int k_last = c.k_min - 1, worse = 0;
  double prov_best = 1e300;
  for (int K = c.k_min; K <= c.k_max; ++K) {
    const bool have_prev = K > c.k_min;
    const int n_det = 1 + (have_prev ? 1 : 0);
    const int n_starts = n_det + c.random_starts;
    EmState& cd = cand[K];
    bool have_cand = false;
    for (int st = 0; st < n_starts; ++st) {
      const StartKind kind =
          st == 0 ? StartKind::Maxima : (st < n_det ? StartKind::Extend : StartKind::Random);
      if (ex.leader())
        build_start(m, c, pb.layout, full, scr, ws, total, K, kind,
                    have_prev ? &cand[K - 1] : nullptr, stream_seed(c.seed, i, K, st), *ws.shared);
      ex.sync();
      EmState trial = *ws.shared;
      ex.sync();
      em_run(ex, m, c, scr, ys, total, ws, trial, c.screen_iterations, c.tolerance, c.abs_tolerance,
             acc, acc_prev);
      const bool t_ok = trial.status != degenerate;
      const bool c_ok = have_cand && cd.status != degenerate;
      if (!have_cand || (t_ok && !c_ok) || (t_ok == c_ok && trial.loglik > cd.loglik)) {
        cd = trial;
        have_cand = true;
      }
    }
    prov[K] =
        -2.0 * cd.loglik + param_count(m, K) * log_total + (cd.status == degenerate ? 1e200 : 0.0);
    k_last = K;
    if (prov[K] < prov_best) {
      prov_best = prov[K];
      worse = 0;
    } else if (c.bic_patience > 0 && ++worse >= c.bic_patience) {
      break;
    }
  }
  // Phase B, selection: the K with the best provisional BIC is run to convergence first; every
  // other K then continues only while it could still beat the best BIC (early rejection).
  EmState best;
  double best_bic = 1e300;
  bool best_ok = false, have_best = false;
  bool done[kMaxPeaks + 1];
  for (int K = 0; K <= kMaxPeaks; ++K) done[K] = false;
  for (int round = c.k_min; round <= k_last; ++round) {
    int K = -1;
    for (int q = c.k_min; q <= k_last; ++q)
      if (!done[q] && (K < 0 || prov[q] < prov[K])) K = q;
    done[K] = true;
    EmState& cd = cand[K];
    if (cd.status != degenerate) {
      const double need =
          have_best && best_ok ? 0.5 * (param_count(m, K) * log_total - best_bic) : -1e300;
      em_run(ex, m, c, scr, ys, total, ws, cd, c.max_iterations, c.tolerance,
             vmax(c.abs_tolerance, kSelectAbsTolerance), acc, acc_prev, need);
    }
    const bool ok = cd.status != degenerate;
    const double bic = -2.0 * cd.loglik + param_count(m, K) * log_total;
    if (ex.leader()) out.bic_by_k[i * out.n_k + (K - c.k_min)] = ok ? bic : NAN;
    if (!have_best || (ok && !best_ok) || (ok == best_ok && bic < best_bic)) {
      best = cd;
      best_bic = bic;
      best_ok = ok;
      have_best = true;
    }
  }
  // Polish the chosen fit to the tight tolerance on the full grid (or, degenerate, only
  // evaluate ℓ there).
  {
    const int keep_status = best.status;
    em_run(ex, m, c, full, ws.y, total, ws, best, best_ok ? c.max_iterations : 1, c.tolerance,
           c.abs_tolerance, acc, acc_prev);
    if (!best_ok) best.status = keep_status;
  }
  // Standard errors.
  double se_a[kMaxPeaks], se_mu[kMaxPeaks], se_f[kMaxPeaks], se_eta[kMaxPeaks];
  for (int k = 0; k < kMaxPeaks; ++k) se_a[k] = se_mu[k] = se_f[k] = se_eta[k] = NAN;
  if (c.uncertainties && best.k > 0) {
    shirley_init(ex, m, full, best, ws);
    observed_information(ex, m, full, ws.y, best, ws);
    if (ex.leader()) standard_errors(m, best, ws, se_a, se_mu, se_f, se_eta);
  }
  if (!ex.leader()) return;
  // Peaks sorted by position.
  int order[kMaxPeaks];
  for (int k = 0; k < best.k; ++k) order[k] = k;
  for (int a = 1; a < best.k; ++a)
    for (int b = a; b > 0 && best.mu[order[b]] < best.mu[order[b - 1]]; --b) {
      const int tmp = order[b];
      order[b] = order[b - 1];
      order[b - 1] = tmp;
    }
  write_empty(out, i, static_cast<FitStatus>(best.status), total, true);
  out.n_peaks[i] = best.k;
  out.iterations[i] = best.iterations;
  out.start[i] = best.start;
  if (!best_ok) out.status[i] = static_cast<int>(FitStatus::DegeneratePeak);
  for (int r = 0; r < best.k; ++r) {
    const int k = order[r];
    const long j = i * out.max_peaks + r;
    out.position[j] = best.mu[k];
    out.fwhm[j] = exp(best.t[k]);
    out.area[j] = best.area[k];
    out.eta[j] = m.shape == PeakShape::PseudoVoigt ? best.eta[k] : NAN;
    out.position_se[j] = se_mu[k];
    out.fwhm_se[j] = se_f[k];
    out.area_se[j] = se_a[k];
    out.eta_se[j] = se_eta[k];
  }
  for (int b = 0; b < m.n_bg(); ++b) out.background[i * out.n_bg + b] = best.bg[b];
  out.log_likelihood[i] = best.loglik - chk[3];
  out.bic[i] = -2.0 * out.log_likelihood[i] + param_count(m, best.k) * log_total;
  // bic_by_k was written during the scan (screening grid); keep those values.
}

}  // namespace vitrum::spectra::math
