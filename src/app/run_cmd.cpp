// `vitrum run CONFIG.toml`: an MD campaign (structure, potential, ordered stages) described by
// one TOML file; see vitrum/md/run_config.hpp and docs/md-run.md.
#include <CLI/CLI.hpp>
#include <chrono>

#include "commands.hpp"
#include "vitrum/md/batch_control.hpp"
#include "vitrum/md/campaign.hpp"
#include "vitrum/md/device_engine.hpp"
#include "vitrum/md/run_config.hpp"
#include "vitrum/parallel/gpu_mpi.hpp"
#include "vitrum/teacher/device_teacher.hpp"

namespace vitrum::app {

namespace {

struct RunArgs {
  std::string config;
  std::string output;
  int threads = 0;
  bool quiet = false;
  bool check = false;
  bool overwrite = false;
  std::string restart;
  std::string max_walltime;
  long max_steps = 0;
  std::string gpu_aware_mpi;  ///< --gpu-aware-mpi (empty: VITRUM_GPU_AWARE_MPI, else the config)
  std::string engine;         ///< --engine (empty: [md] engine)
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

void run_run(const RunArgs& a) {
  md::RunConfig config = md::parse_run_config(a.config);
  // Precedence: --gpu-aware-mpi > VITRUM_GPU_AWARE_MPI > [parallel] gpu_aware_mpi > auto.
  config.gpu_mpi = a.gpu_aware_mpi.empty()
                       ? parallel::gpu_mpi_mode_from_env(config.gpu_mpi)
                       : parallel::parse_gpu_mpi_mode(a.gpu_aware_mpi, "--gpu-aware-mpi");
  if (!a.engine.empty()) {
    config.engine = md::parse_md_engine(a.engine, "--engine");
    config.engine_source = "--engine";
  }
  const double walltime =
      a.max_walltime.empty() ? 0.0 : md::BatchControl::parse_walltime(a.max_walltime);
  if (a.check) {
    std::printf("%s: valid; %zu stage(s), %ld steps, %.4g ps\n", a.config.c_str(),
                config.stages.size(), config.total_steps(), config.total_time_ps());
    for (const auto& s : config.stages) {
      std::printf("  %-20s %-16s %9ld steps of %g fs\n", s.name.c_str(),
                  md::to_string(s.integrator.ensemble), s.steps, s.integrator.dt);
    }
    return;
  }
  md::RunOptions options;
  options.output_directory = a.output;
  options.threads = a.threads;
  options.quiet = a.quiet;
  options.restart_file = a.restart;
  options.overwrite = a.overwrite;
  options.max_walltime_s = walltime;
  options.max_steps = a.max_steps;
  options.start = a.start;
  teacher::register_device_teacher_force_field();  // for [md] engine = "device"
  md::register_device_hdnnp_force_field();
  const md::RunSummary r = md::run_campaign(config, options);
  if (!r.completed) throw ExitStatus{md::kExitCheckpointed};
}

}  // namespace

void register_run(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "run",
      "Molecular dynamics campaign from a TOML file: a starting structure (file or builder), a "
      "potential (n2p2 HDNNP or SiO2 teacher), and ordered stages (nve, nvt_nose_hoover, "
      "nvt_langevin, npt_mtk; temperature ramps). Writes a thermo CSV, extxyz snapshots and a "
      "final structure");
  cmd->add_option("config", a->config, "campaign file (TOML; schema below)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--output-dir,-o", a->output, "output directory (overrides [output] directory)");
  cmd->add_option("--threads", a->threads,
                  "OpenMP threads (overrides [md] threads; default OMP_NUM_THREADS or all cores)");
  cmd->add_flag("--quiet,-q", a->quiet, "no console thermo table (the CSV is still written)");
  cmd->add_flag("--check", a->check, "only validate the config file and print the plan");
  cmd->add_option("--restart", a->restart,
                  "continue the campaign from this checkpoint (written by [checkpoint]); the "
                  "config must be the campaign's (later stages may change or be added)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--overwrite", a->overwrite,
                "replace the outputs of an earlier run in the output directory (thermo CSV, "
                "trajectories, checkpoint, final structure); without it (or --restart) a run "
                "refuses to start there and leaves every file as it was");
  cmd->add_option("--max-walltime", a->max_walltime,
                  "wall-time budget of this job, HH:MM:SS (or SS, MM:SS, D-HH:MM:SS): stop in time "
                  "to write a checkpoint, then exit with status 75");
  cmd->add_option(
         "--max-steps", a->max_steps,
         "run at most this many steps in this job, then checkpoint and exit with status 75")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--engine", a->engine,
                  "auto|host|device|device-emulated: the MD engine (overrides [md] engine; "
                  "docs/device-resident.md)");
  cmd->add_option("--gpu-aware-mpi", a->gpu_aware_mpi,
                  "auto|on|off: how device (backend = \"cuda\") halo buffers reach MPI under "
                  "mpiexec: on = device pointers (needs a CUDA-aware MPI), off = pinned host "
                  "staging, auto = ask the MPI library. Precedence: this option > "
                  "VITRUM_GPU_AWARE_MPI > [parallel] gpu_aware_mpi > auto")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->footer(md::run_config_help() + R"(
Exit status: 0 campaign complete; 1 error (message on stderr; unstable dynamics write a crash
snapshot); 75 stopped early by SIGTERM, SIGUSR1, SIGINT, --max-walltime or --max-steps after
writing the checkpoint: resubmit with --restart CHECKPOINT (scripts/slurm/).
)");
  cmd->callback([a] { run_run(*a); });
}

}  // namespace vitrum::app
