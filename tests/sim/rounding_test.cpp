#include "geodes/sim/rounding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace geodes::sim {
namespace {

// round_half_away must equal std::llround wherever both are defined; these are the values where a
// shortcut (adding 0.5, then truncating) goes wrong.
TEST(RoundHalfAway, MatchesLlroundAtTheHardCases) {
  const double below_half = std::nextafter(0.5, 0.0);  // 0.49999999999999994: x + 0.5 rounds to 1
  std::vector<double> cases = {0.0,
                               -0.0,
                               0.5,
                               -0.5,
                               1.5,
                               -1.5,
                               2.5,
                               -2.5,
                               1.0,
                               below_half,
                               -below_half,
                               0x1p51 + 0.5,
                               0x1p52,
                               0x1p52 + 1,
                               0x1p53 + 2,
                               -0x1p52 - 1,
                               0x1p62,
                               -0x1p62,
                               4503599627370495.5,
                               -4503599627370495.5,
                               1e-300,
                               -1e-300};
  for (const double c : {1.0, 1e3, 1e6, 1e9, 1e12, 1e15}) {
    cases.push_back(std::nextafter(c + 0.5, 0.0));
    cases.push_back(c + 0.5);
    cases.push_back(std::nextafter(c + 0.5, 2 * c + 2));
    cases.push_back(-c - 0.5);
  }
  for (const double x : cases) {
    EXPECT_EQ(round_half_away(x), std::llround(x)) << "x = " << x;
  }
}

TEST(RoundHalfAway, MatchesLlroundOnRandomDoublesOfEveryMagnitude) {
  std::mt19937_64 gen(20261207);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-40, 62);
  for (int i = 0; i < 200000; ++i) {
    const double x = std::ldexp(mantissa(gen), exponent(gen));
    ASSERT_EQ(round_half_away(x), std::llround(x)) << "x = " << x;
    const double half = std::floor(x) + 0.5;  // an exact tie, wherever one is representable
    ASSERT_EQ(round_half_away(half), std::llround(half)) << "x = " << half;
  }
}

TEST(RoundHalfAway, GivesInt64MinOutsideTheRangeAndForNan) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(round_half_away(0x1p63), kMin);
  EXPECT_EQ(round_half_away(-0x1p63), kMin);
  EXPECT_EQ(round_half_away(1e300), kMin);
  EXPECT_EQ(round_half_away(std::numeric_limits<double>::infinity()), kMin);
  EXPECT_EQ(round_half_away(std::numeric_limits<double>::quiet_NaN()), kMin);
  // The largest double below 2^63 is still in range.
  EXPECT_EQ(round_half_away(std::nextafter(0x1p63, 0.0)),
            std::llround(std::nextafter(0x1p63, 0.0)));
}

}  // namespace
}  // namespace geodes::sim
