// Placeholder registration, replaced by the real subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::app {
void register_spectra_info(CLI::App& spectra) {
  auto* cmd = spectra.add_subcommand("info", "(not built yet)");
  cmd->callback([] { fail("'spectra_info' is not built yet"); });
}
}  // namespace vitrum::app
