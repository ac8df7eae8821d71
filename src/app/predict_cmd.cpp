// Placeholder registration, replaced by the real subcommand.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "vitrum/core/error.hpp"

namespace vitrum::app {
void register_predict(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "(not built yet)");
  cmd->callback([] { fail("'predict' is not built yet"); });
}
}  // namespace vitrum::app
