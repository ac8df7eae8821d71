#pragma once
/// \file pair_geometry.hpp
/// Per-pair and per-triplet formulas of the structural analyses, single source for host and
/// device (VITRUM_HD): histogram bin of a distance, spherical-shell volume, bond angle.
/// A CUDA backend of the histograms calls exactly these.

#include <cmath>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::analysis {

/// π, used for shell volumes and degree conversion.
constexpr double kPi = 3.14159265358979323846;

/// Histogram bin of a distance r (Å) for bins [k Δr, (k+1) Δr), Δr = r_max / n_bins; returns -1
/// for r >= r_max (and for r < 0 or NaN). `inv_dr` = 1/Δr.
VITRUM_HD int distance_bin(double r, double r_max, double inv_dr, int n_bins) {
  if (!(r >= 0.0) || !(r < r_max)) return -1;
  const int k = static_cast<int>(r * inv_dr);
  return k < n_bins ? k : n_bins - 1;  // rounding just below r_max
}

/// Volume of the spherical shell between r_lo and r_hi (Å^3): (4π/3)(r_hi^3 - r_lo^3).
VITRUM_HD double shell_volume(double r_lo, double r_hi) {
  return 4.0 / 3.0 * kPi * (r_hi * r_hi * r_hi - r_lo * r_lo * r_lo);
}

/// Angle (degrees, in [0, 180]) between bond vectors u = r_j - r_i and v = r_k - r_i at the
/// vertex i: θ = acos(u·v / (|u| |v|)), the cosine clamped to [-1, 1] against rounding.
VITRUM_HD double bond_angle_deg(const Vec3& u, const Vec3& v) {
  const double c = dot(u, v) / sqrt(dot(u, u) * dot(v, v));
  const double cc = c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
  return acos(cc) * (180.0 / kPi);
}

/// Histogram bin of an angle θ (degrees) for n_bins bins over [0°, 180°]; θ = 180° exactly (a
/// linear Si–O–Si bridge of an ideal crystal) goes into the last bin.
VITRUM_HD int angle_bin(double theta_deg, int n_bins) {
  const int k = static_cast<int>(theta_deg * (n_bins / 180.0));
  return k < 0 ? 0 : (k >= n_bins ? n_bins - 1 : k);
}

}  // namespace vitrum::analysis
