#pragma once
/// \file peaks.hpp
/// Peak positions of sampled curves (g(r), bond-angle distributions) by a parabolic fit around
/// the maximum, which locates a peak to a fraction of the bin width.

#include <vector>

namespace vitrum::analysis {

/// A located peak.
struct Peak {
  bool found = false;
  int bin = -1;           ///< index of the largest sample of the peak
  double position = 0.0;  ///< vertex of the fitted parabola (units of x)
  double height = 0.0;    ///< parabola value at the vertex (units of y)
  int half_width = 0;     ///< the fit used samples bin - half_width .. bin + half_width
};

/// Least-squares parabola y = c0 + c1 (x - x_k) + c2 (x - x_k)^2 through the samples
/// k - half_width .. k + half_width (clipped to the range) and its vertex x* = x_k - c1 / (2 c2).
/// Falls back to (x_k, y_k) when the fit is not concave (c2 >= 0) or the vertex leaves the
/// window. With half_width = 1 and an interior k this is the three-point interpolation
///   x* = x_k + (Δx/2)(y_{k-1} - y_{k+1}) / (y_{k-1} - 2 y_k + y_{k+1});
/// a peak confined to one bin (a crystal's delta shell) gives the bin center x_k.
Peak parabolic_peak(const std::vector<double>& x, const std::vector<double>& y, int k,
                    int half_width);

/// First peak of a radial distribution function: the largest sample of the first run of samples
/// with y > max(threshold, 0.3 max y) (g crosses 1 on the way up to its first maximum and back
/// down after it; the relative level ignores spikes of a few stray pairs at short distance,
/// while the first shell of a tetrahedral crystal, lower than its second, still counts),
/// refined by parabolic_peak over the contiguous samples around it with y >= 0.6 y_max (at least
/// ±1 and at most ±5 samples: the top of a Gaussian peak, ±1σ, where a parabola is accurate).
/// `found` is false when no sample exceeds the threshold; NaN samples are skipped.
Peak first_peak(const std::vector<double>& x, const std::vector<double>& y, double threshold = 1.0);

/// Highest peak of a distribution (for example a bond-angle distribution), refined the same way.
Peak main_peak(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace vitrum::analysis
