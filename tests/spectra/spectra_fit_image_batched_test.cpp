// The batched schedule of the image template fit (what --backend cuda runs: every polish of one
// step of one wavefront in one batch, fit_image_batched.cpp) tested on the CPU:
//  - with the host polish as the batch's round, it gives exactly the per-pixel schedule's
//    numbers (same steps, same order, same arithmetic), on a tall and a wide image, with two
//    Tougaard rounds and free widths, and with states absent from part of the image;
//  - with the CUDA kernel's arithmetic emulated (sums over 32 lanes combined in the warp's
//    shuffle order, exact line shapes instead of tables; pseudo-Voigt, as LA is slow to emulate),
//    it agrees with the CPU fit to the polish's convergence, as the GPU must
//    (tests/gpu/spectra_template_parity_test.cpp).
#include <gtest/gtest.h>

#include <string>

#include "template_fit_compare.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/fit_image.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;

namespace {

/// LA doublets of two states on a Tougaard background (as the Cramér–Rao test), ny × nx.
vs::SynthConfig la_tougaard_image(int ny, int nx) {
  vs::SynthConfig c;
  c.ny = ny;
  c.nx = nx;
  c.energy_min = 27.0;
  c.energy_max = 41.0;
  c.energy_step = 0.05;
  c.line_shape = "LA(1.1,4,30)";
  c.position = 31.4;
  c.fwhm = 0.5;
  c.doublet_splitting = 2.18;
  c.doublet_ratio = 0.75;
  c.shift = {vs::SynthPattern::GradientX, 1.0, 1.8};
  c.ratio = {vs::SynthPattern::Radial, 0.2, 0.8};
  c.background_kind = vs::SynthBackground::Tougaard;
  c.tougaard = {2866.0, 1643.0, 0.0, 0};
  c.peak_counts = 20000.0;
  c.background = 50.0;
  c.seed = 7;
  return c;
}

constexpr char kLaTougaard[] = R"toml(
[peaks]
shape = "pseudo-voigt"
count = [1, 3]
[peaks.doublet]
splitting = 2.18
ratio = 0.75
[polish]
line_shape = "LA(1.1,4,30)"
tougaard = "u2"
bic = "polish"
residuals = false
[image]
mode = "template"
max_shift = 0.5
widths = "free"
)toml";

/// Pseudo-Voigt doublets, the second state from nothing (centre) to half the intensity, weak.
vs::SynthConfig weak_pv_image(int ny, int nx) {
  vs::SynthConfig c;
  c.ny = ny;
  c.nx = nx;
  c.energy_min = 26.0;
  c.energy_max = 40.0;
  c.energy_step = 0.05;
  c.shape = vs::SynthShape::PseudoVoigt;
  c.position = 30.0;
  c.fwhm = 0.8;
  c.doublet_splitting = 2.18;
  c.doublet_ratio = 0.75;
  c.shift = {vs::SynthPattern::GradientX, 2.0, 2.2};
  c.ratio = {vs::SynthPattern::Radial, 0.0, 0.5};
  c.peak_counts = 3000.0;
  c.background = 200.0;
  c.seed = 3;
  return c;
}

constexpr char kPv[] = R"toml(
[peaks]
shape = "pseudo-voigt"
count = [1, 3]
[peaks.doublet]
splitting = 2.18
ratio = 0.75
[image]
mode = "template"
)toml";

vs::TemplateFitResult fit(const vs::SpectrumImage& im, const vs::FitConfig& cfg,
                          vs::TemplateSchedule schedule) {
  vs::FitOptions opt;
  opt.threads = 2;
  return vs::fit_image_template(im, cfg, opt, schedule);
}

}  // namespace

TEST(SpectraFitImageBatched, SameNumbersAsPerPixelWithTougaardRoundsAndFreeWidths) {
  const vs::SpectrumImage im = vs::synthesize(la_tougaard_image(4, 7)).image;  // wide
  const vs::FitConfig cfg = vs::parse_fit_config(kLaTougaard, "batched_la.toml");
  const vs::TemplateFitResult a = fit(im, cfg, vs::TemplateSchedule::PerPixel);
  ASSERT_EQ(a.K, 2);
  long neighbour = 0;
  for (long p = 0; p < a.pixels(); ++p) neighbour += a.start[p] == 1;
  EXPECT_GT(neighbour, 0);  // both starts exercised
  const vs::TemplateFitResult b = fit(im, cfg, vs::TemplateSchedule::Batched);
  vitrum::test::expect_identical_template_fits(a, b);
  // (The GPU's arithmetic with LA shapes, exact instead of tabulated, is too slow to emulate
  // here: tests/gpu/spectra_template_parity_test.cpp compares it on a device.)
}

TEST(SpectraFitImageBatched, SameNumbersAsPerPixelWithAbsentStates) {
  const vs::SpectrumImage im = vs::synthesize(weak_pv_image(7, 4)).image;  // tall
  const vs::FitConfig cfg = vs::parse_fit_config(kPv, "batched_pv.toml");
  const vs::TemplateFitResult a = fit(im, cfg, vs::TemplateSchedule::PerPixel);
  ASSERT_EQ(a.K, 2);
  long absent = 0;
  for (long p = 0; p < a.pixels(); ++p) absent += a.n_significant[p] < 2;
  EXPECT_GT(absent, 0);  // the significance test decides both ways
  EXPECT_LT(absent, a.pixels());
  const vs::TemplateFitResult b = fit(im, cfg, vs::TemplateSchedule::Batched);
  vitrum::test::expect_identical_template_fits(a, b);
  const vs::TemplateFitResult w = fit(im, cfg, vs::TemplateSchedule::EmulatedWarp);
  vitrum::test::expect_close_template_fits(a, w);
}
