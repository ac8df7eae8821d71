// The device HDNNP force field (nnp/device_evaluator.hpp through md::make_device_hdnnp) on the
// emulated device, driven by md::DeviceEngine: its device neighbor list, the team kernels with a
// 32-lane EmulatedTeam, the batched networks and the device reductions. A single-point
// evaluation against n2p2's reference outputs on every shipped case (energy to 1e-10 relative,
// forces to 1e-8 of the largest component), per-atom energies that sum to the energy, and the
// refusal of an element the potential lacks; the mixed-precision error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nnp_reference.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/run_config.hpp"

using namespace vitrum;

namespace {

md::PotentialConfig config(const std::string& dir, Precision precision = Precision::Double) {
  md::PotentialConfig c;
  c.kind = "n2p2";
  c.path = dir;
  c.precision = precision;
  return c;
}

struct SinglePoint {
  double energy = 0.0;
  std::vector<Vec3> forces;
  std::vector<double> atom_energy;
};

/// One evaluation through the device engine (which builds the shell and list on the device).
SinglePoint evaluate(const md::PotentialConfig& c, const Structure& s) {
  auto space = exec::make_emulated_space();
  auto ff = md::make_device_hdnnp(c, *space);
  md::MdSystem sys = md::make_system(s, md::assign_masses(s.species, {}));
  std::fill(sys.velocities.begin(), sys.velocities.end(), Vec3{0, 0, 0});
  md::EngineOptions opt;
  opt.skin = 0.3;
  opt.min_distance = 1e-3;
  md::DeviceEngine dev(sys, *ff, *space, opt);
  SinglePoint p;
  p.energy = dev.scalars().potential_energy;
  p.forces = dev.system(md::kHostForces).forces;
  p.atom_energy = dev.atom_energies();
  return p;
}

}  // namespace

class DeviceHdnnpReference : public ::testing::TestWithParam<vitrum::test::ReferenceCase> {};

TEST_P(DeviceHdnnpReference, MatchesN2p2) {
  const auto& c = GetParam();
  const Structure ref = io::read_structures(c.reference).front();
  const SinglePoint p = evaluate(config(c.potential), ref);
  const double erel = std::abs(p.energy - ref.energy) / std::abs(ref.energy);
  double sum = 0;
  for (double e : p.atom_energy) sum += e;
  EXPECT_NEAR(sum, p.energy, 1e-12 * std::abs(p.energy)) << "per-atom energies";
  double fmax = 0, dmax = 0;
  if (c.has_forces)
    for (size_t i = 0; i < ref.size(); ++i)
      for (int a = 0; a < 3; ++a) {
        fmax = std::max(fmax, std::abs(ref.forces[i][a]));
        dmax = std::max(dmax, std::abs(p.forces[i][a] - ref.forces[i][a]));
      }
  std::printf("[ %s ] device HDNNP (emulated): energy rel. dev. %.3e, force dev./max|F| %.3e\n",
              c.name.c_str(), erel, c.has_forces ? dmax / fmax : 0.0);
  EXPECT_LT(erel, 1e-10);
  if (c.has_forces) EXPECT_LT(dmax / fmax, 1e-8);
}

INSTANTIATE_TEST_SUITE_P(AllShipped, DeviceHdnnpReference,
                         ::testing::ValuesIn(vitrum::test::reference_cases()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           std::replace_if(
                               n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
                           return n;
                         });

vitrum::test::ReferenceCase water_case() {
  const auto cases = vitrum::test::reference_cases();
  const auto it = std::find_if(cases.begin(), cases.end(),
                               [](const auto& c) { return c.name == "H2O_RPBE-D3"; });
  if (it == cases.end()) throw Error("no H2O_RPBE-D3 reference");
  return *it;
}

// Mixed precision (float symmetry functions, networks and gradients): the error against n2p2
// measured and printed, within the CPU path's mixed-mode bounds, and really in float.
TEST(DeviceHdnnp, MixedPrecisionError) {
  const auto c = water_case();
  const Structure ref = io::read_structures(c.reference).front();
  const SinglePoint p = evaluate(config(c.potential, Precision::Mixed), ref);
  const double erel = std::abs(p.energy - ref.energy) / std::abs(ref.energy);
  double fmax = 0, dmax = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    for (int a = 0; a < 3; ++a) {
      fmax = std::max(fmax, std::abs(ref.forces[i][a]));
      dmax = std::max(dmax, std::abs(p.forces[i][a] - ref.forces[i][a]));
    }
  std::printf("[ %s ] device HDNNP (emulated), mixed: energy rel. dev. %.3e, force %.3e\n",
              c.name.c_str(), erel, dmax / fmax);
  EXPECT_GT(erel, 0.0);
  EXPECT_LT(erel, 1e-6);
  EXPECT_LT(dmax / fmax, 1e-3);
}

// An element the potential lacks is refused at the rebuild, naming the atom and element.
TEST(DeviceHdnnp, RefusesAnUnknownElement) {
  const auto c = water_case();
  Structure s = io::read_structures(c.reference).front();
  s.species[5] = 14;  // Si
  try {
    evaluate(config(c.potential), s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Z=14 (Si)"), std::string::npos) << e.what();
  }
}
