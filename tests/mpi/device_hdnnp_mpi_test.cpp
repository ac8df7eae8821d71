// The device-resident engine under MPI with a many-body force field, the water HDNNP: its forces
// on ghosts are sent back to the ranks holding their atoms (DeviceForceField::compute_shell and
// parallel::SpaceHalo::reverse). The force kernel is the host evaluator reading the emulated
// device's shell in place and leaving the forces on ghosts unfolded (the test's adapter below:
// md::emulate_force_field folds them onto local owners, which only a serial shell has). 100 NVE
// steps of the 192-atom water cell on the device engine against the host engine on the same
// ranks: the same bits (positions, velocities), the same atoms on every rank, atoms changed rank.
// Run by ctest at 1, 2, 4 and 8 ranks (runs at 2 and 4).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../md/md_test_util.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/distribute.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/parallel/domain.hpp"

namespace vitrum::md {
namespace {

/// A host ForceField as the emulated device's force kernel that leaves the forces on ghosts
/// unfolded (as the host engine's domain path asks of it).
class UnfoldedEmulatedForceField final : public DeviceForceField {
 public:
  explicit UnfoldedEmulatedForceField(ForceField& ff) : ff_(ff) {}
  double cutoff() const override { return ff_.cutoff(); }
  double min_distance() const override { return ff_.min_distance(); }
  std::string describe() const override { return ff_.describe() + " (unfolded, emulated)"; }
  bool returns_ghost_forces() const override { return true; }
  void rebuild(const neighbor::DeviceShellView& shell,
               const neighbor::DeviceListView& list) override {
    shell_ = neighbor::GhostShell{};
    shell_.n_local = shell.n_local;
    shell_.width = shell.width;
    shell_.positions.assign(shell.positions, shell.positions + shell.n_all);
    shell_.species.assign(shell.species, shell.species + shell.n_all);
    shell_.fold_ghosts = false;
    list_ = neighbor::NeighborList{};
    list_.offsets.assign(list.offsets, list.offsets + list.n_local + 1);
    list_.neighbors.assign(list.neighbors, list.neighbors + list.entries);
    list_.cutoff = list.cutoff;
    list_.skin = list.skin;
    list_.build_id = list.build_id;
    list_.reference_positions.assign(shell.positions, shell.positions + shell.n_local);
  }
  void compute(const Vec3*, Vec3*, ForceScalars&) override {
    fail("the unfolded adapter runs under a domain decomposition only");
  }
  void compute_shell(const Vec3* d_positions, Vec3* d_shell_forces, ForceScalars& out) override {
    std::copy(d_positions, d_positions + shell_.size(), shell_.positions.begin());
    ff_.compute(shell_, list_, result_);
    if (static_cast<int>(result_.forces.size()) != shell_.n_local ||
        static_cast<int>(result_.ghost_forces.size()) != shell_.n_ghost())
      fail("{} returned {} + {} forces for {} + {} atoms", ff_.describe(), result_.forces.size(),
           result_.ghost_forces.size(), shell_.n_local, shell_.n_ghost());
    std::copy(result_.forces.begin(), result_.forces.end(), d_shell_forces);
    std::copy(result_.ghost_forces.begin(), result_.ghost_forces.end(),
              d_shell_forces + shell_.n_local);
    out.energy = result_.energy;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) out.virial[a][b] = result_.virial[a][b];
  }

 private:
  ForceField& ff_;
  neighbor::GhostShell shell_;
  neighbor::NeighborList list_;
  ForceResult result_;
};

double max_difference(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = a.size() == b.size() ? 0.0 : HUGE_VAL;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    for (int k = 0; k < 3; ++k) m = std::max(m, std::fabs(a[i][k] - b[i][k]));
  return m;
}

TEST(DeviceEngineMpiWater, HdnnpSendsGhostForcesBack) {
  const parallel::Comm world = parallel::Comm::world();
  // One rank is tests/md's DeviceEngineWater; 8 ranks of 24 atoms add little but CI time.
  if (world.size() != 2 && world.size() != 4) GTEST_SKIP() << "runs on 2 and 4 ranks";
  const Structure cell = test::water_192();
  MdSystem whole = make_system(cell, assign_masses(cell.species, {}));
  maxwell_boltzmann(whole, 600.0, 2, true);
  parallel::Domain domain(world, whole.box);
  const MdSystem share = distribute_system(whole, domain);
  auto ff_host = test::water_force_field();
  auto ff_dev = test::water_force_field();
  auto space = exec::make_emulated_space();
  UnfoldedEmulatedForceField dev_ff(*ff_dev);
  const EngineOptions opt{0.5, 1e5, 0.5};
  Engine host(share, *ff_host, opt, &domain);
  DeviceEngine dev(share, dev_ff, *space, opt, {}, &domain);
  IntegratorParams p;
  p.ensemble = Ensemble::Nve;
  p.dt = 0.5;
  auto ih = make_integrator(p, whole);
  auto id = make_integrator(p, whole);
  for (int s = 0; s < 100; ++s) {
    host.step(*ih, StepContext{});
    dev.step(*id, StepContext{});
  }
  EXPECT_GE(dev.rebuilds(), 2);
  EXPECT_EQ(dev.rebuilds(), host.rebuilds());
  std::int64_t moved = dev.migrated();
  world.sum(&moved, 1);
  if (world.size() > 1) EXPECT_GT(moved, 0) << "no atom changed rank";
  EXPECT_EQ(dev.system(kHostAll).id, host.system().id);
  const MdSystem& a = host.gather_system();
  const MdSystem& b = dev.gather_system(kHostAll);
  if (world.rank() == 0) {
    const double dr = max_difference(a.positions, b.positions);
    EXPECT_LT(dr, 1e-12);
    // The same operation order on both sides (the plan, the list, the evaluator, the reverse
    // exchange's order of additions): the same bits.
    EXPECT_EQ(
        std::memcmp(a.positions.data(), b.positions.data(), a.positions.size() * sizeof(Vec3)), 0);
    EXPECT_EQ(
        std::memcmp(a.velocities.data(), b.velocities.data(), a.velocities.size() * sizeof(Vec3)),
        0);
    EXPECT_LT(max_difference(a.forces, b.forces), 1e-10);
    EXPECT_NEAR(a.potential_energy, b.potential_energy, 1e-11 * std::fabs(a.potential_energy));
    std::printf("[device engine, %d ranks] water HDNNP NVE: max |Δr| = %.3g Å, %ld migrated\n",
                world.size(), dr, static_cast<long>(moved));
  }
}

}  // namespace
}  // namespace vitrum::md
