#include "geodes/models/data/truth_log.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

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
  EXPECT_EQ(t.latest(kBounded, 7)->version(), v(2, 200));
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

TEST(TruthLog, AVersionReplacedLongAgoStaysTheReferenceWithinTheBoundOfItsSuccessor) {
  // v1 at 0 s, v2 at 10 s, v3 at 20 s (bound 5 s). At 22 s the newest version older than the
  // bound is v2 (v3 is only 2 s old): a replica still showing v1 is stale.
  TruthLog t = make();
  for (std::uint64_t i = 0; i < 3; ++i) {
    const Time at(static_cast<std::int64_t>(i) * 10'000'000'000);
    t.record(kBounded, 4, v(i + 1, at.ns() + 1), at, false);
  }
  EXPECT_TRUE(t.stale(kBounded, 4, v(1, 1), Time(22'000'000'000)));
  EXPECT_FALSE(t.stale(kBounded, 4, v(2, 10'000'000'001), Time(22'000'000'000)));
  EXPECT_TRUE(t.stale(kBounded, 4, v(2, 10'000'000'001), Time(25'000'000'000)));
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
  EXPECT_THROW(TruthLog({5_s, 5_s}, {KeySizing{}}), InvalidArgument) << "one sizing per class";
}

TEST(TruthLog, JudgesStalenessAsAFullHistoryOfEveryCommitWouldInBothLayouts) {
  // Random commits and reads in time order against a reference that keeps every commit: a read
  // at t is stale iff the last version committed at or before t - bound is newer than the one
  // read. Keys 0-29 cover the direct range and the sparse map alike (keys times 5000).
  for (const KeyLayout layout : {KeyLayout::kIndexed, KeyLayout::kDirect}) {
    SCOPED_TRACE(layout == KeyLayout::kDirect ? "direct" : "indexed");
    const Duration bound = 1_s;
    TruthLog t({bound}, {KeySizing{30, layout}});
    std::map<std::uint64_t, std::vector<Committed>> history;
    std::array<VersionClock, 2> clocks = {VersionClock(DcId{0}), VersionClock(DcId{1})};
    sim::Rng rng(11, "truth_log_test");
    Time now(0);
    int stale = 0;
    for (int i = 0; i < 50'000; ++i) {
      now = now + Duration(static_cast<std::int64_t>(rng.below(50'000'000)));  // up to 50 ms
      const std::uint64_t key = rng.below(30) * 5000;
      std::vector<Committed>& h = history[key];
      if (rng.below(2) == 0) {
        const Version version = clocks[rng.below(2)].next(now);
        t.record(DataClassId{0}, key, version, now, false);
        h.push_back(Committed{version, now, false});
        continue;
      }
      if (h.empty()) {
        EXPECT_FALSE(t.stale(DataClassId{0}, key, Version{}, now));
        continue;
      }
      const Version seen = h[rng.below(h.size())].version();
      const Committed* reference = nullptr;
      for (const Committed& c : h) {
        if (c.commit_time <= now - bound) reference = &c;
      }
      const bool want = reference != nullptr && newer(reference->version(), seen);
      ASSERT_EQ(t.stale(DataClassId{0}, key, seen, now), want) << "read " << i;
      stale += want ? 1 : 0;
      ASSERT_EQ(t.latest(DataClassId{0}, key)->version(), h.back().version());
    }
    EXPECT_GT(stale, 1000) << "the test exercises stale reads";
  }
}

}  // namespace
}  // namespace geodes::models
