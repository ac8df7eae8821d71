/// \file ghosts.cpp
/// Explicit periodic images within a shell of width w around the cell.
///
/// Why the fractional test is exact: for cell direction d, the distance between two points is
/// at least |Δs_d| h_d, where h_d = V / |b×c| (etc.) is the perpendicular height. So an image
/// within w of any point of the cell has s_d in (-w/h_d, 1 + w/h_d) for every d. Selecting
/// images by that slab test therefore never misses a neighbor, works for any triclinic cell and
/// any number of image layers; it includes a few images farther than w (near the slab
/// corners), which the neighbor list then filters by distance.

#include "vitrum/neighbor/ghosts.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"

namespace vitrum::neighbor {
namespace {

// Fractional tolerance: images this close to the slab boundary are kept, so rounding in the
// wrap (an atom at s = -1e-17 wraps to s = 1.0) never drops a needed image.
constexpr double kSlabTolerance = 1e-10;

}  // namespace

// Bytes per image atom: position, shift, species, owner, and the neighbor-list bins and pairs
// that come with it.
constexpr double kBytesPerGhost = 2 * sizeof(Vec3) + 2 * sizeof(int) + 64;

GhostShell build_ghost_shell(const Box& box, const std::vector<Vec3>& positions,
                             const std::vector<int>& species, double width) {
  if (positions.size() != species.size()) {
    fail("build_ghost_shell: {} positions but {} species", positions.size(), species.size());
  }
  if (!(width >= 0.0) || !std::isfinite(width)) {
    fail("build_ghost_shell: shell width must be finite and >= 0, got {}", width);
  }
  const int n = static_cast<int>(positions.size());
  GhostShell sh;
  sh.n_local = n;
  sh.width = width;
  sh.positions = positions;
  sh.species = species;
  sh.owner.resize(n);
  sh.shift.assign(n, Vec3{0, 0, 0});
  for (int i = 0; i < n; ++i) sh.owner[i] = i;
  if (!box.periodic || n == 0) return sh;

  const Vec3 height = box.heights();
  for (int d = 0; d < 3; ++d) {
    if (!(height[d] > 0.0) || !std::isfinite(height[d])) {
      fail(
          "build_ghost_shell: the periodic cell has zero or invalid height {} along cell vector "
          "{}; expected three linearly independent lattice vectors",
          height[d], "abc"[d]);
    }
  }

  // The shell's size, estimated in floating point before anything is allocated: a tiny cell
  // (or a huge width) asks for more images than memory holds.
  double ghosts = static_cast<double>(n);
  for (int d = 0; d < 3; ++d) ghosts *= 2.0 * (width / height[d] + 1.0) + 1.0;
  check_memory(ghosts * kBytesPerGhost,
               fmt::format("the periodic images of a cell with heights {:.4g}, {:.4g}, {:.4g} Å "
                           "for a shell {:.4g} Å wide (about {:.3g} image atoms of {} atoms)",
                           height[0], height[1], height[2], width, ghosts, n));

  // Wrap the locals and find, per atom and direction, the image range [lo, hi] whose fractional
  // coordinate s_d + n_d lies in the slab [-w/h_d, 1 + w/h_d].
  std::vector<std::array<int, 6>> range(n);
  int glo[3] = {0, 0, 0}, ghi[3] = {0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const Vec3 s = box.to_fractional(positions[i]);
    Vec3 r = positions[i];
    for (int d = 0; d < 3; ++d) {
      const double m = width / height[d];
      const double cell = std::floor(s[d]);
      if (cell != 0.0) r -= cell * box.h[d];
      const double sd = s[d] - cell;
      if (!std::isfinite(sd)) {
        fail("build_ghost_shell: atom {} has a non-finite position ({}, {}, {})", i, positions[i].x,
             positions[i].y, positions[i].z);
      }
      const int lo = static_cast<int>(std::ceil(-m - kSlabTolerance - sd));
      const int hi = static_cast<int>(std::floor(1.0 + m + kSlabTolerance - sd));
      range[i][2 * d] = lo;
      range[i][2 * d + 1] = hi;
      glo[d] = std::min(glo[d], lo);
      ghi[d] = std::max(ghi[d], hi);
    }
    sh.positions[i] = r;
  }

  // Image vectors ordered layer by layer (Chebyshev norm), then lexicographically.
  std::vector<std::array<int, 3>> images;
  for (int a = glo[0]; a <= ghi[0]; ++a) {
    for (int b = glo[1]; b <= ghi[1]; ++b) {
      for (int c = glo[2]; c <= ghi[2]; ++c) {
        if (a != 0 || b != 0 || c != 0) images.push_back({a, b, c});
      }
    }
  }
  auto layer = [](const std::array<int, 3>& v) {
    return std::max({std::abs(v[0]), std::abs(v[1]), std::abs(v[2])});
  };
  std::stable_sort(images.begin(), images.end(),
                   [&](const auto& u, const auto& v) { return layer(u) < layer(v); });

  for (const auto& img : images) {
    const Vec3 shift = static_cast<double>(img[0]) * box.h[0] +
                       static_cast<double>(img[1]) * box.h[1] +
                       static_cast<double>(img[2]) * box.h[2];
    for (int i = 0; i < n; ++i) {
      const auto& rg = range[i];
      if (img[0] < rg[0] || img[0] > rg[1] || img[1] < rg[2] || img[1] > rg[3] || img[2] < rg[4] ||
          img[2] > rg[5]) {
        continue;
      }
      sh.positions.push_back(sh.positions[i] + shift);
      sh.species.push_back(species[i]);
      sh.owner.push_back(i);
      sh.shift.push_back(shift);
    }
  }
  return sh;
}

void update_ghost_positions(GhostShell& shell, const std::vector<Vec3>& local_positions) {
  if (static_cast<int>(local_positions.size()) != shell.n_local) {
    fail("update_ghost_positions: {} local positions for a shell with {} locals",
         local_positions.size(), shell.n_local);
  }
  std::copy(local_positions.begin(), local_positions.end(), shell.positions.begin());
  const int n = shell.size();
#pragma omp parallel for schedule(static) if (n - shell.n_local > 10000)
  for (int g = shell.n_local; g < n; ++g) {
    shell.positions[g] = shell.positions[shell.owner[g]] + shell.shift[g];
  }
}

}  // namespace vitrum::neighbor
