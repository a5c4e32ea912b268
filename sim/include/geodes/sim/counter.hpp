// A monotone event counter (writes sent, messages dropped). Deliberately just a uint64: counters
// are named by the struct member that holds them, never by a string key, so there is no registry.
#pragma once

#include <cstdint>

namespace geodes::sim {

/// A count that only goes up. Wraps modulo 2^64 like any unsigned integer (unreachable in
/// practice: 2^64 events at one per ns is 584 years).
class Counter {
 public:
  /// Adds n (1 by default).
  void add(std::uint64_t n = 1) { value_ += n; }
  [[nodiscard]] std::uint64_t value() const { return value_; }

  friend bool operator==(const Counter&, const Counter&) = default;

 private:
  std::uint64_t value_ = 0;
};

}  // namespace geodes::sim
