// The CPU teacher on a half list (neighbor::build_half_neighbor_list; the vectorised loop of
// src/teacher/teacher_cpu_half.cpp with math/pair_simd.hpp): the branch-free pair term and its
// exp against the C library and pair_energy_force, the whole result against the full-list path,
// the same bits for one and two threads, and atoms given in another order giving the same
// forces up to that permutation.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "teacher_test_util.hpp"
#include "vitrum/teacher/math/pair_simd.hpp"
#include "vitrum/teacher/teacher_backend.hpp"

using namespace vitrum;

namespace {

md::ForceResult run(md::ForceField& ff, const Structure& s, bool half, double skin = 1.0) {
  const auto shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, ff.cutoff() + skin);
  const auto list = half ? neighbor::build_half_neighbor_list(shell, ff.cutoff(), skin)
                         : neighbor::build_neighbor_list(shell, ff.cutoff(), skin);
  md::ForceResult r;
  ff.compute(shell, list, r);
  return r;
}

void expect_close(const md::ForceResult& a, const md::ForceResult& b, double rel) {
  ASSERT_EQ(a.forces.size(), b.forces.size());
  EXPECT_LE(std::abs(a.energy - b.energy), rel * std::abs(b.energy));
  const double fmax = test::max_abs(b.forces);
  for (std::size_t i = 0; i < a.forces.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_LE(std::abs(a.forces[i][c] - b.forces[i][c]), rel * fmax);
  double wmax = 0;
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y) wmax = std::max(wmax, std::abs(b.virial[x][y]));
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y) EXPECT_LE(std::abs(a.virial[x][y] - b.virial[x][y]), rel * wmax);
  for (std::size_t i = 0; i < a.atom_energy.size(); ++i)
    EXPECT_NEAR(a.atom_energy[i], b.atom_energy[i], rel * std::abs(b.energy));
}

}  // namespace

TEST(TeacherSimd, ExpWithinFourTenthsOfAnUlpScaleOfTheCLibrary) {
  double worst = 0.0;
  for (int k = 0; k <= 700000; ++k) {
    const double x = -700.0 * k / 700000.0 - 1e-7 * (k % 7);
    const double ref = std::exp(x);
    worst = std::max(worst, std::abs(teacher::exp_simd(x) - ref) / ref);
  }
  EXPECT_LT(worst, 4e-16);
  EXPECT_EQ(teacher::exp_simd(0.0), 1.0);
}

TEST(TeacherSimd, ErfcTableWithin1e14OfTheCLibrary) {
  // The table the vectorised loop reads, at α rc of BKS (0.2 × 10) and a larger range.
  for (double x_max : {2.0, 6.0}) {
    const teacher::ErfcTable table(x_max);
    ASSERT_TRUE(table.usable());
    double worst = 0.0;
    for (int k = 0; k <= 200000; ++k) {
      const double x = x_max * k / 200000.0;
      const double ref = std::erfc(x);
      worst = std::max(worst, std::abs(table(x, std::exp(-x * x)) - ref) / ref);
    }
    EXPECT_LT(worst, 1e-14) << "x_max " << x_max;
  }
}

TEST(TeacherSimd, PairTermMatchesPairEnergyForce) {
  for (const std::string& path : {test::bks_path(), test::ttam_path()}) {
    const teacher::TeacherTables tables =
        teacher::compile_teacher_tables(teacher::read_teacher_params(path));
    const teacher::TeacherView v = tables.host_view();
    const teacher::ErfcTable erfc(tables.dsf.alpha * std::sqrt(tables.dsf.rc2));
    const teacher::PairTableSoA soa(v, erfc.view());
    const teacher::PairSoAView sv = soa.view();
    int inside = 0;
    for (int k = 0; k < v.n_types * v.n_types; ++k) {
      for (int s = 1; s <= 4000; ++s) {
        const double r = 0.8 + 11.0 * s / 4000.0;  // walls, short range, Coulomb, beyond
        double e0 = 0, f0 = 0, e1, f1;
        const bool in = teacher::pair_energy_force(r * r, v.pair[k], v.dsf, e0, f0);
        teacher::pair_energy_force_simd(r * r, k, sv, e1, f1);
        if (!in) {
          EXPECT_EQ(e1, 0.0);
          EXPECT_EQ(f1, 0.0);
          continue;
        }
        ++inside;
        EXPECT_NEAR(e1, e0, 1e-13 * (1.0 + std::abs(e0))) << path << " pair " << k << " r " << r;
        EXPECT_NEAR(f1, f0, 1e-13 * (1.0 + std::abs(f0))) << path << " pair " << k << " r " << r;
      }
    }
    EXPECT_GT(inside, 1000);
  }
}

TEST(TeacherHalfList, MatchesTheFullListPath) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  ASSERT_TRUE(ff->wants_half_list());
  for (bool tilted : {false, true}) {
    const Structure s = test::sio2_cell(648, 2.2, 31, tilted);
    const auto half = run(*ff, s, true);
    const auto full = run(*ff, s, false);
    expect_close(half, full, 1e-13);
    EXPECT_EQ(half.min_distance, full.min_distance);
  }
}

TEST(TeacherHalfList, SmallCellWithSelfImages) {
  // 24 atoms: the 10 Å Coulomb cutoff reaches many images of every atom, itself included.
  auto ff = teacher::load_teacher(test::ttam_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(24, 2.2, 4, true);
  expect_close(run(*ff, s, true, 0.5), run(*ff, s, false, 0.5), 1e-12);
}

TEST(TeacherHalfList, SameBitsForOneAndTwoThreads) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(1536, 2.2, 8, false);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = run(*ff, s, true);
  omp_set_num_threads(2);
  const auto two = run(*ff, s, true);
  omp_set_num_threads(saved);
  EXPECT_EQ(one.energy, two.energy);
  for (std::size_t i = 0; i < one.forces.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(one.forces[i][c], two.forces[i][c]);
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y) EXPECT_EQ(one.virial[x][y], two.virial[x][y]);
}

TEST(TeacherHalfList, PermutedAtomsGiveThePermutedForces) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(648, 2.2, 17, true);
  std::vector<int> perm(s.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(5));
  Structure p = s;
  for (std::size_t k = 0; k < s.size(); ++k) {
    p.positions[k] = s.positions[perm[k]];
    p.species[k] = s.species[perm[k]];
  }
  const auto a = run(*ff, s, true);
  const auto b = run(*ff, p, true);
  md::ForceResult back = b;
  for (std::size_t k = 0; k < s.size(); ++k) {
    back.forces[perm[k]] = b.forces[k];
    back.atom_energy[perm[k]] = b.atom_energy[k];
  }
  expect_close(back, a, 1e-13);
}

TEST(TeacherHalfList, ListReusedAfterAtomsMovedWithinHalfTheSkin) {
  // The near/far split of each row is made once per list: pairs that move into the short-range
  // cutoff before the next rebuild must still be near. Moves of up to 0.49 skin per atom, with
  // the split made at the build positions and (second force field) after the move.
  const double skin = 1.0;
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  auto late = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(648, 2.2, 23, true);
  auto shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, ff->cutoff() + skin);
  const auto list = neighbor::build_half_neighbor_list(shell, ff->cutoff(), skin);
  md::ForceResult first;
  ff->compute(shell, list, first);
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<Vec3> moved(shell.positions.begin(), shell.positions.begin() + shell.n_local);
  for (auto& r : moved) {
    Vec3 d{g(rng), g(rng), g(rng)};
    r += (0.49 * skin / std::sqrt(dot(d, d))) * d;
  }
  neighbor::update_ghost_positions(shell, moved);
  ASSERT_FALSE(neighbor::needs_rebuild(list, moved));
  md::ForceResult reused, split_late, fresh;
  ff->compute(shell, list, reused);
  late->compute(shell, list, split_late);
  Structure m = s;
  m.positions = moved;
  fresh = run(*ff, m, false);
  expect_close(reused, fresh, 1e-13);
  expect_close(split_late, fresh, 1e-13);
}
