// Device memory per atom of the device-resident engine and its force field (md::device_memory:
// the capacities of the device allocations, the same accounting on the emulated device as on a
// GPU), for the BKS teacher, the shipped SiO2 HDNNP and the water HDNNP at two sizes, against
// issue 13's 2 KB per atom; and the device HDNNP's extrapolation count (symmetry functions
// outside the training range) against the host evaluator's on compressed water.
#include "vitrum/md/device_memory.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "md_test_util.hpp"
#include "vitrum/core/units.hpp"
#include "vitrum/io/builders.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/engine.hpp"
#include "vitrum/md/force_field_registry.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::md {
namespace {

PotentialConfig water_config() {
  PotentialConfig c;
  c.kind = "n2p2";
  c.path = test::water_potential_dir();
  c.length_unit = units::kBohr;
  c.energy_unit = units::kHartree;
  return c;
}

PotentialConfig sio2_config() {
  PotentialConfig c;
  c.kind = "n2p2";
  c.path = VITRUM_SOURCE_DIR "/configs/potentials/SiO2-BKS";
  return c;
}

Structure compressed(Structure s, double f) {
  for (auto& r : s.positions) r = f * r;
  for (auto& h : s.box.h) h = f * h;
  return s;
}

struct Measured {
  DeviceMemory memory;
  int n_all = 0;
  double width = 0.0;   ///< shell width (cutoff + skin), Å
  double volume = 0.0;  ///< cell volume, Å³
};

/// Bytes per atom at `atoms` atoms in a cube of the same density, from two measurements: the
/// bytes as a part per local atom plus a part per shell entry (locals and ghosts), fitted to the
/// two sizes, and the shell entries per atom of the large cube ((L + 2w)³ / L³).
double projected(const Measured& a, const Measured& b, double atoms) {
  const double na = static_cast<double>(a.memory.atoms), nb = static_cast<double>(b.memory.atoms);
  const double ta = static_cast<double>(a.memory.total()),
               tb = static_cast<double>(b.memory.total());
  // ta = x na + y a.n_all, tb = x nb + y b.n_all
  const double det = na * b.n_all - nb * a.n_all;
  const double x = (ta * b.n_all - tb * a.n_all) / det, y = (na * tb - nb * ta) / det;
  const double edge = std::cbrt(b.volume / nb * atoms);
  const double ratio = std::pow((edge + 2 * b.width) / edge, 3);
  return x + y * ratio;
}

Measured measure(const Structure& s, DeviceForceField& ff, exec::Space& space, double skin) {
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  DeviceEngine e(sys, ff, space, EngineOptions{skin, 1e5, 0.5});
  Measured m{device_memory(e, ff), e.neighbors().shell().n_all, e.neighbors().shell().width,
             s.box.volume()};
  std::printf("[device memory] %s: %d shell entries, %ld list entries\n  %s\n",
              ff.describe().c_str(), m.n_all, e.neighbors().list().entries,
              format_device_memory(m.memory).c_str());
  return m;
}

TEST(DeviceMemory, EveryPartIsAccounted) {
  const Structure s = test::water_192();
  auto space = exec::make_emulated_space();
  auto ff = make_device_hdnnp(water_config(), *space);
  MdSystem sys = make_system(s, assign_masses(s.species, {}));
  DeviceEngine e(sys, *ff, *space, EngineOptions{0.3, 1e5, 0.5});
  const DeviceMemory m = device_memory(e, *ff);
  EXPECT_EQ(m.atoms, 192);
  EXPECT_EQ(m.state + m.shell + m.list + m.build, e.device_bytes());
  EXPECT_EQ(m.force_field, ff->device_bytes());
  EXPECT_GT(m.force_field, 0u);
  // The list is held once (CSR): its entries and offsets, and the row lengths.
  const auto l = e.neighbors().list();
  const std::size_t exact = sizeof(int) * (static_cast<std::size_t>(l.entries) + 2 * 192 + 1);
  EXPECT_GE(m.list, exact);
  EXPECT_LE(m.list, exact + exact / 8 + 3 * 16 * sizeof(int));  // DeviceBuffer's headroom
}

// Bytes per local atom at two sizes: the ghosts' share falls with N (the larger cell holds no
// more per atom than the smaller), and the larger size is bounded. The BKS teacher (10 Å cutoff:
// a full list of ~300 entries per atom, 1.2 KB) is about 2.3 KB at 5184 atoms, about 2.1 KB
// projected to 1M atoms (ghosts ~27% of the locals): above issue 13's 2 KB; the HDNNPs hold one
// dG/dr vector per list entry (24 B), their SFs twice (G and dE/dG) and the networks' batch
// activations: 5.7 KB (SiO2) and 6.8 KB (water) in double, less in mixed precision. These are
// the measured numbers asserted here (docs/device-resident.md).
TEST(DeviceMemory, PerAtom) {
  auto space = exec::make_emulated_space();
  const Structure w = test::water_192();
  const Structure q = test::sio2_random_cell(648, 5);
  struct Case {
    const char* name;
    double bound;  ///< bytes per atom at the larger size (measured, rounded up)
    double per_atom[2];
    Measured m[2];
  };
  Case cases[3] = {
      {"BKS teacher", 2150, {}, {}}, {"SiO2 HDNNP", 5600, {}, {}}, {"water HDNNP", 6650, {}, {}}};
  for (int k : {1, 2}) {
    auto bks = teacher::load_device_teacher(test::bks_potential_path(), *space);
    auto nnp = make_device_hdnnp(sio2_config(), *space);
    auto wat = make_device_hdnnp(water_config(), *space);
    const Measured m[3] = {measure(io::replicate(q, k, k, k), *bks, *space, 0.3),
                           measure(io::replicate(q, k, k, k), *nnp, *space, 0.3),
                           measure(io::replicate(w, k, k, k), *wat, *space, 0.3)};
    for (int c = 0; c < 3; ++c) {
      cases[c].per_atom[k - 1] = m[c].memory.per_atom(m[c].memory.total());
      cases[c].m[k - 1] = m[c];
      EXPECT_GT(m[c].memory.list, 0u);
      EXPECT_GT(m[c].memory.force_field, 0u);
    }
  }
  // Mixed precision (float SFs, dE/dG and networks) at the larger size.
  for (int c = 1; c < 3; ++c) {
    PotentialConfig pc = c == 1 ? sio2_config() : water_config();
    pc.precision = Precision::Mixed;
    auto ff = make_device_hdnnp(pc, *space);
    const Measured m =
        measure(c == 1 ? io::replicate(q, 2, 2, 2) : io::replicate(w, 2, 2, 2), *ff, *space, 0.3);
    const double mixed = m.memory.per_atom(m.memory.total());
    std::printf("[device memory] %s, mixed precision: %.0f B per atom\n", cases[c].name, mixed);
    EXPECT_LT(mixed, cases[c].per_atom[1]) << cases[c].name;
  }
  double at_1m[3];
  for (int c = 0; c < 3; ++c) at_1m[c] = projected(cases[c].m[0], cases[c].m[1], 1e6);
  // Issue 13's target at about 1M atoms: met by the BKS teacher, not by the HDNNPs.
  EXPECT_LE(at_1m[0], 2048.0) << "BKS teacher, projected to 1M atoms";
  EXPECT_LE(at_1m[1], 5400.0) << "SiO2 HDNNP, projected to 1M atoms";
  EXPECT_LE(at_1m[2], 6300.0) << "water HDNNP, projected to 1M atoms";
  for (int c = 0; c < 3; ++c) {
    EXPECT_GT(at_1m[c], 0.0);
    EXPECT_LE(at_1m[c], cases[c].per_atom[1]) << cases[c].name;
  }
  for (int i = 0; i < 3; ++i) {
    const Case& c = cases[i];
    std::printf(
        "[device memory] %s: %.0f B per atom (small), %.0f (8x larger), %.0f projected to 1M "
        "atoms\n",
        c.name, c.per_atom[0], c.per_atom[1], at_1m[i]);
    EXPECT_LE(c.per_atom[1], c.per_atom[0]) << c.name;
    EXPECT_LE(c.per_atom[1], c.bound) << c.name;
  }
}

// The device HDNNP counts the symmetry-function values outside the training range as the host
// evaluator does (the same test, nnp/math/scaling.hpp): equal counts at the starting structure
// and along a short run, many on compressed water, as many (here none) at the liquid's density.
TEST(DeviceHdnnpExtrapolation, CountsAsTheHostEvaluator) {
  const PotentialConfig c = water_config();
  for (double f : {1.0, 0.8}) {
    const Structure s = compressed(test::water_192(), f);
    MdSystem sys = make_system(s, assign_masses(s.species, {}));
    maxwell_boltzmann(sys, 300.0, 3, true);
    auto host_ff = make_force_field(c);
    auto space = exec::make_emulated_space();
    auto dev_ff = make_device_hdnnp(c, *space);
    const EngineOptions opt{0.5, 1e5, 0.3};
    Engine host(sys, *host_ff, opt);
    DeviceEngine dev(sys, *dev_ff, *space, opt);
    IntegratorParams p;
    p.dt = 0.25;
    auto ih = make_integrator(p, sys);
    auto id = make_integrator(p, sys);
    const long first = dev_ff->extrapolations();
    std::printf("[device HDNNP] water at %.2f of its cell edge: %ld extrapolations (host %ld)\n", f,
                first, host.last_result().extrapolations);
    EXPECT_EQ(first, host.last_result().extrapolations) << f;
    if (f < 1.0) {
      EXPECT_GT(first, 100) << "compressed water extrapolates";
    } else {
      EXPECT_EQ(first, 0) << "the liquid at its density stays in the training range";
    }
    for (int k = 0; k < 3; ++k) {
      host.step(*ih, StepContext{});
      dev.step(*id, StepContext{});
      EXPECT_EQ(dev_ff->extrapolations(), host.last_result().extrapolations) << f << " " << k;
    }
  }
}

}  // namespace
}  // namespace vitrum::md
