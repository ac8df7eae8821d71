// The CPU teacher evaluates each pair once (Newton's third law on the engine's full list, with
// the pairs of images folded onto their owners; src/teacher/teacher_cpu.cpp). Checked here: it
// gives the energy, forces and virial of evaluating every pair from each side (forced by a list
// that is not sorted) and of the domain-decomposition path (ghosts not folded), the same bits for
// one and two threads, the same bits when a cached plan meets a new list, and no change when the
// list holds pairs beyond the cutoff (a skin).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "teacher_test_util.hpp"

using namespace vitrum;

namespace {

struct ShellAndList {
  neighbor::GhostShell shell;
  neighbor::NeighborList list;
};

ShellAndList make_setup(const Structure& s, double cutoff, double skin) {
  ShellAndList u;
  u.shell = neighbor::build_ghost_shell(s.box, s.positions, s.species, cutoff + skin);
  u.list = neighbor::build_neighbor_list(u.shell, cutoff, skin);
  return u;
}

md::ForceResult run(md::ForceField& ff, const ShellAndList& u) {
  md::ForceResult r;
  ff.compute(u.shell, u.list, r);
  return r;
}

/// Largest |a − b| over forces, relative to the largest |force|; energy and virial likewise.
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
}

bool same_bits(const md::ForceResult& a, const md::ForceResult& b) {
  if (a.energy != b.energy || a.forces.size() != b.forces.size()) return false;
  for (std::size_t i = 0; i < a.forces.size(); ++i)
    for (int c = 0; c < 3; ++c)
      if (a.forces[i][c] != b.forces[i][c]) return false;
  for (int x = 0; x < 3; ++x)
    for (int y = 0; y < 3; ++y)
      if (a.virial[x][y] != b.virial[x][y]) return false;
  return true;
}

TEST(TeacherPairReuse, MatchesEvaluatingEveryPairFromBothSides) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(648, 2.2, 31, true);
  const ShellAndList u = make_setup(s, ff->cutoff(), 1.0);
  const auto reused = run(*ff, u);

  // Each atom's neighbors in descending order: not a sorted list, so every pair is evaluated
  // from each side (the sums then run in another order: equal to rounding).
  ShellAndList both = u;
  both.list.build_id = 0;
  for (int i = 0; i < both.list.n_local(); ++i)
    std::reverse(both.list.neighbors.begin() + both.list.offsets[i],
                 both.list.neighbors.begin() + both.list.offsets[i + 1]);
  const auto reference = run(*ff, both);
  expect_close(reused, reference, 1e-13);
  EXPECT_EQ(reused.min_distance, reference.min_distance);
}

TEST(TeacherPairReuse, UnfoldedGhostsGiveTheSameResult) {
  // Under domain decomposition (fold_ghosts false) a pair with a ghost is summed from the local
  // side only; serially it is evaluated once and its ghost force folded onto the owner.
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(192, 2.2, 21, true);
  const ShellAndList folded = make_setup(s, ff->cutoff(), 1.0);
  ShellAndList unfolded = folded;
  unfolded.shell.fold_ghosts = false;
  const auto a = run(*ff, folded);
  const auto b = run(*ff, unfolded);
  expect_close(a, b, 1e-13);
  for (std::size_t i = 0; i < a.atom_energy.size(); ++i)
    EXPECT_NEAR(a.atom_energy[i], b.atom_energy[i], 1e-13 * std::abs(b.energy));
}

TEST(TeacherPairReuse, SkinDoesNotChangeTheResult) {
  auto ff = teacher::load_teacher(test::ttam_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(192, 2.2, 5, false);
  expect_close(run(*ff, make_setup(s, ff->cutoff(), 1.5)), run(*ff, make_setup(s, ff->cutoff(), 0)),
               1e-13);
}

TEST(TeacherPairReuse, SameBitsForOneAndTwoThreads) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  const Structure s = test::sio2_cell(648, 2.2, 8, false);
  const ShellAndList u = make_setup(s, ff->cutoff(), 1.0);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = run(*ff, u);
  omp_set_num_threads(2);
  const auto two = run(*ff, u);
  omp_set_num_threads(saved);
  EXPECT_TRUE(same_bits(one, two));
}

TEST(TeacherPairReuse, NewListAfterCachedOneGivesTheSameBitsAsAFreshForceField) {
  auto ff = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  Structure s = test::sio2_cell(192, 2.2, 12, false);
  const ShellAndList first = make_setup(s, ff->cutoff(), 1.0);
  run(*ff, first);
  for (std::size_t i = 0; i < s.size(); i += 3) s.positions[i].x += 0.7;  // a different list
  const ShellAndList second = make_setup(s, ff->cutoff(), 1.0);
  ASSERT_NE(second.list.neighbors, first.list.neighbors);
  const auto cached = run(*ff, second);
  auto fresh = teacher::load_teacher(test::bks_path(), Backend::Cpu);
  EXPECT_TRUE(same_bits(cached, run(*fresh, second)));
  // A hand-made list (build_id 0) is mapped again on every call.
  ShellAndList by_hand = second;
  by_hand.list.build_id = 0;
  EXPECT_TRUE(same_bits(run(*ff, by_hand), run(*fresh, second)));
}

}  // namespace
