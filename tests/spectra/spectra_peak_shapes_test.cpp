// Properties of the line shapes of vitrum/spectra/math/peak_shapes.hpp (the comparisons with
// lmfit, lmfitxps and scipy are the ctest spectra.shapes_vs_oracles): unit area, FWHM and
// position, identities between kinds (LA(1,1,m) and DS(0,n) are Voigt profiles), the Faddeeva
// function's special values, gradients against finite differences, float vs double, and the
// CasaXPS line-shape parser.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/casa_lineshape.hpp"
#include "vitrum/spectra/math/peak_shapes.hpp"

namespace sm = vitrum::spectra::math;
using sm::ShapeKind;
using sm::ShapeParams;
using vitrum::spectra::parse_casa_lineshape;

namespace {

struct Case {
  ShapeKind kind;
  ShapeParams s;
  const char* name;
};

std::vector<Case> all_kinds() {
  return {
      {ShapeKind::Gaussian, {10.0, 1.3, 1.0, {0, 0, 0, 0}}, "Gaussian"},
      {ShapeKind::Lorentzian, {10.0, 1.3, 1.0, {0, 0, 0, 0}}, "Lorentzian"},
      {ShapeKind::PseudoVoigt, {10.0, 1.3, 1.0, {0.4, 0, 0, 0}}, "PV(0.4)"},
      {ShapeKind::Voigt, {10.0, 1.3, 1.0, {0.7, 0, 0, 0}}, "Voigt(0.7)"},
      {ShapeKind::GL, {10.0, 1.3, 1.0, {30, 0, 0, 0}}, "GL(30)"},
      {ShapeKind::SGL, {10.0, 1.3, 1.0, {30, 0, 0, 0}}, "SGL(30)"},
      {ShapeKind::DoniachSunjicGauss, {10.0, 1.3, 1.0, {0.15, 0.5, 0, 0}}, "DS"},
      {ShapeKind::LA, {10.0, 1.3, 1.0, {1.3, 2.5, 40, 0}}, "LA(1.3,2.5,40)"},
      {ShapeKind::LA4, {10.0, 1.3, 1.0, {1.3, 2.5, 40, 25}}, "LA(1.3,2.5,40,25)"},
  };
}

/// ∫ f over the real line by u = F tan t (bounded integrand for tails up to 1/u²), composite
/// 10-point Gauss–Legendre on 400 panels per side of t = 0 (the kink of the LA shapes).
template <typename F>
double integrate_real_line(const F& f, double x0, double scale) {
  double sum = 0;
  const int panels = 400;
  const double h = 1.5707963267948966 / panels;
  for (int side = -1; side <= 1; side += 2)
    for (int p = 0; p < panels; ++p) {
      const double a = p * h, mid = side * (a + 0.5 * h);
      for (int k = 0; k < 5; ++k)
        for (int sg = -1; sg <= 1; sg += 2) {
          double xn, wn;
          sm::gauss_legendre10(k, xn, wn);
          const double t = mid + sg * 0.5 * h * xn;
          const double c = std::cos(t);
          sum += wn * 0.5 * h * f(x0 + scale * std::tan(t)) * scale / (c * c);
        }
    }
  return sum;
}

}  // namespace

TEST(PeakShapes, EveryKindHasUnitArea) {
  for (const Case& c : all_kinds()) {
    ShapeParams s = c.s;
    s.area = 2.5;
    double area;
    if (c.kind == ShapeKind::DoniachSunjicGauss) {
      // The DS area is defined over |u| ≤ 10 F of the unconvolved profile.
      s.p[1] = 0.0;
      area = 0;
      const double W = sm::kDsTruncation * s.fwhm;
      const int n = 20000;
      for (int i = 0; i < n; ++i)
        for (int k = 0; k < 5; ++k)
          for (int sg = -1; sg <= 1; sg += 2) {
            double xn, wn;
            sm::gauss_legendre10(k, xn, wn);
            const double h = 2 * W / n, mid = -W + (i + 0.5) * h;
            area += wn * 0.5 * h * sm::shape_value(c.kind, s, s.position + mid + sg * 0.5 * h * xn);
          }
    } else {
      area = integrate_real_line([&](double x) { return sm::shape_value(c.kind, s, x); },
                                 s.position, s.fwhm);
    }
    EXPECT_NEAR(area / s.area, 1.0, 2e-9) << c.name;
  }
}

TEST(PeakShapes, SymmetricKindsPeakAtPositionAndHalfMaximumAtHalfFwhm) {
  for (ShapeKind k :
       {ShapeKind::Gaussian, ShapeKind::Lorentzian, ShapeKind::PseudoVoigt, ShapeKind::SGL}) {
    const ShapeParams s{5.0, 0.8, 3.0, {k == ShapeKind::SGL ? 40.0 : 0.3, 0, 0, 0}};
    const double top = sm::shape_value(k, s, 5.0);
    EXPECT_GT(top, sm::shape_value(k, s, 5.001));
    EXPECT_GT(top, sm::shape_value(k, s, 4.999));
    EXPECT_NEAR(sm::shape_value(k, s, 5.4) / top, 0.5, 1e-14) << static_cast<int>(k);
    EXPECT_NEAR(sm::shape_value(k, s, 4.6) / top, 0.5, 1e-14) << static_cast<int>(k);
  }
  // Heights from lineshapes.hpp and CasaXPS's area/(H·F) ratios.
  const ShapeParams g{0, 2.0, 7.0, {0, 0, 0, 0}};
  EXPECT_NEAR(sm::shape_value(ShapeKind::Gaussian, g, 0), sm::gaussian_height(7.0, 2.0), 1e-14);
  EXPECT_NEAR(sm::shape_value(ShapeKind::Lorentzian, g, 0), sm::lorentzian_height(7.0, 2.0), 1e-14);
  // LA(α, β, 0): maximum at x0, the α side falls to half height at F/2·√(2^{1/α} − 1).
  const ShapeParams la{0, 1.0, 1.0, {1.5, 3.0, 0, 0}};
  const double top = sm::shape_value(ShapeKind::LA, la, 0.0);
  const double ua = 0.5 * std::sqrt(std::pow(2.0, 1 / 1.5) - 1),
               ub = 0.5 * std::sqrt(std::pow(2.0, 1 / 3.0) - 1);
  EXPECT_NEAR(sm::shape_value(ShapeKind::LA, la, ua) / top, 0.5, 1e-14);
  EXPECT_NEAR(sm::shape_value(ShapeKind::LA, la, -ub) / top, 0.5, 1e-14);
  // The tail lies on the high-binding-energy side for LA (α < β) and DS.
  EXPECT_GT(sm::shape_value(ShapeKind::LA, la, 3.0), 10 * sm::shape_value(ShapeKind::LA, la, -3.0));
  const ShapeParams ds{0, 1.0, 1.0, {0.2, 0.3, 0, 0}};
  EXPECT_GT(sm::shape_value(ShapeKind::DoniachSunjicGauss, ds, 3.0),
            3 * sm::shape_value(ShapeKind::DoniachSunjicGauss, ds, -3.0));
}

TEST(PeakShapes, LorentzianLaAndDsWithoutAsymmetryAreVoigtProfiles) {
  // LA(1, 1, m) = Lorentzian of FWHM F convolved with a Gaussian of FWHM m·F/100 = Voigt, and
  // DS(0, n) likewise (its area is defined over |u| ≤ 10F, hence the normalisation ratio).
  const double F = 0.9;
  for (double m : {10.0, 80.0, 250.0}) {
    const ShapeParams la{1.0, F, 1.0, {1.0, 1.0, m, 0}};
    const ShapeParams vo{1.0, m * F / 100, 1.0, {F, 0, 0, 0}};
    const ShapeParams ds{1.0, F, 1.0, {0.0, m * F / 100, 0, 0}};
    const double ds_norm =
        1.0 / (2.0 / 3.14159265358979323846 * std::atan(2.0 * sm::kDsTruncation));
    for (double x : {-6.0, -1.0, 0.2, 1.0, 1.37, 3.0, 9.0}) {
      const double v = sm::shape_value(ShapeKind::Voigt, vo, x);
      EXPECT_NEAR(sm::shape_value(ShapeKind::LA, la, x) / v, 1.0, 1e-11) << m << " " << x;
      EXPECT_NEAR(sm::shape_value(ShapeKind::DoniachSunjicGauss, ds, x) / (ds_norm * v), 1.0, 1e-11)
          << m << " " << x;
    }
  }
}

TEST(PeakShapes, FaddeevaSpecialValues) {
  for (double x : {0.0, 0.3, 1.0, 2.5, 3.5}) {
    EXPECT_NEAR(sm::faddeeva_w(x, 0.0).re / std::exp(-x * x), 1.0, 1e-10) << x;
  }
  for (double y : {0.01, 0.5, 2.0, 5.0, 20.0}) {
    const double erfcx = std::exp(y * y) * std::erfc(y);
    EXPECT_NEAR(sm::erfcx_nonneg(y) / erfcx, 1.0, 1e-12) << y;
    EXPECT_NEAR(sm::faddeeva_w(0.0, y).im, 0.0, 1e-15);
  }
  // Large |z|: w(z) → i/(√π z).
  const auto w = sm::faddeeva_w(300.0, 2.0);
  const double d = 300.0 * 300.0 + 4.0;
  EXPECT_NEAR(w.re / (0.5641895835477563 * 2.0 / d), 1.0, 1e-4);
  EXPECT_NEAR(w.im / (0.5641895835477563 * 300.0 / d), 1.0, 1e-4);
}

TEST(PeakShapes, GradientsAgreeWithFiniteDifferences) {
  for (const Case& c : all_kinds()) {
    for (double x : {8.9, 9.7, 10.05, 10.6, 12.0}) {
      ShapeParams s = c.s;
      s.area = 40.0;
      double g[sm::kShapeGradSize];
      const double v = sm::shape_value_and_grad(c.kind, s, x, g);
      EXPECT_DOUBLE_EQ(v, sm::shape_value(c.kind, s, x));
      EXPECT_NEAR(g[2], v / s.area, 1e-14 * std::fabs(v));
      // Reference: 4th-order central differences with other steps than the FD gradient's.
      auto fd = [&](double* p, double h) {
        const double keep = *p;
        double f[4];
        const double off[4] = {-2, -1, 1, 2};
        for (int i = 0; i < 4; ++i) {
          *p = keep + off[i] * h;
          f[i] = sm::shape_value(c.kind, s, x);
        }
        *p = keep;
        return (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
      };
      const double scale = std::fabs(v) / s.fwhm + 1e-12;
      EXPECT_NEAR(g[0], fd(&s.position, 3e-4), 2e-6 * scale) << c.name << " x0 at " << x;
      EXPECT_NEAR(g[1], fd(&s.fwhm, 3e-4), 2e-6 * scale) << c.name << " F at " << x;
      for (int i = 0; i < sm::shape_param_count(c.kind); ++i) {
        const double h = 3e-4 * std::max(1.0, std::fabs(s.p[i]));
        EXPECT_NEAR(g[3 + i], fd(&s.p[i], h), 2e-6 * std::fabs(v) + 1e-12)
            << c.name << " p" << i << " at " << x;
      }
    }
  }
}

TEST(PeakShapes, FloatAgreesWithDoubleToSinglePrecision) {
  for (const Case& c : all_kinds()) {
    const double top = sm::shape_value(c.kind, c.s, c.s.position);
    for (double x = 6.0; x <= 14.0; x += 0.173) {
      const double d = sm::shape_value(c.kind, c.s, x);
      if (d < 1e-3 * top) continue;
      EXPECT_NEAR(sm::shape_value_f(c.kind, c.s, x) / d, 1.0, 2e-5) << c.name << " at " << x;
    }
  }
}

TEST(PeakShapes, InvalidParametersAreReportedNotComputed) {
  EXPECT_FALSE(sm::shape_params_valid(ShapeKind::LA, {0, 1, 1, {0.5, 2, 0, 0}}));
  EXPECT_FALSE(sm::shape_params_valid(ShapeKind::GL, {0, 1, 1, {101, 0, 0, 0}}));
  EXPECT_FALSE(sm::shape_params_valid(ShapeKind::Gaussian, {0, 0, 1, {0, 0, 0, 0}}));
  EXPECT_FALSE(sm::shape_params_valid(ShapeKind::DoniachSunjicGauss, {0, 1, 1, {1.0, 0, 0, 0}}));
  EXPECT_TRUE(sm::shape_params_valid(ShapeKind::LA4, {0, 1, 1, {1.1, 2, 5, 3}}));
  EXPECT_TRUE(std::isnan(sm::shape_value(ShapeKind::LA, {0, 1, 1, {0.4, 2, 0, 0}}, 0.3)));
}

TEST(CasaLineShape, ParsesCasaXpsForms) {
  auto la = parse_casa_lineshape(" LA(1.53,243,0) ");
  EXPECT_EQ(la.kind, ShapeKind::LA);
  EXPECT_DOUBLE_EQ(la.p[0], 1.53);
  EXPECT_DOUBLE_EQ(la.p[1], 243);
  EXPECT_DOUBLE_EQ(la.p[2], 0);
  auto sym = parse_casa_lineshape("LA(1.2, 50)");
  EXPECT_EQ(sym.kind, ShapeKind::LA);
  EXPECT_DOUBLE_EQ(sym.p[1], 1.2);
  EXPECT_DOUBLE_EQ(sym.p[2], 50);
  auto la4 = parse_casa_lineshape("LA(1.1,2.5,10,5)");
  EXPECT_EQ(la4.kind, ShapeKind::LA4);
  EXPECT_DOUBLE_EQ(la4.p[3], 5);
  EXPECT_EQ(parse_casa_lineshape("GL(30)").kind, ShapeKind::GL);
  EXPECT_EQ(parse_casa_lineshape("SGL(30)").kind, ShapeKind::SGL);
  auto ds = parse_casa_lineshape("DS(0.1,20)");
  EXPECT_EQ(ds.kind, ShapeKind::DoniachSunjicGauss);
  EXPECT_DOUBLE_EQ(ds.params(100, 2.0, 5).p[1], 0.4);  // 20% of F
  EXPECT_EQ(vitrum::spectra::format_casa_lineshape(la4), "LA(1.1,2.5,10,5)");
  EXPECT_EQ(vitrum::spectra::format_casa_lineshape(parse_casa_lineshape("SGL(30)")), "SGL(30)");
}

TEST(CasaLineShape, ErrorsNameTheTextAndWhatWasExpected) {
  auto message = [](const std::string& t) {
    try {
      parse_casa_lineshape(t, "file.vms line 41");
    } catch (const vitrum::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("LF(0.54,10,80,100,6)").find("'LF(0.54,10,80,100,6)'"), std::string::npos);
  EXPECT_NE(message("LF(0.54,10,80,100,6)").find("not supported"), std::string::npos);
  EXPECT_NE(message("GL(x)").find("'x' is not a number"), std::string::npos);
  EXPECT_NE(message("GL(130)").find("[0, 100]"), std::string::npos);
  EXPECT_NE(message("LA(0.4,2,0)").find("> 0.5"), std::string::npos);
  EXPECT_NE(message("Foo(1)").find("expected GL(m)"), std::string::npos);
  EXPECT_NE(message("GL(30").find("missing ')'"), std::string::npos);
  EXPECT_NE(message("LA(1,2,3,4,5)").find("file.vms line 41"), std::string::npos);
}

TEST(PeakShapes, FaddeevaFarFromTheOriginFollowsTheAsymptoticSeries) {
  // |z| > 15: Re w ≈ y/(√π |z|²)·(1 + O(1/|z|²)); on both sides of the switch the two
  // approximations agree (continuity of the Voigt profile's far tail).
  for (double y : {1e-6, 1e-3, 0.5}) {
    const double below = sm::faddeeva_w(std::sqrt(225.0 - y * y) - 1e-9, y).re;
    const double above = sm::faddeeva_w(std::sqrt(225.0 - y * y) + 1e-9, y).re;
    EXPECT_NEAR(above / below, 1.0, 1e-8) << y;
    const double x = 1e4, d = x * x + y * y;
    EXPECT_NEAR(sm::faddeeva_w(x, y).re / (0.5641895835477563 * y / d), 1.0, 1e-7) << y;
  }
}
