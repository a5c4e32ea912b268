// UserRouting: hash spreads evenly, share follows its weights, id_range maps exactly.
#include "geodes/models/workload/user_routing.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

// Counts of users per DC for the ids first, first + stride, ... (n ids).
std::vector<std::uint64_t> census(const UserRouting& r, std::uint64_t n, std::uint64_t first = 0,
                                  std::uint64_t stride = 1) {
  std::vector<std::uint64_t> counts(r.dc_count(), 0);
  for (std::uint64_t i = 0; i < n; ++i) ++counts[r.home(first + i * stride).value];
  return counts;
}

// The mix behaves like independent uniform draws, so each DC's count is Binomial(n, p); five
// standard deviations keep a correct rule from failing (p < 6e-7 per check) while a rule off by a
// few percent of n fails.
void expect_binomial(std::uint64_t count, std::uint64_t n, double p, const std::string& what) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(count), mean, 5 * sd) << what;
}

TEST(UserRoutingTest, HashSpreadsContiguousIdsEvenlyOverDcs) {
  const UserRouting r({}, 3);
  const std::uint64_t n = 30'000;
  const auto counts = census(r, n);
  for (std::size_t dc = 0; dc < 3; ++dc) {
    expect_binomial(counts[dc], n, 1.0 / 3, "DC " + std::to_string(dc));
  }
}

TEST(UserRoutingTest, HashSpreadsStridedIdsEvenlyToo) {
  // Ids that are all multiples of the DC count would defeat a plain modulo.
  const UserRouting r({}, 4);
  const std::uint64_t n = 40'000;
  const auto counts = census(r, n, 7, 4);
  for (std::size_t dc = 0; dc < 4; ++dc) {
    expect_binomial(counts[dc], n, 0.25, "DC " + std::to_string(dc));
  }
}

TEST(UserRoutingTest, HashIsAPureFunctionOfTheUserId) {
  const UserRouting a({}, 5);
  const UserRouting b({}, 5);
  for (std::uint64_t u = 0; u < 1000; ++u) EXPECT_EQ(a.home(u), b.home(u)) << u;
}

TEST(UserRoutingTest, ShareRespectsTheWeights) {
  UserRoutingParams p;
  p.rule = RoutingRule::kShare;
  p.shares = {1, 3, 6};  // need not sum to 1
  const UserRouting r(p, 3);
  const std::uint64_t n = 50'000;
  const auto counts = census(r, n);
  expect_binomial(counts[0], n, 0.1, "DC 0");
  expect_binomial(counts[1], n, 0.3, "DC 1");
  expect_binomial(counts[2], n, 0.6, "DC 2");
}

TEST(UserRoutingTest, ShareNeverRoutesToAZeroWeightDc) {
  UserRoutingParams p;
  p.rule = RoutingRule::kShare;
  p.shares = {0.5, 0, 0.5};
  const UserRouting r(p, 3);
  const auto counts = census(r, 20'000);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[0] + counts[2], 20'000u);
}

TEST(UserRoutingTest, IdRangeMapsEveryIdExactlyIncludingTheBoundaries) {
  UserRoutingParams p;
  p.rule = RoutingRule::kIdRange;
  // Given out of order on purpose.
  p.ranges = {{200, 1'000'000, DcId{2}}, {0, 99, DcId{1}}, {100, 199, DcId{0}}};
  const UserRouting r(p, 3);
  EXPECT_EQ(r.home(0), DcId{1});
  EXPECT_EQ(r.home(99), DcId{1});
  EXPECT_EQ(r.home(100), DcId{0});
  EXPECT_EQ(r.home(199), DcId{0});
  EXPECT_EQ(r.home(200), DcId{2});
  EXPECT_EQ(r.home(1'000'000), DcId{2});
  EXPECT_THROW((void)r.home(1'000'001), InvalidArgument);
  EXPECT_TRUE(r.covers(0, 1'000'000));
  EXPECT_FALSE(r.covers(0, 1'000'001));
}

TEST(UserRoutingTest, IdRangeCoverageSeesGaps) {
  UserRoutingParams p;
  p.rule = RoutingRule::kIdRange;
  p.ranges = {{0, 9, DcId{0}}, {20, 29, DcId{1}}};
  const UserRouting r(p, 2);
  EXPECT_TRUE(r.covers(0, 9));
  EXPECT_TRUE(r.covers(22, 29));
  EXPECT_FALSE(r.covers(0, 29));
  EXPECT_FALSE(r.covers(10, 10));
  EXPECT_THROW((void)r.home(15), InvalidArgument);
}

TEST(UserRoutingTest, RejectsBadParametersNamingThem) {
  const auto message = [](const UserRoutingParams& p, std::size_t dcs) -> std::string {
    try {
      const UserRouting r(p, dcs);
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message({}, 0).find("no DCs"), std::string::npos);

  UserRoutingParams share;
  share.rule = RoutingRule::kShare;
  share.shares = {1, 1};
  EXPECT_NE(message(share, 3).find("one weight per DC (3)"), std::string::npos);
  share.shares = {1, -1, 1};
  EXPECT_NE(message(share, 3).find("shares[1]"), std::string::npos);
  share.shares = {0, 0, 0};
  EXPECT_NE(message(share, 3).find("all shares are 0"), std::string::npos);

  UserRoutingParams range;
  range.rule = RoutingRule::kIdRange;
  EXPECT_NE(message(range, 2).find("ranges is empty"), std::string::npos);
  range.ranges = {{0, 10, DcId{0}}, {10, 20, DcId{1}}};
  EXPECT_NE(message(range, 2).find("overlap"), std::string::npos);
  range.ranges = {{5, 1, DcId{0}}};
  EXPECT_NE(message(range, 2).find("first > last"), std::string::npos);
  range.ranges = {{0, 1, DcId{7}}};
  EXPECT_NE(message(range, 2).find("names DC 7"), std::string::npos);
}

TEST(UserRoutingTest, RuleNamesRoundTrip) {
  for (RoutingRule r : {RoutingRule::kHash, RoutingRule::kShare, RoutingRule::kIdRange}) {
    EXPECT_EQ(parse_routing_rule(to_string(r)), r);
  }
  try {
    (void)parse_routing_rule("modulo");
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'modulo'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("id_range"), std::string::npos);
  }
}

}  // namespace
}  // namespace geodes::models
