/// \file peaks.cpp
/// Parabolic peak refinement. The fit is done in x - x_k so the normal equations stay well
/// conditioned for narrow windows far from the origin.

#include "vitrum/analysis/peaks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "vitrum/core/error.hpp"

namespace vitrum::analysis {
namespace {

constexpr double kFirstPeakFraction = 0.3;

// Window around k: contiguous samples with y >= frac * y_k, between ±1 and ±max_half.
int adaptive_half_width(const std::vector<double>& y, int k, double frac, int max_half) {
  const int n = static_cast<int>(y.size());
  const double level = frac * y[k];
  int lo = k, hi = k;
  while (lo - 1 >= 0 && k - (lo - 1) <= max_half && y[lo - 1] >= level) --lo;
  while (hi + 1 < n && (hi + 1) - k <= max_half && y[hi + 1] >= level) ++hi;
  return std::max(1, std::max(k - lo, hi - k));
}

Peak refine(const std::vector<double>& x, const std::vector<double>& y, int k) {
  return parabolic_peak(x, y, k, adaptive_half_width(y, k, 0.6, 5));
}

}  // namespace

Peak parabolic_peak(const std::vector<double>& x, const std::vector<double>& y, int k,
                    int half_width) {
  const int n = static_cast<int>(y.size());
  if (x.size() != y.size()) fail("parabolic_peak: {} x values but {} y values", x.size(), n);
  if (k < 0 || k >= n) fail("parabolic_peak: sample {} outside 0..{}", k, n - 1);
  Peak p;
  p.found = true;
  p.bin = k;
  p.position = x[k];
  p.height = y[k];
  p.half_width = 0;
  const int lo = std::max(0, k - std::max(1, half_width));
  const int hi = std::min(n - 1, k + std::max(1, half_width));
  // Normal equations of the quadratic in u = x - x_k: sums of u^m (m = 0..4) and u^m y (m = 0..2).
  double s[5] = {0, 0, 0, 0, 0}, t[3] = {0, 0, 0};
  int used = 0;
  for (int j = lo; j <= hi; ++j) {
    if (!std::isfinite(y[j])) continue;
    const double u = x[j] - x[k];
    double um = 1.0;
    for (int m = 0; m < 5; ++m, um *= u) {
      s[m] += um;
      if (m < 3) t[m] += um * y[j];
    }
    ++used;
  }
  if (used < 3) return p;
  // Solve the symmetric 3x3 system [s0 s1 s2; s1 s2 s3; s2 s3 s4] c = t by Cramer's rule.
  const double a00 = s[0], a01 = s[1], a02 = s[2], a11 = s[2], a12 = s[3], a22 = s[4];
  const double det =
      a00 * (a11 * a22 - a12 * a12) - a01 * (a01 * a22 - a12 * a02) + a02 * (a01 * a12 - a11 * a02);
  if (!(std::fabs(det) > 0.0)) return p;
  const double c0 = (t[0] * (a11 * a22 - a12 * a12) - a01 * (t[1] * a22 - a12 * t[2]) +
                     a02 * (t[1] * a12 - a11 * t[2])) /
                    det;
  const double c1 = (a00 * (t[1] * a22 - a12 * t[2]) - t[0] * (a01 * a22 - a12 * a02) +
                     a02 * (a01 * t[2] - t[1] * a02)) /
                    det;
  const double c2 = (a00 * (a11 * t[2] - t[1] * a12) - a01 * (a01 * t[2] - t[1] * a02) +
                     t[0] * (a01 * a12 - a11 * a02)) /
                    det;
  if (!(c2 < 0.0)) return p;
  const double u_star = -c1 / (2.0 * c2);
  if (!(u_star >= x[lo] - x[k] && u_star <= x[hi] - x[k])) return p;
  p.position = x[k] + u_star;
  p.height = c0 + c1 * u_star + c2 * u_star * u_star;
  p.half_width = std::max(k - lo, hi - k);
  return p;
}

Peak first_peak(const std::vector<double>& x, const std::vector<double>& y, double threshold) {
  const int n = static_cast<int>(y.size());
  if (x.size() != y.size()) fail("first_peak: {} x values but {} y values", x.size(), n);
  double y_max = -std::numeric_limits<double>::infinity();
  for (double v : y) {
    if (std::isfinite(v)) y_max = std::max(y_max, v);
  }
  // A few stray pairs at short distance make spikes of g in the small innermost shells; a peak
  // must reach a fraction of the highest one to count.
  const double level = std::max(threshold, kFirstPeakFraction * y_max);
  int begin = 0;
  while (begin < n && !(y[begin] > level)) ++begin;
  if (begin == n) return Peak{};
  int end = begin;
  while (end < n && (y[end] > level || !std::isfinite(y[end]))) ++end;
  int k = begin;
  for (int j = begin; j < end; ++j) {
    if (std::isfinite(y[j]) && y[j] > y[k]) k = j;
  }
  return refine(x, y, k);
}

Peak main_peak(const std::vector<double>& x, const std::vector<double>& y) {
  const int n = static_cast<int>(y.size());
  if (x.size() != y.size()) fail("main_peak: {} x values but {} y values", x.size(), n);
  int k = -1;
  for (int j = 0; j < n; ++j) {
    if (std::isfinite(y[j]) && (k < 0 || y[j] > y[k])) k = j;
  }
  if (k < 0 || !(y[k] > 0.0)) return Peak{};
  return refine(x, y, k);
}

}  // namespace vitrum::analysis
