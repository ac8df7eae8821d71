// The HDNNP's device force field (md::make_device_hdnnp over nnp::DeviceEvaluator: the team
// symmetry-function and gradient kernels with a 32-lane EmulatedTeam, the batched networks and
// fixed-order device reductions, reading the device engine's shell and Verlet list in place) on
// the emulated device engine against the host engine with the CPU evaluator: 100 steps of NVE
// and Nosé–Hoover with the water HDNNP and the shipped SiO2 HDNNP. Not bit for bit: the team
// kernels sum each atom's symmetry functions over lanes in the warp's butterfly order and the
// energy and virial in block trees, the CPU evaluator sequentially (and the device list is in
// the space-filling-curve order); the differences are rounding, measured and printed. Between
// rebuilds a step moves only scalars: the same bytes at two sizes, no per-atom array; a restart
// continues bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "md_test_util.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::md {
namespace {

const std::string kSio2 = VITRUM_SOURCE_DIR "/configs/potentials/SiO2-BKS";

struct Model {
  const char* name;
  PotentialConfig config;
  Structure cell;
  double temperature, dt;
};

Model water() {
  PotentialConfig c;
  c.kind = "n2p2";
  c.path = test::water_potential_dir();
  c.length_unit = units::kBohr;
  c.energy_unit = units::kHartree;
  return {"water HDNNP 192", c, test::water_192(), 300.0, 0.5};
}

Model sio2(int n) {
  PotentialConfig c;
  c.kind = "n2p2";
  c.path = kSio2;
  return {"SiO2 HDNNP", c, test::sio2_random_cell(n, 17), 3000.0, 1.0};
}

double max_difference(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (int k = 0; k < 3; ++k) m = std::max(m, std::fabs(a[i][k] - b[i][k]));
  return m;
}

IntegratorParams params(Ensemble e, double dt) {
  IntegratorParams p;
  p.ensemble = e;
  p.dt = dt;
  p.tdamp = 50.0;
  p.seed = 7;
  return p;
}

void compare_trajectories(const Model& m) {
  MdSystem sys = make_system(m.cell, assign_masses(m.cell.species, {}));
  maxwell_boltzmann(sys, m.temperature, 3, true);
  for (Ensemble e : {Ensemble::Nve, Ensemble::NvtNoseHoover}) {
    auto host_ff = make_force_field(m.config);
    auto space = exec::make_emulated_space();
    auto dev_ff = make_device_hdnnp(m.config, *space);
    const EngineOptions opt{0.5, 1e5, 0.5};
    Engine host(sys, *host_ff, opt);
    DeviceEngine dev(sys, *dev_ff, *space, opt);
    const IntegratorParams p = params(e, m.dt);
    auto ih = make_integrator(p, sys);
    auto id = make_integrator(p, sys);
    StepContext ctx;
    ctx.temperature = m.temperature;
    double de = 0, dw = 0;
    for (int s = 0; s < 100; ++s) {
      host.step(*ih, ctx);
      dev.step(*id, ctx);
      const double eh = host.system().potential_energy, ed = dev.scalars().potential_energy;
      de = std::max(de, std::fabs(ed - eh) / std::fabs(eh));
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b)
          dw = std::max(dw, std::fabs(dev.scalars().virial[a][b] - host.system().virial[a][b]));
    }
    const MdSystem& hs = host.system();
    const MdSystem& ds = dev.system();
    const double dx = max_difference(hs.positions, ds.positions);
    const double dv = max_difference(hs.velocities, ds.velocities);
    const double df = max_difference(hs.forces, ds.forces);
    std::printf(
        "[device HDNNP] %s, %s, 100 steps, %ld rebuilds: |dx| %.2e A, |dv| %.2e A/fs, |dF| %.2e "
        "eV/A, dE/E %.2e, |dW| %.2e eV\n",
        m.name, to_string(e), dev.rebuilds(), dx, dv, df, de, dw);
    EXPECT_GE(dev.rebuilds(), 2) << m.name;
    EXPECT_LT(dx, 1e-12) << m.name << " " << to_string(e);
    EXPECT_LT(de, 1e-12) << m.name << " " << to_string(e);
    EXPECT_LT(df, 1e-9) << m.name << " " << to_string(e);
    EXPECT_LT(dw, 1e-9 * std::max(1.0, std::fabs(hs.virial[0][0]))) << m.name;
    // The per-atom energies (input order) sum to the energy.
    const std::vector<double> ea = dev.atom_energies();
    ASSERT_EQ(ea.size(), hs.positions.size());
    double sum = 0;
    for (double x : ea) sum += x;
    EXPECT_NEAR(sum, ds.potential_energy, 1e-11 * std::fabs(ds.potential_energy));
  }
}

TEST(DeviceHdnnp, WaterFollowsTheHostEngine) {
  compare_trajectories(water());
}

TEST(DeviceHdnnp, Sio2FollowsTheHostEngine) {
  compare_trajectories(sio2(192));
}

bool same_bits(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Vec3)) == 0;
}

// A run continued from its state and last rebuild (as a checkpoint restart does) gives the
// uninterrupted run's bits: the rebuild hook and the evaluation depend only on the shell, list
// and positions, in a fixed order.
TEST(DeviceHdnnp, RestartContinuesBitForBit) {
  const Model m = sio2(96);
  MdSystem sys = make_system(m.cell, assign_masses(m.cell.species, {}));
  maxwell_boltzmann(sys, m.temperature, 3, true);
  const EngineOptions opt{0.5, 1e5, 0.5};
  const IntegratorParams p = params(Ensemble::NvtNoseHoover, 1.0);
  StepContext ctx;
  ctx.temperature = m.temperature;
  auto space = exec::make_emulated_space();
  auto ff = make_device_hdnnp(m.config, *space);
  DeviceEngine a(sys, *ff, *space, opt);
  auto ia = make_integrator(p, sys);
  for (int s = 0; s < 30; ++s) a.step(*ia, ctx);
  const MdSystem saved = a.system();
  const RebuildRecord record = a.last_rebuild();
  const IntegratorState state = ia->save_state();
  ASSERT_GT(record.rebuilds, 1);
  auto space_b = exec::make_emulated_space();
  auto ff_b = make_device_hdnnp(m.config, *space_b);
  DeviceEngine b(sys, *ff_b, *space_b, opt);
  b.restore(saved, record);
  auto ib = make_integrator(p, sys);
  ib->load_state(state);
  EXPECT_TRUE(same_bits(b.system().forces, saved.forces));
  for (int s = 0; s < 20; ++s) {
    a.step(*ia, ctx);
    b.step(*ib, ctx);
  }
  EXPECT_EQ(a.rebuilds(), b.rebuilds());
  EXPECT_TRUE(same_bits(a.system().positions, b.system().positions));
  EXPECT_TRUE(same_bits(a.system().velocities, b.system().velocities));
  EXPECT_EQ(a.scalars().potential_energy, b.scalars().potential_energy);
  EXPECT_EQ(a.atom_energies(), b.atom_energies());
}

/// Bytes per step on the steps without a rebuild (all equal), checking that no per-atom array
/// moved on them; then that per-atom energies are copied only when asked for.
std::size_t quiet_bytes(int n_atoms) {
  const Model m = sio2(n_atoms);
  MdSystem sys = make_system(m.cell, assign_masses(m.cell.species, {}));
  maxwell_boltzmann(sys, m.temperature, 3, true);
  auto space = exec::make_emulated_space();
  auto ff = make_device_hdnnp(m.config, *space);
  DeviceEngine dev(sys, *ff, *space, EngineOptions{1.0, 1e5, 0.5});
  auto integ = make_integrator(params(Ensemble::NvtNoseHoover, 1.0), sys);
  StepContext ctx;
  ctx.temperature = m.temperature;
  std::size_t per_step = 0;
  int quiet = 0;
  for (int s = 0; s < 12; ++s) {
    const exec::TransferLedger before = dev.ledger();
    const long rebuilds = dev.rebuilds();
    dev.step(*integ, ctx);
    if (s == 0 || dev.rebuilds() != rebuilds) continue;
    for (const auto& [name, entry] : dev.ledger().entries()) {
      const auto it = before.entries().find(name);
      const long was =
          it == before.entries().end() ? 0L : it->second.to_host.count + it->second.to_device.count;
      const long now = entry.to_host.count + entry.to_device.count;
      if (now == was) continue;
      // Only reductions' results may cross.
      EXPECT_EQ(name.rfind("reduce:", 0), 0u)
          << name << " moved at step " << s << " (" << n_atoms << " atoms)";
    }
    const std::size_t bytes = dev.ledger().total_bytes() - before.total_bytes();
    if (quiet > 0) EXPECT_EQ(bytes, per_step) << "step " << s;
    per_step = bytes;
    ++quiet;
  }
  EXPECT_GE(quiet, 5);
  const std::size_t down = dev.ledger().to_host().bytes;
  dev.atom_energies();
  // The energies and the slots' original indices (once: the latter is then current).
  EXPECT_EQ(dev.ledger().to_host().bytes - down, (sizeof(double) + sizeof(int)) * n_atoms);
  return per_step;
}

TEST(DeviceHdnnp, OnlyScalarsCrossBetweenRebuilds) {
  const std::size_t small = quiet_bytes(96), large = quiet_bytes(192);
  std::printf("[device HDNNP ledger] Nose-Hoover: %zu B per step between rebuilds (96 and 192)\n",
              small);
  EXPECT_GT(small, 0u);
  EXPECT_LE(small, 400u);
  EXPECT_EQ(small, large);
}

}  // namespace
}  // namespace vitrum::md
