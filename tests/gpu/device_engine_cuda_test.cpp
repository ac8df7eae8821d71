// The device-resident engine on a CUDA device against the same engine on the emulated device:
// the CUDA space and its ledger, fixed-order reductions that give the emulated device's bits
// (sums of products: nothing for the compilers to contract differently), and 100-step NVE,
// Nosé–Hoover and Langevin runs with the device teacher that follow the emulated run to 1e-12 Å
// (the pair kernels differ by the compilers' FMA contraction and erfc) while moving the same
// bytes per step. Skips without a device unless VITRUM_REQUIRE_GPU=1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "../md/md_test_util.hpp"
#include "gpu_guard.hpp"
#include "vitrum/core/exec_space.hpp"
#include "vitrum/core/mirrored_array.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/device_kernels.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/parallel/domain.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::md {
namespace {

TEST(DeviceEngineCuda, MirroredArrayAndLedgerOnTheDevice) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  auto space = exec::make_cuda_space();
  exec::MirroredArray<double> a(*space, "x");
  a.assign({1.0, 2.0, 3.0});
  a.device_read();
  EXPECT_EQ(space->ledger().to_device().bytes, 3 * sizeof(double));
  a.device(exec::Access::ReadWrite);
  EXPECT_EQ(a.host_read()[2], 3.0);
  EXPECT_EQ(space->ledger().to_host().bytes, 3 * sizeof(double));
}

TEST(DeviceEngineCuda, ReductionsGiveTheEmulatedBits) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  auto cuda = exec::make_cuda_space();
  auto emu = exec::make_emulated_space();
  auto kc = make_device_md_kernels(*cuda);
  auto ke = make_device_md_kernels(*emu);
  const int n = 70001;
  std::vector<Vec3> v(n);
  std::vector<double> m(n);
  for (int i = 0; i < n; ++i) {
    v[i] = Vec3{std::sin(1.1 * i), std::cos(0.7 * i) * 3.0, 1e-3 * std::sin(0.3 * i)};
    m[i] = i % 3 == 0 ? 28.0855 : 15.999;
  }
  std::array<double, 6> sums[2];
  int k = 0;
  for (auto* pair : {&kc, &ke}) {
    exec::Space& s = (*pair)->space();
    exec::MirroredArray<Vec3> dv(s, "v");
    exec::MirroredArray<double> dm(s, "m");
    dv.assign(v);
    dm.assign(m);
    DeviceAtoms a;
    a.n = n;
    a.velocities = dv.device(exec::Access::ReadWrite);
    a.mass = dm.device_read();
    sums[k++] = (*pair)->kinetic_sums(a);
  }
  EXPECT_EQ(std::memcmp(sums[0].data(), sums[1].data(), sizeof(sums[0])), 0);
}

TEST(DeviceEngineCuda, TrajectoriesFollowTheEmulatedDevice) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  for (Ensemble e : {Ensemble::Nve, Ensemble::NvtNoseHoover, Ensemble::NvtLangevin}) {
    const Structure cell = test::sio2_random_cell(648, 17, true);
    MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
    maxwell_boltzmann(sys, 2500.0, 5, true);
    IntegratorParams p;
    p.ensemble = e;
    p.tdamp = 50.0;
    p.seed = 3;
    StepContext ctx;
    ctx.temperature = 2500.0;
    std::vector<Vec3> x[2];
    std::size_t quiet[2] = {0, 0};
    int k = 0;
    for (auto kind : {exec::SpaceKind::Cuda, exec::SpaceKind::Emulated}) {
      auto space = exec::make_space(kind);
      auto ff = teacher::load_device_teacher(test::bks_potential_path(), *space);
      DeviceEngine dev(sys, *ff, *space, EngineOptions{1.0, 1e5, 0.5});
      auto integ = make_integrator(p, sys);
      for (int s = 0; s < 100; ++s) {
        const std::size_t before = dev.ledger().total_bytes();
        const long rebuilds = dev.rebuilds();
        dev.step(*integ, ctx);
        if (s > 0 && dev.rebuilds() == rebuilds)
          quiet[k] = std::max(quiet[k], dev.ledger().total_bytes() - before);
      }
      x[k++] = dev.system().positions;
    }
    double dr = 0;
    for (std::size_t i = 0; i < x[0].size(); ++i)
      for (int a = 0; a < 3; ++a) dr = std::max(dr, std::fabs(x[0][i][a] - x[1][i][a]));
    EXPECT_LT(dr, 1e-12) << to_string(e);
    EXPECT_EQ(quiet[0], quiet[1]) << to_string(e);
    EXPECT_LE(quiet[0], 400u) << to_string(e);
  }
}

// The domain-decomposition path of the device engine (a one-rank parallel::Domain: migration
// keys and the (leaves, id) sort, the halo plan's ghosts filled by SpaceHalo's kernels, the list
// of a caller-made shell) on the CUDA device against the same path on the emulated device:
// 100 Langevin steps to 1e-12 Å, the same bytes per quiet step. The multi-rank runs are in
// tests/mpi (emulated device).
TEST(DeviceEngineCuda, DomainPathFollowsTheEmulatedDevice) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  const Structure cell = test::sio2_random_cell(648, 17, true);
  MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
  maxwell_boltzmann(sys, 2500.0, 5, true);
  parallel::Domain domain(parallel::Comm::world(), sys.box);
  IntegratorParams p;
  p.ensemble = Ensemble::NvtLangevin;
  p.tdamp = 50.0;
  p.seed = 3;
  StepContext ctx;
  ctx.temperature = 2500.0;
  std::vector<Vec3> x[2];
  std::size_t quiet[2] = {0, 0};
  int k = 0;
  for (auto kind : {exec::SpaceKind::Cuda, exec::SpaceKind::Emulated}) {
    auto space = exec::make_space(kind);
    auto ff = teacher::load_device_teacher(test::bks_potential_path(), *space);
    DeviceEngine dev(distribute_system(sys, domain), *ff, *space, EngineOptions{1.0, 1e5, 0.5}, {},
                     &domain);
    auto integ = make_integrator(p, sys);
    for (int s = 0; s < 100; ++s) {
      const std::size_t before = dev.ledger().total_bytes();
      const long rebuilds = dev.rebuilds();
      dev.step(*integ, ctx);
      if (s > 0 && dev.rebuilds() == rebuilds)
        quiet[k] = std::max(quiet[k], dev.ledger().total_bytes() - before);
    }
    EXPECT_GT(dev.rebuilds(), 2);
    x[k++] = dev.gather_system(kHostAll).positions;
  }
  double dr = 0;
  for (std::size_t i = 0; i < x[0].size(); ++i)
    for (int a = 0; a < 3; ++a) dr = std::max(dr, std::fabs(x[0][i][a] - x[1][i][a]));
  EXPECT_LT(dr, 1e-12);
  EXPECT_EQ(quiet[0], quiet[1]);
  EXPECT_LE(quiet[0], 400u);
}

}  // namespace
}  // namespace vitrum::md
