// Placeholder registration, replaced by the real subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::app {
void register_spectra_synth(CLI::App& spectra) {
  auto* cmd = spectra.add_subcommand("synth", "(not built yet)");
  cmd->callback([] { fail("'spectra_synth' is not built yet"); });
}
}  // namespace vitrum::app
