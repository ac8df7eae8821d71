#include "vitrum/neighbor/neighbor_list.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

#include "../test_paths.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/io/structure_io.hpp"
#include "vitrum/neighbor/cell_list.hpp"
#include "vitrum/neighbor/ghosts.hpp"

using namespace vitrum;

namespace {

/// (i, owner j, image a, b, c) -> distance.
using PairKey = std::tuple<int, int, int, int, int>;
using PairMap = std::map<PairKey, double>;

Box make_box(Vec3 a, Vec3 b, Vec3 c) {
  Box box;
  box.periodic = true;
  box.h[0] = a;
  box.h[1] = b;
  box.h[2] = c;
  return box;
}

Vec3 lattice_shift(const Box& box, int a, int b, int c) {
  return static_cast<double>(a) * box.h[0] + static_cast<double>(b) * box.h[1] +
         static_cast<double>(c) * box.h[2];
}

/// O(N^2 * images) reference over the (wrapped) local positions of the shell: every pair (i, j,
/// image n) with |r_j + n h - r_i| < r, except j == i with n == 0.
PairMap brute_force(const Box& box, const neighbor::GhostShell& sh, double r) {
  PairMap out;
  const int n = sh.n_local;
  int m[3] = {0, 0, 0};
  if (box.periodic) {
    const Vec3 h = box.heights();
    for (int d = 0; d < 3; ++d) m[d] = static_cast<int>(std::ceil(r / h[d])) + 1;
  }
  for (int a = -m[0]; a <= m[0]; ++a) {
    for (int b = -m[1]; b <= m[1]; ++b) {
      for (int c = -m[2]; c <= m[2]; ++c) {
        const Vec3 shift = box.periodic ? lattice_shift(box, a, b, c) : Vec3{0, 0, 0};
        for (int j = 0; j < n; ++j) {
          const Vec3 rj = sh.positions[j] + shift;
          for (int i = 0; i < n; ++i) {
            if (i == j && a == 0 && b == 0 && c == 0) continue;
            const double dx = rj.x - sh.positions[i].x;
            const double dy = rj.y - sh.positions[i].y;
            const double dz = rj.z - sh.positions[i].z;
            const double d2 = dx * dx + dy * dy + dz * dz;
            if (d2 < r * r) out[{i, j, a, b, c}] = std::sqrt(d2);
          }
        }
      }
    }
  }
  return out;
}

/// The same pairs read from a neighbor list; also checks the CSR invariants.
PairMap from_list(const Box& box, const neighbor::GhostShell& sh,
                  const neighbor::NeighborList& list) {
  PairMap out;
  EXPECT_EQ(list.n_local(), sh.n_local);
  EXPECT_EQ(list.offsets.front(), 0);
  EXPECT_EQ(list.offsets.back(), static_cast<int>(list.neighbors.size()));
  for (int i = 0; i < sh.n_local; ++i) {
    for (int k = list.offsets[i]; k < list.offsets[i + 1]; ++k) {
      const int g = list.neighbors[k];
      EXPECT_NE(g, i);
      EXPECT_GE(g, 0);
      EXPECT_LT(g, sh.size());
      if (k > list.offsets[i]) EXPECT_LT(list.neighbors[k - 1], g) << "not ascending";
      std::array<int, 3> n{0, 0, 0};
      if (box.periodic) {
        const Vec3 s = box.to_fractional(sh.shift[g]);
        for (int d = 0; d < 3; ++d) n[d] = static_cast<int>(std::lround(s[d]));
      }
      const Vec3 d = sh.positions[g] - sh.positions[i];
      out[{i, sh.owner[g], n[0], n[1], n[2]}] = std::sqrt(dot(d, d));
    }
  }
  return out;
}

void expect_matches_brute_force(const Box& box, const std::vector<Vec3>& r,
                                const std::vector<int>& z, double cutoff, double skin) {
  const neighbor::GhostShell sh = neighbor::build_ghost_shell(box, r, z, cutoff + skin);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(sh, cutoff, skin);
  const PairMap expect = brute_force(box, sh, cutoff + skin);
  const PairMap got = from_list(box, sh, list);
  EXPECT_EQ(got.size(), expect.size());
  std::size_t missing = 0, extra = 0;
  for (const auto& [key, d] : expect) {
    auto it = got.find(key);
    if (it == got.end()) {
      if (++missing < 5)
        ADD_FAILURE() << "missing pair i=" << std::get<0>(key) << " j=" << std::get<1>(key)
                      << " d=" << d;
    } else {
      EXPECT_NEAR(it->second, d, 1e-12 * (1.0 + d));
    }
  }
  for (const auto& [key, d] : got) {
    if (!expect.count(key) && ++extra < 5) {
      ADD_FAILURE() << "extra pair i=" << std::get<0>(key) << " j=" << std::get<1>(key)
                    << " d=" << d;
    }
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(extra, 0u);
  EXPECT_GT(expect.size(), 0u);
}

std::vector<Vec3> random_fractional(const Box& box, int n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<Vec3> r(n);
  for (auto& p : r) p = box.to_cartesian({u(rng), u(rng), u(rng)});
  return r;
}

}  // namespace

TEST(NeighborList, WaterBoxMatchesBruteForce) {
  const std::string path = test::n2p2_dir() + "/outputs/H2O_RPBE-D3/input.data";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  const Structure s = io::read_structures(path).at(0);
  ASSERT_TRUE(s.box.periodic);
  expect_matches_brute_force(s.box, s.positions, s.species, 12.0, 0.0);  // bohr
  expect_matches_brute_force(s.box, s.positions, s.species, 11.0, 1.5);
}

TEST(NeighborList, StronglyTriclinicCellSmallerThanCutoff) {
  const Box box = make_box({3.0, 0.0, 0.0}, {2.6, 1.1, 0.0}, {-2.2, 0.7, 1.7});
  const auto r = random_fractional(box, 6, -1.5, 2.5, 11);
  expect_matches_brute_force(box, r, {8, 14, 8, 8, 14, 8}, 7.0, 0.5);
}

TEST(NeighborList, TwoAtomCellWithTwelveAngstromCutoff) {
  const Box box = make_box({0, 1.8, 1.8}, {1.8, 0, 1.8}, {1.8, 1.8, 0});
  expect_matches_brute_force(box, {{0, 0, 0}, {0.9, 0.9, 0.9}}, {29, 16}, 12.0, 0.0);
}

TEST(NeighborList, MonoclinicCu2SLikeCell) {
  // Low chalcocite-like monoclinic cell (a = 15.246, b = 11.884, c = 13.494 Å, beta = 116.35°),
  // 96 Cu + 48 S at random positions, some outside the cell.
  const double beta = 116.35 * M_PI / 180.0;
  const Box box = make_box({15.246, 0, 0}, {0, 11.884, 0},
                           {13.494 * std::cos(beta), 0, 13.494 * std::sin(beta)});
  const auto r = random_fractional(box, 144, -0.3, 1.3, 5);
  std::vector<int> z(144, 29);
  for (int i = 0; i < 48; ++i) z[3 * i + 2] = 16;
  expect_matches_brute_force(box, r, z, 6.0, 0.0);
  expect_matches_brute_force(box, r, z, 5.5, 1.0);
}

TEST(NeighborList, IsolatedMolecule) {
  const std::string path = test::n2p2_dir() + "/outputs/DMABN_SCAN/input.data";
  if (std::filesystem::exists(path)) {
    const Structure s = io::read_structures(path).at(0);
    ASSERT_FALSE(s.box.periodic);
    expect_matches_brute_force(s.box, s.positions, s.species, 6.0, 0.0);
  }
  // A sparse random cluster: far-apart atoms must not blow up the cell grid.
  Box open;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0.0, 8.0);
  std::vector<Vec3> r(300);
  for (auto& p : r) p = {g(rng), g(rng), g(rng)};
  r.push_back({1e5, -1e5, 3e4});  // a stray atom very far away
  expect_matches_brute_force(open, r, std::vector<int>(r.size(), 6), 4.0, 0.5);
}

TEST(NeighborList, FullListIsSymmetricAndThreadCountIndependent) {
  const Box box = make_box({30, 0, 0}, {4, 28, 0}, {-3, 2, 32});
  const auto r = random_fractional(box, 3000, 0.0, 1.0, 21);
  const neighbor::GhostShell sh =
      neighbor::build_ghost_shell(box, r, std::vector<int>(3000, 14), 6.0);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const neighbor::NeighborList one = neighbor::build_neighbor_list(sh, 5.0, 1.0);
  omp_set_num_threads(std::max(2, saved));
  const neighbor::NeighborList many = neighbor::build_neighbor_list(sh, 5.0, 1.0);
  omp_set_num_threads(saved);
  EXPECT_EQ(one.offsets, many.offsets);
  EXPECT_EQ(one.neighbors, many.neighbors);
  // Full list: (i -> image n of j) implies (j -> image -n of i).
  const PairMap pairs = from_list(box, sh, one);
  for (const auto& [key, d] : pairs) {
    const auto [i, j, a, b, c] = key;
    auto it = pairs.find({j, i, -a, -b, -c});
    ASSERT_NE(it, pairs.end());
    EXPECT_NEAR(it->second, d, 1e-12);
  }
  EXPECT_GT(one.max_neighbors(), 0);
}

TEST(NeighborList, NeedsRebuildAfterHalfSkin) {
  const Box box = make_box({12, 0, 0}, {0, 12, 0}, {0, 0, 12});
  const auto r = random_fractional(box, 100, 0.0, 1.0, 4);
  const neighbor::GhostShell sh =
      neighbor::build_ghost_shell(box, r, std::vector<int>(100, 8), 5.0);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(sh, 4.0, 1.0);
  std::vector<Vec3> now(sh.positions.begin(), sh.positions.begin() + sh.n_local);
  EXPECT_FALSE(neighbor::needs_rebuild(list, now));
  now[37] += Vec3{0.3, 0.3, -0.2};  // |d| = 0.469 < 0.5
  EXPECT_FALSE(neighbor::needs_rebuild(list, now));
  now[37] += Vec3{0.0, 0.0, -0.1};  // |d| = 0.5196 > 0.5
  EXPECT_TRUE(neighbor::needs_rebuild(list, now));
  now.pop_back();
  EXPECT_TRUE(neighbor::needs_rebuild(list, now));
}

TEST(NeighborList, RejectsShellNarrowerThanCutoffPlusSkin) {
  const Box box = make_box({12, 0, 0}, {0, 12, 0}, {0, 0, 12});
  const neighbor::GhostShell sh = neighbor::build_ghost_shell(box, {{1, 2, 3}}, {8}, 5.0);
  EXPECT_THROW(neighbor::build_neighbor_list(sh, 4.5, 1.0), Error);
  EXPECT_THROW(neighbor::build_neighbor_list(sh, 0.0, 1.0), Error);
  EXPECT_NO_THROW(neighbor::build_neighbor_list(sh, 4.0, 1.0));
}

TEST(CellList, BinningIsACsrSortedByCellKey) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(-5.0, 17.0);
  std::vector<Vec3> r(5000);
  for (auto& p : r) p = {u(rng), u(rng) * 0.5, u(rng) * 2.0};
  const neighbor::CellBinning b = neighbor::bin_atoms(r, 3.0);
  const neighbor::CellGrid& g = b.grid;
  ASSERT_EQ(static_cast<int>(b.cell_start.size()), g.n_cells() + 1);
  EXPECT_EQ(b.cell_start.back(), 5000);
  for (int d = 0; d < 3; ++d) {
    EXPECT_GE(g.dims[d], 1);
    if (g.dims[d] > 1) EXPECT_GE(1.0 / g.inv_cell_size[d], 3.0);
  }
  for (int k = 0; k < g.n_cells(); ++k) {
    for (int p = b.cell_start[k]; p < b.cell_start[k + 1]; ++p) {
      const int i = b.cell_atoms[p];
      EXPECT_EQ(b.cell_of[i], k);
      EXPECT_EQ(g.cell_key(r[i]), k);
      if (p > b.cell_start[k]) EXPECT_GT(i, b.cell_atoms[p - 1]);
    }
  }
}

TEST(NeighborList, LargeBoxBuildsQuickly) {
  // 100k atoms at amorphous-silica density (0.066 / Å^3), rc + skin = 6 + 1 Å. The time is printed
  // for information; the bound is loose because CI machines are shared.
  const double length = std::cbrt(100000 / 0.066);
  const Box box = make_box({length, 0, 0}, {0, length, 0}, {0, 0, length});
  const auto r = random_fractional(box, 100000, 0.0, 1.0, 8);
  const neighbor::GhostShell sh =
      neighbor::build_ghost_shell(box, r, std::vector<int>(100000, 14), 7.0);
  const auto t0 = std::chrono::steady_clock::now();
  const neighbor::NeighborList list = neighbor::build_neighbor_list(sh, 6.0, 1.0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ info ] 100k atoms + %d ghosts: neighbor list %.3f s (%d threads), %zu pairs\n",
              sh.n_ghost(), seconds, omp_get_max_threads(), list.neighbors.size());
  EXPECT_LT(seconds, 10.0);
  EXPECT_NEAR(static_cast<double>(list.neighbors.size()) / 100000, 0.066 * 4.0 / 3.0 * M_PI * 343.0,
              3.0);
}
