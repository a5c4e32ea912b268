// The geodes command line: parses arguments, dispatches to subcommands, maps exceptions to exit
// codes (0 ok, 1 failure, 2 bad input). Kept out of main.cpp so tests can call it in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace geodes::app {

/// Exit codes of the geodes CLI (DESIGN.md, Interfaces).
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitBadInput = 2 };

/// Runs the CLI with `args` (without the program name), writing to `out` and `err`.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace geodes::app
