/// \file cell_list.cpp
/// Binning of atoms into cells (bounding-box grid, counting sort by cell key).

#include "vitrum/neighbor/cell_list.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "vitrum/core/error.hpp"

namespace vitrum::neighbor {

CellGrid cell_grid_from_bounds(const Vec3& lo, const Vec3& hi, long n, double min_edge) {
  if (!(min_edge > 0.0) || !std::isfinite(min_edge)) {
    fail("cell grid: the minimum cell edge must be finite and > 0, got {}", min_edge);
  }
  CellGrid grid;
  if (n == 0) return grid;
  for (int d = 0; d < 3; ++d) {
    if (!std::isfinite(lo[d]) || !std::isfinite(hi[d])) {
      fail("cell grid: a position is not finite (bounding box {} .. {} along axis {})", lo[d],
           hi[d], "xyz"[d]);
    }
  }
  grid.origin = lo;
  const double max_cells = std::max(64.0, 2.0 * static_cast<double>(n));
  double edge = min_edge;
  for (int attempt = 0; attempt < 64; ++attempt) {
    double total = 1.0;
    for (int d = 0; d < 3; ++d) {
      const double extent = hi[d] - lo[d];
      // Round down, and keep the edge extent/dims >= edge despite rounding.
      double nd = std::floor(extent / edge);
      if (nd > 1.0 && extent / nd < edge) nd -= 1.0;
      nd = std::max(1.0, nd);
      grid.dims[d] = static_cast<int>(std::min(nd, 1e9));
      total *= nd;
    }
    if (total <= max_cells) break;
    edge *= std::cbrt(total / max_cells) * 1.01;
  }
  for (int d = 0; d < 3; ++d) {
    const double extent = hi[d] - lo[d];
    // A one-cell axis may have zero extent; any scale maps it to cell 0.
    grid.inv_cell_size[d] = extent > 0.0 ? grid.dims[d] / extent : 1.0 / min_edge;
    if (grid.dims[d] == 1) grid.inv_cell_size[d] = 0.0;
  }
  return grid;
}

CellGrid make_cell_grid(const std::vector<Vec3>& positions, double min_edge) {
  if (positions.empty()) return cell_grid_from_bounds({0, 0, 0}, {0, 0, 0}, 0, min_edge);
  Vec3 lo = positions[0], hi = positions[0];
  for (const Vec3& r : positions) {
    for (int d = 0; d < 3; ++d) {
      lo[d] = std::min(lo[d], r[d]);
      hi[d] = std::max(hi[d], r[d]);
    }
  }
  return cell_grid_from_bounds(lo, hi, static_cast<long>(positions.size()), min_edge);
}

CellBinning bin_atoms(const std::vector<Vec3>& positions, const CellGrid& grid) {
  CellBinning b;
  b.grid = grid;
  const int n = static_cast<int>(positions.size());
  const int nc = grid.n_cells();
  b.cell_of.resize(n);
  b.cell_start.assign(nc + 1, 0);
  b.cell_atoms.resize(n);
#pragma omp parallel for schedule(static) if (n > 20000)
  for (int i = 0; i < n; ++i) b.cell_of[i] = grid.cell_key(positions[i]);
  for (int i = 0; i < n; ++i) ++b.cell_start[b.cell_of[i] + 1];
  for (int k = 0; k < nc; ++k) b.cell_start[k + 1] += b.cell_start[k];
  std::vector<int> fill(b.cell_start.begin(), b.cell_start.end() - 1);
  for (int i = 0; i < n; ++i) b.cell_atoms[fill[b.cell_of[i]]++] = i;
  return b;
}

CellBinning bin_atoms(const std::vector<Vec3>& positions, double min_edge) {
  return bin_atoms(positions, make_cell_grid(positions, min_edge));
}

}  // namespace vitrum::neighbor
