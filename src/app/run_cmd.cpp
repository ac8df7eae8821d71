// Placeholder registration, replaced by the real subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::app {
void register_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "(not built yet)");
  cmd->callback([] { fail("'run' is not built yet"); });
}
}  // namespace vitrum::app
