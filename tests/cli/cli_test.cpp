// End-to-end tests of the vitrum binary on real files: --help everywhere, predict in both output
// formats against n2p2's reference, and clear errors for bad invocations.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "../test_paths.hpp"
#include "vitrum/io/structure_io.hpp"

using namespace vitrum;
namespace fs = std::filesystem;

namespace {

struct Run {
  int status;
  std::string output;
};

Run run(const std::string& args) {
  const std::string cmd = vitrum::test::vitrum_binary() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

fs::path temp_dir() {
  auto d =
      fs::temp_directory_path() / ("vitrum_cli_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"", "predict", "run", "analyze", "spectra", "spectra fit",
                          "spectra synth", "spectra info"}) {
    const auto r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub << "\n" << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
}

TEST(Cli, GpuAwareMpiOption) {
  for (const char* sub : {"run", "predict"}) {
    const auto r = run(std::string(sub) + " --help");
    EXPECT_NE(r.output.find("--gpu-aware-mpi"), std::string::npos) << sub << "\n" << r.output;
    EXPECT_NE(r.output.find("VITRUM_GPU_AWARE_MPI"), std::string::npos) << sub;
  }
}

TEST(Cli, PredictWritesN2p2AndExtxyzMatchingN2p2) {
  const auto dir = temp_dir();
  const std::string pot = vitrum::test::source_dir() + "/configs/potentials/H2O_RPBE-D3";
  const std::string in = vitrum::test::source_dir() + "/configs/structures/water_1080.data";
  const auto ref =
      io::read_structures(vitrum::test::n2p2_dir() + "/outputs/H2O_RPBE-D3/output.data").front();
  for (const char* ext : {".data", ".xyz"}) {
    const std::string out = (dir / (std::string("pred") + ext)).string();
    const auto r = run("predict --potential " + pot + " --input " + in + " --output " + out);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("atoms/s"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("energy/atom"), std::string::npos) << r.output;
    const auto got = io::read_structures(out);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_TRUE(got[0].has_energy);
    EXPECT_NEAR(got[0].energy, ref.energy, 1e-10 * std::abs(ref.energy));
    ASSERT_EQ(got[0].forces.size(), ref.size());
    double fmax = 0, dmax = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      for (int a = 0; a < 3; ++a) {
        fmax = std::max(fmax, std::abs(ref.forces[i][a]));
        dmax = std::max(dmax, std::abs(got[0].forces[i][a] - ref.forces[i][a]));
      }
    EXPECT_LT(dmax / fmax, 1e-8) << ext;
  }
  fs::remove_all(dir);
}

TEST(Cli, PredictErrorsAreClear) {
  const auto dir = temp_dir();
  const std::string pot = vitrum::test::source_dir() + "/configs/potentials/H2O_RPBE-D3";
  const std::string in = vitrum::test::source_dir() + "/configs/structures/water_1080.data";
  auto r = run("predict --potential " + pot + " --input " + in + " --output " +
               (dir / "x.unknownext").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("x.unknownext"), std::string::npos) << r.output;
  r = run("predict --potential " + pot + " --input /nonexistent.data --output x.xyz");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("/nonexistent.data"), std::string::npos) << r.output;
  r = run("predict --potential " + pot + " --input " + in + " --output " +
          (dir / "y.xyz").string() + " --precision half");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("half"), std::string::npos) << r.output;
  // A broken structure: an O atom on top of another gives a message, not a number.
  auto s = io::read_structures(in);
  s[0].positions[3] = s[0].positions[0];
  io::write_structures((dir / "broken.data").string(), s);
  r = run("predict --potential " + pot + " --input " + (dir / "broken.data").string() +
          " --output " + (dir / "z.xyz").string());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("closer than"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "z.xyz"));
  fs::remove_all(dir);
}

TEST(Cli, CudaBackendWithoutDeviceSaysSo) {
  const auto dir = temp_dir();
  const std::string pot = vitrum::test::source_dir() + "/configs/potentials/H2O_RPBE-D3";
  const std::string in = vitrum::test::source_dir() + "/configs/structures/water_1080.data";
  const auto r = run("predict --potential " + pot + " --input " + in + " --output " +
                     (dir / "c.xyz").string() + " --backend cuda");
  if (r.status == 0) GTEST_SKIP() << "a CUDA device is present here; covered by tests/gpu";
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("CUDA"), std::string::npos) << r.output;
  fs::remove_all(dir);
}
