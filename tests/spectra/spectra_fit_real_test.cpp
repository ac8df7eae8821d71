// The fit on real measurements with the shipped configs (configs/spectra/*.toml): the Pt 4f
// doublet of a Pt foil and the SnO2(10 nm)/Si sputter depth profile. Expected values are
// physical (literature binding energies, the direction of the depth profile), not numbers copied
// from a previous run; see the comments in the config files.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "../test_paths.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"

namespace sp = vitrum::spectra;
namespace fs = std::filesystem;
using vitrum::test::shared_dir;
using vitrum::test::source_dir;

namespace {

const sp::SpectrumImage& block(const std::vector<sp::SpectrumImage>& ims, const std::string& n) {
  for (const auto& im : ims)
    if (im.name == n) return im;
  throw std::runtime_error("no block " + n);
}

/// Spearman rank correlation of v with its index.
double spearman_with_index(const std::vector<double>& v) {
  const size_t n = v.size();
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(n);
  for (size_t r = 0; r < n; ++r) rank[idx[r]] = static_cast<double>(r);
  double d2 = 0;
  for (size_t i = 0; i < n; ++i) d2 += (rank[i] - i) * (rank[i] - i);
  return 1.0 - 6.0 * d2 / (static_cast<double>(n) * (n * n - 1.0));
}

std::string pt_file() {
  return shared_dir() + "/spectra/vamas/casa_Pt4f_doublet.vms";
}
std::string sno2_file() {
  return shared_dir() + "/spectra/hdf5/phi_SnO2_Si_depthprofile_21cycles.h5";
}

}  // namespace

TEST(SpectraFitReal, PlatinumFourFDoublet) {
  const sp::FitConfig cfg = sp::read_fit_config(source_dir() + "/configs/spectra/pt4f.toml");
  const auto images = sp::read_spectra(pt_file());
  ASSERT_EQ(images.size(), 1u);
  const auto r = sp::fit_spectra(images[0], cfg);
  ASSERT_EQ(r.status[0], static_cast<int>(sp::FitStatus::Converged));
  EXPECT_EQ(r.energy_kind, sp::EnergyKind::Binding);
  ASSERT_EQ(r.n_peaks[0], 2) << "main doublet + asymmetric-tail doublet";
  // The main 4f7/2 line is the narrow one: Pt metal 71.1 eV (NIST), typical FWHM 0.7–1.1 eV.
  const int narrow = r.fwhm[0] < r.fwhm[1] ? 0 : 1;
  EXPECT_NEAR(r.position[narrow], 71.1, 0.2);
  EXPECT_GT(r.fwhm[narrow], 0.5);
  EXPECT_LT(r.fwhm[narrow], 1.2);
  // The tail doublet lies on the high-binding-energy side of the main line.
  EXPECT_GT(r.position[1 - narrow], r.position[narrow]);
  for (int k = 0; k < 2; ++k) {
    EXPECT_GT(r.area[k], 0);
    EXPECT_GT(r.position_se[k], 0);
    EXPECT_LT(r.position_se[k], 0.1);
  }
  // The fitted doublet reproduces the data: total model area vs data area above background
  // within 2 % (the Shirley + constant background and both doublets explain the counts).
  const auto c = sp::fit_curves(r, images[0], 0);
  double data = 0, model = 0;
  for (size_t i = 0; i < c.data.size(); ++i) {
    data += c.data[i];
    model += c.fit[i];
  }
  EXPECT_NEAR(model / data, 1.0, 0.02);
  // A single doublet gives the textbook answer a little pulled by the tail.
  sp::FitConfig one = cfg;
  one.k_min = one.k_max = 1;
  const auto r1 = sp::fit_spectra(images[0], one);
  ASSERT_EQ(r1.status[0], static_cast<int>(sp::FitStatus::Converged));
  EXPECT_NEAR(r1.position[0], 71.2, 0.2);
}

TEST(SpectraFitReal, SnO2OnSiDepthProfile) {
  const auto images = sp::read_spectra(sno2_file());
  const auto sn =
      sp::fit_spectra(block(images, "Sn3d5"),
                      sp::read_fit_config(source_dir() + "/configs/spectra/sno2_sn3d.toml"));
  const auto si = sp::fit_spectra(
      block(images, "Si2p"), sp::read_fit_config(source_dir() + "/configs/spectra/sno2_si2p.toml"));
  ASSERT_EQ(sn.fits, 21);
  ASSERT_EQ(si.fits, 21);
  std::vector<double> sn_area, si_area;
  for (long i = 0; i < 21; ++i) {
    EXPECT_EQ(sn.status[i], static_cast<int>(sp::FitStatus::Converged)) << "Sn cycle " << i;
    EXPECT_EQ(si.status[i], static_cast<int>(sp::FitStatus::Converged)) << "Si cycle " << i;
    // Sn 3d5/2 of SnO2 / reduced Sn on this file's energy scale (C 1s at ≈ 283.7 eV).
    EXPECT_GT(sn.position[i], 484.3) << i;
    EXPECT_LT(sn.position[i], 486.5) << i;
    EXPECT_GT(sn.fwhm[i], 1.0) << i;
    EXPECT_LT(sn.fwhm[i], 2.5) << i;
    sn_area.push_back(sn.area[i * sn.max_peaks]);
    double a = 0;
    for (int k = 0; k < si.n_peaks[i]; ++k) a += si.area[i * si.max_peaks + k];
    si_area.push_back(a);
  }
  // The film is sputtered away: after the surface clean-up (first cycles) Sn 3d falls and the
  // substrate's Si 2p grows.
  const std::vector<double> sn_tail(sn_area.begin() + 3, sn_area.end());
  const std::vector<double> si_tail(si_area.begin() + 3, si_area.end());
  EXPECT_LT(spearman_with_index(sn_tail), -0.9);
  EXPECT_GT(spearman_with_index(si_tail), 0.9);
  EXPECT_GT(si_area.back(), 20 * si_area[3]);
  EXPECT_LT(sn_area.back(), 0.6 * *std::max_element(sn_area.begin(), sn_area.end()));
  // Once Si 2p is strong, its main line is an oxidised-interface Si 2p on this scale.
  for (long i = 12; i < 21; ++i) {
    int major = 0;
    for (int k = 1; k < si.n_peaks[i]; ++k)
      if (si.area[i * si.max_peaks + k] > si.area[i * si.max_peaks + major]) major = k;
    EXPECT_NEAR(si.position[i * si.max_peaks + major], 101.7, 0.6) << "cycle " << i;
  }
}

TEST(SpectraFitReal, CommandLineWritesMapsCurvesAndPlots) {
  const fs::path dir = fs::temp_directory_path() / ("vitrum_fit_cli_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "pt4f.h5").string();
  const std::string cmd = vitrum::test::vitrum_binary() + " spectra fit " + pt_file() +
                          " --config " + source_dir() + "/configs/spectra/pt4f.toml -o " + out +
                          " > " + (dir / "log.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_TRUE(fs::exists(out));
  const std::string csv = (dir / "pt4f_Pt4f_PE20.csv").string();
  ASSERT_TRUE(fs::exists(csv));
  std::ifstream in(csv);
  std::string line, header;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') {
      header = line;
      break;
    }
  EXPECT_EQ(header.rfind("binding_energy_eV,data,fit,background,peak_1,peak_2", 0), 0u) << header;
  // The result file holds the maps the issue lists, each its own /Experiments/<signal>.
  const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* want :
       {"Pt4f_PE20_n_peaks", "Pt4f_PE20_position", "Pt4f_PE20_fwhm", "Pt4f_PE20_area",
        "Pt4f_PE20_eta", "Pt4f_PE20_background", "Pt4f_PE20_log_likelihood", "Pt4f_PE20_bic",
        "Pt4f_PE20_iterations", "Pt4f_PE20_status", "Pt4f_PE20_position_se", "Pt4f_PE20_area_se"}) {
    const std::string path = std::string("/Experiments/") + want + "/data";
    EXPECT_GT(H5Lexists(f, ("/Experiments/" + std::string(want)).c_str(), H5P_DEFAULT), 0) << want;
    EXPECT_GT(H5Lexists(f, path.c_str(), H5P_DEFAULT), 0) << path;
  }
  H5Fclose(f);
  if (std::system("/usr/bin/python3 -c 'import matplotlib, h5py' >/dev/null 2>&1") == 0)
    EXPECT_TRUE(fs::exists(dir / "pt4f_Pt4f_PE20.png"));
  fs::remove_all(dir);
}
