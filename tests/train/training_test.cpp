// Training on a small synthetic teacher set: the trained potential written in n2p2's format
// predicts exactly what the trainer predicted; training lowers the errors; a seed reproduces a
// run bit for bit.
#include <gtest/gtest.h>

#include <cmath>

#include "train_test_util.hpp"
#include "vitrum/nnp/evaluator.hpp"
#include "vitrum/train/training_set.hpp"

namespace vitrum::train {
namespace {

std::vector<std::string> names_of(size_t n) {
  std::vector<std::string> v;
  for (size_t k = 0; k < n; ++k) v.push_back("teacher structure " + std::to_string(k + 1));
  return v;
}

struct Variant {
  const char* name;
  test::TestPotentialSpec spec;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  v.push_back({"scale_center_normalized", {}});
  test::TestPotentialSpec b;
  b.scaling = nnp::ScalingType::ScaleSigma;
  b.normalize_nodes = true;
  b.normalized = false;
  b.activations = "tpl";
  b.cutoff_type = 1;
  b.atom_energy = {{"O", -0.7}, {"Si", -1.9}};
  v.push_back({"sigma_normalize_nodes_offsets", b});
  test::TestPotentialSpec c;
  c.scaling = nnp::ScalingType::Center;
  c.angular_type = 3;
  c.activations = "lll";  // unscaled (centred only) inputs would saturate s or t
  c.atom_energy = {{"Si", 0.4}};
  v.push_back({"center_type3_normalized_offsets", c});
  test::TestPotentialSpec d;
  d.scaling = nnp::ScalingType::Scale;
  d.hidden = {6};
  d.activations = "gt";
  v.push_back({"scale_one_layer", d});
  return v;
}

TEST(TrainedPotential, WrittenPotentialPredictsWhatTheTrainerPredicted) {
  const auto data = test::teacher_structures(4, 3);
  for (const auto& var : variants()) {
    const std::string dir = test::fresh_dir(std::string("consistency_") + var.name);
    const nnp::Potential pot = test::build_test_potential(dir, var.spec, data);
    const TrainingSet set(pot, data, names_of(data.size()), {false, false, false, true}, true);
    Fitter f(pot, set, 0.05, 1.0, 1.0, 1.0);
    f.initialize(5, 0.1);
    TrainSettings ts;
    ts.epochs = 3;
    ts.batch_size = 2;
    ts.learning_rate = 1e-2;
    Trainer(f, ts).run();  // weights away from their initial values
    f.write_weights(dir);
    std::vector<StructurePrediction> pred;
    f.loss({0, 1, 2, 3}, nullptr, &pred);
    const nnp::Potential written = nnp::Potential::load_n2p2(dir);
    nnp::Evaluator ev(written, {});
    double de = 0, dfm = 0, fscale = 0;
    for (size_t k = 0; k < data.size(); ++k) {
      const auto r = ev.evaluate(data[k], "teacher");
      de = std::max(de, std::abs(r.energy - pred[k].energy) / data[k].size());
      for (size_t i = 0; i < data[k].size(); ++i)
        for (int x = 0; x < 3; ++x) {
          dfm = std::max(dfm, std::abs(r.forces[i][x] - pred[k].forces[i][x]));
          fscale = std::max(fscale, std::abs(r.forces[i][x]));
        }
    }
    std::printf("  %s: |dE|/N max %.2e eV, |dF| max %.2e eV/A (|F| max %.2f)\n", var.name, de, dfm,
                fscale);
    EXPECT_LT(de, 1e-10) << var.name;
    EXPECT_LT(dfm, 1e-10) << var.name;
  }
}

struct RunResult {
  std::vector<EpochRecord> curve;
  std::vector<double> params;
};

RunResult train_once(std::uint64_t seed, int epochs) {
  const auto data = test::teacher_structures(46, 21);
  std::vector<bool> test(data.size(), false);
  for (size_t k = 40; k < data.size(); ++k) test[k] = true;
  test::TestPotentialSpec spec;
  spec.hidden = {10, 10};
  const std::string dir = test::fresh_dir("train_seed" + std::to_string(seed));
  const nnp::Potential pot = test::build_test_potential(dir, spec, data);
  const TrainingSet set(pot, data, names_of(data.size()), test, true);
  double f2 = 0, n = 0;
  for (size_t k = 0; k < 40; ++k)
    for (const auto& f : data[k].forces) {
      f2 += dot(f, f);
      n += 3;
    }
  Fitter fit(pot, set, 1.0 / pot.conv_energy(), std::sqrt(f2 / n), 1.0, 10.0);
  fit.initialize(seed, 0.0);
  TrainSettings ts;
  ts.epochs = epochs;
  ts.batch_size = 4;
  ts.learning_rate = 1e-2;
  ts.learning_rate_final = 1e-4;
  ts.seed = seed;
  RunResult r;
  r.curve = Trainer(fit, ts).run();
  r.params = fit.parameters();
  return r;
}

TEST(Training, ReducesErrorsAndIsReproducibleForASeed) {
  const RunResult a = train_once(7, 100);
  const auto& first = a.curve.front();
  EpochRecord best = a.curve.front();
  for (const auto& r : a.curve)
    if (r.test.loss() < best.test.loss()) best = r;
  std::printf("  energy RMSE train %.4f -> %.4f, test %.4f -> %.4f eV/atom\n",
              first.train.rmse_energy(), best.train.rmse_energy(), first.test.rmse_energy(),
              best.test.rmse_energy());
  std::printf("  force RMSE train %.4f -> %.4f, test %.4f -> %.4f eV/A (best epoch %d)\n",
              first.train.rmse_force(), best.train.rmse_force(), first.test.rmse_force(),
              best.test.rmse_force(), best.epoch);
  EXPECT_LT(best.train.rmse_energy(), 0.25 * first.train.rmse_energy());
  EXPECT_LT(best.train.rmse_force(), 0.35 * first.train.rmse_force());
  EXPECT_LT(best.test.rmse_force(), 0.5 * first.test.rmse_force());
  EXPECT_LT(best.test.loss(), 0.3 * first.test.loss());

  const RunResult b = train_once(7, 100);
  ASSERT_EQ(a.params.size(), b.params.size());
  size_t differ = 0;
  for (size_t q = 0; q < a.params.size(); ++q) differ += a.params[q] != b.params[q];
  EXPECT_EQ(differ, 0u) << "same seed, different weights";
  for (size_t e = 0; e < a.curve.size(); ++e)
    EXPECT_EQ(a.curve[e].train.loss(), b.curve[e].train.loss()) << "epoch " << e;

  const RunResult c = train_once(8, 2);
  size_t same = 0;
  for (size_t q = 0; q < a.params.size(); ++q) same += a.params[q] == c.params[q];
  EXPECT_LT(same, a.params.size() / 10) << "another seed should give other weights";
}

}  // namespace
}  // namespace vitrum::train
