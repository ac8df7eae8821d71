// Parabolic peak refinement.
#include "vitrum/analysis/peaks.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace vitrum::analysis;

TEST(AnalysisPeaks, ParabolaVertexIsExact) {
  std::vector<double> x, y;
  for (int k = 0; k < 40; ++k) {
    x.push_back(1.0 + 0.05 * k);
    y.push_back(5.0 - 80.0 * std::pow(x.back() - 1.8137, 2));
  }
  for (int hw : {1, 2, 4}) {
    const Peak p = parabolic_peak(x, y, 16, hw);
    ASSERT_TRUE(p.found);
    EXPECT_NEAR(p.position, 1.8137, 1e-10) << "half width " << hw;
    EXPECT_NEAR(p.height, 5.0, 1e-10);
  }
  const Peak f = first_peak(x, y);
  EXPECT_EQ(f.bin, 16);
  EXPECT_NEAR(f.position, 1.8137, 1e-10);
}

TEST(AnalysisPeaks, GaussianPeakToAFractionOfABin) {
  const double dr = 0.02, center = 2.3456, sigma = 0.08;
  std::vector<double> x, y;
  for (int k = 0; k < 300; ++k) {
    x.push_back((k + 0.5) * dr);
    y.push_back(1.0 + 6.0 * std::exp(-0.5 * std::pow((x.back() - center) / sigma, 2)));
  }
  const Peak p = first_peak(x, y);
  ASSERT_TRUE(p.found);
  EXPECT_NEAR(p.position, center, 0.1 * dr);
  EXPECT_NEAR(p.height, 7.0, 0.1);  // a parabola is a little flatter than a Gaussian top
}

TEST(AnalysisPeaks, FirstPeakIsNotTheHighest) {
  // g(r) of a tetrahedral crystal: a small first shell, a higher second one.
  std::vector<double> x(100), y(100, 0.0);
  for (int k = 0; k < 100; ++k) x[k] = (k + 0.5) * 0.05;
  y[47] = 8.0;
  y[76] = 20.0;
  const Peak p = first_peak(x, y);
  ASSERT_TRUE(p.found);
  EXPECT_EQ(p.bin, 47);
  EXPECT_DOUBLE_EQ(p.position, x[47]) << "a one-bin peak sits at the bin center";
  EXPECT_EQ(main_peak(x, y).bin, 76);
  EXPECT_FALSE(first_peak(x, std::vector<double>(100, 0.5)).found);
}
