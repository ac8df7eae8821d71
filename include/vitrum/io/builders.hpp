#pragma once
/// \file builders.hpp
/// Starting configurations: random amorphous cells of a given composition and density with a
/// minimum distance per element pair, and n×m×k replication of periodic cells.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "vitrum/core/structure.hpp"

namespace vitrum::io {

/// Smallest allowed distance between atoms of elements a and b (Å), in either order.
struct MinDistance {
  std::string a, b;
  double distance = 0.0;
};

/// What build_amorphous_cell makes.
struct AmorphousCellSpec {
  /// Formula unit: element symbol and count, e.g. {{"Si", 1}, {"O", 2}}. Atoms are emitted in
  /// this element order (all Si, then all O).
  std::vector<std::pair<std::string, int>> composition;
  int n_atoms = 0;       ///< total atoms; a multiple of the formula unit's size
  double density = 0.0;  ///< mass density (g/cm³), computed with standard atomic masses
  std::vector<MinDistance> min_distances;  ///< per element pair (Å)
  double default_min_distance = 0.0;       ///< for pairs not listed (Å)
  std::uint64_t seed = 1;                  ///< std::mt19937_64 seed: same seed, same cell
  /// Cell shape: rows are cell vectors, scaled uniformly to the volume the density implies
  /// (default: a cube). Must be right-handed.
  Vec3 shape[3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  int max_attempts = 10000;  ///< random trial positions per atom before giving up
};

/// Random sequential placement in a periodic cell: each atom is tried at uniformly random
/// fractional coordinates until it is at least the pair's minimum distance from every atom
/// already placed and from all their periodic images (checked exactly through a cell list in
/// fractional coordinates, bins at least the largest minimum distance thick). The volume is
/// V = M / ρ with M = Σ standard masses (1 amu/Å³ = 1.66053906660 g/cm³). Deterministic for a
/// given spec. Throws vitrum::Error naming the atom, the density and the minimum distances when
/// an atom cannot be placed within max_attempts trials (the cell is too dense for them), and for
/// an invalid spec.
Structure build_amorphous_cell(const AmorphousCellSpec& spec);

/// The n_a × n_b × n_c supercell of a periodic structure: cell vectors scaled, atoms repeated
/// image by image (image (i, j, k) = r + i a + j b + k c, i fastest, each image holding all atoms
/// in their original order); per-atom forces, charges and velocities are repeated, the energy,
/// total charge and virial (extensive) multiplied by n_a n_b n_c.
Structure replicate(const Structure& s, int n_a, int n_b, int n_c);

}  // namespace vitrum::io
