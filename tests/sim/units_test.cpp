#include "geodes/sim/units.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::sim {
namespace {

struct Good {
  std::string text;
  Unit unit;
  double expected;  // base units
};

// Expected values are computed by hand from the unit definitions, not by the code under test.
const std::vector<Good> good_forms{
    // Durations, base ns.
    {"30ms", Unit::kTime, 30e6},
    {"1.5s", Unit::kTime, 1.5e9},
    {"10m", Unit::kTime, 600e9},
    {"300min", Unit::kTime, 18000e9},
    {"2h", Unit::kTime, 7200e9},
    {"1d", Unit::kTime, 86400e9},
    {"250us", Unit::kTime, 250e3},
    {"100ns", Unit::kTime, 100},
    {"0ms", Unit::kTime, 0},
    {"1e3ms", Unit::kTime, 1e9},
    {".5s", Unit::kTime, 0.5e9},
    {"  30ms\t", Unit::kTime, 30e6},
    {"30 ms", Unit::kTime, 30e6},
    // Sizes, base bytes.
    {"512B", Unit::kBytes, 512},
    {"4KB", Unit::kBytes, 4000},
    {"4kB", Unit::kBytes, 4000},
    {"4KiB", Unit::kBytes, 4096},
    {"1.5MB", Unit::kBytes, 1.5e6},
    {"2MiB", Unit::kBytes, 2097152},
    {"1GiB", Unit::kBytes, 1073741824},
    {"1GB", Unit::kBytes, 1e9},
    // Bandwidths, base bytes per second: bits are divided by 8.
    {"1Gbps", Unit::kBandwidth, 1e9 / 8},
    {"100Mbps", Unit::kBandwidth, 100e6 / 8},
    {"10kbps", Unit::kBandwidth, 10e3 / 8},
    {"500bps", Unit::kBandwidth, 62.5},
    {"125MB/s", Unit::kBandwidth, 125e6},
    {"1KiB/s", Unit::kBandwidth, 1024},
    {"3B/s", Unit::kBandwidth, 3},
    // Rates, base per second.
    {"5/s", Unit::kRate, 5},
    {"5k/s", Unit::kRate, 5000},
    {"8k/s", Unit::kRate, 8000},
    {"300/m", Unit::kRate, 5},
    {"300/min", Unit::kRate, 5},
    {"2/ms", Unit::kRate, 2000},
    {"1.2M/s", Unit::kRate, 1.2e6},
    {"7200/h", Unit::kRate, 2},
    // Plain numbers.
    {"0.5", Unit::kNone, 0.5},
    {"1e-3", Unit::kNone, 1e-3},
    {"2k", Unit::kNone, 2000},
    {"3M", Unit::kNone, 3e6},
    {"1G", Unit::kNone, 1e9},
    {"42", Unit::kNone, 42},
    {"-2.5", Unit::kNone, -2.5},
    {"2.5E+2", Unit::kNone, 250},
};

TEST(Units, EveryDocumentedFormParsesToItsBaseUnitValue) {
  for (const Good& g : good_forms) {
    SCOPED_TRACE(g.text);
    EXPECT_DOUBLE_EQ(parse_quantity(g.text, g.unit), g.expected);
  }
}

struct Bad {
  std::string text;
  Unit unit;
  std::vector<std::string> must_contain;
};

const std::vector<Bad> bad_forms{
    {"", Unit::kTime, {"Empty text"}},
    {"   ", Unit::kBytes, {"Empty text"}},
    {"30", Unit::kTime, {"'30'", "needs a unit", "'30ms' or '30s'"}},
    {"4", Unit::kBytes, {"needs a unit", "'4B'"}},
    {"1", Unit::kBandwidth, {"needs a unit", "'1Mbps'"}},
    {"5", Unit::kRate, {"needs a unit", "'5/s'"}},
    {"30mz", Unit::kTime, {"'30mz'", "unknown unit 'mz'", "ns, us, ms, s, m or min, h, d"}},
    {"30MS", Unit::kTime, {"unknown unit 'MS'"}},
    {"1Gb", Unit::kBandwidth, {"unknown unit 'Gb'", "Gbps"}},
    {"5k", Unit::kRate, {"unknown unit 'k'", "did you mean '5k/s'?"}},
    {"5/y", Unit::kRate, {"unknown unit '/y'"}},
    {"2ms", Unit::kNone, {"unknown unit 'ms'", "plain number"}},
    {"-5ms", Unit::kTime, {"'-5ms'", "cannot be negative"}},
    {"-1KB", Unit::kBytes, {"cannot be negative"}},
    {"-1Gbps", Unit::kBandwidth, {"cannot be negative"}},
    {"-5/s", Unit::kRate, {"cannot be negative"}},
    {"inf", Unit::kNone, {"'inf'", "does not start with a number"}},
    {"nan", Unit::kNone, {"does not start with a number"}},
    {"-infms", Unit::kTime, {"does not start with a number"}},
    {"ms", Unit::kTime, {"does not start with a number"}},
    {"+5ms", Unit::kTime, {"does not start with a number"}},
    {"30ms x", Unit::kTime, {"unexpected ' x' after '30ms'"}},
    {"30ms,", Unit::kTime, {"unexpected ','"}},
    {"1.5.3ms", Unit::kTime, {"unexpected '.3ms' after '1.5'"}},
    {"1e400", Unit::kNone, {"out of range"}},
    {"1e300GB", Unit::kBytes, {"too large"}},
    {"106752d", Unit::kTime, {"64-bit nanoseconds"}},
    {"1e30s", Unit::kTime, {"64-bit nanoseconds"}},
};

TEST(Units, BadTextThrowsUnitErrorNamingTheTextAndTheAllowedUnits) {
  for (const Bad& b : bad_forms) {
    SCOPED_TRACE("text: '" + b.text + "'");
    try {
      parse_quantity(b.text, b.unit);
      ADD_FAILURE() << "no exception";
    } catch (const UnitError& e) {
      const std::string what = e.what();
      for (const std::string& part : b.must_contain) {
        EXPECT_NE(what.find(part), std::string::npos) << "missing '" << part << "' in: " << what;
      }
      // Every message lists what is allowed, and is a complete sentence.
      EXPECT_NE(what.find(describe(b.unit)), std::string::npos) << what;
      EXPECT_EQ(what.back(), '.') << what;
    }
  }
}

TEST(Units, UnitErrorIsAnInvalidArgumentSoCallersCanCatchTheBaseClass) {
  EXPECT_THROW(parse_quantity("30", Unit::kTime), InvalidArgument);
  EXPECT_THROW(parse_quantity("30", Unit::kTime), Error);
}

TEST(Units, NegativePlainNumbersAreAllowedButNegativeZeroDurationsBecomeZero) {
  EXPECT_EQ(parse_quantity("-3", Unit::kNone), -3.0);
  const double zero = parse_quantity("-0ms", Unit::kTime);
  EXPECT_EQ(zero, 0.0);
  EXPECT_FALSE(std::signbit(zero));
}

TEST(Units, DescribeNamesEveryKindWithAnExample) {
  EXPECT_NE(describe(Unit::kTime).find("30ms"), std::string::npos);
  EXPECT_NE(describe(Unit::kBytes).find("KiB"), std::string::npos);
  EXPECT_NE(describe(Unit::kBandwidth).find("Gbps"), std::string::npos);
  EXPECT_NE(describe(Unit::kRate).find("/s"), std::string::npos);
  EXPECT_NE(describe(Unit::kNone).find("plain number"), std::string::npos);
}

TEST(Units, ParseDurationRoundsToTheNearestNanosecond) {
  EXPECT_EQ(parse_duration("30ms").ns(), 30'000'000);
  EXPECT_EQ(parse_duration("1.5s").ns(), 1'500'000'000);
  EXPECT_EQ(parse_duration("0.4ns").ns(), 0);
  EXPECT_EQ(parse_duration("1.6ns").ns(), 2);
  EXPECT_EQ(parse_duration("2h").ns(), 7'200'000'000'000);
}

TEST(Units, ParseDurationAcceptsTheLargestSpanThatFitsInInt64AndRejectsTheNext) {
  // 106751 days = 9.223e18 ns < 2^63 - 1; 106752 days does not fit.
  EXPECT_EQ(parse_duration("106751d").ns(), 106751LL * 86'400'000'000'000LL);
  EXPECT_THROW(parse_duration("106752d"), UnitError);
}

TEST(Units, NumbersParseTheSameWhateverTheCLocale) {
  // from_chars ignores the locale; a German locale would make strtod stop at '.'.
  // Not every machine has de_DE, so this only checks the value when the locale can be set.
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  if (std::setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr) {
    EXPECT_EQ(parse_quantity("1.5s", Unit::kTime), 1.5e9);
  }
  std::setlocale(LC_NUMERIC, saved.c_str());
  EXPECT_EQ(parse_quantity("1.5s", Unit::kTime), 1.5e9);
}

}  // namespace
}  // namespace geodes::sim
