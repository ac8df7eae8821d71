// Internal helpers of the trainer: atomic file writes (temporary name in the same directory,
// then rename, so a reader never sees a half-written file) and n2p2-style number formatting.
#pragma once

#include <string>

namespace vitrum::train::detail {

/// Writes `content` to `path` atomically; throws vitrum::Error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

/// %24.16E, n2p2's format for scaling.data and weights (exact double round trip).
std::string sci(double v);

}  // namespace vitrum::train::detail
