// Same inputs, different OpenMP thread counts -> the same bits: the per-atom loops, fixed-block
// kinetic sums and Philox noise keyed by (seed, atom id, step) do not depend on the threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <vector>

#include "lj_force_field.hpp"
#include "md_test_util.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

struct Snapshot {
  std::vector<Vec3> x, v;
  double energy = 0, volume = 0;
};

bool same_bits(const Snapshot& a, const Snapshot& b) {
  return a.x.size() == b.x.size() &&
         std::memcmp(a.x.data(), b.x.data(), a.x.size() * sizeof(Vec3)) == 0 &&
         std::memcmp(a.v.data(), b.v.data(), a.v.size() * sizeof(Vec3)) == 0 &&
         std::memcmp(&a.energy, &b.energy, sizeof(double)) == 0 &&
         std::memcmp(&a.volume, &b.volume, sizeof(double)) == 0;
}

/// Runs `steps` steps of `ensemble` with `threads` threads.
Snapshot run(ForceField& ff, const MdSystem& start, Ensemble ensemble, double dt, int steps,
             int threads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  Engine e(start, ff, EngineOptions{1.0, 1e5, 0.3});
  IntegratorParams p;
  p.ensemble = ensemble;
  p.dt = dt;
  p.tdamp = 50.0 * dt;
  p.pdamp = 500.0 * dt;
  p.seed = 99;
  auto integ = make_integrator(p, e.system());
  StepContext ctx;
  ctx.temperature = 150.0;
  ctx.pressure = 200.0;
  for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
  omp_set_num_threads(saved);
  return {e.system().positions, e.system().velocities, e.system().potential_energy,
          e.system().box.volume()};
}

TEST(Determinism, LargeLennardJonesSameBitsForOneAndTwoThreads) {
  // 10976 atoms: above the size where the integrator loops and kinetic sums run in parallel.
  md::LennardJones lj = test::argon_lj();
  MdSystem start = test::argon_system(14, 0.0200, 120.0, 3);
  for (Ensemble ens : {Ensemble::NvtLangevin, Ensemble::NptMtk}) {
    const Snapshot a = run(lj, start, ens, 10.0, 15, 1);
    const Snapshot b = run(lj, start, ens, 10.0, 15, 2);
    EXPECT_TRUE(same_bits(a, b)) << to_string(ens);
  }
}

TEST(Determinism, WaterHdnnpSameBitsForOneAndTwoThreads) {
  auto ff = test::water_force_field();
  const Structure s = test::water_192();
  MdSystem start = make_system(s, assign_masses(s.species, {}));
  maxwell_boltzmann(start, 300.0, 8, true);
  const Snapshot a = run(*ff, start, Ensemble::NvtLangevin, 0.5, 8, 1);
  const Snapshot b = run(*ff, start, Ensemble::NvtLangevin, 0.5, 8, 2);
  EXPECT_TRUE(same_bits(a, b));
}

TEST(Determinism, MaxwellBoltzmannDependsOnSeedAndIdOnly) {
  MdSystem a = test::argon_system(3, 0.02, 300.0, 5);
  MdSystem b = test::argon_system(3, 0.02, 300.0, 5);
  MdSystem c = test::argon_system(3, 0.02, 300.0, 6);
  EXPECT_EQ(
      0, std::memcmp(a.velocities.data(), b.velocities.data(), a.velocities.size() * sizeof(Vec3)));
  EXPECT_NE(a.velocities[0].x, c.velocities[0].x);
  // Exactly the requested temperature and no centre-of-mass motion.
  EXPECT_NEAR(compute_thermo(a, 0).temperature, 300.0, 1e-9);
  Vec3 p{0, 0, 0};
  for (int i = 0; i < a.size(); ++i) p += a.mass[i] * a.velocities[i];
  EXPECT_LT(std::sqrt(dot(p, p)), 1e-12);
}

}  // namespace
}  // namespace vitrum::md
