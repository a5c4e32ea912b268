#include "geodes/app/text_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace geodes::app {
namespace {

TEST(TextFormat, CountsAreExactBelowAHundredThousandThenThreeDigitsWithASuffix) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(99'999), "99999");
  EXPECT_EQ(format_count(100'000), "100k");
  EXPECT_EQ(format_count(123'456), "123k");
  EXPECT_EQ(format_count(999'499), "999k");
  EXPECT_EQ(format_count(999'999), "1.0M");
  EXPECT_EQ(format_count(1'234'567), "1.2M");
  EXPECT_EQ(format_count(45'000'000'000), "45G");
  EXPECT_EQ(format_count(std::numeric_limits<std::uint64_t>::max()), "18E");
}

TEST(TextFormat, ExactCountsGetThousandsSeparators) {
  EXPECT_EQ(format_count_exact(0), "0");
  EXPECT_EQ(format_count_exact(999), "999");
  EXPECT_EQ(format_count_exact(1000), "1,000");
  EXPECT_EQ(format_count_exact(12'345'678), "12,345,678");
}

TEST(TextFormat, ShortDurationsHaveThreeSignificantDigitsAndAFittingUnit) {
  EXPECT_EQ(format_short_duration(0), "0");
  EXPECT_EQ(format_short_duration(850), "850ns");
  EXPECT_EQ(format_short_duration(999.6), "1.00us");
  EXPECT_EQ(format_short_duration(12'345), "12.3us");
  EXPECT_EQ(format_short_duration(999'000'000), "999ms");
  EXPECT_EQ(format_short_duration(999'700'000), "1.00s");
  EXPECT_EQ(format_short_duration(1.25e9), "1.25s");
  EXPECT_EQ(format_short_duration(59.9e9), "59.9s");
  EXPECT_EQ(format_short_duration(59.97e9), "1m00s");
  EXPECT_EQ(format_short_duration(303e9), "5m03s");
  EXPECT_EQ(format_short_duration(7'500e9), "2h05m");
  EXPECT_EQ(format_short_duration(200 * 3600e9), "200h");
  EXPECT_EQ(format_short_duration(2000 * 3600e9), "83d");
  EXPECT_EQ(format_short_duration(-1.5e6), "-1.50ms");
  EXPECT_EQ(format_short_duration(std::numeric_limits<double>::quiet_NaN()), "-");
  EXPECT_EQ(format_short_duration(std::numeric_limits<double>::infinity()), "inf");
}

TEST(TextFormat, ShortDurationsNeverTakeMoreThanSevenColumns) {
  for (double ns = 0.37; ns < 1e20; ns *= 1.37) {
    EXPECT_LE(format_short_duration(ns).size(), 7u) << ns;
  }
}

TEST(TextFormat, APercentageOnlyReadsOneHundredWhenNothingFailed) {
  EXPECT_EQ(format_percent(1.0), "100%");
  EXPECT_EQ(format_percent(0.9999996), "99.999%");
  EXPECT_EQ(format_percent(0.99987), "99.987%");
  EXPECT_EQ(format_percent(0.0), "0.000%");
  EXPECT_EQ(format_percent(std::numeric_limits<double>::quiet_NaN()), "-");
}

TEST(TextFormat, LongNamesAreCutWithAMarkerAndNeverInsideACharacter) {
  EXPECT_EQ(fit("accounts", 8), "accounts");
  EXPECT_EQ(fit("accounts", 5), "acco~");
  EXPECT_EQ(fit("accounts", 0), "");
  // "上海机房" is four code points of three bytes each.
  EXPECT_EQ(display_width("上海机房"), 4u);
  EXPECT_EQ(fit("上海机房", 3), "上海~");
  EXPECT_EQ(pad_right("上海", 4), "上海  ");
  EXPECT_EQ(pad_left("ab", 4), "  ab");
  EXPECT_EQ(pad_left("abcdef", 4), "abc~");
}

TEST(TextFormat, WordsWrapAtSpacesAndAWordLongerThanALineIsSplit) {
  EXPECT_EQ(wrap_words("one two three", 7), (std::vector<std::string>{"one two", "three"}));
  EXPECT_EQ(wrap_words("  a   b  ", 80), (std::vector<std::string>{"a b"}));
  EXPECT_EQ(wrap_words("", 10), (std::vector<std::string>{""}));
  EXPECT_EQ(wrap_words("ab abcdefghij c", 4),
            (std::vector<std::string>{"ab", "abcd", "efgh", "ij c"}));
  // Split by code points, never inside a character.
  EXPECT_EQ(wrap_words("上海机房北京", 4), (std::vector<std::string>{"上海机房", "北京"}));
}

TEST(TextFormat, APathIsShownWholeWithinTheWidthAndJoinsBackExactly) {
  const std::string path = "/tmp/a deep dir/数据 中心/second level/scenarios/login two.yaml";
  for (std::size_t width : {4u, 7u, 13u, 20u, 64u, 200u}) {
    const std::vector<std::string> lines = wrap_path(path, width);
    std::string joined;
    for (const std::string& l : lines) {
      EXPECT_LE(display_width(l), width) << l;
      joined += l;
    }
    EXPECT_EQ(joined, path) << width;
  }
  // Breaks come after a '/' when one is within the width.
  EXPECT_EQ(wrap_path("/aaa/bbb/ccc", 9), (std::vector<std::string>{"/aaa/bbb/", "ccc"}));
  EXPECT_EQ(wrap_path("/abcdefghi", 4), (std::vector<std::string>{"/", "abcd", "efgh", "i"}));
  EXPECT_EQ(wrap_path("", 10), (std::vector<std::string>{""}));
}

TEST(TextFormat, APathsControlCharactersBackslashesAndBadBytesAreEscaped) {
  EXPECT_EQ(wrap_path("a\nb\\c\x1b\xff", 80), (std::vector<std::string>{"a\\nb\\\\c\\x1b\\xff"}));
  // An escape is never cut.
  EXPECT_EQ(wrap_path("ab\x01", 4), (std::vector<std::string>{"ab", "\\x01"}));
}

}  // namespace
}  // namespace geodes::app
