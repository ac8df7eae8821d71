#pragma once
/// \file scaling.hpp
/// The extrapolation test of a raw symmetry-function value against the training range
/// [Gmin, Gmax] of scaling.data, single source for host and device.

#include <cmath>

#include "vitrum/core/hd.hpp"

namespace vitrum::nnp {

/// True when `raw` lies outside [gmin, gmax] by more than the rounding of an evaluation in T.
/// The training set's own extremes sit exactly on the bounds; a backend that sums neighbours in
/// another order moves their last bits, and must not count them as extrapolations where another
/// backend does not. The band is 1e-11 (double) or 1e-5 (float) of the larger of the range and
/// the bounds' magnitude: far below any real excursion, far above the rounding.
template <typename T>
VITRUM_HD bool outside_scaling_range(double raw, double gmin, double gmax) {
  const double mag = fmax(gmax - gmin, fmax(fabs(gmin), fabs(gmax)));
  const double band = mag * (sizeof(T) == sizeof(float) ? 1e-5 : 1e-11);
  return raw < gmin - band || raw > gmax + band;
}

}  // namespace vitrum::nnp
