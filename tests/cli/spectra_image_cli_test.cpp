// `vitrum spectra fit` with [image] mode = "template" end to end: a W 4f-like map written by real
// xarray as netCDF-4 (energy first and descending, binding_energy coordinate), fitted as an image;
// the result file holds masked maps and the residual cube, and the PNG maps and the plots of the
// sum spectrum's and one pixel's fit are written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../test_paths.hpp"

namespace fs = std::filesystem;

namespace {

struct CmdResult {
  int status;
  std::string output;
};

CmdResult run(const std::string& cmd_line) {
  const std::string cmd = cmd_line + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  const int st = pclose(p.release());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

/// The map: a flake (ellipse) with a metal doublet at 31.4 eV (oxide at 35.6 eV on its right
/// half) on 400 + 60 (E − 28) counts per channel, a substrate without W; Poisson noise.
const char* kMakeMap = R"PY(
import sys
import numpy as np, xarray as xr
ny, nx = 16, 14
e = np.round(np.arange(28.0, 40.0 + 1e-9, 0.05), 6)
def pv(x, mu, f=0.7, eta=0.3):
    s = f / 2.3548200450309493
    g = np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    l = (f / 2) / np.pi / ((x - mu) ** 2 + (f / 2) ** 2)
    return (1 - eta) * g + eta * l
def doublet(x, mu):
    return (pv(x, mu) + 0.75 * pv(x, mu + 2.18)) / 1.75
rng = np.random.default_rng(5)
yy, xx = np.mgrid[0:ny, 0:nx]
flake = ((yy - 7.5) / 6) ** 2 + ((xx - 6.5) / 5) ** 2 <= 1
oxide = flake & (xx >= 7)
lam = np.broadcast_to(400 + 60 * (e - 28), (ny, nx, e.size)).copy()
lam += flake[..., None] * 10000 * 0.05 * doublet(e, 31.4)
lam += oxide[..., None] * 5000 * 0.05 * doublet(e, 35.6)
data = rng.poisson(lam).astype('f4')[:, :, ::-1].transpose(2, 0, 1)
xr.DataArray(data, dims=('binding_energy', 'y', 'x'), name='W4f',
             coords={'binding_energy': ('binding_energy', e[::-1], {'units': 'eV'}),
                     'y': ('y', 5.0 * np.arange(ny), {'units': 'um'}),
                     'x': ('x', 5.0 * np.arange(nx), {'units': 'um'})}).to_netcdf(sys.argv[1])
np.save(sys.argv[1] + '.flake.npy', flake)
)PY";

const char* kCheck = R"PY(
import sys
import numpy as np, h5py
f = h5py.File(sys.argv[1], 'r')['Experiments']
flake = np.load(sys.argv[2])
n = f['W4f_n_components/data'][()]
pos = f['W4f_position/data'][()]
assert n.shape == flake.shape, n.shape
assert (n[flake] >= 1).mean() >= 0.98, (n[flake] >= 1).mean()
assert (n[~flake] == 0).mean() >= 0.98, (n[~flake] == 0).mean()
# masked: the metal component's position is NaN exactly where it is not significant
sig = f['W4f_significant/data'][()]
assert np.array_equal(np.isnan(pos), sig == 0)
assert 'W4f_residual' in f and f['W4f_residual/data'].shape == (16, 14, 241)
print('maps ok')
)PY";

}  // namespace

TEST(CliSpectraImage, TemplateFitOfAnXarrayMap) {
  const fs::path d = fs::temp_directory_path() / ("vitrum_cli_img_" + std::to_string(getpid()));
  fs::create_directories(d);
  std::ofstream(d / "make.py") << kMakeMap;
  std::ofstream(d / "check.py") << kCheck;
  const std::string map = (d / "map.nc").string();
  ASSERT_EQ(run("/usr/bin/python3 " + (d / "make.py").string() + " " + map).status, 0);
  std::ofstream(d / "fit.toml") << "[peaks]\ncount = [1, 3]\n[peaks.doublet]\norbital = \"f\"\n"
                                   "splitting = 2.18\n[image]\nmode = \"template\"\n";
  const std::string out = (d / "out.h5").string();
  const CmdResult r = run(vitrum::test::vitrum_binary() + " spectra fit " + map + " -c " +
                          (d / "fit.toml").string() + " -o " + out + " --overwrite --threads 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2-component template"), std::string::npos) << r.output;
  const CmdResult c =
      run("/usr/bin/python3 " + (d / "check.py").string() + " " + out + " " + map + ".flake.npy");
  EXPECT_EQ(c.status, 0) << c.output;
  for (const char* f : {"out_W4f_sum.csv", "out_W4f_pixel.csv"}) EXPECT_TRUE(fs::exists(d / f));
  // _sum.csv holds the polished template (said in its first comment, the plot's title), with the
  // template positions the console reports, and one column per state.
  {
    std::ifstream in(d / "out_W4f_sum.csv");
    std::string first, line;
    std::getline(in, first);
    EXPECT_NE(first.find("the polished sum spectrum"), std::string::npos) << first;
    bool c1 = false;
    while (std::getline(in, line) && line.rfind('#', 0) == 0) {
      if (line.rfind("# C1: position ", 0) != 0) continue;
      const size_t at = r.output.find("C1: template ");
      ASSERT_NE(at, std::string::npos) << r.output;
      EXPECT_NEAR(std::stod(line.substr(15)), std::stod(r.output.substr(at + 13)), 1e-4) << line;
      c1 = true;
    }
    EXPECT_TRUE(c1);
    EXPECT_NE(line.find("C2 "), std::string::npos) << line;  // the header after the comments
  }
  // PNGs through scripts/plot_spectra.py (Debian's matplotlib, installed by scripts/setup.sh).
  for (const char* f : {"out_W4f_sum.png", "out_W4f_pixel.png", "out_png/W4f_position.png",
                        "out_png/W4f_chi2_reduced.png", "out_png/W4f_n_components.png"})
    EXPECT_TRUE(fs::exists(d / f)) << f;
  // An unknown [image] key is refused with its name.
  std::ofstream(d / "bad.toml") << "[image]\nmode = \"template\"\nmax_shft = 0.2\n";
  const CmdResult b = run(vitrum::test::vitrum_binary() + " spectra fit " + map + " -c " +
                          (d / "bad.toml").string() + " -o " + (d / "bad.h5").string());
  EXPECT_NE(b.status, 0);
  EXPECT_NE(b.output.find("max_shft"), std::string::npos) << b.output;
  fs::remove_all(d);
}
