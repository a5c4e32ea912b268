// Rounding a double to the nearest integer, halves away from zero: std::llround without the libm
// call. The hot paths turn every sampled duration (a link's latency, an apply time, an arrival
// gap) into integer nanoseconds, and std::llround was 2% of the M/M/1 channel run as an
// out-of-line call.
#pragma once

#include <cstdint>
#include <limits>

namespace geodes::sim {

/// The integer nearest to `x`, halves rounded away from zero: the same value as std::llround(x)
/// for every finite x with |x| < 2^63. Outside that range, and for NaN, it returns INT64_MIN, which
/// is what glibc's llround returns on x86-64 (the standard leaves it unspecified).
///
/// Why it is exact: the conversion truncates toward zero, and x - trunc(x) is computed without
/// rounding (for |trunc(x)| >= 1, x and trunc(x) are within a factor of two of each other, so
/// Sterbenz's lemma applies; for trunc(x) = 0 the difference is x itself). So the fraction compares
/// with 0.5 exactly, as llround's does.
constexpr std::int64_t round_half_away(double x) {
  if (!(x > -0x1p63 && x < 0x1p63)) return std::numeric_limits<std::int64_t>::min();
  const auto whole = static_cast<std::int64_t>(x);
  const double fraction = x - static_cast<double>(whole);
  return whole + static_cast<std::int64_t>(fraction >= 0.5) -
         static_cast<std::int64_t>(fraction <= -0.5);
}

}  // namespace geodes::sim
