#pragma once
// Paths the tests use: the source tree and ../shared (reference data; CI has it beside the clone).
#include <string>

namespace vitrum::test {
inline std::string source_dir() { return VITRUM_SOURCE_DIR; }
inline std::string shared_dir() { return VITRUM_SHARED_DIR; }
inline std::string n2p2_dir() { return shared_dir() + "/reference/n2p2"; }
inline std::string vitrum_binary() { return VITRUM_BINARY; }
}  // namespace vitrum::test
