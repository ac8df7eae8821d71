// Images fitted as images (fit_image.hpp) on a synthetic map built like the W 4f map of issue 15
// item 6: a flake with a W 4f-like metal doublet (and an oxide doublet on half of it) on a strong
// sloping background, a substrate with no W signal, Poisson noise. Acceptance: ≥ 98 % of signal
// pixels get the doublet within 0.05 eV of the truth, component identities never swap, ≥ 98 % of
// the no-signal pixels are reported as such. Also: each pixel's fit is a likelihood maximum
// (finite differences of ℓ), the shift bound, the [image] keys, and a sum without peaks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/fit.hpp"
#include "vitrum/spectra/fit_image.hpp"
#include "vitrum/spectra/math/em_shapes.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;

namespace {

constexpr double kMetal = 31.40, kOxide = 35.60, kSplit = 2.18, kRatio = 0.75;
constexpr double kFwhm = 0.7, kEta = 0.3, kStep = 0.05;
constexpr int kNy = 24, kNx = 20;

struct Truth {
  std::vector<int> flake, oxide;  ///< [pixel] 0/1
  std::vector<double> metal_pos;  ///< [pixel] eV (NaN outside the flake)
  std::vector<double> oxide_pos;  ///< [pixel] eV (NaN where no oxide)
};

bool in_flake(int y, int x) {
  const double dy = (y - 11.5) / 8.0, dx = (x - 9.5) / 7.0;
  return dy * dy + dx * dx <= 1.0;
}

/// The synthetic map: expected counts per channel = A g(E) (A = counts × channel width, g the
/// unit-area pseudo-Voigt doublet of the fit's own model) + 400 + 60 (E − 28 eV) counts.
vs::SpectrumImage make_map(Truth& t, std::uint64_t seed) {
  vs::SpectrumImage im;
  im.name = "W4f";
  im.source = "synthetic";
  im.ny = kNy;
  im.nx = kNx;
  for (double e = 28.0; e <= 40.0 + 1e-9; e += kStep) im.energy.push_back(e);
  const int n = im.channels();
  im.counts.resize(static_cast<size_t>(im.pixels()) * n);
  vs::math::EmModel m;
  m.shape = vs::PeakShape::PseudoVoigt;
  m.doublet = 1;
  m.split = kSplit;
  m.ratio = kRatio;
  t.flake.assign(im.pixels(), 0);
  t.oxide.assign(im.pixels(), 0);
  t.metal_pos.assign(im.pixels(), NAN);
  t.oxide_pos.assign(im.pixels(), NAN);
  for (int y = 0; y < kNy; ++y)
    for (int x = 0; x < kNx; ++x) {
      const long p = static_cast<long>(y) * kNx + x;
      const bool flake = in_flake(y, x), oxide = flake && x >= 10;
      // A chemical-shift gradient of ±0.08 eV across the map: the template is not the truth.
      const double shift = 0.08 * (x - 9.5) / 9.5;
      t.flake[p] = flake;
      t.oxide[p] = oxide;
      if (flake) t.metal_pos[p] = kMetal + shift;
      if (oxide) t.oxide_pos[p] = kOxide + shift;
      vs::PoissonStream rng(seed, static_cast<std::uint64_t>(p));
      for (int c = 0; c < n; ++c) {
        const double e = im.energy[c];
        double mu = 400.0 + 60.0 * (e - 28.0);
        if (flake) mu += 10000.0 * kStep * vs::math::peak_value(m, kMetal + shift, kFwhm, kEta, e);
        if (oxide) mu += 5000.0 * kStep * vs::math::peak_value(m, kOxide + shift, kFwhm, kEta, e);
        im.spectrum(p)[c] = static_cast<float>(rng.poisson(mu));
      }
    }
  // One pixel of the substrate is broken (NaN): reported, and its neighbours still fitted.
  im.spectrum(kNx - 1)[5] = NAN;
  return im;
}

vs::FitConfig map_config() {
  vs::FitConfig c;
  c.shape = vs::PeakShape::PseudoVoigt;
  c.k_min = 1;
  c.k_max = 3;
  c.doublet = true;
  c.doublet_splitting = kSplit;
  c.doublet_ratio = kRatio;
  c.image_template = true;
  return c;
}

/// Template component nearest to `e`.
int component_near(const vs::TemplateFitResult& r, double e) {
  int best = 0;
  for (int k = 1; k < r.K; ++k)
    if (std::fabs(r.template_position[k] - e) < std::fabs(r.template_position[best] - e)) best = k;
  return best;
}

}  // namespace

TEST(SpectraFitImage, TemplateFitOfAFlakeOnASubstrate) {
  Truth t;
  const vs::SpectrumImage im = make_map(t, 7);
  vs::FitOptions opt;
  const vs::TemplateFitResult r = vs::fit_image_template(im, map_config(), opt);
  // The sum spectrum's EM + BIC finds the two chemical states.
  ASSERT_EQ(r.K, 2);
  const int cm = component_near(r, kMetal), co = component_near(r, kOxide);
  ASSERT_NE(cm, co);
  EXPECT_NEAR(r.template_position[cm], kMetal, 0.05);
  EXPECT_NEAR(r.template_position[co], kOxide, 0.05);
  EXPECT_NEAR(r.template_fwhm[cm], kFwhm, 0.05);

  long flake = 0, flake_ok = 0, oxide = 0, oxide_ok = 0, sub = 0, sub_none = 0;
  long metal_only = 0, metal_only_clean = 0;
  for (long p = 0; p < r.pixels(); ++p) {
    // Identity: a significant component always sits within max_shift of its own template
    // position, i.e. component k is the same chemical state everywhere.
    for (int k = 0; k < r.K; ++k)
      if (r.significant[p * r.K + k])
        EXPECT_LE(std::fabs(r.position[p * r.K + k] - r.template_position[k]), r.max_shift + 1e-12);
    if (t.flake[p]) {
      ++flake;
      flake_ok += r.significant[p * r.K + cm] &&
                  std::fabs(r.position[p * r.K + cm] - t.metal_pos[p]) <= 0.05;
    } else {
      ++sub;
      sub_none += r.n_significant[p] == 0;
    }
    if (t.oxide[p]) {
      ++oxide;
      const bool ok = r.significant[p * r.K + co] &&
                      std::fabs(r.position[p * r.K + co] - t.oxide_pos[p]) <= 0.05;
      oxide_ok += ok;
      if (!ok)
        std::printf("oxide pixel %ld: significant %d, D = %.2f, error %.4f eV\n", p,
                    r.significant[p * r.K + co], r.lr_component[p * r.K + co],
                    r.position[p * r.K + co] - t.oxide_pos[p]);
    } else if (t.flake[p]) {
      ++metal_only;
      metal_only_clean += !r.significant[p * r.K + co];
    }
  }
  std::printf("flake %ld/%ld, oxide %ld/%ld, substrate none %ld/%ld, metal-only no oxide %ld/%ld\n",
              flake_ok, flake, oxide_ok, oxide, sub_none, sub, metal_only_clean, metal_only);
  ASSERT_GT(flake, 100);
  ASSERT_GT(sub, 100);
  EXPECT_GE(flake_ok, 0.98 * flake);
  EXPECT_GE(oxide_ok, 0.98 * oxide);
  EXPECT_GE(sub_none, 0.98 * sub);
  EXPECT_GE(metal_only_clean, 0.98 * metal_only);
  // Standard errors are calibrated: pulls (fit − truth) / se of the metal positions have a
  // spread near 1 (the Fisher information is the Cramér–Rao bound of this model).
  double pull2 = 0.0, err2 = 0.0, se2 = 0.0;
  long npull = 0;
  for (long p = 0; p < r.pixels(); ++p)
    if (t.flake[p] && std::isfinite(r.position_se[p * r.K + cm])) {
      const double e = r.position[p * r.K + cm] - t.metal_pos[p], se = r.position_se[p * r.K + cm];
      pull2 += e * e / (se * se);
      err2 += e * e;
      se2 += se * se;
      ++npull;
    }
  ASSERT_GE(npull, 0.98 * flake);
  std::printf("metal position: RMS error %.4f eV, RMS standard error %.4f eV, pull RMS %.3f\n",
              std::sqrt(err2 / npull), std::sqrt(se2 / npull), std::sqrt(pull2 / npull));
  EXPECT_NEAR(std::sqrt(pull2 / npull), 1.0, 0.2);
  // The NaN pixel is reported, not fitted.
  EXPECT_EQ(r.status[kNx - 1], static_cast<int>(vs::FitStatus::InvalidValues));
  EXPECT_EQ(r.n_significant[kNx - 1], 0);
  // Fits are sound: reduced χ² near 1 over the fitted pixels.
  double chi = 0.0;
  long nfit = 0;
  for (long p = 0; p < r.pixels(); ++p)
    if (std::isfinite(r.chi2_reduced[p])) {
      chi += r.chi2_reduced[p];
      ++nfit;
    }
  EXPECT_EQ(nfit, r.pixels() - 1);
  EXPECT_NEAR(chi / nfit, 1.0, 0.05);
  // The _sum.csv curves are the polished template on the sum spectrum: the model adds up, each
  // state peaks at its template position, and its Poisson deviance on the sum is not above the
  // EM fit's (the polish starts from the EM answer and only accepts steps that lower it).
  const vs::FitCurves sc = vs::template_sum_curves(r);
  const vs::FitCurveSet em = vs::fit_curves(r.reference, r.sum_image, 0);
  ASSERT_EQ(sc.fit.size(), em.fit.size());
  ASSERT_EQ(sc.components.size(), static_cast<size_t>(r.K));
  auto deviance = [](const std::vector<double>& y, const std::vector<double>& lam) {
    double d = 0.0;
    for (size_t i = 0; i < y.size(); ++i)
      d += 2.0 * ((y[i] > 0.0 ? y[i] * std::log(y[i] / lam[i]) : 0.0) - (y[i] - lam[i]));
    return d;
  };
  const double d_sum = deviance(sc.data, sc.fit), d_em = deviance(em.data, em.fit);
  std::printf("sum spectrum: deviance of the polished template %.3f, of the EM fit %.3f\n", d_sum,
              d_em);
  EXPECT_LE(d_sum, d_em * (1.0 + 1e-9));
  for (size_t i = 0; i < sc.fit.size(); ++i) {
    double v = sc.background[i];
    for (const auto& c : sc.components) v += c.second[i];
    EXPECT_NEAR(v, sc.fit[i], 1e-9 * sc.fit[i]);
  }
  for (int k = 0; k < r.K; ++k) {
    const auto& v = sc.components[k].second;
    const size_t top = std::max_element(v.begin(), v.end()) - v.begin();
    EXPECT_NEAR(sc.energy[top], r.template_position[k], kStep);
  }
  // Masked maps: NaN exactly where a component is not significant.
  const vs::MapSet maps = vs::template_result_maps(r, im, map_config());
  for (const auto& s : maps.peak_stacks)
    if (s.name == "position")
      for (int k = 0; k < r.K; ++k)
        for (long p = 0; p < r.pixels(); ++p)
          EXPECT_EQ(std::isnan(s.values[k * r.pixels() + p]), !r.significant[p * r.K + k]);
}

TEST(SpectraFitImage, ShiftBoundKeepsComponentsApart) {
  Truth t;
  const vs::SpectrumImage im = make_map(t, 11);
  vs::FitConfig cfg = map_config();
  cfg.image_max_shift = 5.0;  // larger than half the separation: held at 0.45 × separation
  const vs::TemplateFitResult r = vs::fit_image_template(im, cfg, {});
  ASSERT_EQ(r.K, 2);
  const double sep = std::fabs(r.template_position[1] - r.template_position[0]);
  EXPECT_NEAR(r.max_shift, 0.45 * sep, 1e-12);
}

TEST(SpectraFitImage, NoPeakInTheSumIsAClearError) {
  vs::SpectrumImage im;
  im.name = "flat";
  im.source = "synthetic";
  im.ny = 4;
  im.nx = 4;
  for (int c = 0; c < 200; ++c) im.energy.push_back(28.0 + 0.05 * c);
  im.counts.assign(16 * 200, 0.0f);
  vs::FitConfig cfg = map_config();
  cfg.k_min = cfg.k_max = 1;
  try {
    vs::fit_image_template(im, cfg, {});
    ADD_FAILURE() << "no exception";
  } catch (const vitrum::Error& e) {
    EXPECT_NE(std::string(e.what()).find("sum spectrum"), std::string::npos) << e.what();
  }
}

TEST(SpectraFitImage, ImageTableKeys) {
  const vs::FitConfig c = vs::parse_fit_config(
      "[image]\nmode = \"template\"\nmax_shift = 0.2\nlevel = 0.01\nneighbor_starts = false\n",
      "t.toml");
  EXPECT_TRUE(c.image_template);
  EXPECT_DOUBLE_EQ(c.image_max_shift, 0.2);
  EXPECT_DOUBLE_EQ(c.image_level, 0.01);
  EXPECT_FALSE(c.image_neighbors);
  EXPECT_FALSE(vs::parse_fit_config("", "t.toml").image_template);
  const vs::FitConfig d = vs::parse_fit_config(
      "[data]\nenergy_kind = \"E-E_F\"\nenergy_dimension = \"eV\"\nwork_function = 4.3\n",
      "d.toml");
  EXPECT_EQ(d.energy_kind, vs::EnergyDeclared::RelativeToFermi);
  EXPECT_EQ(d.energy_dimension, "eV");
  EXPECT_DOUBLE_EQ(d.work_function, 4.3);
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"[image]\nlevel = 0.7\n", "level"},
           {"[image]\nmode = \"tiles\"\n", "mode"},
           {"[image]\nmax_shift = -1\n", "max_shift"},
           {"[image]\nreference = \"cluster\"\n", "reference"},
           {"[data]\nenergy_kind = \"fermi\"\n", "energy_kind"}}) {
    try {
      vs::parse_fit_config(text, "bad.toml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const vitrum::Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.toml"), std::string::npos) << e.what();
    }
  }
}

namespace {

/// Poisson ℓ = Σ y ln λ − λ of the data y with the model λ of pixel p of `r` (rebuilt from the
/// result's parameters).
double pixel_loglik(const vs::TemplateFitResult& r, const vs::SpectrumImage& im, long p,
                    const std::vector<double>& y) {
  const vs::FitCurves c = vs::template_fit_curves(r, im, p);
  double l = 0.0;
  for (size_t i = 0; i < c.fit.size(); ++i) l += y[i] * std::log(c.fit[i]) - c.fit[i];
  return l;
}

}  // namespace

// The per-pixel fit is a maximum of the likelihood over its free parameters: at every interior
// position, area and background weight the Newton step from finite differences of ℓ (rebuilt
// from the reported parameters) is negligible and the curvature negative.
TEST(SpectraFitImage, PixelFitsAreLikelihoodMaxima) {
  Truth t;
  const vs::SpectrumImage full = make_map(t, 3);
  vs::SpectrumImage im = full;  // rows 9..11, columns 8..11: metal and oxide
  im.ny = 3;
  im.nx = 4;
  im.counts.clear();
  for (int y = 9; y < 12; ++y)
    for (int x = 8; x < 12; ++x)
      im.counts.insert(im.counts.end(), full.spectrum(y * kNx + x),
                       full.spectrum(y * kNx + x) + full.channels());
  vs::FitConfig cfg = map_config();
  cfg.tolerance = 1e-15;
  cfg.abs_tolerance = 1e-9;
  cfg.max_iterations = 20000;
  const vs::TemplateFitResult r = vs::fit_image_template(im, cfg, {});
  ASSERT_EQ(r.K, 2);
  // |g / c| of ℓ along one parameter (finite differences with step h), c < 0 checked.
  using Field = std::vector<double> vs::TemplateFitResult::*;
  auto newton = [&](long p, Field field, long index, double h) {
    vs::TemplateFitResult q = r;
    double& v = (q.*field)[index];
    const std::vector<double> y(im.spectrum(p), im.spectrum(p) + im.channels());
    const double v0 = v, l0 = pixel_loglik(q, im, p, y);
    v = v0 + h;
    const double lp = pixel_loglik(q, im, p, y);
    v = v0 - h;
    const double lm = pixel_loglik(q, im, p, y);
    const double g = (lp - lm) / (2 * h), c = (lp - 2 * l0 + lm) / (h * h);
    EXPECT_LT(c, 0.0);
    return std::fabs(g / c);
  };
  int checked = 0;
  for (long p = 0; p < r.pixels(); ++p) {
    for (int k = 0; k < r.K; ++k) {
      const long j = p * r.K + k;
      if (!r.significant[j]) continue;
      if (std::fabs(r.position[j] - r.template_position[k]) < r.max_shift - 1e-3) {
        EXPECT_LT(newton(p, &vs::TemplateFitResult::position, j, 1e-3), 1e-4)
            << "pixel " << p << " C" << k + 1;
        ++checked;
      }
      EXPECT_LT(newton(p, &vs::TemplateFitResult::area, j, 1e-3 * r.area[j]), 1e-4 * r.area[j])
          << "pixel " << p;
    }
    for (int b = 0; b < r.n_background(); ++b) {
      const long j = p * r.n_background() + b;
      const double w = r.background[j];
      if (w > 1e-3 * r.total_counts[p])
        EXPECT_LT(newton(p, &vs::TemplateFitResult::background, j, 1e-3 * w), 1e-4 * w);
    }
  }
  EXPECT_GE(checked, 12);
}

// [image] widths: "template" (default) or "free" (each pixel fits every state's FWHM; the test
// then has 3 degrees of freedom: its threshold is the χ²₃ quantile, 16.266 at α = 10⁻³).
TEST(SpectraFitImage, WidthsKeyAndItsThreshold) {
  EXPECT_FALSE(vs::parse_fit_config("[image]\nmode = \"template\"\n", "t.toml").image_free_widths);
  EXPECT_TRUE(vs::parse_fit_config("[image]\nwidths = \"free\"\n", "t.toml").image_free_widths);
  try {
    vs::parse_fit_config("[image]\nwidths = \"loose\"\n", "bad.toml");
    ADD_FAILURE() << "accepted widths = loose";
  } catch (const vitrum::Error& e) {
    EXPECT_NE(std::string(e.what()).find("widths"), std::string::npos) << e.what();
  }
  Truth t;
  const vs::SpectrumImage full = make_map(t, 5);
  vs::SpectrumImage im = full;  // rows 9..10, columns 8..11: metal and oxide
  im.ny = 2;
  im.nx = 4;
  im.counts.clear();
  for (int y = 9; y < 11; ++y)
    for (int x = 8; x < 12; ++x)
      im.counts.insert(im.counts.end(), full.spectrum(y * kNx + x),
                       full.spectrum(y * kNx + x) + full.channels());
  vs::FitConfig cfg = map_config();
  cfg.image_free_widths = true;
  const vs::TemplateFitResult r = vs::fit_image_template(im, cfg, {});
  EXPECT_EQ(r.test_dof, 3);
  EXPECT_NEAR(r.threshold, 16.2662, 1e-3);  // χ²₃ quantile at 0.999
  ASSERT_EQ(r.K, 2);
  const int cm = component_near(r, kMetal);
  for (long p = 0; p < r.pixels(); ++p) {
    ASSERT_TRUE(r.significant[p * r.K + cm]) << p;
    EXPECT_NEAR(r.fwhm[p * r.K + cm], kFwhm, 0.1) << p;  // fitted, near the truth
    EXPECT_NE(r.fwhm[p * r.K + cm], r.template_fwhm[cm]) << p;
  }
}
