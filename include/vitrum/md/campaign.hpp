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
///   the error;
/// - H5MD trajectory ([output] h5md): frames at step 0 and every N steps, flushed frame by frame;
/// - checkpoints ([checkpoint], vitrum/md/checkpoint.hpp): periodic, at a stop request, at the end.
///
/// Restart (RunOptions::restart_file): the checkpoint replaces the starting structure and
/// velocities; the stage schedule continues where it was, the thermo CSV and trajectories are cut
/// back to what they held at the checkpoint and appended to, and the dynamics continue bit for bit
/// (same rank count, backend, precision and skin).
///
/// Batch jobs (vitrum/md/batch_control.hpp): on SIGTERM, SIGUSR1 or SIGINT, when the wall-time or
/// step budget is nearly spent, the run finishes the step, writes a checkpoint, closes its files
/// and returns with RunSummary::completed = false (`vitrum run` exits with status 75).

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "vitrum/md/engine.hpp"
#include "vitrum/md/run_config.hpp"

namespace vitrum::md {

/// Command-line adjustments of a campaign.
struct RunOptions {
  std::string output_directory;  ///< overrides [output] directory when not empty
  int threads = 0;               ///< overrides [md] threads when > 0
  bool quiet = false;            ///< no console thermo table (CSV still written)
  std::FILE* out = stdout;       ///< console output
  std::string restart_file;      ///< continue from this checkpoint (--restart)
  bool overwrite = false;        ///< replace the outputs of an earlier run (--overwrite)
  double max_walltime_s = 0.0;   ///< wall-time budget of this job (s; 0: none)
  long max_steps = 0;  ///< steps this job may run before it checkpoints and stops (0: all)
  /// When the job started (the wall-time budget counts from there); default: run_campaign's start.
  std::chrono::steady_clock::time_point start{};
  /// Keep the per-step transfer log (RunSummary::transfers.log; tests; device engine only).
  bool record_transfers = false;
};

/// Host<->device traffic of a campaign on the device-resident engine ([md] engine), from the
/// space's transfer ledger (vitrum/core/exec_space.hpp), counted per step (the step and the
/// operations due at it).
struct TransferStats {
  bool device = false;               ///< the run used a device memory space
  long steps = 0;                    ///< steps counted
  std::size_t total_bytes = 0;       ///< bytes moved by those steps (both directions)
  long scalar_steps = 0;             ///< steps with no rebuild whose operations read no atom array
  std::size_t scalar_max_bytes = 0;  ///< the most bytes one such step moved
  std::size_t scalar_bytes = 0;      ///< their total
  /// One step (kept when RunOptions::record_transfers).
  struct Step {
    long step = 0;
    unsigned arrays = 0;  ///< md::HostArray bits the due operations asked for
    bool rebuild = false;
    std::map<std::string, std::size_t> bytes;  ///< bytes moved per ledger entry (both ways)
  };
  std::vector<Step> log;
};

/// What a finished campaign reports.
struct RunSummary {
  bool completed = true;    ///< false: stopped early after writing `checkpoint`
  std::string stop_reason;  ///< why it stopped early ("SIGTERM", "the wall-time budget ...")
  std::string checkpoint;   ///< last checkpoint written (empty: none)
  long steps = 0;           ///< steps run by this job
  double wall_seconds = 0.0;
  long rebuilds = 0;
  StepTimers timers;
  Thermo final_thermo;
  std::string final_structure;  ///< path written
  TransferStats transfers;      ///< device engine only (transfers.device)
};

/// Builds the starting structure of `config` (file or builder, units converted to Å,
/// replicated), validated.
Structure load_initial_structure(const RunConfig& config);

/// The files a campaign may write in `dir` (thermo CSV, final and crash structures, checkpoint,
/// and the trajectories and training set it is configured to write).
std::vector<std::string> campaign_output_files(const RunConfig& config, const std::string& dir);

/// Output safety of a campaign (vitrum/core/output_guard.hpp): `dir` must be usable as an
/// output directory, and when it holds any file the campaign would write, the run is refused
/// unless `options` asks for --overwrite or --restart. Reads only; touches nothing.
void guard_campaign_outputs(const RunConfig& config, const std::string& dir,
                            const RunOptions& options);

/// Runs the campaign. Throws vitrum::Error on bad input and UnstableDynamics (after writing the
/// crash snapshot) when the dynamics blew up.
RunSummary run_campaign(const RunConfig& config, const RunOptions& options);

/// Formats the per-part timing table printed at the end of a run.
std::string format_timers(const StepTimers& t, long steps, int atoms);

}  // namespace vitrum::md
