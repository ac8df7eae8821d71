#pragma once
/// \file kernel_choice.hpp
/// Which CUDA kernels a backend runs where two generations exist: `Team` (a warp per atom, the
/// default) or `Legacy` (a thread per atom), read from an environment variable (team | legacy;
/// unset or empty: team). The legacy kernels stay selectable so a benchmark can time both in one
/// run on one device.

namespace vitrum {

enum class KernelChoice { Team, Legacy };

/// The choice in environment variable `variable`; any value other than team, legacy or empty is
/// an error naming the variable, the value and the accepted values.
KernelChoice kernel_choice_from_env(const char* variable);
const char* to_string(KernelChoice k);

}  // namespace vitrum
