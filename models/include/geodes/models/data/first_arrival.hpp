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
// Memory and time, per origin DC: the writes still waiting for a channel (only with two or more
// channels) in an absl::flat_hash_map from sequence number to delivered bits; the completed ones
// in a FIFO ring of (sequence, completion time) - completions come in time order, so those older
// than `retention` leave from its front - and, for lookups, one bit per sequence number in a ring
// bitmap over the span of sequences still remembered. An arrival costs a bitmap test and, when
// new, a FIFO append: sequential memory, no hashing, 16 bytes per completed write plus a bit per
// sequence of the span. A completed write whose sequence lies below the bitmap's window (a very
// late first arrival) is kept in a small hash set instead. Nothing is allocated per write.
//
// REQUIRES: `now` never decreases from one call to the next (the engine's clock).
//
// Determinism: whether a write is remembered depends only on the times of its arrivals; nothing
// depends on a hash map's order.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
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
  // A completed write: its sequence and when the last channel delivered it. It is forgotten (an
  // arrival counts as never seen) once now - at > retention.
  struct Completed {
    std::uint64_t seq = 0;
    sim::Time at;
  };
  // The writes of one origin DC.
  struct Origin {
    std::uint32_t origin = 0;
    absl::flat_hash_map<std::uint64_t, std::uint64_t> in_flight;  // seq -> delivered bits
    // The completed writes in completion (time) order: a ring, ring[(head + i) % size] the i-th
    // oldest of `count` (size a power of two, or 0).
    std::vector<Completed> ring;
    std::size_t head = 0;
    std::size_t count = 0;
    [[nodiscard]] const Completed& oldest(std::size_t i) const {
      return ring[(head + i) & (ring.size() - 1)];
    }
    // Bit seq of the completed writes remembered, for seqs in [64 lo_word, 64 (lo_word + size));
    // word w lives at words[w % size] (size a power of two, or 0).
    std::vector<std::uint64_t> words;
    std::uint64_t lo_word = 0;
    std::size_t bits_set = 0;                  // completed writes in the bitmap
    absl::flat_hash_set<std::uint64_t> below;  // completed, remembered, below the window
  };
  static constexpr std::size_t kInitialWords = 64;
  Origin& of(DcId origin);
  // Forget the writes of `o` completed more than retention before `now`.
  void expire(Origin& o, sim::Time now);
  // Is `seq` a completed write `o` remembers (after expire)?
  [[nodiscard]] static bool is_completed(const Origin& o, std::uint64_t seq);
  // Record `seq` as completed at `now`.
  static void complete(Origin& o, std::uint64_t seq, sim::Time now);
  // Make room in the bitmap for word `w` (>= lo_word): slide over empty words, else grow.
  static void reach(Origin& o, std::uint64_t w);

  int channels_;
  std::uint64_t all_bits_;
  sim::Duration retention_;
  std::vector<Origin> origins_;  // the few DCs whose writes arrive here, in order of first arrival
  sim::Time last_now_;           // of the latest call, for remembered()
  sim::Histogram lag_;
  FirstArrivalStats stats_;
};

}  // namespace geodes::models
