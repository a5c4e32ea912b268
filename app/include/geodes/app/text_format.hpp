// Compact, human-readable cells for terminal tables (summary, progress bar): counts, durations and
// percentages in a bounded number of columns, and UTF-8 aware cutting and padding of names.
//
// Every function is pure and deterministic (no locale, no wall clock). Widths count one column per
// Unicode code point; East Asian wide characters are not measured as two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace geodes::app {

/// Columns taken by UTF-8 `text`: its number of code points.
std::size_t display_width(std::string_view text);

/// `text` cut to at most `width` columns, never inside a UTF-8 sequence; a cut text ends in '~'
/// so that the reader sees it was shortened. Returns `text` unchanged when it fits.
std::string fit(std::string_view text, std::size_t width);

/// fit(text, width) padded with spaces on the right (left-aligned cell) or on the left
/// (right-aligned cell) to exactly `width` columns.
std::string pad_right(std::string_view text, std::size_t width);
std::string pad_left(std::string_view text, std::size_t width);

/// `text` broken into lines of at most `width` columns (width >= 1) at white space; a word longer
/// than `width` is split at `width` columns (never inside a UTF-8 sequence). Runs of white space
/// between words become one space. Returns one empty line for an empty text.
std::vector<std::string> wrap_words(std::string_view text, std::size_t width);

/// `path` shown whole, in lines of at most `width` columns (width >= 4), so that a report keeps
/// its width wherever a file lives. Control characters and backslashes are escaped as in C
/// ("\n", "\x1b", "\\"), so every byte is visible; lines break after a '/' where one is within
/// the width, else at the width (never inside a UTF-8 sequence or an escape). Joined with nothing
/// in between, the lines give the escaped path back exactly (spaces included).
std::vector<std::string> wrap_path(std::string_view path, std::size_t width);

/// A count in at most 5 columns: exact below 100,000 ("99999"), then three significant digits
/// with an SI suffix ("123k", "1.2M", "45G", up to "18E").
std::string format_count(std::uint64_t n);

/// A count with thousands separators, exact: "12,345,678".
std::string format_count_exact(std::uint64_t n);

/// A duration given in (possibly fractional) nanoseconds, in at most 7 columns with three
/// significant digits: "0", "850ns", "12.3us", "999ms", "1.25s", "5m03s", "2h05m", "123h", "45d".
/// NaN gives "-"; +inf gives "inf"; negative values get a leading '-'.
std::string format_short_duration(double ns);

/// A ratio in [0, 1] as a percentage with three decimals ("99.987%"); "100%" only when exactly 1,
/// so that a shortfall never reads as 100% (0.9999996 gives "99.999%"). NaN gives "-".
std::string format_percent(double ratio);

}  // namespace geodes::app
