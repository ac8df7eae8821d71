// Atomic file output: temporary beside the target, fsync, rename (see atomic_file.hpp).
#include "vitrum/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "vitrum/core/error.hpp"
#include "vitrum/core/output_guard.hpp"

namespace vitrum {

namespace {

/// Flushes a closed file's data to disk (false with errno set on failure).
bool fsync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  errno = err;
  return ok;
}

}  // namespace

// The output policy (core/output_guard.hpp) is applied here, the one place that looks at the
// target: the temporary sits beside the link's target, and the rename replaces the target.
std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}.tmp.{}.{}", checked_output_target(path), static_cast<long>(::getpid()),
                     counter++);
}

void commit_temp(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), checked_output_target(path).c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    fail("{}: cannot rename {} to it: {}", path, tmp, std::strerror(err));
  }
}

namespace {

/// `content` in a fresh temporary for `path` (flushed to disk); returns the temporary's name.
std::string write_temp(const std::string& path, std::string_view content) {
  const std::string tmp = temp_path_for(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    fail(
        "{}: cannot create the temporary file {}: {} (does the directory exist and is it "
        "writable?)",
        path, tmp, std::strerror(errno));
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size() &&
                  std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    fail("{}: cannot write {}: {} (disk full?)", path, tmp,
         std::strerror(ok ? errno : write_errno));
  }
  return tmp;
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view content) {
  commit_temp(write_temp(path, content), path);
}

StagedOutputs::~StagedOutputs() {
  for (const auto& [tmp, path] : staged_) std::remove(tmp.c_str());
}

void StagedOutputs::write(const std::string& path, std::string_view content) {
  staged_.emplace_back(write_temp(path, content), path);
}

std::vector<std::string> StagedOutputs::commit() {
  std::vector<std::string> done;
  while (!staged_.empty()) {
    const auto [tmp, path] = staged_.front();
    staged_.erase(staged_.begin());
    commit_temp(tmp, path);
    done.push_back(path);
  }
  return done;
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = temp_path_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail(
          "{}: cannot create the temporary file {}: {} (does the directory exist and is it "
          "writable?)",
          path, tmp, std::strerror(errno));
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.flush();
    out.close();
    if (!out || !fsync_file(tmp)) {
      std::remove(tmp.c_str());
      fail("{}: cannot write {}: disk full?", path, tmp);
    }
  }
  commit_temp(tmp, path);
}

}  // namespace vitrum
