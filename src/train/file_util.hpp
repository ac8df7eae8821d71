// Internal helpers of the trainer: n2p2-style number formatting, and the core atomic writer.
#pragma once

#include <string>

#include "vitrum/core/atomic_file.hpp"

namespace vitrum::train::detail {

/// %24.16E, n2p2's format for scaling.data and weights (exact double round trip).
std::string sci(double v);

}  // namespace vitrum::train::detail
