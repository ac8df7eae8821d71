/// \file network.cpp
/// Bond graph from per-pair cutoffs over explicit periodic images; Qn speciation.

#include "vitrum/analysis/network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "vitrum/core/elements.hpp"
#include "vitrum/core/error.hpp"
#include "vitrum/neighbor/ghosts.hpp"
#include "vitrum/neighbor/neighbor_list.hpp"

namespace vitrum::analysis {

BondGraph build_bond_graph(const Box& box, const std::vector<Vec3>& positions,
                           const std::vector<int>& species, const std::vector<BondSpec>& bonds) {
  if (positions.size() != species.size()) {
    fail("bond graph: {} positions for {} atoms", positions.size(), species.size());
  }
  if (bonds.empty()) fail("bond graph: no bonds given (expected A-B:CUTOFF, e.g. Si-O:2.0)");
  std::map<std::pair<int, int>, double> cutoff;
  double max_cutoff = 0.0;
  for (const BondSpec& b : bonds) {
    if (!(b.cutoff > 0.0) || !std::isfinite(b.cutoff)) {
      fail("bond {}: the cutoff must be a finite distance > 0 Å, got {}", bond_name(b), b.cutoff);
    }
    for (auto key : {std::make_pair(b.center, b.neighbor), std::make_pair(b.neighbor, b.center)}) {
      double& c = cutoff[key];
      c = std::max(c, b.cutoff);
    }
    max_cutoff = std::max(max_cutoff, b.cutoff);
  }
  BondGraph g;
  g.species = species;
  const int n = static_cast<int>(species.size());
  g.offsets.assign(n + 1, 0);
  if (n == 0) return g;
  const neighbor::GhostShell shell =
      neighbor::build_ghost_shell(box, positions, species, max_cutoff);
  const neighbor::NeighborList list = neighbor::build_neighbor_list(shell, max_cutoff, 0.0);
  // Per-pair squared cutoffs in a dense table over the species present.
  std::vector<int> types;
  for (int z : species) {
    if (std::find(types.begin(), types.end(), z) == types.end()) types.push_back(z);
  }
  const int nt = static_cast<int>(types.size());
  std::vector<double> rc2(nt * nt, -1.0);
  std::vector<int> type_of(n);
  for (int i = 0; i < n; ++i) {
    type_of[i] =
        static_cast<int>(std::find(types.begin(), types.end(), species[i]) - types.begin());
  }
  for (int a = 0; a < nt; ++a) {
    for (int b = 0; b < nt; ++b) {
      const auto it = cutoff.find({types[a], types[b]});
      if (it != cutoff.end()) rc2[a * nt + b] = it->second * it->second;
    }
  }
  std::vector<std::vector<int>> edge_shell(n);
#pragma omp parallel for schedule(dynamic, 512) if (n > 5000)
  for (int i = 0; i < n; ++i) {
    for (int p = list.offsets[i]; p < list.offsets[i + 1]; ++p) {
      const int j = list.neighbors[p];
      const double c2 = rc2[type_of[i] * nt + type_of[shell.owner[j]]];
      if (c2 < 0.0) continue;
      const Vec3 d = shell.positions[j] - shell.positions[i];
      if (dot(d, d) < c2) edge_shell[i].push_back(j);
    }
  }
  for (int i = 0; i < n; ++i)
    g.offsets[i + 1] = g.offsets[i] + static_cast<int>(edge_shell[i].size());
  g.neighbors.resize(g.offsets[n]);
  g.images.resize(g.offsets[n]);
  for (int i = 0; i < n; ++i) {
    int e = g.offsets[i];
    for (int j : edge_shell[i]) {
      g.neighbors[e] = shell.owner[j];
      LatticeImage img{0, 0, 0};
      if (box.periodic && j >= shell.n_local) {
        const Vec3 s = box.to_fractional(shell.shift[j]);
        for (int d = 0; d < 3; ++d) img[d] = static_cast<int>(std::lround(s[d]));
      }
      g.images[e++] = img;
    }
  }
  return g;
}

BondGraph alternating_subgraph(const BondGraph& graph, int z) {
  BondGraph g;
  g.species = graph.species;
  const int n = graph.n_atoms();
  g.offsets.assign(n + 1, 0);
  for (int i = 0; i < n; ++i) {
    const bool zi = graph.species[i] == z;
    for (int e = graph.offsets[i]; e < graph.offsets[i + 1]; ++e) {
      if ((graph.species[graph.neighbors[e]] == z) == zi) continue;
      g.neighbors.push_back(graph.neighbors[e]);
      g.images.push_back(graph.images[e]);
    }
    g.offsets[i + 1] = static_cast<int>(g.neighbors.size());
  }
  return g;
}

void accumulate_qn(const BondGraph& graph, QnResult& acc) {
  const int n = graph.n_atoms();
  std::vector<int> formers_of(n, 0);  // for X atoms: bonded formers
  for (int i = 0; i < n; ++i) {
    if (graph.species[i] != acc.bridge) continue;
    for (int e = graph.offsets[i]; e < graph.offsets[i + 1]; ++e) {
      formers_of[i] += graph.species[graph.neighbors[e]] == acc.former;
    }
    const auto k = static_cast<std::size_t>(formers_of[i]);
    if (k >= acc.x_by_formers.size()) acc.x_by_formers.resize(k + 1, 0);
    ++acc.x_by_formers[k];
  }
  for (int i = 0; i < n; ++i) {
    if (graph.species[i] != acc.former) continue;
    std::size_t bridging = 0;
    for (int e = graph.offsets[i]; e < graph.offsets[i + 1]; ++e) {
      const int j = graph.neighbors[e];
      bridging += graph.species[j] == acc.bridge && formers_of[j] >= 2;
    }
    if (bridging >= acc.qn.size()) acc.qn.resize(bridging + 1, 0);
    ++acc.qn[bridging];
  }
  ++acc.n_frames;
}

std::uint64_t QnResult::n_formers() const {
  std::uint64_t s = 0;
  for (auto c : qn) s += c;
  return s;
}

std::uint64_t QnResult::n_bridge_atoms() const {
  std::uint64_t s = 0;
  for (auto c : x_by_formers) s += c;
  return s;
}

double QnResult::qn_fraction(int n) const {
  const double total = static_cast<double>(n_formers());
  if (total == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return n >= 0 && n < static_cast<int>(qn.size()) ? qn[n] / total : 0.0;
}

namespace {
double x_share(const QnResult& r, std::size_t lo, std::size_t hi) {
  const double total = static_cast<double>(r.n_bridge_atoms());
  if (total == 0.0) return std::numeric_limits<double>::quiet_NaN();
  double s = 0.0;
  for (std::size_t k = lo; k < std::min(hi, r.x_by_formers.size()); ++k) s += r.x_by_formers[k];
  return s / total;
}
}  // namespace

double QnResult::nbo_fraction() const {
  return x_share(*this, 1, 2);
}
double QnResult::bridging_fraction() const {
  return x_share(*this, 2, SIZE_MAX);
}
double QnResult::free_fraction() const {
  return x_share(*this, 0, 1);
}

}  // namespace vitrum::analysis
