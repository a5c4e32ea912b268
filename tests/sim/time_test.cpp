#include "geodes/sim/time.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "geodes/sim/error.hpp"

namespace geodes::sim {
namespace {

using namespace literals;

TEST(Time, LiteralsAreNanosecondCounts) {
  EXPECT_EQ((1_ns).ns(), 1);
  EXPECT_EQ((1_us).ns(), 1'000);
  EXPECT_EQ((30_ms).ns(), 30'000'000);
  EXPECT_EQ((2_s).ns(), 2'000'000'000);
  EXPECT_EQ((10_min).ns(), 600'000'000'000);
  EXPECT_EQ((1_h).ns(), 3'600'000'000'000);
}

TEST(Time, ArithmeticIsExactIntegerArithmetic) {
  const Time t = Time::zero() + 1_s + 250_ms;
  EXPECT_EQ(t.ns(), 1'250'000'000);
  EXPECT_EQ((t - Time(250'000'000)).ns(), 1'000'000'000);
  EXPECT_EQ(((30_ms) * 3).ns(), 90'000'000);
  EXPECT_EQ((1_s) / (30_ms), 33);
  EXPECT_EQ(((1_s) % (30_ms)).ns(), 10'000'000);
  EXPECT_LT(Time(1), Time(2));
  EXPECT_LT(-(1_ms), Duration::zero());
}

TEST(Time, FromSecondsRoundsToTheNearestNanosecond) {
  EXPECT_EQ(Duration::from_seconds(1.5e-9).ns(), 2);
  EXPECT_EQ(Duration::from_seconds(0.03).ns(), 30'000'000);
  EXPECT_EQ(Duration::from_seconds(-0.001).ns(), -1'000'000);
  EXPECT_THROW(Duration::from_seconds(1e12), InvalidArgument);
  EXPECT_THROW(Duration::from_seconds(std::nan("")), InvalidArgument);
}

TEST(Time, FormatUsesTheLargestFittingUnit) {
  EXPECT_EQ(format(Duration::zero()), "0s");
  EXPECT_EQ(format(250_ns), "250ns");
  EXPECT_EQ(format(1500_ns), "1.5us");
  EXPECT_EQ(format(30_ms), "30ms");
  EXPECT_EQ(format(Duration(14'250'000)), "14.25ms");
  EXPECT_EQ(format(12_s + 250_ms), "12.25s");
  EXPECT_EQ(format(5_min + 3_s), "5m03s");
  EXPECT_EQ(format(2_h + 7_s), "2h00m07s");
  EXPECT_EQ(format(-(1500_us)), "-1.5ms");
  EXPECT_EQ(format(Time::zero() + 30_ms), "30ms");
}

}  // namespace
}  // namespace geodes::sim
