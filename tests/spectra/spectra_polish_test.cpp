// The maximum-likelihood polish (spectra/polish.hpp, math/polish.hpp): its deviance gradient
// and Fisher information against finite differences of the deviance, recovery of known
// parameters from Poisson spectra with standard errors that match the scatter over noise
// realisations, links and bounds held, thread-count independence, and the warp lane mapping
// (lanes striding over channels, butterfly sum) against the serial sums.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "vitrum/spectra/math/polish.hpp"
#include "vitrum/spectra/model.hpp"
#include "vitrum/spectra/polish.hpp"

namespace sp = vitrum::spectra;
namespace sm = vitrum::spectra::math;

namespace {

constexpr int kP = sm::kPolishParamsPerComponent;

/// A pseudo-Voigt 4f-like doublet (partner linked: +3.3 eV, area 0.75, equal FWHM and η) on a
/// uniform background, over 70..80 eV in 0.05 eV channels.
sp::PeakModel doublet_model(sp::ShapeKind kind = sp::ShapeKind::PseudoVoigt) {
  sp::PeakModel m;
  m.source = "test";
  sp::ModelComponent a;
  a.name = "4f7/2";
  a.kind = kind;
  a.param[sp::kPosition] = sp::ParamSpec{71.0, 70.0, 72.5};
  a.param[sp::kFwhm] = sp::ParamSpec{0.9, 0.2, 3.0};
  a.param[sp::kArea] = sp::ParamSpec{4000.0};
  if (kind == sp::ShapeKind::PseudoVoigt) a.param[sp::kShape0] = sp::ParamSpec{0.3, 0.0, 1.0};
  if (kind == sp::ShapeKind::LA) {
    const double p[3] = {1.2, 2.5, 30.0};
    for (int i = 0; i < 3; ++i) a.param[sp::kShape0 + i] = sp::ParamSpec{p[i], p[i], p[i], true};
  }
  m.components.push_back(a);
  sp::add_doublet_partner(m, 0, "4f5/2", 3.3, 0.75);
  sp::BackgroundTerm u;
  u.name = "uniform";
  u.coefficient.value = 20000.0;
  m.background.push_back(u);
  return m;
}

std::vector<double> grid() {
  std::vector<double> e;
  for (int i = 0; i <= 200; ++i) e.push_back(70.0 + 0.05 * i);
  return e;
}

/// Expected counts of `m` at its values on grid().
std::vector<double> expected_counts(const sp::PeakModel& m) {
  const sm::ParamMap map = sp::build_param_map(m);
  std::vector<double> full = sp::model_values(m);
  const std::vector<double> e = grid(), w(e.size(), 1.0);
  const std::vector<double> bg = sp::background_basis(m, static_cast<long>(e.size()));
  std::vector<double> theta(map.n_free);
  for (int j = 0; j < map.n_free; ++j) theta[j] = full[map.full_of_free[j]];
  sm::polish_expand(map, theta.data(), full.data());
  std::vector<double> lam(e.size());
  for (size_t n = 0; n < e.size(); ++n)
    lam[n] = sm::polish_channel(map, full.data(), e[n], w[n], bg.data(), static_cast<long>(n),
                                static_cast<long>(e.size()), nullptr);
  return lam;
}

struct Fixture {
  sp::PeakModel model;
  sm::ParamMap map;
  std::vector<double> e, w, bg, y;
  std::vector<double> sums(const std::vector<double>& theta, bool derivs) const {
    std::vector<double> full = sp::model_values(model), out(sm::kPolishSums);
    sm::polish_expand(map, theta.data(), full.data());
    sm::polish_sums(map, full.data(), e.data(), w.data(), y.data(), bg.data(),
                    static_cast<long>(e.size()), 0, 1, derivs, nullptr, out.data());
    return out;
  }
  std::vector<double> theta0() const {
    const std::vector<double> full = sp::model_values(model);
    std::vector<double> t(map.n_free);
    for (int j = 0; j < map.n_free; ++j) t[j] = full[map.full_of_free[j]];
    return t;
  }
};

Fixture make_fixture(sp::ShapeKind kind, bool y_equals_lambda) {
  Fixture f;
  f.model = doublet_model(kind);
  f.map = sp::build_param_map(f.model);
  f.e = grid();
  f.w.assign(f.e.size(), 1.0);
  f.bg = sp::background_basis(f.model, static_cast<long>(f.e.size()));
  f.y = expected_counts(f.model);
  if (!y_equals_lambda)  // data from shifted truth: the gradient is far from zero
    for (size_t n = 0; n < f.y.size(); ++n) f.y[n] = std::round(f.y[n] * (1.0 + 0.1 * std::sin(n)));
  return f;
}

std::vector<float> poisson_sample(const std::vector<double>& lam, std::mt19937_64& rng) {
  std::vector<float> y(lam.size());
  for (size_t n = 0; n < lam.size(); ++n)
    y[n] = static_cast<float>(std::poisson_distribution<long>(lam[n])(rng));
  return y;
}

}  // namespace

TEST(SpectraPolish, DevianceGradientMatchesFiniteDifferences) {
  for (sp::ShapeKind kind : {sp::ShapeKind::PseudoVoigt, sp::ShapeKind::LA}) {
    const Fixture f = make_fixture(kind, false);
    std::vector<double> t = f.theta0();
    const std::vector<double> s = f.sums(t, true);
    for (int j = 0; j < f.map.n_free; ++j) {
      // Central differences of D/2 with Richardson extrapolation (error O(h⁴)): g is a sum of
      // cancelling channel terms ~10³ times its size, so a plain O(h²) difference is too coarse.
      auto diff = [&](double h) {
        std::vector<double> tp = t, tm = t;
        tp[j] += h;
        tm[j] -= h;
        return (f.sums(tp, false)[0] - f.sums(tm, false)[0]) / (4.0 * h);
      };
      const double h = 1e-5 * std::fmax(std::fabs(t[j]), 1e-2);
      const double fd = (4.0 * diff(0.5 * h) - diff(h)) / 3.0;
      EXPECT_NEAR(s[2 + j], fd, 1e-6 * std::fabs(fd) + 1e-6)
          << "kind " << static_cast<int>(kind) << " free " << j;
    }
  }
}

TEST(SpectraPolish, FisherIsTheHessianOfHalfTheDevianceAtTheMean) {
  // With y = λ(θ) the Hessian of D/2 equals the Fisher information exactly.
  const Fixture f = make_fixture(sp::ShapeKind::PseudoVoigt, true);
  const std::vector<double> t = f.theta0();
  const int p = f.map.n_free;
  const std::vector<double> s = f.sums(t, true);
  for (int k = 0; k < p; ++k) {
    const double h = 1e-5 * std::fmax(std::fabs(t[k]), 1e-2);
    std::vector<double> tp = t, tm = t;
    tp[k] += h;
    tm[k] -= h;
    const std::vector<double> gp = f.sums(tp, true), gm = f.sums(tm, true);
    for (int j = 0; j <= k; ++j) {
      const double fd = (gp[2 + j] - gm[2 + j]) / (2.0 * h);
      const int row = j, col = k;  // packed upper, row-major
      const double fisher = s[2 + p + row * p - row * (row - 1) / 2 + (col - row)];
      EXPECT_NEAR(fisher, fd, 1e-5 * std::fabs(fisher) + 1e-8) << j << "," << k;
    }
  }
}

TEST(SpectraPolish, RecoversTruthWithErrorsMatchingTheScatter) {
  const sp::PeakModel truth = doublet_model();
  const std::vector<double> lam = expected_counts(truth);
  const int reps = 200;
  std::mt19937_64 rng(7);
  std::vector<float> data;
  for (int r = 0; r < reps; ++r) {
    const std::vector<float> y = poisson_sample(lam, rng);
    data.insert(data.end(), y.begin(), y.end());
  }
  sp::PolishBatch b;
  b.model = truth;  // start off the truth
  b.model.components[0].param[sp::kPosition].value = 71.3;
  b.model.components[0].param[sp::kFwhm].value = 1.2;
  b.model.components[0].param[sp::kArea].value = 2500.0;
  b.model.components[0].param[sp::kShape0].value = 0.5;
  b.energy = grid();
  b.spectra = data.data();
  b.stride = static_cast<long>(lam.size());
  b.count = reps;
  const sp::PolishResult r = sp::polish_spectra(b);
  const int checked[3] = {sp::kPosition, sp::kFwhm, sp::kArea};
  for (int k : checked) {
    double mean = 0, var = 0, se = 0;
    for (int i = 0; i < reps; ++i) mean += r.param(i, k) / reps;
    for (int i = 0; i < reps; ++i) {
      var += (r.param(i, k) - mean) * (r.param(i, k) - mean) / (reps - 1);
      se += r.error(i, k) / reps;
    }
    const double t = truth.components[0].param[k].value;
    EXPECT_NEAR(mean, t, 4.0 * std::sqrt(var / reps)) << "param " << k;
    EXPECT_GT(std::sqrt(var) / se, 0.8) << "param " << k;  // SE vs scatter (±~10% at 200 reps)
    EXPECT_LT(std::sqrt(var) / se, 1.2) << "param " << k;
  }
  for (int i = 0; i < reps; ++i) {
    EXPECT_EQ(r.status[i], static_cast<int>(sp::PolishStatus::Converged));
    EXPECT_GT(r.chi2_reduced[i], 0.6);
    EXPECT_LT(r.chi2_reduced[i], 1.5);
  }
}

TEST(SpectraPolish, LinksHoldExactlyAndPartnerErrorsFollowTheirTarget) {
  const sp::PeakModel truth = doublet_model();
  std::mt19937_64 rng(3);
  const std::vector<float> y = poisson_sample(expected_counts(truth), rng);
  sp::PolishBatch b;
  b.model = truth;
  b.model.components[0].param[sp::kPosition].value = 70.8;
  b.energy = grid();
  b.spectra = y.data();
  b.stride = static_cast<long>(y.size());
  b.count = 1;
  const sp::PolishResult r = sp::polish_spectra(b);
  EXPECT_DOUBLE_EQ(r.param(0, kP + sp::kPosition), r.param(0, sp::kPosition) + 3.3);
  EXPECT_NEAR(r.param(0, kP + sp::kArea), 0.75 * r.param(0, sp::kArea), 1e-9 * r.param(0, 2));
  EXPECT_DOUBLE_EQ(r.param(0, kP + sp::kFwhm), r.param(0, sp::kFwhm));
  EXPECT_DOUBLE_EQ(r.param(0, kP + sp::kShape0), r.param(0, sp::kShape0));
  EXPECT_DOUBLE_EQ(r.error(0, kP + sp::kPosition), r.error(0, sp::kPosition));
  EXPECT_NEAR(r.error(0, kP + sp::kArea), 0.75 * r.error(0, sp::kArea), 1e-12 * r.error(0, 2));
  EXPECT_NEAR(r.area_fraction[0], 1.0 / 1.75, 1e-12);
  EXPECT_EQ(r.n_free, 5);  // position, FWHM, area, η of 4f7/2 and the background
}

TEST(SpectraPolish, BoundsHoldAndABoundParameterIsReported) {
  const sp::PeakModel truth = doublet_model();
  std::mt19937_64 rng(5);
  const std::vector<float> y = poisson_sample(expected_counts(truth), rng);
  sp::PolishBatch b;
  b.model = truth;
  b.model.components[0].param[sp::kFwhm] = sp::ParamSpec{0.6, 0.5, 0.7};  // truth 0.9 outside
  b.energy = grid();
  b.spectra = y.data();
  b.stride = static_cast<long>(y.size());
  b.count = 1;
  const sp::PolishResult r = sp::polish_spectra(b);
  EXPECT_DOUBLE_EQ(r.param(0, sp::kFwhm), 0.7);
  EXPECT_GE(r.at_bound[0], 1);
  EXPECT_EQ(r.error(0, sp::kFwhm), 0.0);
  EXPECT_GT(r.error(0, sp::kPosition), 0.0);
  EXPECT_GE(r.param(0, sp::kShape0), 0.0);
  EXPECT_LE(r.param(0, sp::kShape0), 1.0);
}

TEST(SpectraPolish, ResultsDoNotDependOnTheThreadCount) {
  const sp::PeakModel truth = doublet_model();
  std::mt19937_64 rng(11);
  std::vector<float> data;
  for (int r = 0; r < 8; ++r) {
    const std::vector<float> y = poisson_sample(expected_counts(truth), rng);
    data.insert(data.end(), y.begin(), y.end());
  }
  sp::PolishBatch b;
  b.model = truth;
  b.energy = grid();
  b.spectra = data.data();
  b.stride = static_cast<long>(grid().size());
  b.count = 8;
  sp::PolishOptions one, two;
  one.threads = 1;
  two.threads = 2;
  two.residuals = one.residuals = true;
  const sp::PolishResult a = sp::polish_spectra(b, one), c = sp::polish_spectra(b, two);
  EXPECT_EQ(a.params, c.params);
  EXPECT_EQ(a.se, c.se);
  EXPECT_EQ(a.residuals, c.residuals);
  EXPECT_EQ(a.residuals.size(), data.size());
}

TEST(SpectraPolish, WarpLaneMappingSumsMatchTheSerialSums) {
  // The CUDA kernel's lanes take channels lane, lane + 32, ... and combine by a butterfly.
  const Fixture f = make_fixture(sp::ShapeKind::PseudoVoigt, false);
  std::vector<double> full = sp::model_values(f.model);
  const std::vector<double> t = f.theta0();
  sm::polish_expand(f.map, t.data(), full.data());
  const long n = static_cast<long>(f.e.size());
  std::vector<double> serial(sm::kPolishSums);
  sm::polish_sums(f.map, full.data(), f.e.data(), f.w.data(), f.y.data(), f.bg.data(), n, 0, 1,
                  true, nullptr, serial.data());
  std::vector<std::vector<double>> lane(32, std::vector<double>(sm::kPolishSums));
  for (int l = 0; l < 32; ++l)
    sm::polish_sums(f.map, full.data(), f.e.data(), f.w.data(), f.y.data(), f.bg.data(), n, l, 32,
                    true, nullptr, lane[l].data());
  for (int width = 16; width >= 1; width /= 2) {
    std::vector<std::vector<double>> next = lane;
    for (int l = 0; l < 32; ++l)
      for (int i = 0; i < sm::kPolishSums; ++i) next[l][i] = lane[l][i] + lane[l ^ width][i];
    lane = next;
  }
  const int p = f.map.n_free, used = 2 + p + p * (p + 1) / 2;
  for (int i = 0; i < used; ++i) {
    for (int l = 1; l < 32; ++l) EXPECT_EQ(lane[l][i], lane[0][i]);  // lanes agree bitwise
    EXPECT_NEAR(lane[0][i], serial[i], 1e-11 * std::fabs(serial[i]) + 1e-9) << i;
  }
}
