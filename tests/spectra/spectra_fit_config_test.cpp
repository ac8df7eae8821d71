// The fit's TOML configuration and the checks on bad requests: every message must name the file,
// the place and the problem (unknown keys by name, with the line).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/spectrum_io.hpp"
#include "vitrum/spectra/synth.hpp"

namespace sp = vitrum::spectra;
namespace fs = std::filesystem;

namespace {

/// Message of the vitrum::Error thrown by f, or "" when nothing is thrown.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const vitrum::Error& e) {
    return e.what();
  }
  return "";
}

sp::SpectrumImage small_image() {
  sp::SpectrumImage im;
  im.name = "C 1s";
  im.source = "memory.h5";
  im.ny = 2;
  im.nx = 3;
  for (int i = 0; i < 101; ++i) im.energy.push_back(280.0 + 0.1 * i);
  im.counts.assign(6 * 101, 10.0f);
  return im;
}

}  // namespace

TEST(SpectraFitConfig, DefaultsAndAFullConfig) {
  const sp::FitConfig d = sp::parse_fit_config("", "empty.toml");
  EXPECT_EQ(d.shape, sp::PeakShape::PseudoVoigt);
  EXPECT_EQ(d.k_min, 1);
  EXPECT_EQ(d.k_max, 3);
  EXPECT_TRUE(d.bg_uniform && d.bg_ramps && !d.bg_shirley);
  EXPECT_FALSE(d.has_window);
  const sp::FitConfig c = sp::parse_fit_config(R"(
[data]
blocks = ["a", "b"]
energy = "binding"
intensity_scale = 0.5
negative = "clip"
[window]
min = 280
max = 290.5
[peaks]
shape = "gaussian"
count = [2, 5]
fwhm_min = 0.5
fwhm_max = 2
eta_free = false
[peaks.doublet]
orbital = "d"
splitting = 8.41
[background]
steps = 4
shirley = true
ramps = false
[em]
random_starts = 5
seed = 42
tolerance = 1e-8
[output]
png = false
)",
                                               "full.toml");
  EXPECT_EQ(c.blocks.size(), 2u);
  EXPECT_EQ(c.axis, sp::FitAxis::Binding);
  EXPECT_DOUBLE_EQ(c.intensity_scale, 0.5);
  EXPECT_TRUE(c.clip_negative);
  EXPECT_TRUE(c.has_window);
  EXPECT_DOUBLE_EQ(c.window_max, 290.5);
  EXPECT_EQ(c.shape, sp::PeakShape::Gaussian);
  EXPECT_EQ(c.k_min, 2);
  EXPECT_EQ(c.k_max, 5);
  EXPECT_TRUE(c.doublet);
  EXPECT_NEAR(c.doublet_ratio, 2.0 / 3.0, 1e-15);
  EXPECT_EQ(c.bg_steps, 4);
  EXPECT_EQ(c.random_starts, 5);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_FALSE(c.write_png);
  // Every key the parser accepts is documented in the help text with its default.
  const std::string help = sp::fit_config_help();
  for (const char* key : {"blocks",
                          "energy",
                          "photon_energy",
                          "intensity_scale",
                          "rate_to_counts",
                          "negative",
                          "min",
                          "max",
                          "shape",
                          "count",
                          "position_min",
                          "fwhm_min",
                          "fwhm_max",
                          "eta",
                          "eta_free",
                          "orbital",
                          "splitting",
                          "uniform",
                          "ramps",
                          "steps",
                          "shirley",
                          "tolerance",
                          "abs_tolerance",
                          "max_iterations",
                          "random_starts",
                          "screening_iterations",
                          "seed",
                          "screen_bin",
                          "smooth_fwhm",
                          "min_peak_fraction",
                          "uncertainties",
                          "curves",
                          "png"})
    EXPECT_NE(help.find(key), std::string::npos) << key;
}

TEST(SpectraFitConfig, UnknownKeysAreRejectedByNameWithTheLine) {
  std::string msg = error_of(
      [] { sp::parse_fit_config("[peaks]\nshape = \"gaussian\"\nfwhm_mn = 0.4\n", "my.toml"); });
  EXPECT_NE(msg.find("my.toml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'fwhm_mn'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[peaks]"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[peak]\ncount = 2\n", "my.toml"); });
  EXPECT_NE(msg.find("'peak'"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[em]\nmaxiter = 3\n", "my.toml"); });
  EXPECT_NE(msg.find("'maxiter'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("max_iterations"), std::string::npos) << "lists the accepted keys: " << msg;
}

TEST(SpectraFitConfig, BadValuesNameTheKey) {
  auto msg = error_of([] { sp::parse_fit_config("[peaks]\ncount = \"two\"\n", "c.toml"); });
  EXPECT_NE(msg.find("c.toml:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("count"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[peaks]\ncount = [3, 1]\n", "c.toml"); });
  EXPECT_NE(msg.find("count"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[peaks]\nshape = \"lorentz\"\n", "c.toml"); });
  EXPECT_NE(msg.find("\"lorentz\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("pseudo-voigt"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[window]\nmin = 5\nmax = 1\n", "c.toml"); });
  EXPECT_NE(msg.find("min"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[window]\nmin = 5\n", "c.toml"); });
  EXPECT_NE(msg.find("max"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[peaks.doublet]\nsplitting = 3\n", "c.toml"); });
  EXPECT_NE(msg.find("orbital"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[em]\ntolerance = -1\n", "c.toml"); });
  EXPECT_NE(msg.find("tolerance"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[em\nseed = 1\n", "c.toml"); });
  EXPECT_NE(msg.find("c.toml:1"), std::string::npos) << msg;
  msg = error_of([] { sp::read_fit_config("/nonexistent/fit.toml"); });
  EXPECT_NE(msg.find("/nonexistent/fit.toml"), std::string::npos) << msg;
}

TEST(SpectraFitConfig, RequestsThatCannotFitTheDataAreClearErrors) {
  const sp::SpectrumImage im = small_image();
  sp::FitConfig c = sp::parse_fit_config("[window]\nmin = 300\nmax = 310\n", "w.toml");
  std::string msg = error_of([&] { sp::fit_spectra(im, c); });
  EXPECT_NE(msg.find("w.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("outside"), std::string::npos) << msg;
  // Wrong dimensions: counts do not match ny × nx × channels.
  sp::SpectrumImage bad = im;
  bad.counts.resize(100);
  msg = error_of([&] { sp::fit_spectra(bad, sp::FitConfig{}); });
  EXPECT_NE(msg.find("memory.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("channels"), std::string::npos) << msg;
  // A window with too few channels for the number of peaks asked for.
  c = sp::parse_fit_config("[window]\nmin = 280\nmax = 281\n[peaks]\ncount = 4\n", "few.toml");
  msg = error_of([&] { sp::fit_spectra(im, c); });
  EXPECT_NE(msg.find("channels"), std::string::npos) << msg;
  // Bounds that cannot hold a peak.
  msg = error_of([] { sp::parse_fit_config("[peaks]\nfwhm_min = 2\nfwhm_max = 1\n", "b.toml"); });
  EXPECT_NE(msg.find("b.toml:3"), std::string::npos) << msg;
  c = sp::FitConfig{};
  c.position_min = 295.0;  // beyond the data's last channel
  c.position_max = 299.0;
  msg = error_of([&] { sp::fit_spectra(im, c); });
  EXPECT_TRUE(msg.empty()) << msg;  // a peak centred outside may still have its tail inside
  c.position_min = 289.0;
  c.position_max = 288.0;
  msg = error_of([&] { sp::fit_spectra(im, c); });
  EXPECT_NE(msg.find("position"), std::string::npos) << msg;
}

TEST(SpectraFitConfig, CommandLineReportsTheFileAndTheProblem) {
  const fs::path dir = fs::temp_directory_path() / ("vitrum_fit_cfg_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string cfg = (dir / "bad.toml").string();
  std::ofstream(cfg) << "[background]\nshirly = true\n";
  const std::string vms = vitrum::test::shared_dir() + "/spectra/vamas/casa_Pt4f_doublet.vms";
  auto run = [&](const std::string& args, std::string& err) {
    const std::string log = (dir / "err.txt").string();
    const int rc = std::system(
        (vitrum::test::vitrum_binary() + " spectra fit " + args + " 2> " + log + " > /dev/null")
            .c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    err = ss.str();
    return rc;
  };
  std::string err;
  EXPECT_NE(run(vms + " -c " + cfg + " -o " + (dir / "o.h5").string(), err), 0);
  EXPECT_NE(err.find("bad.toml:2"), std::string::npos) << err;
  EXPECT_NE(err.find("'shirly'"), std::string::npos) << err;
  EXPECT_NE(run(vms + " --block nope -o " + (dir / "o.h5").string(), err), 0);
  EXPECT_NE(err.find("no block named 'nope'"), std::string::npos) << err;
  EXPECT_NE(err.find("Pt4f PE20"), std::string::npos) << "lists the blocks: " << err;
  std::ofstream(cfg) << "[window]\nmin = 10\nmax = 20\n";
  EXPECT_NE(run(vms + " -c " + cfg + " -o " + (dir / "o.h5").string(), err), 0);
  EXPECT_NE(err.find("outside"), std::string::npos) << err;
  EXPECT_NE(err.find("casa_Pt4f_doublet.vms"), std::string::npos) << err;
  EXPECT_NE(run(vms + " --backend tpu -o " + (dir / "o.h5").string(), err), 0);
  EXPECT_NE(err.find("tpu"), std::string::npos) << err;
  fs::remove_all(dir);
}

TEST(SpectraFitConfig, ShippedConfigsParse) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(vitrum::test::source_dir() + "/configs/spectra")) {
    if (e.path().extension() != ".toml") continue;
    ++n;
    // `vitrum spectra synth` configs (synth_<name>.toml other than synth_fit.toml) ship here too.
    const std::string name = e.path().filename().string();
    if (name.rfind("synth_", 0) == 0 && name != "synth_fit.toml") {
      EXPECT_NO_THROW(sp::load_synth_config(e.path().string())) << e.path();
      continue;
    }
    EXPECT_NO_THROW(sp::read_fit_config(e.path().string())) << e.path();
  }
  EXPECT_GE(n, 2) << "configs/spectra should ship pt4f.toml and synth_fit.toml";
  const sp::FitConfig s =
      sp::read_fit_config(vitrum::test::source_dir() + "/configs/spectra/synth_fit.toml");
  EXPECT_TRUE(s.bg_shirley);
  EXPECT_EQ(s.k_max, 3);
}

TEST(FitConfig, PolishLineShapeTougaardAndBicKeys) {
  const sp::FitConfig d = sp::parse_fit_config("[polish]\n", "p.toml");
  EXPECT_TRUE(d.polish_line_shape.empty());
  EXPECT_FALSE(d.polish_tougaard);
  EXPECT_FALSE(d.polish_bic);
  const sp::FitConfig c = sp::parse_fit_config(
      "[polish]\nline_shape = \"LA(1.1,4,30)\"\ntougaard = \"u3\"\nbic = \"polish\"\n", "p.toml");
  EXPECT_EQ(c.polish_line_shape, "LA(1.1,4,30)");
  EXPECT_TRUE(c.polish_tougaard);
  EXPECT_TRUE(c.polish_bic);
  EXPECT_EQ(c.polish_tougaard_xs.three_param, 1);
  EXPECT_DOUBLE_EQ(c.polish_tougaard_xs.C, 551.0);
  EXPECT_DOUBLE_EQ(c.polish_tougaard_xs.D, 436.0);
  const sp::FitConfig u2 =
      sp::parse_fit_config("[polish]\ntougaard = \"u2\"\ntougaard_c = 1000\n", "p.toml");
  EXPECT_EQ(u2.polish_tougaard_xs.three_param, 0);
  EXPECT_DOUBLE_EQ(u2.polish_tougaard_xs.C, 1000.0);
  std::string msg =
      error_of([] { sp::parse_fit_config("[polish]\nline_shape = \"LB(1,2)\"\n", "p.toml"); });
  EXPECT_NE(msg.find("p.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line_shape"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[polish]\ntougaard = \"u4\"\n", "p.toml"); });
  EXPECT_NE(msg.find("tougaard"), std::string::npos) << msg;
  msg = error_of([] { sp::parse_fit_config("[polish]\nbic = \"aic\"\n", "p.toml"); });
  EXPECT_NE(msg.find("bic"), std::string::npos) << msg;
}
