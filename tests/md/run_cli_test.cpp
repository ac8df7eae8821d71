// `vitrum run` end to end: a short water campaign from a bohr n2p2 file (thermo CSV, extxyz
// snapshots with velocities, final structure), a teacher campaign on a generated SiO2 cell, and
// runs that must stop with a clear message and a last snapshot.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "md_test_util.hpp"
#include "vitrum/io/structure_io.hpp"

namespace vitrum::md {
namespace {

using Result = test::CliResult;
using test::run_vitrum;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

int count_lines(const std::string& path) {
  std::ifstream in(path);
  std::string l;
  int n = 0;
  while (std::getline(in, l)) ++n;
  return n;
}

std::string water_config(const std::string& out, const std::string& extra_md,
                         const std::string& stages) {
  return "[structure]\nfile = \"" + test::n2p2_dir() +
         "/outputs/H2O_RPBE-D3/dataset/input.data\"\nlength_unit = \"bohr\"\nframe = 0\n"
         "[potential]\npath = \"" +
         test::water_potential_dir() +
         "\"\nlength_unit = \"bohr\"\nenergy_unit = \"Hartree\"\n"
         "[md]\ntimestep_fs = 0.5\nseed = 3\n" +
         extra_md +
         "[velocities]\ntemperature = 300\n"
         "[output]\ndirectory = \"" +
         out + "\"\nthermo_every = 4\ntrajectory_every = 5\n" + stages;
}

TEST(RunCli, WaterCampaignWritesThermoSnapshotsAndFinalStructure) {
  test::MdScratchDir dir("cli_water");
  write(dir.file("c.toml"),
        water_config(dir.file("out"), "",
                     "[[stage]]\nname = \"hot\"\nensemble = \"nvt_langevin\"\ntemperature = "
                     "{ from = 300, to = 350 }\nsteps = 6\n"
                     "[[stage]]\nensemble = \"nve\"\nsteps = 4\n"));
  const Result r = run_vitrum("run " + dir.file("c.toml"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("E_conserved_eV"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("timings"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("potential"), std::string::npos) << r.output;
  // Header + step 0 + steps 4, 6 (stage end), 8, 10.
  EXPECT_EQ(count_lines(dir.file("out/thermo.csv")), 6);
  const auto frames = io::read_structures(dir.file("out/trajectory.xyz"));
  ASSERT_EQ(frames.size(), 2u);  // steps 5 and 10
  EXPECT_EQ(frames[0].size(), 192u);
  EXPECT_EQ(frames[1].velocities.size(), 192u);
  EXPECT_EQ(frames[1].info.at("step"), "10");
  const auto fin = io::read_structures(dir.file("out/final.xyz"));
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].velocities.size(), 192u);
  EXPECT_TRUE(fin[0].has_energy);
  // Positions in Å: the 24.6-bohr cell is 13.03 Å.
  EXPECT_NEAR(fin[0].box.h[0].x, 24.623508 * 0.529177210903, 1e-6);
}

TEST(RunCli, TeacherCampaignOnGeneratedCell) {
  test::MdScratchDir dir("cli_bks");
  write(dir.file("c.toml"),
        "[structure.generate]\nbuilder = \"amorphous\"\n"
        "composition = { Si = 1, O = 2 }\nn_atoms = 192\ndensity = 2.2\n"
        "min_distances = { Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }\n"
        "[potential]\npath = \"" +
            test::source_dir() +
            "/configs/potentials/SiO2-BKS.toml\"\n"
            "[md]\ntimestep_fs = 0.5\n[velocities]\ntemperature = 1000\n"
            "[output]\ndirectory = \"" +
            dir.file("out") +
            "\"\nthermo_every = 5\nfinal_structure = \"glass.data\"\n"
            "[[stage]]\nensemble = \"nvt_langevin\"\ntemperature = 1000\n"
            "tdamp_fs = 20\nsteps = 10\n"
            "[[stage]]\nensemble = \"npt_mtk\"\ntemperature = 1000\n"
            "pressure = 1000\nsteps = 10\n");
  const Result r = run_vitrum("run " + dir.file("c.toml") + " --threads 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("teacher"), std::string::npos) << r.output;
  const auto fin = io::read_structures(dir.file("out/glass.data"));
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].size(), 192u);
}

TEST(RunCli, OverlappingAtomsStopWithSnapshot) {
  test::MdScratchDir dir("cli_overlap");
  Structure s = test::water_192();
  s.positions[5] = s.positions[0] + Vec3{0.1, 0.0, 0.0};
  io::write_structures(dir.file("bad.xyz"), {s});
  write(dir.file("c.toml"),
        "[structure]\nfile = \"bad.xyz\"\n[potential]\npath = \"" + test::water_potential_dir() +
            "\"\nlength_unit = \"bohr\"\nenergy_unit = \"Hartree\"\n[output]\ndirectory = \"" +
            dir.file("out") + "\"\n[[stage]]\nensemble = \"nve\"\nsteps = 5\n");
  const Result r = run_vitrum("run " + dir.file("c.toml"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("closer than min_distance"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("crash.xyz"), std::string::npos) << r.output;
  EXPECT_EQ(io::read_structures(dir.file("out/crash.xyz")).size(), 1u);
}

TEST(RunCli, ExplodingTemperatureStopsWithSnapshot) {
  test::MdScratchDir dir("cli_hot");
  // Velocities drawn at 300 K would be refused by the config check (above max_temperature); from
  // rest, the structure's forces heat it past 1 K within a few steps.
  std::string text = water_config(dir.file("out"), "max_temperature = 1.0\n",
                                  "[[stage]]\nensemble = \"nve\"\nsteps = 5\n");
  text.erase(text.find("[velocities]\ntemperature = 300\n"), 31);
  write(dir.file("c.toml"), text);
  const Result r = run_vitrum("run " + dir.file("c.toml"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("exceeds max_temperature"), std::string::npos) << r.output;
  const auto crash = io::read_structures(dir.file("out/crash.xyz"));
  ASSERT_EQ(crash.size(), 1u);
  EXPECT_EQ(crash[0].velocities.size(), 192u);
}

TEST(RunCli, BadConfigNamesKeyAndLine) {
  test::MdScratchDir dir("cli_bad");
  write(dir.file("c.toml"),
        "[structure]\nfile = \"x.xyz\"\n[potential]\npath = \"p\"\n"
        "[[stage]]\nensemble = \"nve\"\nsteps = 1\nthermo_evry = 5\n");
  const Result r = run_vitrum("run " + dir.file("c.toml") + " --check");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("c.toml:8: unknown key 'thermo_evry' in [[stage]]"), std::string::npos)
      << r.output;
}

TEST(RunCli, HelpStatesTheSchemaWithDefaults) {
  const Result r = run_vitrum("run --help");
  EXPECT_EQ(r.status, 0);
  for (const char* s : {"timestep_fs = 1.0", "skin = 1.0", "thermo_every = 100", "npt_mtk",
                        "rate = <K/ps>", "tdamp_fs = 100*dt", "amorphous", "--gpu-aware-mpi",
                        "gpu_aware_mpi = \"auto\"", "VITRUM_GPU_AWARE_MPI"}) {
    EXPECT_NE(r.output.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace vitrum::md
