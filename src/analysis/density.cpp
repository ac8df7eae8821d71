/// \file density.cpp
/// Volume and densities of periodic cells.

#include "vitrum/analysis/density.hpp"

#include <cmath>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::analysis {

DensitySample density(const Box& box, const std::vector<int>& species) {
  if (!box.periodic)
    fail("density: the cell is not periodic (no Lattice/pbc), so it has no volume");
  DensitySample s;
  s.volume = box.volume();
  if (!(s.volume > 0.0)) fail("density: the cell volume is {} Å³; expected > 0", s.volume);
  double mass = 0.0;
  for (int z : species) mass += standard_mass(z);
  s.number_density = static_cast<double>(species.size()) / s.volume;
  s.mass_density = mass / s.volume * kAmuPerA3ToGPerCm3;
  return s;
}

DensityResult compute_density(const Trajectory& trajectory) {
  DensityResult r;
  for (const Frame& f : trajectory.frames) r.frames.push_back(density(f.box, trajectory.species));
  const double n = static_cast<double>(r.frames.size());
  if (r.frames.empty()) return r;
  for (const DensitySample& s : r.frames) {
    r.mean.volume += s.volume / n;
    r.mean.number_density += s.number_density / n;
    r.mean.mass_density += s.mass_density / n;
  }
  if (r.frames.size() < 2) return r;
  for (const DensitySample& s : r.frames) {
    r.stddev.volume += (s.volume - r.mean.volume) * (s.volume - r.mean.volume);
    r.stddev.number_density +=
        (s.number_density - r.mean.number_density) * (s.number_density - r.mean.number_density);
    r.stddev.mass_density +=
        (s.mass_density - r.mean.mass_density) * (s.mass_density - r.mean.mass_density);
  }
  // Rounding in the mean leaves ~1e-16 relative scatter for a constant volume (NVT): report 0.
  auto finish = [&](double sum_sq, double mean) {
    const double sd = std::sqrt(sum_sq / (n - 1));
    return sd > 1e-12 * std::fabs(mean) ? sd : 0.0;
  };
  r.stddev.volume = finish(r.stddev.volume, r.mean.volume);
  r.stddev.number_density = finish(r.stddev.number_density, r.mean.number_density);
  r.stddev.mass_density = finish(r.stddev.mass_density, r.mean.mass_density);
  return r;
}

}  // namespace vitrum::analysis
