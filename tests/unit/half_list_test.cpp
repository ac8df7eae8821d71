// The half neighbor list for pair potentials (neighbor::build_half_neighbor_list) against an
// O(N² images) brute force: every periodic pair within cutoff + skin exactly once, for cubic,
// skewed triclinic and cells smaller than the cutoff, with one and two cells per cutoff; rows
// independent of the thread count; the slot order a permutation with locals first.
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

using namespace vitrum;

namespace {

/// A periodic pair: (i, j, image n) with i < j, or i == j and n lexicographically > 0.
using PairKey = std::tuple<int, int, int, int, int>;

PairKey canonical(int i, int j, std::array<int, 3> n) {
  const bool flip = i > j || (i == j && n < std::array<int, 3>{0, 0, 0});
  if (!flip) return {i, j, n[0], n[1], n[2]};
  return {j, i, -n[0], -n[1], -n[2]};
}

Box make_box(Vec3 a, Vec3 b, Vec3 c) {
  Box box;
  box.periodic = true;
  box.h[0] = a;
  box.h[1] = b;
  box.h[2] = c;
  return box;
}

std::map<PairKey, int> brute_force(const Box& box, const neighbor::GhostShell& sh, double r) {
  std::map<PairKey, int> out;
  const int n = sh.n_local;
  const Vec3 h = box.heights();
  int m[3];
  for (int d = 0; d < 3; ++d) m[d] = static_cast<int>(std::ceil(r / h[d])) + 1;
  for (int a = -m[0]; a <= m[0]; ++a)
    for (int b = -m[1]; b <= m[1]; ++b)
      for (int c = -m[2]; c <= m[2]; ++c) {
        const Vec3 s = double(a) * box.h[0] + double(b) * box.h[1] + double(c) * box.h[2];
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) {
            if (i == j && a == 0 && b == 0 && c == 0) continue;
            const Vec3 d = sh.positions[j] + s - sh.positions[i];
            if (dot(d, d) < r * r) out[canonical(i, j, {a, b, c})] = 1;
          }
      }
  return out;
}

void expect_half_list_matches(const Box& box, const std::vector<Vec3>& r, double cutoff,
                              double skin, int cells_per_cutoff) {
  const std::vector<int> z(r.size(), 14);
  const neighbor::GhostShell sh = neighbor::build_ghost_shell(box, r, z, cutoff + skin);
  const neighbor::NeighborList list =
      neighbor::build_half_neighbor_list(sh, cutoff, skin, cells_per_cutoff);
  ASSERT_TRUE(list.half);
  ASSERT_EQ(list.n_local(), sh.n_local);
  ASSERT_EQ(static_cast<int>(list.order.size()), sh.size());
  // The slots are a permutation of the shell, locals first.
  std::vector<int> seen(sh.size(), 0);
  for (int p = 0; p < sh.size(); ++p) {
    ++seen[list.order[p]];
    EXPECT_EQ(list.order[p] < sh.n_local, p < sh.n_local) << "slot " << p;
  }
  for (int e = 0; e < sh.size(); ++e) EXPECT_EQ(seen[e], 1);
  std::map<PairKey, int> got;
  for (int row = 0; row < list.n_local(); ++row) {
    const int i = list.order[row];
    for (int q = list.offsets[row]; q < list.offsets[row + 1]; ++q) {
      const int g = list.order[list.neighbors[q]];
      const Vec3 s = box.to_fractional(sh.shift[g]);
      std::array<int, 3> n;
      for (int d = 0; d < 3; ++d) n[d] = static_cast<int>(std::lround(s[d]));
      ++got[canonical(i, sh.owner[g], n)];
    }
  }
  const auto expect = brute_force(box, sh, cutoff + skin);
  ASSERT_GT(expect.size(), 0u);
  EXPECT_EQ(got.size(), expect.size());
  int missing = 0, twice = 0, extra = 0;
  for (const auto& [key, one] : expect) {
    auto it = got.find(key);
    if (it == got.end())
      ++missing;
    else if (it->second != 1)
      ++twice;
  }
  for (const auto& [key, count] : got)
    if (!expect.count(key)) ++extra;
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(twice, 0);
  EXPECT_EQ(extra, 0);
}

std::vector<Vec3> random_fractional(const Box& box, int n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<Vec3> r(n);
  for (auto& p : r) p = box.to_cartesian({u(rng), u(rng), u(rng)});
  return r;
}

}  // namespace

TEST(HalfNeighborList, CubicCellMatchesBruteForce) {
  const Box box = make_box({14, 0, 0}, {0, 14, 0}, {0, 0, 14});
  const auto r = random_fractional(box, 300, 0.0, 1.0, 3);
  for (int cells : {1, 2}) expect_half_list_matches(box, r, 4.5, 1.0, cells);
}

TEST(HalfNeighborList, SkewedTriclinicCellMatchesBruteForce) {
  const Box box = make_box({12.0, 0, 0}, {5.5, 10.0, 0}, {-4.0, 3.0, 11.0});
  const auto r = random_fractional(box, 200, -0.2, 1.2, 7);
  for (int cells : {1, 2}) expect_half_list_matches(box, r, 5.0, 0.7, cells);
}

TEST(HalfNeighborList, CellSmallerThanCutoffHasEachSelfImageOnce) {
  const Box box = make_box({3.0, 0.0, 0.0}, {2.6, 1.1, 0.0}, {-2.2, 0.7, 1.7});
  const auto r = random_fractional(box, 5, -1.5, 2.5, 11);
  for (int cells : {1, 2}) expect_half_list_matches(box, r, 6.0, 0.5, cells);
  // One atom: only its own images, each ± pair once.
  expect_half_list_matches(make_box({2.5, 0, 0}, {0, 2.5, 0}, {0, 0, 2.5}), {{0.3, 0.2, 0.1}}, 6.0,
                           0.0, 1);
}

TEST(HalfNeighborList, ThreadCountIndependentAndClosestPairAgrees) {
  const Box box = make_box({30, 0, 0}, {4, 28, 0}, {-3, 2, 32});
  const auto r = random_fractional(box, 3000, 0.0, 1.0, 21);
  const neighbor::GhostShell sh =
      neighbor::build_ghost_shell(box, r, std::vector<int>(3000, 14), 6.0);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const neighbor::NeighborList one = neighbor::build_half_neighbor_list(sh, 5.0, 1.0);
  omp_set_num_threads(std::max(2, saved));
  const neighbor::NeighborList many = neighbor::build_half_neighbor_list(sh, 5.0, 1.0);
  omp_set_num_threads(saved);
  EXPECT_EQ(one.offsets, many.offsets);
  EXPECT_EQ(one.neighbors, many.neighbors);
  EXPECT_EQ(one.order, many.order);
  const neighbor::NeighborList full = neighbor::build_neighbor_list(sh, 5.0, 1.0);
  EXPECT_EQ(2 * one.neighbors.size(), full.neighbors.size());
  EXPECT_EQ(neighbor::closest_listed_pair(sh, one, nullptr, nullptr),
            neighbor::closest_listed_pair(sh, full, nullptr, nullptr));
}

TEST(HalfNeighborList, RejectsAnUnfoldedShell) {
  const Box box = make_box({10, 0, 0}, {0, 10, 0}, {0, 0, 10});
  neighbor::GhostShell sh = neighbor::build_ghost_shell(box, random_fractional(box, 20, 0, 1, 1),
                                                        std::vector<int>(20, 8), 4.0);
  sh.fold_ghosts = false;
  EXPECT_THROW(neighbor::build_half_neighbor_list(sh, 3.0, 1.0), std::exception);
}
