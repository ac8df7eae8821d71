#pragma once
/// \file run_config.hpp
/// The TOML campaign file of `vitrum run`: a starting structure, a potential, MD settings and an
/// ordered list of stages. Every key is checked for its table, type and range; an unknown key is
/// an error naming the key, the table and the line. Relative input paths (structure file,
/// potential) are resolved against the directory of the config file; the output directory is
/// relative to the working directory. Full schema with defaults: docs/md-run.md and
/// `vitrum run --help`.
///
/// ```toml
/// [structure]                 # file = "..." or a [structure.generate] table (a builder)
/// file = "structures/water_1080.data"
/// length_unit = "bohr"        # unit of the file's positions and cell (default "angstrom")
/// frame = 0                   # frame of a multi-frame file (negative: from the end)
/// replicate = [1, 1, 1]
///
/// [potential]
/// path = "potentials/H2O_RPBE-D3"     # n2p2 directory or teacher *.toml
/// length_unit = "bohr"                # n2p2 units (default angstrom / eV)
/// energy_unit = "Hartree"
///
/// [md]
/// timestep_fs = 0.5
/// seed = 1
/// skin = 1.0
/// masses = { H = 2.014 }
///
/// [velocities]
/// temperature = 300.0
///
/// [output]
/// directory = "out/h2o_nve"
/// thermo_every = 20
///
/// [parallel]                  # optional
/// gpu_aware_mpi = "auto"      # auto | on | off (device halo buffers straight to MPI)
///
/// [[stage]]
/// ensemble = "nve"
/// time_ps = 1.0
/// ```

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vitrum/core/backend.hpp"
#include "vitrum/md/integrator.hpp"
#include "vitrum/md/structure_source.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"

namespace vitrum::md {

/// [structure]
struct StructureConfig {
  std::string file;                       ///< resolved path; empty when generated
  double length_unit = 1.0;               ///< Å per length unit of the file
  long frame = 0;                         ///< frame index (negative counts from the end)
  std::array<int, 3> replicate{1, 1, 1};  ///< periodic replication along a, b, c
  std::shared_ptr<BuilderArgs> generate;  ///< [structure.generate], when generated
};

/// [potential]
struct PotentialTable;  // a copy of the [potential] table (md/force_field_registry.hpp)

struct PotentialConfig {
  /// Registered force-field kind (md/force_field_registry.hpp); empty: from the path.
  std::string kind;
  std::string path;          ///< resolved path: n2p2 directory or teacher *.toml
  double length_unit = 1.0;  ///< Å per potential length unit (n2p2)
  double energy_unit = 1.0;  ///< eV per potential energy unit (n2p2)
  Backend backend = Backend::Cpu;
  Precision precision = Precision::Double;
  /// The [potential] table as written (the kind reads its own keys from it); null when the
  /// configuration did not come from a file.
  std::shared_ptr<const PotentialTable> table;
};

/// [velocities]
struct VelocityConfig {
  bool has_temperature = false;  ///< draw Maxwell–Boltzmann velocities
  double temperature = 0.0;      ///< K
  bool rescale = true;           ///< scale to exactly `temperature` after removing the drift
  std::uint64_t seed = 0;        ///< default: [md] seed
};

/// [output] h5md = { ... }: the H5MD 1.1 trajectory (vitrum/io/h5md.hpp).
struct H5mdConfig {
  long every = 0;  ///< steps between frames (0: no H5MD trajectory)
  std::string file = "trajectory.h5";
  bool velocities = true;  ///< particles/all/velocity
  bool forces = false;     ///< particles/all/force
  bool unwrapped = true;   ///< positions unwrapped by the image counts (for MSD)
  int compression = 4;     ///< gzip level 0-9 of the per-atom series
};

/// [checkpoint]: restart files (vitrum/md/checkpoint.hpp).
struct CheckpointConfig {
  std::string file = "checkpoint.h5";  ///< in the output directory
  long every_steps = 0;                ///< steps between checkpoints (0: not by steps)
  double every_minutes = 30.0;         ///< wall minutes between checkpoints (0: not by time)
  bool at_end = true;                  ///< a checkpoint at the end of the campaign
};

/// [output]
struct OutputConfig {
  std::string directory = ".";
  long thermo_every = 100;  ///< steps between thermo lines (0: stage ends only)
  std::string thermo_csv = "thermo.csv";
  long trajectory_every = 0;  ///< steps between snapshots (0: none)
  std::string trajectory = "trajectory.xyz";
  bool trajectory_forces = false;
  bool trajectory_unwrapped = true;  ///< unwrapped positions (for MSD); cell as is
  std::string final_structure = "final.xyz";
  std::string crash_structure = "crash.xyz";
  bool progress = true;  ///< progress line on stderr when it is a terminal
  H5mdConfig h5md;
  // Training-set frames (vitrum/md/dataset_output.hpp).
  long dataset_every = 0;                ///< steps between n2p2 input.data frames (0: none)
  std::string dataset = "dataset.data";  ///< in the output directory
  double dataset_test_fraction = 0.1;    ///< share of frames flagged set=test
};

/// One [[stage]].
struct StageConfig {
  std::string name;  ///< default "stage <k>"
  long line = 0;     ///< line of the [[stage]] header, for messages
  IntegratorParams integrator;
  long steps = 0;
  double temperature_from = 0.0;  ///< K (thermostatted ensembles)
  double temperature_to = 0.0;    ///< K; equal to temperature_from unless ramped
  double pressure = 1.0;          ///< bar (npt_mtk)
  long thermo_every = -1;         ///< -1: [output] thermo_every
  long trajectory_every = -1;     ///< -1: [output] trajectory_every
  long h5md_every = -1;           ///< -1: [output] h5md every
  long dataset_every = -1;        ///< -1: [output] dataset_every

  bool thermostatted() const;
  /// Target temperature for step k = 1..steps of the stage: linear from temperature_from at
  /// k = 0 to temperature_to at k = steps (LAMMPS's ramp).
  double temperature_at(long k) const;
};

/// [md] engine: which MD engine drives the campaign (vitrum/md/campaign.hpp).
enum class MdEngineKind {
  Auto,            ///< the host engine until the device engine has run on a GPU (then: GPU runs)
  Host,            ///< md::Engine: state in host memory (any rank count, every ensemble)
  Device,          ///< md::DeviceEngine on the CUDA device
  DeviceEmulated,  ///< md::DeviceEngine on the emulated device (CPU CI; host memory, host loops)
};
const char* to_string(MdEngineKind kind);
/// Parses "auto", "host", "device", "device-emulated"; throws naming `where` otherwise.
MdEngineKind parse_md_engine(const std::string& name, const std::string& where);

/// The whole campaign.
struct RunConfig {
  std::string file;  ///< the config file (for messages)
  StructureConfig structure;
  PotentialConfig potential;
  double timestep_fs = 1.0;
  std::uint64_t seed = 1;
  double skin = 1.0;
  std::map<std::string, double> masses;
  int threads = 0;                 ///< 0: OMP_NUM_THREADS or all cores
  long remove_drift_every = 1000;  ///< steps between centre-of-mass drift removals (0: never)
  double max_temperature = 1e5;    ///< K
  double min_distance = 0.3;       ///< Å
  MdEngineKind engine = MdEngineKind::Auto;   ///< [md] engine
  std::string engine_source = "[md] engine";  ///< where `engine` was set (for messages)
  VelocityConfig velocities;
  OutputConfig output;
  CheckpointConfig checkpoint;
  /// [parallel] gpu_aware_mpi: how device halo buffers reach MPI (parallel/gpu_mpi.hpp); the
  /// environment (VITRUM_GPU_AWARE_MPI) and `--gpu-aware-mpi` take precedence.
  parallel::GpuMpiMode gpu_mpi = parallel::GpuMpiMode::Auto;
  bool gpu_mpi_set = false;  ///< gpu_aware_mpi was given in the file
  std::vector<StageConfig> stages;

  long total_steps() const;
  /// Simulated time of all stages (ps).
  double total_time_ps() const;
};

/// Parses a campaign file. Throws vitrum::InputError naming the file, line, table and key.
RunConfig parse_run_config(const std::string& path);
/// Parses campaign text; `file` names it in messages and `base_dir` resolves relative paths.
RunConfig parse_run_config_text(std::string_view text, const std::string& file,
                                const std::string& base_dir);

/// The schema with defaults, as printed by `vitrum run --help`.
std::string run_config_help();

}  // namespace vitrum::md
