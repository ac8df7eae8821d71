// The structure builders: random amorphous cells have the requested density, composition and
// minimum distances (checked by brute force over periodic images), are reproducible from their
// seed, fail clearly when too dense; replication scales an extensive energy exactly.
#include "vitrum/io/builders.hpp"

#include <gtest/gtest.h>

#include "teacher_test_util.hpp"
#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"

using namespace vitrum;

namespace {

/// Smallest distance per (Z_a, Z_b) pair over all periodic images (through a ghost shell).
double min_pair_distance(const Structure& s, int za, int zb, double within) {
  const neighbor::GhostShell shell =
      neighbor::build_ghost_shell(s.box, s.positions, s.species, within);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, within, 0.0);
  double best = INFINITY;
  for (int i = 0; i < shell.n_local; ++i)
    for (int q = list.offsets[i]; q < list.offsets[i + 1]; ++q) {
      const int j = list.neighbors[q];
      const bool match = (shell.species[i] == za && shell.species[j] == zb) ||
                         (shell.species[i] == zb && shell.species[j] == za);
      if (!match) continue;
      const Vec3 d = shell.positions[j] - shell.positions[i];
      best = std::min(best, std::sqrt(dot(d, d)));
    }
  return best;
}

TEST(Builders, RandomCellHasDensityCompositionAndMinimumDistances) {
  for (bool tilted : {false, true}) {
    const Structure s = test::sio2_cell(648, 2.2, 42, tilted);
    ASSERT_EQ(s.size(), 648u);
    int n_si = 0;
    double mass = 0;
    for (int z : s.species) {
      n_si += z == 14;
      mass += standard_mass(z);
    }
    EXPECT_EQ(n_si, 216);
    EXPECT_NEAR(mass * 1.66053906660 / s.box.volume(), 2.2, 1e-12);
    EXPECT_GE(min_pair_distance(s, 14, 8, 4.0), 1.5);
    EXPECT_GE(min_pair_distance(s, 8, 8, 4.0), 2.2);
    EXPECT_GE(min_pair_distance(s, 14, 14, 4.0), 2.8);
    // Every atom inside the cell.
    for (const auto& r : s.positions) {
      const Vec3 f = s.box.to_fractional(r);
      for (int d = 0; d < 3; ++d) {
        EXPECT_GE(f[d], -1e-12);
        EXPECT_LT(f[d], 1 + 1e-12);
      }
    }
    if (tilted) EXPECT_NE(s.box.h[1].x, 0.0);
  }
}

TEST(Builders, SameSeedSameCellOtherSeedOtherCell) {
  const Structure a = test::sio2_cell(192, 2.2, 1, false);
  const Structure b = test::sio2_cell(192, 2.2, 1, false);
  const Structure c = test::sio2_cell(192, 2.2, 2, false);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_EQ(a.positions[i][d], b.positions[i][d]);
  EXPECT_NE(a.positions[0].x, c.positions[0].x);
}

TEST(Builders, TooDenseFailsClearly) {
  try {
    test::sio2_cell(192, 6.0, 1, false, 1.6, 2.6, 3.1);
    ADD_FAILURE();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("could not place atom"), std::string::npos) << what;
    EXPECT_NE(what.find("6 g/cm^3"), std::string::npos) << what;
    EXPECT_NE(what.find("O-O 2.6"), std::string::npos) << what;
  }
}

TEST(Builders, BadSpecsFail) {
  io::AmorphousCellSpec spec;
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = 100;  // not a multiple of 3
  spec.density = 2.2;
  EXPECT_THROW(io::build_amorphous_cell(spec), Error);
  spec.n_atoms = 99;
  spec.density = -1;
  EXPECT_THROW(io::build_amorphous_cell(spec), Error);
  spec.density = 2.2;
  spec.min_distances = {{"Si", "Na", 1.0}};
  EXPECT_THROW(io::build_amorphous_cell(spec), Error);
  spec.min_distances = {};
  spec.composition = {{"Qq", 1}};
  EXPECT_THROW(io::build_amorphous_cell(spec), Error);
  spec.composition = {{"Si", 1}, {"O", 2}};
  spec.n_atoms = 3;  // a cell thinner than the minimum distance
  spec.default_min_distance = 5.0;
  EXPECT_THROW(io::build_amorphous_cell(spec), Error);
}

TEST(Builders, ReplicationScalesTheEnergy) {
  const Structure s = test::sio2_cell(96, 2.2, 17, true);
  const Structure r = io::replicate(s, 2, 1, 3);
  ASSERT_EQ(r.size(), 6 * s.size());
  EXPECT_NEAR(r.box.volume(), 6 * s.box.volume(), 1e-9 * r.box.volume());
  // Image (1, 0, 2) of atom 5: r + a + 2c, at index ((2 * 1 + 0) * 2 + 1) * n + 5.
  const Vec3 expect = s.positions[5] + s.box.h[0] + 2.0 * s.box.h[2];
  const Vec3 got = r.positions[((2 * 1 + 0) * 2 + 1) * s.size() + 5];
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(got[d], expect[d], 1e-12);
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const auto e1 = test::evaluate(*ff, s);
  const auto e6 = test::evaluate(*ff, r);
  EXPECT_NEAR(e6.energy, 6 * e1.energy, 1e-10 * std::abs(e6.energy));
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      EXPECT_NEAR(e6.virial[a][b], 6 * e1.virial[a][b], 1e-9 * std::abs(e6.energy));
  for (size_t i = 0; i < s.size(); ++i)
    for (int d = 0; d < 3; ++d) ASSERT_NEAR(e6.forces[i + 4 * s.size()][d], e1.forces[i][d], 1e-9);
  Structure open = s;
  open.box.periodic = false;
  EXPECT_THROW(io::replicate(open, 2, 2, 2), Error);
  EXPECT_THROW(io::replicate(s, 0, 1, 1), Error);
}

}  // namespace
