// The extended Kalman filter: its algebra (exact recursive least squares on a linear problem,
// batch update = sequential updates), the observation Jacobians of the fitter (finite
// differences), and Kalman training on the small synthetic teacher set (lower loss,
// reproducible per seed).
#include <gtest/gtest.h>

#include <cmath>

#include "train_test_util.hpp"
#include "vitrum/train/kalman_filter.hpp"
#include "vitrum/train/training_set.hpp"

namespace vitrum::train {
namespace {

/// Linear observations y_k = a_k . w* of a random w* (n = 6), noise free.
struct LinearProblem {
  int n = 6;
  std::vector<double> w_true;
  std::vector<std::vector<double>> a;
  explicit LinearProblem(int n_obs) {
    Random rng(11);
    for (int j = 0; j < n; ++j) w_true.push_back(2.0 * rng.uniform() - 1.0);
    for (int k = 0; k < n_obs; ++k) {
      std::vector<double> row(n);
      for (double& x : row) x = 2.0 * rng.uniform() - 1.0;
      a.push_back(row);
    }
  }
  double y(int k, const std::vector<double>& w) const {
    double s = 0;
    for (int j = 0; j < n; ++j) s += a[k][j] * w[j];
    return s;
  }
};

KalmanSettings no_noise() {
  KalmanSettings s;
  s.epsilon = 1e-6;  // P = 1e6 I: practically no prior
  s.q0 = 0.0;
  s.qmin = 0.0;
  s.eta0 = 1.0;
  s.etatau = 0.0;
  s.etamax = 1.0;
  return s;
}

TEST(KalmanFilter, SolvesALinearProblemByRecursiveLeastSquares) {
  const LinearProblem lp(40);
  KalmanFilter kf({lp.n}, no_noise(), 40);
  std::vector<double> w(lp.n, 0.0);
  for (int k = 0; k < 40; ++k) {
    const double xi = lp.y(k, lp.w_true) - lp.y(k, w);
    kf.update(1, lp.a[k].data(), &xi, w.data());
  }
  double err = 0;
  for (int j = 0; j < lp.n; ++j) err = std::max(err, std::abs(w[j] - lp.w_true[j]));
  // Without process noise the filter is recursive least squares with a ridge of epsilon/eta =
  // 1e-6: the solution of 40 exact equations is w* up to that ridge.
  EXPECT_LT(err, 1e-5);
  EXPECT_EQ(kf.updates(), 40);
}

TEST(KalmanFilter, BatchUpdateEqualsSequentialUpdatesAndBlocksDecouple) {
  const LinearProblem lp(4);
  KalmanSettings s = no_noise();
  s.epsilon = 0.5;  // a real prior, so the comparison is not trivial
  KalmanFilter seq({lp.n}, s, 4), batch({lp.n}, s, 1);
  std::vector<double> w1(lp.n, 0.1), w2(lp.n, 0.1);
  std::vector<double> h, xi;
  for (int k = 0; k < 4; ++k) {
    h.insert(h.end(), lp.a[k].begin(), lp.a[k].end());
    xi.push_back(lp.y(k, lp.w_true) - lp.y(k, w2));
  }
  batch.update(4, h.data(), xi.data(), w2.data());
  for (int k = 0; k < 4; ++k) {  // linear: the Jacobian does not change with w
    const double e = lp.y(k, lp.w_true) - lp.y(k, w1);
    seq.update(1, lp.a[k].data(), &e, w1.data());
  }
  for (int j = 0; j < lp.n; ++j) EXPECT_NEAR(w1[j], w2[j], 1e-12) << j;
  EXPECT_NEAR(seq.mean_diagonal(), batch.mean_diagonal(), 1e-12);

  // Two blocks with observations that each touch one block only behave like two filters.
  KalmanFilter two({3, 3}, s, 1), left({3}, s, 1);
  std::vector<double> wt(6, 0.0), wl(3, 0.0);
  const double hl[6] = {0.3, -0.7, 0.2, 0, 0, 0};
  const double xi1 = 0.9;
  two.update(1, hl, &xi1, wt.data());
  left.update(1, hl, &xi1, wl.data());
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(wt[j], wl[j], 1e-15);
  for (int j = 3; j < 6; ++j) EXPECT_EQ(wt[j], 0.0);
}

TEST(KalmanFilter, SchedulesFollowN2p2) {
  KalmanSettings s;
  s.q0 = 0.01;
  s.qtau = 2.302585092994046;  // ln 10: one decade per epoch
  s.qmin = 1e-6;
  s.eta0 = 0.01;
  s.etatau = 2.302585092994046;
  s.etamax = 1.0;
  KalmanFilter kf({2}, s, 10);  // 10 updates per epoch
  std::vector<double> w(2, 0.0);
  const double h[2] = {1.0, 0.5}, xi = 0.0;
  for (int k = 0; k < 10; ++k) kf.update(1, h, &xi, w.data());
  EXPECT_NEAR(kf.q(), 1e-3, 1e-12);   // q0 / 10 after one epoch
  EXPECT_NEAR(kf.eta(), 0.1, 1e-12);  // eta0 * 10 after one epoch
  for (int k = 0; k < 100; ++k) kf.update(1, h, &xi, w.data());
  EXPECT_EQ(kf.q(), 1e-6);   // floor
  EXPECT_EQ(kf.eta(), 1.0);  // cap
}

std::vector<std::string> names_of(size_t n) {
  std::vector<std::string> v;
  for (size_t k = 0; k < n; ++k) v.push_back("teacher structure " + std::to_string(k + 1));
  return v;
}

TEST(KalmanObservations, JacobiansMatchFiniteDifferences) {
  const auto data = test::teacher_structures(3, 4);
  test::TestPotentialSpec spec;
  spec.atom_energy = {{"Si", 0.3}};
  const std::string dir = test::fresh_dir("kalman_fd");
  const nnp::Potential pot = test::build_test_potential(dir, spec, data);
  const TrainingSet set(pot, data, names_of(data.size()), {false, false, true}, true);
  Fitter f(pot, set, 0.05, 1.0, 1.0, 1.0);
  f.initialize(3, 0.2);
  std::vector<StructurePrediction> pred;
  f.loss({0, 1, 2}, nullptr, &pred);
  const long np = f.n_parameters();
  std::vector<double> he(np), hf(np);
  double worst = 0, scale = 0;
  for (int k = 0; k < 3; ++k) {
    const double e = f.energy_jacobian(k, he.data());
    EXPECT_NEAR(e, pred[k].energy, 1e-10 * std::abs(pred[k].energy));
    const int atom = 5 + k, c = k;
    const double fc = f.force_jacobian(k, atom, c, hf.data());
    EXPECT_NEAR(fc, pred[k].forces[atom][c], 1e-12 * std::max(1.0, std::abs(fc)));
    Random rng(40 + k);
    for (int t = 0; t < 25; ++t) {
      const long q = static_cast<long>(rng.below(np));
      const double w0 = f.parameters()[q], d = 1e-5;
      f.parameters()[q] = w0 + d;
      const double ep = f.energy_jacobian(k, nullptr), fp = f.force_jacobian(k, atom, c, nullptr);
      f.parameters()[q] = w0 - d;
      const double em = f.energy_jacobian(k, nullptr), fm = f.force_jacobian(k, atom, c, nullptr);
      f.parameters()[q] = w0;
      const double de = (ep - em) / (2 * d), df = (fp - fm) / (2 * d);
      worst = std::max({worst, std::abs(de - he[q]), std::abs(df - hf[q])});
      scale = std::max({scale, std::abs(he[q]), std::abs(hf[q])});
    }
  }
  std::printf("  max |dh/dw - finite difference| %.2e (largest |dh/dw| %.2e)\n", worst, scale);
  EXPECT_GT(scale, 1e-3);  // the check must see non-trivial derivatives
  EXPECT_LT(worst, 1e-6 * std::max(1.0, scale));
}

struct KalmanRunResult {
  std::vector<EpochRecord> curve;
  std::vector<double> params;
};

KalmanRunResult kalman_run(std::uint64_t seed, int epochs, bool decouple) {
  const auto data = test::teacher_structures(30, 21);
  std::vector<bool> test(data.size(), false);
  for (size_t k = 25; k < data.size(); ++k) test[k] = true;
  test::TestPotentialSpec spec;
  spec.hidden = {8, 8};
  const std::string dir = test::fresh_dir("kalman_seed" + std::to_string(seed));
  const nnp::Potential pot = test::build_test_potential(dir, spec, data);
  const TrainingSet set(pot, data, names_of(data.size()), test, true);
  double f2 = 0, n = 0;
  for (size_t k = 0; k < 25; ++k)
    for (const auto& f : data[k].forces) {
      f2 += dot(f, f);
      n += 3;
    }
  Fitter fit(pot, set, 1.0 / pot.conv_energy(), std::sqrt(f2 / n), 1.0, 1.0);
  fit.initialize(seed, 0.0);
  TrainSettings ts;
  ts.optimizer = Optimizer::Kalman;
  ts.epochs = epochs;
  ts.seed = seed;
  ts.force_weight = 1.0;
  ts.kalman.decouple_elements = decouple;
  ts.kalman.force_fraction = 0.1;
  KalmanRunResult r;
  r.curve = Trainer(fit, ts).run();
  r.params = fit.parameters();
  return r;
}

TEST(KalmanTraining, LowersTheLossAndIsReproducibleForASeed) {
  const KalmanRunResult a = kalman_run(5, 8, false);
  const auto& first = a.curve.front();
  const auto& last = a.curve.back();
  std::printf("  loss train %.4f -> %.4f, test %.4f -> %.4f; force RMSE test %.4f -> %.4f eV/A\n",
              first.train.loss(), last.train.loss(), first.test.loss(), last.test.loss(),
              first.test.rmse_force(), last.test.rmse_force());
  EXPECT_LT(last.train.loss(), 0.2 * first.train.loss());
  EXPECT_LT(last.test.loss(), 0.3 * first.test.loss());
  EXPECT_LT(last.test.rmse_force(), 0.5 * first.test.rmse_force());

  const KalmanRunResult b = kalman_run(5, 8, false);
  ASSERT_EQ(a.params.size(), b.params.size());
  size_t differ = 0;
  for (size_t q = 0; q < a.params.size(); ++q) differ += a.params[q] != b.params[q];
  EXPECT_EQ(differ, 0u) << "same seed, different weights";

  // Per-element decoupling also trains.
  const KalmanRunResult d = kalman_run(5, 4, true);
  EXPECT_LT(d.curve.back().train.loss(), 0.3 * d.curve.front().train.loss());
}

}  // namespace
}  // namespace vitrum::train
