#pragma once
/// \file device_nlist.hpp
/// The kernels of the device neighbor-list build (vitrum/neighbor/device_neighbor.hpp) as
/// single-source functors over an index: the emulated device runs them in host loops
/// (exec::HostLauncher), CUDA one thread per index (exec::CudaLauncher). Each writes only its
/// own entries, so the result does not depend on the thread count or the launch shape.
///
/// The arithmetic of the wrap, the image slab test and the pair distance is the host build's
/// (neighbor/ghosts.cpp, neighbor/neighbor_list.cpp) term for term, so without the
/// space-filling-curve sort the device shell and list equal the host's entry for entry.

#include <array>
#include <cmath>
#include <cstdint>

#include "vitrum/core/hd.hpp"
#include "vitrum/core/vec3.hpp"
#include "vitrum/neighbor/cell_list.hpp"

namespace vitrum::neighbor::device_nl {

/// Fractional tolerance of the slab test (as neighbor/ghosts.cpp).
constexpr double kSlabTolerance = 1e-10;

/// The cell geometry a kernel needs, prepared on the host: s_d = dot(r, recip[d]) * inv_volume
/// (Box::to_fractional's expression), the cell vectors and the slab half-widths m_d = w / H_d.
struct CellGeom {
  Vec3 recip[3];  ///< b×c, c×a, a×b
  double inv_volume = 0.0;
  Vec3 h[3];
  double m[3] = {0, 0, 0};
  VITRUM_HD Vec3 fractional(const Vec3& r) const {
    return {dot(r, recip[0]) * inv_volume, dot(r, recip[1]) * inv_volume,
            dot(r, recip[2]) * inv_volume};
  }
};

/// Round half away from zero, as std::lround.
VITRUM_HD int round_int(double x) {
  using std::floor;
  return static_cast<int>(x >= 0.0 ? floor(x + 0.5) : -floor(-x + 0.5));
}

/// Wraps atom i into the cell (as build_ghost_shell), updates its image counts (as the engine's
/// rebuild: image += round(s(r_old - r_new))), and stores its image range per direction
/// [lo_d, hi_d] (range[6 i + 2 d], range[6 i + 2 d + 1]). bad[i] = 1 for a non-finite position.
struct Wrap {
  Vec3* pos;
  std::array<int, 3>* image;
  int* range;
  int* bad;
  CellGeom g;
  VITRUM_HD void operator()(long i) const {
    using std::ceil;
    using std::floor;
    const Vec3 old = pos[i];
    const Vec3 s = g.fractional(old);
    Vec3 r = old;
    int flag = 0;
    for (int d = 0; d < 3; ++d) {
      const double cell = floor(s[d]);
      if (cell != 0.0) r -= cell * g.h[d];
      const double sd = s[d] - cell;
      if (!(sd - sd == 0.0)) flag = 1;  // not finite
      const double lo = ceil(-g.m[d] - kSlabTolerance - sd);
      const double hi = floor(1.0 + g.m[d] + kSlabTolerance - sd);
      range[6 * i + 2 * d] = flag ? 0 : static_cast<int>(lo);
      range[6 * i + 2 * d + 1] = flag ? -1 : static_cast<int>(hi);
    }
    bad[i] = flag;
    if (flag) return;
    pos[i] = r;
    const Vec3 dn = g.fractional(old - r);
    for (int a = 0; a < 3; ++a) image[i][a] += round_int(dn[a]);
  }
};

/// Reduction term: (-lo_a, -lo_b, -lo_c, hi_a, hi_b, hi_c) of atom i's ranges (max-reduced).
struct RangeTerm {
  const int* range;
  VITRUM_HD void operator()(long i, double* out) const {
    for (int d = 0; d < 3; ++d) {
      out[d] = -static_cast<double>(range[6 * i + 2 * d]);
      out[3 + d] = static_cast<double>(range[6 * i + 2 * d + 1]);
    }
  }
};

/// flag[k n + i] = 1 when image k of atom i lies in atom i's slab range.
struct ImageFlag {
  const int* range;
  const std::array<int, 3>* images;
  long n;
  int* flag;
  VITRUM_HD void operator()(long e) const {
    const long k = e / n, i = e % n;
    const int* rg = range + 6 * i;
    int in = 1;
    for (int d = 0; d < 3; ++d)
      if (images[k][d] < rg[2 * d] || images[k][d] > rg[2 * d + 1]) in = 0;
    flag[e] = in;
  }
};

/// The ghosts of one image k, in the host shell's order (image layer by layer, atoms ascending):
/// ghost n + base[k] + slot[i] for every flagged atom i (flag and slot
/// over the n atoms for this image only; base: each image's first ghost, on the device).
struct GhostFillImage {
  const int* flag;
  const int* slot;
  const int* base;
  int k;
  std::array<int, 3> image;
  Vec3 image_shift;
  long n;
  Vec3* pos;
  int* species;
  int* owner;
  Vec3* shift;
  std::array<int, 3>* ghost_image;
  VITRUM_HD void operator()(long i) const {
    if (!flag[i]) return;
    const long g = n + base[k] + slot[i];
    pos[g] = pos[i] + image_shift;
    species[g] = species[i];
    owner[g] = static_cast<int>(i);
    shift[g] = image_shift;
    ghost_image[g - n] = image;
  }
};

/// out[k] = in[n] (the total of one image's scan into the per-image counts).
struct CopyTotal {
  const int* in;
  long n;
  int* out;
  int k;
  VITRUM_HD void operator()(long) const { out[k] = in[n]; }
};

/// owner[i] = i, shift[i] = 0 for the locals.
struct LocalIdentity {
  int* owner;
  Vec3* shift;
  VITRUM_HD void operator()(long i) const {
    owner[i] = static_cast<int>(i);
    shift[i] = Vec3{0, 0, 0};
  }
};

/// Reduction term: (-x, -y, -z, x, y, z) of position i (max-reduced to the bounding box).
struct BoundsTerm {
  const Vec3* pos;
  VITRUM_HD void operator()(long i, double* out) const {
    out[0] = -pos[i].x;
    out[1] = -pos[i].y;
    out[2] = -pos[i].z;
    out[3] = pos[i].x;
    out[4] = pos[i].y;
    out[5] = pos[i].z;
  }
};

/// key[i] = cell key of position i, index[i] = i (the values of the stable sort by key).
struct BinKey {
  const Vec3* pos;
  CellGrid grid;
  int* key;
  int* index;
  VITRUM_HD void operator()(long i) const {
    key[i] = grid.cell_key(pos[i]);
    index[i] = static_cast<int>(i);
  }
};

/// cell_start[c] = first sorted entry with key >= c (lower bound), c <= n_cells.
struct CellStart {
  const int* sorted_key;
  long n;
  int* cell_start;
  VITRUM_HD void operator()(long c) const {
    long lo = 0, hi = n;
    while (lo < hi) {
      const long mid = (lo + hi) / 2;
      if (sorted_key[mid] < c) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    cell_start[c] = static_cast<int>(lo);
  }
};

/// dst[p] = src[index[p]].
template <class T>
struct Gather {
  const T* src;
  const int* index;
  T* dst;
  VITRUM_HD void operator()(long p) const { dst[p] = src[index[p]]; }
};

/// The Verlet-list search of local i over the 27 cells around it, in two passes over the same
/// loop: without `offsets` it only counts the pairs within sqrt(r2) into count[i]; with the CSR
/// offsets (the exclusive scan of those counts) it writes the row into
/// neighbors[offsets[i], offsets[i + 1]) and sorts it ascending by shell index. The list is never
/// truncated and there is no padded copy (one CSR array: what the force-field kernels read).
struct Search {
  const Vec3* pos;         ///< shell positions
  const Vec3* sorted_pos;  ///< positions in cell order
  const int* cell_atoms;   ///< shell index of each cell-ordered entry
  const int* cell_start;
  CellGrid grid;
  double r2;
  const int* offsets;  ///< null: count pass
  int* neighbors;      ///< CSR entries (fill pass)
  int* count;          ///< per-atom counts (count pass)
  VITRUM_HD void operator()(long i) const {
    const Vec3 ri = pos[i];
    int* row = offsets ? neighbors + offsets[i] : nullptr;
    const int cx = grid.cell_coord(ri.x, 0), cy = grid.cell_coord(ri.y, 1),
              cz = grid.cell_coord(ri.z, 2);
    const int x0 = cx > 0 ? cx - 1 : 0;
    const int x1 = cx + 1 < grid.dims[0] ? cx + 1 : grid.dims[0] - 1;
    int c = 0;
    for (int z = cz > 0 ? cz - 1 : 0; z <= (cz + 1 < grid.dims[2] ? cz + 1 : cz); ++z) {
      for (int y = cy > 0 ? cy - 1 : 0; y <= (cy + 1 < grid.dims[1] ? cy + 1 : cy); ++y) {
        const int base = grid.dims[0] * (y + grid.dims[1] * z);
        const int p1 = cell_start[base + x1 + 1];
        for (int p = cell_start[base + x0]; p < p1; ++p) {
          const int j = cell_atoms[p];
          if (j == i) continue;
          const double dx = sorted_pos[p].x - ri.x;
          const double dy = sorted_pos[p].y - ri.y;
          const double dz = sorted_pos[p].z - ri.z;
          if (dx * dx + dy * dy + dz * dz < r2) {
            if (row) row[c] = j;
            ++c;
          }
        }
      }
    }
    if (!row) {
      count[i] = c;
      return;
    }
    for (int a = 1; a < c; ++a) {  // insertion sort of the row (ascending shell index)
      const int v = row[a];
      int b = a - 1;
      while (b >= 0 && row[b] > v) {
        row[b + 1] = row[b];
        --b;
      }
      row[b + 1] = v;
    }
  }
};

/// Reduction term: the count of atom i (max-reduced: the longest row).
struct CountTerm {
  const int* count;
  VITRUM_HD void operator()(long i, double* out) const { out[0] = count[i]; }
};

/// Reduction term: minus the smallest squared pair distance of atom i (max-reduced: -min d²).
struct MinDistanceTerm {
  const Vec3* pos;
  const int* offsets;
  const int* neighbors;
  VITRUM_HD void operator()(long i, double* out) const {
    double m = 1.7976931348623157e308;
    for (int e = offsets[i]; e < offsets[i + 1]; ++e) {
      const Vec3 d = pos[neighbors[e]] - pos[i];
      const double d2 = dot(d, d);
      if (d2 < m) m = d2;
    }
    out[0] = -m;
  }
};

/// Interleaves the low 10 bits of x, y, z (x lowest): a 30-bit Morton code.
VITRUM_HD std::uint64_t morton3(std::uint32_t x, std::uint32_t y, std::uint32_t z) {
  std::uint64_t code = 0;
  for (int b = 0; b < 10; ++b) {
    code |= static_cast<std::uint64_t>((x >> b) & 1u) << (3 * b);
    code |= static_cast<std::uint64_t>((y >> b) & 1u) << (3 * b + 1);
    code |= static_cast<std::uint64_t>((z >> b) & 1u) << (3 * b + 2);
  }
  return code;
}

/// Space-filling-curve key of local atom i: the Morton code of its cell in a grid of
/// dims[d] cells along each cell vector (fractional coordinates of the wrapped position), made
/// unique by the atom's original index, so the order depends on positions alone (not on the
/// order before the sort) and a restart replays it exactly. index[i] = i.
struct SfcKey {
  const Vec3* pos;
  const int* origin;
  CellGeom g;
  int dims[3];
  std::uint64_t* key;
  int* index;
  VITRUM_HD void operator()(long i) const {
    const Vec3 s = g.fractional(pos[i]);
    std::uint32_t c[3];
    for (int d = 0; d < 3; ++d) {
      double t = s[d] * dims[d];
      if (!(t >= 0.0)) t = 0.0;
      int k = static_cast<int>(t);
      if (k >= dims[d]) k = dims[d] - 1;
      c[d] = static_cast<std::uint32_t>(k);
    }
    key[i] = (morton3(c[0], c[1], c[2]) << 32) | static_cast<std::uint32_t>(origin[i]);
    index[i] = static_cast<int>(i);
  }
};

/// dst[origin[k]] = src[k]: back to the original order.
template <class T>
struct Scatter {
  const T* src;
  const int* origin;
  T* dst;
  VITRUM_HD void operator()(long k) const { dst[origin[k]] = src[k]; }
};

}  // namespace vitrum::neighbor::device_nl
