// CPU vs CUDA consistency of the image template fit (fit_image.hpp): the same synthetic images
// fitted with --backend cpu (per-pixel schedule, tabulated LA shapes) and --backend cuda (the
// batched wavefront schedule, one warp per polish in kernels/spectra/polish.cu, exact shapes)
// agree to the polish's convergence: same status and significance in every pixel, positions
// within 0.1 standard errors, areas within 1e-3, likelihoods and test statistics within 0.02
// (tests/spectra/template_fit_compare.hpp). Both fits use the same template (the sum spectrum
// is always fitted on the CPU). Skipped without a CUDA device (VITRUM_REQUIRE_GPU=1: failure).
#include <gtest/gtest.h>

#include "../spectra/template_fit_compare.hpp"
#include "gpu_guard.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/fit_image.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;

namespace {

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

vs::SynthConfig image(bool la) {
  vs::SynthConfig c;
  c.ny = 12;
  c.nx = 9;
  c.energy_step = 0.05;
  c.doublet_splitting = 2.18;
  c.doublet_ratio = 0.75;
  if (la) {
    c.energy_min = 27.0;
    c.energy_max = 41.0;
    c.line_shape = "LA(1.1,4,30)";
    c.position = 31.4;
    c.fwhm = 0.5;
    c.shift = {vs::SynthPattern::GradientX, 1.0, 1.8};
    c.ratio = {vs::SynthPattern::Radial, 0.2, 0.8};
    c.background_kind = vs::SynthBackground::Tougaard;
    c.tougaard = {2866.0, 1643.0, 0.0, 0};
    c.peak_counts = 20000.0;
    c.background = 50.0;
  } else {
    c.energy_min = 26.0;
    c.energy_max = 40.0;
    c.shape = vs::SynthShape::PseudoVoigt;
    c.position = 30.0;
    c.fwhm = 0.8;
    c.shift = {vs::SynthPattern::GradientX, 2.0, 2.2};
    c.ratio = {vs::SynthPattern::Radial, 0.0, 0.5};
    c.peak_counts = 3000.0;
    c.background = 200.0;
  }
  c.seed = 5;
  return c;
}

void compare(bool la) {
  const vs::SpectrumImage im = vs::synthesize(image(la)).image;
  const vs::FitConfig cfg = vs::parse_fit_config(la ? kLaTougaard : kPv, "parity.toml");
  vs::FitOptions cpu;
  const vs::TemplateFitResult a = vs::fit_image_template(im, cfg, cpu);
  vs::FitOptions gpu;
  gpu.backend = vitrum::Backend::Cuda;
  const vs::TemplateFitResult b = vs::fit_image_template(im, cfg, gpu);
  ASSERT_EQ(a.K, 2);
  EXPECT_EQ(a.template_position, b.template_position);  // the same template
  vitrum::test::expect_close_template_fits(a, b);
  std::printf("cpu %.3f s, cuda %.3f s (%ld pixels)\n", a.seconds, b.seconds, a.pixels());
}

}  // namespace

TEST(SpectraTemplateParity, LaDoubletsWithTougaardAndFreeWidths) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  compare(true);
}

TEST(SpectraTemplateParity, PseudoVoigtWithAbsentStates) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  compare(false);
}
