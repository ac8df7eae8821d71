#pragma once
/// \file rdf.hpp
/// Radial distribution functions of periodic cells, total and partial, averaged over frames.
///
/// Pairs are found among explicit periodic images (a GhostShell of width r_max and a cell list),
/// never by minimum image, so r_max may exceed half the cell (small and triclinic cells are
/// exact; the only limit is the memory of the images, about N Π_d (1 + 2 r_max / h_d) atoms for
/// cell heights h_d). Every ordered pair (i, j), i a cell atom, j any other atom or image with
/// r_ij < r_max, is counted in bin k = floor(r_ij / Δr), Δr = r_max / n_bins. Counts are
/// integers, so the result does not depend on the thread count.
///
/// Normalization per frame (V the cell volume, N_a the number of atoms of species a):
///   g_ab(r_k) = V · n_ab(k) / (N_a (N_b - δ_ab) · V_k),   V_k = (4π/3)(r_{k+1}^3 - r_k^3),
///   g(r_k)    = V · n(k)    / (N (N - 1) · V_k)           (all pairs),
/// so an ideal gas gives g = 1 exactly in expectation (the self-excluded normalization of
/// LAMMPS compute rdf), g_ab = g_ba, and g = Σ_ab x_a x_b g_ab up to the (N-1)/N factors.
/// The running coordination number (atoms b around an atom a within the upper edge of bin k),
///   N_ab(r_{k+1}) = Σ_{k' <= k} n_ab(k') / N_a,
/// is exact (no density factor). Both are averaged over frames with equal weight per frame.

#include <cstdint>
#include <vector>

#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// Histogram range and resolution.
struct RdfParams {
  double r_max = 10.0;  ///< largest distance (Å)
  int n_bins = 200;     ///< number of bins over [0, r_max)
};

/// Frame-averaged g(r).
struct RdfResult {
  double r_max = 0.0;
  int n_bins = 0;
  int n_frames = 0;
  std::vector<int> types;        ///< atomic numbers in order of first appearance
  std::vector<int> type_counts;  ///< atoms per type
  std::vector<double> r;         ///< bin centers (k + 1/2) Δr (Å)
  std::vector<double> total;     ///< g(r) over all pairs
  /// Partial g_ab, one per unordered type pair a <= b (indices into types), see pair_index().
  std::vector<std::vector<double>> partial;
  /// Running coordination N_ab at the upper bin edges, one per ordered pair a*n_types + b.
  std::vector<std::vector<double>> running;

  double dr() const { return r_max / n_bins; }
  int n_types() const { return static_cast<int>(types.size()); }
  /// Index into `partial` of the unordered pair (a, b) of type indices.
  int pair_index(int a, int b) const;
  /// Index (type a, type b) of partial p; the inverse of pair_index with a <= b.
  void pair_types(int p, int& a, int& b) const;
};

/// Accumulates g(r) frame by frame (for readers that stream frames).
class RdfAccumulator {
 public:
  /// `species`: atomic number per atom, the same for every frame.
  RdfAccumulator(std::vector<int> species, const RdfParams& params);
  /// Counts the pairs of one frame. Needs a periodic box; throws vitrum::Error otherwise or when
  /// the images within r_max would not fit in memory (more than 2^31 atoms).
  void add_frame(const Box& box, const std::vector<Vec3>& positions);
  /// Averages over the frames added so far.
  RdfResult result() const;

 private:
  std::vector<int> species_;
  std::vector<int> type_of_;  // type index per atom
  RdfParams params_;
  RdfResult acc_;  // running sums of g and N
};

/// g(r) averaged over all frames of a trajectory.
RdfResult compute_rdf(const Trajectory& trajectory, const RdfParams& params);

/// Raw ordered-pair distance histogram of one frame: counts[(a * n_types + b) * n_bins + k] for
/// type indices a (cell atom i) and b (neighbor j). `type_of` maps each atom to its type index.
/// The per-frame kernel of RdfAccumulator, public for tests and other analyses (S(q) later).
std::vector<std::uint64_t> pair_distance_histogram(const Box& box,
                                                   const std::vector<Vec3>& positions,
                                                   const std::vector<int>& type_of, int n_types,
                                                   double r_max, int n_bins);

}  // namespace vitrum::analysis
