// Atomic writes for the trainer's outputs and checkpoints.
#include "file_util.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"

namespace vitrum::train::detail {

void write_file_atomic(const std::string& requested, const std::string& content) {
  const std::string path = checked_output_target(requested);
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    fail("cannot write {}: {} (does the directory exist and is it writable?)", tmp,
         std::strerror(errno));
  const size_t n = std::fwrite(content.data(), 1, content.size(), f);
  const bool ok = n == content.size() && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok) {
    std::remove(tmp.c_str());
    fail("cannot write {}: {} (disk full?)", tmp, std::strerror(err));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail("cannot rename {} to {}: {}", tmp, path, ec.message());
  }
}

std::string sci(double v) {
  return fmt::format("{:24.16E}", v);
}

}  // namespace vitrum::train::detail
