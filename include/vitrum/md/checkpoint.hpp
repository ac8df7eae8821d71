#pragma once
/// \file checkpoint.hpp
/// Checkpoint/restart of `vitrum run`: one HDF5 file with everything a campaign needs to continue
/// bit for bit — the atoms, the inputs of the last neighbor-list rebuild (Engine::restore), the
/// integrator's extended state, the position in the stage schedule, the seeds, the sizes of the
/// output files at that moment, and a fingerprint of the settings that decide the dynamics.
///
/// Layout (format "vitrum-checkpoint", version kCheckpointFormatVersion). Per-atom datasets are
/// indexed by global atom id (row = id), chunked and Fletcher-32 checksummed; metadata uses the
/// HDF5 1.8+ format, whose object headers are checksummed too, so a corrupt file is detected:
///
///   /            @format, @format_version, @vitrum_version, @created (UTC), @writer_ranks,
///                @config_file, @config_hash (FNV-1a 64 of the fingerprint, hex),
///                @config_fingerprint ("key = value" lines, see campaign_fingerprint)
///   /atoms/      id (N), species (N, Z), mass (N, amu), position (N×3, Å, wrapped),
///                velocity (N×3, Å/fs), force (N×3, eV/Å), image (N×3 periodic image counts),
///                rebuild_position (N×3, Å: positions given to the last neighbor-list rebuild)
///   /state       @step, @time_fs, @potential_energy (eV), @virial (3×3, eV), @box (3×3, Å),
///                @periodic, @rebuild_box (3×3), @rebuilds, @conserved_offset (eV),
///                @domain_grid (3: ranks per cell direction of the writer's domain decomposition;
///                optional, files without it restart with a grid chosen for the cell)
///   /schedule    @stage (0-based index), @step_in_stage (steps of it taken), @stage_name,
///                @n_stages, @ensemble
///   /integrator  one attribute per IntegratorState entry (Integrator::save_state)
///   /random      @md_seed, @velocity_seed, @stage_seed. The Langevin and velocity streams are
///                counter-based Philox keyed by (seed, atom id, step): the seeds and the step
///                continue them, whatever the rank count.
///   /output      @thermo_csv_bytes, @trajectory_bytes, @h5md_frames (-1: no such file)
///
/// Writing is atomic: the file is written as PATH.tmp, closed, fsync'd, renamed to PATH and the
/// directory fsync'd, so a crash at any moment leaves either the previous checkpoint or the new
/// one. Because rows are atom ids, the format does not depend on the rank count: with MPI every
/// rank writes the rows of its own atoms collectively (parallel HDF5), and a restart on any rank
/// count reads a block of ids per rank and lets the domain decomposition migrate the atoms.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "vitrum/md/engine.hpp"
#include "vitrum/md/integrator.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/md/system.hpp"
#include "vitrum/parallel/comm.hpp"

#ifdef VITRUM_HAVE_MPI
#include <mpi.h>
#endif

namespace vitrum::md {

/// Version written; files with a larger version are refused with a clear message.
constexpr int kCheckpointFormatVersion = 1;

/// Everything a checkpoint holds. On writing, `system` holds this rank's atoms with global ids
/// `ids` (empty: 0..N-1, the serial case); on reading, the atoms of the block that was read.
struct Checkpoint {
  MdSystem system;         ///< atoms, cell, step, time, forces, energy, virial
  std::vector<long> ids;   ///< global id of each atom of `system` (empty: 0..N-1)
  long n_atoms_total = 0;  ///< N of the whole system (set by the reader; writer: computed)
  RebuildRecord rebuild;   ///< positions (per atom, as `system`) and cell of the last rebuild
  /// Ranks per cell direction of the writer's domain decomposition ({1, 1, 1}: one rank). A
  /// restart on as many ranks uses the same grid, which bit for bit needs (the grid chosen for
  /// the cell can change when a barostat changes its shape). Reader: {0, 0, 0} when not stored.
  std::array<int, 3> domain_grid{1, 1, 1};
  int stage = 0;                  ///< index of the stage being run
  long step_in_stage = 0;         ///< steps of that stage already taken (0..steps)
  double conserved_offset = 0.0;  ///< extended energy of the finished stages (eV)
  std::string stage_name;         ///< for messages
  int n_stages = 0;               ///< stages of the campaign when written
  std::string ensemble;           ///< of the current stage ("nve", ...)
  IntegratorState integrator;     ///< Integrator::save_state() of the current stage
  std::uint64_t md_seed = 0, velocity_seed = 0, stage_seed = 0;
  long thermo_csv_bytes = -1;      ///< size of the thermo CSV when written (-1: none)
  long trajectory_bytes = -1;      ///< size of the extxyz trajectory (-1: none)
  long h5md_frames = -1;           ///< frames of the H5MD trajectory (-1: none)
  std::string config_file;         ///< the campaign file of the run that wrote it
  std::string config_fingerprint;  ///< campaign_fingerprint() of that run
  std::uint64_t config_hash = 0;   ///< fingerprint_hash(config_fingerprint)
  // Set by the reader:
  int format_version = 0;
  int writer_ranks = 1;
  std::string created;  ///< UTC time of writing
};

/// The settings of a campaign that decide its dynamics, as "key = value" lines in a fixed order
/// (numbers to 17 digits): structure source, initial velocities, potential units and precision,
/// masses, seeds, drift removal, skin, and per stage its ensemble, time step, length, targets,
/// time constants, chain settings and seed. Output and checkpoint settings are not part of it.
std::string campaign_fingerprint(const RunConfig& config);

/// FNV-1a 64-bit hash of a fingerprint (identifies a campaign's settings in one number).
std::uint64_t fingerprint_hash(const std::string& fingerprint);

/// Checks that `config` can continue checkpoint `ck` (read from `ck_path`). Refuses (throws
/// vitrum::Error listing every difference, old -> new) a change of a setting that decided the
/// dynamics up to the checkpoint or decides the current stage: structure source, velocities,
/// potential units or precision, masses, seeds, drift removal, and every setting of the stages up
/// to the current one (names excepted). Allowed, and returned as notes: the potential path and
/// backend (the forces at the checkpoint are compared after loading), the skin (no longer bit
/// for bit), stage names, and any change of the stages after the current one (adding stages
/// extends a campaign).
std::vector<std::string> check_restart_config(const Checkpoint& ck, const RunConfig& config,
                                              const std::string& ck_path);

/// The campaign state to checkpoint: the engine's atoms, its last rebuild, the integrator of the
/// current stage `stage` after `step_in_stage` of its steps, and the config fingerprint. The
/// output file sizes are left at -1 for the caller to fill.
Checkpoint capture_checkpoint(const RunConfig& config, const Engine& engine,
                              const Integrator& integrator, int stage, long step_in_stage,
                              double conserved_offset);
/// The same from an engine's state taken by the caller (the device-resident engine's host copy
/// and rebuild record; `grid`: the domain grid, {1, 1, 1} for a serial run).
Checkpoint capture_checkpoint(const RunConfig& config, MdSystem system, RebuildRecord rebuild,
                              std::array<int, 3> grid, const Integrator& integrator, int stage,
                              long step_in_stage, double conserved_offset);

/// Writes `ck` to `path` atomically (see above). Throws vitrum::Error naming the file; the
/// previous checkpoint at `path`, if any, is then left as it was.
void write_checkpoint(const std::string& path, const Checkpoint& ck);
#ifdef VITRUM_HAVE_MPI
/// Collective over `comm`: every rank passes its own atoms (ck.ids, ck.system) and the same
/// scalars; the rows of each rank's atoms are written by id through parallel HDF5. A failure
/// before the file is created, in creating or closing it, or in rank 0's rename is agreed on:
/// every rank throws. One while the file is open may be one rank's alone: that rank throws at once
/// (closing nothing, as the closes are collective) and the others may wait in a collective call,
/// so the caller must end the job (MPI_Abort, as vitrum's main does) rather than go on.
void write_checkpoint(const std::string& path, const Checkpoint& ck, MPI_Comm comm);
#endif

/// Reads a whole checkpoint (atoms in id order, ids empty). Throws vitrum::Error naming the file
/// for a missing, truncated, corrupt (checksum), foreign or newer-format file, or one whose
/// contents are inconsistent (sizes, ids, non-finite values).
Checkpoint read_checkpoint(const std::string& path);
/// Reads the scalars and the atoms with ids [first, first + count) — one rank's block on a
/// restart with any rank count (ids filled).
Checkpoint read_checkpoint(const std::string& path, long first, long count);
/// Collective over `comm`: rank r reads the scalars and its block of ids [r N / P, (r + 1) N / P)
/// (N atoms, P ranks; ids filled), so that no rank holds the whole checkpoint; Engine::restore
/// with RestoreInput::Share takes the atoms to their owners. An error on any rank (a corrupt
/// chunk of one block, say) is thrown on every rank, with the message of the lowest such rank.
Checkpoint read_checkpoint(const std::string& path, const parallel::Comm& comm);

}  // namespace vitrum::md
