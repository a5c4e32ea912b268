// The latency floor of each business, read off a scenario without running it: what an op costs
// at best (DESIGN.md "Op latency"), and which cross-city round trips its design puts on its path.
// `geodes check` prints it, so an architect sees the price of a safeguard before paying for it.
//
// For each business and each DC serving its own users (the users' home), the floor is the sum of
//   * the mean local service time of its steps (the classes' read_time and write_time; a session
//     check costs a read, a synchronous local oplog a write more), and
//   * the round trips every op pays: a semi-sync write waits for its nearest replica's ack (the
//     pinned path's median latency both ways plus the row's and the ack's serialisation), a
//     remote synchronous oplog for the log's ack (the same, plus the log's own write), a central
//     id allocator in another DC for its answer; a segment table in another DC costs one round
//     trip per `segment_size` registrations, which the floor counts as RTT / segment_size.
// Round trips that only some ops pay are listed beside it, not added: an access-fallback call on
// a miss (owner in another DC), borrowing stock, and serving the user away from home (roaming,
// or after a GSLB failover: the access legs both ways).
//
// "At best": median link latencies, no queueing, no faults, no retries. A run's latency can only
// be higher; on constant links without contention its minimum equals the floor (tested).
#pragma once

#include <string>
#include <vector>

#include "geodes/models/ids.hpp"
#include "geodes/models/system/scenario.hpp"
#include "geodes/models/workload/business.hpp"

namespace geodes::models {

/// One cross-city round trip on a business's path.
struct RoundTrip {
  enum class When : std::uint8_t {
    kEveryOp,      ///< every op pays it (in the floor)
    kPerSegment,   ///< one op in `segment_size` pays it (in the floor, divided)
    kOnMiss,       ///< only when a row is missing locally (access fallback)
    kOnExhausted,  ///< only when the local stock is exhausted (borrowing)
    kOffHome,      ///< only when the user is served away from home (roaming, failover)
  };
  std::string what;  ///< e.g. "semi-sync ack (passwords, mysql_main)", "central ids (accounts)"
  DcId to;           ///< the other DC
  double rtt_ns = 0;
  When when = When::kEveryOp;
  double per_op = 1;  ///< the share of ops that pay it (kPerSegment: 1 / segment_size)
};

/// A business served at one DC to its own users.
struct LatencyFloor {
  BusinessId business;
  DcId dc;
  double local_ns = 0;  ///< mean local service time of the steps
  double floor_ns = 0;  ///< local_ns + the every-op round trips (per_op-weighted)
  std::vector<RoundTrip> trips;
};

/// Every business at every DC, businesses in scenario order, DCs in id order. REQUIRES: a spec
/// that loaded without errors (every path it needs exists).
std::vector<LatencyFloor> latency_floors(const ScenarioSpec& spec);

/// "every op", "1 in N" (per segment), "on a miss", "when out of stock", "off home".
std::string when_text(const RoundTrip& trip);

}  // namespace geodes::models
