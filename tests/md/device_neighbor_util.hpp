#pragma once
// Test helpers for the device neighbor list (vitrum/neighbor/device_neighbor.hpp): one build on
// a space from host positions, brought back to the host (the test's own transfers) in the
// layout of the host build (neighbor::GhostShell, neighbor::NeighborList), and the pairs of a
// list as (atom, image owner, integer cell vector of the image), independent of atom order.
#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <vector>

#include "vitrum/core/exec_space.hpp"
#include "vitrum/neighbor/device_neighbor.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::test {

struct DeviceBuild {
  std::vector<Vec3> wrapped;              ///< locals after the wrap (device order)
  std::vector<std::array<int, 3>> image;  ///< image counts after the wrap (device order)
  std::vector<int> origin;                ///< input index of each device slot
  neighbor::GhostShell shell;
  std::vector<std::array<int, 3>> ghost_image;
  neighbor::NeighborList list;
  std::vector<int> count;  ///< row lengths
  neighbor::DeviceListView view;
  neighbor::DeviceNeighborStats stats;
};

template <class T>
std::vector<T> down(exec::Space& s, const T* d, std::size_t n) {
  std::vector<T> h(n);
  if (n > 0) s.to_host(h.data(), d, n * sizeof(T), "test");
  return h;
}

inline DeviceBuild device_build(exec::Space& space, const Box& box, const std::vector<Vec3>& pos,
                                const std::vector<int>& species, double cutoff, double skin,
                                bool reorder) {
  const long n = static_cast<long>(pos.size());
  auto nl = neighbor::make_device_neighbor(space);
  exec::DeviceBuffer<Vec3> d_pos(space);
  exec::DeviceBuffer<int> d_species(space), d_origin(space);
  exec::DeviceBuffer<std::array<int, 3>> d_image(space);
  std::vector<int> origin(pos.size());
  for (long i = 0; i < n; ++i) origin[i] = static_cast<int>(i);
  std::vector<std::array<int, 3>> image(pos.size(), {0, 0, 0});
  d_pos.upload(pos.data(), pos.size(), "test");
  d_species.upload(species.data(), species.size(), "test");
  d_origin.upload(origin.data(), origin.size(), "test");
  d_image.upload(image.data(), image.size(), "test");
  nl->wrap(box, cutoff + skin, n, d_pos.data(), d_image.data());
  if (reorder) {
    nl->sort_order(box, cutoff + skin, n, d_pos.data(), d_origin.data());
    nl->permute(d_pos.data());
    nl->permute(d_species.data());
    nl->permute(d_origin.data());
    nl->permute(d_image.data());
  }
  neighbor::DeviceRebuildInput in;
  in.box = box;
  in.cutoff = cutoff;
  in.skin = skin;
  nl->build(in, n, d_pos.data(), d_species.data());
  DeviceBuild b;
  b.wrapped = down(space, d_pos.data(), pos.size());
  b.image = down(space, d_image.data(), pos.size());
  b.origin = down(space, d_origin.data(), pos.size());
  const neighbor::DeviceShellView sh = nl->shell();
  const neighbor::DeviceListView l = nl->list();
  b.shell.n_local = sh.n_local;
  b.shell.width = sh.width;
  b.shell.positions = down(space, sh.positions, sh.n_all);
  b.shell.species = down(space, sh.species, sh.n_all);
  b.shell.owner = down(space, sh.owner, sh.n_all);
  b.shell.shift = down(space, sh.shift, sh.n_all);
  b.ghost_image = down(space, sh.ghost_image, sh.n_all - sh.n_local);
  b.list.cutoff = l.cutoff;
  b.list.skin = l.skin;
  b.list.offsets = down(space, l.offsets, l.n_local + 1);
  b.list.neighbors = down(space, l.neighbors, l.entries);
  b.count = down(space, l.count, l.n_local);
  b.view = l;
  b.stats = nl->stats();
  return b;
}

using Pair = std::tuple<int, int, int, int, int>;  // i, owner of j, image of j (a, b, c)

/// The pairs of a host shell/list, atoms named by `origin` (identity when empty).
inline std::vector<Pair> pairs_of(const Box& box, const neighbor::GhostShell& sh,
                                  const neighbor::NeighborList& l,
                                  const std::vector<int>& origin = {}) {
  auto name = [&](int i) { return origin.empty() ? i : origin[i]; };
  std::vector<Pair> p;
  for (int i = 0; i < l.n_local(); ++i)
    for (int e = l.offsets[i]; e < l.offsets[i + 1]; ++e) {
      const int j = l.neighbors[e];
      int img[3] = {0, 0, 0};
      if (box.periodic) {
        const Vec3 s = box.to_fractional(sh.shift[j]);
        for (int a = 0; a < 3; ++a) img[a] = static_cast<int>(std::lround(s[a]));
      }
      p.emplace_back(name(i), name(sh.owner[j]), img[0], img[1], img[2]);
    }
  std::sort(p.begin(), p.end());
  return p;
}

/// Mean |i - j| over the pairs of locals (a locality measure of the atom order).
inline double mean_index_distance(const neighbor::NeighborList& l) {
  double s = 0;
  long c = 0;
  for (int i = 0; i < l.n_local(); ++i)
    for (int e = l.offsets[i]; e < l.offsets[i + 1]; ++e)
      if (l.neighbors[e] < l.n_local()) {
        s += std::abs(l.neighbors[e] - i);
        ++c;
      }
  return c > 0 ? s / c : 0.0;
}

}  // namespace vitrum::test
