// What was really committed: per data class and key, the versions committed anywhere with their
// commit times. The simulator is omniscient, so staleness and loss are judged against the truth,
// not inferred (DESIGN.md, "Metrics").
//
// Staleness (DESIGN.md): a read at t is stale when it returns a version older than one committed
// anywhere before t - bound, `bound` being the data class's real-time bound. To judge that, a key
// keeps its newest version plus the versions committed within the last `bound` (and the newest one
// older than that), pruned as time goes by and forgotten once the newest itself is older than the
// bound: memory is one entry per key plus the few versions of keys rewritten within the last
// `bound`. A class without a bound (Duration::max()) keeps only the newest version and never
// reports stale reads.
//
// Memory: the newest versions live in a KeyTable per class (key_table.hpp; 32 bytes a key, plus 4
// of index or, direct, 32 per key of the id range; reserved up front); the older versions, which
// only keys rewritten within their bound have, in a flat hash map beside it.
//
// Determinism: the tables are probed, never iterated, except by keys(), which is in key order.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "geodes/models/data/key_table.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

/// One committed version of a key. Laid out as 32 bytes, not the 40 of a Version, a time and a
/// flag side by side (Version pads its origin): at production sizes the truth log holds millions.
struct Committed {
  Committed() = default;
  Committed(const Version& v, sim::Time at, bool del)
      : seq(v.seq), hlc(v.hlc), commit_time(at), origin(v.origin.value), deleted(del) {}

  [[nodiscard]] Version version() const { return Version{DcId{origin}, seq, hlc}; }

  std::uint64_t seq = 0;
  std::int64_t hlc = 0;
  sim::Time commit_time;
  std::uint32_t origin = 0;
  bool deleted = false;  ///< the write was a delete
};
static_assert(sizeof(Committed) == 32);

class TruthLog {
 public:
  /// One bound per data class (index = DataClassId); Duration::max() = no bound. `sizing` (empty,
  /// or one per class) lays out and reserves each class's table. Throws InvalidArgument on a
  /// negative bound or a size mismatch.
  explicit TruthLog(const std::vector<sim::Duration>& bounds,
                    const std::vector<KeySizing>& sizing = {});

  /// A write of `key` committed at `commit_time` (REQUIRES: commit times never decrease).
  void record(DataClassId cls, std::uint64_t key, const Version& version, sim::Time commit_time,
              bool deleted);

  /// The newest committed version of `key`, or nullptr if it was never written. The pointer is
  /// valid until the next record().
  [[nodiscard]] const Committed* latest(DataClassId cls, std::uint64_t key) const {
    return classes_.at(cls.value).newest.find(key);
  }

  /// A hint that `key` of `cls` is recorded or judged soon (KeyTable::prefetch). Changes nothing.
  void prefetch(DataClassId cls, std::uint64_t key) const {
    classes_[cls.value].newest.prefetch(key);
  }

  /// True iff a read at `now` that returned `seen` (a live row's version) is stale: an existing
  /// version committed at or before now - bound is newer() than `seen`. Always false without a
  /// bound. Prunes the key's history up to now - bound.
  bool stale(DataClassId cls, std::uint64_t key, const Version& seen, sim::Time now);

  /// Every key of `cls` ever written, sorted.
  [[nodiscard]] std::vector<std::uint64_t> keys(DataClassId cls) const;
  /// Number of keys of `cls` ever written.
  [[nodiscard]] std::size_t key_count(DataClassId cls) const;
  /// Bytes in use now (an estimate of resident memory).
  [[nodiscard]] std::size_t used_bytes() const;

  /// Bytes per key of a class whose keys are dense, indexed or direct, for estimates.
  static constexpr std::size_t kBytesPerKeyIndexed = KeyTable<Committed>::kIndexedBytesPerEntry;
  static constexpr std::size_t kBytesPerKeyDirect = KeyTable<Committed>::kDirectBytesPerEntry;

 private:
  // Older versions of one key still needed to judge staleness, oldest first.
  using Older = absl::InlinedVector<Committed, 1>;
  struct Rewrite {
    sim::Time at;
    std::uint64_t key = 0;
  };
  struct Class {
    sim::Duration bound;
    KeyTable<Committed> newest;
    absl::flat_hash_map<std::uint64_t, Older> older;  // only keys rewritten within the bound
    std::deque<Rewrite> rewrites;                     // that gave a key older versions, in order
  };
  // Drops the versions of `older` that can no longer be the reference of a staleness judgement
  // at `now`, given the key's newest version.
  static void prune(const Class& c, const Committed& newest, Older& older, sim::Time now);
  // Forgets the older versions of keys whose newest is out of the bound at `now`.
  static void forget_older(Class& c, sim::Time now);

  std::vector<Class> classes_;
};

}  // namespace geodes::models
