// Replacing an output file atomically: readers (and a user who pressed Ctrl-C) see either the old
// file or the complete new one, never a half-written file under the target name.
//
// How: the content is written to `<path>.tmp-<pid>` in the same directory (so the final rename
// stays within one file system), flushed to disk, then renamed onto `path`. On any failure the
// temporary file is removed and an OutputError names the target path and the reason.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "geodes/sim/error.hpp"

namespace geodes::app {

/// A result file could not be written (missing or unwritable directory, the target is a
/// directory, disk full, ...). `what()` names the path and the reason. The CLI maps it to exit 1.
class OutputError : public Error {
 public:
  explicit OutputError(const std::string& what) : Error(what) {}
};

/// The temporary path write_file_atomically() uses for `path` in this process.
std::string temporary_path_for(const std::string& path);

/// Creates `path` atomically: `write(tmp)` must fill the file at `tmp` (which exists, empty, when
/// it is called) and close it; then the file is synced and renamed onto `path`, replacing any
/// regular file there.
/// Throws OutputError, leaving no temporary file and `path` untouched, when `path` is a directory,
/// its directory is missing or unwritable, `write` throws (any exception; its message is kept),
/// or the sync or rename fails.
void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& tmp)>& write);

/// Writes `bytes` to the file `tmp` (created or truncated). Throws std::runtime_error with the
/// system's reason (e.g. "File too large" past a file-size limit, "No space left on device").
void write_bytes(const std::string& tmp, std::string_view bytes);

/// write_file_atomically() for a text: `path` ends up holding exactly `contents`.
void write_text_file_atomically(const std::string& path, std::string_view contents);

}  // namespace geodes::app
