// Checkpoint/restart of `vitrum run` campaigns, in process on a 96-atom BKS silica cell: 200
// steps uninterrupted equal 100 + restart + 100 bit for bit (positions, velocities, forces, cell,
// integrator state, every H5MD frame, the thermo CSV and the extxyz snapshots) for every
// ensemble; a chain of restarts across stage boundaries; periodic checkpoints do not perturb the
// run; a finished campaign extended by a new stage; changed settings are refused with the
// differences listed.
#include <gtest/gtest.h>

#include <cstring>

#include "restart_compare.hpp"
#include "restart_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/force_field.hpp"

namespace vitrum::md {
namespace {

using test::BitDiff;
using test::bks_campaign;
using test::expect_same_h5md;
using test::expect_same_state;
using test::RestartScratch;
using test::run_in_process;
using test::thermo_without_rate;

/// Runs `stages` uninterrupted in dir/a and as a chain of jobs stopped after `job_steps` steps
/// each (--max-steps) in dir/b, and compares everything the two runs wrote.
void check_chain(const std::string& stages, long total, const std::vector<long>& job_steps,
                 const std::string& tag, const std::string& periodic = "every_steps = 30\n") {
  RestartScratch dir(tag);
  // Uninterrupted, with periodic checkpoints (which must not perturb the run).
  const std::string a = dir.file("a");
  const RunSummary ra =
      run_in_process(bks_campaign(a, stages, "every_minutes = 0\n" + periodic), dir.path());
  ASSERT_TRUE(ra.completed);
  ASSERT_EQ(ra.steps, total);

  const std::string b = dir.file("b");
  const std::string cfg_b = bks_campaign(b, stages);
  long done = 0;
  for (std::size_t j = 0; j <= job_steps.size(); ++j) {
    RunOptions o;
    if (j > 0) o.restart_file = b + "/checkpoint.h5";
    if (j < job_steps.size()) o.max_steps = job_steps[j];
    const RunSummary rb = run_in_process(cfg_b, dir.path(), o);
    if (j < job_steps.size()) {
      ASSERT_FALSE(rb.completed) << "job " << j;
      ASSERT_EQ(rb.steps, job_steps[j]);
      done += job_steps[j];
      const Checkpoint mid = read_checkpoint(b + "/checkpoint.h5");
      ASSERT_EQ(mid.system.step, done);
    } else {
      ASSERT_TRUE(rb.completed);
      ASSERT_EQ(rb.steps, total - done);
    }
  }
  expect_same_state(read_checkpoint(a + "/checkpoint.h5"), read_checkpoint(b + "/checkpoint.h5"));
  expect_same_h5md(a + "/trajectory.h5", b + "/trajectory.h5", total / 10 + 1);
  EXPECT_EQ(thermo_without_rate(a + "/thermo.csv"), thermo_without_rate(b + "/thermo.csv"));
  EXPECT_EQ(test::read_text(a + "/trajectory.xyz"), test::read_text(b + "/trajectory.xyz"));
  EXPECT_EQ(test::read_text(a + "/final.xyz"), test::read_text(b + "/final.xyz"));
}

struct EnsembleCase {
  const char* name;
  const char* stage;
};
void PrintTo(const EnsembleCase& c, std::ostream* os) {
  *os << c.name;
}

class RestartBitForBit : public ::testing::TestWithParam<EnsembleCase> {};

TEST_P(RestartBitForBit, TwoHundredStepsEqualHundredPlusRestartPlusHundred) {
  const std::string stage = std::string("[[stage]]\n") + GetParam().stage + "steps = 200\n";
  check_chain(stage, 200, {100}, GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    Ensembles, RestartBitForBit,
    ::testing::Values(
        EnsembleCase{"nve", "ensemble = \"nve\"\n"},
        EnsembleCase{"nvt_nose_hoover",
                     "ensemble = \"nvt_nose_hoover\"\ntemperature = 2500\ntdamp_fs = 50\n"},
        EnsembleCase{"nvt_langevin",
                     "ensemble = \"nvt_langevin\"\ntemperature = 2500\ntdamp_fs = 50\n"},
        EnsembleCase{"npt_mtk_iso",
                     "ensemble = \"npt_mtk\"\ntemperature = 2500\npressure = 5000\n"
                     "tdamp_fs = 50\npdamp_fs = 200\n"},
        EnsembleCase{"npt_mtk_aniso",
                     "ensemble = \"npt_mtk\"\ntemperature = 2500\npressure = 5000\n"
                     "barostat = \"aniso\"\ntdamp_fs = 50\npdamp_fs = 200\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// Four stages (a Nosé–Hoover ramp, anisotropic NPT, Langevin, NVE) in four jobs: stops at a stage
// boundary (60), inside NPT (100) and inside NVE (170).
TEST(Restart, ChainOfJobsAcrossStageBoundaries) {
  const std::string stages =
      "[[stage]]\nname = \"ramp\"\nensemble = \"nvt_nose_hoover\"\n"
      "temperature = { from = 2500, to = 2000 }\nsteps = 60\ntdamp_fs = 40\n"
      "[[stage]]\nname = \"npt\"\nensemble = \"npt_mtk\"\ntemperature = 2000\npressure = 1000\n"
      "barostat = \"aniso\"\nsteps = 60\npdamp_fs = 300\n"
      "[[stage]]\nname = \"bath\"\nensemble = \"nvt_langevin\"\ntemperature = 1500\nsteps = 40\n"
      "[[stage]]\nname = \"free\"\nensemble = \"nve\"\nsteps = 40\n";
  check_chain(stages, 200, {60, 40, 70}, "chain", "every_steps = 0\n");
}

// A finished campaign (final checkpoint) extended by a new stage continues bit for bit like the
// longer campaign run in one go.
TEST(Restart, FinishedCampaignExtendedByANewStage) {
  RestartScratch dir("extend");
  const std::string first =
      "[[stage]]\nensemble = \"nvt_langevin\"\ntemperature = 2500\nsteps = 60\n";
  const std::string second = "[[stage]]\nensemble = \"nve\"\nsteps = 40\n";
  const std::string a = dir.file("a"), b = dir.file("b");
  ASSERT_TRUE(run_in_process(bks_campaign(a, first + second), dir.path()).completed);
  ASSERT_TRUE(run_in_process(bks_campaign(b, first), dir.path()).completed);
  RunOptions o;
  o.restart_file = b + "/checkpoint.h5";
  const RunSummary r = run_in_process(bks_campaign(b, first + second), dir.path(), o);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.steps, 40);
  expect_same_state(read_checkpoint(a + "/checkpoint.h5"), read_checkpoint(b + "/checkpoint.h5"));
  expect_same_h5md(a + "/trajectory.h5", b + "/trajectory.h5", 11);
}

// A restart whose campaign changed a setting that decided the run so far is refused, naming the
// checkpoint, the changed keys and both values; output settings may change.
TEST(Restart, ChangedSettingsAreRefusedWithTheDifferences) {
  RestartScratch dir("changed");
  const std::string out = dir.file("out");
  const std::string stages =
      "[[stage]]\nensemble = \"nvt_nose_hoover\"\ntemperature = 2500\nsteps = 40\n"
      "[[stage]]\nensemble = \"nve\"\nsteps = 20\n";
  RunOptions stop;
  stop.max_steps = 20;
  ASSERT_FALSE(run_in_process(bks_campaign(out, stages), dir.path(), stop).completed);
  const std::string ck = out + "/checkpoint.h5";
  // Copy the checkpoint: a refused restart must leave it alone, and the last test continues it.
  std::filesystem::copy_file(ck, dir.file("saved.h5"));
  RunOptions o;
  o.restart_file = dir.file("saved.h5");
  auto refused = [&](const std::string& text, std::vector<std::string> expected) {
    try {
      run_in_process(text, dir.path(), o);
      ADD_FAILURE() << "restart was accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(o.restart_file), std::string::npos) << msg;
      for (const auto& x : expected) EXPECT_NE(msg.find(x), std::string::npos) << x << "\n" << msg;
    }
  };
  std::string t = bks_campaign(out, stages);
  refused(std::string(t).replace(t.find("temperature = 2500\nsteps"), 18, "temperature = 2400"),
          {"stage[1].temperature_from: 2500 -> 2400", "stage[1].temperature_to"});
  refused(std::string(t).replace(t.find("seed = 7"), 8, "seed = 8"), {"md.seed: 7 -> 8"});
  refused(std::string(t).replace(t.find("timestep_fs = 1.0"), 17, "timestep_fs = 0.5"),
          {"stage[1].timestep_fs: 1 -> 0.5"});
  refused(std::string(t).replace(t.find("n_atoms = 96"), 12, "n_atoms = 99"),
          {"structure.generate:", "n_atoms = 96", "n_atoms = 99"});
  // A different potential (path changes are allowed) is caught by the forces at the checkpoint.
  {
    std::string ttam = t;
    ttam.replace(ttam.find("SiO2-BKS.toml"), 13, "SiO2-TTAM.toml");
    refused(ttam, {"other forces"});
  }
  // Allowed: output settings, later stages; the run then completes.
  std::string ok = t;
  ok.replace(ok.find("thermo_every = 10"), 17, "thermo_every = 5");
  ok.replace(ok.find("steps = 20\n"), 11, "steps = 30\n");  // the later NVE stage
  const RunSummary r = run_in_process(ok, dir.path(), o);
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.steps, 50);
}

// Why the restart is exact: the forces of a fresh engine at the checkpointed positions (a new
// neighbor list) differ in their last bits from the run's; replaying the recorded last rebuild
// (Engine::restore) gives the run's forces exactly. And a restart with another skin (allowed,
// "not bit for bit") does drift apart in the last bits: the comparisons above can see it.
TEST(Restart, ReplayingTheLastRebuildIsWhatMakesItBitForBit) {
  RestartScratch dir("replay");
  const std::string out = dir.file("out");
  const std::string stage = "[[stage]]\nensemble = \"nve\"\nsteps = 200\n";
  RunOptions stop;
  stop.max_steps = 97;
  ASSERT_FALSE(run_in_process(bks_campaign(out, stage), dir.path(), stop).completed);
  const Checkpoint ck = read_checkpoint(out + "/checkpoint.h5");
  BitDiff moved;  // the last rebuild was steps ago: the list is not one built now
  moved.add(ck.rebuild.positions, ck.system.positions);
  ASSERT_GT(moved.differ, 0);
  auto ff = load_force_field(test::source_dir() + "/configs/potentials/SiO2-BKS.toml", Backend::Cpu,
                             Precision::Double, 1.0, 1.0);
  const EngineOptions opt{1.0, 1e5, 0.3};
  Engine fresh(ck.system, *ff, opt);
  BitDiff d_fresh;
  d_fresh.add(fresh.system().forces, ck.system.forces);
  EXPECT_GT(d_fresh.differ, 0) << "a fresh neighbor list happened to give the same bits";
  EXPECT_LT(d_fresh.max_abs, 1e-9);  // the same physics, summed in another order
  Engine replayed(ck.system, *ff, opt);
  replayed.restore(ck.system, ck.rebuild);
  BitDiff d_replay;
  d_replay.add(replayed.system().forces, ck.system.forces);
  EXPECT_EQ(d_replay.differ, 0) << "max " << d_replay.max_abs;
  BitDiff same_positions;
  same_positions.add(replayed.system().positions, ck.system.positions);
  EXPECT_EQ(same_positions.differ, 0);

  // Another skin: the run continues (noted), and ends a few bits away from the exact one.
  ASSERT_TRUE(run_in_process(bks_campaign(dir.file("a"), stage), dir.path()).completed);
  std::string other = bks_campaign(out, stage);
  other.replace(other.find("remove_drift_every"), 0, "skin = 0.8\n");
  RunOptions o;
  o.restart_file = out + "/checkpoint.h5";
  ASSERT_TRUE(run_in_process(other, dir.path(), o).completed);
  const Checkpoint a = read_checkpoint(dir.file("a") + "/checkpoint.h5");
  const Checkpoint b = read_checkpoint(out + "/checkpoint.h5");
  BitDiff d;
  d.add(a.system.positions, b.system.positions);
  EXPECT_GT(d.differ, 0);
  EXPECT_LT(d.max_abs, 1e-6);
}

}  // namespace
}  // namespace vitrum::md
