// A store: one data class's rows at one DC (a MySQL table, a cache), with the apply rules that
// decide what a replicated write does to it.
//
// Apply rules (what a write does when the row already exists or is missing):
//
// clang-format off
//   rule              insert, row exists       update/delete, row missing   row exists, older write
//   strict            error 1062, not applied  error 1032, not applied      applied (order violation)
//   skip              skipped                  skipped                      applied (order violation)
//   overwrite         replaces (REPLACE INTO)  skipped (IDEMPOTENT mode)    applied (order violation)
//   last_writer_wins  replaces iff newer       upsert iff newer             skipped (stale)
//   insert_if_absent  skipped                  skipped                      applied (order violation)
// clang-format on
//
// "Order violation": a replica replaced a newer version by an older one. Such writes are applied
// as the rule says (that is what real systems do) and counted, never hidden. A delete leaves a
// tombstone carrying its version, so last-writer-wins can order a late insert against it.
//
// Precisely:
//   - "Row exists" means a live row. A tombstone counts as missing for every rule except
//     last_writer_wins, which compares the incoming version with the tombstone's: a late insert
//     older than the delete is stale. Under last_writer_wins every write is applied iff the key is
//     absent or the write is newer() than the row or tombstone held, else it is kStale (an exact
//     redelivery, same version, is not newer and so stale); "upsert iff newer" means an update of a
//     missing key creates the row, a delete of a missing key creates the tombstone.
//   - A delete leaves a tombstone: deleted = true, version and value of the delete.
//   - An order violation is counted whenever a write is applied over a row or tombstone whose
//     version is newer() than the write's (this includes local commits, see commit()).
//   - Every applied write sets Row.commit_time = Write.commit_time.
//
// Local commits (writes made at this DC by its own clients) go through commit(): no rule applies.
//
// Expiry (a data class's `ttl`: sessions, caches): a row, or tombstone, expires `ttl` after the
// commit of the version it holds (at its origin, so every replica drops it at the same moment, as
// a replicated absolute expiry does). From then on it is gone: find(key, now) does not return it
// and commit()/apply() at `now` treat its key as missing (an insert over it is no duplicate, an
// order violation cannot involve it). Its memory is reclaimed by a sweep every ttl / 16 of the
// times the store is written at, or by expire(now); find(key) without a time and keys() show what
// has not been swept yet (call expire(now) first to see the store exactly as of now).
//
// Memory: rows live in a KeyTable (key_table.hpp): flat for dense keys (account ids), a flat hash
// map for sparse ones; 32 bytes per row, plus 4 of index (kIndexed) or, in the direct layout,
// 32 per key of the id range (kBytesPerRow*); reserved up front; no allocation per row.
//
// Determinism: rows are probed by key; anything that lists rows (keys(), divergence) is in key
// order.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geodes/models/data/key_table.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

enum class WriteKind : std::uint8_t { kInsert, kUpdate, kDelete };

enum class ApplyRule : std::uint8_t {
  kStrict,
  kSkip,
  kOverwrite,
  kLastWriterWins,
  kInsertIfAbsent
};

/// One write as it travels: what, to which key, which version, when it committed at its origin.
struct Write {
  std::uint64_t key = 0;
  WriteKind kind = WriteKind::kInsert;
  /// The data class of the row (one channel may carry several classes, as one binlog does).
  DataClassId data_class;
  Version version;
  std::uint64_t value = 0;  ///< an opaque value (e.g. a password's id); equal values = same data
  sim::Time commit_time;    ///< at the origin
  std::uint32_t bytes = 0;  ///< size on the wire / in the binlog
};

enum class ApplyResult : std::uint8_t {
  kApplied,       ///< the store now holds the write
  kDuplicateKey,  ///< strict insert of an existing row: MySQL error 1062; store unchanged
  kMissingRow,    ///< strict update/delete of a missing row: MySQL error 1032; store unchanged
  kSkipped,       ///< the rule chose not to apply it (duplicate, missing row); store unchanged
  kStale,         ///< last-writer-wins: an older version than the row's; store unchanged
};

/// A row as find() returns it (a copy: the store keeps rows packed).
struct Row {
  Version version;
  std::uint64_t value = 0;
  bool deleted = false;   ///< a tombstone
  sim::Time commit_time;  ///< of the version held, at its origin
};

/// Counters of one store.
struct StoreStats {
  std::uint64_t commits = 0;           ///< local writes
  std::uint64_t applied = 0;           ///< replicated writes applied
  std::uint64_t duplicate_key = 0;     ///< kDuplicateKey results
  std::uint64_t missing_row = 0;       ///< kMissingRow results
  std::uint64_t skipped = 0;           ///< kSkipped results
  std::uint64_t stale = 0;             ///< kStale results
  std::uint64_t order_violations = 0;  ///< newer version replaced by an older one
  std::uint64_t expired = 0;           ///< rows and tombstones removed by their ttl
};

class Store {
 public:
  /// The store of `data_class` at `dc`, its rows laid out and reserved as `sizing` says, each
  /// expiring `ttl` after its commit (Duration::max(): never). Throws InvalidArgument on a ttl
  /// <= 0.
  Store(DcId dc, std::string data_class, KeySizing sizing = {},
        sim::Duration ttl = sim::Duration::max());

  [[nodiscard]] DcId dc() const { return dc_; }
  [[nodiscard]] sim::Duration ttl() const { return ttl_; }
  [[nodiscard]] const std::string& data_class() const { return data_class_; }

  /// A local write at this DC (its origin). Returns kDuplicateKey without change for an insert
  /// of an existing live row, kMissingRow without change for an update/delete of a missing or
  /// deleted one (the client sees the error), else applies it and returns kApplied (an insert
  /// over a tombstone is applied). Only applied commits are counted (stats().commits); rejected
  /// ones are the client's failure, not replication's, so duplicate_key/missing_row stay for
  /// apply(). An applied commit whose version is older than the row it replaces counts as an
  /// order violation (impossible when the DC's VersionClock observe()s what it applies).
  ApplyResult commit(const Write& w, sim::Time now);
  /// A replicated write, under `rule` (see the table and the rules above). Counts the result in
  /// stats(): applied, duplicate_key, missing_row, skipped or stale, plus order_violations.
  ApplyResult apply(const Write& w, ApplyRule rule, sim::Time now);

  /// The row for `key` (tombstones included), or nothing.
  [[nodiscard]] std::optional<Row> find(std::uint64_t key) const {
    const Stored* s = rows_.find(key);
    if (s == nullptr) return std::nullopt;
    return unpack(key, *s);
  }
  /// The row for `key` at `now` (tombstones included), or nothing: an expired row is gone.
  [[nodiscard]] std::optional<Row> find(std::uint64_t key, sim::Time now) const {
    std::optional<Row> r = find(key);
    if (r && expired(r->commit_time, now)) return std::nullopt;
    return r;
  }
  /// A hint that the row of `key` is read or written soon (KeyTable::prefetch). Changes nothing.
  void prefetch(std::uint64_t key) const { rows_.prefetch(key); }
  /// Removes every row and tombstone expired at `now`; returns how many.
  std::size_t expire(sim::Time now);
  /// True iff a live (not deleted) row exists.
  [[nodiscard]] bool contains(std::uint64_t key) const {
    const Stored* s = rows_.find(key);
    return s != nullptr && (s->meta & kDeleted) == 0;
  }
  /// Live rows.
  [[nodiscard]] std::size_t size() const { return live_; }
  /// All keys with a row or tombstone, sorted.
  [[nodiscard]] std::vector<std::uint64_t> keys() const;
  /// Destroys every row and tombstone (a DC loss). Counters are kept.
  void clear();

  [[nodiscard]] const StoreStats& stats() const { return stats_; }
  /// Bytes the rows take now (an estimate of resident memory: reserved, untouched room excluded).
  [[nodiscard]] std::size_t used_bytes() const;

 private:
  // A row as kept: 32 bytes. The commit time is kept as its distance below the version's hybrid
  // timestamp, which is 0 for nearly every write (the HLC runs ahead of physical time only by 1 ns
  // per extra commit in the same ns, or by a remote timestamp it observed); a distance that does
  // not fit in 30 bits (over half a second) is kept exactly in far_commit_ instead.
  struct Stored {
    std::uint64_t seq = 0;
    std::int64_t hlc = 0;
    std::uint64_t value = 0;
    std::uint32_t origin = 0;
    std::int32_t meta = 0;  // bit 0: kDeleted; bit 1: kFarCommit; bits 2-31: hlc - commit time
  };
  static constexpr std::int32_t kDeleted = 1;
  static constexpr std::int32_t kFarCommit = 2;

 public:
  /// Bytes per row of a store whose keys are dense, indexed (the row and its index slot) or
  /// direct (per key of the range), for estimates.
  static constexpr std::size_t kBytesPerRowIndexed = KeyTable<Stored>::kIndexedBytesPerEntry;
  static constexpr std::size_t kBytesPerRowDirect = KeyTable<Stored>::kDirectBytesPerEntry;

 private:
  [[nodiscard]] sim::Time commit_time_of(std::uint64_t key, const Stored& s) const {
    return (s.meta & kFarCommit) != 0 ? far_commit_.at(key) : sim::Time(s.hlc - (s.meta >> 2));
  }
  [[nodiscard]] Row unpack(std::uint64_t key, const Stored& s) const {
    Row r;
    r.version = Version{DcId{s.origin}, s.seq, s.hlc};
    r.value = s.value;
    r.deleted = (s.meta & kDeleted) != 0;
    r.commit_time = commit_time_of(key, s);
    return r;
  }
  [[nodiscard]] sim::Duration sweep_interval() const;
  // Keeps live_ and far_commit_ in step with the removal of the row `s` of `key`.
  void forget(std::uint64_t key, const Stored& s);
  // What apply() does with `w` under `rule` given the key's current row (nullptr if absent),
  // without changing anything.
  [[nodiscard]] static ApplyResult decide(const Write& w, ApplyRule rule, const Stored* row);
  [[nodiscard]] bool expired(sim::Time commit_time, sim::Time now) const {
    return ttl_ != sim::Duration::max() && now - commit_time >= ttl_;
  }
  // The row of `w.key` as a commit or apply at `now` sees it: an expired row is removed first
  // (and nullptr returned). Sweeps the store when one is due.
  Stored* live_slot(std::uint64_t key, sim::Time now);
  // Stores `w` as the row of its key (a tombstone for a delete), counting an order violation if
  // it replaces a newer version, and keeps live_ in step. `row` is the key's slot in rows_,
  // `existed` whether it held a row or tombstone before.
  void put(Stored& row, bool existed, const Write& w);

  DcId dc_;
  std::string data_class_;
  sim::Duration ttl_;
  sim::Time next_sweep_;
  KeyTable<Stored> rows_;
  absl::flat_hash_map<std::uint64_t, sim::Time> far_commit_;  // rows with kFarCommit
  std::size_t live_ = 0;
  StoreStats stats_;
};

/// Keys (of either store, tombstones included) whose live state differs between two stores of
/// one data class: live in one and missing or deleted in the other, or live in both with
/// different values. Sorted ascending. Versions are not compared: equal values are the same data.
/// A tombstone and a missing row are the same live state.
std::vector<std::uint64_t> divergent_keys(const Store& a, const Store& b);

/// "strict", "skip", "overwrite", "last_writer_wins", "insert_if_absent", for reports.
const char* to_string(ApplyRule rule);
/// The rule named `name` (exactly as to_string() spells it). Throws InvalidArgument naming the
/// bad value and listing the allowed ones, with a "did you mean" when one is within 2 edits.
ApplyRule parse_apply_rule(const std::string& name);
/// "applied", "duplicate_key", "missing_row", "skipped", "stale", for reports and test messages.
const char* to_string(ApplyResult result);
/// "insert", "update", "delete".
const char* to_string(WriteKind kind);

}  // namespace geodes::models
