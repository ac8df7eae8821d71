#pragma once
/// \file cell_list.hpp
/// Binning of atoms into a regular grid of cells (the first step of a neighbor-list build),
/// kept separate so that the CUDA backend can mirror it: cell key per atom, then a CSR of atoms
/// per cell in cell-key order (a counting sort, stable, so atoms ascend within a cell).
/// The grid spans the axis-aligned bounding box of the positions, without periodic wrap:
/// periodicity is carried by explicit ghost atoms.

#include <vector>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::neighbor {

/// Regular grid over a bounding box. Cell key = ix + nx * (iy + ny * iz) (x fastest).
struct CellGrid {
  Vec3 origin{0, 0, 0};         ///< lower corner of the bounding box (Å)
  Vec3 inv_cell_size{1, 1, 1};  ///< 1 / cell edge per axis (1/Å); 0 on a single-cell axis
  int dims[3] = {1, 1, 1};      ///< cells per axis

  int n_cells() const { return dims[0] * dims[1] * dims[2]; }

  /// Cell index along `axis` of coordinate x, clamped to the grid (so rounding at the upper
  /// face, or a point outside the bounding box, lands in the nearest edge cell).
  VITRUM_HD int cell_coord(double x, int axis) const {
    const double t = (x - origin[axis]) * inv_cell_size[axis];
    if (!(t >= 0.0)) return 0;
    if (t >= static_cast<double>(dims[axis])) return dims[axis] - 1;
    return static_cast<int>(t);
  }
  /// Cell key of a position.
  VITRUM_HD int cell_key(const Vec3& r) const {
    return cell_coord(r.x, 0) + dims[0] * (cell_coord(r.y, 1) + dims[1] * cell_coord(r.z, 2));
  }
};

/// Atoms of one set binned into a CellGrid.
struct CellBinning {
  CellGrid grid;
  std::vector<int> cell_of;     ///< cell key of each atom
  std::vector<int> cell_start;  ///< CSR offsets, size n_cells + 1: cell k holds
                                ///< cell_atoms[cell_start[k] .. cell_start[k+1])
  std::vector<int> cell_atoms;  ///< atom indices sorted by (cell key, index)
};

/// Grid over the bounding box of `positions` with every cell edge >= min_edge (Å) (a single cell
/// along an axis whose extent is smaller). When the box is sparse (more than max(64, 2 N) cells),
/// the edges are enlarged so the grid never needs more memory than the atoms do.
CellGrid make_cell_grid(const std::vector<Vec3>& positions, double min_edge);

/// The grid of make_cell_grid for a bounding box [lo, hi] of n points (the one sizing rule, also
/// used by the device neighbor list, which reduces the bounds on the device); throws for a
/// non-finite min_edge or bounds.
CellGrid cell_grid_from_bounds(const Vec3& lo, const Vec3& hi, long n, double min_edge);

/// Bins `positions` into `grid` (counting sort by cell key, O(N + cells)).
CellBinning bin_atoms(const std::vector<Vec3>& positions, const CellGrid& grid);

/// make_cell_grid followed by bin_atoms.
CellBinning bin_atoms(const std::vector<Vec3>& positions, double min_edge);

}  // namespace vitrum::neighbor
