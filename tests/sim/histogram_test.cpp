#include "geodes/sim/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::sim {
namespace {

constexpr std::int64_t kS = Histogram::kSubBuckets;

// Log-uniform over [1, 1e12] ns: every decade from 1 ns to 16 minutes equally likely, the widest
// range a lag histogram sees.
std::int64_t log_uniform(Rng& rng) {
  return std::llround(std::exp(rng.uniform01() * std::log(1e12)));
}

// The nearest-rank p-quantile of sorted data, with the rank computed as Histogram documents.
std::int64_t exact_nearest_rank(const std::vector<std::int64_t>& sorted, double p) {
  const auto n = static_cast<std::uint64_t>(sorted.size());
  const auto rank = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n))), 1, n);
  return sorted[rank - 1];
}

std::vector<double> dense_grid() {
  std::vector<double> ps = {0.0, 1.0, 0.9999, 0.99999};
  for (int i = 1; i <= 999; ++i) ps.push_back(i / 1000.0);
  return ps;
}

TEST(Histogram, QuantilesAreWithinOnePercentOfTheExactNearestRankOverTwelveDecades) {
  Rng rng(42);
  Histogram h;
  std::vector<std::int64_t> exact;
  exact.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) {
    const std::int64_t v = log_uniform(rng);
    h.record(v);
    exact.push_back(v);
  }
  std::sort(exact.begin(), exact.end());
  for (const double p : dense_grid()) {
    const auto want = static_cast<double>(exact_nearest_rank(exact, p));
    const double got = h.quantile(p);
    ASSERT_LE(std::fabs(got - want), Histogram::kMaxRelativeError * want)
        << "p=" << p << " got " << got << " want " << want;
  }
  EXPECT_EQ(h.quantile(0.0), static_cast<double>(exact.front()));
  EXPECT_EQ(h.quantile(1.0), static_cast<double>(exact.back()));
}

TEST(Histogram, TheMidpointOfEveryBucketIsWithinTheBoundOfBothItsEnds) {
  // A middle rank is reported as its bucket's midpoint. Fill a bucket's two ends (three samples, so
  // rank 2 is neither min() nor max(), which are exact) and check the midpoint against both ends,
  // for buckets at the bottom, middle and top of every power of two up to INT64_MAX.
  for (int bits = 1; bits <= 63; ++bits) {
    const std::int64_t top =
        bits == 63 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << bits) - 1;
    for (const std::int64_t v : {top, top / 2 + 1, top - top / 3}) {
      Histogram h;
      h.record(v);
      const auto buckets = h.buckets();
      ASSERT_EQ(buckets.size(), 1u);
      const Histogram::Bucket b = buckets[0];
      ASSERT_LE(b.lower, v);
      ASSERT_GE(b.upper, v);
      Histogram ends;
      ends.record(b.lower);
      ends.record_n(b.upper, 2);
      const double mid = ends.quantile(0.5);
      EXPECT_EQ(mid, static_cast<double>(b.lower) + static_cast<double>(b.upper - b.lower) / 2);
      for (const std::int64_t x : {b.lower, b.upper}) {
        if (x == 0) continue;
        // (width-1)/2 < lower/(2S) exactly; above 2^53 the double midpoint can round up to it.
        EXPECT_LE(std::fabs(mid - static_cast<double>(x)), 0.5 / kS * static_cast<double>(x))
            << "bucket [" << b.lower << ", " << b.upper << "]";
      }
    }
  }
}

TEST(Histogram, BucketsTileTheValuesWithoutGapsAndAreAtMostOneSthOfTheirLowerBound) {
  Histogram h;
  for (std::int64_t v = 0; v < (1 << 16); ++v) h.record(v);
  const auto buckets = h.buckets();
  std::int64_t next = 0;
  for (const auto& b : buckets) {
    ASSERT_EQ(b.lower, next);
    ASSERT_LE(b.lower, b.upper);
    EXPECT_EQ(b.count, static_cast<std::uint64_t>(b.upper - b.lower + 1));
    if (b.lower >= 2 * kS) {
      EXPECT_LE((b.upper - b.lower + 1) * kS, b.lower);
    }
    next = b.upper + 1;
  }
  EXPECT_EQ(next, 1 << 16);
}

TEST(Histogram, ValuesBelowTwiceTheSubBucketCountAreExact) {
  Histogram h;
  for (std::int64_t v = 0; v < 2 * kS; ++v) h.record_n(v, 3);
  const auto buckets = h.buckets();
  ASSERT_EQ(buckets.size(), static_cast<std::size_t>(2 * kS));
  for (std::int64_t v = 0; v < 2 * kS; ++v) {
    EXPECT_EQ(buckets[v].lower, v);
    EXPECT_EQ(buckets[v].upper, v);
    EXPECT_EQ(buckets[v].count, 3u);
    // Rank 3v+1 .. 3v+3 is value v.
    const double p = static_cast<double>(3 * v + 2) / static_cast<double>(h.count());
    EXPECT_EQ(h.quantile(p), static_cast<double>(v));
  }
  // The first inexact bucket is two values wide.
  h.record(2 * kS + 1);
  EXPECT_EQ(h.buckets().back().lower, 2 * kS);
  EXPECT_EQ(h.buckets().back().upper, 2 * kS + 1);
}

TEST(Histogram, CountSumMinMaxAndMeanAreExact) {
  Histogram h;
  h.record(5);
  h.record(1'000'000'007);
  h.record_n(123'456'789'012, 4);
  h.record(300);
  EXPECT_EQ(h.count(), 7u);
  EXPECT_EQ(h.sum(), 5.0L + 1'000'000'007.0L + 4.0L * 123'456'789'012.0L + 300.0L);
  EXPECT_EQ(h.min(), 5);
  EXPECT_EQ(h.max(), 123'456'789'012);
  EXPECT_DOUBLE_EQ(
      h.mean(),
      static_cast<double>((5.0L + 1'000'000'007.0L + 4.0L * 123'456'789'012.0L + 300.0L) / 7.0L));
  EXPECT_FALSE(h.empty());
  EXPECT_EQ(h.negatives(), 0u);
}

TEST(Histogram, RecordNIsTheSameAsRecordingNTimes) {
  Histogram a;
  Histogram b;
  for (const std::int64_t v : {std::int64_t{0}, std::int64_t{7}, std::int64_t{200},
                               std::int64_t{99'999}, std::int64_t{12'345'678'901}}) {
    a.record_n(v, 5);
    for (int i = 0; i < 5; ++i) b.record(v);
  }
  a.record_n(42, 0);  // adds nothing, not even to min
  EXPECT_EQ(a.buckets(), b.buckets());
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.sum(), b.sum());
  EXPECT_EQ(a.min(), b.min());
  EXPECT_EQ(a.max(), b.max());
}

TEST(Histogram, MergingTwoHistogramsEqualsOneHistogramFedEveryValue) {
  Rng rng(7);
  Histogram left;
  Histogram right;
  Histogram all;
  for (int i = 0; i < 200'000; ++i) {
    const std::int64_t v = log_uniform(rng);
    // Right gets only small values, so merge must grow left's counters too.
    Histogram& part = (i % 3 == 0 && v < 1'000'000) ? right : left;
    part.record(v);
    all.record(v);
  }
  left.record(-5);
  all.record(-5);
  Histogram merged = right;
  merged.merge(left);
  EXPECT_EQ(merged.buckets(), all.buckets());
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.sum(), all.sum());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_EQ(merged.negatives(), 1u);
  for (const double p : dense_grid()) EXPECT_EQ(merged.quantile(p), all.quantile(p)) << p;

  // Merging an empty histogram, in either direction, changes nothing.
  Histogram empty;
  merged.merge(empty);
  EXPECT_EQ(merged.buckets(), all.buckets());
  empty.merge(all);
  EXPECT_EQ(empty.buckets(), all.buckets());
  EXPECT_EQ(empty.min(), all.min());
}

TEST(Histogram, MemoryIsBoundedAndStopsGrowingOnceTheRangeIsCovered) {
  Rng rng(1);
  Histogram h;
  constexpr std::int64_t kTop = 1'000'000'000'000;
  h.record(kTop);
  for (int i = 0; i < 10'000'000; ++i) h.record(log_uniform(rng));
  const std::size_t after_first = h.allocated_buckets();
  // Bucket of 1e12: bit_width 40, shift 33, index 33*64 + (1e12 >> 33) = 2112 + 116.
  EXPECT_EQ(after_first, 2229u);
  EXPECT_LE(after_first, Histogram::kBucketCount);
  for (int i = 0; i < 10'000'000; ++i) h.record(log_uniform(rng));
  EXPECT_EQ(h.allocated_buckets(), after_first);
  EXPECT_EQ(h.count(), 20'000'001u);

  h.record(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(h.allocated_buckets(), Histogram::kBucketCount);
  EXPECT_EQ(h.buckets().back().upper, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(h.quantile(1.0), static_cast<double>(std::numeric_limits<std::int64_t>::max()));
}

TEST(Histogram, NegativeValuesAreRecordedAsZeroAndCounted) {
  Histogram h;
  h.record(-3);
  h.record_n(-1'000'000'000'000, 2);
  h.record(10);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.negatives(), 3u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 10);
  EXPECT_EQ(h.sum(), 10.0L);
  EXPECT_EQ(h.quantile(0.75), 0.0);
  ASSERT_EQ(h.buckets().size(), 2u);
  EXPECT_EQ(h.buckets()[0], (Histogram::Bucket{0, 0, 3}));
}

TEST(Histogram, AnEmptyHistogramReportsZeros) {
  const Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0.0L);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.negatives(), 0u);
  EXPECT_EQ(h.quantile(0.0), 0.0);
  EXPECT_EQ(h.quantile(0.5), 0.0);
  EXPECT_EQ(h.quantile(1.0), 0.0);
  EXPECT_TRUE(h.buckets().empty());
  EXPECT_EQ(h.allocated_buckets(), 0u);
}

TEST(Histogram, ClearForgetsEverySampleButKeepsTheCounters) {
  Histogram h;
  h.record(1'000'000);
  h.record(-1);
  const std::size_t allocated = h.allocated_buckets();
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.negatives(), 0u);
  EXPECT_EQ(h.sum(), 0.0L);
  EXPECT_TRUE(h.buckets().empty());
  EXPECT_EQ(h.allocated_buckets(), allocated);
  h.record(9);
  EXPECT_EQ(h.min(), 9);
  EXPECT_EQ(h.max(), 9);
}

TEST(Histogram, QuantileRejectsProbabilitiesOutsideZeroToOne) {
  Histogram h;
  h.record(1);
  EXPECT_THROW((void)h.quantile(-0.01), InvalidArgument);
  EXPECT_THROW((void)h.quantile(1.01), InvalidArgument);
  EXPECT_THROW((void)h.quantile(std::numeric_limits<double>::quiet_NaN()), InvalidArgument);
}

TEST(Histogram, QuantileIsClampedToTheObservedRange) {
  Histogram h;
  h.record_n(1'000'001, 10);  // bucket [999'424, 1'007'615], midpoint 1'003'519.5
  EXPECT_EQ(h.quantile(0.5), 1'000'001.0);
  h.record(1'000'000);
  EXPECT_GE(h.quantile(1.0), 1'000'000.0);
  EXPECT_LE(h.quantile(1.0), 1'000'001.0);
}

}  // namespace
}  // namespace geodes::sim
