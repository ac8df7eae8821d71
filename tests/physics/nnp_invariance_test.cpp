// Energy and forces are invariant under translation, rotation, permutation of atoms and the
// choice of unit cell (a 2x2x2 replica has 8x the energy and the same forces).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "nnp_reference.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/nnp/evaluator.hpp"

using namespace vitrum;

namespace {

struct Fixture {
  nnp::Potential pot;
  Structure s;
};

// A periodic water cell (H2O RPBE-D3, 192 atoms) and a triclinic-compatible compact potential.
Fixture water() {
  const std::string root = vitrum::test::n2p2_dir();
  return {nnp::Potential::load_n2p2(root + "/potentials/H2O_RPBE-D3"),
          io::read_structures(root + "/outputs/H2O_RPBE-D3/dataset/input.data").front()};
}

double max_abs(const std::vector<Vec3>& f) {
  double m = 0;
  for (const auto& v : f) m = std::max({m, std::abs(v.x), std::abs(v.y), std::abs(v.z)});
  return m;
}

// Tolerances: rounding of a sum of N atomic energies, and of forces relative to their scale.
constexpr double kEnergyRel = 1e-12;
constexpr double kForceRel = 1e-10;

}  // namespace

TEST(NnpInvariance, Translation) {
  auto [pot, s] = water();
  nnp::Evaluator ev(pot, {});
  const auto r0 = ev.evaluate(s);
  Structure t = s;
  for (auto& p : t.positions) p += Vec3{3.1, -7.7, 12.9};
  const auto r1 = ev.evaluate(t);
  EXPECT_NEAR(r1.energy, r0.energy, kEnergyRel * std::abs(r0.energy));
  const double fs = max_abs(r0.forces);
  for (size_t i = 0; i < s.size(); ++i)
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(r1.forces[i][a], r0.forces[i][a], kForceRel * fs);
}

TEST(NnpInvariance, RotationOfAtomsAndCell) {
  auto [pot, s] = water();
  nnp::Evaluator ev(pot, {});
  const auto r0 = ev.evaluate(s);
  // Rotation by 0.7 rad about the (1, 2, 3) axis (Rodrigues).
  Vec3 k{1, 2, 3};
  k = (1 / std::sqrt(dot(k, k))) * k;
  const double th = 0.7, c = std::cos(th), sn = std::sin(th);
  auto rot = [&](const Vec3& v) { return c * v + sn * cross(k, v) + (dot(k, v) * (1 - c)) * k; };
  Structure t = s;
  for (auto& p : t.positions) p = rot(p);
  for (auto& row : t.box.h) row = rot(row);
  const auto r1 = ev.evaluate(t);
  EXPECT_NEAR(r1.energy, r0.energy, kEnergyRel * std::abs(r0.energy));
  const double fs = max_abs(r0.forces);
  for (size_t i = 0; i < s.size(); ++i) {
    const Vec3 f = rot(r0.forces[i]);
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(r1.forces[i][a], f[a], 1e-9 * fs);
  }
}

TEST(NnpInvariance, PermutationOfAtoms) {
  auto [pot, s] = water();
  nnp::Evaluator ev(pot, {});
  const auto r0 = ev.evaluate(s);
  std::vector<size_t> perm(s.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937 rng(7);
  std::shuffle(perm.begin(), perm.end(), rng);
  Structure t = s;
  for (size_t i = 0; i < s.size(); ++i) {
    t.positions[i] = s.positions[perm[i]];
    t.species[i] = s.species[perm[i]];
  }
  const auto r1 = ev.evaluate(t);
  EXPECT_NEAR(r1.energy, r0.energy, kEnergyRel * std::abs(r0.energy));
  const double fs = max_abs(r0.forces);
  for (size_t i = 0; i < s.size(); ++i)
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(r1.forces[i][a], r0.forces[perm[i]][a], kForceRel * fs);
}

TEST(NnpInvariance, SupercellHasEightTimesTheEnergy) {
  auto [pot, s] = water();
  nnp::Evaluator ev(pot, {});
  const auto r0 = ev.evaluate(s);
  Structure big = s;
  big.positions.clear();
  big.species.clear();
  big.forces.clear();
  big.charges.clear();
  for (int x = 0; x < 2; ++x)
    for (int y = 0; y < 2; ++y)
      for (int z = 0; z < 2; ++z)
        for (size_t i = 0; i < s.size(); ++i) {
          big.positions.push_back(s.positions[i] + double(x) * s.box.h[0] + double(y) * s.box.h[1] +
                                  double(z) * s.box.h[2]);
          big.species.push_back(s.species[i]);
        }
  for (auto& row : big.box.h) row = 2.0 * row;
  const auto r1 = ev.evaluate(big);
  EXPECT_NEAR(r1.energy, 8 * r0.energy, kEnergyRel * std::abs(8 * r0.energy));
  const double fs = max_abs(r0.forces);
  for (size_t i = 0; i < big.size(); ++i)
    for (int a = 0; a < 3; ++a)
      EXPECT_NEAR(r1.forces[i][a], r0.forces[i % s.size()][a], kForceRel * fs);
  double wmax = 0;
  for (auto& row : r0.virial)
    for (double v : row) wmax = std::max(wmax, std::abs(v));
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) EXPECT_NEAR(r1.virial[a][b], 8 * r0.virial[a][b], 1e-10 * 8 * wmax);
}

// A skewed (triclinic) choice of the same lattice: a' = a, b' = b + a, c' = c - b gives the same
// crystal, so the same energy, with the atoms wrapped differently.
TEST(NnpInvariance, ChoiceOfUnitCell) {
  auto [pot, s] = water();
  nnp::Evaluator ev(pot, {});
  const auto r0 = ev.evaluate(s);
  Structure t = s;
  t.box.h[1] = s.box.h[1] + s.box.h[0];
  t.box.h[2] = s.box.h[2] - s.box.h[1];
  const auto r1 = ev.evaluate(t);
  EXPECT_NEAR(r1.energy, r0.energy, kEnergyRel * std::abs(r0.energy));
  const double fs = max_abs(r0.forces);
  for (size_t i = 0; i < s.size(); ++i)
    for (int a = 0; a < 3; ++a) EXPECT_NEAR(r1.forces[i][a], r0.forces[i][a], kForceRel * fs);
}

// Driving the bohr/Hartree water potential in Å and eV gives the same physics: energies scale by
// the Hartree, forces by Hartree/bohr, the virial (an energy) by the Hartree, and the forces are
// still minus the finite-difference gradient in the caller's units.
TEST(NnpUnits, CallerUnitsConvertEnergiesForcesAndVirial) {
  auto [pot, s] = water();
  constexpr double kBohr = 0.529177210903, kHartree = 27.211386245988;
  nnp::Evaluator native(pot, {});
  nnp::Evaluator metal(pot, {Backend::Cpu, Precision::Double, true, kBohr, kHartree});
  Structure a = s;  // in Å
  for (auto& p : a.positions) p = kBohr * p;
  for (auto& row : a.box.h) row = kBohr * row;
  const auto r0 = native.evaluate(s);
  const auto r1 = metal.evaluate(a);
  EXPECT_NEAR(r1.energy, kHartree * r0.energy, 1e-12 * std::abs(kHartree * r0.energy));
  const double fs = max_abs(r0.forces) * kHartree / kBohr;
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d)
      EXPECT_NEAR(r1.forces[i][d], r0.forces[i][d] * kHartree / kBohr, 1e-10 * fs);
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y)
      EXPECT_NEAR(r1.virial[x][y], kHartree * r0.virial[x][y],
                  1e-9 * std::abs(kHartree * r0.energy));
  const double h = 1e-4;  // Å
  Structure p = a, m = a;
  p.positions[4].y += h;
  m.positions[4].y -= h;
  const double fd = -(metal.evaluate(p).energy - metal.evaluate(m).energy) / (2 * h);
  EXPECT_NEAR(r1.forces[4].y, fd, 1e-5 * fs);
}
