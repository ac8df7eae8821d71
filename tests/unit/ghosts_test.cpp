#include "vitrum/neighbor/ghosts.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "vitrum/core/error.hpp"

using namespace vitrum;

namespace {

Box make_box(Vec3 a, Vec3 b, Vec3 c) {
  Box box;
  box.periodic = true;
  box.h[0] = a;
  box.h[1] = b;
  box.h[2] = c;
  return box;
}

/// Random positions in fractional range [lo, hi) (outside the cell when lo < 0 or hi > 1).
std::vector<Vec3> random_positions(const Box& box, int n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<Vec3> r(n);
  for (auto& p : r) p = box.to_cartesian({u(rng), u(rng), u(rng)});
  return r;
}

std::array<int, 3> image_of(const Box& box, const Vec3& shift) {
  const Vec3 s = box.to_fractional(shift);
  std::array<int, 3> n{};
  for (int d = 0; d < 3; ++d) {
    n[d] = static_cast<int>(std::lround(s[d]));
    EXPECT_NEAR(s[d], n[d], 1e-9) << "shift is not a lattice vector";
  }
  return n;
}

Vec3 lattice_shift(const Box& box, const std::array<int, 3>& n) {
  return static_cast<double>(n[0]) * box.h[0] + static_cast<double>(n[1]) * box.h[1] +
         static_cast<double>(n[2]) * box.h[2];
}

/// Checks the invariants of a shell and that every image within `width` of some local atom is
/// present (brute force over all images in a generous range).
void check_shell(const Box& box, const std::vector<Vec3>& input, const neighbor::GhostShell& sh) {
  const int n = sh.n_local;
  ASSERT_EQ(n, static_cast<int>(input.size()));
  ASSERT_EQ(sh.species.size(), sh.positions.size());
  ASSERT_EQ(sh.owner.size(), sh.positions.size());
  ASSERT_EQ(sh.shift.size(), sh.positions.size());
  const Vec3 h = box.heights();
  // Locals: wrapped into the cell by whole lattice vectors.
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(sh.owner[i], i);
    const Vec3 s = box.to_fractional(sh.positions[i]);
    for (int d = 0; d < 3; ++d) {
      EXPECT_GE(s[d], -1e-12);
      EXPECT_LT(s[d], 1.0 + 1e-12);
    }
    image_of(box, sh.positions[i] - input[i]);
  }
  // Ghosts: exact images of their owner, inside the slab, each (owner, image) once.
  std::set<std::pair<int, std::array<int, 3>>> present;
  for (int g = n; g < sh.size(); ++g) {
    const int o = sh.owner[g];
    ASSERT_GE(o, 0);
    ASSERT_LT(o, n);
    EXPECT_EQ(sh.species[g], sh.species[o]);
    const Vec3 expect = sh.positions[o] + sh.shift[g];
    EXPECT_EQ(sh.positions[g].x, expect.x);
    EXPECT_EQ(sh.positions[g].y, expect.y);
    EXPECT_EQ(sh.positions[g].z, expect.z);
    const auto img = image_of(box, sh.shift[g]);
    EXPECT_NE(img, (std::array<int, 3>{0, 0, 0}));
    EXPECT_TRUE(present.insert({o, img}).second) << "duplicate ghost of " << o;
    const Vec3 s = box.to_fractional(sh.positions[g]);
    for (int d = 0; d < 3; ++d) {
      EXPECT_GT(s[d], -sh.width / h[d] - 1e-9);
      EXPECT_LT(s[d], 1.0 + sh.width / h[d] + 1e-9);
    }
  }
  // Completeness: every image closer than width to any local is a ghost.
  int m[3];
  for (int d = 0; d < 3; ++d) m[d] = static_cast<int>(std::ceil(sh.width / h[d])) + 2;
  const double work = double(n) * n * (2 * m[0] + 1) * (2 * m[1] + 1) * (2 * m[2] + 1);
  if (work > 5e7) return;  // too large for brute force; the count test covers big cells
  for (int j = 0; j < n; ++j) {
    for (int a = -m[0]; a <= m[0]; ++a) {
      for (int b = -m[1]; b <= m[1]; ++b) {
        for (int c = -m[2]; c <= m[2]; ++c) {
          if (a == 0 && b == 0 && c == 0) continue;
          const Vec3 rj = sh.positions[j] + lattice_shift(box, {a, b, c});
          for (int i = 0; i < n; ++i) {
            const Vec3 d = rj - sh.positions[i];
            if (dot(d, d) < sh.width * sh.width) {
              EXPECT_TRUE(present.count({j, {a, b, c}}))
                  << "missing image (" << a << "," << b << "," << c << ") of " << j;
              break;
            }
          }
        }
      }
    }
  }
}

}  // namespace

TEST(Ghosts, NonPeriodicBoxHasNoGhostsAndKeepsPositions) {
  Box open;
  const std::vector<Vec3> r = {{-50, 0, 3}, {100, 2, 1}};
  const auto sh = neighbor::build_ghost_shell(open, r, {6, 1}, 10.0);
  EXPECT_EQ(sh.n_local, 2);
  EXPECT_EQ(sh.n_ghost(), 0);
  EXPECT_EQ(sh.positions[0].x, -50.0);
  EXPECT_EQ(sh.positions[1].x, 100.0);
}

TEST(Ghosts, OrthorhombicCountMatchesSlabVolume) {
  const Box box = make_box({20, 0, 0}, {0, 22, 0}, {0, 0, 24});
  const int n = 4000;
  {
    // Small sample: brute-force completeness as well.
    const auto few = random_positions(box, 60, -0.5, 1.5, 2);
    check_shell(box, few, neighbor::build_ghost_shell(box, few, std::vector<int>(60, 14), 3.0));
  }
  const double w = 3.0;
  const auto r = random_positions(box, n, -0.5, 1.5, 1);
  const auto sh = neighbor::build_ghost_shell(box, r, std::vector<int>(n, 14), w);
  check_shell(box, r, sh);
  // Uniform density: ghosts fill the shell volume (20+6)(22+6)(24+6) - 20*22*24.
  const double expected = n * ((26.0 * 28.0 * 30.0) / (20.0 * 22.0 * 24.0) - 1.0);
  EXPECT_NEAR(sh.n_ghost(), expected, 0.06 * expected);
}

TEST(Ghosts, TriclinicCellSmallerThanTheShell) {
  const Box box = make_box({3.0, 0.0, 0.0}, {2.4, 1.3, 0.0}, {-1.9, 0.8, 1.6});
  const auto r = random_positions(box, 5, -2.0, 3.0, 7);
  const auto sh = neighbor::build_ghost_shell(box, r, {8, 14, 8, 8, 14}, 7.5);
  check_shell(box, r, sh);
  EXPECT_GT(sh.n_ghost(), 1000);
}

TEST(Ghosts, TwoAtomCellWithTwelveAngstromShell) {
  // fcc primitive cell (a = 3.6 Å) with a 2-atom basis: far smaller than the cutoff.
  const Box box = make_box({0, 1.8, 1.8}, {1.8, 0, 1.8}, {1.8, 1.8, 0});
  const std::vector<Vec3> r = {{0, 0, 0}, {0.9, 0.9, 0.9}};
  const auto sh = neighbor::build_ghost_shell(box, r, {29, 29}, 12.0);
  check_shell(box, r, sh);
  // At least every image in the 12 Å sphere: 2 atoms / 11.664 Å^3 * 4/3 pi 12^3.
  EXPECT_GT(sh.n_ghost(), static_cast<int>(2.0 / 11.664 * 4.0 / 3.0 * M_PI * 1728.0));
}

TEST(Ghosts, DeterministicLayerOrderAndUpdate) {
  const Box box = make_box({9, 0, 0}, {1, 8, 0}, {0.5, -0.7, 10});
  const auto r = random_positions(box, 50, -0.2, 1.2, 3);
  const std::vector<int> z(50, 8);
  const auto a = neighbor::build_ghost_shell(box, r, z, 4.0);
  const auto b = neighbor::build_ghost_shell(box, r, z, 4.0);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.owner, b.owner);
  for (int g = 0; g < a.size(); ++g) {
    EXPECT_EQ(a.positions[g].x, b.positions[g].x);
    EXPECT_EQ(a.shift[g].y, b.shift[g].y);
  }
  // Layer by layer (Chebyshev norm of the image), atoms ascending within an image.
  int last_layer = 1;
  for (int g = a.n_local; g < a.size(); ++g) {
    const auto img = image_of(box, a.shift[g]);
    const int layer = std::max({std::abs(img[0]), std::abs(img[1]), std::abs(img[2])});
    EXPECT_GE(layer, last_layer);
    last_layer = layer;
    if (g > a.n_local && image_of(box, a.shift[g - 1]) == img) {
      EXPECT_GT(a.owner[g], a.owner[g - 1]);
    }
  }

  neighbor::GhostShell moved = a;
  std::vector<Vec3> locals(a.positions.begin(), a.positions.begin() + a.n_local);
  for (auto& p : locals) p += Vec3{0.1, -0.05, 0.2};
  neighbor::update_ghost_positions(moved, locals);
  for (int g = 0; g < moved.size(); ++g) {
    const Vec3 expect = g < moved.n_local ? locals[g] : locals[moved.owner[g]] + moved.shift[g];
    EXPECT_EQ(moved.positions[g].x, expect.x);
    EXPECT_EQ(moved.positions[g].z, expect.z);
  }
  locals.pop_back();
  EXPECT_THROW(neighbor::update_ghost_positions(moved, locals), Error);
}

TEST(Ghosts, RejectsBadInput) {
  const Box box = make_box({5, 0, 0}, {0, 5, 0}, {0, 0, 5});
  EXPECT_THROW(neighbor::build_ghost_shell(box, {{0, 0, 0}}, {1, 1}, 2.0), Error);
  EXPECT_THROW(neighbor::build_ghost_shell(box, {{0, 0, 0}}, {1}, -1.0), Error);
  const Box flat = make_box({5, 0, 0}, {0, 5, 0}, {5, 5, 0});
  EXPECT_THROW(neighbor::build_ghost_shell(flat, {{0, 0, 0}}, {1}, 2.0), Error);
}
