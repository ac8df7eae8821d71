// Placeholder registration, replaced by the real subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::app {
void register_spectra_fit(CLI::App& spectra) {
  auto* cmd = spectra.add_subcommand("fit", "(not built yet)");
  cmd->callback([] { fail("'spectra_fit' is not built yet"); });
}
}  // namespace vitrum::app
