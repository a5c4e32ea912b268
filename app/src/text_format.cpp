#include "geodes/app/text_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

namespace geodes::app {

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::string printf_string(const char* format, double v) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), format, v);
  return buf.data();
}

// `v` (>= 0) with three significant digits, or "" if that rounds up to 1000 or more, in which case
// the caller moves to the next larger unit.
std::string three_digits(double v) {
  if (std::round(v * 100) < 1000) return printf_string("%.2f", v);
  if (std::round(v * 10) < 1000) return printf_string("%.1f", v);
  if (std::round(v) < 1000) return printf_string("%.0f", v);
  return "";
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += is_continuation(static_cast<unsigned char>(c)) ? 0 : 1;
  return n;
}

std::string fit(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return "";
  // Keep width - 1 code points, then the marker.
  std::size_t kept = 0;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    if (!is_continuation(static_cast<unsigned char>(text[i]))) {
      if (kept == width - 1) break;
      ++kept;
    }
  }
  return std::string(text.substr(0, i)) + "~";
}

std::string pad_right(std::string_view text, std::size_t width) {
  std::string s = fit(text, width);
  s.append(width - display_width(s), ' ');
  return s;
}

std::string pad_left(std::string_view text, std::size_t width) {
  std::string s = fit(text, width);
  return std::string(width - display_width(s), ' ') + s;
}

namespace {

// Splits `text` after its first `width` code points: {head, rest}.
std::pair<std::string_view, std::string_view> split_at_width(std::string_view text,
                                                             std::size_t width) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation(static_cast<unsigned char>(text[i]))) continue;
    if (points == width) return {text.substr(0, i), text.substr(i)};
    ++points;
  }
  return {text, {}};
}

// `path` with control characters and backslashes escaped; each element is one visible unit (an
// escape or one UTF-8 sequence), so that lines can be cut between elements.
std::vector<std::string> escaped_units(std::string_view path) {
  std::vector<std::string> units;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == '\\') {
      units.emplace_back("\\\\");
    } else if (c == '\n') {
      units.emplace_back("\\n");
    } else if (c == '\t') {
      units.emplace_back("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", c);
      units.emplace_back(buf.data());
    } else if (is_continuation(c) && !units.empty() &&
               static_cast<unsigned char>(units.back()[0]) >= 0xC0) {
      units.back() += static_cast<char>(c);  // the rest of a UTF-8 sequence
    } else if (c >= 0x80 && (is_continuation(c) || c >= 0xF8)) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", c);  // not valid UTF-8: shown as a byte
      units.emplace_back(buf.data());
    } else {
      units.emplace_back(1, static_cast<char>(c));
    }
  }
  return units;
}

}  // namespace

std::vector<std::string> wrap_words(std::string_view text, std::size_t width) {
  constexpr std::string_view kSpaces = " \t\n\r";
  width = std::max<std::size_t>(width, 1);
  std::vector<std::string> lines;
  std::string line;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find_first_not_of(kSpaces, at);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(kSpaces, start), text.size());
    std::string_view word = text.substr(start, end - start);
    at = end;
    while (!word.empty()) {
      if (line.empty()) {
        if (display_width(word) <= width) {
          line = std::string(word);
          break;
        }
        const auto [head, rest] = split_at_width(word, width);  // a word longer than a line
        lines.emplace_back(head);
        word = rest;
      } else if (display_width(line) + 1 + display_width(word) <= width) {
        line += ' ';
        line += word;
        break;
      } else {
        lines.push_back(std::move(line));
        line.clear();
      }
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::string> wrap_path(std::string_view path, std::size_t width) {
  width = std::max<std::size_t>(width, 4);  // room for the longest escape
  const std::vector<std::string> units = escaped_units(path);
  std::vector<std::string> lines;
  std::size_t first = 0;  // the first unit not yet on a line
  while (first < units.size()) {
    std::size_t columns = 0;
    std::size_t end = first;  // one past the last unit that fits
    std::size_t after_slash = first;
    while (end < units.size() && columns + display_width(units[end]) <= width) {
      columns += display_width(units[end]);
      ++end;
      if (units[end - 1] == "/") after_slash = end;
    }
    if (end < units.size() && after_slash > first) end = after_slash;
    std::string line;
    for (std::size_t i = first; i < end; ++i) line += units[i];
    lines.push_back(std::move(line));
    first = end;
  }
  if (lines.empty()) lines.emplace_back();
  return lines;
}

std::string format_count(std::uint64_t n) {
  if (n < 100'000) return std::to_string(n);
  static constexpr std::array<char, 6> kSuffix = {'k', 'M', 'G', 'T', 'P', 'E'};
  double v = static_cast<double>(n);
  for (const char suffix : kSuffix) {
    v /= 1000;
    // Two significant digits below 10 ("1.2M"), whole numbers above ("123k").
    if (std::round(v * 10) < 100) return printf_string("%.1f", v) + suffix;
    if (std::round(v) < 1000) return printf_string("%.0f", v) + suffix;
  }
  return printf_string("%.0f", v) + "E";  // unreachable for 64-bit counts (max 18.4E)
}

std::string format_count_exact(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_short_duration(double ns) {
  if (std::isnan(ns)) return "-";
  if (ns < 0) return "-" + format_short_duration(-ns);
  if (std::isinf(ns)) return "inf";
  if (ns == 0) return "0";
  if (std::round(ns) < 1000) return printf_string("%.0f", ns) + "ns";
  struct Unit {
    double scale;
    const char* name;
  };
  static constexpr std::array<Unit, 3> kUnits = {{{1e3, "us"}, {1e6, "ms"}, {1e9, "s"}}};
  for (const Unit& u : kUnits) {
    const std::string digits = three_digits(ns / u.scale);
    if (!digits.empty() && (u.scale < 1e9 || std::round(ns / 1e8) < 600)) {
      return digits + u.name;
    }
  }
  // A minute or more: whole units are precise enough for a reader.
  const double total_s = std::round(ns / 1e9);
  if (total_s < 3600) {
    const auto s = static_cast<long long>(total_s);  // NOLINT(google-runtime-int): printf %lld
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%lldm%02llds", s / 60, s % 60);
    return buf.data();
  }
  const double total_min = std::round(ns / 6e10);
  if (total_min < 100 * 60) {
    const auto m = static_cast<long long>(total_min);  // NOLINT(google-runtime-int)
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%lldh%02lldm", m / 60, m % 60);
    return buf.data();
  }
  const double hours = std::round(ns / 3.6e12);
  if (hours < 1000) return printf_string("%.0f", hours) + "h";
  const double days = std::round(ns / 8.64e13);
  if (days < 1e6) return printf_string("%.0f", days) + "d";
  return printf_string("%.0e", days) + "d";
}

std::string format_percent(double ratio) {
  if (std::isnan(ratio)) return "-";
  if (ratio == 1.0) return "100%";
  double percent = std::round(ratio * 100'000) / 1000;
  // A shortfall must not read as success: 0.9999996 shows 99.999%, never 100.000%.
  if (percent >= 100 && ratio < 1) percent = 99.999;
  return printf_string("%.3f", percent) + "%";
}

}  // namespace geodes::app
