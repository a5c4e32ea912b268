// What was really committed: per data class and key, the versions committed anywhere with their
// commit times. The simulator is omniscient, so staleness and loss are judged against the truth,
// not inferred (DESIGN.md, "Metrics").
//
// Staleness (DESIGN.md): a read at t is stale when it returns a version older than one committed
// anywhere before t - bound, `bound` being the data class's real-time bound. To judge that, a key
// keeps its newest version plus the versions committed within the last `bound` (and the newest one
// older than that), pruned as time goes by: memory is one entry per key plus the writes of the last
// `bound` to keys written more than once in it. A class without a bound (Duration::max()) keeps
// only the newest version and never reports stale reads.
//
// Determinism: the maps are probed, never iterated, except by keys(), which sorts.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "geodes/models/data/version.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

/// One committed version of a key.
struct Committed {
  Version version;
  sim::Time commit_time;
  bool deleted = false;  ///< the write was a delete
};

class TruthLog {
 public:
  /// One bound per data class (index = DataClassId); Duration::max() = no bound. Throws
  /// InvalidArgument on a negative bound.
  explicit TruthLog(const std::vector<sim::Duration>& bounds);

  /// A write of `key` committed at `commit_time` (REQUIRES: commit times never decrease).
  void record(DataClassId cls, std::uint64_t key, const Version& version, sim::Time commit_time,
              bool deleted);

  /// The newest committed version of `key`, or nullptr if it was never written.
  [[nodiscard]] const Committed* latest(DataClassId cls, std::uint64_t key) const;

  /// True iff a read at `now` that returned `seen` (a live row's version) is stale: an existing
  /// version committed at or before now - bound is newer() than `seen`. Always false without a
  /// bound. Prunes the key's history up to now - bound.
  bool stale(DataClassId cls, std::uint64_t key, const Version& seen, sim::Time now);

  /// Every key of `cls` ever written, sorted.
  [[nodiscard]] std::vector<std::uint64_t> keys(DataClassId cls) const;
  /// Number of keys of `cls` ever written.
  [[nodiscard]] std::size_t key_count(DataClassId cls) const;

 private:
  struct Entry {
    Committed newest;
    // Older versions still needed to judge staleness, oldest first (empty for most keys).
    std::vector<Committed> older;
  };
  struct Class {
    sim::Duration bound;
    std::unordered_map<std::uint64_t, Entry> keys;
  };
  void prune(const Class& c, Entry& e, sim::Time now) const;

  std::vector<Class> classes_;
};

}  // namespace geodes::models
