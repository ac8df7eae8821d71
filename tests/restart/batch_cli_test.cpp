// `vitrum run` as a batch job, the real binary as a child process: SIGTERM or SIGUSR1 in the
// middle of a stage gives exit status 75, a valid checkpoint inside the stage, and an H5MD
// trajectory that h5py and MDAnalysis (Debian's /usr/bin/python3) open; --restart then completes
// the campaign with every frame and thermo line exactly once; --max-walltime stops in time;
// corrupt checkpoints and trajectories end with status 1 and the file named, never a crash.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "restart_test_util.hpp"
#include "vitrum/io/h5md.hpp"
#include "vitrum/md/batch_control.hpp"
#include "vitrum/md/checkpoint.hpp"

namespace vitrum::md {
namespace {

using test::RestartScratch;
using test::VitrumProcess;

constexpr const char* kPython = "/usr/bin/python3";

/// Runs a Python check with Debian's python3; returns its exit status.
int python(const std::string& dir, const std::string& script, const std::string& arg) {
  const std::string file = dir + "/check.py";
  test::write_text(file, script);
  const std::string cmd =
      std::string(kPython) + " " + file + " " + arg + " > " + dir + "/python.log 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/// Steps in the first column of the thermo CSV (header skipped).
std::vector<long> thermo_steps(const std::string& csv) {
  std::vector<long> steps;
  const auto lines = test::lines_of(csv);
  for (std::size_t k = 1; k < lines.size(); ++k) steps.push_back(std::atol(lines[k].c_str()));
  return steps;
}

std::vector<long> every_tenth(long last) {
  std::vector<long> v;
  for (long s = 0; s <= last; s += 10) v.push_back(s);
  return v;
}

constexpr long kSteps = 2000;

std::string long_campaign(const std::string& out) {
  return test::bks_campaign(out,
                            "[[stage]]\nname = \"melt\"\nensemble = \"nvt_langevin\"\n"
                            "temperature = 2500\nsteps = " +
                                std::to_string(kSteps) + "\n");
}

class BatchSignal : public ::testing::TestWithParam<int> {};

TEST_P(BatchSignal, MidStageStopLeavesCheckpointTrajectoryAndRestartCompletes) {
  const int sig = GetParam();
  RestartScratch dir(sig == SIGTERM ? "sigterm" : "sigusr1");
  const std::string out = dir.file("out"), cfg = dir.file("c.toml");
  test::write_text(cfg, long_campaign(out));
  const std::string log = dir.file("run.log");
  VitrumProcess p({"run", cfg, "--threads", "1"}, log);
  // Signal once the run is well inside the stage (the thermo CSV has reached step 30).
  const auto t0 = std::chrono::steady_clock::now();
  while (p.running() && thermo_steps(out + "/thermo.csv").size() < 4 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(300))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(p.running()) << "the run ended before the signal:\n" << test::read_text(log);
  p.signal(sig);
  const int rc = p.wait();
  const std::string text = test::read_text(log);
  ASSERT_EQ(rc, kExitCheckpointed) << text;
  EXPECT_NE(text.find(std::string("stopped by ") + (sig == SIGTERM ? "SIGTERM" : "SIGUSR1")),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("--restart " + out + "/checkpoint.h5"), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(out + "/final.xyz"));  // not finished

  const Checkpoint ck = read_checkpoint(out + "/checkpoint.h5");
  const long stop = ck.system.step;
  EXPECT_GE(stop, 30);
  EXPECT_LT(stop, kSteps);
  EXPECT_EQ(ck.stage, 0);
  EXPECT_EQ(ck.step_in_stage, stop);
  EXPECT_EQ(ck.ensemble, "nvt_langevin");
  EXPECT_EQ(ck.n_atoms_total, 96);
  // The trajectory is closed and complete up to the stop; h5py and MDAnalysis read it.
  const std::string check = R"(
import sys, h5py, numpy as np
path, last = sys.argv[1], int(sys.argv[2])
f = h5py.File(path, "r")
assert list(f["h5md"].attrs["version"]) == [1, 1]
steps = list(f["particles/all/position/step"][:])
assert steps == list(range(0, last + 1, 10)), (steps[:3], steps[-3:], last)
T = len(steps)
for name in ("position", "velocity", "force"):
    v = f["particles/all/" + name + "/value"]
    assert v.shape == (T, 96, 3), (name, v.shape)
    assert np.all(np.isfinite(v[:])), name
assert f["particles/all/box/edges/value"].shape == (T, 3, 3)
assert sorted(set(f["particles/all/species"][:])) == [8, 14]
from MDAnalysis.coordinates.H5MD import H5MDReader
r = H5MDReader(path, convert_units=False)
assert r.n_frames == T and r.n_atoms == 96, (r.n_frames, r.n_atoms)
assert np.allclose(r[T - 1].positions, f["particles/all/position/value"][T - 1], atol=1e-4)
print("ok", T)
)";
  EXPECT_EQ(python(dir.path(), check, out + "/trajectory.h5 " + std::to_string(stop / 10 * 10)), 0)
      << test::read_text(dir.file("python.log"));

  // Continue: the campaign completes; every frame and thermo line is there exactly once.
  const int rc2 = test::run_binary(
      {"run", cfg, "--restart", out + "/checkpoint.h5", "--threads", "1"}, dir.file("restart.log"));
  ASSERT_EQ(rc2, 0) << test::read_text(dir.file("restart.log"));
  EXPECT_NE(test::read_text(dir.file("restart.log")).find("reproduced bit for bit"),
            std::string::npos);
  EXPECT_EQ(read_checkpoint(out + "/checkpoint.h5").system.step, kSteps);
  const auto frames = io::read_h5md(out + "/trajectory.h5");
  std::vector<long> steps;
  for (const auto& fr : frames) steps.push_back(fr.step);
  EXPECT_EQ(steps, every_tenth(kSteps));
  EXPECT_EQ(thermo_steps(out + "/thermo.csv"), every_tenth(kSteps));
  EXPECT_TRUE(std::filesystem::exists(out + "/final.xyz"));
}

INSTANTIATE_TEST_SUITE_P(Signals, BatchSignal, ::testing::Values(SIGTERM, SIGUSR1),
                         [](const auto& info) {
                           return std::string(info.param == SIGTERM ? "SIGTERM" : "SIGUSR1");
                         });

TEST(BatchCli, MaxWalltimeStopsWithinTheBudget) {
  RestartScratch dir("walltime");
  const std::string out = dir.file("out"), cfg = dir.file("c.toml");
  test::write_text(cfg,
                   test::bks_campaign(out, "[[stage]]\nensemble = \"nve\"\nsteps = 100000000\n"));
  const double budget = 4.0;
  VitrumProcess p({"run", cfg, "--threads", "1", "--max-walltime", "00:00:04"}, dir.file("log"));
  const int rc = p.wait();
  const std::string text = test::read_text(dir.file("log"));
  ASSERT_EQ(rc, kExitCheckpointed) << text;
  EXPECT_NE(text.find("wall-time budget"), std::string::npos) << text;
  // Process start to exit, measured outside: within the budget, and not absurdly early.
  EXPECT_LT(p.elapsed(), budget) << text;
  EXPECT_GT(p.elapsed(), 0.5 * budget) << text;
  const Checkpoint ck = read_checkpoint(out + "/checkpoint.h5");
  EXPECT_GT(ck.system.step, 0);
  EXPECT_EQ(io::read_h5md(out + "/trajectory.h5").back().step, ck.system.step / 10 * 10);
}

TEST(BatchCli, CorruptCheckpointOrTrajectoryEndsWithStatusOneAndTheFileNamed) {
  RestartScratch dir("cli_corrupt");
  const std::string out = dir.file("out"), cfg = dir.file("c.toml");
  test::write_text(cfg, test::bks_campaign(out, "[[stage]]\nensemble = \"nve\"\nsteps = 40\n"));
  ASSERT_EQ(test::run_binary({"run", cfg, "--threads", "1", "--max-steps", "20"}, dir.file("a")),
            kExitCheckpointed)
      << test::read_text(dir.file("a"));
  const std::string ck = out + "/checkpoint.h5", bad = dir.file("bad.h5");
  std::filesystem::copy_file(ck, bad);
  std::filesystem::resize_file(bad, std::filesystem::file_size(bad) * 2 / 3);
  EXPECT_EQ(test::run_binary({"run", cfg, "--restart", bad}, dir.file("b")), 1);
  EXPECT_NE(test::read_text(dir.file("b")).find(bad), std::string::npos)
      << test::read_text(dir.file("b"));
  // A corrupt trajectory to continue: refused before any step, the checkpoint untouched.
  const std::string traj = out + "/trajectory.h5";
  std::filesystem::resize_file(traj, std::filesystem::file_size(traj) / 2);
  EXPECT_EQ(test::run_binary({"run", cfg, "--restart", ck}, dir.file("c")), 1);
  const std::string text = test::read_text(dir.file("c"));
  EXPECT_NE(text.find(traj), std::string::npos) << text;
  EXPECT_NE(text.find("move it away"), std::string::npos) << text;
  EXPECT_EQ(read_checkpoint(ck).system.step, 20);
  // vitrum analyze on the truncated trajectory.
  EXPECT_EQ(test::run_binary({"analyze", traj, "--rdf", "-o", dir.file("ana")}, dir.file("d")), 1);
  EXPECT_NE(test::read_text(dir.file("d")).find(traj), std::string::npos)
      << test::read_text(dir.file("d"));
  // After moving the trajectory away the restart completes (a new trajectory from step 20).
  std::filesystem::rename(traj, dir.file("old.h5"));
  ASSERT_EQ(test::run_binary({"run", cfg, "--restart", ck}, dir.file("e")), 0)
      << test::read_text(dir.file("e"));
  const auto frames = io::read_h5md(traj);
  ASSERT_EQ(frames.size(), 2u);  // steps 30 and 40
  EXPECT_EQ(frames.front().step, 30);
}

// The Slurm templates, run by bash with stand-ins for srun, squeue, scontrol, sbatch and scancel
// (no Slurm here): the job script continues from the checkpoint, requeues itself on status 75,
// forwards SIGUSR1 to the ranks, and the chain script submits afterany dependencies.
class SlurmTemplates : public ::testing::Test {
 protected:
  void SetUp() override {
    stubs_ = dir_.file("stubs");
    std::filesystem::create_directories(stubs_);
    stub("srun", "while [[ $1 == -* ]]; do shift; done\nexec \"$@\"\n");
    stub("squeue", "echo 10:00\n");
    stub("scontrol", "echo \"scontrol $*\" >> " + log() + "\n");
    stub("scancel", "echo \"scancel $*\" >> " + log() + "\n");
    stub("sbatch", "n=$(( $(cat " + stubs_ + "/n 2>/dev/null || echo 1000) + 1 ))\necho $n > " +
                       stubs_ + "/n\necho \"sbatch $*\" >> " + log() + "\necho \"$n;cluster\"\n");
  }
  void stub(const std::string& name, const std::string& body) {
    const std::string f = stubs_ + "/" + name;
    test::write_text(f, "#!/bin/bash\n" + body);
    std::filesystem::permissions(f, std::filesystem::perms::owner_all);
  }
  std::string log() const { return dir_.file("slurm.log"); }
  /// The environment prefix of a script run.
  std::string env(const std::string& extra) const {
    return "env PATH=" + stubs_ + ":/usr/bin:/bin VITRUM=" + test::vitrum_binary() +
           " SLURM_JOB_ID=4242 " + extra + " ";
  }
  int bash(const std::string& cmd, const std::string& out) const {
    const int rc = std::system((cmd + " > " + out + " 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::string script(const std::string& name) const {
    return test::source_dir() + "/scripts/slurm/" + name;
  }

  RestartScratch dir_{"slurm"};
  std::string stubs_;
};

TEST_F(SlurmTemplates, JobScriptRequeuesOnStatus75AndContinuesFromTheCheckpoint) {
  const std::string out = dir_.file("out"), cfg = dir_.file("c.toml");
  test::write_text(cfg, test::bks_campaign(out, "[[stage]]\nensemble = \"nve\"\nsteps = 40\n"));
  const std::string job = "bash " + script("vitrum-job.sbatch") + " " + cfg + " " + out;
  // First job: stopped after 20 steps (as by the time limit), requeued.
  EXPECT_EQ(bash(env("VITRUM_ARGS='--max-steps 20 --threads 1'") + job, dir_.file("job1")), 75)
      << test::read_text(dir_.file("job1"));
  EXPECT_NE(test::read_text(log()).find("scontrol requeue 4242"), std::string::npos);
  EXPECT_NE(test::read_text(dir_.file("job1")).find("--max-walltime 10:00"), std::string::npos);
  EXPECT_EQ(read_checkpoint(out + "/checkpoint.h5").system.step, 20);
  // The requeued job continues from the checkpoint and completes.
  EXPECT_EQ(bash(env("SLURM_RESTART_COUNT=1 VITRUM_ARGS='--threads 1'") + job, dir_.file("job2")),
            0)
      << test::read_text(dir_.file("job2"));
  const std::string text = test::read_text(dir_.file("job2"));
  EXPECT_NE(text.find("--restart " + out + "/checkpoint.h5"), std::string::npos) << text;
  EXPECT_NE(text.find("campaign complete"), std::string::npos) << text;
  EXPECT_EQ(read_checkpoint(out + "/checkpoint.h5").system.step, 40);
}

TEST_F(SlurmTemplates, JobScriptForwardsSigusr1ToTheRanks) {
  const std::string out = dir_.file("out"), cfg = dir_.file("c.toml");
  test::write_text(cfg,
                   test::bks_campaign(out, "[[stage]]\nensemble = \"nve\"\nsteps = 1000000\n"));
  // The job script in the background; signal the script itself, as --signal=B:USR1 does.
  VitrumProcess job(
      "/usr/bin/env",
      {"PATH=" + stubs_ + ":/usr/bin:/bin", "VITRUM=" + test::vitrum_binary(), "SLURM_JOB_ID=4242",
       "VITRUM_ARGS=--threads 1", "bash", script("vitrum-job.sbatch"), cfg, out},
      dir_.file("job"));
  const auto t0 = std::chrono::steady_clock::now();
  while (job.running() && thermo_steps(out + "/thermo.csv").size() < 3 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(300))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(job.running()) << test::read_text(dir_.file("job"));
  job.signal(SIGUSR1);
  EXPECT_EQ(job.wait(), kExitCheckpointed);
  const std::string text = test::read_text(dir_.file("job"));
  EXPECT_NE(text.find("SIGUSR1: asking vitrum to checkpoint"), std::string::npos) << text;
  EXPECT_NE(text.find("stopped by SIGUSR1"), std::string::npos) << text;
  EXPECT_NE(text.find("vitrum exited with status 75"), std::string::npos) << text;
  EXPECT_NE(test::read_text(log()).find("scontrol requeue 4242"), std::string::npos);
  EXPECT_GT(read_checkpoint(out + "/checkpoint.h5").system.step, 0);
}

TEST_F(SlurmTemplates, ChainScriptSubmitsAfteranyDependencies) {
  const std::string out = dir_.file("chain"), cfg = dir_.file("c.toml");
  test::write_text(cfg, "# campaign\n");
  ASSERT_EQ(bash(env("") + "bash " + script("vitrum-chain.sh") + " " + cfg + " " + out +
                     " 3 --time=01:00:00",
                 dir_.file("chain.log")),
            0)
      << test::read_text(dir_.file("chain.log"));
  const auto calls = test::lines_of(log());
  ASSERT_EQ(calls.size(), 3u) << test::read_text(log());
  EXPECT_EQ(calls[0].find("--dependency"), std::string::npos) << calls[0];
  EXPECT_NE(calls[1].find("--dependency=afterany:1001 "), std::string::npos) << calls[1];
  EXPECT_NE(calls[2].find("--dependency=afterany:1002 "), std::string::npos) << calls[2];
  for (const auto& c : calls) {
    EXPECT_NE(c.find("--time=01:00:00"), std::string::npos) << c;
    EXPECT_NE(c.find("vitrum-job.sbatch " + cfg + " " + out), std::string::npos) << c;
    EXPECT_NE(c.find("VITRUM_CHAIN_FILE="), std::string::npos) << c;
  }
  EXPECT_EQ(test::lines_of(out + "/chain.jobs"),
            (std::vector<std::string>{"1001", "1002", "1003"}));
  // A chained job that completes the campaign cancels the rest of the chain.
  const std::string run_out = dir_.file("out"), run_cfg = dir_.file("run.toml");
  test::write_text(run_cfg,
                   test::bks_campaign(run_out, "[[stage]]\nensemble = \"nve\"\nsteps = 10\n"));
  EXPECT_EQ(bash(env("SLURM_JOB_ID=1001 VITRUM_CHAIN_FILE=" + out +
                     "/chain.jobs VITRUM_ARGS='--threads 1'") +
                     "bash " + script("vitrum-job.sbatch") + " " + run_cfg + " " + run_out,
                 dir_.file("job")),
            0)
      << test::read_text(dir_.file("job"));
  const std::string after = test::read_text(log());
  EXPECT_NE(after.find("scancel 1002"), std::string::npos) << after;
  EXPECT_NE(after.find("scancel 1003"), std::string::npos) << after;
  EXPECT_EQ(after.find("scancel 1001"), std::string::npos) << after;
}

}  // namespace
}  // namespace vitrum::md
