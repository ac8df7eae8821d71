// `vitrum run` on the device-resident engine under MPI ([md] engine = "device-emulated" on every
// rank of a domain decomposition), in process on a 192-atom BKS silica cell (Langevin, then
// NVE; thermo, extxyz, collective H5MD and checkpoints): the final state follows the host
// engine's campaign on the same ranks to 1e-12 Å; 100 steps uninterrupted equal 60 steps +
// checkpoint + restart + 40 steps bit for bit; the device engine's checkpoint continues on the
// host engine and the host engine's on the device engine (to 1e-12 Å of the uninterrupted runs);
// steps with nothing due move only scalars host<->device; the emulated HDNNP (ghost forces
// folded on the host) is refused on more than one rank. Run by ctest at 1, 2, 4 and 8 ranks (the
// campaigns at 1, 2 and 4).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../restart/restart_compare.hpp"
#include "mpi_campaign_util.hpp"
#include "vitrum/md/checkpoint.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::md {
namespace {

constexpr int kAtoms = 192;

const char* kStages =
    "[[stage]]\nname = \"hot\"\nensemble = \"nvt_langevin\"\ntemperature = 2500\n"
    "tdamp_fs = 50\nsteps = 50\n"
    "[[stage]]\nname = \"nve\"\nensemble = \"nve\"\nsteps = 50\n";

/// The BKS campaign of tests/restart on kAtoms atoms on `engine`.
std::string campaign(const std::string& out_dir, const std::string& engine) {
  std::string text = test::bks_campaign(out_dir, kStages, "every_minutes = 0\n", kAtoms);
  const std::string md = "[md]\n";
  text.replace(text.find(md), md.size(), md + "engine = \"" + engine + "\"\n");
  return text;
}

double max_difference(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = a.size() == b.size() ? 0.0 : HUGE_VAL;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    for (int k = 0; k < 3; ++k) m = std::max(m, std::fabs(a[i][k] - b[i][k]));
  return m;
}

TEST(DeviceCampaignMpi, FollowsTheHostEngineAndRestartsOnEitherEngine) {
  if (world_size() > 4) GTEST_SKIP() << "runs on 1, 2 and 4 ranks";
  teacher::register_device_teacher_force_field();  // as `vitrum run` does
  SharedScratch dir("device_campaign");
  const std::string host = dir.file("host"), dev = dir.file("dev");
  const RunSummary rh = run_collective(campaign(host, "host"), dir.file("host.toml"));
  const RunSummary rd = run_collective(campaign(dev, "device-emulated"), dir.file("dev.toml"));
  ASSERT_TRUE(rh.completed);
  ASSERT_TRUE(rd.completed);
  ASSERT_EQ(rd.steps, 100);
  EXPECT_FALSE(rh.transfers.device);
  ASSERT_TRUE(rd.transfers.device);
  // Steps with nothing due (no rebuild, no output reading atoms) move only scalars.
  EXPECT_GT(rd.transfers.scalar_steps, 20);
  EXPECT_LE(rd.transfers.scalar_max_bytes, 400u);
  const Checkpoint ch = read_checkpoint(host + "/checkpoint.h5");
  const Checkpoint cd = read_checkpoint(dev + "/checkpoint.h5");
  ASSERT_EQ(cd.system.size(), kAtoms);
  EXPECT_EQ(cd.writer_ranks, world_size());
  EXPECT_EQ(cd.domain_grid, ch.domain_grid);
  EXPECT_LT(max_difference(ch.system.positions, cd.system.positions), 1e-12);
  EXPECT_LT(max_difference(ch.system.velocities, cd.system.velocities), 1e-12);
  EXPECT_EQ(ch.system.image, cd.system.image);
  EXPECT_NEAR(ch.system.potential_energy, cd.system.potential_energy,
              1e-11 * std::fabs(ch.system.potential_energy));

  // 60 steps, checkpoint, restart: on the device engine (bit for bit) and on the host engine.
  const std::string b = dir.file("b"), c = dir.file("c"), e = dir.file("e");
  RunOptions first;
  first.max_steps = 60;
  ASSERT_FALSE(run_collective(campaign(b, "device-emulated"), dir.file("b.toml"), first).completed);
  ASSERT_FALSE(run_collective(campaign(e, "host"), dir.file("e.toml"), first).completed);
  if (world_rank() == 0) {
    std::filesystem::copy(b, c);  // the same checkpoint, continued on the host engine
    std::filesystem::remove(c + "/checkpoint.h5");
    std::filesystem::copy_file(b + "/checkpoint.h5", c + "/checkpoint.h5");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  RunOptions again;
  again.restart_file = b + "/checkpoint.h5";
  const RunSummary rb = run_collective(campaign(b, "device-emulated"), dir.file("b.toml"), again);
  again.restart_file = c + "/checkpoint.h5";
  const RunSummary rc = run_collective(campaign(c, "host"), dir.file("c.toml"), again);
  again.restart_file = e + "/checkpoint.h5";
  const RunSummary re = run_collective(campaign(e, "device-emulated"), dir.file("e.toml"), again);
  ASSERT_TRUE(rb.completed && rc.completed && re.completed);
  EXPECT_EQ(rb.steps, 40);
  const Checkpoint cb = read_checkpoint(b + "/checkpoint.h5");
  test::expect_same_state(cd, cb);
  EXPECT_EQ(test::thermo_without_rate(dev + "/thermo.csv"),
            test::thermo_without_rate(b + "/thermo.csv"));
  EXPECT_EQ(test::read_text(dev + "/trajectory.xyz"), test::read_text(b + "/trajectory.xyz"));
  const Checkpoint cc = read_checkpoint(c + "/checkpoint.h5");
  const Checkpoint ce = read_checkpoint(e + "/checkpoint.h5");
  EXPECT_EQ(cc.system.step, 100);
  EXPECT_EQ(ce.system.step, 100);
  EXPECT_LT(max_difference(cd.system.positions, cc.system.positions), 1e-12) << "device -> host";
  EXPECT_LT(max_difference(ch.system.positions, ce.system.positions), 1e-12) << "host -> device";
}

// The water HDNNP runs on the emulated device as the host evaluator, which folds forces on ghosts
// onto local atoms: on one rank it is accepted, on several it is refused naming the key.
TEST(DeviceCampaignMpi, ForceFieldsNeedingGhostForcesStayOnOneRank) {
  if (world_size() == 1) GTEST_SKIP() << "needs more than one rank (one rank: tests/md)";
  SharedScratch dir("device_hdnnp");
  RunConfig c = parse_run_config(test::source_dir() + "/configs/h2o_nve.toml");
  c.engine = MdEngineKind::DeviceEmulated;
  RunOptions o;
  o.quiet = true;
  o.threads = 1;
  o.output_directory = dir.path();
  try {
    run_campaign(c, o);
    FAIL() << "the emulated HDNNP was accepted on " << world_size() << " ranks";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("h2o_nve.toml: [md] engine = \"device-emulated\""), std::string::npos)
        << what;
    EXPECT_NE(what.find("ghost forces"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace vitrum::md
