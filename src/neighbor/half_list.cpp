/// \file half_list.cpp
/// Half Verlet list for pair potentials, built directly (no full list to halve). The shell's
/// entries get slots: locals in cell order, then ghosts in cell order (two counting sorts on one
/// grid), so a row's neighbors, and the rows of a block, are close in memory. Local–local pairs
/// come from the forward half of the stencil (a later cell, or a later slot in the same cell: the
/// slot order is the cell order), ghosts from the whole stencil with the owner rule of
/// neighbor_list.hpp. Rows are filled in slot order by contiguous blocks of rows per thread and
/// concatenated in order: the same list for any thread count, without sorting any row.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "list_memory.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/neighbor/cell_list.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::neighbor {
namespace {

/// s > 0 in lexicographic order (x, then y, then z); exact for s and −s computed from the same
/// lattice vectors with opposite signs.
bool lex_positive(const Vec3& s) {
  if (s.x != 0.0) return s.x > 0.0;
  if (s.y != 0.0) return s.y > 0.0;
  return s.z > 0.0;
}

/// Counting sort of the shell entries [first, last) by cell key into slots starting at `first`;
/// start[k] (size n_cells + 1) is the first slot of cell k.
void sort_into_cells(const std::vector<int>& key, int first, int last, int n_cells,
                     std::vector<int>& start, std::vector<int>& order) {
  start.assign(n_cells + 1, 0);
  for (int e = first; e < last; ++e) ++start[key[e] + 1];
  start[0] = first;
  for (int k = 0; k < n_cells; ++k) start[k + 1] += start[k];
  std::vector<int> fill(start.begin(), start.end() - 1);
  for (int e = first; e < last; ++e) order[fill[key[e]]++] = e;
}

/// What one row scan needs (read-only, shared by the threads).
struct HalfScan {
  const GhostShell* shell;
  const CellGrid* grid;
  const std::vector<int>* order;
  const std::vector<Vec3>* pos;  ///< slot order
  const std::vector<int>* key;   ///< cell key per shell entry
  const std::vector<int>* lstart;
  const std::vector<int>* gstart;
  double r2;
  int reach;

  /// Appends the neighbors (slots) of the local in slot r to `out`.
  void row(int r, std::vector<int>& out) const {
    const Vec3 ri = (*pos)[r];
    const int si = (*order)[r];
    const int k = (*key)[si];
    const int* dims = grid->dims;
    const int cx = k % dims[0], cy = (k / dims[0]) % dims[1], cz = k / (dims[0] * dims[1]);
    const int x0 = std::max(cx - reach, 0), x1 = std::min(cx + reach, dims[0] - 1);
    const int z0 = std::max(cz - reach, 0), z1 = std::min(cz + reach, dims[2] - 1);
    const int y0 = std::max(cy - reach, 0), y1 = std::min(cy + reach, dims[1] - 1);
    // Locals: the forward half stencil (x-rows are contiguous runs of slots).
    for (int z = cz; z <= z1; ++z) {
      for (int y = z == cz ? cy : y0; y <= y1; ++y) {
        const int rowkey = dims[0] * (y + dims[1] * z);
        const int p0 = (z == cz && y == cy) ? r + 1 : (*lstart)[rowkey + x0];
        append(ri, p0, (*lstart)[rowkey + x1 + 1], out);
      }
    }
    // Ghosts: the whole stencil, each periodic pair once by the owner rule.
    const int* owner = shell->owner.data();
    for (int z = z0; z <= z1; ++z) {
      for (int y = y0; y <= y1; ++y) {
        const int rowkey = dims[0] * (y + dims[1] * z);
        const int p1 = (*gstart)[rowkey + x1 + 1];
        for (int p = (*gstart)[rowkey + x0]; p < p1; ++p) {
          const Vec3 d = (*pos)[p] - ri;
          if (dot(d, d) >= r2) continue;
          const int g = (*order)[p];
          const int o = owner[g];
          if (o > si || (o == si && lex_positive(shell->shift[g]))) out.push_back(p);
        }
      }
    }
  }

  void append(const Vec3& ri, int p0, int p1, std::vector<int>& out) const {
    const Vec3* pp = pos->data();
    for (int p = p0; p < p1; ++p) {
      const double dx = pp[p].x - ri.x, dy = pp[p].y - ri.y, dz = pp[p].z - ri.z;
      if (dx * dx + dy * dy + dz * dz < r2) out.push_back(p);
    }
  }
};

}  // namespace

NeighborList build_half_neighbor_list(const GhostShell& shell, double cutoff, double skin,
                                      int cells_per_cutoff) {
  const double r_list = detail::check_list_request(shell, cutoff, skin);
  if (cells_per_cutoff < 1 || cells_per_cutoff > 2)
    fail("build_half_neighbor_list: cells_per_cutoff must be 1 or 2, got {}", cells_per_cutoff);
  if (!shell.fold_ghosts || shell.owner.size() != shell.positions.size() ||
      shell.shift.size() != shell.positions.size()) {
    fail(
        "build_half_neighbor_list: needs a serial ghost shell (ghosts are images of its locals, "
        "with owners and shifts); use build_neighbor_list under domain decomposition");
  }
  const int n_local = shell.n_local;
  const int n_all = shell.size();
  NeighborList list;
  list.cutoff = cutoff;
  list.skin = skin;
  list.half = true;
  static std::atomic<std::uint64_t> builds{1ull << 62};
  list.build_id = ++builds;
  list.reference_positions.assign(shell.positions.begin(), shell.positions.begin() + n_local);
  list.offsets.assign(n_local + 1, 0);
  list.order.resize(n_all);
  if (n_local == 0) {
    for (int e = 0; e < n_all; ++e) list.order[e] = e;
    return list;
  }
  detail::check_pair_memory(shell, r_list, 0.5);

  // Edges slightly larger than the request: rounding in a cell index never separates two entries
  // closer than r_list by more than `reach` cells.
  const CellGrid grid = make_cell_grid(shell.positions, r_list * (1.0 + 1e-9) / cells_per_cutoff);
  std::vector<int> key(n_all);
#pragma omp parallel for schedule(static) if (n_all > 20000)
  for (int e = 0; e < n_all; ++e) key[e] = grid.cell_key(shell.positions[e]);
  std::vector<int> lstart, gstart;
  sort_into_cells(key, 0, n_local, grid.n_cells(), lstart, list.order);
  sort_into_cells(key, n_local, n_all, grid.n_cells(), gstart, list.order);
  std::vector<Vec3> pos(n_all);
#pragma omp parallel for schedule(static) if (n_all > 20000)
  for (int p = 0; p < n_all; ++p) pos[p] = shell.positions[list.order[p]];

  const HalfScan scan{&shell,  &grid,           &list.order,     &pos, &key, &lstart,
                      &gstart, r_list * r_list, cells_per_cutoff};
  detail::assemble_rows(n_local, 32, list, [&](int r, std::vector<int>& out) { scan.row(r, out); });
  return list;
}

double closest_listed_pair(const GhostShell& shell, const NeighborList& list, int* a, int* b) {
  const int n = list.n_local();
  const bool half = list.half;
  double best = INFINITY;
  int ba = -1, bb = -1;
  for (int r = 0; r < n; ++r) {
    const int i = half ? list.order[r] : r;
    for (int q = list.offsets[r]; q < list.offsets[r + 1]; ++q) {
      const int j = half ? list.order[list.neighbors[q]] : list.neighbors[q];
      const Vec3 d = shell.positions[j] - shell.positions[i];
      const double r2 = dot(d, d);
      if (r2 < best) {
        best = r2;
        ba = i;
        bb = j;
      }
    }
  }
  if (a != nullptr) *a = ba;
  if (b != nullptr) *b = bb;
  return std::sqrt(best);
}

}  // namespace vitrum::neighbor
