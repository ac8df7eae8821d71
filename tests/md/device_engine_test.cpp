// The device-resident engine on the emulated device against the host engine: 100 steps of NVE,
// Nosé–Hoover chain, Langevin and anisotropic MTK NPT with the BKS teacher (orthogonal and
// triclinic cells) give the same bits without the space-filling-curve reorder (the device
// neighbor list then equals the host's entry for entry), and agree to rounding with it (the
// integrators are the same classes, the per-atom formulas and the fixed-order sums the same
// functions, the force field the same code reading the emulated device's positions). The transfer
// ledger shows that between rebuilds a step moves only scalars between host and device, the same
// bytes for 192 and 648 atoms, and that the host copy of the atoms is made only when system() asks
// for it.
#include "vitrum/md/device_engine.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "md_test_util.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::md {
namespace {

constexpr int kSteps = 100;
constexpr double kTemperature = 2500.0;     // K: hot enough for several rebuilds in 100 steps
constexpr std::size_t kPerStepBound = 400;  // bytes host<->device per step between rebuilds

std::unique_ptr<ForceField> bks() {
  return load_force_field(test::bks_potential_path(), Backend::Cpu, Precision::Double, 1.0, 1.0);
}

MdSystem start(int n_atoms, bool triclinic) {
  const Structure cell = test::sio2_random_cell(n_atoms, 17, triclinic);
  MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
  maxwell_boltzmann(sys, kTemperature, 5, true);
  return sys;
}

IntegratorParams params(Ensemble e) {
  IntegratorParams p;
  p.ensemble = e;
  p.dt = 1.0;
  p.tdamp = 50.0;
  p.pdamp = 200.0;
  p.seed = 99;
  p.coupling = BarostatCoupling::Anisotropic;
  return p;
}

StepContext context(long step) {
  StepContext c;
  c.temperature = kTemperature - 5.0 * step;  // a ramp, as a quench stage drives it
  c.pressure = 5000.0;
  return c;
}

bool same_bits(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Vec3)) == 0;
}

double max_difference(const std::vector<Vec3>& a, const std::vector<Vec3>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (int k = 0; k < 3; ++k) m = std::max(m, std::fabs(a[i][k] - b[i][k]));
  return m;
}

struct Case {
  Ensemble ensemble;
  bool triclinic;
};

class DeviceVsHost : public ::testing::TestWithParam<Case> {};

TEST_P(DeviceVsHost, HundredStepsAgreeBitForBit) {
  const Case c = GetParam();
  const MdSystem sys = start(192, c.triclinic);
  auto ff_host = bks();
  auto ff_dev = bks();
  auto space = exec::make_emulated_space();
  auto dev_ff = emulate_force_field(*ff_dev, *space);
  const EngineOptions opt{1.0, 1e5, 0.5};
  Engine host(sys, *ff_host, opt);
  DeviceEngine dev(sys, *dev_ff, *space, opt, DeviceEngineOptions{0});
  auto ih = make_integrator(params(c.ensemble), sys);
  auto id = make_integrator(params(c.ensemble), sys);
  for (int s = 0; s < kSteps; ++s) {
    host.step(*ih, context(s));
    dev.step(*id, context(s));
    if (s == 49) {  // drift removal on both sides, mid-run
      remove_drift(host.system());
      dev.remove_drift();
    }
  }
  const MdSystem& a = host.system();
  const MdSystem& b = dev.system();
  EXPECT_GT(dev.rebuilds(), 2);
  EXPECT_EQ(dev.rebuilds(), host.rebuilds());
  EXPECT_TRUE(same_bits(a.positions, b.positions))
      << "max |Δr| = " << max_difference(a.positions, b.positions) << " Å";
  EXPECT_TRUE(same_bits(a.velocities, b.velocities))
      << "max |Δv| = " << max_difference(a.velocities, b.velocities) << " Å/fs";
  EXPECT_TRUE(same_bits(a.forces, b.forces));
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(std::memcmp(&a.potential_energy, &b.potential_energy, sizeof(double)), 0);
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(same_bits({a.box.h[k]}, {b.box.h[k]}));
  EXPECT_EQ(ih->extended_energy(a), id->extended_energy(b));
  const Thermo th = compute_thermo(a, ih->extended_energy(a));
  const std::size_t down = dev.ledger().to_host().bytes;
  const Thermo td = dev.thermo(id->extended_energy(dev.scalars()));
  EXPECT_EQ(dev.ledger().to_host().bytes - down, 6 * sizeof(double));  // a thermo line: 48 B
  EXPECT_EQ(th.temperature, td.temperature);
  EXPECT_EQ(th.pressure, td.pressure);
  EXPECT_EQ(th.conserved, td.conserved);
  if (c.ensemble == Ensemble::NptMtk) EXPECT_NE(a.box.h[0].x, sys.box.h[0].x);  // the cell moved
}

INSTANTIATE_TEST_SUITE_P(Ensembles, DeviceVsHost,
                         ::testing::Values(Case{Ensemble::Nve, false}, Case{Ensemble::Nve, true},
                                           Case{Ensemble::NvtNoseHoover, false},
                                           Case{Ensemble::NvtNoseHoover, true},
                                           Case{Ensemble::NvtLangevin, false},
                                           Case{Ensemble::NvtLangevin, true},
                                           Case{Ensemble::NptMtk, false}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(to_string(info.param.ensemble)) +
                                  (info.param.triclinic ? "_triclinic" : "_orthogonal");
                         });

// The water HDNNP (the host evaluator run as the emulated device's force kernel): NVE and
// Nosé–Hoover from the 192-atom water cell give the host engine's bits.
TEST(DeviceEngineWater, HdnnpAgreesBitForBit) {
  const Structure cell = test::water_192();
  MdSystem sys = make_system(cell, assign_masses(cell.species, {}));
  maxwell_boltzmann(sys, 300.0, 2, true);
  for (Ensemble e : {Ensemble::Nve, Ensemble::NvtNoseHoover}) {
    auto ff_host = test::water_force_field();
    auto ff_dev = test::water_force_field();
    auto space = exec::make_emulated_space();
    auto dev_ff = emulate_force_field(*ff_dev, *space);
    const EngineOptions opt{0.5, 1e5, 0.5};
    Engine host(sys, *ff_host, opt);
    DeviceEngine dev(sys, *dev_ff, *space, opt, DeviceEngineOptions{0});
    IntegratorParams p = params(e);
    p.dt = 0.5;
    auto ih = make_integrator(p, sys);
    auto id = make_integrator(p, sys);
    StepContext ctx;
    ctx.temperature = 300.0;
    for (int s = 0; s < 30; ++s) {
      host.step(*ih, ctx);
      dev.step(*id, ctx);
    }
    EXPECT_GE(dev.rebuilds(), 2) << to_string(e);
    EXPECT_TRUE(same_bits(host.system().positions, dev.system().positions)) << to_string(e);
    EXPECT_TRUE(same_bits(host.system().velocities, dev.system().velocities)) << to_string(e);
  }
}

/// Bytes per step between rebuilds (every such step must move the same bytes), the number of
/// such steps, and checks that no per-atom array moved on them.
struct Traffic {
  std::size_t bytes_per_step = 0;
  int quiet_steps = 0;
};

Traffic traffic(int n_atoms, Ensemble e) {
  const MdSystem sys = start(n_atoms, false);
  auto ff = bks();
  auto space = exec::make_emulated_space();
  auto dev_ff = emulate_force_field(*ff, *space);
  DeviceEngine dev(sys, *dev_ff, *space, EngineOptions{1.0, 1e5, 0.5});
  auto integ = make_integrator(params(e), sys);
  auto moved = [](const exec::TransferLedger& l, const char* name) {
    const auto it = l.entries().find(name);
    return it == l.entries().end() ? 0L : it->second.to_host.count + it->second.to_device.count;
  };
  Traffic t;
  for (int s = 0; s < 40; ++s) {
    const exec::TransferLedger before = dev.ledger();
    const long rebuilds = dev.rebuilds();
    dev.step(*integ, context(s));
    // Step 0 uploads the starting state; rebuild steps: device_neighbor_test.cpp.
    if (s == 0 || dev.rebuilds() != rebuilds) continue;
    for (const char* name : {"positions", "velocities", "forces", "mass", "id"})
      EXPECT_EQ(moved(dev.ledger(), name), moved(before, name)) << name << " moved at step " << s;
    const std::size_t bytes = dev.ledger().total_bytes() - before.total_bytes();
    if (t.quiet_steps > 0 && bytes != t.bytes_per_step)
      ADD_FAILURE() << "step " << s << " moved " << bytes << " B, earlier steps "
                    << t.bytes_per_step << " B";
    t.bytes_per_step = bytes;
    ++t.quiet_steps;
  }
  // The host copy is made only on request, once per array: positions, velocities, forces,
  // image counts and the slots' original indices (to return the atoms in their input order).
  const std::size_t down = dev.ledger().to_host().bytes;
  const std::size_t per_atom = 3 * sizeof(Vec3) + 3 * sizeof(int) + sizeof(int);
  dev.system();
  EXPECT_EQ(dev.ledger().to_host().bytes - down, per_atom * n_atoms);
  dev.system();
  EXPECT_EQ(dev.ledger().to_host().bytes - down, per_atom * n_atoms);
  return t;
}

TEST(DeviceEngineLedger, OnlyScalarsCrossBetweenRebuilds) {
  for (Ensemble e : {Ensemble::Nve, Ensemble::NvtNoseHoover, Ensemble::NptMtk}) {
    const Traffic small = traffic(192, e);
    const Traffic large = traffic(648, e);
    EXPECT_GE(small.quiet_steps, 10) << to_string(e);
    EXPECT_GE(large.quiet_steps, 10) << to_string(e);
    EXPECT_GT(small.bytes_per_step, 0u);
    EXPECT_LE(small.bytes_per_step, kPerStepBound) << to_string(e);
    EXPECT_EQ(small.bytes_per_step, large.bytes_per_step) << to_string(e);
    std::printf("[device ledger] %s: %zu B per step between rebuilds (192 and 648 atoms)\n",
                to_string(e), small.bytes_per_step);
  }
}

// The teacher as a device force field (its kernels through the emulated device's launcher): the
// forces are those of the host teacher to rounding (each pair is evaluated from both sides, the
// sums are block trees), and a 100-step NVE / Langevin run follows the host engine's trajectory
// to 1e-12 Å. Per step only the reductions' scalars cross: the same bytes at 192 and 648 atoms.
TEST(DeviceTeacher, FollowsTheHostEngineAndMovesOnlyScalars) {
  for (Ensemble e : {Ensemble::Nve, Ensemble::NvtLangevin}) {
    for (bool triclinic : {false, true}) {
      const MdSystem sys = start(192, triclinic);
      auto ff_host = bks();
      auto space = exec::make_emulated_space();
      auto dev_ff = teacher::load_device_teacher(test::bks_potential_path(), *space);
      const EngineOptions opt{1.0, 1e5, 0.5};
      Engine host(sys, *ff_host, opt);
      DeviceEngine dev(sys, *dev_ff, *space, opt);
      const MdSystem& d0 = dev.system();
      EXPECT_NEAR(d0.potential_energy, host.system().potential_energy,
                  1e-11 * std::fabs(host.system().potential_energy));
      EXPECT_LT(max_difference(d0.forces, host.system().forces), 1e-10);
      auto ih = make_integrator(params(e), sys);
      auto id = make_integrator(params(e), sys);
      for (int s = 0; s < kSteps; ++s) {
        host.step(*ih, context(s));
        dev.step(*id, context(s));
      }
      EXPECT_EQ(dev.rebuilds(), host.rebuilds());
      const double dr = max_difference(host.system().positions, dev.system().positions);
      EXPECT_LT(dr, 1e-12) << to_string(e) << (triclinic ? " triclinic" : " orthogonal");
      std::printf("[device teacher] %s %s: max |Δr| after %d steps = %.3g Å\n", to_string(e),
                  triclinic ? "triclinic" : "orthogonal", kSteps, dr);
    }
  }
  std::size_t per_step[2] = {0, 0};
  int k = 0;
  for (int n : {192, 648}) {
    auto space = exec::make_emulated_space();
    auto dev_ff = teacher::load_device_teacher(test::bks_potential_path(), *space);
    const MdSystem sys = start(n, false);
    DeviceEngine dev(sys, *dev_ff, *space, EngineOptions{1.0, 1e5, 0.5});
    auto integ = make_integrator(params(Ensemble::Nve), sys);
    dev.step(*integ, context(0));  // uploads the starting state
    int quiet = 0;
    for (int s = 1; s < 30; ++s) {
      const std::size_t before = dev.ledger().total_bytes();
      const long rebuilds = dev.rebuilds();
      dev.step(*integ, context(s));
      if (dev.rebuilds() != rebuilds) continue;
      const std::size_t bytes = dev.ledger().total_bytes() - before;
      if (quiet > 0) EXPECT_EQ(bytes, per_step[k]);
      per_step[k] = bytes;
      ++quiet;
    }
    EXPECT_GE(quiet, 10);
    ++k;
  }
  EXPECT_GT(per_step[0], 0u);
  EXPECT_LE(per_step[0], kPerStepBound);
  EXPECT_EQ(per_step[0], per_step[1]);
}

// A checkpoint of the device-resident state (system(), last_rebuild(), the integrator's state)
// restored into a fresh engine continues bit for bit, under NPT (the cell changes) with the
// device teacher.
TEST(DeviceEngine, RestartContinuesBitForBit) {
  const MdSystem sys = start(192, false);
  auto space = exec::make_emulated_space();
  auto ff = teacher::load_device_teacher(test::bks_potential_path(), *space);
  const EngineOptions opt{1.0, 1e5, 0.5};
  const IntegratorParams p = params(Ensemble::NptMtk);
  DeviceEngine a(sys, *ff, *space, opt);
  auto ia = make_integrator(p, sys);
  for (int s = 0; s < 60; ++s) a.step(*ia, context(s));
  const MdSystem saved = a.system();
  const RebuildRecord record = a.last_rebuild();
  const IntegratorState state = ia->save_state();
  ASSERT_GT(record.rebuilds, 1);

  auto space_b = exec::make_emulated_space();
  auto ff_b = teacher::load_device_teacher(test::bks_potential_path(), *space_b);
  DeviceEngine b(sys, *ff_b, *space_b, opt);
  b.restore(saved, record);
  auto ib = make_integrator(p, sys);
  ib->load_state(state);
  EXPECT_TRUE(same_bits(b.system().forces, saved.forces));
  for (int s = 60; s < 100; ++s) {
    a.step(*ia, context(s));
    b.step(*ib, context(s));
  }
  EXPECT_EQ(a.rebuilds(), b.rebuilds());
  EXPECT_TRUE(same_bits(a.system().positions, b.system().positions));
  EXPECT_TRUE(same_bits(a.system().velocities, b.system().velocities));
  EXPECT_EQ(a.system().box.h[2].z, b.system().box.h[2].z);
  EXPECT_EQ(ia->extended_energy(a.system()), ib->extended_energy(b.system()));

  MdSystem bad = saved;
  bad.velocities.pop_back();
  EXPECT_THROW(b.restore(bad, record), Error);
}

TEST(DeviceEngine, RefusesHostForceFieldOnAnotherSpaceAndBadInput) {
  auto ff = bks();
  auto space = exec::make_emulated_space();
  MdSystem sys = start(192, false);
  sys.mass.pop_back();
  auto dev_ff = emulate_force_field(*ff, *space);
  EXPECT_THROW(DeviceEngine(sys, *dev_ff, *space, EngineOptions{}), Error);
}

}  // namespace
}  // namespace vitrum::md
