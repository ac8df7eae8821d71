// `vitrum train CONFIG.toml`: fits an HDNNP to reference energies and forces and writes it in
// n2p2's format (the work is in src/train/; this is the command line).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "vitrum/core/backend.hpp"
#include "vitrum/core/output_guard.hpp"
#include "vitrum/train/train_config.hpp"

namespace vitrum::app {

namespace {

struct TrainArgs {
  std::string config;
  std::string output;
  int threads = 0;
  std::string backend;
  int epochs = -1;
  bool quiet = false;
  bool schema = false;
  bool overwrite = false;
};

/// Output safety (vitrum/core/output_guard.hpp): the files a training writes in `dir`.
void guard_train_outputs(const std::string& dir, bool overwrite) {
  namespace fs = std::filesystem;
  check_output_directory(dir);
  std::vector<std::string> outputs;
  for (const char* name :
       {"input.nn", "scaling.data", "learning_curve.csv", "energy_parity.csv", "force_parity.csv"})
    outputs.push_back((fs::path(dir) / name).string());
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("weights.", 0) == 0 && e.path().extension() == ".data")
      outputs.push_back(e.path().string());
  }
  guard_existing_outputs(outputs, overwrite,
                         "give --overwrite to replace them, or another output directory (-o)");
}

void run_train(const TrainArgs& a) {
  if (a.schema) {
    std::fputs(train::train_config_help().c_str(), stdout);
    return;
  }
  if (a.config.empty()) throw CLI::RequiredError("CONFIG");
  train::TrainConfig cfg = train::read_train_config(a.config);
  if (!a.output.empty()) cfg.directory = a.output;
  if (a.threads > 0) cfg.threads = a.threads;
  if (!a.backend.empty()) cfg.training.backend = parse_backend(a.backend);
  if (a.epochs >= 0) cfg.training.epochs = a.epochs;
  guard_train_outputs(cfg.directory, a.overwrite);
  train::run_training(cfg, a.quiet);
}

}  // namespace

void register_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand(
      "train",
      "Fit a Behler–Parrinello HDNNP to reference energies and forces (n2p2 input.data or "
      "extended XYZ) and write it in n2p2's format: input.nn, scaling.data, weights.NNN.data, "
      "learning curve and parity plots. `vitrum train --schema` prints every config key");
  cmd->add_option("config", a->config, "training configuration (TOML)")->check(CLI::ExistingFile);
  cmd->add_option("--output,-o", a->output, "output directory (overrides [output] directory)");
  cmd->add_option("--epochs", a->epochs, "number of epochs (overrides [training] epochs)");
  cmd->add_option("--threads", a->threads,
                  "OpenMP threads (default: [training] threads, OMP_NUM_THREADS or all cores)");
  cmd->add_option("--backend", a->backend,
                  "cpu or cuda: where the training GEMMs run (overrides [training] backend)");
  cmd->add_flag("--quiet,-q", a->quiet, "no progress output");
  cmd->add_flag("--overwrite", a->overwrite,
                "replace the potential (input.nn, scaling.data, weights.NNN.data) and reports of "
                "an earlier training in the output directory; without it vitrum refuses to start "
                "there and leaves every file as it was");
  cmd->add_flag("--schema", a->schema, "print the documented config schema and exit");
  cmd->callback([a] { run_train(*a); });
}

}  // namespace vitrum::app
