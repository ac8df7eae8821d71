#pragma once
/// \file atomic_file.hpp
/// Atomic file output for every area: the content goes to a temporary file beside the target
/// (same file system), is flushed to disk, and is renamed onto the target only when complete, so
/// a reader or a crash sees the old file or the new one, never half of one.
///
/// temp_path_for() and commit_temp() are the one place that looks at the target path: they apply
/// core/output_guard.hpp (checked_output_target: a symlink is written through to its target; a
/// device, FIFO, socket or directory is refused).

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace vitrum {

/// The temporary for `path`: "<path>.tmp.<pid>.<n>" in the same directory, unique per process
/// and call.
std::string temp_path_for(const std::string& path);

/// Renames `tmp` onto `path` (atomic on POSIX within one file system); on failure removes `tmp`
/// and throws vitrum::Error naming both.
void commit_temp(const std::string& tmp, const std::string& path);

/// Writes `content` to `path` atomically (temporary, fsync, rename); throws vitrum::Error naming
/// the file and the system error.
void write_file_atomic(const std::string& path, std::string_view content);

/// The streaming variant: `write` fills the temporary through a binary std::ostream; a stream
/// failure (disk full) or an exception from `write` removes the temporary and leaves `path`
/// untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace vitrum
