// Multi-channel sync (DOMAIN.md step 4.1): one data class reaching one replica DC over two or more
// channels. The data class's lag for a write is its *first* arrival over any channel (DESIGN.md,
// "Lag"); every later arrival of the same write is a duplicate, harmless only under an idempotent
// apply rule.
//
// A write is identified by its version (origin DC, per-origin sequence). The tracker remembers a
// write until every channel has delivered it once, then for `retention` more, so that late
// redeliveries (an MQ consumer's at-least-once replay) still count as duplicates. Memory is
// bounded by the writes in flight plus rate x retention. A redelivery later than that would count
// as a new first arrival; it would show as an outlier in the lag histogram.
//
// Memory: per origin DC, an open-addressing absl::flat_hash_map from the write's sequence number
// to the channels that delivered it and when it completed (24 bytes a slot); a write retention
// old is forgotten at once (it counts as never seen) and its slot reclaimed by the next sweep.
// Nothing is allocated per write.
//
// Determinism: whether a write is remembered depends only on the times of its arrivals; sweeps
// erase by that predicate, so what they erase does not depend on the maps' order.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "geodes/models/data/store.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

struct FirstArrivalStats {
  std::uint64_t first_arrivals = 0;  ///< distinct writes that reached the replica
  std::uint64_t duplicates = 0;      ///< arrivals of a write that had already arrived
  std::uint64_t out_of_band = 0;     ///< first arrivals by a rebuild snapshot or a repair
  /// First arrivals over each channel (index = the channel's index in the tracker).
  std::uint64_t won[64] = {};
};

class FirstArrivalTracker {
 public:
  /// A tracker for `channels` channels (1 to 64) delivering one data class to one replica.
  explicit FirstArrivalTracker(int channels,
                               sim::Duration retention = sim::Duration(600'000'000'000));

  /// A write delivered by channel `channel` (0-based) at `now`, whatever the store did with it.
  void on_arrival(const Write& w, int channel, sim::Time now);

  /// `w` reached the replica at `now` other than over a channel: with the snapshot a rebuilt DC
  /// starts from, or repaired by reconciliation. A first arrival (lag counted, no channel wins
  /// it) unless it had arrived already; later arrivals over a channel are duplicates. Returns
  /// true iff it was a first arrival.
  bool arrive_out_of_band(const Write& w, sim::Time now);

  /// Lag of each write's first arrival, ns.
  [[nodiscard]] const sim::Histogram& lag() const { return lag_; }
  [[nodiscard]] const FirstArrivalStats& stats() const { return stats_; }
  /// Writes remembered now (in flight on some channel, or within retention).
  [[nodiscard]] std::size_t remembered() const;
  /// Bytes in use now (an estimate of resident memory).
  [[nodiscard]] std::size_t used_bytes() const;

 private:
  // One write: the channels that delivered it (a bit each) and when the last of them did
  // (Time::max() until then). Once now - completed_at > retention it counts as forgotten.
  struct Slot {
    std::uint64_t delivered_by = 0;
    sim::Time completed_at = sim::Time::max();
  };
  // The writes of one origin DC by sequence number; swept of forgotten writes whenever it has
  // grown by half since the last sweep (amortised O(1) per write, memory within 1.5 times what
  // is remembered).
  struct Origin {
    std::uint32_t origin = 0;
    absl::flat_hash_map<std::uint64_t, Slot> seen;
    std::size_t after_sweep = 0;
  };
  [[nodiscard]] bool forgotten(const Slot& s, sim::Time now) const {
    return s.completed_at != sim::Time::max() && now - s.completed_at > retention_;
  }
  Origin& of(DcId origin);
  // The slot of `w` at `now`, fresh (and `true`) if the write was never seen or is forgotten.
  std::pair<Slot*, bool> slot(const Write& w, sim::Time now);

  int channels_;
  std::uint64_t all_bits_;
  sim::Duration retention_;
  std::vector<Origin> origins_;  // the few DCs whose writes arrive here, in order of first arrival
  sim::Time last_now_;           // of the latest call, for remembered()
  sim::Histogram lag_;
  FirstArrivalStats stats_;
};

}  // namespace geodes::models
