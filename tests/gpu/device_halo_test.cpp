// The device halo (parallel/device_halo.hpp) against the host plan it mirrors: ghost positions
// and reverse-summed forces bit for bit, and MD with a CUDA force field under domain
// decomposition with the halo kept on the device equal to the same run with the halo exchanged
// on the host, for the water HDNNP (forces on ghosts: reverse exchange on the device) and the
// BKS teacher (complete local forces). One rank (this suite runs without MPI): every swap is a
// periodic self-exchange, so packing, unpacking and the multi-layer image shifts run as kernels;
// exchanges with other ranks (direct or pinned staging) share the swap sequence and the staged
// transfer with the host code tested under mpiexec (tests/mpi, HaloExec.*).
#include "vitrum/parallel/device_halo.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "../md/md_test_util.hpp"
#include "gpu_guard.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/parallel/domain.hpp"
#ifdef VITRUM_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace vitrum {
namespace {

using md::Engine;
using md::EngineOptions;
using md::MdSystem;

Structure sio2_cell(int n, bool triclinic) {
  return test::sio2_random_cell(n, 5, triclinic);
}

long bit_differences(const std::vector<Vec3>& a, const std::vector<Vec3>& b, std::size_t n) {
  long d = 0;
  for (std::size_t i = 0; i < n; ++i) d += std::memcmp(&a[i], &b[i], sizeof(Vec3)) != 0;
  return d;
}

TEST(DeviceHalo, ForwardAndReverseGiveTheHostPlansBits) {
  VITRUM_REQUIRE_CUDA_DEVICE();
#ifdef VITRUM_HAVE_CUDA
  const Structure s = sio2_cell(96, true);
  parallel::Domain domain(parallel::Comm(), s.box);
  neighbor::GhostShell shell;
  for (const Vec3& r : s.positions) shell.positions.push_back(s.box.wrap(r));
  shell.species = s.species;
  std::vector<int> ids(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) ids[i] = static_cast<int>(i);
  std::vector<std::array<int, 3>> images(s.size(), {0, 0, 0});
  parallel::HaloPlan plan;
  plan.build(domain, s.box, 7.5, shell, ids, images);  // several image layers per direction
  ASSERT_GT(plan.n_ghost(), 3 * plan.n_local());
  parallel::DeviceHalo halo(domain.comm(), parallel::GpuMpiMode::Off);
  halo.attach(plan);
  Box moved = s.box;
  moved.h[2] += Vec3{0.05, -0.03, 0.02};
  std::vector<Vec3> locals(plan.n_local()), host(shell.size());
  for (int i = 0; i < plan.n_local(); ++i)
    host[i] = locals[i] = shell.positions[i] + Vec3{0.003 * i, -0.002, 0.001};
  plan.forward(moved, host);
  halo.forward(moved, locals);
  std::vector<Vec3> device;
  halo.download_positions(device);
  ASSERT_EQ(device.size(), host.size());
  EXPECT_EQ(bit_differences(host, device, host.size()), 0);

  std::vector<Vec3> forces(shell.size());
  for (int i = 0; i < shell.size(); ++i)
    forces[i] = Vec3{std::sin(0.1 * i), std::cos(0.3 * i), 0.01 * ids[i]};
  ASSERT_EQ(cudaMemcpy(halo.forces(), forces.data(), forces.size() * sizeof(Vec3),
                       cudaMemcpyHostToDevice),
            cudaSuccess);
  std::vector<Vec3> on_device;
  halo.reverse(on_device);
  plan.reverse(forces);
  ASSERT_EQ(on_device.size(), static_cast<std::size_t>(plan.n_local()));
  EXPECT_EQ(bit_differences(forces, on_device, on_device.size()), 0);
  EXPECT_GT(halo.memory_bytes(), 0u);
  EXPECT_FALSE(halo.direct());
#endif
}

struct MdRun {
  std::vector<Vec3> forces0, positions, forces;
  double energy0 = 0, energy = 0;
  bool device = false;
};

MdRun run(const Structure& s, md::ForceField& ff, bool device_halo, double dt, int steps) {
  MdSystem sys = md::make_system(s, md::assign_masses(s.species, {}));
  md::maxwell_boltzmann(sys, 600.0, 3, true);
  parallel::Domain domain(parallel::Comm(), sys.box);
  sys = md::distribute_system(std::move(sys), domain);
  EngineOptions opt{1.0, 1e5, 0.5};
  opt.device_halo = device_halo;
  Engine e(std::move(sys), ff, opt, &domain);
  MdRun r;
  r.device = e.device_halo() != nullptr;
  r.forces0 = e.system().forces;
  r.energy0 = e.system().potential_energy;
  md::IntegratorParams p;
  p.dt = dt;
  auto integ = md::make_integrator(p, e.system());
  md::StepContext ctx;
  for (int k = 0; k < steps; ++k) e.step(*integ, ctx);
  r.positions = e.system().positions;
  r.forces = e.system().forces;
  r.energy = e.system().potential_energy;
  return r;
}

void expect_same_run(const char* what, const MdRun& host, const MdRun& dev) {
  EXPECT_FALSE(host.device);
  EXPECT_TRUE(dev.device);
  ASSERT_EQ(host.forces0.size(), dev.forces0.size());
  // The same positions reach the same kernels: the first forces agree bit for bit, and so does
  // the trajectory (the device sums the ghost forces in the host plan's order).
  const long f0 = bit_differences(host.forces0, dev.forces0, host.forces0.size());
  const long r = bit_differences(host.positions, dev.positions, host.positions.size());
  double dr = 0;
  for (std::size_t i = 0; i < host.positions.size(); ++i)
    for (int d = 0; d < 3; ++d)
      dr = std::max(dr, std::abs(host.positions[i][d] - dev.positions[i][d]));
  std::printf(
      "[device halo] %s: %ld/%zu first forces and %ld positions differ in bits, max |dr| %.3e Å\n",
      what, f0, host.forces0.size(), r, dr);
  EXPECT_EQ(f0, 0);
  EXPECT_EQ(host.energy0, dev.energy0);
  EXPECT_EQ(r, 0);
  EXPECT_EQ(host.energy, dev.energy);
}

TEST(DeviceHalo, WaterNnpMdMatchesTheHostHalo) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  auto ff = md::load_force_field(test::water_potential_dir(), Backend::Cuda, Precision::Double,
                                 units::kBohr, units::kHartree);
  ASSERT_TRUE(ff->device_resident());
  const Structure s = test::water_192();
  expect_same_run("water HDNNP 192, 50 steps", run(s, *ff, false, 0.5, 50),
                  run(s, *ff, true, 0.5, 50));
}

TEST(DeviceHalo, BksTeacherMdMatchesTheHostHalo) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  auto ff = md::load_force_field(test::source_dir() + "/configs/potentials/SiO2-BKS.toml",
                                 Backend::Cuda, Precision::Double, 1.0, 1.0);
  ASSERT_TRUE(ff->device_resident());
  const Structure s = sio2_cell(600, true);
  expect_same_run("BKS 600 triclinic, 100 steps", run(s, *ff, false, 1.0, 100),
                  run(s, *ff, true, 1.0, 100));
}

TEST(DeviceHalo, CpuForceFieldsKeepTheHostHalo) {
  // Runs everywhere: a CPU force field is not device resident, so the engine keeps the host halo
  // whatever the option says.
  auto ff = md::load_force_field(test::source_dir() + "/configs/potentials/SiO2-BKS.toml",
                                 Backend::Cpu, Precision::Double, 1.0, 1.0);
  EXPECT_FALSE(ff->device_resident());
  const MdRun r = run(sio2_cell(192, false), *ff, true, 1.0, 2);
  EXPECT_FALSE(r.device);
  EXPECT_TRUE(std::isfinite(r.energy));
}

}  // namespace
}  // namespace vitrum
