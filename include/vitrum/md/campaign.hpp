#pragma once
/// \file campaign.hpp
/// Runs a campaign (vitrum/md/run_config.hpp): builds the starting structure and the force
/// field, draws velocities, runs the stages in order with thermo output, snapshots and a final
/// structure, and reports per-part timings. The body of `vitrum run`.
///
/// Outputs (in the output directory):
/// - thermo CSV: step, time_fs, temperature_K, pressure_bar, pe_eV, ke_eV, etotal_eV,
///   conserved_eV, volume_A3, density_g_cm3, atom_steps_per_s, stage (one row per thermo line,
///   appended and flushed line by line);
/// - trajectory (extended XYZ, frames appended and flushed): species, positions (Å), velocities
///   (vel, Å/fs), forces optionally; header: Lattice, energy, step, time_fs, temperature;
/// - final structure (written atomically; format by extension);
/// - on an unstable run (NaN, exploding T, overlapping atoms): a last snapshot (atomically), then
///   the error.

#include <cstdio>
#include <string>

#include "vitrum/md/engine.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::md {

/// Command-line adjustments of a campaign.
struct RunOptions {
  std::string output_directory;  ///< overrides [output] directory when not empty
  int threads = 0;               ///< overrides [md] threads when > 0
  bool quiet = false;            ///< no console thermo table (CSV still written)
  std::FILE* out = stdout;       ///< console output
};

/// What a finished campaign reports.
struct RunSummary {
  long steps = 0;
  double wall_seconds = 0.0;
  long rebuilds = 0;
  StepTimers timers;
  Thermo final_thermo;
  std::string final_structure;  ///< path written
};

/// Builds the starting structure of `config` (file or builder, units converted to Å,
/// replicated), validated.
Structure load_initial_structure(const RunConfig& config);

/// Runs the campaign. Throws vitrum::Error on bad input and UnstableDynamics (after writing the
/// crash snapshot) when the dynamics blew up.
RunSummary run_campaign(const RunConfig& config, const RunOptions& options);

/// Formats the per-part timing table printed at the end of a run.
std::string format_timers(const StepTimers& t, long steps, int atoms);

}  // namespace vitrum::md
