#pragma once
/// \file output_guard.hpp
/// Output safety: what vitrum does with the paths it writes to, for every subcommand.
///
/// Policy (docs/output-safety.md):
///  - A file output is written to a temporary name beside its target and renamed over it.
///    Before that, checked_output_target() checks the path:
///      * a symbolic link is written THROUGH: the link stays, its final target (followed link by
///        link, relative links against the link's own directory) receives the new contents;
///        a loop of links is an error;
///      * a directory where a file is expected, a character or block device, a FIFO or a socket
///        is refused with an error naming the path and what sits there (nothing is replaced);
///      * a missing parent directory, a parent that is not a directory, or one vitrum may not
///        write in is an error naming that directory.
///  - Outputs of an earlier run are never replaced silently: a subcommand refuses to start when
///    any file it would write exists already, unless --overwrite is given (`vitrum run` also
///    continues its own files with --restart). The check runs after the whole configuration is
///    validated and before any output is opened, so a refused run leaves every file as it was.

#include <string>
#include <vector>

namespace vitrum {

/// The path a file output must really be written to (see the policy above): `path` itself, or
/// the final target of the symbolic link at `path`. Throws vitrum::Error naming `path` for a
/// directory, a special file, a link loop or an unusable parent directory.
std::string checked_output_target(const std::string& path);

/// Checks that `dir` can be an output directory: absent (its nearest existing ancestor must be
/// a writable directory; it is created later) or a writable directory. Throws vitrum::Error
/// naming `dir` otherwise (a regular file, a special file, no write permission).
void check_output_directory(const std::string& dir);

/// Refuses (throws vitrum::Error) when any of `outputs` exists already (a file, or the existing
/// target of a link; a dangling link holds no data) and `overwrite` is false: the error lists
/// them and says how to proceed (`hint`, e.g. "give --overwrite to replace them"). Every path is
/// also checked with checked_output_target(), overwrite or not, so a directory or special file
/// among them is reported before anything is written.
void guard_existing_outputs(const std::vector<std::string>& outputs, bool overwrite,
                            const std::string& hint);

/// The --overwrite flag's help text, the same for every subcommand.
const char* overwrite_help();

}  // namespace vitrum
