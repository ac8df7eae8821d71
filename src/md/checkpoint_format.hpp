// Internal to the checkpoint files (checkpoint_write.cpp, checkpoint_read.cpp): the format's
// identifiers.
#pragma once

namespace vitrum::md::checkpoint_detail {

constexpr const char* kFormat = "vitrum-checkpoint";
constexpr const char* kVitrumVersion = "0.1.0";

}  // namespace vitrum::md::checkpoint_detail
