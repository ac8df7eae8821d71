// The vibrational DOS of a glass two ways, end to end through the CLI (issue 14): the shipped
// 648-atom SiO2 glass relaxed with BKS by a FIRE stage with a force tolerance (`vitrum run`,
// minimize_fire, fmax), its harmonic DOS from finite-displacement force constants (`vitrum analyze
// --phonons`), and the VACF DOS of a 10 K run of the same relaxed glass (Langevin thermalisation,
// then NVE with velocities in H5MD; `vitrum analyze --vdos`). In the harmonic limit, with
// equipartition, the two spectra are the same distribution: their means and cumulative
// distributions (total and per element) must agree.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kBin = VITRUM_BINARY;
const std::string kSrc = VITRUM_SOURCE_DIR;

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Numeric rows of a CSV with '#' comments and one header line.
std::vector<std::vector<double>> read_csv(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  bool header = false;
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    std::vector<double> row;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

// Linear interpolation of column c of `rows` (column 0 ascending) at x.
double interp(const std::vector<std::vector<double>>& rows, int c, double x) {
  if (x <= rows.front()[0]) return rows.front()[c];
  if (x >= rows.back()[0]) return rows.back()[c];
  const auto it = std::lower_bound(rows.begin(), rows.end(), x,
                                   [](const std::vector<double>& r, double v) { return r[0] < v; });
  const auto& b = *it;
  const auto& a = *(it - 1);
  const double t = (x - a[0]) / (b[0] - a[0]);
  return a[c] + t * (b[c] - a[c]);
}

TEST(GlassVibrations, VacfDosOfTheRelaxedGlassAt10KMatchesItsHarmonicDos) {
  const fs::path d = fs::temp_directory_path() / ("vitrum_glass_vib_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  const std::string bks = kSrc + "/configs/potentials/SiO2-BKS.toml";
  {
    std::ofstream f(d / "relax.toml");
    f << "[structure]\nfile = \"" << kSrc << "/tests/analysis/data/sio2_glass_648.xyz\"\n\n"
      << "[potential]\npath = \"" << bks << "\"\n\n[md]\ntimestep_fs = 1.0\nseed = 3\n\n"
      << "[output]\nthermo_every = 100\nprogress = false\n\n"
      << "[[stage]]\nname = \"relax\"\nensemble = \"minimize_fire\"\nfmax = 1e-3\n"
      << "steps = 20000\n";
  }
  ASSERT_EQ(run(kBin + " run " + (d / "relax.toml").string() + " -o " + (d / "relax").string() +
                " > " + (d / "relax.log").string() + " 2>&1"),
            0)
      << slurp(d / "relax.log");
  // The stage ended on the tolerance, long before its 20000-step limit.
  const std::string log = slurp(d / "relax.log");
  EXPECT_NE(log.find("\"relax\": converged after"), std::string::npos) << log;
  {
    std::ofstream f(d / "md.toml");
    f << "[structure]\nfile = \"" << (d / "relax" / "final.xyz").string() << "\"\n\n"
      << "[potential]\npath = \"" << bks << "\"\n\n[md]\ntimestep_fs = 1.0\nseed = 3\n\n"
      << "[velocities]\ntemperature = 10.0\n\n"
      << "[output]\nthermo_every = 500\nprogress = false\n"
      << "h5md = { every = 0, velocities = true }\n\n"
      << "[[stage]]\nname = \"thermalize\"\nensemble = \"nvt_langevin\"\ntemperature = 10.0\n"
      << "tdamp_fs = 50.0\nsteps = 300\n\n"
      << "[[stage]]\nname = \"sample\"\nensemble = \"nve\"\nsteps = 3000\nh5md_every = 2\n";
  }
  ASSERT_EQ(run(kBin + " run " + (d / "md.toml").string() + " -o " + (d / "md").string() +
                " -q > " + (d / "md.log").string() + " 2>&1"),
            0)
      << slurp(d / "md.log");
  ASSERT_EQ(run(kBin + " analyze " + (d / "md" / "trajectory.h5").string() + " -o " +
                (d / "vdos").string() + " --skip 1 --vdos --vdos-max-lag 500 --vdos-dnu 0.1 > " +
                (d / "vdos.log").string() + " 2>&1"),
            0)
      << slurp(d / "vdos.log");
  ASSERT_EQ(run(kBin + " analyze " + (d / "relax" / "final.xyz").string() + " -o " +
                (d / "harmonic").string() + " --phonons --potential " + bks + " > " +
                (d / "harmonic.log").string() + " 2>&1"),
            0)
      << slurp(d / "harmonic.log");
  // A relaxed glass: three zero modes and no imaginary one.
  const std::string hlog = slurp(d / "harmonic.log");
  EXPECT_NE(hlog.find("3 zero"), std::string::npos) << hlog;
  EXPECT_NE(hlog.find(" 0 imaginary"), std::string::npos) << hlog;

  const auto v = read_csv(d / "vdos" / "vdos.csv");            // nu, cm-1, total, O, Si
  const auto h = read_csv(d / "harmonic" / "phonon_dos.csv");  // nu, cm-1, total, O, Si
  ASSERT_GT(v.size(), 300u);
  ASSERT_GT(h.size(), 100u);
  const char* names[] = {"total", "O", "Si"};
  for (int c = 2; c <= 4; ++c) {
    double n_v = 0, n_h = 0, m_v = 0, m_h = 0;
    std::vector<double> gv, gh;
    for (const auto& row : v) {
      gv.push_back(row[c]);
      gh.push_back(std::max(0.0, interp(h, c, row[0])));
      n_v += gv.back();
      n_h += gh.back();
      m_v += gv.back() * row[0];
      m_h += gh.back() * row[0];
    }
    const double mean_v = m_v / n_v, mean_h = m_h / n_h;
    double cv = 0, ch = 0, ks = 0;
    for (std::size_t k = 0; k < gv.size(); ++k) {
      cv += gv[k] / n_v;
      ch += gh[k] / n_h;
      ks = std::max(ks, std::fabs(cv - ch));
    }
    std::printf(
        "  %-5s mean frequency: VACF %.3f THz, harmonic %.3f THz; Kolmogorov distance %.4f\n",
        names[c - 2], mean_v, mean_h, ks);
    // 1944 modes, equipartition from a 300 fs Langevin start and a 3 ps sample: a few percent.
    EXPECT_NEAR(mean_v, mean_h, 0.03 * mean_h) << names[c - 2];
    EXPECT_LT(ks, 0.05) << names[c - 2];
  }
  fs::remove_all(d);
}

}  // namespace
