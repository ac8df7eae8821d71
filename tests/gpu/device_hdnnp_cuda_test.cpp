// The device HDNNP (nnp::DeviceEvaluator through md::make_device_hdnnp) on a CUDA device: warp
// team kernels over the device engine's list, cuBLAS networks, Thrust transposes. A single point
// against n2p2 on every shipped reference (1e-10 energy, 1e-8 force in double; the mixed-precision
// error printed), 100 steps of water NVE against the emulated device (nvcc may contract products
// into FMAs, so not bit for bit: positions to 1e-10 Å), and only scalars between rebuilds. Skips
// without a device unless VITRUM_REQUIRE_GPU=1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../md/md_test_util.hpp"
#include "../physics/nnp_reference.hpp"
#include "gpu_guard.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::test {
namespace {

md::PotentialConfig config(const std::string& dir, Precision precision = Precision::Double) {
  md::PotentialConfig c;
  c.kind = "n2p2";
  c.path = dir;
  c.precision = precision;
  return c;
}

TEST(DeviceHdnnpCuda, MatchesN2p2OnEveryReference) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  for (const auto& c : reference_cases()) {
    const Structure ref = io::read_structures(c.reference).front();
    for (Precision prec : {Precision::Double, Precision::Mixed}) {
      auto space = exec::make_cuda_space();
      auto ff = md::make_device_hdnnp(config(c.potential, prec), *space);
      md::MdSystem sys = md::make_system(ref, md::assign_masses(ref.species, {}));
      md::EngineOptions opt;
      opt.skin = 0.3;
      opt.min_distance = 1e-3;
      md::DeviceEngine dev(sys, *ff, *space, opt);
      const double erel =
          std::abs(dev.scalars().potential_energy - ref.energy) / std::abs(ref.energy);
      const auto& f = dev.system(md::kHostForces).forces;
      double fmax = 0, dmax = 0;
      if (c.has_forces)
        for (size_t i = 0; i < ref.size(); ++i)
          for (int a = 0; a < 3; ++a) {
            fmax = std::max(fmax, std::abs(ref.forces[i][a]));
            dmax = std::max(dmax, std::abs(f[i][a] - ref.forces[i][a]));
          }
      std::printf("[ %s ] device HDNNP (CUDA, %s): energy rel. dev. %.3e, force dev./max|F| %.3e\n",
                  c.name.c_str(), to_string(prec), erel, c.has_forces ? dmax / fmax : 0.0);
      if (prec == Precision::Mixed) continue;
      EXPECT_LT(erel, 1e-10) << c.name;
      if (c.has_forces) EXPECT_LT(dmax / fmax, 1e-8) << c.name;
    }
  }
}

TEST(DeviceHdnnpCuda, FollowsTheEmulatedDeviceAndMovesOnlyScalars) {
  VITRUM_REQUIRE_CUDA_DEVICE();
  md::PotentialConfig c = config(water_potential_dir());
  c.length_unit = units::kBohr;
  c.energy_unit = units::kHartree;
  const Structure cell = water_192();
  md::MdSystem sys = md::make_system(cell, md::assign_masses(cell.species, {}));
  md::maxwell_boltzmann(sys, 300.0, 3, true);
  auto gpu = exec::make_cuda_space();
  auto emu = exec::make_emulated_space();
  auto ff_gpu = md::make_device_hdnnp(c, *gpu);
  auto ff_emu = md::make_device_hdnnp(c, *emu);
  const md::EngineOptions opt{0.5, 1e5, 0.5};
  md::DeviceEngine a(sys, *ff_gpu, *gpu, opt), b(sys, *ff_emu, *emu, opt);
  md::IntegratorParams p;
  p.ensemble = md::Ensemble::Nve;
  p.dt = 0.5;
  auto ia = md::make_integrator(p, sys), ib = md::make_integrator(p, sys);
  md::StepContext ctx;
  std::size_t quiet = 0;
  for (int s = 0; s < 100; ++s) {
    const exec::TransferLedger before = a.ledger();
    const long rebuilds = a.rebuilds();
    a.step(*ia, ctx);
    b.step(*ib, ctx);
    if (s == 0 || a.rebuilds() != rebuilds) continue;
    for (const auto& [name, e] : a.ledger().entries()) {
      const auto it = before.entries().find(name);
      const long was =
          it == before.entries().end() ? 0L : it->second.to_host.count + it->second.to_device.count;
      if (e.to_host.count + e.to_device.count != was)
        EXPECT_EQ(name.rfind("reduce:", 0), 0u) << name << " moved at step " << s;
    }
    quiet = std::max(quiet, a.ledger().total_bytes() - before.total_bytes());
  }
  double dx = 0;
  const auto &pa = a.system().positions, &pb = b.system().positions;
  for (size_t i = 0; i < pa.size(); ++i)
    for (int k = 0; k < 3; ++k) dx = std::max(dx, std::abs(pa[i][k] - pb[i][k]));
  std::printf(
      "[device HDNNP, CUDA vs emulated] water 192 NVE 100 steps: |dx| %.2e A, dE %.2e eV, "
      "%zu B per quiet step\n",
      dx, a.scalars().potential_energy - b.scalars().potential_energy, quiet);
  EXPECT_LT(dx, 1e-10);
  EXPECT_NEAR(a.scalars().potential_energy, b.scalars().potential_energy,
              1e-11 * std::abs(b.scalars().potential_energy));
  EXPECT_LE(quiet, 400u);
}

}  // namespace
}  // namespace vitrum::test
