#pragma once
/// \file report.hpp
/// CSV files of the analyses (what `vitrum analyze` writes and scripts/plot_analysis.py reads)
/// and the summary table. Every CSV starts with `#` comment lines (what, units), then one header
/// line, then numbers (%.10g; NaN as "nan"). Files are written atomically: a temporary name in
/// the same directory, then rename, so a reader never sees half a file.

#include <string>
#include <vector>

#include "vitrum/analysis/bonds.hpp"
#include "vitrum/analysis/density.hpp"
#include "vitrum/analysis/msd.hpp"
#include "vitrum/analysis/rdf.hpp"
#include "vitrum/analysis/trajectory.hpp"

namespace vitrum::analysis {

/// rdf.csv: r_A, g_total, g_A-B per unordered pair (a <= b in first-appearance order), then
/// N_A-B per ordered pair: running coordination at the upper bin edge r + Δr/2.
std::string rdf_csv(const RdfResult& rdf);
/// coordination.csv: bond, cutoff_A, coordination, count, fraction (one row per bond and
/// coordination number 0..max seen).
std::string coordination_csv(const BondAnalysis& bonds);
/// angles.csv: angle_deg (bin centers), P_E-V-E per triplet (probability density, 1/degree).
std::string angles_csv(const BondAnalysis& bonds);
/// msd.csv: time_fs, n_origins, msd_<species> (Å²) per species, msd_all (Å²).
std::string msd_csv(const MsdResult& msd);
/// diffusion.csv: species, fit window, D and its error in Å²/fs and cm²/s, intercept, alpha.
std::string diffusion_csv(const std::vector<DiffusionFit>& fits);
/// density.csv: frame, step, time_fs, volume_A3, number_density_per_A3, mass_density_g_per_cm3.
std::string density_csv(const Trajectory& trajectory, const DensityResult& density);

/// One line of the summary: a scalar result with its uncertainty (NaN when none) and unit.
struct SummaryRow {
  std::string quantity;  ///< e.g. "first peak g(r)", "coordination", "D"
  std::string subject;   ///< pair, triplet or species, e.g. "Si-O"
  double value = 0.0;
  double uncertainty = 0.0;
  std::string unit;
  std::string note;  ///< free text (e.g. "4: 99.8%, 5: 0.2%")
};

/// summary.csv: quantity, subject, value, uncertainty, unit, note.
std::string summary_csv(const std::vector<SummaryRow>& rows);
/// The same rows as an aligned text table for the terminal.
std::string summary_table(const std::vector<SummaryRow>& rows);

}  // namespace vitrum::analysis
