// `vitrum analyze` named glass analyses end to end: --rings, --qn, --sq, --vdos, --phonons on
// files, their CSVs (matching the library), multi-frame averaging, errors, --help, plots.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "analysis_fixtures.hpp"
#include "vitrum/analysis/rings.hpp"
#include "vitrum/io/structure_io.hpp"

namespace fs = std::filesystem;
using namespace vitrum;

namespace {

const std::string kBin = VITRUM_BINARY;
const std::string kGlass =
    std::string(VITRUM_SOURCE_DIR) + "/tests/analysis/data/sio2_glass_648.xyz";

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("vitrum_glass_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Column `name` of row `size` of rings.csv.
double rings_value(const std::string& csv, int size, const std::string& name) {
  std::istringstream in(csv);
  std::string line, header;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header.empty()) {
      header = line;
      continue;
    }
    if (std::stoi(line) != size) continue;
    std::istringstream h(header), v(line);
    std::string hn, vn;
    while (std::getline(h, hn, ',') && std::getline(v, vn, ',')) {
      if (hn == name) return std::stod(vn);
    }
  }
  return -1.0;
}

TEST(GlassCli, RingsQnSqOnTheShippedGlassAndTwoFramesAverage) {
  const fs::path d = fresh_dir("rings");
  // Two frames: the glass and the same glass in a sheared cell (same rings): averages = each.
  const auto frames = io::read_structures(kGlass);
  const fs::path two = d / "two.xyz";
  io::write_structures(two.string(), {frames.front(), test::sheared_copy(frames.front())});
  ASSERT_EQ(run(kBin + " analyze " + two.string() + " -o " + (d / "out").string() +
                " -c Si-O:2.0 --rings --qn --sq --sq-direct-qmax 4 --ring-max 8 > " +
                (d / "log").string() + " 2>&1"),
            0)
      << slurp(d / "log");
  for (const char* f :
       {"rings.csv", "qn.csv", "sq.csv", "sq_direct.csv", "real_space.csv", "summary.csv"}) {
    EXPECT_TRUE(fs::exists(d / "out" / f)) << f;
  }
  // Library on one frame.
  const Structure& s = frames.front();
  analysis::RingParams p;
  p.max_size = 8;
  p.count_species = 14;
  const analysis::RingSet set = analysis::find_rings(
      analysis::build_bond_graph(s.box, s.positions, s.species, {{14, 8, 2.0}}), p);
  std::vector<int> count(9, 0);
  for (const auto& r : set.primitive) ++count[r.size];
  const std::string csv = slurp(d / "out" / "rings.csv");
  for (int n = 2; n <= 8; ++n) {
    EXPECT_DOUBLE_EQ(rings_value(csv, n, "primitive_count"), count[n]) << n;
  }
  EXPECT_NE(slurp(d / "log").find("Qn mean n"), std::string::npos);
  EXPECT_NE(slurp(d / "out" / "sq.csv").find("S_NN,S_NC,S_CC"), std::string::npos);
  // Plots of every CSV.
  ASSERT_EQ(
      run("/usr/bin/python3 " + std::string(VITRUM_SOURCE_DIR) + "/scripts/plot_analysis.py " +
          (d / "out").string() + " --reference-sq " + std::string(VITRUM_SHARED_DIR) +
          "/reference/silica/SiO2_NIMROD.mint01 > " + (d / "plot.log").string() + " 2>&1"),
      0)
      << slurp(d / "plot.log");
  for (const char* f : {"rings.png", "qn.png", "sq.png", "real_space.png"}) {
    EXPECT_TRUE(fs::exists(d / "out" / f)) << f;
  }
  fs::remove_all(d);
}

TEST(GlassCli, ErrorsNameWhatIsMissing) {
  const fs::path d = fresh_dir("errors");
  const std::string out =
      " --overwrite -o " + (d / "out").string() + " > " + (d / "log").string() + " 2>&1";
  EXPECT_NE(run(kBin + " analyze " + kGlass + " --rings" + out), 0);
  EXPECT_NE(slurp(d / "log").find("--rings needs bonds"), std::string::npos) << slurp(d / "log");
  EXPECT_NE(run(kBin + " analyze " + kGlass + " --phonons" + out), 0);
  EXPECT_NE(slurp(d / "log").find("--potential"), std::string::npos) << slurp(d / "log");
  EXPECT_NE(run(kBin + " analyze " + kGlass + " --vdos --frame-dt 1" + out), 0);
  EXPECT_NE(slurp(d / "log").find("at least two"), std::string::npos) << slurp(d / "log");
  EXPECT_NE(run(kBin + " analyze " + kGlass + " -c Si-O:2.0 --rings --ring-count Xx" + out), 0);
  EXPECT_NE(slurp(d / "log").find("--ring-count"), std::string::npos) << slurp(d / "log");
  ASSERT_EQ(run(kBin + " analyze --help > " + (d / "help").string()), 0);
  const std::string help = slurp(d / "help");
  for (const char* flag : {"--rings", "--qn", "--sq", "--vdos", "--phonons", "--ring-max",
                           "--sq-qmax", "--potential"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  fs::remove_all(d);
}

}  // namespace
