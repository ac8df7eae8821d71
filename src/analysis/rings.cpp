/// \file rings.cpp
/// King and primitive rings by breadth-first searches in the unfolded periodic graph.
///
/// A node of the unfolded graph is (atom, lattice image), packed into one 64-bit key. Each thread
/// owns two search workspaces whose per-atom lookup arrays are stamped instead of cleared, so a
/// search costs only the nodes it reaches. Rings are stored canonically (translated so that the
/// first occurrence of the lowest atom is in image 0, rotated to start there, the smaller of the
/// two directions) and merged by sorting, so the result does not depend on the thread count.

#include "vitrum/analysis/rings.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "vitrum/core/error.hpp"

namespace vitrum::analysis {
namespace {

using Key = std::uint64_t;
constexpr Key kNoKey = std::numeric_limits<Key>::max();
constexpr int kImageOffset = 512;  // images within ±511 cells

Key pack(int atom, const LatticeImage& im) {
  return (static_cast<Key>(atom) << 30) | (static_cast<Key>(im[0] + kImageOffset) << 20) |
         (static_cast<Key>(im[1] + kImageOffset) << 10) | static_cast<Key>(im[2] + kImageOffset);
}
int key_atom(Key k) {
  return static_cast<int>(k >> 30);
}
LatticeImage key_image(Key k) {
  return {static_cast<int>((k >> 20) & 1023) - kImageOffset,
          static_cast<int>((k >> 10) & 1023) - kImageOffset,
          static_cast<int>(k & 1023) - kImageOffset};
}
Key shifted(Key k, const LatticeImage& a, int sign) {
  LatticeImage im = key_image(k);
  for (int d = 0; d < 3; ++d) {
    im[d] += sign * a[d];
    if (im[d] <= -kImageOffset || im[d] >= kImageOffset) {
      fail(
          "rings: a path reaches lattice image {} of the cell; the cell is too small for the "
          "ring size searched (lower the maximum ring size)",
          im[d]);
    }
  }
  return pack(key_atom(k), im);
}

/// Breadth-first search over the unfolded graph with the shortest-path parents of every node.
class Search {
 public:
  struct Options {
    int max_depth = 0;
    int min_atom = 0;              ///< atoms below this index are not entered
    Key excluded = kNoKey;         ///< node never entered
    const Key* targets = nullptr;  ///< stop once all are reached and their level is complete
    int n_targets = 0;
    bool stop_at_first = false;  ///< return as soon as one target is reached
  };

  explicit Search(int n_atoms) : head_(n_atoms, -1), stamp_(n_atoms, 0) {}

  /// Runs the search from `root`; returns the number of targets reached.
  int run(const BondGraph& g, Key root, const Options& o) {
    begin();
    add(root, 0, -1);
    int found = 0, target_depth = -1;
    for (int q = 0; q < size(); ++q) {
      const int d = dist[q];
      if (d >= o.max_depth) break;
      if (o.n_targets > 0 && found == o.n_targets && d >= target_depth) break;
      const int atom = key_atom(keys[q]);
      const LatticeImage im = key_image(keys[q]);
      for (int e = g.offsets[atom]; e < g.offsets[atom + 1]; ++e) {
        const int nb = g.neighbors[e];
        if (nb < o.min_atom) continue;
        const Key k = shifted(pack(nb, g.images[e]), im, 1);
        if (k == o.excluded) continue;
        const int idx = find(k);
        if (idx >= 0) {
          if (dist[idx] == d + 1) parents[idx].push_back(q);
          continue;
        }
        add(k, d + 1, q);
        if (std::find(o.targets, o.targets + o.n_targets, k) != o.targets + o.n_targets) {
          ++found;
          target_depth = d + 1;
          if (o.stop_at_first) return found;
        }
      }
    }
    return found;
  }

  int size() const { return n_; }
  int find(Key k) const {
    const int a = key_atom(k);
    if (stamp_[a] != cur_) return -1;
    for (int i = head_[a]; i >= 0; i = next_[i]) {
      if (keys[i] == k) return i;
    }
    return -1;
  }

  /// Every shortest path root → node, as node indices (root first).
  const std::vector<std::vector<int>>& paths(int node) {
    if (path_done_[node]) return path_cache_[node];
    std::vector<std::vector<int>>& out = path_cache_[node];
    out.clear();
    if (parents[node].empty()) {
      out.push_back({node});
    } else {
      for (int p : parents[node]) {
        for (const std::vector<int>& head : paths(p)) {
          out.push_back(head);
          out.back().push_back(node);
        }
      }
    }
    path_done_[node] = 1;
    return out;
  }

  std::vector<Key> keys;
  std::vector<int> dist;
  std::vector<std::vector<int>> parents;

 private:
  void begin() {
    if (++cur_ == std::numeric_limits<unsigned>::max()) {
      std::fill(stamp_.begin(), stamp_.end(), 0u);
      cur_ = 1;
    }
    n_ = 0;
  }
  void add(Key k, int d, int parent) {
    if (n_ == static_cast<int>(keys.size())) {
      keys.emplace_back();
      dist.emplace_back();
      parents.emplace_back();
      next_.emplace_back();
      path_cache_.emplace_back();
      path_done_.emplace_back();
    }
    const int a = key_atom(k);
    keys[n_] = k;
    dist[n_] = d;
    parents[n_].clear();
    if (parent >= 0) parents[n_].push_back(parent);
    path_done_[n_] = 0;
    next_[n_] = stamp_[a] == cur_ ? head_[a] : -1;
    head_[a] = n_;
    stamp_[a] = cur_;
    ++n_;
  }

  std::vector<int> head_;
  std::vector<unsigned> stamp_;
  std::vector<int> next_;
  std::vector<std::vector<std::vector<int>>> path_cache_;
  std::vector<char> path_done_;
  unsigned cur_ = 0;
  int n_ = 0;
};

std::vector<Key> canonical(const std::vector<Key>& ring) {
  const int n = static_cast<int>(ring.size());
  int lowest = std::numeric_limits<int>::max();
  for (Key k : ring) lowest = std::min(lowest, key_atom(k));
  std::vector<Key> best, seq(n);
  for (int p = 0; p < n; ++p) {
    if (key_atom(ring[p]) != lowest) continue;
    const LatticeImage t = key_image(ring[p]);
    for (int dir : {1, -1}) {
      for (int k = 0; k < n; ++k) seq[k] = shifted(ring[((p + dir * k) % n + n) % n], t, -1);
      if (best.empty() || seq < best) best = seq;
    }
  }
  return best;
}

/// True when every ring node is at graph distance floor(n/2) from its mid-node(s).
bool no_shortcut(const BondGraph& g, const std::vector<Key>& ring, Search& search) {
  const int n = static_cast<int>(ring.size());
  const int half = n / 2;
  const int pairs = n % 2 == 0 ? half : n;
  for (int a = 0; a < pairs; ++a) {
    Search::Options o;
    o.max_depth = half - 1;
    o.targets = &ring[(a + half) % n];
    o.n_targets = 1;
    o.stop_at_first = true;
    if (search.run(g, ring[a], o) > 0) return false;
  }
  return true;
}

struct Finder {
  const BondGraph& g;
  int max_atoms;
  std::vector<std::vector<Key>>* out;  // this thread's rings

  // Primitive rings whose lowest atom is s.
  void primitive_from(int s, Search& bfs, Search& check) {
    Search::Options o;
    o.max_depth = max_atoms / 2;
    o.min_atom = s;
    bfs.run(g, pack(s, {0, 0, 0}), o);
    std::set<std::vector<Key>> seen;
    auto consider = [&](const std::vector<int>& p, const std::vector<int>& q, int shared_end) {
      // p, q: shortest paths from the root; inner nodes 1..d-1 (even) or 1..d (odd) distinct.
      const int d = static_cast<int>(p.size()) - 1;
      for (int k = 1; k <= d - shared_end; ++k) {
        if (p[k] == q[k]) return;
      }
      std::vector<Key> ring;
      for (int k = 0; k <= d; ++k) ring.push_back(bfs.keys[p[k]]);
      for (int k = d - shared_end; k >= 1; --k) ring.push_back(bfs.keys[q[k]]);
      std::vector<Key> c = canonical(ring);
      if (!seen.insert(c).second) return;
      if (no_shortcut(g, c, check)) out->push_back(std::move(c));
    };
    for (int u = 1; u < bfs.size(); ++u) {
      const int d = bfs.dist[u];
      if (2 * d <= max_atoms && d >= 2 && bfs.parents[u].size() >= 2) {
        const auto paths = bfs.paths(u);
        for (std::size_t a = 0; a < paths.size(); ++a) {
          for (std::size_t b = a + 1; b < paths.size(); ++b) consider(paths[a], paths[b], 1);
        }
      }
      if (2 * d + 1 > max_atoms) continue;
      const int atom = key_atom(bfs.keys[u]);
      const LatticeImage im = key_image(bfs.keys[u]);
      for (int e = g.offsets[atom]; e < g.offsets[atom + 1]; ++e) {
        const int v = bfs.find(shifted(pack(g.neighbors[e], g.images[e]), im, 1));
        if (v <= u || bfs.dist[v] != d) continue;
        const auto pu = bfs.paths(u);
        const auto& pv = bfs.paths(v);
        for (const auto& p : pu) {
          for (const auto& q : pv) consider(p, q, 0);
        }
      }
    }
  }

  // King rings through node i; returns (pairs, pairs without a ring).
  std::pair<int, int> king_at(int i, Search& bfs) {
    const Key root = pack(i, {0, 0, 0});
    std::vector<Key> nb;
    for (int e = g.offsets[i]; e < g.offsets[i + 1]; ++e)
      nb.push_back(pack(g.neighbors[e], g.images[e]));
    int pairs = 0, missing = 0;
    for (std::size_t a = 0; a + 1 < nb.size(); ++a) {
      Search::Options o;
      o.max_depth = max_atoms - 2;
      o.excluded = root;
      o.targets = &nb[a + 1];
      o.n_targets = static_cast<int>(nb.size() - a - 1);
      bfs.run(g, nb[a], o);
      for (std::size_t b = a + 1; b < nb.size(); ++b) {
        ++pairs;
        const int t = bfs.find(nb[b]);
        if (t < 0) {
          ++missing;
          continue;
        }
        for (const std::vector<int>& path : bfs.paths(t)) {
          std::vector<Key> ring{root};
          for (int node : path) ring.push_back(bfs.keys[node]);
          out->push_back(canonical(ring));
        }
      }
    }
    return {pairs, missing};
  }
};

std::vector<Ring> to_rings(std::vector<std::vector<Key>>& all, const BondGraph& g, int count_z) {
  std::sort(all.begin(), all.end(), [](const std::vector<Key>& a, const std::vector<Key>& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<Ring> rings(all.size());
  for (std::size_t r = 0; r < all.size(); ++r) {
    for (Key k : all[r]) {
      const int a = key_atom(k);
      rings[r].atoms.push_back(a);
      rings[r].images.push_back(key_image(k));
      rings[r].size += count_z == 0 || g.species[a] == count_z;
    }
  }
  return rings;
}

}  // namespace

RingSet find_rings(const BondGraph& input, const RingParams& params) {
  if (params.max_size < 3 || params.max_size > 60) {
    fail("rings: the maximum ring size must be between 3 and 60, got {}", params.max_size);
  }
  const BondGraph g =
      params.count_species != 0 ? alternating_subgraph(input, params.count_species) : input;
  const int n = g.n_atoms();
  const int max_atoms = params.count_species != 0 ? 2 * params.max_size : params.max_size;
  const int threads = omp_get_max_threads();
  std::vector<std::vector<std::vector<Key>>> king(threads), prim(threads);
  std::uint64_t pairs = 0, missing = 0;
#pragma omp parallel reduction(+ : pairs, missing)
  {
    const int t = omp_get_thread_num();
    Search bfs(n), check(n);
    Finder king_finder{g, max_atoms, &king[t]};
    Finder prim_finder{g, max_atoms, &prim[t]};
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n; ++i) {
      if (params.king) {
        const auto [p, m] = king_finder.king_at(i, bfs);
        pairs += p;
        missing += m;
      }
      if (params.primitive) prim_finder.primitive_from(i, bfs, check);
    }
  }
  auto merge = [](std::vector<std::vector<std::vector<Key>>>& parts) {
    std::vector<std::vector<Key>> all;
    for (auto& part : parts) {
      for (auto& r : part) all.push_back(std::move(r));
      part.clear();
    }
    return all;
  };
  RingSet set;
  auto king_all = merge(king);
  auto prim_all = merge(prim);
  set.king = to_rings(king_all, g, params.count_species);
  set.primitive = to_rings(prim_all, g, params.count_species);
  set.king_pairs = pairs;
  set.king_pairs_no_ring = missing;
  return set;
}

double RingResult::mean_count(const RingCounts& c, int n) const {
  if (n_frames == 0) return std::numeric_limits<double>::quiet_NaN();
  return n >= 0 && n < static_cast<int>(c.count.size()) ? static_cast<double>(c.count[n]) / n_frames
                                                        : 0.0;
}

double RingResult::size_fraction(const RingCounts& c, int n) const {
  double total = 0.0;
  for (auto v : c.count) total += static_cast<double>(v);
  if (total == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return n >= 0 && n < static_cast<int>(c.count.size()) ? c.count[n] / total : 0.0;
}

RingAccumulator::RingAccumulator(std::vector<int> species, std::vector<BondSpec> bonds,
                                 RingParams params)
    : species_(std::move(species)), bonds_(std::move(bonds)) {
  result_.params = params;
  if (params.count_species != 0 &&
      std::find(species_.begin(), species_.end(), params.count_species) == species_.end()) {
    fail("rings: the structure has no atoms of the counted species (Z = {})", params.count_species);
  }
  for (int z : species_)
    result_.n_counted += params.count_species == 0 || z == params.count_species;
  for (RingCounts* c : {&result_.king, &result_.primitive}) {
    c->count.assign(params.max_size + 1, 0);
    c->per_node.assign(params.max_size + 1, 0.0);
    c->node_fraction.assign(params.max_size + 1, 0.0);
  }
}

void RingAccumulator::add_frame(const Box& box, const std::vector<Vec3>& positions) {
  const BondGraph g = build_bond_graph(box, positions, species_, bonds_);
  const RingSet set = find_rings(g, result_.params);
  const int cz = result_.params.count_species;
  const double nc = result_.n_counted;
  auto add = [&](const std::vector<Ring>& rings, RingCounts& c) {
    std::vector<std::vector<char>> in_ring(c.count.size());
    for (const Ring& r : rings) {
      if (r.size >= static_cast<int>(c.count.size())) continue;
      ++c.count[r.size];
      auto& mark = in_ring[r.size];
      if (mark.empty()) mark.assign(species_.size(), 0);
      for (int a : r.atoms) {
        if (cz != 0 && species_[a] != cz) continue;
        c.per_node[r.size] += 1.0 / nc;
        mark[a] = 1;
      }
    }
    for (std::size_t s = 0; s < in_ring.size(); ++s) {
      std::size_t m = 0;
      for (char v : in_ring[s]) m += v;
      c.node_fraction[s] += m / nc;
    }
  };
  add(set.king, result_.king);
  add(set.primitive, result_.primitive);
  result_.king_pairs += set.king_pairs;
  result_.king_pairs_no_ring += set.king_pairs_no_ring;
  ++result_.n_frames;
}

}  // namespace vitrum::analysis
