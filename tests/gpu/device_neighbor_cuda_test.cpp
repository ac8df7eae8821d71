// The device neighbor list (vitrum/neighbor/device_neighbor.hpp) on a CUDA device: the shell and
// list built by the CUDA kernels (Thrust scan and radix sort) hold the pairs of the host build,
// with and without the space-filling-curve reorder (compared as sets: nvcc may contract the
// fractional-coordinate arithmetic into FMAs, so positions may differ from the emulated
// device's in the last bit), the reorder is a permutation, and a device-engine run with the
// device teacher moves only scalars and the image list at its rebuild steps. Skips without a
// device unless VITRUM_REQUIRE_GPU=1.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "../md/device_neighbor_util.hpp"
#include "../md/md_test_util.hpp"
#include "gpu_guard.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::test {
namespace {

TEST(DeviceNeighborCuda, HoldsTheHostPairs) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  std::vector<Structure> cells = {sio2_random_cell(192, 3), sio2_random_cell(192, 4, true),
                                  sio2_random_cell(24, 5, true), sio2_random_cell(3000, 11)};
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const Structure& s = cells[c];
    const neighbor::GhostShell h = neighbor::build_ghost_shell(s.box, s.positions, s.species, 6.5);
    const neighbor::NeighborList hl = neighbor::build_neighbor_list(h, 5.5, 1.0);
    for (bool reorder : {false, true}) {
      auto space = exec::make_cuda_space();
      const DeviceBuild d = device_build(*space, s.box, s.positions, s.species, 5.5, 1.0, reorder);
      EXPECT_EQ(pairs_of(s.box, d.shell, d.list, d.origin), pairs_of(s.box, h, hl))
          << "cell " << c << (reorder ? " reordered" : "");
      std::vector<int> sorted = d.origin, iota(d.origin.size());
      std::sort(sorted.begin(), sorted.end());
      std::iota(iota.begin(), iota.end(), 0);
      EXPECT_EQ(sorted, iota);
      if (reorder && c == 3)
        std::printf("[device list, CUDA] mean |i - j|: %.1f input order, %.1f Morton order\n",
                    mean_index_distance(hl), mean_index_distance(d.list));
    }
  }
}

TEST(DeviceNeighborCuda, RebuildStepsMoveOnlyScalars) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  const Structure cell = sio2_random_cell(648, 23);
  md::MdSystem sys = md::make_system(cell, md::assign_masses(cell.species, {}));
  md::maxwell_boltzmann(sys, 4000.0, 5, true);
  auto space = exec::make_cuda_space();
  auto ff = teacher::load_device_teacher(bks_potential_path(), *space);
  md::DeviceEngine dev(sys, *ff, *space, md::EngineOptions{1.0, 1e5, 0.3});
  md::IntegratorParams p;
  p.ensemble = md::Ensemble::Nve;
  p.dt = 1.0;
  auto integ = md::make_integrator(p, sys);
  int rebuild_steps = 0;
  for (int s = 0; s < 40; ++s) {
    const std::size_t before = dev.ledger().total_bytes();
    const long rebuilds = dev.rebuilds();
    dev.step(*integ, md::StepContext{});
    if (s == 0 || dev.rebuilds() == rebuilds) continue;
    EXPECT_LE(dev.ledger().total_bytes() - before, 2048u) << "rebuild step " << s;
    ++rebuild_steps;
  }
  EXPECT_GE(rebuild_steps, 3);
}

}  // namespace
}  // namespace vitrum::test
