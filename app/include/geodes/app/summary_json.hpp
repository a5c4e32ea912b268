// The summary JSON of a run (DESIGN.md, "Interfaces"): the headline numbers of RunResults as one
// JSON object, written by `geodes run --json` and stored in the HDF5 results file.
//
// Contract:
//   * keys and their order are fixed: the DESIGN.md keys first, then the extras, in the order
//     documented in docs/results.md; names (businesses, data classes, channels, DCs) appear in
//     RunResults order, which is scenario order;
//   * the text is a pure function of (RunResults, SummaryOptions): same input, same bytes. With
//     include_wall_time = false and no command line, two runs of the same scenario and seed give
//     byte-identical summaries;
//   * numbers: counts are exact integers; doubles print in the shortest form that reads back to
//     the same double; NaN and infinities print as null; lag_ms values are nanosecond histogram
//     statistics divided by 1e6, and null when the histogram is empty.
#pragma once

#include <string>

#include "geodes/models/system/run_results.hpp"

namespace geodes::app {

struct SummaryOptions {
  /// false: omit "wall_s", the only value that depends on the machine and its load.
  bool include_wall_time = true;
  /// Stored as "command_line" (after "wall_s") when non-empty.
  std::string command_line;
  /// Spaces per nesting level; negative for a single line.
  int indent = 2;
};

/// The summary JSON of `results`, ending in a newline. Throws InvalidArgument if two businesses,
/// data classes, channels or replicas of one class share a name (they would share a key).
std::string summary_json(const models::RunResults& results, const SummaryOptions& options = {});

}  // namespace geodes::app
