// The terminal summary of a run: compact tables per business, data class and channel, the faults,
// the compensation bill, a "Findings" list of every loss or inconsistency, and a last line with
// events, simulated time, wall time and speed.
//
// Contract: every line is at most kSummaryWidth columns (long names are cut and end in '~'); rows
// with loss or inconsistency carry a '!' in the first column, and each such number is repeated
// under "Findings:", so that nothing bad hides in a wide table. Deterministic except for the wall
// time and speed on the last line.
#pragma once

#include <cstddef>
#include <string>

#include "geodes/models/system/run_results.hpp"

namespace geodes::app {

/// Maximum width of a summary line, in columns.
inline constexpr std::size_t kSummaryWidth = 80;

/// The terminal summary of `results`; lines end in '\n'.
std::string summary_text(const models::RunResults& results);

}  // namespace geodes::app
