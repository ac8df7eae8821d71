#pragma once
/// \file neighbor_gather.hpp
/// Host-side gathering of one atom's neighbors into the layout the symmetry-function math
/// expects (structure of arrays, filtered to the element's cutoff, sorted by element), plus the
/// per-thread scratch the CPU evaluator and the trainer share. `entry[m]` is the neighbor-list
/// entry (index into list.neighbors) of gathered neighbor m.

#include <algorithm>
#include <cmath>
#include <vector>

#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"
#include "vitrum/nnp/math/symmetry_function.hpp"

namespace vitrum::nnp {

/// Per-thread scratch for one atom's neighbors (sorted by element), slot cache, workspace and
/// gradients (grown, never shrunk).
template <typename T>
struct NeighborScratch {
  std::vector<T> dx, dy, dz, r, z, val, der, gx, gy, gz, work;
  std::vector<int> elem, entry, elem_begin, fill;
  std::vector<double> rr;  // distances of the unsorted candidates
  void reserve(const SfPlanView& p, int n) {
    if (static_cast<int>(dx.size()) < n) {
      for (auto* v : {&dx, &dy, &dz, &r, &z, &gx, &gy, &gz}) v->resize(n);
      elem.resize(n);
      entry.resize(n);
      rr.resize(n);
    }
    const size_t slots = static_cast<size_t>(std::max(1, p.max_slots));
    if (val.size() < static_cast<size_t>(n) * slots) {
      val.resize(static_cast<size_t>(n) * slots);
      der.resize(static_cast<size_t>(n) * slots);
    }
    if (work.size() < static_cast<size_t>(sf_workspace_size(p, n)))
      work.resize(sf_workspace_size(p, n));
    elem_begin.resize(p.n_elements + 1);
    fill.resize(p.n_elements + 1);
  }
  AtomNeighbors<T> view(int n) const {
    return {n, dx.data(), dy.data(), dz.data(), r.data(), elem.data(), z.data(), elem_begin.data()};
  }
};

/// Collects the neighbors of atom i within its element's largest cutoff, sorted by element
/// (stable: list order within an element), into the scratch; returns their number.
template <typename T>
int gather_neighbors(const SfPlanView& p, const neighbor::GhostShell& shell,
                     const neighbor::NeighborList& list, const std::vector<int>& elem,
                     double inv_length, int i, NeighborScratch<T>& s, double& dmin) {
  const int e = elem[i];
  const double rmax = p.elem_rmax[e];
  const int b = list.offsets[i], end = list.offsets[i + 1];
  s.reserve(p, end - b);
  const Vec3 ri = shell.positions[i];
  const int ne = p.n_elements;
  for (int x = 0; x <= ne; ++x) s.elem_begin[x] = 0;
  // Pass 1: distances and per-element counts.
  for (int q = b; q < end; ++q) {
    const int j = list.neighbors[q];
    const Vec3 d = inv_length * (shell.positions[j] - ri);
    const double r = std::sqrt(dot(d, d));
    s.rr[q - b] = r;
    dmin = std::min(dmin, r);
    if (r < rmax) ++s.elem_begin[elem[j] + 1];
  }
  for (int x = 0; x < ne; ++x) s.elem_begin[x + 1] += s.elem_begin[x];
  for (int x = 0; x <= ne; ++x) s.fill[x] = s.elem_begin[x];
  // Pass 2: place.
  for (int q = b; q < end; ++q) {
    const double r = s.rr[q - b];
    if (r >= rmax) continue;
    const int j = list.neighbors[q];
    const int m = s.fill[elem[j]]++;
    const Vec3 d = inv_length * (shell.positions[j] - ri);
    s.dx[m] = static_cast<T>(d.x);
    s.dy[m] = static_cast<T>(d.y);
    s.dz[m] = static_cast<T>(d.z);
    s.r[m] = static_cast<T>(r);
    s.elem[m] = elem[j];
    s.z[m] = static_cast<T>(shell.species[j]);
    s.entry[m] = q;
  }
  return s.elem_begin[ne];
}

}  // namespace vitrum::nnp
