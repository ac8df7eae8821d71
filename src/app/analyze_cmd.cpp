// Placeholder registration, replaced by the real subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::app {
void register_analyze(CLI::App& app) {
  auto* cmd = app.add_subcommand("analyze", "(not built yet)");
  cmd->callback([] { fail("'analyze' is not built yet"); });
}
}  // namespace vitrum::app
