#pragma once
/// \file msd.hpp
/// Mean-squared displacement per species and self-diffusion coefficients (Einstein relation).
///
/// Unwrapping: u_i(0) = r_i(0); between consecutive frames the displacement is taken to the
/// nearest periodic image in the cell of the later frame,
///   Δs = s(r_i(t) - r_i(t-1)),  Δs -= round(Δs),  u_i(t) = u_i(t-1) + h^T Δs,
/// (s = fractional coordinates, h rows = cell vectors), which is exact as long as no atom moves
/// more than half a cell height between stored frames (the largest fraction seen is reported).
/// Positions written already unwrapped are reproduced unchanged.
///
/// MSD with averaged time origins (frames equally spaced by Δt, origins every `origin_stride`
/// frames, lag τ = m Δt):
///   MSD_a(τ) = 1 / (N_a N_orig(m)) Σ_{t0} Σ_{i ∈ a} |u_i(t0 + τ) - u_i(t0)|²   (Å²).
/// Cost O(N × frames × lags / origin_stride); each lag is summed by one thread in a fixed order.
///
/// Diffusion: a least-squares line MSD = 6 D τ + b over a fit window [τ_start, τ_end] in the
/// diffusive regime gives D = slope / 6 (Å²/fs; 1 Å²/fs = 0.1 cm²/s). The statistical error is
/// the standard error of D over n_blocks disjoint blocks of atoms of the species (independent
/// atoms, so it includes the correlation of the MSD between lags that a regression error misses).
/// The log-log slope α = d ln MSD / d ln τ over the same window says whether the window is
/// diffusive (α ≈ 1) or still ballistic (α ≈ 2) / caged (α < 1).

#include <vector>

#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// 1 Å²/fs in cm²/s (1e-16 cm² / 1e-15 s).
constexpr double kA2PerFsToCm2PerS = 0.1;

/// Unwrapped positions u_i(t) (Å), [frame][atom]. `max_step_fraction`, if given, receives the
/// largest |Δs_d| (fraction of a cell height) of any atom between consecutive frames: above ~0.3
/// the frames are too far apart to unwrap reliably. A non-periodic trajectory is returned as is.
std::vector<std::vector<Vec3>> unwrap_positions(const Trajectory& trajectory,
                                                double* max_step_fraction = nullptr);

/// MSD settings.
struct MsdParams {
  int origin_stride = 1;      ///< time origins every this many frames
  int max_lag = 0;            ///< largest lag (frames); 0 = all (n_frames - 1)
  bool remove_drift = false;  ///< subtract the center-of-mass displacement (standard masses)
  int n_blocks = 5;           ///< atom blocks per species for the error of D (>= 2 for an error)
};

/// MSD per species.
struct MsdResult {
  std::vector<int> types;                ///< atomic numbers in order of first appearance
  std::vector<int> type_counts;          ///< atoms per type
  double dt = 0.0;                       ///< frame spacing Δt (fs)
  std::vector<double> time;              ///< lag times m Δt (fs), m = 0..max_lag
  std::vector<int> n_origins;            ///< time origins averaged at each lag
  std::vector<std::vector<double>> msd;  ///< [type][lag] (Å²)
  std::vector<double> msd_all;           ///< all atoms [lag] (Å²)
  /// [type][block][lag] MSD of disjoint atom blocks (for the error of D); block_counts atoms each.
  std::vector<std::vector<std::vector<double>>> block_msd;
  std::vector<std::vector<int>> block_counts;  ///< [type][block]
  double max_step_fraction = 0.0;              ///< from unwrapping (see unwrap_positions)
};

/// MSD of a trajectory with equally spaced frame times (throws otherwise, naming the frame).
MsdResult compute_msd(const Trajectory& trajectory, const MsdParams& params = {});

/// Least-squares straight line y = slope x + intercept.
struct LinearFit {
  double slope = 0.0;
  double intercept = 0.0;
  double slope_stderr = 0.0;  ///< regression standard error (assumes independent points)
  int n_points = 0;
};

/// Fits the points with x in [x_begin, x_end] (and finite y). Throws when fewer than two remain.
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y, double x_begin,
                   double x_end);

/// Self-diffusion coefficient of one species.
struct DiffusionFit {
  int type = 0;          ///< atomic number
  double t_start = 0.0;  ///< fit window (fs)
  double t_end = 0.0;
  int n_points = 0;        ///< lags inside the window
  double d = 0.0;          ///< D = slope / 6 (Å²/fs)
  double d_err = 0.0;      ///< standard error from atom blocks (Å²/fs); NaN with < 2 blocks
  double intercept = 0.0;  ///< b of MSD = 6 D τ + b (Å²)
  double alpha = 0.0;      ///< log-log slope of MSD over the window (1 diffusive, 2 ballistic)
  double d_cm2_s() const { return d * kA2PerFsToCm2PerS; }          ///< D in cm²/s
  double d_err_cm2_s() const { return d_err * kA2PerFsToCm2PerS; }  ///< error in cm²/s
};

/// Fits MSD_a over [t_start, t_end] (fs) for species index `type_index` of result.types.
DiffusionFit fit_diffusion(const MsdResult& result, int type_index, double t_start, double t_end);

}  // namespace vitrum::analysis
