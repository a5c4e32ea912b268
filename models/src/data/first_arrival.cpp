#include "geodes/models/data/first_arrival.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "geodes/sim/error.hpp"

namespace geodes::models {

FirstArrivalTracker::FirstArrivalTracker(int channels, sim::Duration retention)
    : channels_(channels), retention_(retention) {
  if (channels < 1 || channels > 64) {
    throw InvalidArgument("FirstArrivalTracker: channels must be between 1 and 64, got " +
                          std::to_string(channels));
  }
  if (retention < sim::Duration::zero()) {
    throw InvalidArgument("FirstArrivalTracker: retention must be >= 0");
  }
  all_bits_ = channels == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << channels) - 1;
}

void FirstArrivalTracker::on_arrival(const Write& w, int channel, sim::Time now) {
  if (channel < 0 || channel >= channels_) {
    throw InvalidArgument("FirstArrivalTracker::on_arrival: channel " + std::to_string(channel) +
                          " out of range [0, " + std::to_string(channels_) + ")");
  }
  const std::uint64_t bit = std::uint64_t{1} << channel;
  last_now_ = now;
  Origin& o = of(w.version.origin);
  expire(o, now);
  const std::uint64_t seq = w.version.seq;
  if (is_completed(o, seq)) {
    ++stats_.duplicates;
    return;
  }
  // Only a write still waiting for another channel is in flight, so with one channel the map is
  // always empty; the emptiness test skips the hashing and probing a find() does even then (a
  // fifth of the tracker's time in a single-channel replication run).
  if (!o.in_flight.empty()) {
    if (const auto it = o.in_flight.find(seq); it != o.in_flight.end()) {
      ++stats_.duplicates;
      it->second |= bit;
      if (it->second == all_bits_) {
        o.in_flight.erase(it);
        complete(o, seq, now);
      }
      return;
    }
  }
  ++stats_.first_arrivals;
  ++stats_.won[channel];
  lag_.record((now - w.commit_time).ns());
  if (bit == all_bits_) {
    complete(o, seq, now);
  } else {
    o.in_flight.emplace(seq, bit);
  }
}

bool FirstArrivalTracker::arrive_out_of_band(const Write& w, sim::Time now) {
  last_now_ = now;
  Origin& o = of(w.version.origin);
  expire(o, now);
  const std::uint64_t seq = w.version.seq;
  if (is_completed(o, seq) || o.in_flight.contains(seq)) return false;
  ++stats_.first_arrivals;
  ++stats_.out_of_band;
  lag_.record((now - w.commit_time).ns());
  complete(o, seq, now);
  return true;
}

FirstArrivalTracker::Origin& FirstArrivalTracker::of(DcId origin) {
  for (Origin& o : origins_) {
    if (o.origin == origin.value) return o;
  }
  origins_.emplace_back();
  origins_.back().origin = origin.value;
  return origins_.back();
}

void FirstArrivalTracker::expire(Origin& o, sim::Time now) {
  while (o.count > 0 && now - o.oldest(0).at > retention_) {
    const std::uint64_t seq = o.oldest(0).seq;
    const std::uint64_t w = seq >> 6;
    if (w < o.lo_word) {
      o.below.erase(seq);  // below when completed, and the window only moves up
    } else {
      o.words[w & (o.words.size() - 1)] &= ~(std::uint64_t{1} << (seq & 63));
      --o.bits_set;
    }
    o.head = (o.head + 1) & (o.ring.size() - 1);
    --o.count;
  }
}

bool FirstArrivalTracker::is_completed(const Origin& o, std::uint64_t seq) {
  const std::uint64_t w = seq >> 6;
  if (w < o.lo_word) return !o.below.empty() && o.below.contains(seq);
  if (w - o.lo_word >= o.words.size()) return false;
  return ((o.words[w & (o.words.size() - 1)] >> (seq & 63)) & 1) != 0;
}

void FirstArrivalTracker::complete(Origin& o, std::uint64_t seq, sim::Time now) {
  if (o.count == o.ring.size()) {
    // Full (or empty): double it, oldest first.
    std::vector<Completed> ring(std::max<std::size_t>(2 * o.ring.size(), kInitialWords));
    for (std::size_t i = 0; i < o.count; ++i) ring[i] = o.oldest(i);
    o.ring.swap(ring);
    o.head = 0;
  }
  o.ring[(o.head + o.count) & (o.ring.size() - 1)] = Completed{seq, now};
  ++o.count;
  const std::uint64_t w = seq >> 6;
  if (o.words.empty()) {
    o.words.assign(kInitialWords, 0);
    o.lo_word = w;
  } else if (o.bits_set == 0 && w > o.lo_word) {
    o.lo_word = w;  // nothing in the window (every word is zero): it may start here
  }
  if (w < o.lo_word) {
    // Below the window (the window never moves down: what is below stays below).
    o.below.insert(seq);
    return;
  }
  reach(o, w);
  o.words[w & (o.words.size() - 1)] |= std::uint64_t{1} << (seq & 63);
  ++o.bits_set;
}

void FirstArrivalTracker::reach(Origin& o, std::uint64_t w) {
  std::size_t size = o.words.size();
  if (w - o.lo_word < size) return;
  // Slide the window's start over empty words: the slots they free are the ones the new words
  // take (word x and word x + size share a slot). Some word is non-empty (bits_set > 0), so
  // this stops within `size` steps.
  while (w - o.lo_word >= size && o.words[o.lo_word & (size - 1)] == 0) ++o.lo_word;
  if (w - o.lo_word < size) return;
  std::size_t grown = size;
  while (w - o.lo_word >= grown) grown *= 2;
  std::vector<std::uint64_t> words(grown, 0);
  for (std::uint64_t x = o.lo_word; x < o.lo_word + size; ++x) {
    words[x & (grown - 1)] = o.words[x & (size - 1)];
  }
  o.words.swap(words);
}

std::size_t FirstArrivalTracker::remembered() const {
  std::size_t n = 0;
  for (const Origin& o : origins_) {
    // Completions are in time order: the remembered ones are the tail within retention (binary
    // search for the first of them).
    std::size_t lo = 0;
    std::size_t hi = o.count;
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (last_now_ - o.oldest(mid).at > retention_) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    n += o.in_flight.size() + (o.count - lo);
  }
  return n;
}

std::size_t FirstArrivalTracker::used_bytes() const {
  std::size_t n = origins_.capacity() * sizeof(Origin);
  for (const Origin& o : origins_) {
    n += o.in_flight.capacity() * (sizeof(std::pair<std::uint64_t, std::uint64_t>) + 1);
    n += o.ring.capacity() * sizeof(Completed);
    n += o.words.capacity() * sizeof(std::uint64_t);
    n += o.below.capacity() * (sizeof(std::uint64_t) + 1);
  }
  return n;
}

}  // namespace geodes::models
