#include "geodes/sim/time.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "geodes/sim/error.hpp"

namespace geodes::sim {

Duration Duration::from_seconds(double s) {
  const double ns = std::nearbyint(s * 1e9);
  if (!std::isfinite(ns) || std::fabs(ns) > 9.2e18) {
    throw InvalidArgument("duration out of range: " + std::to_string(s) + " s");
  }
  return Duration(static_cast<std::int64_t>(ns));
}

namespace {

// Up to three decimals, trailing zeros trimmed: 1.500 -> "1.5", 30.000 -> "30".
std::string trimmed(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string format(Duration d) {
  const std::int64_t ns = d.ns();
  if (ns == 0) return "0s";
  if (ns < 0) {
    if (ns == std::numeric_limits<std::int64_t>::min()) return "-inf";
    return "-" + format(Duration(-ns));
  }
  if (ns < 1'000) return std::to_string(ns) + "ns";
  if (ns < 1'000'000) return trimmed(static_cast<double>(ns) / 1e3) + "us";
  if (ns < 1'000'000'000) return trimmed(static_cast<double>(ns) / 1e6) + "ms";
  if (ns < 60'000'000'000) return trimmed(static_cast<double>(ns) / 1e9) + "s";
  // Minutes and beyond: whole seconds are precise enough for a reader.
  const std::int64_t total_s = ns / 1'000'000'000;
  const std::int64_t h = total_s / 3600;
  const std::int64_t m = (total_s / 60) % 60;
  const std::int64_t s = total_s % 60;
  char buf[64];
  if (h == 0) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(m),  // NOLINT
                  static_cast<long long>(s));                                  // NOLINT
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", static_cast<long long>(h),  // NOLINT
                  static_cast<long long>(m), static_cast<long long>(s));              // NOLINT
  }
  return buf;
}

std::string format(Time t) { return format(t.since_start()); }

}  // namespace geodes::sim
