// What became of each operation, for metrics: availability per business and DC over time
// (DESIGN.md "Availability"), failures by cause, retries, and the forced re-logins that
// compensation prices (a cost, never a loss).
//
// An *op* is one client request of one business by one user. It makes one or more *attempts*:
// an attempt that fails for a retriable cause (dc_down, timeout) is retried after a backoff, up
// to the client's max_retries; only the op's final result counts as succeeded or failed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "geodes/models/ids.hpp"
#include "geodes/models/workload/business.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

enum class FailureCause : std::uint8_t {
  kNone,       ///< succeeded
  kDcDown,     ///< the serving DC was down (requests refused at once)
  kTimeout,    ///< a call to another DC did not answer within the client's timeout
  kMissing,    ///< a row the op needs is absent where the user is served
  kStale,      ///< a row is older than its latest commit anywhere (e.g. an old password)
  kDuplicate,  ///< an insert met an existing row (duplicate key)
  kExhausted,  ///< a decrement found no stock anywhere it could reach
};
inline constexpr std::size_t kFailureCauseCount = 7;

/// "none", "dc_down", "timeout", "missing", "stale", "duplicate", "exhausted".
const char* to_string(FailureCause cause);
/// True iff an attempt failing for `cause` is retried (dc_down and timeout: the client cannot
/// tell them from a transient fault; the others are answers).
bool retriable(FailureCause cause);

/// One op, or one failed attempt of it (on_retry).
struct OpOutcome {
  BusinessId business;
  std::uint64_t user = 0;  ///< the user's id (slot), 0-based
  DcId home;               ///< the user's home DC
  DcId dc;                 ///< the DC that served (or refused) the last attempt
  sim::Time start;         ///< arrival of the op
  sim::Time end;           ///< when the client learnt the result
  std::uint32_t attempts = 0;
  FailureCause cause = FailureCause::kNone;
  [[nodiscard]] bool succeeded() const { return cause == FailureCause::kNone; }
};

/// Built-in counters, kept per business and per serving DC.
struct OutcomeCounts {
  std::uint64_t attempted = 0;  ///< ops finished (each counts once, whatever its attempts)
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::array<std::uint64_t, kFailureCauseCount> by_cause{};  ///< failed ops by final cause
  std::uint64_t retries = 0;                                 ///< attempts that were retried
  std::uint64_t forced_relogins = 0;
  [[nodiscard]] std::uint64_t failures(FailureCause c) const {
    return by_cause[static_cast<std::size_t>(c)];
  }
};

/// Receives outcomes as they happen. Every method has an empty default; implement what you
/// count. Called from inside engine events; must not call back into the Workload.
class OutcomeSink {
 public:
  virtual ~OutcomeSink() = default;
  /// An op finished: succeeded, or failed after its last attempt. Exactly once per op.
  virtual void on_op(const OpOutcome& /*op*/) {}
  /// An attempt failed and will be retried; `attempt.attempts` is the attempt that failed.
  virtual void on_retry(const OpOutcome& /*attempt*/) {}
  /// A user had to log in again at `dc` because their session was not there.
  virtual void on_forced_relogin(BusinessId /*business*/, std::uint64_t /*user*/, DcId /*dc*/,
                                 sim::Time /*at*/) {}
  /// The GSLB moved the users of `home` from `from` to `to`.
  virtual void on_route_change(sim::Time /*at*/, DcId /*home*/, DcId /*from*/, DcId /*to*/) {}
};

}  // namespace geodes::models
