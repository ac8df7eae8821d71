// Kernel generation chosen by an environment variable (see kernel_choice.hpp).
#include "vitrum/core/kernel_choice.hpp"

#include <cstdlib>
#include <string>

#include "vitrum/core/error.hpp"

namespace vitrum {

KernelChoice kernel_choice_from_env(const char* variable) {
  const char* v = std::getenv(variable);
  const std::string s = v == nullptr ? "" : v;
  if (s.empty() || s == "team") return KernelChoice::Team;
  if (s == "legacy") return KernelChoice::Legacy;
  fail(
      "environment variable {} is '{}': expected 'team' (the default, a warp per atom) or "
      "'legacy' (a thread per atom)",
      variable, s);
}

const char* to_string(KernelChoice k) {
  return k == KernelChoice::Team ? "team" : "legacy";
}

}  // namespace vitrum
