#pragma once
/// \file network.hpp
/// The bonded network of a frame as a periodic graph, and what is read off it directly:
/// Qn speciation of network formers and the bridging / non-bridging oxygen fractions.
///
/// A bond i–j exists when |r_i - r_j - t| < r_c(Z_i, Z_j) for a lattice translation t, with the
/// per-pair cutoffs of BondSpecs ("Si-O:2.0"; a spec applies to both orders, a pair without a
/// spec is never bonded). Images come from explicit ghosts (any cell size and shape). Each edge
/// stores the neighbor's atom index and the integer lattice image n (t = n_a a + n_b b + n_c c)
/// of the neighbor relative to the wrapped position of atom i, so a walk over edges is a walk in
/// the unfolded infinite crystal: a cycle there is a real ring, while a walk that returns to the
/// same atom in another image (a path winding around the cell) is not closed.
///
/// Qn (formers F, e.g. Si, bridging species X, e.g. O): an X atom is bridging when it is bonded to
/// at least two F atoms, non-bridging (NBO) when bonded to exactly one, free when bonded to none.
/// A former with n bridging X neighbors is Q^n.

#include <array>
#include <cstdint>
#include <vector>

#include "vitrum/analysis/bonds.hpp"
#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// Integer lattice image of a neighbor.
using LatticeImage = std::array<int, 3>;

/// Bond graph in CSR form over the atoms of one frame.
struct BondGraph {
  std::vector<int> species;          ///< atomic number per atom
  std::vector<int> offsets;          ///< size n_atoms + 1
  std::vector<int> neighbors;        ///< bonded atom of each edge
  std::vector<LatticeImage> images;  ///< lattice image of that neighbor (0 for non-periodic)

  int n_atoms() const { return static_cast<int>(species.size()); }
  int degree(int i) const { return offsets[i + 1] - offsets[i]; }
  std::size_t n_edges() const { return neighbors.size(); }  ///< directed: twice the bonds
};

/// Builds the graph of one frame. Throws vitrum::Error for a bad spec (cutoff <= 0) or a
/// size mismatch. `bonds` may list A-B and B-A; the larger cutoff wins.
BondGraph build_bond_graph(const Box& box, const std::vector<Vec3>& positions,
                           const std::vector<int>& species, const std::vector<BondSpec>& bonds);

/// Keeps only edges between atoms of which exactly one has atomic number `z` (the A–B
/// alternation of an oxide network: Si–O bonds stay, Si–Si and O–O go).
BondGraph alternating_subgraph(const BondGraph& graph, int z);

/// Qn speciation and oxygen bridging, summed over frames.
struct QnResult {
  int former = 14;                          ///< atomic number of the network former (Si)
  int bridge = 8;                           ///< atomic number of the bridging species (O)
  std::vector<std::uint64_t> qn;            ///< qn[n] = formers (× frames) with n bridging X
  std::vector<std::uint64_t> x_by_formers;  ///< [k] = X atoms (× frames) bonded to k formers
  int n_frames = 0;

  std::uint64_t n_formers() const;
  std::uint64_t n_bridge_atoms() const;
  double qn_fraction(int n) const;   ///< share of formers that are Q^n
  double nbo_fraction() const;       ///< share of X bonded to exactly one former
  double bridging_fraction() const;  ///< share of X bonded to two or more formers
  double free_fraction() const;      ///< share of X bonded to no former
};

/// Adds one frame's graph to `acc` (acc.former / acc.bridge must be set).
void accumulate_qn(const BondGraph& graph, QnResult& acc);

}  // namespace vitrum::analysis
