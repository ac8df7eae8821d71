/// \file neighbor_list.cpp
/// Full Verlet list through a cell list: bin locals and ghosts into cells of edge >= rc + skin,
/// then for each local atom scan the (up to) 27 surrounding cells. Because the CSR of cells is in
/// key order with x fastest, the three cells of one x-row are one contiguous slice, so each atom
/// scans 9 contiguous slices of a cell-ordered copy of the positions (cache friendly).
/// Each thread fills the neighbors of one contiguous block of atoms; blocks are concatenated in
/// order, so the result does not depend on the thread count.

#include "vitrum/neighbor/neighbor_list.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "list_memory.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/core/resource_guard.hpp"
#include "vitrum/neighbor/cell_list.hpp"

namespace vitrum::neighbor {

int NeighborList::max_neighbors() const {
  int m = 0;
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i) m = std::max(m, offsets[i + 1] - offsets[i]);
  return m;
}

namespace detail {

void check_pair_memory(const GhostShell& shell, double r_list, double fraction) {
  Vec3 lo = shell.positions[0], hi = lo;
  for (const Vec3& r : shell.positions) {
    lo = Vec3{std::min(lo.x, r.x), std::min(lo.y, r.y), std::min(lo.z, r.z)};
    hi = Vec3{std::max(hi.x, r.x), std::max(hi.y, r.y), std::max(hi.z, r.z)};
  }
  // Bounding box at least one list radius thick along each axis (a slab or a chain of atoms).
  double volume = 1.0;
  for (double e : {hi.x - lo.x, hi.y - lo.y, hi.z - lo.z}) volume *= std::max(e, r_list);
  const double sphere = 4.18879020478639 * r_list * r_list * r_list;
  const double pairs = fraction * static_cast<double>(shell.n_local) *
                       std::min(static_cast<double>(shell.size()), shell.size() / volume * sphere);
  check_memory(2.0 * sizeof(int) * pairs,
               fmt::format("the neighbor list of {} atoms within {:.4g} Å (about {:.3g} pairs)",
                           shell.n_local, r_list, pairs));
}

double check_list_request(const GhostShell& shell, double cutoff, double skin) {
  if (!(cutoff > 0.0) || !(skin >= 0.0) || !std::isfinite(cutoff + skin)) {
    fail("build_neighbor_list: need cutoff > 0 and skin >= 0, got cutoff {} and skin {}", cutoff,
         skin);
  }
  const double r_list = cutoff + skin;
  if (shell.width < r_list * (1.0 - 1e-12)) {
    fail(
        "build_neighbor_list: the ghost shell was built for width {} but cutoff + skin = {}; "
        "rebuild the shell with width >= cutoff + skin",
        shell.width, r_list);
  }
  return r_list;
}

}  // namespace detail

NeighborList build_neighbor_list(const GhostShell& shell, double cutoff, double skin) {
  const double r_list = detail::check_list_request(shell, cutoff, skin);
  const int n_local = shell.n_local;
  NeighborList list;
  list.cutoff = cutoff;
  list.skin = skin;
  static std::atomic<std::uint64_t> builds{0};
  list.build_id = ++builds;
  list.reference_positions.assign(shell.positions.begin(), shell.positions.begin() + n_local);
  list.offsets.assign(n_local + 1, 0);
  if (n_local == 0) return list;

  detail::check_pair_memory(shell, r_list, 1.0);
  // Slightly larger edges so that rounding in the cell index can never separate two atoms closer
  // than r_list by more than one cell.
  const CellBinning bins = bin_atoms(shell.positions, r_list * (1.0 + 1e-9));
  const CellGrid& grid = bins.grid;
  const int n_all = shell.size();
  std::vector<Vec3> sorted_pos(n_all);
#pragma omp parallel for schedule(static) if (n_all > 20000)
  for (int p = 0; p < n_all; ++p) sorted_pos[p] = shell.positions[bins.cell_atoms[p]];

  const double r2 = r_list * r_list;
  detail::assemble_rows(n_local, 64, list, [&](int i, std::vector<int>& out) {
    const Vec3 ri = shell.positions[i];
    const int cx = grid.cell_coord(ri.x, 0), cy = grid.cell_coord(ri.y, 1),
              cz = grid.cell_coord(ri.z, 2);
    const int x0 = std::max(cx - 1, 0), x1 = std::min(cx + 1, grid.dims[0] - 1);
    const std::size_t first = out.size();
    for (int z = std::max(cz - 1, 0); z <= std::min(cz + 1, grid.dims[2] - 1); ++z) {
      for (int y = std::max(cy - 1, 0); y <= std::min(cy + 1, grid.dims[1] - 1); ++y) {
        const int row = grid.dims[0] * (y + grid.dims[1] * z);
        const int p0 = bins.cell_start[row + x0];
        const int p1 = bins.cell_start[row + x1 + 1];
        for (int p = p0; p < p1; ++p) {
          const double dx = sorted_pos[p].x - ri.x;
          const double dy = sorted_pos[p].y - ri.y;
          const double dz = sorted_pos[p].z - ri.z;
          if (dx * dx + dy * dy + dz * dz < r2) out.push_back(bins.cell_atoms[p]);
        }
      }
    }
    // The atom itself (distance 0) is always found; drop it, then order by index.
    auto seg_begin = out.begin() + static_cast<std::ptrdiff_t>(first);
    out.erase(std::remove(seg_begin, out.end(), i), out.end());
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  });
  return list;
}

bool needs_rebuild(const NeighborList& list, const std::vector<Vec3>& local_positions) {
  if (local_positions.size() != list.reference_positions.size()) return true;
  const double limit2 = 0.25 * list.skin * list.skin;
  const std::size_t n = local_positions.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Vec3 d = local_positions[i] - list.reference_positions[i];
    if (dot(d, d) > limit2) return true;
  }
  return false;
}

}  // namespace vitrum::neighbor
