// Synthetic images with any line shape and a Tougaard background (spectra/synth.hpp): the
// expected counts against the line shapes and math::tougaard_integral recomputed here from the
// truth maps, the TOML keys ([peak] line_shape, [background]) and their errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;
namespace vm = vitrum::spectra::math;
namespace fs = std::filesystem;

namespace {

vs::SynthConfig asymmetric_tougaard() {
  vs::SynthConfig c;
  c.ny = 3;
  c.nx = 4;
  c.energy_min = 26.0;
  c.energy_max = 46.0;
  c.energy_step = 0.05;
  c.position = 31.4;
  c.fwhm = 0.6;
  c.doublet_splitting = 2.18;
  c.doublet_ratio = 0.75;
  c.shift = {vs::SynthPattern::GradientX, 0.6, 1.2};
  c.line_shape = "LA(1.2,4,40)";
  c.background_kind = vs::SynthBackground::Tougaard;
  c.tougaard = {2866.0, 1643.0, 0.0, 0};
  c.noise = false;
  return c;
}

/// Peak signal per channel of pixel p from the truth stacks (positions, areas).
std::vector<double> signal_from_truth(const vs::SynthResult& r, const vs::SynthConfig& c, long p) {
  const auto shape = vs::parse_casa_lineshape(c.line_shape);
  const auto& pos = r.truth.peak_stacks[0];
  const auto& area = r.truth.peak_stacks[3];
  const long npix = static_cast<long>(c.ny) * c.nx;
  std::vector<double> s(r.image.channels(), 0.0);
  for (int k = 0; k < pos.n_peaks; ++k) {
    // Truth maps are float: recompute the exact positions/areas the generator used.
    const double x0 = std::round(pos.values[k * npix + p] * 1e5) / 1e5;
    const double a = area.values[k * npix + p];
    const auto prm = shape.params(x0, c.fwhm, a);
    for (int i = 0; i < r.image.channels(); ++i)
      s[i] += c.energy_step * vm::shape_value(shape.kind, prm, r.image.energy[i]);
  }
  return s;
}

}  // namespace

TEST(SynthShapes, TougaardBackgroundAndAsymmetricPeaksMatchTheirFormulas) {
  const vs::SynthConfig c = asymmetric_tougaard();
  const vs::SynthResult r = vs::synthesize(c);
  EXPECT_EQ(r.image.metadata.at("synth.line_shape"), "LA(1.2,4,40)");
  EXPECT_EQ(r.image.metadata.at("synth.background_kind"), "tougaard");
  const int n = r.image.channels();
  for (long p : {0L, 5L, 11L}) {
    const std::vector<double> s = signal_from_truth(r, c, p);
    std::vector<double> S(n);
    vm::tougaard_integral(r.image.energy.data(), s.data(), 0, n - 1, 0.0, c.tougaard, S.data());
    const float* mu = r.expected.spectrum(p);
    double top = 0;
    for (int i = 0; i < n; ++i) top = std::max(top, static_cast<double>(mu[i]));
    for (int i = 0; i < n; ++i) {
      const double want = c.background + c.tougaard.B * S[i] + s[i];
      // Float storage of μ and of the truth (positions to 1e-5 eV): 2e-5 of the peak.
      EXPECT_NEAR(mu[i], want, 2e-5 * top) << "pixel " << p << " channel " << i;
    }
    // The loss background rises above the flat part on the high-binding-energy side only.
    EXPECT_NEAR(mu[0], c.background, 1e-3 * c.background);
    EXPECT_GT(mu[n - 1] - c.background, 5.0);
  }
}

TEST(SynthShapes, TomlKeysForLineShapeAndBackground) {
  const fs::path dir =
      fs::temp_directory_path() / ("vitrum_synth_shapes_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "s.toml").string();
  std::ofstream(path) << "[peak]\nline_shape = \"DS(0.1,30)\"\n[background]\nkind = "
                         "\"tougaard\"\ncross_section = \"u3\"\nB = 300\n";
  const auto c = vs::load_synth_config(path);
  EXPECT_EQ(c.line_shape, "DS(0.1,30)");
  EXPECT_EQ(c.background_kind, vs::SynthBackground::Tougaard);
  EXPECT_EQ(c.tougaard.three_param, 1);
  EXPECT_DOUBLE_EQ(c.tougaard.B, 300);
  EXPECT_DOUBLE_EQ(c.tougaard.C, 551);
  EXPECT_DOUBLE_EQ(c.tougaard.D, 436);
  auto error_of = [&](const std::string& text) {
    std::ofstream(path) << text;
    try {
      vs::load_synth_config(path);
    } catch (const vitrum::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[peak]\nline_shape = \"LF(1,2,3,4)\"\n").find(path + ":2:"),
            std::string::npos);
  EXPECT_NE(error_of("[background]\nkind = \"smart\"\n").find("expected shirley_step or tougaard"),
            std::string::npos);
  EXPECT_NE(error_of("[background]\nB = 1\nE = 2\n").find("unknown key 'E'"), std::string::npos);
  fs::remove_all(dir);
  const auto w4f = vs::load_synth_config(std::string(VITRUM_SOURCE_DIR) +
                                         "/configs/spectra/synth_w4f_la_tougaard.toml");
  EXPECT_EQ(w4f.line_shape, "LA(1.1,4,30)");
  EXPECT_EQ(w4f.background_kind, vs::SynthBackground::Tougaard);
  vs::SynthConfig bad = asymmetric_tougaard();
  bad.line_shape = "LA(1.2,0.3,40)";
  EXPECT_THROW(vs::synthesize(bad), vitrum::Error);
  bad = asymmetric_tougaard();
  bad.tougaard.C = 0;
  EXPECT_THROW(vs::synthesize(bad), vitrum::Error);
}
