// `vitrum spectra fit` with [polish] on real files: the analyst's LA doublet model of Pt 4f
// (configs/spectra/pt4f_polish.toml) gives the Pt metal 4f7/2 line, writes the polish maps, the
// residual cube and the polished curves; a CasaXPS template that vitrum cannot express (Fe 2p,
// LF line shapes) stops with an error naming the file, block and comment line.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../test_paths.hpp"

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(SpectraPolishCli, PtModelWritesPolishMapsResidualsAndCurves) {
  const fs::path dir =
      fs::temp_directory_path() / ("vitrum_polish_cli_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "pt.h5").string();
  const std::string cmd = vitrum::test::vitrum_binary() + " spectra fit " +
                          vitrum::test::shared_dir() + "/spectra/vamas/casa_Pt4f_doublet.vms" +
                          " --config " + vitrum::test::source_dir() +
                          "/configs/spectra/pt4f_polish.toml --no-png -o " + out + " > " +
                          (dir / "log.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_text(dir / "log.txt");
  const std::string csv = read_text(dir / "pt_Pt4f_PE20_polish.csv");
  EXPECT_NE(csv.find("# polish: status converged"), std::string::npos) << csv.substr(0, 400);
  EXPECT_NE(csv.find("binding_energy_eV,data,fit,background,Pt 4f7/2,Pt 4f5/2"), std::string::npos);
  // Pt metal 4f7/2 at 71.1 ± 0.1 eV (NIST XPS database).
  const std::string key = "# Pt 4f7/2 (LA(0.662,1.782,17.18)): position ";
  const size_t at = csv.find(key);
  ASSERT_NE(at, std::string::npos) << csv.substr(0, 400);
  const double pos = std::atof(csv.c_str() + at + key.size());
  EXPECT_NEAR(pos, 71.1, 0.1);
  const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* want :
       {"Pt4f_PE20_polish_status", "Pt4f_PE20_polish_chi2_reduced", "Pt4f_PE20_polish_position",
        "Pt4f_PE20_polish_position_se", "Pt4f_PE20_polish_area_fraction", "Pt4f_PE20_residual"})
    EXPECT_GT(H5Lexists(f, (std::string("/Experiments/") + want).c_str(), H5P_DEFAULT), 0) << want;
  H5Fclose(f);
  fs::remove_all(dir);
}

TEST(SpectraPolishCli, UnsupportedCasaTemplateIsAClearError) {
  const fs::path dir =
      fs::temp_directory_path() / ("vitrum_polish_casa_" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream c(dir / "casa.toml");
    c << "[data]\nenergy = \"binding\"\n[peaks]\ncount = 1\n[polish]\nstart = \"casa\"\n";
  }
  const std::string cmd = vitrum::test::vitrum_binary() + " spectra fit " +
                          vitrum::test::shared_dir() +
                          "/spectra/vamas/specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms --config " +
                          (dir / "casa.toml").string() + " --no-png -o " +
                          (dir / "fe.h5").string() + " > " + (dir / "log.txt").string() + " 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  const std::string log = read_text(dir / "log.txt");
  EXPECT_NE(log.find("specs_casa_FeO_Fe2p_IRREGULAR_fitted.vms, block 'Fe 2p', comment line 9: "
                     "line shape 'LF(0.54,10,80,100,6)'"),
            std::string::npos)
      << log;
  EXPECT_FALSE(fs::exists(dir / "fe.h5"));
  fs::remove_all(dir);
}
