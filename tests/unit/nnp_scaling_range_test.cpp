// The extrapolation test against scaling.data's [Gmin, Gmax]: values on the bounds up to the
// evaluation precision's rounding are inside; real excursions are outside in both precisions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "vitrum/nnp/math/scaling.hpp"

namespace vitrum::nnp {
namespace {

TEST(NnpScalingRange, BoundsUpToRoundingAreInside) {
  const double lo = 0.25, hi = 3.5;
  for (double g : {lo, hi, std::nextafter(lo, -1.0), std::nextafter(hi, 10.0), 1.0}) {
    EXPECT_FALSE(outside_scaling_range<double>(g, lo, hi)) << g;
    EXPECT_FALSE(outside_scaling_range<float>(g, lo, hi)) << g;
  }
  // A float-rounded bound (relative 6e-8) is inside for float evaluation only.
  const double hf = hi * (1 + 1e-7);
  EXPECT_FALSE(outside_scaling_range<float>(hf, lo, hi));
  EXPECT_TRUE(outside_scaling_range<double>(hf, lo, hi));
}

TEST(NnpScalingRange, RealExcursionsAreOutside) {
  const double lo = -2.0, hi = 5.0;
  for (double g : {lo - 1e-3, hi + 1e-3, -100.0, 100.0}) {
    EXPECT_TRUE(outside_scaling_range<double>(g, lo, hi)) << g;
    EXPECT_TRUE(outside_scaling_range<float>(g, lo, hi)) << g;
  }
  // No scaling data: unbounded.
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(outside_scaling_range<double>(1e300, -inf, inf));
}

}  // namespace
}  // namespace vitrum::nnp
