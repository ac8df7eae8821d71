// Reference data from the engine: a `vitrum run` campaign with [output] dataset_every writes n2p2
// input.data frames whose energies and forces are the teacher's at the written positions, flags
// them train/test by seed and step, continues its file after a restart, and `vitrum train`
// honours the flags and the frames' unit tags.
#include "vitrum/md/dataset_output.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../teacher/teacher_test_util.hpp"
#include "train_test_util.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/train/train_config.hpp"

namespace vitrum {
namespace {

long step_of(const Structure& s) {
  const auto p = s.comment.find(" step=");
  return p == std::string::npos ? -1 : std::stol(s.comment.substr(p + 6));
}

/// A short BKS campaign: 10 steps of Langevin relaxation without frames, 20 NVE steps with a frame
/// every 5 steps.
std::string campaign_text(const std::string& out, double test_fraction) {
  return R"(
[structure.generate]
builder = "amorphous"
composition = { Si = 1, O = 2 }
n_atoms = 48
density = 2.2
min_distances = { Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }
[potential]
path = ")" +
         test::bks_path() +
         R"("
[md]
timestep_fs = 0.5
seed = 77
[velocities]
temperature = 2000.0
[output]
directory = ")" +
         out +
         R"("
thermo_every = 0
progress = false
dataset_every = 5
dataset_test_fraction = )" +
         std::to_string(test_fraction) + R"(
[[stage]]
ensemble = "nvt_langevin"
temperature = 2000.0
tdamp_fs = 20.0
steps = 10
dataset_every = 0
[[stage]]
ensemble = "nve"
steps = 20
)";
}

std::string run(const std::string& name, double test_fraction) {
  const std::string dir = test::fresh_dir(name);
  const auto c = md::parse_run_config_text(campaign_text(dir, test_fraction), dir + "/c.toml", dir);
  md::RunOptions o;
  o.quiet = true;
  md::run_campaign(c, o);
  return dir;
}

TEST(DatasetOutput, FramesHoldTheTeachersEnergiesAndForcesAndASeededSplit) {
  const std::string dir = run("dataset_frames", 0.5);
  const auto frames = io::read_n2p2_data(dir + "/dataset.data");
  ASSERT_EQ(frames.size(), 4u);  // steps 15, 20, 25, 30 (none in the first stage)
  auto bks = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  int n_test = 0;
  for (size_t k = 0; k < frames.size(); ++k) {
    const Structure& s = frames[k];
    EXPECT_EQ(step_of(s), 15 + 5 * static_cast<long>(k));
    EXPECT_NE(s.comment.find("energy_unit=eV length_unit=angstrom"), std::string::npos);
    EXPECT_EQ(s.set, md::dataset_frame_is_test(77, step_of(s), 0.5) ? "test" : "train");
    n_test += s.set == "test";
    ASSERT_TRUE(s.has_energy);
    ASSERT_EQ(s.size(), 48u);
    for (const auto& p : s.positions) {  // wrapped into the cubic cell
      const Vec3 f = s.box.to_fractional(p);
      EXPECT_TRUE(f.x >= 0 && f.x < 1 && f.y >= 0 && f.y < 1 && f.z >= 0 && f.z < 1);
    }
    const auto ref = test::evaluate(*bks, s);
    EXPECT_NEAR(s.energy, ref.energy, 1e-10 * std::abs(ref.energy));
    double fmax = 0, dmax = 0;
    for (size_t i = 0; i < s.size(); ++i)
      for (int x = 0; x < 3; ++x) {
        fmax = std::max(fmax, std::abs(ref.forces[i][x]));
        dmax = std::max(dmax, std::abs(ref.forces[i][x] - s.forces[i][x]));
      }
    EXPECT_GT(fmax, 0.1);
    EXPECT_LT(dmax, 1e-10 * fmax) << "frame " << k;
  }
  // The hash split: over many steps the fraction comes out near the target.
  int hits = 0;
  for (long step = 1; step <= 20000; ++step) hits += md::dataset_frame_is_test(77, step, 0.1);
  EXPECT_NEAR(hits / 20000.0, 0.1, 0.01);
  std::printf("  %zu frames, %d flagged test\n", frames.size(), n_test);
}

TEST(DatasetOutput, RestartKeepsTheFramesUpToItsStep) {
  const std::string dir = run("dataset_restart", 0.1);
  const std::string path = dir + "/dataset.data";
  {
    md::DatasetWriter w(path, "c.toml", 77, 0.1, 22);  // a checkpoint at step 22
  }
  const auto kept = io::read_n2p2_data(path);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(step_of(kept.back()), 20);
  // A new file without a restart.
  { md::DatasetWriter w(path, "c.toml", 77, 0.1); }
  std::ifstream in(path);
  EXPECT_EQ(in.peek(), std::char_traits<char>::eof());
}

TEST(DatasetOutput, ConfigKeysAreCheckedAndDocumented) {
  auto parse = [](const std::string& output) -> std::string {
    try {
      md::parse_run_config_text(
          "[structure]\nfile = \"x.xyz\"\n[potential]\npath = \"p\"\n"
          "[output]\n" +
              output + "\n[[stage]]\nensemble = \"nve\"\nsteps = 1\n",
          "c.toml", "/base");
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(parse("dataset_test_fraction = 1.0").find("dataset_test_fraction"), std::string::npos);
  EXPECT_NE(parse("dataset_evry = 10").find("unknown key 'dataset_evry'"), std::string::npos);
  EXPECT_EQ(parse("dataset_every = 10\ndataset = \"d.data\""), "no error");
  EXPECT_NE(md::run_config_help().find("dataset_every"), std::string::npos);
}

TEST(DatasetOutput, TrainingHonoursTheSplitAndTheUnitTags) {
  const std::string dir = run("dataset_train", 0.5);
  const auto frames = io::read_n2p2_data(dir + "/dataset.data");
  long n_test = 0;
  for (const auto& s : frames) n_test += s.set == "test";
  auto config = [&](const std::string& energy_unit, const std::string& out) {
    std::ofstream(dir + "/t.toml") << "[data]\nfile = \"dataset.data\"\nsplit = \"file\"\n"
                                      "energy_unit = \""
                                   << energy_unit
                                   << "\"\n[potential]\nhidden_nodes = [4]\n"
                                      "[symmetry_functions]\ncutoff = 4.5\n[symmetry_functions."
                                      "angular]\nn = 0\n[training]\nepochs = 1\n[output]\nplots "
                                      "= false\ndirectory = \""
                                   << dir << "/" << out << "\"\n";
    return train::read_train_config(dir + "/t.toml");
  };
  if (n_test > 0 && n_test < static_cast<long>(frames.size())) {
    const auto rep = train::run_training(config("eV", "nnp"), true);
    EXPECT_EQ(rep.n_test, n_test);
    EXPECT_EQ(rep.n_train, static_cast<long>(frames.size()) - n_test);
  } else {
    ADD_FAILURE() << "the seeded split put every frame in one set; pick another seed";
  }
  // Data tagged eV declared as Hartree: an error naming the file, structure and line.
  std::string msg = "no error";
  try {
    train::run_training(config("Hartree", "nnp_h"), true);
  } catch (const Error& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("dataset.data, structure 1 (line 1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("energy_unit=eV"), std::string::npos) << msg;
  EXPECT_NE(msg.find("inconsistent units"), std::string::npos) << msg;
}

}  // namespace
}  // namespace vitrum
