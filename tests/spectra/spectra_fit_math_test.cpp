// Unit tests of the EM fit math (vitrum/spectra/math/em*.hpp): analytic derivatives against finite
// differences of the line shapes, the observed information against a finite-difference Hessian
// of the Poisson log-likelihood, the EM fixed point against the likelihood gradient, statuses
// for bad spectra, and determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/fit_batch.hpp"
#include "vitrum/spectra/math/em.hpp"
#include "vitrum/spectra/math/lineshapes.hpp"
#include "vitrum/spectra/synth.hpp"

namespace sm = vitrum::spectra::math;
using vitrum::spectra::FitConfig;
using vitrum::spectra::FitStatus;
using vitrum::spectra::PeakShape;
using vitrum::spectra::SpectrumImage;

namespace {

/// Shape value straight from lineshapes.hpp (not em_shapes.hpp), parametrised like the fit:
/// θ = (μ, t = ln F, η).
double shape_ref(const sm::EmModel& m, double x, const double* th) {
  const double mu = th[0], f = std::exp(th[1]), eta = th[2];
  auto line = [&](double x0) {
    return m.shape == sm::PeakShape::Gaussian ? sm::gaussian_pdf_fwhm(x, x0, f)
                                              : sm::pseudo_voigt_pdf(x, x0, f, eta);
  };
  if (!m.doublet) return line(mu);
  return (line(mu) + m.ratio * line(mu + m.split)) / (1.0 + m.ratio);
}

void check_derivatives(const sm::EmModel& m) {
  const double th0[3] = {1.3, std::log(1.7), 0.35};
  const sm::PeakConsts pc = sm::peak_consts(th0[0], th0[1], th0[2]);
  const int d = m.shape == sm::PeakShape::Gaussian ? 2 : 3;
  for (double x : {-3.0, -0.4, 1.1, 1.3, 2.2, 4.0, 7.5}) {
    sm::ShapeDerivs o;
    sm::peak_derivs<true>(m, pc, x, o);
    EXPECT_NEAR(o.g, shape_ref(m, x, th0), 1e-14 * std::max(1.0, o.g)) << "x = " << x;
    // Central differences: truncation O(h²·g'''), rounding O(ε·g/h); h = 1e-4 balances at ~1e-8.
    const double h = 1e-4;
    const int idx[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
    for (int i = 0; i < d; ++i) {
      double tp[3] = {th0[0], th0[1], th0[2]}, tm[3] = {th0[0], th0[1], th0[2]};
      tp[i] += h;
      tm[i] -= h;
      const double fd = (shape_ref(m, x, tp) - shape_ref(m, x, tm)) / (2 * h);
      EXPECT_NEAR(o.d[i], fd, 1e-7 * (1.0 + std::fabs(fd))) << "x = " << x << " param " << i;
      for (int j = 0; j < d; ++j) {
        double tpp[3] = {th0[0], th0[1], th0[2]}, tpm[3] = {th0[0], th0[1], th0[2]};
        double tmp[3] = {th0[0], th0[1], th0[2]}, tmm[3] = {th0[0], th0[1], th0[2]};
        tpp[i] += h, tpp[j] += h;
        tpm[i] += h, tpm[j] -= h;
        tmp[i] -= h, tmp[j] += h;
        tmm[i] -= h, tmm[j] -= h;
        const double fd2 = (shape_ref(m, x, tpp) - shape_ref(m, x, tpm) - shape_ref(m, x, tmp) +
                            shape_ref(m, x, tmm)) /
                           (4 * h * h);
        // Second differences lose another factor 1/h in rounding: ε·g/h² ≈ 2e-8.
        EXPECT_NEAR(o.h[idx[i][j]], fd2, 2e-5 * (1.0 + std::fabs(fd2)))
            << "x = " << x << " params " << i << "," << j;
      }
    }
  }
}

}  // namespace

TEST(SpectraFitMath, GaussianDerivativesMatchFiniteDifferences) {
  sm::EmModel m;
  m.shape = sm::PeakShape::Gaussian;
  check_derivatives(m);
}

TEST(SpectraFitMath, PseudoVoigtDerivativesMatchFiniteDifferences) {
  sm::EmModel m;
  m.shape = sm::PeakShape::PseudoVoigt;
  check_derivatives(m);
}

TEST(SpectraFitMath, DoubletDerivativesMatchFiniteDifferences) {
  sm::EmModel m;
  m.shape = sm::PeakShape::PseudoVoigt;
  m.doublet = 1;
  m.split = 3.33;
  m.ratio = 0.75;
  check_derivatives(m);
  m.split = -1.2;  // kinetic-energy axis: the minor line below
  m.shape = sm::PeakShape::Gaussian;
  check_derivatives(m);
}

TEST(SpectraFitMath, SmallSolversAgreeWithDirectInverse) {
  // 3×3 SPD in packed form.
  const double a[6] = {4.0, 1.0, 0.5, 3.0, 0.2, 2.0}, b[3] = {1.0, -2.0, 0.5};
  double x[3];
  ASSERT_TRUE(sm::solve_packed_spd(3, a, b, x));
  const double full[3][3] = {{4, 1, 0.5}, {1, 3, 0.2}, {0.5, 0.2, 2}};
  for (int i = 0; i < 3; ++i) {
    double r = 0;
    for (int j = 0; j < 3; ++j) r += full[i][j] * x[j];
    EXPECT_NEAR(r, b[i], 1e-14);
  }
  // Inverse diagonal by the dropping Cholesky: compare (A⁻¹)_ii with x = A⁻¹ e_i.
  double l[9];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) l[i * 3 + j] = full[i][j];
  int keep[3] = {1, 1, 1};
  double work[3];
  ASSERT_EQ(sm::cholesky_dropping(3, l, keep), 3);
  for (int i = 0; i < 3; ++i) {
    double e[3] = {0, 0, 0}, col[3];
    e[i] = 1.0;
    ASSERT_TRUE(sm::solve_packed_spd(3, a, e, col));
    EXPECT_NEAR(sm::inverse_diagonal(3, l, keep, i, work), col[i], 1e-14);
  }
  // A singular direction is dropped, not turned into garbage.
  double s[9] = {1, 1, 0, 1, 1, 0, 0, 0, 2};
  int ks[3] = {1, 1, 1};
  EXPECT_EQ(sm::cholesky_dropping(3, s, ks), 2);
  EXPECT_EQ(ks[1], 0);
  EXPECT_TRUE(std::isnan(sm::inverse_diagonal(3, s, ks, 1, work)));
  EXPECT_NEAR(sm::inverse_diagonal(3, s, ks, 2, work), 0.5, 1e-15);
}

namespace {

/// A small two-peak pseudo-Voigt spectrum with a linear background and Poisson noise.
SpectrumImage two_peak_spectrum(int pixels, std::uint64_t seed, double counts = 20000) {
  SpectrumImage im;
  im.name = "unit";
  im.source = "unit-test";
  im.ny = 1;
  im.nx = pixels;
  const int n = 241;
  for (int i = 0; i < n; ++i) im.energy.push_back(280.0 + 0.05 * i);
  im.counts.resize(static_cast<size_t>(pixels) * n);
  for (int p = 0; p < pixels; ++p) {
    vitrum::spectra::PoissonStream rng(seed, p);
    for (int i = 0; i < n; ++i) {
      const double x = im.energy[i];
      const double lam = 0.05 * counts *
                             (0.6 * sm::pseudo_voigt_pdf(x, 284.8, 1.1, 0.3) +
                              0.4 * sm::pseudo_voigt_pdf(x, 286.4, 1.1, 0.3)) +
                         80.0 + 4.0 * (x - 280.0);
      im.counts[static_cast<size_t>(p) * n + i] = static_cast<float>(rng.poisson(lam));
    }
  }
  return im;
}

FitConfig two_peak_config() {
  FitConfig c;
  c.shape = PeakShape::PseudoVoigt;
  c.k_min = 1;
  c.k_max = 3;
  c.fwhm_min = 0.4;
  c.fwhm_max = 3.0;
  c.bg_uniform = true;
  c.bg_ramps = true;
  return c;
}

/// Poisson log-likelihood of the fitted model, built from the reported parameters with
/// lineshapes.hpp and the background shapes the fit used (independent of em.hpp's passes).
double loglik(const vitrum::spectra::FitResult& r, const SpectrumImage& im, long i,
              const std::vector<double>& pos, const std::vector<double>& fwhm,
              const std::vector<double>& eta, const std::vector<double>& area) {
  const int n = static_cast<int>(r.energy.size());
  double l = 0;
  for (int q = 0; q < n; ++q) {
    double lam = 0;
    for (size_t k = 0; k < pos.size(); ++k)
      lam += area[k] * sm::pseudo_voigt_pdf(r.energy[q], pos[k], fwhm[k], eta[k]);
    for (int b = 0; b < r.n_background(); ++b)
      lam += r.background[i * r.n_background() + b] * r.background_shapes[b * n + q];
    const double y = im.counts[i * im.channels() + r.window_first + q];
    l += y * std::log(lam) - lam - std::lgamma(y + 1.0);
  }
  return l;
}

}  // namespace

TEST(SpectraFitMath, FixedPointIsTheMaximumLikelihoodEstimate) {
  // At convergence the Poisson log-likelihood must be stationary in every peak parameter: the
  // finite-difference gradient, in units of the parameter's standard error, is ≪ 1 (an
  // estimate off by δ·SE would show a gradient ≈ δ/SE there).
  const SpectrumImage im = two_peak_spectrum(3, 11);
  const auto r = vitrum::spectra::fit_spectra(im, two_peak_config());
  for (long i = 0; i < r.fits; ++i) {
    ASSERT_EQ(r.status[i], static_cast<int>(FitStatus::Converged)) << "spectrum " << i;
    ASSERT_EQ(r.n_peaks[i], 2) << "spectrum " << i;
    std::vector<double> pos, fwhm, eta, area;
    for (int k = 0; k < 2; ++k) {
      const size_t j = i * r.max_peaks + k;
      pos.push_back(r.position[j]);
      fwhm.push_back(r.fwhm[j]);
      eta.push_back(r.eta[j]);
      area.push_back(r.area[j]);
    }
    const double l0 = loglik(r, im, i, pos, fwhm, eta, area);
    EXPECT_NEAR(l0, r.log_likelihood[i], 1e-6 * std::fabs(l0));
    for (int k = 0; k < 2; ++k) {
      const size_t j = i * r.max_peaks + k;
      std::vector<double>* vecs[3] = {&pos, &fwhm, &area};
      const double se[3] = {r.position_se[j], r.fwhm_se[j], r.area_se[j]};
      for (int p = 0; p < 3; ++p) {
        ASSERT_TRUE(se[p] > 0) << "parameter " << p;
        const double h = 1e-3 * se[p];
        auto& v = *vecs[p];
        const double keep = v[k];
        v[k] = keep + h;
        const double lp = loglik(r, im, i, pos, fwhm, eta, area);
        v[k] = keep - h;
        const double lm = loglik(r, im, i, pos, fwhm, eta, area);
        v[k] = keep;
        const double grad_se = (lp - lm) / (2 * h) * se[p];
        EXPECT_LT(std::fabs(grad_se), 0.05)
            << "spectrum " << i << " peak " << k << " parameter " << p;
      }
    }
  }
}

TEST(SpectraFitMath, ObservedInformationMatchesFiniteDifferenceHessian) {
  // The SE of the position is sqrt((J⁻¹)_μμ); rebuild J by finite differences of the same
  // likelihood over (area, position, FWHM, η) of both peaks plus the background weights and
  // compare the resulting SEs.
  const SpectrumImage im = two_peak_spectrum(1, 5);
  FitConfig cfg = two_peak_config();
  cfg.k_min = cfg.k_max = 2;
  const auto r = vitrum::spectra::fit_spectra(im, cfg);
  ASSERT_EQ(r.n_peaks[0], 2);
  const int nb = r.n_background(), P = 8 + nb;
  std::vector<double> th(P), scale(P);
  for (int k = 0; k < 2; ++k) {
    th[4 * k + 0] = r.area[k];
    th[4 * k + 1] = r.position[k];
    th[4 * k + 2] = r.fwhm[k];
    th[4 * k + 3] = r.eta[k];
    scale[4 * k + 0] = r.area_se[k];
    scale[4 * k + 1] = r.position_se[k];
    scale[4 * k + 2] = r.fwhm_se[k];
    scale[4 * k + 3] = std::isnan(r.eta_se[k]) ? 0.01 : r.eta_se[k];
  }
  for (int b = 0; b < nb; ++b) {
    th[8 + b] = r.background[b];
    scale[8 + b] = std::sqrt(std::max(r.background[b], 1.0));
  }
  const int n = static_cast<int>(r.energy.size());
  auto ll = [&](const std::vector<double>& t) {
    double l = 0;
    for (int q = 0; q < n; ++q) {
      double lam = 0;
      for (int k = 0; k < 2; ++k)
        lam +=
            t[4 * k] * sm::pseudo_voigt_pdf(r.energy[q], t[4 * k + 1], t[4 * k + 2], t[4 * k + 3]);
      for (int b = 0; b < nb; ++b) lam += t[8 + b] * r.background_shapes[b * n + q];
      const double y = im.counts[r.window_first + q];
      l += y * std::log(lam) - lam;
    }
    return l;
  };
  // Hessian in scaled coordinates (θ_i = θ̂_i + s_i u_i) so all entries are O(1).
  std::vector<double> H(P * P);
  const double h = 0.02;
  for (int i = 0; i < P; ++i)
    for (int j = i; j < P; ++j) {
      auto at = [&](double di, double dj) {
        std::vector<double> t = th;
        t[i] += di * scale[i];
        t[j] += dj * scale[j];
        return ll(t);
      };
      const double v = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h);
      H[i * P + j] = H[j * P + i] = -v;
    }
  // Drop parameters the fit reported at a bound (NaN SE), as the fit does.
  std::vector<int> keep(P, 1);
  for (int k = 0; k < 2; ++k)
    if (std::isnan(r.eta_se[k])) keep[4 * k + 3] = 0;
  double work[64];
  ASSERT_GE(sm::cholesky_dropping(P, H.data(), keep.data()), 8);
  for (int k = 0; k < 2; ++k) {
    const double se_mu =
        std::sqrt(sm::inverse_diagonal(P, H.data(), keep.data(), 4 * k + 1, work)) *
        scale[4 * k + 1];
    const double se_f = std::sqrt(sm::inverse_diagonal(P, H.data(), keep.data(), 4 * k + 2, work)) *
                        scale[4 * k + 2];
    const double se_a =
        std::sqrt(sm::inverse_diagonal(P, H.data(), keep.data(), 4 * k, work)) * scale[4 * k];
    // Finite-difference curvature with h = 0.02 SE is exact to O(h²) ≈ 4e-4 relative.
    EXPECT_NEAR(r.position_se[k] / se_mu, 1.0, 0.01) << "peak " << k;
    EXPECT_NEAR(r.fwhm_se[k] / se_f, 1.0, 0.01) << "peak " << k;
    EXPECT_NEAR(r.area_se[k] / se_a, 1.0, 0.01) << "peak " << k;
  }
}

TEST(SpectraFitMath, BadSpectraGetStatusesNotExceptions) {
  SpectrumImage im = two_peak_spectrum(5, 3);
  const int n = im.channels();
  im.counts[0 * n + 50] = std::numeric_limits<float>::quiet_NaN();
  im.counts[1 * n + 10] = -3.0f;
  for (int i = 0; i < n; ++i) im.counts[2 * n + i] = 0.0f;
  im.counts[3 * n + 7] = std::numeric_limits<float>::infinity();
  FitConfig cfg = two_peak_config();
  auto r = vitrum::spectra::fit_spectra(im, cfg);
  EXPECT_EQ(r.status[0], static_cast<int>(FitStatus::InvalidValues));
  EXPECT_EQ(r.status[1], static_cast<int>(FitStatus::NegativeValues));
  EXPECT_EQ(r.status[2], static_cast<int>(FitStatus::EmptySpectrum));
  EXPECT_EQ(r.status[3], static_cast<int>(FitStatus::InvalidValues));
  EXPECT_EQ(r.status[4], static_cast<int>(FitStatus::Converged));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.n_peaks[i], 0);
    EXPECT_TRUE(std::isnan(r.position[i * r.max_peaks]));
  }
  EXPECT_EQ(r.n_peaks[4], 2);
  // negative = "clip": the spectrum with one negative channel is fitted.
  cfg.clip_negative = true;
  r = vitrum::spectra::fit_spectra(im, cfg);
  EXPECT_EQ(r.status[1], static_cast<int>(FitStatus::Converged));
  EXPECT_EQ(r.n_peaks[1], 2);
}

TEST(SpectraFitMath, ResultsAreDeterministicAndIndependentOfThreads) {
  const SpectrumImage im = two_peak_spectrum(6, 9);
  FitConfig cfg = two_peak_config();
  cfg.random_starts = 3;
  vitrum::spectra::FitOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const auto a = vitrum::spectra::fit_spectra(im, cfg, one);
  const auto b = vitrum::spectra::fit_spectra(im, cfg, two);
  EXPECT_EQ(a.n_peaks, b.n_peaks);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.status, b.status);
  for (size_t j = 0; j < a.position.size(); ++j) {
    if (std::isnan(a.position[j])) {
      EXPECT_TRUE(std::isnan(b.position[j]));
      continue;
    }
    EXPECT_EQ(a.position[j], b.position[j]);  // bit-identical
    EXPECT_EQ(a.area[j], b.area[j]);
  }
  // A different seed changes only the random starts; the chosen fit is the same optimum.
  cfg.seed = 12345;
  const auto c = vitrum::spectra::fit_spectra(im, cfg, one);
  for (long i = 0; i < c.fits; ++i) {
    ASSERT_EQ(c.n_peaks[i], a.n_peaks[i]);
    for (int k = 0; k < c.n_peaks[i]; ++k)
      EXPECT_NEAR(c.position[i * c.max_peaks + k], a.position[i * a.max_peaks + k],
                  0.01 * a.position_se[i * a.max_peaks + k]);
  }
}

TEST(SpectraFitMath, StagedAndFusedEPassesAgree) {
  // The CPU's staged E-pass and the fused loop the GPU's warps run (here on one lane) are two
  // loop structures over the same formulas: their sums agree to rounding.
  const int n = 301;
  std::vector<double> x(n), mult(n), bg(2 * n), y(n), shirley(n), inv1(n, 1.0), inv2(n, 1.0);
  std::vector<double> stage(sm::stage_doubles(n));
  vitrum::spectra::PoissonStream rng(3, 0);
  for (int i = 0; i < n; ++i) {
    x[i] = 280.0 + 0.1 * i;
    mult[i] = 1.0 + (i % 3 == 0);
    bg[i] = 1.0 / n;
    bg[n + i] = 2.0 * i / (static_cast<double>(n) * (n - 1));
    shirley[i] = bg[n + i];
    y[i] = rng.poisson(50.0 + 400.0 * std::exp(-0.5 * std::pow((x[i] - 290.0) / 0.6, 2)));
  }
  sm::Grid g{x.data(), mult.data(), bg.data(), n, 1, 0};
  for (int variant = 0; variant < 3; ++variant) {
    sm::EmModel m;
    m.shape = variant == 1 ? sm::PeakShape::Gaussian : sm::PeakShape::PseudoVoigt;
    m.n_bg_fixed = 2;
    m.shirley = variant == 2;
    m.doublet = variant == 2;
    m.split = 1.7;
    m.ratio = 0.75;
    sm::EmState s;
    s.k = 3;
    for (int k = 0; k < 3; ++k) {
      s.area[k] = 30.0 + 10 * k;
      s.mu[k] = 285.0 + 4.0 * k;
      s.t[k] = std::log(0.8 + 0.3 * k);
      s.eta[k] = 0.2 + 0.2 * k;
    }
    s.bg[0] = 4000;
    s.bg[1] = 2000;
    s.bg[2] = 500;
    for (bool rel : {false, true}) {
      double a1[sm::kAccumSize], a2[sm::kAccumSize];
      const sm::SerialExec ex;
      sm::e_pass(ex, m, g, y.data(), shirley.data(), s, a1, inv1.data(), rel, stage.data());
      sm::e_pass(ex, m, g, y.data(), shirley.data(), s, a2, inv2.data(), rel, nullptr);
      const int used = sm::accum_used(m, s.k);
      // Sums that cancel (∂Z/∂μ of a symmetric peak ≈ 0) carry rounding of the order of their
      // block's magnitudes, so compare with that scale: differences of order 1e-16 of it are
      // rounding; a formula difference would be of order 1.
      for (int i = 0; i < used; ++i) {
        const int blk = i < s.k * sm::kPeakSums ? i / sm::kPeakSums : -1;
        double scale = std::fabs(a2[i]);
        if (blk >= 0)
          for (int e = 0; e < sm::kPeakSums; ++e) scale += std::fabs(a2[blk * sm::kPeakSums + e]);
        if (i == used - 2)  // Σ y ln(λ/λ_prev): λ's last-bit differences weigh with Σ y
          for (int q = 0; q < n; ++q) scale += y[q];
        EXPECT_NEAR(a1[i], a2[i], 1e-12 * scale)
            << "variant " << variant << " relative " << rel << " sum " << i;
      }
      for (int i = 0; i < n; ++i) ASSERT_NEAR(inv1[i], inv2[i], 1e-13 * inv2[i]);
      s.mu[0] += 0.01;  // the next (relative) pass sees a nearby state
    }
  }
}
