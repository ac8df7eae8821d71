// `vitrum run` on the device-resident engine ([md] engine = "device-emulated": md::DeviceEngine
// on the emulated device, the BKS teacher's device kernel): a three-stage campaign (Langevin,
// Nosé–Hoover, NVE) writes the host engine's thermo CSV and extxyz trajectory, a restart from
// its checkpoint continues the same way, steps with nothing due move only scalars between host
// and device (a bound independent of N), and an output step moves only the arrays its
// operations asked for.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "../teacher/teacher_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum {
namespace {

std::string fresh_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("vitrum_campaign_device_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

std::string campaign_text(const std::string& out, const std::string& engine, int atoms,
                          const std::string& extra = "") {
  return R"(
[structure.generate]
builder = "amorphous"
composition = { Si = 1, O = 2 }
n_atoms = )" +
         std::to_string(atoms) +
         R"(
density = 2.2
min_distances = { Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }
[potential]
path = ")" +
         test::bks_path() +
         R"("
[md]
timestep_fs = 1.0
seed = 77
remove_drift_every = 15
engine = ")" +
         engine +
         R"("
[velocities]
temperature = 3000.0
[output]
directory = ")" +
         out +
         R"("
thermo_every = 5
trajectory_every = 10
trajectory_forces = true
trajectory_unwrapped = false
progress = false
[checkpoint]
every_steps = 25
)" + extra +
         R"(
[[stage]]
name = "hot"
ensemble = "nvt_langevin"
temperature = 3000.0
tdamp_fs = 20.0
steps = 20
[[stage]]
name = "cool"
ensemble = "nvt_nose_hoover"
temperature = { from = 3000.0, to = 2000.0 }
tdamp_fs = 50.0
steps = 20
[[stage]]
name = "nve"
ensemble = "nve"
steps = 20
)";
}

struct CampaignRun {
  std::string dir;
  md::RunSummary summary;
};

CampaignRun run(const std::string& name, const std::string& engine, int atoms = 96,
                const std::string& restart = "", long max_steps = 0) {
  CampaignRun r;
  r.dir = restart.empty() ? fresh_dir(name) : name;
  const auto c =
      md::parse_run_config_text(campaign_text(r.dir, engine, atoms), r.dir + "/c.toml", r.dir);
  md::RunOptions o;
  o.quiet = true;
  o.restart_file = restart;
  o.max_steps = max_steps;
  o.record_transfers = true;
  teacher::register_device_teacher_force_field();  // as `vitrum run` does
  r.summary = md::run_campaign(c, o);
  return r;
}

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// The thermo CSV without the wall-clock column (atom_steps_per_s, the 11th).
std::vector<std::string> thermo_rows(const std::string& dir) {
  std::vector<std::string> rows;
  std::istringstream in(read(dir + "/thermo.csv"));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cols;
    std::stringstream ls(line);
    for (std::string col; std::getline(ls, col, ',');) cols.push_back(col);
    if (cols.size() < 12) {
      ADD_FAILURE() << "short thermo row: " << line;
      continue;
    }
    cols.erase(cols.begin() + 10);
    std::string row;
    for (const auto& col : cols) row += col + ",";
    rows.push_back(row);
  }
  return rows;
}

/// The numbers of the thermo CSV rows (step .. density; the wall-clock rate and stage left out).
std::vector<std::vector<double>> thermo_numbers(const std::string& dir) {
  std::vector<std::vector<double>> rows;
  const auto text = thermo_rows(dir);
  for (std::size_t r = 1; r < text.size(); ++r) {
    std::vector<double> v;
    std::stringstream ls(text[r]);
    std::string col;
    for (int k = 0; k < 10 && std::getline(ls, col, ','); ++k) v.push_back(std::stod(col));
    rows.push_back(v);
  }
  return rows;
}

double max_difference(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    for (int k = 0; k < 3; ++k) m = std::max(m, std::fabs(a[i][k] - b[i][k]));
  return m;
}

// The device teacher kernel sums each atom's pairs over the full list in the device list's
// order (atoms reordered along the Morton curve at every rebuild) and its energy in block
// reductions; the host teacher sums in its own order. So the runs agree to round-off, not bit
// for bit (bit for bit is the restart below: the same engine on both sides).
TEST(CampaignDevice, EmulatedDeviceWritesTheHostEnginesFilesToRoundOff) {
  const CampaignRun host = run("host", "host");
  const CampaignRun dev = run("device", "device-emulated");
  EXPECT_FALSE(host.summary.transfers.device);
  ASSERT_TRUE(dev.summary.transfers.device);
  EXPECT_EQ(dev.summary.steps, 60);
  EXPECT_GT(dev.summary.rebuilds, 2);
  EXPECT_EQ(dev.summary.rebuilds, host.summary.rebuilds);
  const auto a = thermo_numbers(host.dir), b = thermo_numbers(dev.dir);
  ASSERT_EQ(a.size(), 13u);  // steps 0, 5, ..., 60 (the stages end at 20, 40, 60)
  ASSERT_EQ(b.size(), a.size());
  for (std::size_t r = 0; r < a.size(); ++r) {
    ASSERT_EQ(a[r].size(), 10u);
    ASSERT_EQ(b[r].size(), 10u);
    for (int k = 0; k < 10; ++k)
      EXPECT_NEAR(a[r][k], b[r][k], 1e-12 * std::max(1.0, std::fabs(a[r][k])))
          << "thermo row " << r << " column " << k;
  }
  EXPECT_EQ(thermo_rows(host.dir).front(), thermo_rows(dev.dir).front());  // the header
  const auto ta = io::read_structures(host.dir + "/trajectory.xyz");
  const auto tb = io::read_structures(dev.dir + "/trajectory.xyz");
  ASSERT_EQ(ta.size(), 6u);  // steps 10, 20, ..., 60
  ASSERT_EQ(tb.size(), ta.size());
  for (std::size_t f = 0; f < ta.size(); ++f) {
    EXPECT_EQ(ta[f].species, tb[f].species);
    EXPECT_EQ(ta[f].info.at("step"), tb[f].info.at("step"));
    EXPECT_LT(max_difference(ta[f].positions, tb[f].positions), 1e-12) << "frame " << f;
    EXPECT_LT(max_difference(ta[f].velocities, tb[f].velocities), 1e-14) << "frame " << f;
    EXPECT_LT(max_difference(ta[f].forces, tb[f].forces), 1e-10) << "frame " << f;
  }
  const auto fa = io::read_structures(host.dir + "/final.xyz");
  const auto fb = io::read_structures(dev.dir + "/final.xyz");
  ASSERT_EQ(fa.size(), 1u);
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_LT(max_difference(fa[0].positions, fb[0].positions), 1e-12);
}

TEST(CampaignDevice, RestartFromTheCheckpointContinuesTheSameWay) {
  const CampaignRun whole = run("whole", "device-emulated");
  // Stops after 30 steps (inside the second stage) with a checkpoint, then continues from it.
  CampaignRun part = run("part", "device-emulated", 96, "", 30);
  ASSERT_FALSE(part.summary.completed);
  const CampaignRun rest = run(part.dir, "device-emulated", 96, part.summary.checkpoint);
  EXPECT_TRUE(rest.summary.completed);
  EXPECT_EQ(rest.summary.steps, 30);
  EXPECT_EQ(thermo_rows(whole.dir), thermo_rows(part.dir));
  EXPECT_EQ(read(whole.dir + "/trajectory.xyz"), read(part.dir + "/trajectory.xyz"));
  EXPECT_EQ(read(whole.dir + "/final.xyz"), read(part.dir + "/final.xyz"));
}

const std::set<std::string> kAtomArrays = {"positions", "velocities", "forces", "image",
                                           "origin",    "mass",       "id",     "species"};

TEST(CampaignDevice, StepsWithNothingDueMoveOnlyScalars) {
  std::size_t per_step[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const CampaignRun r = run("ledger" + std::to_string(i), "device-emulated", i == 0 ? 96 : 384);
    const md::TransferStats& t = r.summary.transfers;
    ASSERT_EQ(t.log.size(), 60u);
    EXPECT_EQ(t.steps, 60);
    long scalar = 0;
    for (const auto& s : t.log) {
      if (s.arrays != 0 || s.rebuild) continue;
      ++scalar;
      std::size_t bytes = 0;
      for (const auto& [name, b] : s.bytes) {
        EXPECT_EQ(kAtomArrays.count(name), 0u) << name << " moved at step " << s.step;
        bytes += b;
      }
      EXPECT_LE(bytes, 400u) << "step " << s.step;
      per_step[i] = std::max(per_step[i], bytes);
    }
    EXPECT_GT(scalar, 20);
    EXPECT_EQ(scalar, t.scalar_steps);
    EXPECT_EQ(per_step[i], t.scalar_max_bytes);
  }
  EXPECT_GT(per_step[0], 0u);
  EXPECT_EQ(per_step[0], per_step[1]);  // independent of N (96 and 384 atoms)
}

TEST(CampaignDevice, AnOutputStepMovesOnlyTheArraysItsOperationsAskFor) {
  const CampaignRun r = run("arrays", "device-emulated");
  const unsigned snapshot = md::kHostPositions | md::kHostVelocities | md::kHostForces;
  int snapshots = 0, checkpoints = 0, thermo_only = 0;
  for (const auto& s : r.summary.transfers.log) {
    if (s.rebuild) continue;  // a rebuild may move the image list
    auto moved = [&](const char* name) { return s.bytes.count(name) != 0; };
    if (s.step % 25 == 0) {  // a checkpoint: the whole state
      ++checkpoints;
      EXPECT_EQ(s.arrays, static_cast<unsigned>(md::kHostAll));
      EXPECT_TRUE(moved("positions") && moved("velocities") && moved("forces") && moved("image"));
    } else if (s.step % 10 == 0) {  // a trajectory frame (with forces, wrapped positions)
      ++snapshots;
      EXPECT_EQ(s.arrays, snapshot) << "step " << s.step;
      EXPECT_TRUE(moved("positions") && moved("velocities") && moved("forces")) << s.step;
      EXPECT_FALSE(moved("image")) << "step " << s.step;
    } else {  // a thermo line or nothing: scalars only
      if (s.step % 5 == 0) ++thermo_only;
      EXPECT_EQ(s.arrays, 0u) << "step " << s.step;
      for (const auto& [name, b] : s.bytes)
        EXPECT_EQ(kAtomArrays.count(name), 0u) << name << " moved at step " << s.step;
    }
  }
  EXPECT_GT(snapshots, 0);
  EXPECT_GT(checkpoints, 0);
  EXPECT_GT(thermo_only, 0);
}

TEST(CampaignDevice, UnsupportedCombinationsNameTheKey) {
  const std::string dir = fresh_dir("errors");
  std::string text = campaign_text(dir, "device-emulated", 48);
  text += "[[stage]]\nname = \"relax\"\nensemble = \"minimize_fire\"\nsteps = 5\n";
  const auto c = md::parse_run_config_text(text, dir + "/c.toml", dir);
  md::RunOptions o;
  o.quiet = true;
  try {
    md::run_campaign(c, o);
    FAIL() << "a FIRE stage on the device engine was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[md] engine = \"device-emulated\""), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("relax"), std::string::npos) << e.what();
  }
  EXPECT_THROW(md::parse_run_config_text(campaign_text(dir, "gpu", 48), dir + "/c.toml", dir),
               Error);
}

}  // namespace
}  // namespace vitrum
