// Availability (DESIGN.md "Metrics"): succeeded / attempted ops per business and per DC over time,
// and the RTO of a business after a fault: from the fault's start until the success ratio over a
// sliding window is back at the business's target.
//
// An op counts in the interval in which its client learnt the result (after its retries). Ops
// that arrived before the warm-up ended are not counted.
//
// RTO, precisely: with intervals of length I and a window of k = ceil(window / I) intervals, the
// window ratio at the end of interval j is the succeeded / attempted ops of intervals j-k+1..j
// (windows without ops have no ratio). The business is hurt by a fault starting at s if some
// window ending in (s, e + window] (e = the fault's end) has a ratio below target; its RTO is then
// the end of the first later window whose ratio is back at target, minus s. Not hurt: -1; never
// back within the run: +infinity.
#pragma once

#include <cstddef>
#include <vector>

#include "geodes/models/ids.hpp"
#include "geodes/models/workload/business.hpp"
#include "geodes/sim/time.hpp"
#include "geodes/sim/time_series.hpp"

namespace geodes::models {

class Availability {
 public:
  /// REQUIRES interval > 0 (throws InvalidArgument otherwise).
  Availability(std::size_t businesses, std::size_t dcs, sim::Duration interval, sim::Time warmup);

  /// An op of `business` served (or refused) by `dc` that arrived at `start` ended at `end`.
  void record(BusinessId business, DcId dc, sim::Time start, sim::Time end, bool succeeded);

  /// Per interval: count = ops finished, mean = success ratio.
  [[nodiscard]] const sim::SampleSeries& business(BusinessId b) const;
  [[nodiscard]] const sim::SampleSeries& dc(DcId d) const;

  /// The RTO of `b` (seconds; see the file comment) for a fault occupying [start, end]
  /// (end = Time::max() if it never ended), judged up to `run_end`.
  [[nodiscard]] double rto_s(BusinessId b, sim::Time start, sim::Time end, double target,
                             sim::Duration window, sim::Time run_end) const;

 private:
  sim::Duration interval_;
  sim::Time warmup_;
  std::vector<sim::SampleSeries> businesses_;
  std::vector<sim::SampleSeries> dcs_;
};

}  // namespace geodes::models
