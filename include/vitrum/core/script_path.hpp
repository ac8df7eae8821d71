#pragma once
/// \file script_path.hpp
/// Where the helper scripts (scripts/plot_*.py) are: the one lookup every area uses.

#include <string>

namespace vitrum {

/// $`env_var` when set; else scripts/`name` in the nearest directory above the running
/// executable that has it (the build directory lives in the repository); "" when not found.
std::string find_script(const std::string& name, const char* env_var);

}  // namespace vitrum
