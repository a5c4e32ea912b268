// The whole simulated system of one scenario: datacenters and their stores, the network, the
// sync channels of every data class, the workload, faults and exception handling, and the
// metrics that come out (DESIGN.md "The domain", "Metrics"). `geodes run`, the Python API and
// end-to-end tests all go through it.
//
// Wiring (see also docs/faults.md for what each fault does):
//   * every DC holds one Store per data class and a VersionClock;
//   * a data class with `channels` sync is replicated from every DC to every other DC over each
//     of its channels: one MqChannel per (use, source, replica), one MysqlChannel per
//     (configuration, links, source, replica) carrying every class that uses it (one binlog);
//     a local commit is shipped at once to the channels leaving its DC;
//   * each (class, replica DC) has a FirstArrivalTracker: the class's lag is the first arrival
//     over its channels, later arrivals are duplicates;
//   * the Workload runs the businesses against this System (it implements DataAccess);
//   * the FaultTimeline starts and ends faults; the System applies them to DCs, links, channels,
//     stores and oplogs;
//   * `exceptions`: access fallback (in the workload, over its pinned path), oplogs with
//     reconciliation after destructive faults, compensation.
//
// Acknowledged writes: a client's write is acknowledged at its local commit, except for classes
// with a semi-sync MySQL channel, whose writes count as acknowledged when the first replica acks
// (or semi-sync falls back). Only acknowledged writes can be "lost". The client's op does not wait
// for the ack (the op's latency ignores semi-sync); see docs/faults.md.
//
// End of run (results()): after duration + drain, lost writes (acknowledged, newest version of
// their key, held by no DC and no surviving oplog), RPO per destructive fault, divergent keys,
// order violations, uniqueness conflicts, availability and RTO, compensation.
//
// Determinism: the run is a pure function of (spec, seed); every component draws from its own
// named stream; nothing iterates an unordered container to produce results.
// Thread safety: none; a System belongs to one thread. Several may live side by side.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "geodes/models/system/run_results.hpp"
#include "geodes/models/system/scenario.hpp"
#include "geodes/sim/engine.hpp"

namespace geodes::models {

class System {
 public:
  /// Builds the system of `spec` with master seed `seed`. Throws InvalidArgument, naming the
  /// part of the scenario, on anything inconsistent (the YAML loader reports the same problems
  /// with file positions first; this is the last line of defence for hand-built specs).
  System(const ScenarioSpec& spec, std::uint64_t seed);
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  /// The engine, e.g. to install a progress hook or to stop a run.
  [[nodiscard]] sim::Engine& engine();
  /// Simulated end of the run: duration + drain.
  [[nodiscard]] sim::Time end_time() const;

  /// Runs until end_time(), or until engine().stop() is called (Ctrl-C). May be called again
  /// after a stop to continue. Returns true iff the end was reached.
  bool run();

  /// What was measured so far (a complete run's results when run() returned true). Computing
  /// them does not change the system; `wall_s` is left 0 for the caller to fill.
  [[nodiscard]] RunResults results() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace geodes::models
