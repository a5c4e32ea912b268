// Simulated time: an integer count of nanoseconds.
//
// Rules: there is no floating-point time anywhere in the engine. `Time` is a point on the
// simulated clock (0 = start of the run); `Duration` is a signed span between two points. Both are
// int64 nanoseconds, which covers +-292 years, far beyond any scenario. Arithmetic is plain integer
// arithmetic, so results are identical on every machine.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace geodes::sim {

/// A signed span of simulated time in nanoseconds.
class Duration {
 public:
  constexpr Duration() = default;
  constexpr explicit Duration(std::int64_t ns) : ns_(ns) {}

  [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
  /// The span in seconds, for reports only; never feed it back into the clock.
  [[nodiscard]] constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }
  [[nodiscard]] constexpr double millis() const { return static_cast<double>(ns_) / 1e6; }

  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<std::int64_t>::max()); }
  /// The span closest to `s` seconds (rounded to the nearest nanosecond).
  static Duration from_seconds(double s);

  constexpr auto operator<=>(const Duration&) const =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration& operator+=(Duration d) {
    ns_ += d.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration d) {
    ns_ -= d.ns_;
    return *this;
  }

 private:
  std::int64_t ns_ = 0;
};

/// A point on the simulated clock, in nanoseconds since the start of the run.
class Time {
 public:
  constexpr Time() = default;
  constexpr explicit Time(std::int64_t ns) : ns_(ns) {}

  [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
  [[nodiscard]] constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }
  /// The span since the start of the run.
  [[nodiscard]] constexpr Duration since_start() const { return Duration(ns_); }

  static constexpr Time zero() { return Time(0); }
  /// A time later than any event can be scheduled at; used as "run forever".
  static constexpr Time max() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr auto operator<=>(const Time&) const =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  constexpr Time& operator+=(Duration d) {
    ns_ += d.ns();
    return *this;
  }

 private:
  std::int64_t ns_ = 0;
};

constexpr Duration operator+(Duration a, Duration b) { return Duration(a.ns() + b.ns()); }
constexpr Duration operator-(Duration a, Duration b) { return Duration(a.ns() - b.ns()); }
constexpr Duration operator*(Duration a, std::int64_t k) { return Duration(a.ns() * k); }
constexpr Duration operator*(std::int64_t k, Duration a) { return Duration(a.ns() * k); }
constexpr Duration operator/(Duration a, std::int64_t k) { return Duration(a.ns() / k); }
constexpr std::int64_t operator/(Duration a, Duration b) { return a.ns() / b.ns(); }
constexpr Duration operator%(Duration a, Duration b) { return Duration(a.ns() % b.ns()); }
constexpr Time operator+(Time t, Duration d) { return Time(t.ns() + d.ns()); }
constexpr Time operator+(Duration d, Time t) { return Time(t.ns() + d.ns()); }
constexpr Time operator-(Time t, Duration d) { return Time(t.ns() - d.ns()); }
constexpr Duration operator-(Time a, Time b) { return Duration(a.ns() - b.ns()); }

/// Human-readable form with the largest fitting unit and up to three significant decimals:
/// "0s", "250ns", "1.5us", "30ms", "12.25s", "5m03s", "2h00m07s", "-1.5ms".
std::string format(Duration d);
/// The time since the start of the run, formatted as a duration.
std::string format(Time t);

namespace literals {
// NOLINTBEGIN(google-runtime-int): literal operators must take unsigned long long.
constexpr Duration operator""_ns(unsigned long long v) {
  return Duration(static_cast<std::int64_t>(v));
}
constexpr Duration operator""_us(unsigned long long v) {
  return Duration(static_cast<std::int64_t>(v) * 1'000);
}
constexpr Duration operator""_ms(unsigned long long v) {
  return Duration(static_cast<std::int64_t>(v) * 1'000'000);
}
constexpr Duration operator""_s(unsigned long long v) {
  return Duration(static_cast<std::int64_t>(v) * 1'000'000'000);
}
constexpr Duration operator""_min(unsigned long long v) {
  return Duration(static_cast<std::int64_t>(v) * 60'000'000'000);
}
constexpr Duration operator""_h(unsigned long long v) {
  return Duration(static_cast<std::int64_t>(v) * 3'600'000'000'000);
}
// NOLINTEND(google-runtime-int)
}  // namespace literals

}  // namespace geodes::sim
