// Backgrounds of vitrum/spectra/math/backgrounds.hpp and spectra/background.hpp: Shirley end
// points, monotonicity, convergence and fallback; the active Shirley; Tougaard against the
// closed-form integral of the two-parameter cross-section over a piecewise-linear spectrum;
// CasaXPS end-point averaging, names and combinations; errors. (lmfitxps and a direct
// numerical integral are the oracles of the ctest spectra.shapes_vs_oracles.)
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/spectra/background.hpp"
#include "vitrum/spectra/math/backgrounds.hpp"

namespace sm = vitrum::spectra::math;
using vitrum::spectra::BackgroundKind;
using vitrum::spectra::BackgroundModel;
using vitrum::spectra::compute_background;
using vitrum::spectra::parse_casa_background;

namespace {

struct Spectrum {
  std::vector<double> x, y;
};

/// Peak on a step: the textbook case of a Shirley background.
Spectrum peak_on_step(int n = 201) {
  Spectrum s;
  for (int i = 0; i < n; ++i) {
    const double e = 280.0 + 0.1 * i;
    const double peak = 5000.0 * std::exp(-0.5 * std::pow((e - 290.0) / 0.8, 2));
    s.x.push_back(e);
    s.y.push_back(100.0 + peak + 300.0 * 0.5 * std::erfc(-(e - 290.0) / (0.8 * std::sqrt(2.0))));
  }
  return s;
}

}  // namespace

TEST(Backgrounds, ShirleyMeetsTheEndsIsMonotoneAndConverges) {
  const Spectrum s = peak_on_step();
  const int n = static_cast<int>(s.x.size());
  std::vector<double> out(n), work(2 * n);
  int it = 0;
  const auto st = sm::shirley_iterated(s.x.data(), s.y.data(), n, 0, n - 1, s.y[0], s.y[n - 1], 100,
                                       1e-10, out.data(), work.data(), &it);
  EXPECT_EQ(st, sm::BgStatus::Ok);
  EXPECT_LT(it, 30);
  EXPECT_DOUBLE_EQ(out[0], s.y[0]);
  EXPECT_NEAR(out[n - 1], s.y[n - 1], 1e-9);
  for (int i = 1; i < n; ++i) EXPECT_GE(out[i], out[i - 1]);
  // The fixed point: B = y_lo + (y_hi − y_lo) Q(E)/Q(E_hi) with Q from this B.
  std::vector<double> diff(n), Q(n);
  for (int i = 0; i < n; ++i) diff[i] = s.y[i] - out[i];
  sm::cumulative_trapezoid(s.x.data(), diff.data(), 0, n - 1, Q.data());
  for (int i = 0; i < n; i += 10)
    EXPECT_NEAR(out[i], s.y[0] + (s.y[n - 1] - s.y[0]) * Q[i] / Q[n - 1], 1e-7);
}

TEST(Backgrounds, ShirleyWithoutAStepFallsBackToLinear) {
  // Intensity below the straight line between the ends: ∫(I − B) ≤ 0, no Shirley step exists.
  std::vector<double> x, y;
  for (int i = 0; i < 50; ++i) {
    x.push_back(i * 0.2);
    y.push_back(100.0 - 30.0 * std::sin(3.14159265358979 * i / 49.0));
  }
  std::vector<double> out(50), work(100);
  const auto st = sm::shirley_iterated(x.data(), y.data(), 50, 0, 49, y[0], y[49], 50, 1e-10,
                                       out.data(), work.data(), nullptr);
  EXPECT_EQ(st, sm::BgStatus::LinearFallback);
  for (int i = 0; i < 50; ++i) EXPECT_NEAR(out[i], 100.0, 1e-12);
}

TEST(Backgrounds, ActiveShirleyIsTheScaledIntegralOfThePeaks) {
  const Spectrum s = peak_on_step();
  const int n = static_cast<int>(s.x.size());
  std::vector<double> peaks(n), out(n), work(n);
  for (int i = 0; i < n; ++i)
    peaks[i] = 5000.0 * std::exp(-0.5 * std::pow((s.x[i] - 290) / 0.8, 2));
  ASSERT_EQ(sm::shirley_active(s.x.data(), peaks.data(), n, 10, n - 11, 100.0, 400.0, out.data(),
                               work.data()),
            sm::BgStatus::Ok);
  EXPECT_DOUBLE_EQ(out[0], 100.0);
  EXPECT_DOUBLE_EQ(out[10], 100.0);
  EXPECT_NEAR(out[n - 1], 400.0, 1e-9);
  // Half-way up at the peak centre (symmetric peak).
  EXPECT_NEAR(out[100], 250.0, 1e-6);
}

TEST(Backgrounds, TougaardMatchesTheClosedFormIntegral) {
  // y piecewise linear (it is its own interpolant), U2 kernel T/(C + T²)²: on each interval
  // ∫ F(E − e)(a + b e) de has the antiderivative in T = E − e below.
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(500.0 + 0.5 * i);
    y.push_back(50.0 + 30.0 * std::sin(0.4 * i) + 2.0 * i);
  }
  const double C = 1643.0, B = 2866.0;
  const int n = 40;
  std::vector<double> out(n);
  sm::TougaardCrossSection k;
  ASSERT_EQ(sm::tougaard_background(x.data(), y.data(), n, 0, n - 1, y[0], y[n - 1], k,
                                    sm::TougaardScale::Fixed, out.data(), nullptr),
            sm::BgStatus::Ok);
  // ∫ T/(C+T²)² dT = −1/(2(C+T²)); ∫ T²/(C+T²)² dT = ½[atan(T/√C)/√C − T/(C+T²)].
  auto P1 = [&](double T) { return -0.5 / (C + T * T); };
  auto P2 = [&](double T) {
    return 0.5 * (std::atan(T / std::sqrt(C)) / std::sqrt(C) - T / (C + T * T));
  };
  for (int i = 1; i < n; ++i) {
    double s = 0;
    for (int j = 0; j < i; ++j) {
      // y − y_lo = c0 + c1 e on [x_j, x_j+1]; with e = E − T: c0 + c1 E − c1 T.
      const double c1 = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
      const double c0 = y[j] - y[0] - c1 * x[j];
      const double Ta = x[i] - x[j], Tb = x[i] - x[j + 1];  // e from x_j to x_j+1: T from Ta to Tb
      const double lin = c0 + c1 * x[i];
      s += lin * (P1(Ta) - P1(Tb)) - c1 * (P2(Ta) - P2(Tb));
    }
    EXPECT_NEAR(out[i], y[0] + B * s, 1e-10 * std::fabs(y[0] + B * s)) << i;
  }
  // MatchEnd meets the high end and reports its B.
  double Bfit = 0;
  sm::tougaard_background(x.data(), y.data(), n, 0, n - 1, y[0], y[n - 1], k,
                          sm::TougaardScale::MatchEnd, out.data(), &Bfit);
  EXPECT_NEAR(out[n - 1], y[n - 1], 1e-9);
  EXPECT_GT(Bfit, 0);
}

TEST(Backgrounds, EndPointAveragingNamesAndCombinations) {
  const std::vector<double> y = {1, 2, 3, 4, 5, 6};
  EXPECT_DOUBLE_EQ(sm::endpoint_average(y.data(), 6, 0, 3), 1.5);  // clipped: channels 0, 1
  EXPECT_DOUBLE_EQ(sm::endpoint_average(y.data(), 6, 2, 3), 3.0);
  EXPECT_DOUBLE_EQ(sm::endpoint_average(y.data(), 6, 2, 1), 3.0);
  EXPECT_DOUBLE_EQ(sm::endpoint_average(y.data(), 6, 5, 5), 5.0);  // channels 3, 4, 5

  auto u3 = parse_casa_background("U 3 Tougaard", {335.44588, 551, 436});
  EXPECT_EQ(u3.kind, BackgroundKind::Tougaard);
  EXPECT_EQ(u3.cross_section.three_param, 1);
  EXPECT_DOUBLE_EQ(u3.cross_section.D, 436);
  EXPECT_EQ(parse_casa_background("shirley", {}).kind, BackgroundKind::Shirley);
  try {
    parse_casa_background("Smart", {}, "FeO.vms line 39");
    FAIL() << "no error";
  } catch (const vitrum::Error& e) {
    EXPECT_NE(std::string(e.what()).find("FeO.vms line 39: background 'Smart'"), std::string::npos);
  }

  const Spectrum s = peak_on_step();
  BackgroundModel lin{{parse_casa_background("Linear", {})}, 3};
  BackgroundModel shi{{parse_casa_background("Shirley", {})}, 3};
  BackgroundModel mix = lin;
  mix.parts[0].weight = 1.0;
  mix.parts.push_back(shi.parts[0]);
  mix.parts[1].weight = 3.0;
  const auto a = compute_background(lin, s.x, s.y, 281.0, 299.0);
  const auto b = compute_background(shi, s.x, s.y, 281.0, 299.0);
  const auto c = compute_background(mix, s.x, s.y, 281.0, 299.0);
  for (size_t i = 0; i < s.x.size(); ++i)
    EXPECT_NEAR(c.values[i], 0.25 * a.values[i] + 0.75 * b.values[i], 1e-9);
  EXPECT_DOUBLE_EQ(a.values.front(), a.y_lo);  // constant outside the region
  EXPECT_NEAR(a.y_lo, (s.y[9] + s.y[10] + s.y[11]) / 3, 1e-9);
  EXPECT_THROW(compute_background(lin, s.x, s.y, 290.01, 290.05), vitrum::Error);
}
