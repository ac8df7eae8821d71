// Tabulated LA line shapes for the polish (spectra/shape_table.hpp): the interpolation error
// measured against the direct profile, the table's gradient against the direct gradient, and a
// polish with tables against the same polish with direct values.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include "vitrum/spectra/math/peak_shapes.hpp"
#include "vitrum/spectra/model.hpp"
#include "vitrum/spectra/polish.hpp"
#include "vitrum/spectra/shape_table.hpp"
#include "vitrum/spectra/synth.hpp"

namespace vs = vitrum::spectra;
namespace vm = vitrum::spectra::math;

namespace {

struct LaCase {
  vm::ShapeKind kind;
  std::array<double, 4> p;
};

const LaCase kCases[] = {
    {vm::ShapeKind::LA, {1.1, 4.0, 30.0, 0.0}},   {vm::ShapeKind::LA, {1.53, 243.0, 2.0, 0.0}},
    {vm::ShapeKind::LA, {0.8, 1.2, 5.0, 0.0}},    {vm::ShapeKind::LA, {2.0, 2.0, 300.0, 0.0}},
    {vm::ShapeKind::LA4, {1.2, 3.0, 40.0, 50.0}},
};

/// One table per case, built once for the tests of this file.
const vs::ShapeTable& table_of(int i) {
  static std::vector<vs::ShapeTable> tables = [] {
    std::vector<vs::ShapeTable> t;
    for (const LaCase& c : kCases) t.emplace_back(c.kind, c.p);
    return t;
  }();
  return tables[i];
}

}  // namespace

// Interpolation error far below any fit's noise: a channel at the peak with 10⁶ counts has
// relative noise 1e-3; the table is asked to stay below 1e-7 of the peak value.
TEST(ShapeTable, InterpolationErrorIsFarBelowTheNoise) {
  for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i) {
    const LaCase& c = kCases[i];
    ASSERT_GT(vs::shape_table_step(c.kind, c.p), 0.0);
    const double err = vs::shape_table_max_error(table_of(i), 1);  // midpoints: the largest
    std::printf("LA(%g,%g,%g,%g): max interpolation error %.2e of the peak\n", c.p[0], c.p[1],
                c.p[2], c.p[3], err);
    EXPECT_LT(err, 1e-7) << c.p[0] << " " << c.p[1] << " " << c.p[2];
    EXPECT_GT(err, 0.0);  // it is an interpolation: the check measures something
  }
}

// Without a convolution (m = 0) LA is one power per value: no table. Tables follow the
// narrowest feature (a steep side or the Gaussian) with their step.
TEST(ShapeTable, StepFollowsTheNarrowestFeature) {
  EXPECT_EQ(vs::shape_table_step(vm::ShapeKind::LA, {1.53, 243.0, 0.0, 0.0}), 0.0);
  EXPECT_EQ(vs::shape_table_step(vm::ShapeKind::PseudoVoigt, {0.3, 0.0, 0.0, 0.0}), 0.0);
  EXPECT_DOUBLE_EQ(vs::shape_table_step(vm::ShapeKind::LA, {1.1, 4.0, 30.0, 0.0}), 0.01);
  const double h = vs::shape_table_step(vm::ShapeKind::LA, {1.53, 243.0, 2.0, 0.0});
  EXPECT_GT(h, 0.0);
  EXPECT_LT(h, 0.002);
}

TEST(ShapeTable, ValueAndGradientMatchTheDirectShape) {
  for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i) {
    const LaCase& c = kCases[i];
    const vm::ShapeTableView v = table_of(i).view();
    const vm::ShapeParams s{35.2, 0.7, 1234.0, {c.p[0], c.p[1], c.p[2], c.p[3]}};
    double peak = 0.0, gmax[3] = {0, 0, 0};
    for (double x = 30.0; x < 45.0; x += 0.02) {
      double d[vm::kShapeGradSize];
      peak = std::max(peak, vm::shape_value_and_grad(c.kind, s, x, d));
      for (int k = 0; k < 3; ++k) gmax[k] = std::max(gmax[k], std::fabs(d[k]));
    }
    for (double x = 30.013; x < 45.0; x += 0.1537) {
      double value, g[vm::kShapeGradSize], d[vm::kShapeGradSize];
      ASSERT_TRUE(vm::shape_table_value_grad(v, x, s.position, s.fwhm, s.area, value, g));
      const double direct = vm::shape_value_and_grad(c.kind, s, x, d);
      EXPECT_NEAR(value, direct, 1e-7 * peak) << x;
      // x0, F, A against their largest magnitude. The interpolant's slope is a cubic's
      // derivative, one order less accurate than its value (measured: ≤ 1.6e-6); it steers the
      // Levenberg–Marquardt steps and the Fisher errors, whose own sampling error is ≥ 1e-2.
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(g[k], d[k], 1e-5 * gmax[k]) << x << " " << k;
      for (int k = 3; k < vm::kShapeGradSize; ++k) EXPECT_EQ(g[k], 0.0);
    }
    double g, dg;  // outside the table: the caller evaluates directly
    EXPECT_FALSE(vm::shape_table_eval(v, vs::kShapeTableRange + 1.0, g, dg));
    EXPECT_FALSE(vm::shape_table_eval(v, -vs::kShapeTableRange - 1.0, g, dg));
  }
}

TEST(ShapeTable, PolishWithTablesMatchesThePolishWithDirectValues) {
  vs::SynthConfig c;
  c.ny = 1;
  c.nx = 6;
  c.energy_min = 28.0;
  c.energy_max = 38.0;
  c.energy_step = 0.05;
  c.line_shape = "LA(1.1,4,30)";
  c.position = 31.4;
  c.fwhm = 0.5;
  c.shift = {vs::SynthPattern::GradientX, 1.2, 1.6};
  c.background_kind = vs::SynthBackground::Tougaard;
  c.seed = 3;
  const vs::SynthResult syn = vs::synthesize(c);

  vs::PeakModel m;
  m.source = "test";
  for (int k = 0; k < 2; ++k) {
    vs::ModelComponent comp;
    comp.name = k == 0 ? "A" : "B";
    comp.kind = vm::ShapeKind::LA;
    comp.param[vs::kPosition] = {31.5 + 1.3 * k, 28.0, 38.0};
    comp.param[vs::kFwhm] = {0.6, 0.05, 3.0};
    comp.param[vs::kArea] = {400.0, 0.0, INFINITY};
    const double p[3] = {1.1, 4.0, 30.0};
    for (int q = 0; q < 3; ++q) comp.param[vs::kShape0 + q] = {p[q], p[q], p[q], true};
    m.components.push_back(comp);
  }
  m.background.push_back({"uniform", vs::BackgroundBasis::Uniform});
  m.background.push_back({"ramp_up", vs::BackgroundBasis::RampUp});
  vs::PolishBatch b;
  b.model = m;
  b.energy = syn.image.energy;
  b.spectra = syn.image.counts.data();
  b.stride = syn.image.channels();
  b.count = syn.image.pixels();
  vs::PolishOptions direct, table;
  direct.tabulate = false;
  const vs::PolishResult rd = vs::polish_spectra(b, direct), rt = vs::polish_spectra(b, table);
  for (long f = 0; f < b.count; ++f) {
    EXPECT_EQ(rd.status[f], static_cast<int>(vs::PolishStatus::Converged));
    EXPECT_EQ(rt.status[f], static_cast<int>(vs::PolishStatus::Converged));
    EXPECT_NEAR(rt.deviance[f], rd.deviance[f], 1e-3);
    for (int k = 0; k < 2; ++k) {
      const int i = k * vm::kPolishParamsPerComponent;
      // The tables' error (< 1e-7 of the peak) moves the optimum by far less than its error.
      EXPECT_NEAR(rt.param(f, i), rd.param(f, i), 0.02 * rd.error(f, i)) << f << " " << k;
      EXPECT_NEAR(rt.error(f, i), rd.error(f, i), 1e-3 * rd.error(f, i));
    }
  }
}
