#pragma once
/// \file neighbor_list.hpp
/// Full Verlet neighbor list of the local atoms of a GhostShell, built through a cell list
/// (bins of edge >= cutoff + skin over the bounding box of locals and ghosts). CSR layout: the
/// neighbors of local atom i are neighbors[offsets[i] .. offsets[i+1]), indices into the shell's
/// arrays (locals and ghosts), in ascending index order (deterministic). A neighbor is every
/// other entry j != i with |r_i - r_j| < cutoff + skin; the list is reused until some local atom
/// moved more than skin/2 since it was built.
///
/// A *half* list (build_half_neighbor_list, for pair potentials summed with Newton's third law)
/// holds every pair once and lives in its own order of the shell entries, the *slots*: the locals
/// sorted by cell, then the ghosts sorted by cell (`order[slot]` = shell index). Row r is the
/// local in slot r; its neighbors are slots. Local–local pairs appear in the row of the lower
/// slot; a pair of a local i with a ghost g (owner o, shift s) appears in i's row when o > i, or
/// o == i and s is lexicographically positive (x, then y, then z): the pair (i, o + s) is the
/// pair (o, i − s), so each periodic pair is listed once and ghost–ghost pairs never. Only for a
/// serial shell (fold_ghosts): forces on ghosts are folded onto their owners.

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
  /// True for a half list (see above); false for the full list of build_neighbor_list.
  bool half = false;
  /// Half list only: shell index of each slot (size shell.size(); locals in [0, n_local)).
  std::vector<int> order;

  int n_local() const { return offsets.empty() ? 0 : static_cast<int>(offsets.size()) - 1; }
  int max_neighbors() const;
};

/// Builds the list for the locals of `shell`; requires shell.width >= cutoff + skin.
NeighborList build_neighbor_list(const GhostShell& shell, double cutoff, double skin);

/// Half list for pair potentials (see above), built through cells of edge >= (cutoff + skin) /
/// cells_per_cutoff (1 or 2) over the bounding box of the shell: forward half stencil for
/// local–local pairs, full stencil for ghosts, no per-atom sort (rows in cell order are
/// deterministic). Requires shell.fold_ghosts (ghosts are images of this shell's locals).
NeighborList build_half_neighbor_list(const GhostShell& shell, double cutoff, double skin,
                                      int cells_per_cutoff = 1);

/// The closest listed pair of a list of either kind: distance (Å, +inf without pairs) and the
/// shell indices of the two entries (a is a local; -1 without pairs).
double closest_listed_pair(const GhostShell& shell, const NeighborList& list, int* a, int* b);

/// True when any local atom moved more than skin/2 since the list was built.
bool needs_rebuild(const NeighborList& list, const std::vector<Vec3>& local_positions);

}  // namespace vitrum::neighbor
