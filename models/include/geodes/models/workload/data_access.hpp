// The workload's only window on the data: what a client-facing service in a DC can do. The
// System that owns the stores, version clocks and channels implements it; tests use a fake.
//
// Contract (what the workload relies on):
//   * commit() is a local client write at `dc`: the implementation assigns the version (from the
//     DC's VersionClock) and commit time (now), applies it to the DC's store with Store::commit,
//     hands it to the data class's channels, and returns the store's verdict with the version.
//   * read() sees the DC's store as it is now (local read, no network).
//   * call() is the round trip of an API call between DCs (a central id allocator, a stock lender)
//     over the network as it is now; the workload has already checked that `to` is up.
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
};

class DataAccess {
 public:
  virtual ~DataAccess() = default;

  /// True iff `dc` is up and serving clients.
  [[nodiscard]] virtual bool dc_up(DcId dc) const = 0;
  /// A client write at `dc` into data class `cls`, now (see the file comment).
  virtual CommitResult commit(DcId dc, DataClassId cls, WriteKind kind, std::uint64_t key,
                              std::uint64_t value) = 0;
  /// The row of `key` in `cls` at `dc` (tombstones included), or nullptr. The pointer is valid
  /// until the next call that may change that store.
  [[nodiscard]] virtual const Row* read(DcId dc, DataClassId cls, std::uint64_t key) const = 0;
  /// The round-trip time of an API call from `from` to `to` made now, or nullopt when no answer
  /// will ever come (the path is cut). REQUIRES: from != to.
  virtual std::optional<sim::Duration> call(DcId from, DcId to) = 0;
  /// The round trip of an access-fallback call (DOMAIN.md step 4.2) for data class `cls` from
  /// `from` to the owner DC `to`, over the fallback's own path; nullopt when it is cut. By default
  /// the same as call(). REQUIRES: from != to.
  virtual std::optional<sim::Duration> fallback_call(DataClassId /*cls*/, DcId from, DcId to) {
    return call(from, to);
  }
  /// A row of `cls` present at every DC before the run starts.
  virtual void preload(DataClassId cls, std::uint64_t key, std::uint64_t value) = 0;
};

}  // namespace geodes::models
