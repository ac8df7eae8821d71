#pragma once
/// \file ghosts.hpp
/// Periodic images as explicit ghost atoms (never minimum image): the local atoms of a cell
/// followed by every periodic image that lies within `width` (cutoff + skin) of the cell, with as
/// many image layers as needed, so that small and triclinic cells are handled exactly. The same
/// layout (locals first, then ghosts that remember their owner) later serves MPI subdomains.

#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/core/vec3.hpp"

namespace vitrum::neighbor {

/// Local atoms [0, n_local) followed by ghosts [n_local, size()).
struct GhostShell {
  int n_local = 0;
  double width = 0.0;           ///< shell width (Å) the ghosts were built for
  std::vector<Vec3> positions;  ///< local then ghost positions
  std::vector<int> species;     ///< atomic number Z, local then ghost
  std::vector<int> owner;   ///< local index of the atom each entry is an image of (i for locals)
  std::vector<Vec3> shift;  ///< Cartesian shift: positions[g] = positions[owner[g]] + shift[g]
  /// True (serial): the ghosts are images of this shell's locals, and a force field adds the
  /// forces on ghosts onto owner[g]. False (MPI domain decomposition, parallel::HaloPlan): the
  /// ghosts are images of atoms that may live on other ranks (owner[g] = -1); a force field that
  /// leaves forces on ghosts returns them unfolded (nnp::EvalResult::ghost_forces) and the halo
  /// plan sends them to their owners.
  bool fold_ghosts = true;

  int size() const { return static_cast<int>(positions.size()); }
  int n_ghost() const { return size() - n_local; }
};

/// Builds the ghost shell. For a periodic box the local positions are first wrapped into the cell
/// (the returned locals are the wrapped positions); every image whose fractional coordinates lie
/// within width/height_d of the cell along each cell direction d becomes a ghost, in a fixed
/// deterministic order (image layer by layer, atoms ascending). A non-periodic box has no ghosts.
GhostShell build_ghost_shell(const Box& box, const std::vector<Vec3>& positions,
                             const std::vector<int>& species, double width);

/// Moves the ghosts with their owners after the locals moved (no re-selection of ghosts):
/// positions[g] = positions[owner[g]] + shift[g]. `local_positions` has n_local entries.
void update_ghost_positions(GhostShell& shell, const std::vector<Vec3>& local_positions);

}  // namespace vitrum::neighbor
