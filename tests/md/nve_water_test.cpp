// Velocity Verlet with the shipped water HDNNP on the 192-atom liquid cell at 0.5 fs: no drift of
// the total energy, exact time reversibility, and forces that are the gradient of the energy in
// the units the engine integrates (Å, eV).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "md_test_util.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

MdSystem water_system(double temperature, std::uint64_t seed) {
  const Structure s = test::water_192();
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  maxwell_boltzmann(sys, temperature, seed, true);
  return sys;
}

TEST(NveWater, ForcesAreTheEnergyGradientInAngstromAndEv) {
  // Energy conservation needs F = -dE/dr in the engine's units; a unit slip (e.g. eV/bohr) shows
  // here first. Central differences, h = 1e-4 Å.
  auto ff = test::water_force_field();
  const Structure s = test::water_192();
  auto eval = [&](const std::vector<Vec3>& pos, ForceResult& r) {
    const neighbor::GhostShell sh =
        neighbor::build_ghost_shell(s.box, pos, s.species, ff->cutoff());
    const neighbor::NeighborList nl = neighbor::build_neighbor_list(sh, ff->cutoff(), 0.0);
    ff->compute(sh, nl, r);
  };
  ForceResult r0;
  eval(s.positions, r0);
  const double h = 1e-4;
  for (int i : {0, 1, 2, 100}) {
    for (int d = 0; d < 3; ++d) {
      auto p = s.positions;
      ForceResult a, b;
      p[i][d] += h;
      eval(p, a);
      p[i][d] -= 2 * h;
      eval(p, b);
      const double fd = -(a.energy - b.energy) / (2 * h);
      EXPECT_NEAR(r0.forces[i][d], fd, 1e-5 + 1e-4 * std::fabs(fd))
          << "atom " << i << " direction " << d << " (eV/Å)";
    }
  }
}

TEST(NveWater, TotalEnergyDoesNotDrift) {
  auto ff = test::water_force_field();
  Engine e(water_system(300.0, 1), *ff, EngineOptions{1.0, 1e5, 0.5});
  IntegratorParams p;
  p.dt = 0.5;
  auto integ = make_integrator(p, e.system());
  const int n = e.system().size();
  const long steps = 2000;  // 1 ps
  std::vector<double> t, etot;
  double e0 = compute_thermo(e.system(), 0).total_energy, dev = 0, temp = 0;
  for (long k = 1; k <= steps; ++k) {
    e.step(*integ, {});
    if (k % 10 == 0) {
      const Thermo th = compute_thermo(e.system(), 0);
      t.push_back(th.time_fs * 1e-3);
      etot.push_back(th.total_energy / n);
      dev = std::max(dev, std::fabs(th.total_energy - e0) / n);
      temp += th.temperature / (steps / 10);
    }
  }
  const double drift = test::slope(t, etot);  // eV/atom/ps
  std::printf(
      "[ water NVE ] 192 atoms, dt 0.5 fs, %.2f ps, <T> = %.1f K: drift %.3e eV/atom/ps, max "
      "|E - E0| %.3e eV/atom, %ld neighbor-list builds\n",
      steps * 0.5e-3, temp, drift, dev, e.rebuilds());
  EXPECT_LT(std::fabs(drift), 1e-5);
  EXPECT_LT(dev, 2e-4);
}

TEST(NveWater, TimeReversible) {
  // Forward n steps, flip the velocities, n steps back: the start is recovered to rounding (the
  // wrap at neighbor-list rebuilds shifts positions by whole cell vectors, exact up to rounding).
  auto ff = test::water_force_field();
  MdSystem start = water_system(300.0, 5);
  Engine e(start, *ff, EngineOptions{1.0, 1e5, 0.5});
  IntegratorParams p;
  p.dt = 0.5;
  auto integ = make_integrator(p, e.system());
  const int steps = 100;
  for (int k = 0; k < steps; ++k) e.step(*integ, {});
  double moved = 0;
  for (int i = 0; i < start.size(); ++i) {
    const Vec3 d = e.system().unwrapped(i) - start.positions[i];
    moved = std::max(moved, std::sqrt(dot(d, d)));
  }
  for (auto& v : e.system().velocities) v = -1.0 * v;
  for (int k = 0; k < steps; ++k) e.step(*integ, {});
  double dx = 0, dv = 0;
  for (int i = 0; i < start.size(); ++i) {
    const Vec3 d = e.system().unwrapped(i) - start.positions[i];
    dx = std::max(dx, std::sqrt(dot(d, d)));
    const Vec3 w = e.system().velocities[i] + start.velocities[i];
    dv = std::max(dv, std::sqrt(dot(w, w)));
  }
  std::printf(
      "[ water reversibility ] %d steps forward (max displacement %.3f Å) and back: max |dr| = "
      "%.3e Å, max |dv| = %.3e Å/fs\n",
      steps, moved, dx, dv);
  EXPECT_LT(dx, 1e-8);
  EXPECT_LT(dv, 1e-9);
}

}  // namespace
}  // namespace vitrum::md
