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
#include <utility>
#include <vector>

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

/// Outputs of one command that appear together or not at all: write() puts each file's content
/// in its temporary (flushed to disk) at once, commit() renames them all onto their targets at
/// the end; if the command fails before commit() (an exception unwinds), the destructor removes
/// the temporaries, so a failed command leaves every target as it was (no half set of new files
/// that a rerun would have to --overwrite).
class StagedOutputs {
 public:
  StagedOutputs() = default;
  StagedOutputs(const StagedOutputs&) = delete;
  StagedOutputs& operator=(const StagedOutputs&) = delete;
  ~StagedOutputs();
  void write(const std::string& path, std::string_view content);
  /// Renames every staged file onto its target, in the order written; returns the targets.
  std::vector<std::string> commit();

 private:
  std::vector<std::pair<std::string, std::string>> staged_;  // (temporary, target)
};

}  // namespace vitrum
