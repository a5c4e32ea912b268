// The workload's only window on the data: what a client-facing service in a DC can do. The
// System that owns the stores, version clocks and channels implements it; tests use a fake.
//
// Contract (what the workload relies on):
//   * commit() is a local client write at `dc`: the implementation assigns the version (from the
//     DC's VersionClock) and commit time (now), applies it to the DC's store with Store::commit,
//     hands it to the data class's channels, and returns the store's verdict with the version.
//     An applied commit is either acknowledged to the client at once, or (a semi-sync channel
//     waiting for its replica's ack, a synchronous oplog waiting for the log) later: then
//     `acknowledged` is false and the implementation calls the CommitWaiter given by
//     set_commit_waiter() exactly once with the commit's `ticket` when it is settled (never from
//     inside commit()), or never if no answer ever comes (the DC died with the client waiting).
//     The call may come from deep inside a channel's event, so the waiter must not call back into
//     the DataAccess from it (the workload schedules its continuation instead).
//   * read() sees the DC's store as it is now (local read, no network).
//   * call() is the round trip of an API call between DCs (a central id allocator, a stock lender)
//     over the network as it is now; the workload has already checked that `to` is up.
//   * access_latency() is the one-way latency of a user homed at `home` reaching `dc` (the public
//     internet between the cities, as the topology's median latencies give it).
//   * preload() puts a row at every DC before the run (initial users, stock); no replication,
//     no write counted.
// The workload never calls these for a DC id >= the DC count, nor a data class it was not given.
#pragma once

#include <cstdint>
#include <optional>

#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

/// What a local commit did.
struct CommitResult {
  /// kApplied, kDuplicateKey (insert of a live row) or kMissingRow (update/delete of a missing
  /// one), as Store::commit says.
  ApplyResult result = ApplyResult::kApplied;
  /// The version given to the write (meaningful when applied).
  Version version;
  /// False when the client's commit returns later (see the file comment).
  bool acknowledged = true;
};

/// Told when a commit that was not acknowledged at once is settled.
class CommitWaiter {
 public:
  virtual ~CommitWaiter() = default;
  /// The commit given `ticket` is acknowledged to its client (`acknowledged`), or failed (a
  /// synchronous oplog that could not be reached within its timeout, with on_timeout = fail).
  virtual void commit_settled(std::uint64_t ticket, bool acknowledged) = 0;
};

class DataAccess {
 public:
  virtual ~DataAccess() = default;

  /// True iff `dc` is up and serving clients.
  [[nodiscard]] virtual bool dc_up(DcId dc) const = 0;
  /// A client write at `dc` into data class `cls`, now (see the file comment). `ticket` is given
  /// back to the CommitWaiter if the commit is not acknowledged at once.
  virtual CommitResult commit(DcId dc, DataClassId cls, WriteKind kind, std::uint64_t key,
                              std::uint64_t value, std::uint64_t ticket) = 0;
  /// Where settlements of late-acknowledged commits go (the workload). Not owned.
  virtual void set_commit_waiter(CommitWaiter* /*waiter*/) {}
  /// A copy of the row of `key` in `cls` at `dc` (tombstones included), or nothing.
  [[nodiscard]] virtual std::optional<Row> read(DcId dc, DataClassId cls,
                                                std::uint64_t key) const = 0;
  /// A hint that the row of `key` in `cls` at `dc` is read or written soon: the workload gives
  /// it when an op starts waiting for its next steps, so that their cache misses overlap other
  /// events. It must change nothing. By default it does nothing.
  virtual void prefetch(DcId /*dc*/, DataClassId /*cls*/, std::uint64_t /*key*/) const {}
  /// The round-trip time of an API call from `from` to `to` made now, or nullopt when no answer
  /// will ever come (the path is cut). REQUIRES: from != to.
  virtual std::optional<sim::Duration> call(DcId from, DcId to) = 0;
  /// The round trip of an access-fallback call (DOMAIN.md step 4.2) for data class `cls` from
  /// `from` to the owner DC `to`, over the fallback's own path; nullopt when it is cut. By default
  /// the same as call(). REQUIRES: from != to.
  virtual std::optional<sim::Duration> fallback_call(DataClassId /*cls*/, DcId from, DcId to) {
    return call(from, to);
  }
  /// One-way latency of a user homed at `home` reaching `dc` (see the file comment); zero when
  /// home == dc.
  [[nodiscard]] virtual sim::Duration access_latency(DcId /*home*/, DcId /*dc*/) const {
    return sim::Duration::zero();
  }
  /// A row of `cls` present at every DC before the run starts.
  virtual void preload(DataClassId cls, std::uint64_t key, std::uint64_t value) = 0;
};

}  // namespace geodes::models
