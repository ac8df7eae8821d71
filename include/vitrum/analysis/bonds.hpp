#pragma once
/// \file bonds.hpp
/// Short-range order from bonds defined by a distance cutoff: coordination numbers (mean and
/// distribution, e.g. the fraction of Si with 4 O) and bond-angle distributions (O–Si–O,
/// Si–O–Si), averaged over frames.
///
/// A bond A–B exists when |r_i - r_j| < r_c for an atom i of species A and an atom or periodic
/// image j of species B (explicit ghosts, never minimum image, so cells smaller than 2 r_c work).
/// Coordination of atom i:  Z_i = #{ j of species B : r_ij < r_c }.
/// Bond angle at a vertex i of species V between two of its bonded neighbors j < k of species E:
///   θ_jik = acos( (r_j - r_i)·(r_k - r_i) / (|r_j - r_i| |r_k - r_i|) ),  in degrees.
/// Each bond spec A-B:r_c gives the angles B–A–B (vertex A) and, when A ≠ B, A–B–A (vertex B)
/// with the same cutoff: `Si-O:2.0` yields O–Si–O and Si–O–Si.

#include <cstdint>
#include <string>
#include <vector>

#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// Bond between a center species and a neighbor species within a cutoff.
struct BondSpec {
  int center = 0;       ///< atomic number of the center atom (A in A-B:r_c)
  int neighbor = 0;     ///< atomic number of the counted neighbors (B)
  double cutoff = 0.0;  ///< bond length cutoff r_c (Å)
};

/// Parses "A-B:r_c" (element symbols, cutoff in Å), e.g. "Si-O:2.0". Throws vitrum::Error naming
/// the text and the expected form.
BondSpec parse_bond_spec(const std::string& text);
/// "A-B", e.g. "Si-O".
std::string bond_name(const BondSpec& bond);

/// Distribution of the coordination number of one bond spec over all center atoms and frames.
struct CoordinationResult {
  BondSpec bond;
  std::vector<std::uint64_t> histogram;  ///< histogram[n] = center atoms (× frames) with Z_i = n
  std::uint64_t samples = 0;             ///< center atoms × frames
  std::uint64_t bonds = 0;               ///< Σ Z_i over all samples

  /// Mean coordination number ⟨Z⟩ = bonds / samples (NaN without samples).
  double mean() const;
  /// Fraction of center atoms with exactly n neighbors (0 outside the histogram).
  double fraction(int n) const;
};

/// Bond-angle distribution end–vertex–end.
struct AngleResult {
  int vertex = 0;                        ///< atomic number at the vertex (Si in O–Si–O)
  int end = 0;                           ///< atomic number of both ends
  double cutoff = 0.0;                   ///< vertex–end bond cutoff (Å)
  std::vector<std::uint64_t> histogram;  ///< counts over n_bins equal bins of [0°, 180°]
  std::uint64_t count = 0;               ///< angles counted (all frames)
  double sum = 0.0;                      ///< Σ θ (degrees), summed in a fixed order
  double sum_sq = 0.0;                   ///< Σ θ² (degrees²)

  /// "O-Si-O".
  std::string name() const;
  int n_bins() const { return static_cast<int>(histogram.size()); }
  double bin_width() const { return 180.0 / n_bins(); }  ///< degrees
  /// Bin centers (degrees).
  std::vector<double> angles() const;
  /// Probability density P(θ) (1/degree), Σ P Δθ = 1; not divided by sin θ.
  std::vector<double> density() const;
  double mean() const;    ///< ⟨θ⟩ (degrees) from the exact angles, not the bins
  double stddev() const;  ///< standard deviation of θ (degrees)
};

/// Everything computed from one bond search.
struct BondAnalysis {
  std::vector<CoordinationResult> coordination;  ///< one per bond spec, in the given order
  std::vector<AngleResult> angles;  ///< per distinct (vertex, end) triplet, in spec order
  int n_frames = 0;
};

/// Accumulates coordination numbers and bond angles frame by frame.
class BondAccumulator {
 public:
  /// `species`: atomic number per atom; `angle_bins` = 0 disables bond angles. Throws when a
  /// bond names a species absent from `species` or has a cutoff <= 0.
  BondAccumulator(std::vector<int> species, std::vector<BondSpec> bonds, int angle_bins);
  /// Adds one frame (periodic or not).
  void add_frame(const Box& box, const std::vector<Vec3>& positions);
  const BondAnalysis& result() const { return result_; }

 private:
  std::vector<int> species_;
  std::vector<BondSpec> bonds_;
  double max_cutoff_ = 0.0;
  BondAnalysis result_;
};

/// Coordination numbers and (when angle_bins > 0) bond angles over all frames.
BondAnalysis analyze_bonds(const Trajectory& trajectory, const std::vector<BondSpec>& bonds,
                           int angle_bins);

}  // namespace vitrum::analysis
