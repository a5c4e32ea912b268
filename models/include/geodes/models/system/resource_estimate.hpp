// What a run will cost before it runs: its peak memory and its number of events, as a function of
// the scenario alone (resources are input too: a scenario asking for a billion users or a
// nanosecond series interval must be refused with its reasons, not found out by the OOM killer).
//
// Model. The peak is a fixed base (the process, libraries, the engine) plus, for each structure
// that grows with the scenario, (number of elements) x (bytes per element); a table over users'
// dense ids (rows, truth log, oplog of a per-user class) counts the part of its flat array that
// its keys make resident instead: consecutive ids (preloaded, registered) their own bytes, ids
// written at random among all users a 2 MiB huge page each, up to the whole id range:
//
//   item           elements                                             driven by
//   rows           per DC and data class, the rows it holds (preloaded   workload.users.*, rate,
//                  users, keys written: registered users, per-user       duration, businesses
//                  rows such as sessions, fixed and per-DC keys)
//   users          users that ever exist (initial + registrations, up     workload.users.initial,
//                  to users.max), their id registry entries               workload.users.max
//   truth log      keys the workload writes, plus versions kept for      data.<class>.bound
//                  the staleness bound
//   oplog          keys written to a class with an oplog                 exceptions.oplog
//   multi-channel  writes each replica remembers until every channel     sync (two channels)
//                  has delivered them, plus ten minutes
//   queues         writes waiting in a channel while a fault stalls it,  faults, channels.*
//                  or because its applier is slower than the writes      (apply_time, threads)
//   compensation   users hurt while a fault lasts                        faults
//   time series    (duration + drain) / series_interval intervals for    metrics.series_interval,
//                  every series, plus their copies in the results        duration, drain
//   histograms     a bounded number of counters each                     channels, data classes
//
// The bytes per element are named constants in resource_estimate.cpp, derived from sizeof of the
// structures (the flat KeyTables of models/data/key_table.hpp and their growth). A change of layout
// updates the constant of that structure; tests/models/system/
// resource_estimate_test.cpp runs real scenarios and checks the estimate against their measured
// peak resident memory within a factor of 2 either way, so drift shows.
//
// Events: ops (their arrivals and waits for service, retries, calls), deliveries over MySQL
// channels, messages over MQ channels and the MQ consumers' polls; within 25% of the engine's
// count for the test's scenarios (same test; they run within 5% of it).
//
// Arithmetic is in double: any valid scenario, however large, gives a finite estimate (no
// overflow). Deterministic, no I/O.
#pragma once

#include <string>
#include <vector>

#include "geodes/models/system/scenario.hpp"

namespace geodes::models {

/// One structure's share of the peak.
struct ResourceItem {
  /// What grows: "rows", "users", "truth log", "oplog", "trackers", "queues",
  /// "compensation", "time series", "histograms", "base".
  std::string what;
  /// How much of it: "4 stores x 100k rows", "26 series x 1.02k intervals".
  std::string detail;
  /// The scenario keys that drive it, with their values: "workload.users.initial=100k". Only the
  /// dominant terms are named (those making a tenth of the item or more, the heaviest first):
  /// preloaded users name workload.users.initial, not workload.rate.
  std::string keys;
  double bytes = 0;
};

struct ResourceEstimate {
  /// Estimated peak resident memory of a run, bytes (the sum of `items`).
  double peak_bytes = 0;
  /// Estimated number of events the engine will run.
  double events = 0;
  /// In a fixed order (the table of the file comment, then "base").
  std::vector<ResourceItem> items;

  /// The items by decreasing size (ties in the fixed order), the largest first: what to change
  /// to make a run smaller.
  [[nodiscard]] std::vector<ResourceItem> largest() const;
};

/// The estimate for `spec` (a spec that loaded without errors; System would accept it).
ResourceEstimate estimate_resources(const ScenarioSpec& spec);

/// Bytes in binary units with three significant digits: "512B", "1.50KiB", "23.4MiB", "1.02TiB",
/// up to "EiB".
std::string format_bytes(double bytes);

}  // namespace geodes::models
