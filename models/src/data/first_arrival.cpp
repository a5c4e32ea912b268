#include "geodes/models/data/first_arrival.hpp"

#include <string>

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
  evict(now);
  const std::uint64_t bit = std::uint64_t{1} << channel;
  Origin& o = of(w.version.origin);
  auto [it, inserted] = o.seen.try_emplace(w.version.seq, 0);
  std::uint64_t& delivered_by = it->second;
  if (inserted) {
    ++stats_.first_arrivals;
    ++stats_.won[channel];
    lag_.record((now - w.commit_time).ns());
  } else {
    ++stats_.duplicates;
  }
  if (delivered_by != all_bits_ && (delivered_by | bit) == all_bits_) {
    o.completed.push_back(Completed{w.version.seq, now});
  }
  delivered_by |= bit;
}

bool FirstArrivalTracker::arrive_out_of_band(const Write& w, sim::Time now) {
  evict(now);
  Origin& o = of(w.version.origin);
  const auto [it, inserted] = o.seen.try_emplace(w.version.seq, all_bits_);
  if (!inserted) return false;
  ++stats_.first_arrivals;
  ++stats_.out_of_band;
  lag_.record((now - w.commit_time).ns());
  o.completed.push_back(Completed{w.version.seq, now});
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

void FirstArrivalTracker::evict(sim::Time now) {
  // Each origin's completions are in completion order, so together they evict exactly what one
  // queue of all completions would.
  for (Origin& o : origins_) {
    while (!o.completed.empty() && now - o.completed.front().at > retention_) {
      o.seen.erase(o.completed.front().seq);
      o.completed.pop_front();
    }
  }
}

std::size_t FirstArrivalTracker::remembered() const {
  std::size_t n = 0;
  for (const Origin& o : origins_) n += o.seen.size();
  return n;
}

std::size_t FirstArrivalTracker::used_bytes() const {
  std::size_t n = origins_.capacity() * sizeof(Origin);
  for (const Origin& o : origins_) {
    n += o.seen.capacity() * (2 * sizeof(std::uint64_t) + 1) +
         o.completed.size() * sizeof(Completed);
  }
  return n;
}

}  // namespace geodes::models
