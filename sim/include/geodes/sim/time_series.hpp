// Per-interval time series: samples or a piecewise-constant level, aggregated into fixed
// intervals [i*interval, (i+1)*interval) of simulated time.
//
// Memory is one small record per interval up to the last one touched, i.e. proportional to
// (simulated span / interval) and never to the number of samples: a series over 1 h at 1 s
// intervals holds 3,600 records whether it saw ten samples or a billion. Choosing a tiny interval
// over a long span is therefore what costs memory, not a busy channel.
//
// All time arithmetic is integer nanoseconds (see time.hpp). Thread safety: none; a series belongs
// to one engine.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "geodes/sim/time.hpp"

namespace geodes::sim {

/// Point samples (latencies, sizes) aggregated per interval: count, sum, min and max, from which
/// the mean follows.
class SampleSeries {
 public:
  /// REQUIRES interval > 0 (throws InvalidArgument otherwise).
  explicit SampleSeries(Duration interval);

  /// Adds sample `value` to the interval containing `t`. Any order of t is accepted; the series
  /// grows to reach t. Throws InvalidArgument if t < 0 or `value` is not finite.
  ///
  /// The common case, a sample in the interval last recorded into, is defined here so that it
  /// inlines (a replication run records three samples a write); the open interval never starts
  /// below 0, so landing in it also proves t >= 0.
  void record(Time t, double value) {
    if (t.ns() >= open_start_ns_ && t.ns() < open_end_ns_ && std::isfinite(value)) [[likely]] {
      add(slots_[open_index_], value);
    } else {
      record_elsewhere(t, value);
    }
  }

  [[nodiscard]] Duration interval() const { return interval_; }
  /// Number of intervals up to and including the last one that received a sample (0 if none).
  [[nodiscard]] std::size_t size() const { return slots_.size(); }
  /// Start of interval i: i * interval(). REQUIRES i < size().
  [[nodiscard]] Time start(std::size_t i) const;

  // Per-interval aggregates. REQUIRES i < size() (throws InvalidArgument otherwise).
  /// Samples in interval i.
  [[nodiscard]] std::uint64_t count(std::size_t i) const;
  /// Sum of the samples in interval i; 0 when empty.
  [[nodiscard]] double sum(std::size_t i) const;
  /// Mean of the samples in interval i; NaN when empty.
  [[nodiscard]] double mean(std::size_t i) const;
  /// Smallest and largest sample in interval i; NaN when empty.
  [[nodiscard]] double min(std::size_t i) const;
  [[nodiscard]] double max(std::size_t i) const;

  /// Bytes one interval takes (memory estimates: models/system/resource_estimate.hpp).
  static constexpr std::size_t kBytesPerInterval = 32;

 private:
  struct Slot {
    std::uint64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
  };
  static_assert(sizeof(Slot) == kBytesPerInterval);
  const Slot& at(std::size_t i) const;
  static void add(Slot& s, double value) {
    if (s.count == 0) {
      s.min = value;
      s.max = value;
    } else {
      s.min = std::min(s.min, value);
      s.max = std::max(s.max, value);
    }
    ++s.count;
    s.sum += value;
  }
  // record() for a sample outside the open interval (or a bad one): checks it, opens its
  // interval, then adds it.
  void record_elsewhere(Time t, double value);

  Duration interval_;
  std::vector<Slot> slots_;
  // The interval last recorded into, [open_start_ns_, open_end_ns_): most samples land in it, and
  // remembering it saves a division per sample.
  std::size_t open_index_ = 0;
  std::int64_t open_start_ns_ = 0;
  std::int64_t open_end_ns_ = -1;
};

/// A piecewise-constant level over time (a backlog size, a 0/1 "up" flag). The level set at t
/// holds on [t, next set) and the last piece ends at close(). The series is "covered" from the
/// first set() to the latest set() or close(); before the first set() the level is unknown and
/// nothing is reported.
///
/// Per interval, over its covered part: the exact time-weighted mean, the min and max of the
/// levels that held for a positive time, and the level at the end of the covered part. A level
/// that holds for zero time (two set() at the same t) is overwritten and never reported: only the
/// last set() at an instant describes the state after that instant's events.
///
/// Exactness: a piece contributes level * (its length in ns) to its interval's integral. Integer
/// levels (0/1 flags, queue lengths; |level| < 2^62) are summed as 128-bit integers, exactly and
/// without touching the x87 unit on the hot path; other levels in long double. So availability
/// fractions come out exact where double sums would round after 2^53 ns (104 days).
class GaugeSeries {
 public:
  /// REQUIRES interval > 0 (throws InvalidArgument otherwise).
  explicit GaugeSeries(Duration interval);

  /// The level is `level` from t on. REQUIRES 0 <= t, t >= every earlier set() time, not closed,
  /// `level` finite (throws InvalidArgument otherwise).
  void set(Time t, double level) {
    // Inline, the common case: a whole level (queue lengths, 0/1 flags) set at or after the last
    // set() and within the interval last written to. Everything else, checks included, is
    // set_elsewhere(). NaN and infinities fail the range test.
    if (std::fabs(level) < 0x1p62 && started_ && !closed_ && t >= now_ &&
        now_.ns() >= open_start_ns_ && t.ns() <= open_end_ns_) [[likely]] {
      const auto whole = static_cast<std::int64_t>(level);
      if (static_cast<double>(whole) == level) {
        if (t > now_) cover(slots_[open_index_], t.ns() - now_.ns());
        now_ = t;
        level_ = level;
        level_is_whole_ = true;
        level_whole_ = whole;
        return;
      }
    }
    set_elsewhere(t, level);
  }
  /// Ends the last piece at `end`; the series is read-only afterwards. REQUIRES end >= the last
  /// set() time and not already closed. Without any set() it records nothing.
  void close(Time end);
  [[nodiscard]] bool closed() const { return closed_; }

  [[nodiscard]] Duration interval() const { return interval_; }
  /// Number of intervals up to and including the last one with covered time (0 if none). The
  /// piece still open after the latest set() counts only once a later set() or close() ends it.
  [[nodiscard]] std::size_t size() const { return slots_.size(); }
  /// Start of interval i: i * interval(). REQUIRES i < size().
  [[nodiscard]] Time start(std::size_t i) const;

  // Per-interval aggregates. REQUIRES i < size() (throws InvalidArgument otherwise).
  /// Covered time within interval i.
  [[nodiscard]] Duration covered(std::size_t i) const;
  /// Time-weighted mean of the level over the covered part of interval i; NaN if none.
  [[nodiscard]] double mean(std::size_t i) const;
  /// Smallest and largest level held for a positive time in interval i; NaN if none.
  [[nodiscard]] double min(std::size_t i) const;
  [[nodiscard]] double max(std::size_t i) const;
  /// The level at the end of the covered part of interval i (at its end if fully covered); NaN
  /// if none.
  [[nodiscard]] double end_level(std::size_t i) const;

  /// Exact time-weighted mean of the level over the covered part of [from, to); NaN if that part
  /// is empty. Because only per-interval integrals are kept, `from` and `to`, once clipped to the
  /// covered span, must each lie on an interval boundary or at an end of the covered span
  /// (throws InvalidArgument otherwise, and if from > to).
  [[nodiscard]] double time_average(Time from, Time to) const;

  /// Bytes one interval takes (memory estimates: models/system/resource_estimate.hpp).
  static constexpr std::size_t kBytesPerInterval = 80;

 private:
  // __extension__ keeps -Wpedantic quiet; GCC and Clang support __int128 on 64-bit targets.
  __extension__ typedef __int128 Whole;  // NOLINT(modernize-use-using)
  struct Slot {
    std::int64_t covered_ns = 0;
    Whole whole = 0;             // sum of level * ns over pieces with an integer level
    long double fractional = 0;  // sum of level * ns over the other pieces
    double min = 0;
    double max = 0;
    double last = 0;
  };
  static_assert(sizeof(Slot) == kBytesPerInterval);
  const Slot& at(std::size_t i) const;
  // The exact integral of slot `s`.
  static long double integral(const Slot& s) {
    return static_cast<long double>(s.whole) + s.fractional;
  }
  // Spreads the current level over [now_, to), interval by interval.
  void advance(Time to);
  // set() outside its inline case.
  void set_elsewhere(Time t, double level);
  // Adds `len` ns at the current level to slot `s`.
  void cover(Slot& s, std::int64_t len) const {
    if (s.covered_ns == 0) {
      s.min = level_;
      s.max = level_;
    } else {
      s.min = std::min(s.min, level_);
      s.max = std::max(s.max, level_);
    }
    s.covered_ns += len;
    if (level_is_whole_) {
      s.whole += static_cast<Whole>(level_whole_) * len;
    } else {
      s.fractional += static_cast<long double>(level_) * static_cast<long double>(len);
    }
    s.last = level_;
  }

  Duration interval_;
  std::vector<Slot> slots_;
  bool started_ = false;
  bool closed_ = false;
  Time first_;  // first set() time: start of the covered span
  Time now_;    // end of the covered span; the current level holds from here on
  double level_ = 0;
  bool level_is_whole_ = true;  // level_ is an integer below 2^62 in magnitude
  std::int64_t level_whole_ = 0;
  // The interval last written to, [open_start_ns_, open_end_ns_): most set() calls land in it, and
  // remembering it saves the divisions of the general path.
  std::size_t open_index_ = 0;
  std::int64_t open_start_ns_ = 0;
  std::int64_t open_end_ns_ = -1;
};

}  // namespace geodes::sim
