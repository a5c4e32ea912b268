// What one run measured: the contract between the models (which fill it) and the edges that
// present it (terminal summary, summary JSON, HDF5, Python). Field names follow DESIGN.md
// "Metrics" and "Interfaces"; units are in the names (_ns, _s) or stated.
//
// Ordering: every list is in a stable order (scenario order for businesses, data classes,
// channels and DCs; time order for faults), so output built from it is deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "geodes/sim/histogram.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

/// A per-interval series, already reduced to plain vectors (one entry per interval).
struct SeriesResult {
  std::string name;  ///< e.g. "lag/accounts/shanghai", "backlog/mysql_accounts"
  std::string unit;  ///< "ns", "writes", "messages", "ratio"
  sim::Duration interval;
  std::vector<double> mean;  ///< time-weighted mean (gauges) or sample mean (samples); NaN = none
  std::vector<double> max;   ///< NaN where the interval saw nothing
};

/// Op latency at one serving DC.
struct DcLatencyResult {
  std::string dc;
  sim::Histogram latency_ns;
};

struct BusinessResult {
  std::string name;
  int tier = 1;
  std::uint64_t attempted = 0;
  std::uint64_t succeeded = 0;
  /// Failures by cause after retries: "dc_down", "missing", "stale", "duplicate", "timeout", ...
  std::vector<std::pair<std::string, std::uint64_t>> failures;
  /// Seconds from the first fault's start until the success ratio is back at target; < 0 when
  /// never hurt, +inf (as a large value) when it never recovered.
  double rto_s = -1;
  double cost = 0;          ///< compensation bill attributed to this business
  double revenue_lost = 0;  ///< failed ops times the business's value per op
  /// Op latency (DESIGN.md "Op latency": first attempt to reply) of the ops that succeeded and
  /// arrived after the warm-up, over every serving DC, and per serving DC (every DC, in
  /// scenario order; empty where none was served).
  sim::Histogram latency_ns;
  std::vector<DcLatencyResult> by_dc;
  [[nodiscard]] double success_ratio() const {
    return attempted == 0 ? 1.0 : static_cast<double>(succeeded) / static_cast<double>(attempted);
  }
};

/// One data class at one replica DC.
struct ReplicaLagResult {
  std::string dc;
  sim::Histogram lag_ns;  ///< first arrival over any channel
};

/// What access fallback (sync + access) did for one data class.
struct FallbackResult {
  std::uint64_t calls = 0;        ///< local misses that asked the owner DC
  std::uint64_t found = 0;        ///< the owner had the row
  std::uint64_t not_found = 0;    ///< the owner had none either
  std::uint64_t owner_down = 0;   ///< the owner DC was down
  std::uint64_t unreachable = 0;  ///< the path was cut or the answer came after the timeout
  sim::Histogram latency_ns;      ///< round trips of answered calls
};

struct DataClassResult {
  std::string name;
  std::uint64_t writes = 0;  ///< committed at any DC after the warm-up
  sim::Histogram lag_ns;     ///< merged over replica DCs
  std::vector<ReplicaLagResult> replicas;
  /// Writes whose first arrival at a replica exceeded the class's bound, plus the undelivered
  /// ones when the run's drain is at least the bound (they are older than it at the end).
  std::uint64_t bound_violations = 0;
  /// (write, replica) pairs that never arrived by the end, over a channel or with the snapshot a
  /// rebuilt DC starts from; writes after the warm-up, replicas with storage. After a rebuild, a
  /// write that came with the snapshot and later also over a channel counts as arrived twice, so
  /// this may undercount there.
  std::uint64_t undelivered = 0;
  std::uint64_t stale_reads = 0;
  std::uint64_t lost = 0;
  std::uint64_t recovered = 0;
  std::uint64_t divergent_keys = 0;
  std::uint64_t order_violations = 0;
  std::uint64_t uniqueness_conflicts = 0;
  std::uint64_t regenerated = 0;  ///< rows re-created on a miss (regenerate classes)
  std::uint64_t expired = 0;      ///< rows removed by the class's ttl, over all DCs
  double rpo_s = 0;               ///< longest commit-to-fault span of a lost write
  FallbackResult fallback;        ///< zeros when the class has no access fallback
  /// Synchronous oplog writes the log did not acknowledge within its timeout (failed or degraded
  /// to async by on_timeout); 0 without a sync oplog.
  std::uint64_t oplog_timeouts = 0;
};

struct ChannelResult {
  std::string name;
  std::string type;  ///< "mysql_replication" or "mq"
  std::string data_class;
  std::string source;
  std::string replica;
  std::vector<std::string> path;  ///< link names
  std::uint64_t delivered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t lost_in_transit = 0;
  std::uint64_t errors_1062 = 0;
  double stopped_s = 0;
  double disconnected_s = 0;
  sim::Histogram lag_ns;
  /// mysql_replication: each commit's wait for the channel (the semi-sync ack; 0 under async).
  sim::Histogram commit_latency_ns;
};

struct FaultRecord {
  std::string type;  ///< dc_outage, dc_loss, link_down, ...
  std::string target;
  double start_s = 0;
  double end_s = 0;  ///< < 0 when it never ended
  std::string detail;
};

/// Up to a bounded number of divergent keys, with each DC's final version.
struct DivergentKey {
  std::string data_class;
  std::uint64_t key = 0;
  struct Copy {
    std::string dc;
    bool present = false;
    std::uint32_t origin = 0;
    std::uint64_t seq = 0;
    std::int64_t hlc = 0;
    std::uint64_t value = 0;
  };
  std::vector<Copy> copies;
};

struct CompensationResult {
  std::uint64_t affected_users = 0;
  std::uint64_t users = 0;
  double cost = 0;
  double target_ratio = 0.9999;  ///< share of users the design aims to protect
  /// Affected users by cause: "op_failed", "data_lost", "stale_data", "forced_relogin".
  std::vector<std::pair<std::string, std::uint64_t>> by_cause;
  /// The bill by cause (affected users times the cause's price), in by_cause's order.
  std::vector<std::pair<std::string, double>> cost_by_cause;
  [[nodiscard]] double affected_ratio() const {
    return users == 0 ? 0.0 : static_cast<double>(affected_users) / static_cast<double>(users);
  }
};

struct RunResults {
  std::string scenario;
  std::uint64_t seed = 0;
  double sim_time_s = 0;
  std::uint64_t events = 0;
  double wall_s = 0;
  bool complete = true;  ///< false when the run was interrupted
  /// Why an incomplete run stopped, for people: "interrupted (SIGTERM)", "out of memory while
  /// running the simulation, at 12.3 s of simulated time". Empty when complete.
  std::string stopped_by;
  std::uint64_t fingerprint = 0;
  std::vector<BusinessResult> businesses;
  std::vector<DataClassResult> data;
  std::vector<ChannelResult> channels;
  CompensationResult compensation;
  std::vector<FaultRecord> faults;
  std::vector<SeriesResult> series;
  std::vector<DivergentKey> divergence;
};

}  // namespace geodes::models
