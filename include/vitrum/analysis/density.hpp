#pragma once
/// \file density.hpp
/// Cell volume and densities per frame and their averages over frames.
///   number density n = N / V (atoms/Å³),
///   mass density    ρ = Σ_i m_i / V × 1.66053906660 (g/cm³ with m in amu, V in Å³),
/// masses are the standard atomic masses of vitrum/core/elements.hpp.

#include <vector>

#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// 1 amu/Å³ in g/cm³ (CODATA 2018: 1 amu = 1.66053906660e-24 g, 1 Å³ = 1e-24 cm³).
constexpr double kAmuPerA3ToGPerCm3 = 1.66053906660;

/// Density of one frame.
struct DensitySample {
  double volume = 0.0;          ///< Å³
  double number_density = 0.0;  ///< atoms/Å³
  double mass_density = 0.0;    ///< g/cm³
};

/// Per-frame densities and their means and standard deviations over frames.
struct DensityResult {
  std::vector<DensitySample> frames;
  DensitySample mean;
  DensitySample stddev;  ///< sample standard deviation over frames (0 for one frame)
};

/// Density of a periodic cell with atoms of atomic numbers `species`; throws for a non-periodic
/// box or a zero volume.
DensitySample density(const Box& box, const std::vector<int>& species);

/// Densities of every frame of a periodic trajectory.
DensityResult compute_density(const Trajectory& trajectory);

}  // namespace vitrum::analysis
