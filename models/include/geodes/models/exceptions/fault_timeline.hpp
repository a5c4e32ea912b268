// When faults happen: scheduled ones at their `at` for their `duration`, random ones as an
// alternating renewal process (up for an MTBF draw, down for an MTTR draw, again and again) from
// the start of the run. The timeline only decides *when*; a FaultHandler (the System) decides what
// a fault does to the models (docs/faults.md).
//
// Random faults start only before `inject_until` (the end of the workload), so the drain that
// follows sees every fault heal; a repair already drawn still happens. Occurrences of one fault
// never overlap: the next failure is drawn from the end of the previous repair.
//
// Determinism: fault i draws from the stream "faults/<i>/<type>" under the seed, MTBF first, then
// MTTR, per occurrence; starts and ends are engine events, in fault order at equal times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "geodes/models/system/scenario.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {

/// Told when each occurrence of a fault starts and ends.
class FaultHandler {
 public:
  virtual ~FaultHandler() = default;
  /// Occurrence `occurrence` of fault `fault` (index into the spec list) starts now and will last
  /// `duration` (Duration::max(): it never ends).
  virtual void fault_started(std::size_t fault, std::size_t occurrence, sim::Duration duration) = 0;
  /// That occurrence ends now.
  virtual void fault_ended(std::size_t fault, std::size_t occurrence) = 0;
};

/// One occurrence, for reports.
struct FaultOccurrence {
  std::size_t fault = 0;  ///< index into the spec list
  sim::Time start;
  sim::Time end = sim::Time::max();  ///< Time::max() while it has not ended
};

class FaultTimeline {
 public:
  /// Throws InvalidArgument, naming the fault by index and type, on a negative `at`, a duration
  /// <= 0, or MTBF / MTTR distributions that can draw negative values.
  /// REQUIRES: engine, handler and the faults outlive the timeline.
  FaultTimeline(sim::Engine& engine, const std::vector<FaultSpec>& faults, FaultHandler& handler,
                sim::Time inject_until, std::uint64_t seed);
  FaultTimeline(const FaultTimeline&) = delete;
  FaultTimeline& operator=(const FaultTimeline&) = delete;

  /// Schedules the first occurrence of every fault. Call once.
  void start();

  /// Every occurrence so far, in start order (ties: fault order).
  [[nodiscard]] const std::vector<FaultOccurrence>& occurrences() const { return occurrences_; }

 private:
  void begin(std::size_t fault, sim::Duration duration);
  void finish(std::size_t fault, std::size_t occurrence);
  void schedule_random(std::size_t fault, sim::Time after);
  [[nodiscard]] sim::Duration draw(const sim::Distribution& d, std::size_t fault);

  sim::Engine& engine_;
  const std::vector<FaultSpec>& faults_;
  FaultHandler& handler_;
  sim::Time inject_until_;
  std::vector<sim::Rng> rngs_;
  std::vector<FaultOccurrence> occurrences_;
  bool started_ = false;
};

}  // namespace geodes::models
