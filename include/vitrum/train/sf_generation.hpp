#pragma once
/// \file sf_generation.hpp
/// Symmetry-function sets for training and their scaling statistics.
///
/// Radial (n2p2 type 2) and angular (type 3 "narrow" or type 9 "wide") sets are generated per
/// central element and neighbor element (pair) / element pair (triplet) from one cutoff r_c and a
/// number of functions, on the two grids of Imbalzano et al., J. Chem. Phys. 148, 241730 (2018)
/// (the "center" and "shift" modes of n2p2's SymFuncParamGenerator):
///
///   centered: r_s = 0 and eta_i = 1 / (2 r_i^2), r_i = r_lower + i (r_upper - r_lower) / (n - 1),
///             i.e. the Gaussian widths sigma_i = 1/sqrt(2 eta_i) are evenly spaced;
///   shifted:  r_s,i = r_lower + i dr, dr = (r_upper - r_lower) / (n - 1), eta = 1 / (2 dr^2),
///             i.e. Gaussians of one width centred on an even grid.
///
/// Angular functions take their (eta, r_s) from the same rules (n_eta grid points) and add every
/// combination of zeta (e.g. 1, 4, 16) and lambda = -1, +1. All lengths are in the units of the
/// training data (eta in 1/length^2). The result is written as n2p2 `symfunction_short` lines.
///
/// Scaling statistics (n2p2's scaling.data) are, per element and symmetry function in n2p2's
/// sorted order, over every atom of that element in a set of structures:
///   Gmin, Gmax, Gmean = (1/N) sum G, Gsigma = sqrt(sum (G - Gmean)^2 / (N - 1))
/// (the sample standard deviation, as n2p2's nnp-scaling computes it).

#include <string>
#include <vector>

#include "vitrum/core/structure.hpp"
#include "vitrum/nnp/potential.hpp"

namespace vitrum::train {

/// Grid rule for (eta, r_s), see the file comment.
enum class GridMode { Centered, Shifted };

/// Parses "centered"/"center" or "shifted"/"shift"; throws vitrum::Error naming `where`.
GridMode parse_grid_mode(const std::string& name, const std::string& where);

/// One Gaussian of a symmetry function: exp(-eta (r - r_s)^2); eta in 1/length^2, r_s in length.
struct RadialParameters {
  double eta = 0.0;
  double rs = 0.0;
};

/// The n grid points of `mode` on [r_lower, r_upper] (lengths, 0 <= r_lower < r_upper; centered
/// needs r_lower > 0). n = 1 gives the single point r_lower (centered: eta = 1/(2 r_lower^2);
/// shifted: r_s = r_lower, eta = 1/(2 (r_upper - r_lower)^2)). Throws vitrum::Error on bad input.
std::vector<RadialParameters> radial_grid(GridMode mode, int n, double r_lower, double r_upper);

/// Radial (type 2) set per (central, neighbor) element pair.
struct RadialSetSpec {
  GridMode mode = GridMode::Shifted;
  int n = 8;             ///< functions per element pair (0: none)
  double r_lower = 0.5;  ///< first grid point (length)
  double r_upper = 0.0;  ///< last grid point (length); 0 means the cutoff
};

/// Angular (type 3 or 9) set per (central element, unordered neighbor pair).
struct AngularSetSpec {
  int type = 9;  ///< 3 (narrow: includes r_jk) or 9 (wide)
  GridMode mode = GridMode::Centered;
  int n = 3;             ///< (eta, r_s) grid points (0: no angular functions)
  double r_lower = 0.5;  ///< first grid point (length)
  double r_upper = 0.0;  ///< last grid point (length); 0 means the cutoff
  std::vector<double> zetas = {1.0, 4.0, 16.0};
  std::vector<double> lambdas = {-1.0, 1.0};
};

/// A full generation request.
struct SfSetSpec {
  std::vector<std::string> elements;  ///< element symbols (any order)
  double cutoff = 6.0;                ///< r_c of every function (length)
  RadialSetSpec radial;
  AngularSetSpec angular;
};

/// One symmetry function as n2p2 writes it (element symbols, parameters in data units).
struct SfDefinition {
  std::string element;  ///< central element
  int type = 2;         ///< 2, 3 or 9
  std::string e1, e2;   ///< neighbor elements (e2 empty for radial)
  double eta = 0, rs = 0, rc = 0, lambda = 0, zeta = 0;
};

/// Generates the set: for every central element (sorted by atomic number), radial functions for
/// every neighbor element, then angular functions for every unordered neighbor pair (e1 <= e2 by
/// atomic number). Count per central element with k elements:
///   k * radial.n + k (k + 1) / 2 * angular.n * |zetas| * |lambdas|.
std::vector<SfDefinition> generate_symmetry_functions(const SfSetSpec& spec);

/// The n2p2 line of one function, e.g. "symfunction_short O 2 Si 0.5 1.2 6" or
/// "symfunction_short O 9 O Si 0.02 -1 4 6 0" (numbers in shortest round-trip form).
std::string symfunction_line(const SfDefinition& sf);

/// Scaling statistics of one element's symmetry functions (n2p2 sorted order).
struct SfStatistics {
  long n_atoms = 0;  ///< atoms of this element that contributed
  std::vector<double> gmin, gmax, gmean, gsigma;
};

/// Accumulates statistics from raw symmetry-function rows. `rows[e]` holds n_e * n_sf(e) values
/// (row-major, n2p2 sorted order) for element e of `potential`.
std::vector<SfStatistics> sf_statistics(const nnp::Potential& potential,
                                        const std::vector<std::vector<double>>& rows);

/// Statistics over every atom of `structures` (raw_symmetry_functions of each structure).
std::vector<SfStatistics> sf_statistics(const nnp::Potential& potential,
                                        const std::vector<Structure>& structures);

/// Writes n2p2's scaling.data (header, then "e s Gmin Gmax Gmean Gsigma" per element and
/// function, 1-based, %24.16E) atomically. Throws when an element saw no atoms.
void write_scaling_data(const std::string& path, const std::vector<SfStatistics>& stats);

}  // namespace vitrum::train
