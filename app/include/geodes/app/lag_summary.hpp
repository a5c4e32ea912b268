// The headline statistics of a lag histogram, computed once so that the summary JSON, the HDF5
// attributes and the terminal summary report the same numbers.
#pragma once

#include <cstdint>

#include "geodes/sim/histogram.hpp"

namespace geodes::app {

/// Count, mean, p50, p99, p99.9 and max of a histogram of nanoseconds. Every value is NaN when
/// the histogram is empty (no samples is not the same as zero lag); otherwise mean and max are
/// exact and quantiles are Histogram::quantile (within Histogram::kMaxRelativeError).
struct LagSummary {
  std::uint64_t count = 0;
  double mean_ns = 0;
  double p50_ns = 0;
  double p99_ns = 0;
  double p999_ns = 0;
  double max_ns = 0;
};

/// Summarises `h` (see LagSummary).
LagSummary summarize_lag(const sim::Histogram& h);

}  // namespace geodes::app
