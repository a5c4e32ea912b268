// `geodes demo-mm1`: runs the M/M/1 replication channel (models/mm1_replication.hpp) and prints
// its measured lag beside queueing theory. The engine's smoke test for humans.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace geodes::app {

/// Parses the demo's options from `args`, runs it, prints a table to `out`. Returns an exit code;
/// throws InvalidArgument for bad options.
int run_demo_mm1(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace geodes::app
