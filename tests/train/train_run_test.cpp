// `vitrum train` end to end through the library entry point: config file in, n2p2 potential,
// learning curve, parity data and plots out; early stopping; reproducibility of the files.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "train_test_util.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"
#include "vitrum/train/train_config.hpp"

namespace vitrum::train {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Writes the teacher data and a config into `dir`; returns the config path.
std::string write_case(const std::string& dir, const std::string& extra_training,
                       const std::string& out) {
  io::write_structures(dir + "/teacher.data", test::teacher_structures(16, 5));
  const std::string cfg = dir + "/train.toml";
  std::ofstream(cfg) << R"(
[data]
file = "teacher.data"
test_fraction = 0.25

[potential]
hidden_nodes = [10, 10]
activation = "t"
cutoff_type = 6

[symmetry_functions]
cutoff = 4.5
[symmetry_functions.radial]
mode = "shifted"
n = 5
r_lower = 1.0
[symmetry_functions.angular]
type = 9
mode = "centered"
n = 2
r_lower = 1.2
zetas = [1, 4]

[training]
batch_size = 2
learning_rate = 1e-2
learning_rate_final = 1e-3
seed = 3
)" << extra_training << "\n[output]\ndirectory = \""
                     << out << "\"\n";
  return cfg;
}

TEST(TrainRun, WritesALoadablePotentialAndItsReports) {
  const std::string dir = test::fresh_dir("run_e2e");
  const std::string cfg = write_case(dir, "epochs = 12", dir + "/nnp");
  const TrainReport r = run_training(read_train_config(cfg), true);
  EXPECT_EQ(r.n_train, 12);
  EXPECT_EQ(r.n_test, 4);
  EXPECT_EQ(r.epochs_run, 12);
  EXPECT_GT(r.structures_per_second, 0);
  std::printf(
      "  energy RMSE %.4f -> %.4f (test %.4f -> %.4f) eV/atom; force RMSE %.4f -> %.4f "
      "eV/A; check %.1e / %.1e; %.0f structures/s\n",
      r.initial.train.rmse_energy(), r.best.train.rmse_energy(), r.initial.test.rmse_energy(),
      r.best.test.rmse_energy(), r.initial.train.rmse_force(), r.best.train.rmse_force(),
      r.check_energy, r.check_force, r.structures_per_second);
  EXPECT_LT(r.best.test.loss(), r.initial.test.loss());
  EXPECT_LT(r.check_energy, 1e-10);
  EXPECT_LT(r.check_force, 1e-10);
  // The directory is an n2p2 potential.
  const auto pot = nnp::Potential::load_n2p2(dir + "/nnp");
  EXPECT_EQ(pot.n_elements(), 2);
  EXPECT_TRUE(pot.normalized());
  EXPECT_EQ(pot.scaling_type(), nnp::ScalingType::ScaleCenter);
  EXPECT_EQ(pot.element(0).layers.size(), 3u);
  // Checkpoint of the last epoch and reports.
  for (const char* f :
       {"checkpoint/weights.008.data", "checkpoint/weights.014.data", "scaling.data",
        "learning_curve.csv", "energy_parity.csv", "force_parity.csv"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/nnp/" + f)) << f;
  std::ifstream lc(dir + "/nnp/learning_curve.csv");
  std::string line;
  int rows = 0;
  while (std::getline(lc, line))
    if (!line.empty() && line[0] != '#' && line.rfind("epoch", 0) != 0) ++rows;
  EXPECT_EQ(rows, 13);  // epochs 0..12
  if (std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/nnp/learning_curve.png"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/nnp/parity.png"));
  }
  // No temporary files left behind by the atomic writes.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/nnp"))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();

  // Same seed, same files, bit for bit.
  const std::string cfg2 = write_case(dir, "epochs = 12", dir + "/nnp2");
  run_training(read_train_config(cfg2), true);
  for (const char* f : {"input.nn", "scaling.data", "weights.008.data", "weights.014.data"})
    EXPECT_EQ(slurp(dir + "/nnp/" + f), slurp(dir + "/nnp2/" + f)) << f;
}

TEST(TrainRun, EarlyStoppingKeepsTheBestEpoch) {
  // A step size far below rounding: the loss never improves after epoch 0.
  const std::string dir = test::fresh_dir("run_early");
  const std::string cfg = write_case(
      dir, "epochs = 50\nearly_stopping_patience = 3\nschedule = \"constant\"\n", dir + "/nnp");
  TrainConfig c = read_train_config(cfg);
  c.training.learning_rate = 1e-300;
  c.plots = false;
  const TrainReport r = run_training(c, true);
  EXPECT_EQ(r.epochs_run, 3);
  EXPECT_EQ(r.best_epoch, 0);
}

TEST(TrainRun, EnergyOnlyTrainingNeedsNoForces) {
  const std::string dir = test::fresh_dir("run_energy_only");
  auto data = test::teacher_structures(10, 9);
  for (auto& s : data) s.forces.clear();
  io::write_structures(dir + "/e.xyz", data);
  std::ofstream(dir + "/t.toml") << R"(
[data]
file = "e.xyz"
[potential]
hidden_nodes = [6]
[symmetry_functions]
cutoff = 4.5
[symmetry_functions.angular]
n = 0
[training]
epochs = 5
force_weight = 0.0
[output]
plots = false
directory = ")" << dir << "/nnp\"\n";
  const TrainReport r = run_training(read_train_config(dir + "/t.toml"), true);
  EXPECT_EQ(r.best.train.n_force, 0);
  EXPECT_LT(r.check_energy, 1e-10);
  EXPECT_FALSE(std::filesystem::exists(dir + "/nnp/force_parity.csv"));
}

}  // namespace
}  // namespace vitrum::train
