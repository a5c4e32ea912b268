#include "geodes/sim/time_series.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "geodes/sim/error.hpp"

namespace geodes::sim {
namespace {

using namespace literals;

TEST(SampleSeries, AggregatesSamplesIntoTheIntervalContainingTheirTime) {
  SampleSeries s(10_ms);
  s.record(Time::zero(), 1.0);
  s.record(Time::zero() + 5_ms, 3.0);
  s.record(Time(10'000'000 - 1), 2.0);   // last ns of interval 0
  s.record(Time::zero() + 10_ms, -4.0);  // first ns of interval 1
  s.record(Time::zero() + 25_ms, 7.0);
  s.record(Time::zero() + 22_ms, 9.0);  // out of order is fine
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.interval(), 10_ms);

  EXPECT_EQ(s.count(0), 3u);
  EXPECT_EQ(s.sum(0), 6.0);
  EXPECT_EQ(s.mean(0), 2.0);
  EXPECT_EQ(s.min(0), 1.0);
  EXPECT_EQ(s.max(0), 3.0);
  EXPECT_EQ(s.start(0), Time::zero());

  EXPECT_EQ(s.count(1), 1u);
  EXPECT_EQ(s.mean(1), -4.0);
  EXPECT_EQ(s.min(1), -4.0);
  EXPECT_EQ(s.max(1), -4.0);
  EXPECT_EQ(s.start(1), Time::zero() + 10_ms);

  EXPECT_EQ(s.count(2), 2u);
  EXPECT_EQ(s.mean(2), 8.0);
  EXPECT_EQ(s.min(2), 7.0);
  EXPECT_EQ(s.max(2), 9.0);
  EXPECT_EQ(s.start(2), Time::zero() + 20_ms);
}

TEST(SampleSeries, AnEmptyIntervalHasZeroCountAndNanMeanMinAndMax) {
  SampleSeries s(1_s);
  s.record(Time::zero() + 2500_ms, 1.0);
  ASSERT_EQ(s.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(s.count(i), 0u);
    EXPECT_EQ(s.sum(i), 0.0);
    EXPECT_TRUE(std::isnan(s.mean(i)));
    EXPECT_TRUE(std::isnan(s.min(i)));
    EXPECT_TRUE(std::isnan(s.max(i)));
  }
  EXPECT_EQ(s.mean(2), 1.0);
}

TEST(SampleSeries, GrowsToASparseTimeWithOneRecordPerInterval) {
  SampleSeries s(1_s);
  EXPECT_EQ(s.size(), 0u);
  s.record(Time::zero() + 1_h, 5.0);
  EXPECT_EQ(s.size(), 3601u);
  EXPECT_EQ(s.start(3600), Time::zero() + 1_h);
  EXPECT_EQ(s.count(3600), 1u);
  // Memory follows the span, not the sample count.
  for (int i = 0; i < 100'000; ++i) s.record(Time::zero() + 30_min, 1.0);
  EXPECT_EQ(s.size(), 3601u);
  EXPECT_EQ(s.count(1800), 100'000u);
}

TEST(SampleSeries, RejectsNegativeTimesBadIntervalsAndOutOfRangeIndices) {
  EXPECT_THROW(SampleSeries(Duration::zero()), InvalidArgument);
  EXPECT_THROW(SampleSeries(-1_s), InvalidArgument);
  SampleSeries s(1_s);
  EXPECT_THROW(s.record(Time(-1), 1.0), InvalidArgument);
  EXPECT_THROW(s.record(Time::zero(), std::nan("")), InvalidArgument);
  s.record(Time::zero(), 1.0);
  EXPECT_THROW((void)s.count(1), InvalidArgument);
  EXPECT_THROW((void)s.mean(1), InvalidArgument);
  EXPECT_THROW((void)s.start(1), InvalidArgument);
}

// Interval 10 ns. Pieces: [3,7) at 2, [7,15) at 5, [15,32) at 4 (the 1 set at 15 is overwritten at
// once), [32,35) at 0.
GaugeSeries hand_computed_gauge() {
  GaugeSeries g(10_ns);
  g.set(Time(3), 2.0);
  g.set(Time(7), 5.0);
  g.set(Time(15), 1.0);
  g.set(Time(15), 4.0);
  g.set(Time(32), 0.0);
  g.close(Time(35));
  return g;
}

TEST(GaugeSeries, PerIntervalMeanMinMaxAndEndLevelMatchAHandComputation) {
  const GaugeSeries g = hand_computed_gauge();
  ASSERT_EQ(g.size(), 4u);
  EXPECT_TRUE(g.closed());

  // [0,10): covered [3,10); 2*4 + 5*3 = 23 over 7 ns.
  EXPECT_EQ(g.covered(0), 7_ns);
  EXPECT_DOUBLE_EQ(g.mean(0), 23.0 / 7.0);
  EXPECT_EQ(g.min(0), 2.0);
  EXPECT_EQ(g.max(0), 5.0);
  EXPECT_EQ(g.end_level(0), 5.0);

  // [10,20): 5*5 + 4*5 = 45 over 10 ns; the zero-length 1 does not count as a minimum.
  EXPECT_EQ(g.covered(1), 10_ns);
  EXPECT_EQ(g.mean(1), 4.5);
  EXPECT_EQ(g.min(1), 4.0);
  EXPECT_EQ(g.max(1), 5.0);
  EXPECT_EQ(g.end_level(1), 4.0);

  // [20,30): 4 throughout.
  EXPECT_EQ(g.mean(2), 4.0);
  EXPECT_EQ(g.min(2), 4.0);
  EXPECT_EQ(g.max(2), 4.0);
  EXPECT_EQ(g.end_level(2), 4.0);

  // [30,40): covered [30,35); 4*2 + 0*3 = 8 over 5 ns.
  EXPECT_EQ(g.covered(3), 5_ns);
  EXPECT_EQ(g.mean(3), 1.6);
  EXPECT_EQ(g.min(3), 0.0);
  EXPECT_EQ(g.max(3), 4.0);
  EXPECT_EQ(g.end_level(3), 0.0);
  EXPECT_EQ(g.start(3), Time(30));
}

TEST(GaugeSeries, TimeAverageIsTheExactTimeWeightedMeanOverTheCoveredPart) {
  const GaugeSeries g = hand_computed_gauge();
  // 23 + 45 + 40 + 8 = 116 over [3, 35) = 32 ns.
  EXPECT_EQ(g.time_average(Time::zero(), Time::max()), 116.0 / 32.0);
  EXPECT_EQ(g.time_average(Time(10), Time(30)), 85.0 / 20.0);
  EXPECT_EQ(g.time_average(Time(3), Time(20)), 68.0 / 17.0);
  EXPECT_EQ(g.time_average(Time(20), Time(35)), 48.0 / 15.0);
  EXPECT_TRUE(std::isnan(g.time_average(Time::zero(), Time(3))));
  EXPECT_TRUE(std::isnan(g.time_average(Time(40), Time(50))));
  // Ends inside a covered interval cannot be answered exactly from per-interval totals.
  EXPECT_THROW((void)g.time_average(Time(12), Time(30)), InvalidArgument);
  EXPECT_THROW((void)g.time_average(Time(10), Time(25)), InvalidArgument);
  EXPECT_THROW((void)g.time_average(Time(20), Time(10)), InvalidArgument);
}

TEST(GaugeSeries, AnUpFlagGivesExactAvailabilityPerMinuteAndOverall) {
  GaugeSeries up(1_min);
  up.set(Time::zero(), 1.0);
  up.set(Time::zero() + 90_s, 0.0);
  up.set(Time::zero() + 150_s, 1.0);
  up.close(Time::zero() + 1_h);
  ASSERT_EQ(up.size(), 60u);
  EXPECT_EQ(up.mean(0), 1.0);
  EXPECT_EQ(up.mean(1), 0.5);
  EXPECT_EQ(up.mean(2), 0.5);
  EXPECT_EQ(up.min(1), 0.0);
  EXPECT_EQ(up.max(1), 1.0);
  EXPECT_EQ(up.end_level(1), 0.0);
  EXPECT_EQ(up.end_level(2), 1.0);
  EXPECT_EQ(up.mean(59), 1.0);
  EXPECT_EQ(up.time_average(Time::zero(), Time::zero() + 1_h), 59.0 / 60.0);
}

TEST(GaugeSeries, GrowsOverALongConstantPieceAndLeavesIntervalsBeforeTheFirstSetEmpty) {
  GaugeSeries g(1_s);
  g.set(Time::zero() + 2500_ms, 3.0);
  EXPECT_EQ(g.size(), 0u);  // the open piece is not reported until it ends
  g.set(Time::zero() + 1_h, 7.0);
  ASSERT_EQ(g.size(), 3600u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(g.covered(i), Duration::zero());
    EXPECT_TRUE(std::isnan(g.mean(i)));
    EXPECT_TRUE(std::isnan(g.min(i)));
    EXPECT_TRUE(std::isnan(g.max(i)));
    EXPECT_TRUE(std::isnan(g.end_level(i)));
  }
  EXPECT_EQ(g.covered(2), 500_ms);
  EXPECT_EQ(g.mean(2), 3.0);
  EXPECT_EQ(g.mean(3599), 3.0);
  g.close(Time::zero() + 1_h + 1_s);
  ASSERT_EQ(g.size(), 3601u);
  EXPECT_EQ(g.mean(3600), 7.0);
}

TEST(GaugeSeries, RejectsDecreasingTimesAndUseAfterClose) {
  EXPECT_THROW(GaugeSeries(Duration::zero()), InvalidArgument);
  GaugeSeries g(10_ns);
  EXPECT_THROW(g.set(Time(-1), 1.0), InvalidArgument);
  g.set(Time(32), 1.0);
  EXPECT_THROW(g.set(Time(31), 1.0), InvalidArgument);
  EXPECT_THROW(g.set(Time(33), std::nan("")), InvalidArgument);
  EXPECT_THROW(g.close(Time(31)), InvalidArgument);
  g.set(Time(32), 2.0);  // equal times are fine
  g.close(Time(40));
  EXPECT_THROW(g.set(Time(41), 1.0), InvalidArgument);
  EXPECT_THROW(g.close(Time(41)), InvalidArgument);
  EXPECT_THROW((void)g.mean(4), InvalidArgument);
  EXPECT_EQ(g.mean(3), 2.0);
}

TEST(GaugeSeries, ClosingWithoutAnySetRecordsNothing) {
  GaugeSeries g(1_s);
  g.close(Time::zero() + 1_h);
  EXPECT_EQ(g.size(), 0u);
  EXPECT_TRUE(std::isnan(g.time_average(Time::zero(), Time::max())));
}

}  // namespace
}  // namespace geodes::sim
