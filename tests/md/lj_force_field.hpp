#pragma once
// Test double for the statistics tests: a truncated and shifted Lennard-Jones force field
// (argon: ε = 0.0104 eV, σ = 3.40 Å, cutoff 2.5σ) on vitrum's ghost shell and full neighbor
// list, plus an fcc starting lattice. Cheap enough for 10^5 steps of 108 atoms in seconds.
//   φ(r) = 4ε[(σ/r)^12 − (σ/r)^6] − φ(r_c) for r < r_c,
//   F_i = Σ_j 24ε/r² [2(σ/r)^12 − (σ/r)^6] (r_i − r_j),
//   W_ab = ½ Σ_i Σ_j (r_i − r_j)_a F_ij,b  (the full list sees every pair twice).

#include <cmath>
#include <string>

#include "vitrum/core/elements.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/system.hpp"

namespace vitrum::test {

class LennardJones final : public md::ForceField {
 public:
  LennardJones(double epsilon = 0.0104, double sigma = 3.40, double cutoff_sigma = 2.5)
      : eps_(epsilon), sigma_(sigma), rc_(cutoff_sigma * sigma) {
    const double sr6 = std::pow(sigma_ / rc_, 6);
    shift_ = 4.0 * eps_ * (sr6 * sr6 - sr6);
  }
  double cutoff() const override { return rc_; }
  std::string describe() const override { return "Lennard-Jones test double"; }
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               md::ForceResult& out) override {
    const int n = shell.n_local;
    out.forces.assign(n, Vec3{0, 0, 0});
    for (auto& row : out.virial)
      for (double& v : row) v = 0.0;
    double e = 0.0;
    const double rc2 = rc_ * rc_, s2 = sigma_ * sigma_;
    for (int i = 0; i < n; ++i) {
      const Vec3 ri = shell.positions[i];
      Vec3 fi{0, 0, 0};
      for (int q = list.offsets[i]; q < list.offsets[i + 1]; ++q) {
        const Vec3 d = ri - shell.positions[list.neighbors[q]];
        const double r2 = dot(d, d);
        if (r2 >= rc2) continue;
        const double sr2 = s2 / r2, sr6 = sr2 * sr2 * sr2;
        e += 0.5 * (4.0 * eps_ * (sr6 * sr6 - sr6) - shift_);
        const double fr = 24.0 * eps_ * (2.0 * sr6 * sr6 - sr6) / r2;
        const Vec3 f = fr * d;
        fi += f;
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b) out.virial[a][b] += 0.5 * d[a] * f[b];
      }
      out.forces[i] = fi;
    }
    out.energy = e;
  }

 private:
  double eps_, sigma_, rc_, shift_ = 0.0;
};

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
