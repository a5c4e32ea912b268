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
  const std::uint64_t bit = std::uint64_t{1} << channel;
  auto [s, fresh] = slot(w, now);
  if (fresh) {
    ++stats_.first_arrivals;
    ++stats_.won[channel];
    lag_.record((now - w.commit_time).ns());
  } else {
    ++stats_.duplicates;
  }
  if (s->delivered_by != all_bits_ && (s->delivered_by | bit) == all_bits_) s->completed_at = now;
  s->delivered_by |= bit;
}

bool FirstArrivalTracker::arrive_out_of_band(const Write& w, sim::Time now) {
  auto [s, fresh] = slot(w, now);
  if (!fresh) return false;
  ++stats_.first_arrivals;
  ++stats_.out_of_band;
  lag_.record((now - w.commit_time).ns());
  s->delivered_by = all_bits_;
  s->completed_at = now;
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

std::pair<FirstArrivalTracker::Slot*, bool> FirstArrivalTracker::slot(const Write& w,
                                                                      sim::Time now) {
  last_now_ = now;
  Origin& o = of(w.version.origin);
  auto [it, inserted] = o.seen.try_emplace(w.version.seq);
  if (!inserted) {
    if (!forgotten(it->second, now)) return {&it->second, false};
    it->second = Slot{};
    return {&it->second, true};
  }
  if (o.seen.size() >= 1024 && 2 * o.seen.size() >= 3 * o.after_sweep) {
    const std::uint64_t seq = w.version.seq;
    absl::erase_if(o.seen, [&](const auto& entry) {
      return entry.first != seq && forgotten(entry.second, now);
    });
    o.after_sweep = o.seen.size();
    it = o.seen.find(seq);
  }
  return {&it->second, true};
}

std::size_t FirstArrivalTracker::remembered() const {
  std::size_t n = 0;
  for (const Origin& o : origins_) {
    for (const auto& [seq, s] : o.seen) n += forgotten(s, last_now_) ? 0 : 1;
  }
  return n;
}

std::size_t FirstArrivalTracker::used_bytes() const {
  std::size_t n = origins_.capacity() * sizeof(Origin);
  for (const Origin& o : origins_) {
    n += o.seen.capacity() * (sizeof(std::pair<std::uint64_t, Slot>) + 1);
  }
  return n;
}

}  // namespace geodes::models
