#pragma once
/// \file rings.hpp
/// Ring statistics of a bonded network (see network.hpp for the periodic bond graph).
///
/// A ring is a simple cycle of the unfolded (infinite periodic) graph: closed in real space, so a
/// path that winds around the cell is never a ring. Two definitions are computed:
///
/// * King's shortest-path rings (S. V. King, Nature 213, 1112 (1967); the "King criterion" of
///   R.I.N.G.S., Le Roux & Jund, Comput. Mater. Sci. 49, 70 (2010)): for every node i and every
///   pair of its neighbors j, k, the shortest cycles through j–i–k (a shortest path j → k that
///   avoids i, closed by i). Every shortest one is kept when several tie.
/// * Primitive rings (Goetzke & Klein, J. Non-Cryst. Solids 127, 215 (1991); algorithm of Yuan &
///   Cormack, Comput. Mater. Sci. 24, 343 (2002)): cycles with no shortcut, i.e. the graph
///   distance between any two ring nodes equals their distance along the ring. These are
///   Franzblau's shortest-path (SP) rings (Phys. Rev. B 44, 4925 (1991)): a shortcut that touches
///   the ring in between splits into shorter shortcuts, so "no shortcut between any pair" and
///   "cannot be split into two smaller rings" agree. The test used: a ring of n nodes is
///   primitive iff every node a is at graph distance floor(n/2) from its mid-node(s) (a shortcut
///   anywhere shortens some node–mid-node distance).
///
/// Each distinct ring (up to translation by a lattice vector and direction) is counted once.
/// Sizes: with `count_species` = Z (e.g. Si in SiO2), only edges between a Z atom and a non-Z
/// atom are kept (the alternation rule Si–O–Si–O…), and a ring's size is its number of Z atoms,
/// as the glass literature reports it; with count_species = 0 the size is the number of atoms.
///
/// Search (O(N), threaded over source atoms, deterministic): primitive rings are enumerated from
/// their lowest-index atom s only: a breadth-first search from s over atoms >= s to depth
/// floor(n_max/2) gives all shortest paths; two shortest paths to one node (even rings) or to
/// the two ends of a bond (odd rings) that share no inner node form a candidate, kept when it has
/// no shortcut in the full graph. King rings come from a search from each neighbor j of i that
/// avoids i and stops when the last neighbor k is reached.

#include <cstdint>
#include <vector>

#include "vitrum/analysis/network.hpp"

namespace vitrum::analysis {

/// Ring search settings.
struct RingParams {
  int max_size = 12;      ///< largest ring size searched, in counted atoms (see count_species)
  int count_species = 0;  ///< Z counted for the size (alternation with the others); 0 = all
  bool king = true;       ///< find King's shortest-path rings
  bool primitive = true;  ///< find primitive rings
};

/// One ring: atoms in order around it with their lattice images (first atom in image 0).
struct Ring {
  std::vector<int> atoms;
  std::vector<LatticeImage> images;
  int size = 0;  ///< in counted atoms
};

/// Rings of one frame.
struct RingSet {
  std::vector<Ring> king;                ///< distinct King rings, sorted canonically
  std::vector<Ring> primitive;           ///< distinct primitive rings, sorted canonically
  std::uint64_t king_pairs = 0;          ///< node-neighbor pairs searched
  std::uint64_t king_pairs_no_ring = 0;  ///< pairs with no ring up to max_size
};

/// Finds the rings of `graph` (after the alternation filter when count_species != 0).
RingSet find_rings(const BondGraph& graph, const RingParams& params);

/// Ring statistics of one definition, summed over frames.
struct RingCounts {
  std::vector<std::uint64_t> count;  ///< [size] distinct rings of that size (all frames)
  std::vector<double>
      per_node;  ///< [size] Σ_frames (counted atoms in n-rings, with multiplicity) / N_c
  std::vector<double> node_fraction;  ///< [size] Σ_frames share of counted atoms in >= 1 n-ring
};

/// Ring statistics over frames.
struct RingResult {
  RingParams params;
  int n_frames = 0;
  int n_counted = 0;  ///< counted atoms per frame (all atoms when count_species == 0)
  RingCounts king, primitive;
  std::uint64_t king_pairs = 0, king_pairs_no_ring = 0;

  /// Mean number of distinct n-rings per frame.
  double mean_count(const RingCounts& c, int n) const;
  /// Share of the rings (of sizes 1..max) of size n.
  double size_fraction(const RingCounts& c, int n) const;
};

/// Accumulates ring statistics frame by frame.
class RingAccumulator {
 public:
  RingAccumulator(std::vector<int> species, std::vector<BondSpec> bonds, RingParams params);
  void add_frame(const Box& box, const std::vector<Vec3>& positions);
  const RingResult& result() const { return result_; }

 private:
  std::vector<int> species_;
  std::vector<BondSpec> bonds_;
  RingResult result_;
};

}  // namespace vitrum::analysis
