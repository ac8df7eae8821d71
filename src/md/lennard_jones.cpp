// The Lennard-Jones pair force field and its "lennard_jones" kind (formulas in
// lennard_jones.hpp). Per-atom sums in a fixed order, so the result does not depend on the
// number of OpenMP threads.
#include "vitrum/md/lennard_jones.hpp"

#include <array>
#include <cmath>
#include <vector>

#include "vitrum/core/error.hpp"
#include "vitrum/md/force_field_registry.hpp"

namespace vitrum::md {

LennardJones::LennardJones(const LennardJonesParams& p) : p_(p) {
  if (!(p.epsilon > 0.0) || !(p.sigma > 0.0) || !(p.cutoff > 0.0))
    fail("Lennard-Jones needs epsilon > 0 (eV), sigma > 0 and cutoff > 0 (Å); got {}, {}, {}",
         p.epsilon, p.sigma, p.cutoff);
  if (p.shift) {
    const double sr6 = std::pow(p.sigma / p.cutoff, 6);
    shift_ = 4.0 * p.epsilon * (sr6 * sr6 - sr6);
  }
}

void LennardJones::compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
                           ForceResult& out) {
  const int n = shell.n_local;
  out.forces.assign(n, Vec3{0, 0, 0});
  out.ghost_forces.clear();
  out.atom_energy.assign(n, 0.0);
  std::vector<std::array<double, 9>> atom_virial(n);
  const double rc2 = p_.cutoff * p_.cutoff, s2 = p_.sigma * p_.sigma, eps = p_.epsilon;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    const Vec3 ri = shell.positions[i];
    Vec3 fi{0, 0, 0};
    double ei = 0.0;
    std::array<double, 9> wi{};
    for (int q = list.offsets[i]; q < list.offsets[i + 1]; ++q) {
      const Vec3 d = ri - shell.positions[list.neighbors[q]];
      const double r2 = dot(d, d);
      if (r2 >= rc2) continue;
      const double sr2 = s2 / r2, sr6 = sr2 * sr2 * sr2;
      ei += 0.5 * (4.0 * eps * (sr6 * sr6 - sr6) - shift_);
      const Vec3 f = (24.0 * eps * (2.0 * sr6 * sr6 - sr6) / r2) * d;
      fi += f;
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) wi[3 * a + b] += 0.5 * d[a] * f[b];
    }
    out.forces[i] = fi;
    out.atom_energy[i] = ei;
    atom_virial[i] = wi;
  }
  out.energy = 0.0;
  for (auto& row : out.virial)
    for (double& v : row) v = 0.0;
  for (int i = 0; i < n; ++i) {
    out.energy += out.atom_energy[i];
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) out.virial[a][b] += atom_virial[i][3 * a + b];
  }
}

std::string LennardJones::describe() const {
  return fmt::format("Lennard-Jones (epsilon {:.6g} eV, sigma {:.6g} Å, cutoff {:.6g} Å, {})",
                     p_.epsilon, p_.sigma, p_.cutoff, p_.shift ? "shifted" : "not shifted");
}

/// The "lennard_jones" kind: reads epsilon, sigma, cutoff and shift from [potential].
void register_lennard_jones_force_field() {
  register_force_field(
      "lennard_jones",
      "truncated, shifted 12-6 pair potential for every pair (epsilon eV, sigma Å, cutoff Å)",
      [](ForceFieldRequest& r) -> std::unique_ptr<ForceField> {
        TomlTable& t = r.table;
        LennardJonesParams p;
        p.epsilon = t.positive("epsilon", std::nullopt, "eV");
        p.sigma = t.positive("sigma", std::nullopt, "Å");
        p.cutoff = t.positive("cutoff", 2.5 * p.sigma, "Å");
        p.shift = t.boolean("shift", true);
        t.check_unknown(std::string(kCommonPotentialKeys) + ", epsilon, sigma, cutoff, shift");
        const PotentialConfig& c = r.config;
        if (c.precision != Precision::Double)
          t.error("precision", "the lennard_jones force field runs in double precision only");
        if (!c.path.empty()) t.error("path", "lennard_jones reads no file; remove path");
        if (c.length_unit != 1.0 || c.energy_unit != 1.0)
          t.error("length_unit", "lennard_jones is in Å and eV; length/energy units do not apply");
        return std::make_unique<LennardJones>(p);
      });
}

}  // namespace vitrum::md
