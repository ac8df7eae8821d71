#pragma once
// Subcommand registration: each subcommand lives in its own src/app/<name>_cmd.cpp and adds
// itself to the CLI here. main.cpp is the single dispatch point.

namespace CLI {
class App;
}

namespace vitrum::app {

/// Thrown by a subcommand that finished without an error but must end the process with a
/// particular status (e.g. `vitrum run` stopped early with a checkpoint: 75). main() returns it.
struct ExitStatus {
  int code = 0;
};

/// `vitrum predict`: energies and forces of every structure in a file.
void register_predict(CLI::App& app);
/// `vitrum run CONFIG.toml`: an MD campaign (structure, potential, ordered stages).
void register_run(CLI::App& app);
/// `vitrum analyze`: g(r), coordination, MSD/diffusion of trajectories.
void register_analyze(CLI::App& app);
/// `vitrum train CONFIG.toml`: fit an HDNNP to reference energies and forces.
void register_train(CLI::App& app);
/// `vitrum spectra fit`: batched EM peak fitting (adds the `spectra` group's `fit` subcommand).
void register_spectra_fit(CLI::App& spectra);
/// `vitrum spectra synth`: synthetic spectrum images with known truth.
void register_spectra_synth(CLI::App& spectra);
/// `vitrum spectra info`: prints what a spectrum file holds (blocks, shapes, energy ranges).
void register_spectra_info(CLI::App& spectra);

}  // namespace vitrum::app
