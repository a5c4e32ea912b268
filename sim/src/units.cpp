#include "geodes/sim/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>

namespace geodes::sim {

namespace {

struct Suffix {
  std::string_view text;
  double factor;  // multiply the number by this to get base units
};

// Suffix tables. Matching is exact and case-sensitive: "mb" is not "MB", and "m" is minutes, never
// metres or milli, so a typo is an error rather than a silently different quantity.
constexpr std::array<Suffix, 4> kNoneSuffixes{{{"", 1.0}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}}};

constexpr std::array<Suffix, 8> kTimeSuffixes{{
    {"ns", 1.0},
    {"us", 1e3},
    {"ms", 1e6},
    {"s", 1e9},
    {"m", 60e9},
    {"min", 60e9},
    {"h", 3600e9},
    {"d", 86400e9},
}};

constexpr std::array<Suffix, 10> kBytesSuffixes{{
    {"B", 1.0},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
    {"KiB", 1024.0},
    {"MiB", 1048576.0},
    {"GiB", 1073741824.0},
    {"TiB", 1099511627776.0},
    {"kB", 1e3},
}};

// Bits per second are divided by 8: the base unit is bytes per second.
constexpr std::array<Suffix, 14> kBandwidthSuffixes{{
    {"bps", 1.0 / 8},
    {"kbps", 1e3 / 8},
    {"Mbps", 1e6 / 8},
    {"Gbps", 1e9 / 8},
    {"Tbps", 1e12 / 8},
    {"B/s", 1.0},
    {"KB/s", 1e3},
    {"MB/s", 1e6},
    {"GB/s", 1e9},
    {"TB/s", 1e12},
    {"KiB/s", 1024.0},
    {"MiB/s", 1048576.0},
    {"GiB/s", 1073741824.0},
    {"kB/s", 1e3},
}};

// A rate is [multiplier]/[time unit]; the factor here converts "per unit" to "per second".
constexpr std::array<Suffix, 8> kPerTimeSuffixes{{
    {"ns", 1e9},
    {"us", 1e6},
    {"ms", 1e3},
    {"s", 1.0},
    {"m", 1.0 / 60},
    {"min", 1.0 / 60},
    {"h", 1.0 / 3600},
    {"d", 1.0 / 86400},
}};

constexpr std::string_view kWhitespace = " \t\n\r\f\v";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kWhitespace);
  return s.substr(first, last - first + 1);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_unit_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/'; }

const char* kind_name(Unit unit) {
  switch (unit) {
    case Unit::kNone:
      return "a plain number";
    case Unit::kTime:
      return "a duration";
    case Unit::kBytes:
      return "a size";
    case Unit::kBandwidth:
      return "a bandwidth";
    case Unit::kRate:
      return "a rate";
  }
  return "a quantity";
}

// Two examples built from the user's own number, so the hint reads "did you mean '30ms' or '30s'?".
std::string suggest_units(std::string_view number, Unit unit) {
  const std::string n(number);
  switch (unit) {
    case Unit::kTime:
      return "'" + n + "ms' or '" + n + "s'";
    case Unit::kBytes:
      return "'" + n + "B' or '" + n + "KiB'";
    case Unit::kBandwidth:
      return "'" + n + "Mbps' or '" + n + "MB/s'";
    case Unit::kRate:
      return "'" + n + "/s' or '" + n + "k/s'";
    case Unit::kNone:
      break;
  }
  return "'" + n + "'";
}

[[noreturn]] void fail(std::string_view text, const std::string& problem, Unit unit) {
  throw UnitError("Invalid quantity '" + std::string(text) + "': " + problem + "; expected " +
                  describe(unit) + ".");
}

// Looks `unit_text` up for `unit`; returns false if it is not an allowed unit.
template <std::size_t N>
bool find_factor(const std::array<Suffix, N>& table, std::string_view unit_text, double& factor) {
  for (const auto& s : table) {
    if (s.text == unit_text) {
      factor = s.factor;
      return true;
    }
  }
  return false;
}

bool unit_factor(std::string_view unit_text, Unit unit, double& factor) {
  switch (unit) {
    case Unit::kNone:
      return find_factor(kNoneSuffixes, unit_text, factor);
    case Unit::kTime:
      return find_factor(kTimeSuffixes, unit_text, factor);
    case Unit::kBytes:
      return find_factor(kBytesSuffixes, unit_text, factor);
    case Unit::kBandwidth:
      return find_factor(kBandwidthSuffixes, unit_text, factor);
    case Unit::kRate: {
      const auto slash = unit_text.find('/');
      if (slash == std::string_view::npos) return false;
      double multiplier = 1.0;
      double per = 1.0;
      if (!find_factor(kNoneSuffixes, unit_text.substr(0, slash), multiplier)) return false;
      if (!find_factor(kPerTimeSuffixes, unit_text.substr(slash + 1), per)) return false;
      factor = multiplier * per;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string describe(Unit unit) {
  switch (unit) {
    case Unit::kNone:
      return "a plain number such as 0.5, 1e-3 or 2k (optional multiplier k, M or G)";
    case Unit::kTime:
      return "a duration such as 30ms or 1.5s (units: ns, us, ms, s, m or min, h, d)";
    case Unit::kBytes:
      return "a size such as 512B or 4KiB (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    case Unit::kBandwidth:
      return "a bandwidth such as 1Gbps or 125MB/s (units: bps, kbps, Mbps, Gbps, Tbps, B/s, "
             "KB/s, MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s)";
    case Unit::kRate:
      return "a rate such as 5/s, 5k/s or 300/min (a number, optional multiplier k, M or G, then "
             "/ns, /us, /ms, /s, /m or /min, /h, /d)";
  }
  return "a quantity";
}

double parse_quantity(std::string_view text, Unit unit) {
  const std::string_view body = trim(text);
  if (body.empty()) {
    throw UnitError("Empty text is not a valid quantity; expected " + describe(unit) + ".");
  }

  // The number: optional '-', then a digit or '.'. Checking the first character ourselves keeps
  // from_chars from accepting "inf" and "nan", which no scenario means.
  std::size_t pos = 0;
  const bool negative = body[0] == '-';
  if (negative) ++pos;
  if (pos >= body.size() || !(is_digit(body[pos]) || body[pos] == '.')) {
    fail(body, "it does not start with a number", unit);
  }
  // from_chars, not strtod: it ignores the C locale, so "1.5" parses the same in every notebook.
  double value = 0.0;
  const char* const begin = body.data() + pos;
  const char* const end = body.data() + body.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    fail(body, "the number is out of range", unit);
  }
  if (ec != std::errc()) fail(body, "it does not start with a number", unit);
  const std::string_view number = body.substr(0, static_cast<std::size_t>(ptr - body.data()));
  pos = number.size();
  if (negative) value = -value;

  // Optional spaces, then the unit: a run of letters and '/'.
  while (pos < body.size() && kWhitespace.find(body[pos]) != std::string_view::npos) ++pos;
  const std::size_t unit_begin = pos;
  while (pos < body.size() && is_unit_char(body[pos])) ++pos;
  const std::string_view unit_text = body.substr(unit_begin, pos - unit_begin);
  if (pos < body.size()) {
    fail(body,
         "unexpected '" + std::string(body.substr(pos)) + "' after '" +
             std::string(body.substr(0, pos)) + "'",
         unit);
  }

  double factor = 1.0;
  if (unit_text.empty() && unit != Unit::kNone) {
    fail(body,
         std::string(kind_name(unit)) + " needs a unit (did you mean " +
             suggest_units(number, unit) + "?)",
         unit);
  }
  if (!unit_factor(unit_text, unit, factor)) {
    std::string hint;
    // "5k" for a rate is the commonest slip: the "/s" is missing.
    if (unit == Unit::kRate && unit_text.find('/') == std::string_view::npos) {
      hint = " (did you mean '" + std::string(body) + "/s'?)";
    }
    fail(body, "unknown unit '" + std::string(unit_text) + "' for " + kind_name(unit) + hint, unit);
  }

  const double result = value * factor;
  if (!std::isfinite(result)) fail(body, "the value is too large", unit);
  if (unit != Unit::kNone && result < 0) {
    fail(body, std::string(kind_name(unit)) + " cannot be negative", unit);
  }
  // Durations become int64 nanoseconds; 2^63 ns is about 292 years.
  if (unit == Unit::kTime && result >= 0x1.0p63) {
    fail(body, "the duration does not fit in 64-bit nanoseconds (about 292 years)", unit);
  }
  return result == 0 ? 0.0 : result;  // no "-0" for "-0ms"
}

Duration parse_duration(std::string_view text) {
  // parse_quantity guarantees 0 <= ns < 2^63, so llround cannot overflow.
  return Duration(static_cast<std::int64_t>(std::llround(parse_quantity(text, Unit::kTime))));
}

}  // namespace geodes::sim
