#pragma once
// Left-over temporaries of the atomic writers (vitrum/core/atomic_file.hpp).
#include <filesystem>
#include <string>

namespace vitrum::test {

/// True when a temporary of `path` ("<path>.tmp.*") is left in its directory.
inline bool temporary_left_beside(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::error_code ec;
  if (!fs::is_directory(p.parent_path(), ec)) return false;
  const std::string prefix = p.filename().string() + ".tmp.";
  for (const auto& e : fs::directory_iterator(p.parent_path(), ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace vitrum::test
