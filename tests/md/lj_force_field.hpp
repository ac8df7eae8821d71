#pragma once
// Argon for the statistics tests: the "lennard_jones" force field of md (ε = 0.0104 eV,
// σ = 3.40 Å, cutoff 2.5σ, shifted) on vitrum's ghost shell and full neighbor list, plus an fcc
// starting lattice. Cheap enough for 10^5 steps of 108 atoms in seconds.

#include <cmath>
#include <string>

#include "vitrum/core/elements.hpp"
#include "vitrum/md/lennard_jones.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::test {

/// The Lennard-Jones force field with argon's parameters (cutoff in units of σ).
inline md::LennardJones argon_lj(double epsilon = 0.0104, double sigma = 3.40,
                                 double cutoff_sigma = 2.5) {
  return md::LennardJones(md::LennardJonesParams{epsilon, sigma, cutoff_sigma * sigma, true});
}

/// fcc argon, n×n×n conventional cells (4n³ atoms) at number density `rho` (1/Å³).
inline Structure fcc_argon(int n, double rho) {
  const double a = std::cbrt(4.0 / rho);
  Structure s;
  s.box.periodic = true;
  for (int d = 0; d < 3; ++d) {
    s.box.h[d] = Vec3{0, 0, 0};
    s.box.h[d][d] = n * a;
  }
  const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z)
        for (const auto& b : basis) {
          s.positions.push_back(Vec3{(x + b[0]) * a, (y + b[1]) * a, (z + b[2]) * a});
          s.species.push_back(18);
        }
  return s;
}

/// An argon MD system at temperature T (K) on an fcc lattice.
inline md::MdSystem argon_system(int n, double rho, double temperature, std::uint64_t seed) {
  const Structure s = fcc_argon(n, rho);
  md::MdSystem sys = md::make_system(s, md::assign_masses(s.species, {}));
  md::maxwell_boltzmann(sys, temperature, seed, true);
  return sys;
}

}  // namespace vitrum::test
