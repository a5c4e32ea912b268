#include "geodes/models/data/first_arrival.hpp"

#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

std::size_t FirstArrivalTracker::VersionHash::operator()(const VersionKey& k) const {
  std::uint64_t x = k.seq * 0x9e3779b97f4a7c15ULL ^ (std::uint64_t{k.origin} << 48);
  x ^= x >> 29;
  return static_cast<std::size_t>(x);
}

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
  auto [it, inserted] = seen_.try_emplace(VersionKey{w.version.origin.value, w.version.seq});
  Entry& e = it->second;
  if (inserted) {
    ++stats_.first_arrivals;
    ++stats_.won[channel];
    lag_.record((now - w.commit_time).ns());
  } else {
    ++stats_.duplicates;
  }
  e.delivered_by |= bit;
  if (!e.complete && e.delivered_by == all_bits_) {
    e.complete = true;
    completed_.push_back(Completed{it->first, now});
  }
}

bool FirstArrivalTracker::arrive_out_of_band(const Write& w, sim::Time now) {
  evict(now);
  auto [it, inserted] = seen_.try_emplace(VersionKey{w.version.origin.value, w.version.seq});
  if (!inserted) return false;
  ++stats_.first_arrivals;
  ++stats_.out_of_band;
  lag_.record((now - w.commit_time).ns());
  it->second.delivered_by = all_bits_;
  it->second.complete = true;
  completed_.push_back(Completed{it->first, now});
  return true;
}

void FirstArrivalTracker::evict(sim::Time now) {
  while (!completed_.empty() && now - completed_.front().at > retention_) {
    seen_.erase(completed_.front().key);
    completed_.pop_front();
  }
}

}  // namespace geodes::models
