// Versions of rows: who wrote a value, in which order, and when.
//
// A version is (origin DC, per-origin sequence, hybrid logical timestamp). Versions from one
// origin are ordered by sequence. Across origins, "newer" compares hybrid timestamps, then origin
// id, so every pair of distinct versions is ordered the same way in every replica: that is what
// last-writer-wins needs to converge, and what "order violation" is measured against.
#pragma once

#include <cstdint>

#include "geodes/models/ids.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

struct Version {
  DcId origin;
  std::uint64_t seq = 0;  ///< 1, 2, 3 ... per origin; 0 means "no version"
  std::int64_t hlc = 0;   ///< hybrid logical clock in ns: max(physical now, last + 1)

  [[nodiscard]] bool valid() const { return seq != 0; }
  friend bool operator==(const Version&, const Version&) = default;
};

/// True iff `a` is newer than `b` (hybrid timestamp, then origin, then sequence).
inline bool newer(const Version& a, const Version& b) {
  if (a.hlc != b.hlc) return a.hlc > b.hlc;
  if (a.origin != b.origin) return a.origin > b.origin;
  return a.seq > b.seq;
}

/// Hands out versions for the writes committed at one DC.
class VersionClock {
 public:
  explicit VersionClock(DcId origin) : origin_(origin) {}
  /// The version of a write committed at `now`.
  Version next(sim::Time now) {
    const Version v = peek(now);
    take(v);
    return v;
  }
  /// The version next(now) would give, without taking it (for a commit that may be rejected).
  [[nodiscard]] Version peek(sim::Time now) const {
    return Version{origin_, seq_ + 1, now.ns() > last_hlc_ ? now.ns() : last_hlc_ + 1};
  }
  /// Takes `v`, which peek() gave: later versions are newer.
  void take(const Version& v) {
    seq_ = v.seq;
    last_hlc_ = v.hlc;
  }
  /// Folds in a version seen from elsewhere, so later local writes are newer (HLC receive rule).
  void observe(const Version& v) {
    if (v.hlc > last_hlc_) last_hlc_ = v.hlc;
  }
  [[nodiscard]] DcId origin() const { return origin_; }

 private:
  DcId origin_;
  std::uint64_t seq_ = 0;
  std::int64_t last_hlc_ = 0;
};

}  // namespace geodes::models
