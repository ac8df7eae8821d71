// MD driven by the CUDA backends: the same start integrated with the CPU and the CUDA force field
// (water HDNNP and BKS teacher) stays on the same trajectory to rounding over 100 steps, and the
// CUDA-driven NVE run conserves energy as well as the CPU one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../md/md_test_util.hpp"
#include "gpu_guard.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/md/engine.hpp"

namespace vitrum::md {
namespace {

struct Trajectory {
  std::vector<Vec3> positions;
  double e_start = 0, e_end = 0;
};

Trajectory integrate(const Structure& s, ForceField& ff, double dt, int steps) {
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  maxwell_boltzmann(sys, 300.0, 7, true);
  Engine e(std::move(sys), ff, EngineOptions{1.0, 1e5, 0.5});
  IntegratorParams p;
  p.dt = dt;
  auto integ = make_integrator(p, e.system());
  StepContext ctx;
  Trajectory t;
  t.e_start = compute_thermo(e.system(), 0).total_energy;
  for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
  t.e_end = compute_thermo(e.system(), 0).total_energy;
  t.positions = e.system().positions;
  return t;
}

double max_deviation(const Trajectory& a, const Trajectory& b) {
  double dev = 0;
  for (std::size_t i = 0; i < a.positions.size(); ++i)
    for (int d = 0; d < 3; ++d)
      dev = std::max(dev, std::abs(a.positions[i][d] - b.positions[i][d]));
  return dev;
}

Structure sio2_cell() {
  return test::sio2_random_cell(600, 5);
}

TEST(MdCuda, WaterNnpTrajectoryMatchesCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  const Structure s = test::water_192();
  auto cpu = load_force_field(test::water_potential_dir(), Backend::Cpu, Precision::Double,
                              units::kBohr, units::kHartree);
  auto gpu = load_force_field(test::water_potential_dir(), Backend::Cuda, Precision::Double,
                              units::kBohr, units::kHartree);
  const Trajectory a = integrate(s, *cpu, 0.5, 100);
  const Trajectory b = integrate(s, *gpu, 0.5, 100);
  const double dev = max_deviation(a, b);
  std::printf(
      "water HDNNP, 100 steps: max |r_cuda - r_cpu| = %.3e Å, E drift cpu %.3e gpu %.3e eV\n", dev,
      a.e_end - a.e_start, b.e_end - b.e_start);
  EXPECT_LT(dev, 1e-8);
  EXPECT_NEAR(b.e_end, a.e_end, 1e-8 * std::abs(a.e_end));
}

TEST(MdCuda, BksTeacherTrajectoryMatchesCpu) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  const Structure s = sio2_cell();
  const std::string toml = test::source_dir() + "/configs/potentials/SiO2-BKS.toml";
  auto cpu = load_force_field(toml, Backend::Cpu, Precision::Double, 1.0, 1.0);
  auto gpu = load_force_field(toml, Backend::Cuda, Precision::Double, 1.0, 1.0);
  const Trajectory a = integrate(s, *cpu, 0.5, 100);
  const Trajectory b = integrate(s, *gpu, 0.5, 100);
  const double dev = max_deviation(a, b);
  std::printf("BKS, 100 steps: max |r_cuda - r_cpu| = %.3e Å, E drift cpu %.3e gpu %.3e eV\n", dev,
              a.e_end - a.e_start, b.e_end - b.e_start);
  EXPECT_LT(dev, 1e-8);
  EXPECT_NEAR(b.e_end, a.e_end, 1e-8 * std::abs(a.e_end));
}

}  // namespace
}  // namespace vitrum::md
