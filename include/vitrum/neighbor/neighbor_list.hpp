#pragma once
/// \file neighbor_list.hpp
/// Full Verlet neighbor list of the local atoms of a GhostShell, built through a cell list
/// (bins of edge >= cutoff + skin over the bounding box of locals and ghosts). CSR layout: the
/// neighbors of local atom i are neighbors[offsets[i] .. offsets[i+1]), indices into the shell's
/// arrays (locals and ghosts), in ascending index order (deterministic). A neighbor is every
/// other entry j != i with |r_i - r_j| < cutoff + skin; the list is reused until some local atom
/// moved more than skin/2 since it was built.

#include <cstdint>
#include <vector>

#include "vitrum/neighbor/ghosts.hpp"

namespace vitrum::neighbor {

struct NeighborList {
  double cutoff = 0.0;
  double skin = 0.0;
  std::vector<int> offsets;               ///< size n_local + 1
  std::vector<int> neighbors;             ///< size offsets.back()
  std::vector<Vec3> reference_positions;  ///< local positions when the list was built
  /// Unique per call of build_neighbor_list (never 0); 0 for a list filled by hand. A consumer
  /// may key data derived from the list's entries on it (a list is not edited after building).
  std::uint64_t build_id = 0;

  int n_local() const { return offsets.empty() ? 0 : static_cast<int>(offsets.size()) - 1; }
  int max_neighbors() const;
};

/// Builds the list for the locals of `shell`; requires shell.width >= cutoff + skin.
NeighborList build_neighbor_list(const GhostShell& shell, double cutoff, double skin);

/// True when any local atom moved more than skin/2 since the list was built.
bool needs_rebuild(const NeighborList& list, const std::vector<Vec3>& local_positions);

}  // namespace vitrum::neighbor
