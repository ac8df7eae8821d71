// CUDA vs CPU parity of training (train_backend.hpp): loss and gradient (energy and force terms,
// forward-over-reverse), the Kalman observations' Jacobians, the covariance update and a few
// epochs of Adam and of the Kalman filter. Both backends run the same formulas and the same
// single-source activations; they differ only in the order of the GEMMs' sums (cuBLAS vs
// OpenBLAS) and in fused multiply-adds, i.e. by a few ulps times the condition of each quantity.
// Tolerances are therefore relative, 1e-12 (~5000 eps) for one pass and looser where the
// optimizer amplifies rounding over many updates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "../train/train_test_util.hpp"
#include "gpu_guard.hpp"
#include "vitrum/train/kalman_filter.hpp"
#include "vitrum/train/training_set.hpp"

namespace vitrum::train {
namespace {

std::vector<std::string> names_of(size_t n) {
  std::vector<std::string> v;
  for (size_t k = 0; k < n; ++k) v.push_back("teacher structure " + std::to_string(k + 1));
  return v;
}

/// A small binary data set with forces and a potential for it (per activation set). Not movable:
/// the training set and the fitters point into it.
struct TrainCase {
  TrainCase(const std::string& acts, bool normalize_nodes, int n_structures = 6) {
    data = test::teacher_structures(n_structures, 13);
    test::TestPotentialSpec spec;
    spec.hidden = {9, 7};
    spec.activations = acts;
    spec.normalize_nodes = normalize_nodes;
    const std::string dir = test::fresh_dir("gpu_train_" + acts + (normalize_nodes ? "_nn" : ""));
    pot = test::build_test_potential(dir, spec, data);
    std::vector<bool> test(data.size(), false);
    test.back() = true;
    set = std::make_unique<TrainingSet>(pot, data, names_of(data.size()), test, true);
  }
  TrainCase(const TrainCase&) = delete;
  TrainCase& operator=(const TrainCase&) = delete;
  std::vector<Structure> data;
  nnp::Potential pot;
  std::unique_ptr<TrainingSet> set;
};

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

void expect_close(const std::vector<double>& gpu, const std::vector<double>& cpu, double rel,
                  const char* what) {
  ASSERT_EQ(gpu.size(), cpu.size());
  const double scale = std::max(max_abs(cpu), 1e-300);
  double worst = 0;
  for (size_t q = 0; q < cpu.size(); ++q) worst = std::max(worst, std::abs(gpu[q] - cpu[q]));
  std::printf("  %s: max |cuda - cpu| %.2e (max |cpu| %.2e)\n", what, worst, scale);
  EXPECT_LE(worst, rel * scale) << what;
}

TEST(TrainParity, LossAndGradientMatchCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  for (const auto& [acts, nn] : std::vector<std::pair<std::string, bool>>{
           {"ttl", false}, {"spl", true}, {"gcl", false}, {"tsp", true}}) {
    TrainCase s(acts, nn);
    const std::vector<int> list = {0, 1, 2, 3, 4};
    for (int term = 0; term < 3; ++term) {  // energy, force, both
      const double we = term == 1 ? 0.0 : 1.0, wf = term == 0 ? 0.0 : 1.0;
      Fitter cpu(s.pot, *s.set, 0.05, 1.0, we, wf, Backend::Cpu);
      Fitter gpu(s.pot, *s.set, 0.05, 1.0, we, wf, Backend::Cuda);
      cpu.initialize(7, 0.3);
      gpu.initialize(7, 0.3);
      ASSERT_EQ(cpu.parameters(), gpu.parameters());
      std::vector<double> gc, gg;
      std::vector<StructurePrediction> pc, pg;
      const LossTerms lc = cpu.loss(list, &gc, &pc);
      const LossTerms lg = gpu.loss(list, &gg, &pg);
      EXPECT_NEAR(lg.loss(), lc.loss(), 1e-12 * lc.loss()) << acts << " term " << term;
      EXPECT_NEAR(lg.energy_sse, lc.energy_sse, 1e-11 * lc.energy_sse);
      EXPECT_NEAR(lg.force_sse, lc.force_sse, 1e-11 * lc.force_sse);
      expect_close(gg, gc, 1e-11, ("gradient " + acts).c_str());
      for (size_t k = 0; k < list.size(); ++k) {
        EXPECT_NEAR(pg[k].energy, pc[k].energy, 1e-12 * std::abs(pc[k].energy));
        for (size_t j = 0; j < pc[k].forces.size(); ++j)
          for (int c = 0; c < 3; ++c)
            ASSERT_NEAR(pg[k].forces[j][c], pc[k].forces[j][c],
                        1e-11 * std::max(1.0, std::abs(pc[k].forces[j][c])));
      }
    }
  }
}

TEST(TrainParity, KalmanJacobiansMatchCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  TrainCase s("ttl", false);
  Fitter cpu(s.pot, *s.set, 0.05, 1.0, 1.0, 1.0, Backend::Cpu);
  Fitter gpu(s.pot, *s.set, 0.05, 1.0, 1.0, 1.0, Backend::Cuda);
  cpu.initialize(3, 0.2);
  gpu.initialize(3, 0.2);
  const long np = cpu.n_parameters();
  std::vector<double> hc(np), hg(np);
  for (int k = 0; k < 3; ++k) {
    const double ec = cpu.energy_jacobian(k, hc.data()), eg = gpu.energy_jacobian(k, hg.data());
    EXPECT_NEAR(eg, ec, 1e-12 * std::abs(ec));
    expect_close(hg, hc, 1e-11, "dE/dw");
    const double fc = cpu.force_jacobian(k, 2 + k, k, hc.data());
    const double fg = gpu.force_jacobian(k, 2 + k, k, hg.data());
    EXPECT_NEAR(fg, fc, 1e-11 * std::max(1.0, std::abs(fc)));
    expect_close(hg, hc, 1e-11, "dF/dw");
  }
}

TEST(TrainParity, KalmanCovarianceUpdatesMatchCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  for (bool fading : {false, true}) {
    KalmanSettings ks;
    ks.fading_memory = fading;
    const std::vector<long> blocks = {37, 52};
    KalmanFilter cpu(blocks, ks, 10, Backend::Cpu), gpu(blocks, ks, 10, Backend::Cuda);
    const long n = cpu.n_weights();
    std::vector<double> wc(n, 0.1), wg(n, 0.1);
    Random rng(17);
    for (int u = 0; u < 12; ++u) {
      const int m = 1 + u % 4;
      std::vector<double> h(static_cast<size_t>(m) * n), xi(m);
      for (double& x : h) x = 2 * rng.uniform() - 1;
      for (double& x : xi) x = rng.uniform() - 0.5;
      cpu.update(m, h.data(), xi.data(), wc.data());
      gpu.update(m, h.data(), xi.data(), wg.data());
    }
    EXPECT_NEAR(gpu.mean_diagonal(), cpu.mean_diagonal(), 1e-10 * cpu.mean_diagonal());
    expect_close(wg, wc, 1e-10, fading ? "weights (fading memory)" : "weights (standard)");
  }
}

std::vector<EpochRecord> run(TrainCase& s, Backend backend, Optimizer opt,
                             std::vector<double>& params) {
  Fitter fit(s.pot, *s.set, 0.05, 1.0, 1.0, 1.0, backend);
  fit.initialize(5, 0.0);
  TrainSettings ts;
  ts.optimizer = opt;
  ts.backend = backend;
  ts.epochs = 3;
  ts.batch_size = 2;
  ts.learning_rate = 1e-3;
  ts.force_weight = 1.0;
  ts.kalman.force_fraction = 0.05;
  auto curve = Trainer(fit, ts).run();
  params = fit.parameters();
  return curve;
}

TEST(TrainParity, AdamAndKalmanEpochsMatchCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  TrainCase s("ttl", false, 8);
  for (Optimizer opt : {Optimizer::Adam, Optimizer::Kalman}) {
    std::vector<double> pc, pg;
    const auto cc = run(s, Backend::Cpu, opt, pc);
    const auto cg = run(s, Backend::Cuda, opt, pg);
    ASSERT_EQ(cc.size(), cg.size());
    for (size_t e = 0; e < cc.size(); ++e) {
      EXPECT_NEAR(cg[e].train.loss(), cc[e].train.loss(), 1e-8 * cc[e].train.loss())
          << "epoch " << e;
      EXPECT_NEAR(cg[e].test.loss(), cc[e].test.loss(), 1e-8 * cc[e].test.loss());
    }
    expect_close(pg, pc, 1e-8, opt == Optimizer::Adam ? "Adam weights" : "Kalman weights");
  }
}

TEST(TrainParity, CudaIsDeterministic) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  TrainCase s("ttl", false);
  Fitter gpu(s.pot, *s.set, 0.05, 1.0, 1.0, 1.0, Backend::Cuda);
  gpu.initialize(9, 0.1);
  std::vector<double> a, b;
  const double la = gpu.loss({0, 1, 2, 3}, &a).loss();
  const double lb = gpu.loss({0, 1, 2, 3}, &b).loss();
  EXPECT_EQ(la, lb);
  EXPECT_EQ(a, b);
}

// Runs on machines without a device: selecting cuda must fail with a message naming the cause.
TEST(TrainParity, CudaWithoutDeviceIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  TrainCase s("ttl", false, 2);
  try {
    Fitter gpu(s.pot, *s.set, 0.05, 1.0, 1.0, 1.0, Backend::Cuda);
    FAIL() << "Fitter accepted the cuda backend without a device";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
  EXPECT_THROW(KalmanFilter({4}, KalmanSettings{}, 1, Backend::Cuda), std::exception);
}

}  // namespace
}  // namespace vitrum::train
