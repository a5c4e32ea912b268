#include "geodes/sim/time_series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::sim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Duration checked_interval(Duration interval, const char* who) {
  if (interval <= Duration::zero()) {
    throw InvalidArgument(std::string(who) + ": interval must be positive, got " +
                          format(interval));
  }
  return interval;
}

void check_index(std::size_t i, std::size_t size, const char* who) {
  if (i >= size) {
    throw InvalidArgument(std::string(who) + ": interval index " + std::to_string(i) +
                          " out of range (size " + std::to_string(size) + ")");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SampleSeries

SampleSeries::SampleSeries(Duration interval)
    : interval_(checked_interval(interval, "SampleSeries")) {}

void SampleSeries::record_elsewhere(Time t, double value) {
  if (t < Time::zero()) {
    throw InvalidArgument("SampleSeries::record: negative time " + std::to_string(t.ns()) + " ns");
  }
  if (!std::isfinite(value)) {
    throw InvalidArgument("SampleSeries::record: value is not finite");
  }
  std::size_t i = open_index_;
  if (t.ns() < open_start_ns_ || t.ns() >= open_end_ns_) {
    const std::int64_t iv = interval_.ns();
    i = static_cast<std::size_t>(t.ns() / iv);
    if (i >= slots_.size()) slots_.resize(i + 1);
    open_index_ = i;
    open_start_ns_ = t.ns() - t.ns() % iv;
    open_end_ns_ = open_start_ns_ > std::numeric_limits<std::int64_t>::max() - iv
                       ? std::numeric_limits<std::int64_t>::max()
                       : open_start_ns_ + iv;
  }
  add(slots_[i], value);
}

const SampleSeries::Slot& SampleSeries::at(std::size_t i) const {
  check_index(i, slots_.size(), "SampleSeries");
  return slots_[i];
}

Time SampleSeries::start(std::size_t i) const {
  check_index(i, slots_.size(), "SampleSeries::start");
  return Time::zero() + interval_ * static_cast<std::int64_t>(i);
}

std::uint64_t SampleSeries::count(std::size_t i) const { return at(i).count; }
double SampleSeries::sum(std::size_t i) const { return at(i).sum; }
double SampleSeries::mean(std::size_t i) const {
  const Slot& s = at(i);
  return s.count == 0 ? kNaN : s.sum / static_cast<double>(s.count);
}
double SampleSeries::min(std::size_t i) const {
  const Slot& s = at(i);
  return s.count == 0 ? kNaN : s.min;
}
double SampleSeries::max(std::size_t i) const {
  const Slot& s = at(i);
  return s.count == 0 ? kNaN : s.max;
}

// ---------------------------------------------------------------------------------------------
// GaugeSeries

GaugeSeries::GaugeSeries(Duration interval)
    : interval_(checked_interval(interval, "GaugeSeries")) {}

void GaugeSeries::set_elsewhere(Time t, double level) {
  if (closed_) throw InvalidArgument("GaugeSeries::set: series is closed");
  if (t < Time::zero()) {
    throw InvalidArgument("GaugeSeries::set: negative time " + std::to_string(t.ns()) + " ns");
  }
  if (started_ && t < now_) {
    throw InvalidArgument("GaugeSeries::set: time " + std::to_string(t.ns()) +
                          " ns is before the previous set() at " + std::to_string(now_.ns()) +
                          " ns");
  }
  if (!std::isfinite(level)) throw InvalidArgument("GaugeSeries::set: level is not finite");
  if (started_) {
    advance(t);
  } else {
    started_ = true;
    first_ = t;
    now_ = t;
  }
  level_ = level;
  // The range test comes first so that the conversion is defined; a round trip through int64 is
  // the whole-number test (std::trunc is a libm call without SSE4.1: 20 instructions a set()).
  const bool in_range = std::fabs(level) < 0x1p62;
  const std::int64_t whole = in_range ? static_cast<std::int64_t>(level) : 0;
  level_is_whole_ = in_range && static_cast<double>(whole) == level;
  level_whole_ = level_is_whole_ ? whole : 0;
}

void GaugeSeries::close(Time end) {
  if (closed_) throw InvalidArgument("GaugeSeries::close: already closed");
  if (started_ && end < now_) {
    throw InvalidArgument("GaugeSeries::close: end " + std::to_string(end.ns()) +
                          " ns is before the last set() at " + std::to_string(now_.ns()) + " ns");
  }
  if (started_) advance(end);
  closed_ = true;
}

void GaugeSeries::advance(Time to) {
  if (to <= now_) return;
  if (now_.ns() >= open_start_ns_ && to.ns() <= open_end_ns_) {
    cover(slots_[open_index_], to.ns() - now_.ns());
    now_ = to;
    return;
  }
  const std::int64_t iv = interval_.ns();
  while (now_ < to) {
    const std::int64_t t = now_.ns();
    const auto i = static_cast<std::size_t>(t / iv);
    // Written as a length rather than an end time so that nothing overflows near Time::max().
    const std::int64_t to_end = iv - t % iv;
    const std::int64_t len = std::min(to_end, to.ns() - t);
    if (i >= slots_.size()) slots_.resize(i + 1);
    cover(slots_[i], len);
    open_index_ = i;
    open_start_ns_ = t - (iv - to_end);
    open_end_ns_ = t > std::numeric_limits<std::int64_t>::max() - to_end
                       ? std::numeric_limits<std::int64_t>::max()
                       : t + to_end;
    now_ += Duration(len);
  }
}

const GaugeSeries::Slot& GaugeSeries::at(std::size_t i) const {
  check_index(i, slots_.size(), "GaugeSeries");
  return slots_[i];
}

Time GaugeSeries::start(std::size_t i) const {
  check_index(i, slots_.size(), "GaugeSeries::start");
  return Time::zero() + interval_ * static_cast<std::int64_t>(i);
}

Duration GaugeSeries::covered(std::size_t i) const { return Duration(at(i).covered_ns); }
double GaugeSeries::mean(std::size_t i) const {
  const Slot& s = at(i);
  return s.covered_ns == 0
             ? kNaN
             : static_cast<double>(integral(s) / static_cast<long double>(s.covered_ns));
}
double GaugeSeries::min(std::size_t i) const {
  const Slot& s = at(i);
  return s.covered_ns == 0 ? kNaN : s.min;
}
double GaugeSeries::max(std::size_t i) const {
  const Slot& s = at(i);
  return s.covered_ns == 0 ? kNaN : s.max;
}
double GaugeSeries::end_level(std::size_t i) const {
  const Slot& s = at(i);
  return s.covered_ns == 0 ? kNaN : s.last;
}

double GaugeSeries::time_average(Time from, Time to) const {
  if (from > to) {
    throw InvalidArgument("GaugeSeries::time_average: from " + std::to_string(from.ns()) +
                          " ns is after to " + std::to_string(to.ns()) + " ns");
  }
  if (!started_) return kNaN;
  const Time lo = std::max(from, first_);
  const Time hi = std::min(to, now_);
  if (lo >= hi) return kNaN;
  const std::int64_t iv = interval_.ns();
  // Within an interval only the totals are kept, so an end inside a covered interval cannot be
  // answered exactly; refuse rather than interpolate.
  if ((lo != first_ && lo.ns() % iv != 0) || (hi != now_ && hi.ns() % iv != 0)) {
    throw InvalidArgument("GaugeSeries::time_average: [" + std::to_string(from.ns()) + ", " +
                          std::to_string(to.ns()) +
                          ") ns does not start and end on interval boundaries");
  }
  Whole whole = 0;
  long double fractional = 0;
  std::int64_t covered = 0;
  const auto first = static_cast<std::size_t>(lo.ns() / iv);
  const auto last = static_cast<std::size_t>((hi.ns() - 1) / iv);
  for (std::size_t i = first; i <= last; ++i) {
    whole += slots_[i].whole;
    fractional += slots_[i].fractional;
    covered += slots_[i].covered_ns;
  }
  return static_cast<double>((static_cast<long double>(whole) + fractional) /
                             static_cast<long double>(covered));
}

}  // namespace geodes::sim
