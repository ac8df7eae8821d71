// Output safety policy (vitrum/core/output_guard.hpp): symlinks written through, special files
// and directories refused, earlier outputs kept unless --overwrite.
#include "vitrum/core/output_guard.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "vitrum/core/error.hpp"

namespace vitrum {
namespace {

namespace fs = std::filesystem;

/// What sits at a path, in words, for errors ("a directory", "a character device", ...).
const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISREG(m)) return "a regular file";
  return "a special file";
}

/// The directory a file at `p` lives in ("." for a bare name).
fs::path parent_of(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

/// Follows the links at `path` to the final target (which need not exist).
fs::path resolve_links(const std::string& path) {
  fs::path p(path);
  for (int hop = 0;; ++hop) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    if (hop >= 40) fail("{}: too many levels of symbolic links (a loop?)", path);
    std::error_code ec;
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) fail("{}: cannot read the symbolic link {}: {}", path, p.string(), ec.message());
    p = target.is_absolute() ? target : parent_of(p) / target;
  }
}

void check_parent(const std::string& path, const fs::path& target) {
  const fs::path dir = parent_of(target);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT) fail("{}: the directory {} does not exist", path, dir.string());
    if (e == ENOTDIR) fail("{}: {} is not a directory (a file is in the way)", path, dir.string());
    fail("{}: cannot use the directory {}: {}", path, dir.string(), std::strerror(e));
  }
  if (!S_ISDIR(st.st_mode))
    fail("{}: {} is {}, not a directory", path, dir.string(), kind_of(st.st_mode));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("{}: cannot write in the directory {}: {}", path, dir.string(), std::strerror(errno));
}

}  // namespace

std::string checked_output_target(const std::string& path) {
  if (path.empty()) fail("an output path is empty");
  const fs::path target = resolve_links(path);
  const std::string via =
      target.string() == path ? "" : fmt::format(" (the target of the symbolic link {})", path);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      fail("{}{} is a directory: expected the path of a file to write", target.string(), via);
    if (!S_ISREG(st.st_mode))
      fail("{}{} is {}: vitrum writes its outputs only to regular files (give another path)",
           target.string(), via, kind_of(st.st_mode));
  }
  check_parent(path, target);
  return target.string();
}

void check_output_directory(const std::string& dir) {
  if (dir.empty()) fail("the output directory path is empty");
  fs::path p(dir);
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      fail("output directory {} is {}, not a directory", dir, kind_of(st.st_mode));
    if (::access(p.c_str(), W_OK | X_OK) != 0)
      fail("output directory {}: cannot write in it: {}", dir, std::strerror(errno));
    return;
  }
  // Absent: the nearest existing ancestor must be a directory vitrum may write in.
  fs::path up = p;
  int rc = 0;
  do {
    up = up.parent_path();
    if (up.empty()) up = ".";
    rc = ::stat(up.c_str(), &st);
  } while (rc != 0 && errno == ENOENT && up != "." && up != up.root_path());
  if (rc != 0 && errno == ENOTDIR)
    fail("output directory {}: cannot be created: a file is in the way in {}", dir, up.string());
  if (rc != 0)
    fail("output directory {}: cannot use {}: {}", dir, up.string(), std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    fail("output directory {}: cannot be created: {} is {}, not a directory", dir, up.string(),
         kind_of(st.st_mode));
  if (::access(up.c_str(), W_OK | X_OK) != 0)
    fail("output directory {}: cannot be created in {}: {}", dir, up.string(),
         std::strerror(errno));
}

void guard_existing_outputs(const std::vector<std::string>& outputs, bool overwrite,
                            const std::string& hint) {
  std::string existing;
  int n = 0;
  for (const auto& p : outputs) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    // Directories and special files: their own error. A dangling link holds no data yet.
    const std::string target = checked_output_target(p);
    if (::stat(target.c_str(), &st) == 0 && !overwrite) {
      existing += fmt::format("{}{}", n == 0 ? "" : ", ", p);
      ++n;
    }
  }
  if (n > 0)
    fail("refusing to replace {} existing output file{} of an earlier run: {}; {}", n,
         n == 1 ? "" : "s", existing, hint);
}

const char* overwrite_help() {
  return "replace output files that exist already (without it vitrum refuses to start and "
         "leaves every existing file as it was)";
}

}  // namespace vitrum
