// `geodes run [SCENARIO] [--seed N] [--set key.path=value]... [--out results.h5]
//             [--json summary.json] [--quiet]`: the main job (DESIGN.md, "Interfaces").
//
// Without SCENARIO it runs the built-in default (scenarios/login_two_cities.yaml, embedded in the
// binary). On a terminal a progress bar is drawn on stderr (never with --quiet or when stderr is
// not a terminal). Ctrl-C stops the run cleanly: what was measured so far is printed and written,
// marked incomplete, and the exit code is 1. Output paths are checked before the run starts, so
// a bad --out never costs a run; files are written atomically (atomic_file.hpp).
//
// Exit codes: 0 ok; 2 bad input (options, scenario: every problem listed); 1 anything else (an
// unwritable output, an interrupted run).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace geodes::app {

/// Runs `geodes run` with `args` (after the subcommand). Returns the exit code.
int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// Throws OutputError (atomic_file.hpp) unless a file can be created at `path`: its directory
/// exists and is writable, and `path` is not a directory.
void check_output_path(const std::string& path);

}  // namespace geodes::app
