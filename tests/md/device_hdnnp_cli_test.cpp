// `vitrum run --engine device-emulated | device` with the water HDNNP: the device-resident engine
// runs the HDNNP's device force field (md::make_device_hdnnp, registered for the n2p2 kind), not
// the host evaluator wrapped as an emulated kernel, and the same campaign on the host engine
// writes the same thermo rows to rounding; "device" is no longer refused for an HDNNP (on a
// machine without a GPU it fails for want of a CUDA device, naming the key).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "md_test_util.hpp"

namespace vitrum::md {
namespace {

using test::run_vitrum;

std::string config(const std::string& out) {
  return "[structure]\nfile = \"" + test::n2p2_dir() +
         "/outputs/H2O_RPBE-D3/dataset/input.data\"\nlength_unit = \"bohr\"\nframe = 0\n"
         "[potential]\npath = \"" +
         test::water_potential_dir() +
         "\"\nlength_unit = \"bohr\"\nenergy_unit = \"Hartree\"\n"
         "[md]\ntimestep_fs = 0.5\nseed = 3\n[velocities]\ntemperature = 300\n"
         "[output]\ndirectory = \"" +
         out +
         "\"\nthermo_every = 5\n"
         "[[stage]]\nensemble = \"nvt_nose_hoover\"\ntemperature = 300\nsteps = 20\n";
}

/// The thermo CSV's numeric columns but the wall-clock rate (column 11; the 12th is the stage).
std::vector<std::vector<double>> thermo(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ls(line);
    int col = 0;
    for (std::string c; std::getline(ls, c, ','); ++col)
      if (col < 10) row.push_back(std::stod(c));
    rows.push_back(row);
  }
  return rows;
}

TEST(DeviceHdnnpCli, EmulatedDeviceRunsTheDeviceForceField) {
  test::MdScratchDir dir("cli_device_hdnnp");
  std::ofstream(dir.file("c.toml")) << config(dir.file("dev"));
  std::ofstream(dir.file("h.toml")) << config(dir.file("host"));
  const auto dev = run_vitrum("run " + dir.file("c.toml") + " --engine device-emulated");
  ASSERT_EQ(dev.status, 0) << dev.output;
  EXPECT_NE(dev.output.find("engine: device-resident on the emulated device (HDNNP"),
            std::string::npos)
      << dev.output;
  EXPECT_NE(dev.output.find("on the emulated device)"), std::string::npos) << dev.output;
  EXPECT_EQ(dev.output.find("(on the emulated device)"), std::string::npos)
      << "the host evaluator ran as the emulated kernel:\n"
      << dev.output;
  // The summary states the device memory per atom by part (md/device_memory.hpp).
  EXPECT_NE(dev.output.find("device memory: "), std::string::npos) << dev.output;
  EXPECT_NE(dev.output.find("B per atom (state "), std::string::npos) << dev.output;
  const auto host = run_vitrum("run " + dir.file("h.toml") + " --engine host");
  ASSERT_EQ(host.status, 0) << host.output;
  EXPECT_EQ(host.output.find("device memory: "), std::string::npos) << host.output;
  const auto a = thermo(dir.file("dev/thermo.csv")), b = thermo(dir.file("host/thermo.csv"));
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GE(a.size(), 4u);
  for (std::size_t r = 0; r < a.size(); ++r) {
    ASSERT_EQ(a[r].size(), b[r].size());
    for (std::size_t c = 0; c < a[r].size(); ++c)
      // Printed values: 1e-10 relative, or the last printed digit (6 decimals).
      EXPECT_NEAR(a[r][c], b[r][c], std::max(1e-10 * std::fabs(b[r][c]), 2e-6))
          << "row " << r << " column " << c;
  }
}

TEST(DeviceHdnnpCli, DeviceEngineIsNoLongerRefusedForAnHdnnp) {
  test::MdScratchDir dir("cli_device_hdnnp_cuda");
  std::ofstream(dir.file("c.toml")) << config(dir.file("out"));
  const auto r = run_vitrum("run " + dir.file("c.toml") + " --engine device");
  EXPECT_EQ(r.output.find("has no device-resident force field"), std::string::npos) << r.output;
  if (r.status != 0)  // no GPU here (or no CUDA in this build): the key is named
    EXPECT_NE(r.output.find("engine = \"device\""), std::string::npos) << r.output;
}

}  // namespace
}  // namespace vitrum::md
