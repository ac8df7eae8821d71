// The lookup of the helper scripts (see script_path.hpp).
#include "vitrum/core/script_path.hpp"

#include <cstdlib>
#include <filesystem>

namespace vitrum {

std::string find_script(const std::string& name, const char* env_var) {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv(env_var)) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path()) {
    const fs::path s = d / "scripts" / name;
    if (fs::exists(s, ec)) return s.string();
  }
  return {};
}

}  // namespace vitrum
