// `vitrum analyze` end to end: a small SiO2 trajectory written here (extxyz with time= and
// step=), every analysis, the CSV files, the summary, and scripts/plot_analysis.py making PNGs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "../test_paths.hpp"
#include "analysis_fixtures.hpp"
#include "vitrum/io/structure_io.hpp"

namespace fs = std::filesystem;
using namespace vitrum;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("vitrum_analyze_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// β-cristobalite (2×2×2 cells, 192 atoms) vibrating around its sites while slowly random-walking
// (so the MSD grows), 25 frames 10 fs apart, positions wrapped into the cell.
fs::path write_trajectory(const fs::path& dir) {
  std::mt19937_64 rng(99);
  std::normal_distribution<double> g(0.0, 1.0);
  const Structure ideal = test::beta_cristobalite(7.16, 2);
  std::vector<Vec3> drift(ideal.size(), Vec3{0, 0, 0});
  std::vector<Structure> frames;
  for (int f = 0; f < 25; ++f) {
    Structure s = ideal;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (f > 0) drift[i] += Vec3{0.01 * g(rng), 0.01 * g(rng), 0.01 * g(rng)};
      s.positions[i] =
          s.box.wrap(s.positions[i] + drift[i] + Vec3{0.04 * g(rng), 0.04 * g(rng), 0.04 * g(rng)});
    }
    s.velocities.assign(s.size(), Vec3{0.001, 0.0, -0.001});
    s.info["time"] = std::to_string(10.0 * f);
    s.info["step"] = std::to_string(20 * f);
    frames.push_back(s);
  }
  const fs::path path = dir / "sio2.extxyz";
  io::write_structures(path.string(), frames);
  return path;
}

}  // namespace

TEST(AnalysisCli, AnalyzeWritesCsvAndPlotsPng) {
  const fs::path dir = fresh_dir("e2e");
  const fs::path traj = write_trajectory(dir);
  const fs::path out = dir / "out";
  const std::string bin = test::vitrum_binary();
  const std::string cmd = bin + " analyze " + traj.string() +
                          " --rdf --coordination Si-O:2.0,O-Si:2.0 --angles --msd --rmax 8 "
                          "--bins 160 --skip 1 --output-dir " +
                          out.string() + " > " + (dir / "stdout.txt").string() + " 2>&1";
  ASSERT_EQ(run(cmd), 0) << cmd << "\n" << slurp(dir / "stdout.txt");
  const std::string stdout_text = slurp(dir / "stdout.txt");
  for (const char* f : {"rdf.csv", "coordination.csv", "angles.csv", "msd.csv", "diffusion.csv",
                        "density.csv", "summary.csv"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f << " missing; stdout:\n" << stdout_text;
  }
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << "left over " << e.path();
  }
  // The summary names every result; 24 frames were used after --skip 1.
  EXPECT_NE(stdout_text.find("24 frame(s) used"), std::string::npos) << stdout_text;
  for (const char* s :
       {"density", "g(r) first peak", "Si-O", "O-Si-O", "Si-O-Si", "Å²/fs", "cm²/s"}) {
    EXPECT_NE(stdout_text.find(s), std::string::npos) << s << " not in:\n" << stdout_text;
  }
  // Every Si has 4 O, every O 2 Si.
  const std::string coord = slurp(out / "coordination.csv");
  EXPECT_NE(coord.find("Si-O,2,4,1536,1\n"), std::string::npos) << coord;
  EXPECT_NE(coord.find("O-Si,2,2,3072,1\n"), std::string::npos) << coord;
  // rdf.csv: header and 160 rows.
  const std::string rdf = slurp(out / "rdf.csv");
  EXPECT_NE(rdf.find("r_A,g_total,g_Si-Si,g_Si-O,g_O-O,N_Si-Si,N_Si-O,N_O-Si,N_O-O\n"),
            std::string::npos)
      << rdf.substr(0, 400);
  // Mass density of ideal β-cristobalite: 8 SiO2 per (7.16 Å)³.
  const double rho = 8 * (28.085 + 2 * 15.999) / std::pow(7.16, 3) * 1.66053906660;
  const std::string summary = slurp(out / "summary.csv");
  const auto pos = summary.find("density,all,");
  ASSERT_NE(pos, std::string::npos) << summary;
  EXPECT_NEAR(std::stod(summary.substr(pos + 12)), rho, 2e-3 * rho) << summary;
  EXPECT_NE(summary.find("D,Si,"), std::string::npos) << summary;

  // PNGs with Debian's python3 + matplotlib; a missing matplotlib fails here on purpose.
  const std::string plot = "/usr/bin/python3 " + test::source_dir() + "/scripts/plot_analysis.py " +
                           out.string() + " -o " + (dir / "png").string() + " > " +
                           (dir / "plot.txt").string() + " 2>&1";
  ASSERT_EQ(run(plot), 0) << plot << "\n" << slurp(dir / "plot.txt");
  for (const char* f : {"rdf.png", "msd.png", "angles.png", "coordination.png", "density.png"}) {
    ASSERT_TRUE(fs::exists(dir / "png" / f)) << f;
    EXPECT_GT(fs::file_size(dir / "png" / f), 5000u) << f;
  }
  fs::remove_all(dir);
}

TEST(AnalysisCli, DefaultsHelpAndErrors) {
  const fs::path dir = fresh_dir("errors");
  const fs::path traj = write_trajectory(dir);
  const std::string bin = test::vitrum_binary();
  // --help states the units and defaults.
  ASSERT_EQ(run(bin + " analyze --help > " + (dir / "help.txt").string()), 0);
  const std::string help = slurp(dir / "help.txt");
  for (const char* s : {"--rmax", "Å", "=10", "--bins", "=200", "--coordination", "A-B:CUTOFF",
                        "--skip", "--msd", "fs", "cm²/s", "--output-dir"}) {
    EXPECT_NE(help.find(s), std::string::npos) << s << " not in --help:\n" << help;
  }
  // No analysis flags: g(r) and (frames have times) the MSD.
  const fs::path out = dir / "defaults";
  ASSERT_EQ(run(bin + " analyze " + traj.string() + " -o " + out.string() + " > /dev/null"), 0);
  EXPECT_TRUE(fs::exists(out / "rdf.csv"));
  EXPECT_TRUE(fs::exists(out / "msd.csv"));
  EXPECT_FALSE(fs::exists(out / "coordination.csv"));
  // Repeated -c before the positional trajectory: each takes one bond.
  const fs::path out2 = dir / "repeated";
  ASSERT_EQ(run(bin + " analyze -c Si-O:2.0 -c O-Si:2.0 " + traj.string() + " -o " + out2.string() +
                " > /dev/null"),
            0);
  const std::string coord = slurp(out2 / "coordination.csv");
  EXPECT_NE(coord.find("Si-O,2,4,"), std::string::npos) << coord;
  EXPECT_NE(coord.find("O-Si,2,2,"), std::string::npos) << coord;
  EXPECT_FALSE(fs::exists(out2 / "rdf.csv")) << "explicit analyses only";
  // Errors name the problem.
  const std::string err = (dir / "err.txt").string();
  EXPECT_NE(run(bin + " analyze " + traj.string() + " --angles -o " + out.string() + " 2> " + err),
            0);
  EXPECT_NE(slurp(err).find("--coordination"), std::string::npos) << slurp(err);
  EXPECT_NE(run(bin + " analyze " + traj.string() + " --coordination Si-Xx:2 -o " + out.string() +
                " 2> " + err),
            0);
  EXPECT_NE(slurp(err).find("Xx"), std::string::npos) << slurp(err);
  EXPECT_NE(
      run(bin + " analyze " + traj.string() + " --skip 100 -o " + out.string() + " 2> " + err), 0);
  EXPECT_NE(slurp(err).find("skipping 100"), std::string::npos) << slurp(err);
  fs::remove_all(dir);
}
