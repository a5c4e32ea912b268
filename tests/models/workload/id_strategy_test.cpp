// IdAllocator: each strategy's ids, the birthday rate of `random`, no conflicts for the
// collision-free schemes, conflicts for a misconfigured auto_increment, and validation.
#include "geodes/models/workload/id_strategy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;

IdStrategyParams strategy(IdStrategyKind kind) {
  IdStrategyParams p;
  p.kind = kind;
  return p;
}

// Allocates `per_dc` ids from each of `dcs` DCs, round-robin, `per_tick` allocations per ms of
// simulated time. Returns every id handed out.
std::vector<std::uint64_t> allocate_round_robin(IdAllocator& a, std::size_t dcs,
                                                std::uint64_t per_dc, std::uint64_t per_tick) {
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = 0; i < per_dc; ++i) {
    const Time now(static_cast<std::int64_t>(i / per_tick) * 1'000'000);
    for (std::size_t dc = 0; dc < dcs; ++dc) {
      ids.push_back(a.allocate(DcId{static_cast<std::uint32_t>(dc)}, now));
    }
  }
  return ids;
}

std::size_t distinct(const std::vector<std::uint64_t>& ids) {
  return std::set<std::uint64_t>(ids.begin(), ids.end()).size();
}

TEST(IdStrategyTest, RandomIdsCollideAtTheBirthdayRate) {
  // n draws uniform over M values: the number of colliding pairs X is a sum of C(n, 2) indicator
  // variables with p = 1/M that are pairwise independent (two pairs sharing one entity collide
  // together with probability 1/M^2 = p^2), so E X = C(n, 2) / M and Var X = C(n, 2) p (1 - p)
  // exactly. n = 50,000, M = 10^6: E = 1249.975, sd = 35.4; four sd (141) bound a correct count.
  IdStrategyParams p = strategy(IdStrategyKind::kRandom);
  p.space = 1'000'000;
  IdAllocator a("accounts", p, 2, 42);
  const std::uint64_t n = 50'000;
  const auto ids = allocate_round_robin(a, 2, n / 2, 1000);
  const double pairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  const double expected = pairs / 1e6;
  const double sd = std::sqrt(pairs * 1e-6 * (1 - 1e-6));
  EXPECT_NEAR(static_cast<double>(a.conflicts()), expected, 4 * sd);
  EXPECT_EQ(a.allocated(), n);
  // Reuses are draws of a value already given: exactly n minus the distinct values.
  EXPECT_EQ(a.reused(), n - distinct(ids));
  for (std::uint64_t id : ids) {
    EXPECT_GE(id, 1u);
    EXPECT_LE(id, 1'000'000u);
  }
}

TEST(IdStrategyTest, RandomConflictCountsHaveTheBirthdayMeanAndVarianceOverManySeeds) {
  // 400 independent runs of n = 2000 draws over M = 10^5: mean and variance of X are both
  // C(n, 2)/M (1 - 1/M) ~ 19.99. The sample mean has sd sqrt(20/400) = 0.22 (bound: 4 sd = 0.9).
  // X is close to Poisson(20), whose sample variance over 400 runs has sd about
  // sqrt((mu4 - sigma^4) / 400) = sqrt((20 * 61 - 400) / 400) = 1.43 (bound: 4 sd = 5.8).
  IdStrategyParams p = strategy(IdStrategyKind::kRandom);
  p.space = 100'000;
  const int runs = 400;
  double sum = 0;
  double sum_sq = 0;
  for (int seed = 0; seed < runs; ++seed) {
    IdAllocator a("accounts", p, 1, static_cast<std::uint64_t>(seed));
    for (int i = 0; i < 2000; ++i) a.allocate(DcId{0}, Time::zero());
    const auto x = static_cast<double>(a.conflicts());
    sum += x;
    sum_sq += x * x;
  }
  const double expected = 2000.0 * 1999.0 / 2 / 1e5;
  const double mean = sum / runs;
  const double variance = (sum_sq - runs * mean * mean) / (runs - 1);
  EXPECT_NEAR(mean, expected, 0.9);
  EXPECT_NEAR(variance, expected * (1 - 1e-5), 5.8);
}

TEST(IdStrategyTest, ATripleCollisionCountsThreePairs) {
  IdStrategyParams p = strategy(IdStrategyKind::kRandom);
  p.space = 1;  // every draw is 1
  IdAllocator a("accounts", p, 1, 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.allocate(DcId{0}, Time::zero()), 1u);
  EXPECT_EQ(a.conflicts(), 3u);
  EXPECT_EQ(a.reused(), 2u);
}

TEST(IdStrategyTest, SegmentsNeverCollideAcrossDcs) {
  IdStrategyParams p = strategy(IdStrategyKind::kSegments);
  p.segment_size = 7;  // many segment switches
  IdAllocator a("accounts", p, 3, 1);
  const auto ids = allocate_round_robin(a, 3, 1000, 10);
  EXPECT_EQ(a.conflicts(), 0u);
  EXPECT_EQ(distinct(ids), ids.size());
}

TEST(IdStrategyTest, SegmentsAreInterleavedBlocksOwnedByOneDcEach) {
  IdStrategyParams p = strategy(IdStrategyKind::kSegments);
  p.segment_size = 3;
  IdAllocator a("accounts", p, 2, 1);
  std::vector<std::uint64_t> dc0;
  std::vector<std::uint64_t> dc1;
  for (int i = 0; i < 5; ++i) dc0.push_back(a.allocate(DcId{0}, Time::zero()));
  for (int i = 0; i < 4; ++i) dc1.push_back(a.allocate(DcId{1}, Time::zero()));
  // DC 0 owns segments 0, 2, ... = ids 1-3, 7-9; DC 1 owns segments 1, 3 = ids 4-6, 10-12.
  EXPECT_EQ(dc0, (std::vector<std::uint64_t>{1, 2, 3, 7, 8}));
  EXPECT_EQ(dc1, (std::vector<std::uint64_t>{4, 5, 6, 10}));
}

TEST(IdStrategyTest, ASegmentTableInOneDcMustBeReachedOncePerSegmentFromTheOthers) {
  IdStrategyParams p = strategy(IdStrategyKind::kSegments);
  p.segment_size = 3;
  p.segment_dc = DcId{1};
  IdAllocator a("accounts", p, 2, 1);
  std::vector<bool> reach;
  for (int i = 0; i < 7; ++i) {
    reach.push_back(a.must_reach(DcId{0}).has_value());
    a.allocate(DcId{0}, Time::zero());
  }
  // A new segment at ids 1, 4 and 7 of DC 0: those three ask DC 1's table.
  EXPECT_EQ(reach, (std::vector<bool>{true, false, false, true, false, false, true}));
  EXPECT_EQ(a.must_reach(DcId{1}), DcId{1}) << "DC 1 asks itself: local";
  p.segment_dc.reset();
  EXPECT_FALSE(IdAllocator("accounts", p, 2, 1).must_reach(DcId{0}).has_value());
  IdStrategyParams central = strategy(IdStrategyKind::kCentral);
  central.central_dc = DcId{1};
  EXPECT_EQ(IdAllocator("accounts", central, 2, 1).must_reach(DcId{0}), DcId{1});
}

TEST(IdStrategyTest, SnowflakeNeverCollidesAcrossDcsEvenWhenTheSequenceOverflows) {
  IdStrategyParams p = strategy(IdStrategyKind::kSnowflake);
  p.sequence_bits = 3;  // 8 ids per tick; 20 per tick are drawn, so ticks are borrowed
  IdAllocator a("accounts", p, 3, 1);
  const auto ids = allocate_round_robin(a, 3, 2000, 20);
  EXPECT_EQ(a.conflicts(), 0u);
  EXPECT_EQ(distinct(ids), ids.size());
}

TEST(IdStrategyTest, SnowflakeIdsHoldTickWorkerAndSequence) {
  IdStrategyParams p = strategy(IdStrategyKind::kSnowflake);
  IdAllocator a("accounts", p, 4, 1);
  const Time now(1234 * 1'000'000 + 999'999);  // tick 1234
  const std::uint64_t first = a.allocate(DcId{3}, now);
  const std::uint64_t second = a.allocate(DcId{3}, now);
  EXPECT_EQ(first, (std::uint64_t{1234} << 22) | (std::uint64_t{3} << 12) | 0);
  EXPECT_EQ(second, first + 1);
  // A later tick restarts the sequence.
  EXPECT_EQ(a.allocate(DcId{3}, Time(1235 * 1'000'000)),
            (std::uint64_t{1235} << 22) | (std::uint64_t{3} << 12));
}

TEST(IdStrategyTest, SnowflakeWithASharedWorkerIdCollides) {
  IdStrategyParams p = strategy(IdStrategyKind::kSnowflake);
  p.worker_ids = {5, 5};
  IdAllocator a("accounts", p, 2, 1);
  allocate_round_robin(a, 2, 100, 1);  // one id per DC per tick: each tick's pair collides
  EXPECT_EQ(a.conflicts(), 100u);
  ASSERT_EQ(a.misconfigurations().size(), 1u);
  EXPECT_NE(a.misconfigurations()[0].find("worker id 5"), std::string::npos);
}

TEST(IdStrategyTest, AutoIncrementWithDistinctOffsetsNeverCollides) {
  IdStrategyParams p = strategy(IdStrategyKind::kAutoIncrement);
  p.increment = 5;
  p.offsets = {1, 2, 4};  // a spare slot (3, 5) for DCs added later is fine
  IdAllocator a("accounts", p, 3, 1);
  const auto ids = allocate_round_robin(a, 3, 1000, 10);
  EXPECT_EQ(a.conflicts(), 0u);
  EXPECT_EQ(distinct(ids), ids.size());
  EXPECT_TRUE(a.misconfigurations().empty());
}

TEST(IdStrategyTest, AutoIncrementFollowsMysqlsStepAndOffset) {
  IdStrategyParams p = strategy(IdStrategyKind::kAutoIncrement);  // defaults: step 2, offsets 1, 2
  IdAllocator a("accounts", p, 2, 1);
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 3; ++i) got.push_back(a.allocate(DcId{0}, Time::zero()));
  for (int i = 0; i < 3; ++i) got.push_back(a.allocate(DcId{1}, Time::zero()));
  EXPECT_EQ(got, (std::vector<std::uint64_t>{1, 3, 5, 2, 4, 6}));
  // A replicated row with a larger id moves DC 0's counter past it: next is 11, not 7.
  a.observe_replicated(DcId{0}, 10);
  EXPECT_EQ(a.allocate(DcId{0}, Time::zero()), 11u);
  // A smaller one does not move it back.
  a.observe_replicated(DcId{0}, 4);
  EXPECT_EQ(a.allocate(DcId{0}, Time::zero()), 13u);
}

TEST(IdStrategyTest, AutoIncrementWithTwoDcsOnTheSameOffsetCollides) {
  IdStrategyParams p = strategy(IdStrategyKind::kAutoIncrement);
  p.increment = 3;
  p.offsets = {1, 1, 2};  // DC 1 was cloned from DC 0's config
  IdAllocator a("accounts", p, 3, 1);
  allocate_round_robin(a, 3, 500, 10);
  // DCs 0 and 1 hand out the same 1, 4, 7, ...: exactly one colliding pair per id drawn by each.
  EXPECT_EQ(a.conflicts(), 500u);
  ASSERT_EQ(a.misconfigurations().size(), 1u);
  EXPECT_NE(a.misconfigurations()[0].find("DCs 0 and 1"), std::string::npos);
}

TEST(IdStrategyTest, CentralCountsUpInOneDcAndNamesItAsTheAuthority) {
  IdStrategyParams p = strategy(IdStrategyKind::kCentral);
  p.central_dc = DcId{1};
  IdAllocator a("accounts", p, 2, 1);
  ASSERT_TRUE(a.authority().has_value());
  EXPECT_EQ(*a.authority(), DcId{1});
  EXPECT_EQ(a.allocate(DcId{1}, Time::zero()), 1u);
  EXPECT_EQ(a.allocate(DcId{0}, Time::zero()), 2u);
  EXPECT_EQ(a.conflicts(), 0u);
  EXPECT_FALSE(IdAllocator("x", strategy(IdStrategyKind::kRandom), 2, 1).authority());
}

TEST(IdStrategyTest, RandomDrawsDependOnlyOnSeedAndDataClass) {
  IdStrategyParams p = strategy(IdStrategyKind::kRandom);
  IdAllocator a("accounts", p, 1, 9);
  IdAllocator b("accounts", p, 1, 9);
  IdAllocator c("orders", p, 1, 9);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const std::uint64_t x = a.allocate(DcId{0}, Time::zero());
    EXPECT_EQ(x, b.allocate(DcId{0}, Time::zero()));
    differs |= x != c.allocate(DcId{0}, Time::zero());
  }
  EXPECT_TRUE(differs);
}

TEST(IdStrategyTest, RejectsBadParametersNamingTheClassAndTheParameter) {
  const auto message = [](const IdStrategyParams& p, std::size_t dcs) -> std::string {
    try {
      const IdAllocator a("accounts", p, dcs, 1);
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "";
  };
  IdStrategyParams p = strategy(IdStrategyKind::kCentral);
  p.central_dc = DcId{2};
  EXPECT_NE(message(p, 2).find("central_dc is DC 2"), std::string::npos);
  EXPECT_NE(message(p, 2).find("'accounts'"), std::string::npos);

  p = strategy(IdStrategyKind::kSegments);
  p.segment_size = 0;
  EXPECT_NE(message(p, 2).find("segment_size"), std::string::npos);

  p = strategy(IdStrategyKind::kSnowflake);
  p.time_bits = 50;
  p.dc_bits = 10;
  p.sequence_bits = 12;
  EXPECT_NE(message(p, 2).find("sum <= 63"), std::string::npos);
  p = strategy(IdStrategyKind::kSnowflake);
  p.dc_bits = 1;
  EXPECT_NE(message(p, 3).find("raise dc_bits"), std::string::npos);
  p.worker_ids = {0, 1, 2};
  EXPECT_NE(message(p, 3).find("worker_ids[2]"), std::string::npos);
  p = strategy(IdStrategyKind::kSnowflake);
  p.tick = Duration(0);
  EXPECT_NE(message(p, 1).find("tick"), std::string::npos);

  p = strategy(IdStrategyKind::kAutoIncrement);
  p.increment = 2;
  p.offsets = {1, 3};
  EXPECT_NE(message(p, 2).find("offsets[1] is 3"), std::string::npos);
  p.offsets = {1};
  EXPECT_NE(message(p, 2).find("one per DC"), std::string::npos);
  p.offsets.clear();
  EXPECT_NE(message(p, 3).find("increment 2 is smaller"), std::string::npos);
  p.increment = 70'000;
  EXPECT_NE(message(p, 3).find("65535"), std::string::npos);

  p = strategy(IdStrategyKind::kRandom);
  p.space = 0;
  EXPECT_NE(message(p, 1).find("space"), std::string::npos);
}

TEST(IdStrategyTest, StrategyNamesRoundTrip) {
  for (IdStrategyKind k :
       {IdStrategyKind::kCentral, IdStrategyKind::kSegments, IdStrategyKind::kSnowflake,
        IdStrategyKind::kAutoIncrement, IdStrategyKind::kRandom}) {
    EXPECT_EQ(parse_id_strategy(to_string(k)), k);
  }
  EXPECT_THROW((void)parse_id_strategy("uuid"), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
