#pragma once
// Comparison of two template fits of the same image (fit_image.hpp), shared by the CPU test of
// the batched schedule (tests/spectra/spectra_fit_image_batched_test.cpp) and the CPU/GPU parity
// test (tests/gpu/spectra_template_parity_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "vitrum/spectra/fit_image.hpp"

namespace vitrum::test {

/// Same value, NaN equal to NaN.
inline bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

/// Every per-pixel number of a and b identical (same steps, same arithmetic).
inline void expect_identical_template_fits(const spectra::TemplateFitResult& a,
                                           const spectra::TemplateFitResult& b) {
  ASSERT_EQ(a.pixels(), b.pixels());
  ASSERT_EQ(a.K, b.K);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.significant, b.significant);
  EXPECT_EQ(a.n_significant, b.n_significant);
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.iterations, b.iterations);
  auto all_same = [](const std::vector<double>& x, const std::vector<double>& y) {
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), same_bits);
  };
  EXPECT_TRUE(all_same(a.position, b.position));
  EXPECT_TRUE(all_same(a.position_se, b.position_se));
  EXPECT_TRUE(all_same(a.area, b.area));
  EXPECT_TRUE(all_same(a.fwhm, b.fwhm));
  EXPECT_TRUE(all_same(a.lr_component, b.lr_component));
  EXPECT_TRUE(all_same(a.background, b.background));
  EXPECT_TRUE(all_same(a.log_likelihood, b.log_likelihood));
  EXPECT_TRUE(all_same(a.lr_total, b.lr_total));
  EXPECT_TRUE(all_same(a.chi2_reduced, b.chi2_reduced));
}

/// a and b agree to the polish's convergence: each fit stops when a step lowers the deviance D
/// by less than abs_tol + rel_tol·D (about 1e-3), so two fits with differently rounded sums may
/// stop that far apart in D, i.e. up to about √(2·1e-3) ≈ 0.05 standard errors apart in a
/// parameter. Checked: the same status and significance everywhere; positions within 0.1 of
/// their standard error (the same bound where a position sits on it); areas within 1e-3;
/// likelihoods and test statistics within 0.02 (+ 1e-7 relative).
inline void expect_close_template_fits(const spectra::TemplateFitResult& a,
                                       const spectra::TemplateFitResult& b) {
  ASSERT_EQ(a.pixels(), b.pixels());
  ASSERT_EQ(a.K, b.K);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.significant, b.significant);
  double worst_pos = 0.0, worst_ll = 0.0;
  for (long p = 0; p < a.pixels(); ++p) {
    if (a.status[p] > 1) continue;
    EXPECT_NEAR(a.log_likelihood[p], b.log_likelihood[p],
                0.02 + 1e-7 * std::fabs(a.log_likelihood[p]))
        << "pixel " << p;
    EXPECT_NEAR(a.lr_total[p], b.lr_total[p], 0.02 + 1e-7 * a.lr_total[p]) << "pixel " << p;
    worst_ll = std::max(worst_ll, std::fabs(a.log_likelihood[p] - b.log_likelihood[p]));
    for (int k = 0; k < a.K; ++k) {
      const long j = p * a.K + k;
      EXPECT_NEAR(a.lr_component[j], b.lr_component[j], 0.02 + 1e-7 * a.lr_component[j])
          << "pixel " << p << " state " << k;
      if (!a.significant[j]) continue;
      const double se = a.position_se[j];
      EXPECT_NEAR(a.area[j], b.area[j], 1e-3 * std::fabs(a.area[j])) << "pixel " << p;
      if (!std::isfinite(se)) {  // at its shift bound (no standard error): the same bound
        EXPECT_NEAR(a.position[j], b.position[j], 1e-9) << "pixel " << p << " state " << k;
        continue;
      }
      EXPECT_NEAR(a.position[j], b.position[j], 0.1 * se) << "pixel " << p << " state " << k;
      worst_pos = std::max(worst_pos, std::fabs(a.position[j] - b.position[j]) / se);
    }
  }
  std::printf("largest differences: position %.3g standard errors, ln L %.3g\n", worst_pos,
              worst_ll);
}

}  // namespace vitrum::test
