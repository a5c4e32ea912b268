#include "geodes/models/data/truth_log.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;  // NOLINT(google-build-using-namespace)

constexpr DataClassId kBounded{0};
constexpr DataClassId kUnbounded{1};
constexpr DataClassId kZero{2};

Version v(std::uint64_t seq, std::int64_t hlc) { return Version{DcId{0}, seq, hlc}; }

TruthLog make() { return TruthLog({5_s, Duration::max(), Duration::zero()}); }

TEST(TruthLog, TheLatestVersionIsTheNewestCommitted) {
  TruthLog t = make();
  EXPECT_EQ(t.latest(kBounded, 7), nullptr);
  t.record(kBounded, 7, v(1, 100), Time(100), false);
  t.record(kBounded, 7, v(2, 200), Time(200), true);
  ASSERT_NE(t.latest(kBounded, 7), nullptr);
  EXPECT_EQ(t.latest(kBounded, 7)->version, v(2, 200));
  EXPECT_TRUE(t.latest(kBounded, 7)->deleted);
  EXPECT_EQ(t.latest(kUnbounded, 7), nullptr) << "classes are separate";
}

TEST(TruthLog, AReadIsStaleOnlyWhenANewerVersionIsOlderThanTheBound) {
  TruthLog t = make();
  const Time t1(1'000'000'000);
  const Time t2 = t1 + 10_s;
  t.record(kBounded, 1, v(1, t1.ns()), t1, false);
  t.record(kBounded, 1, v(2, t2.ns()), t2, false);
  // Within 5 s of the second commit, version 1 is still acceptable...
  EXPECT_FALSE(t.stale(kBounded, 1, v(1, t1.ns()), t2 + 4_s));
  EXPECT_FALSE(t.stale(kBounded, 1, v(1, t1.ns()), t2 + 5_s - Duration(1)));
  // ... from 5 s on it is stale; version 2 never is.
  EXPECT_TRUE(t.stale(kBounded, 1, v(1, t1.ns()), t2 + 5_s));
  EXPECT_FALSE(t.stale(kBounded, 1, v(2, t2.ns()), t2 + 60_s));
}

TEST(TruthLog, StalenessIsJudgedAgainstTheNewestVersionOlderThanTheBoundNotTheLatest) {
  TruthLog t = make();
  // Versions at 0 s, 2 s, 4 s, 6 s; a read at 8 s (bound 5 s) must show at least the 2 s one.
  for (std::uint64_t i = 0; i < 4; ++i) {
    const Time at(static_cast<std::int64_t>(i) * 2'000'000'000 + 1);
    t.record(kBounded, 3, v(i + 1, at.ns()), at, false);
  }
  const Time read(8'000'000'001);
  EXPECT_TRUE(t.stale(kBounded, 3, v(1, 1), read));
  EXPECT_FALSE(t.stale(kBounded, 3, v(2, 2'000'000'001), read));
  EXPECT_FALSE(t.stale(kBounded, 3, v(3, 4'000'000'001), read));
}

TEST(TruthLog, WithoutABoundNothingIsStaleAndWithAZeroBoundAnythingOlderThanTheLatestIs) {
  TruthLog t = make();
  t.record(kUnbounded, 1, v(1, 1), Time(1), false);
  t.record(kUnbounded, 1, v(2, 2), Time(2), false);
  EXPECT_FALSE(t.stale(kUnbounded, 1, v(1, 1), Time(1'000'000'000'000)));
  t.record(kZero, 1, v(1, 1), Time(1), false);
  t.record(kZero, 1, v(2, 2), Time(2), false);
  EXPECT_TRUE(t.stale(kZero, 1, v(1, 1), Time(2)));
  EXPECT_FALSE(t.stale(kZero, 1, v(2, 2), Time(2)));
  EXPECT_FALSE(t.stale(kZero, 99, v(1, 1), Time(2))) << "a key never written is never stale";
}

TEST(TruthLog, KeysAreListedSortedAndCounted) {
  TruthLog t = make();
  for (std::uint64_t k : {9u, 3u, 7u, 3u}) t.record(kBounded, k, v(k, 1), Time(1), false);
  EXPECT_EQ(t.keys(kBounded), (std::vector<std::uint64_t>{3, 7, 9}));
  EXPECT_EQ(t.key_count(kBounded), 3u);
  EXPECT_EQ(t.key_count(kUnbounded), 0u);
}

TEST(TruthLog, ANegativeBoundIsRejected) {
  EXPECT_THROW(TruthLog({Duration(-1)}), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
