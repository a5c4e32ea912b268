// latency_floors(): the floor read off a scenario equals the least latency a run shows, on
// constant links without contention; and each safeguard appears as the round trip it costs.
#include "geodes/models/system/latency_floor.hpp"

#include <gtest/gtest.h>

#include "geodes/models/system/system.hpp"
#include "two_cities.hpp"

namespace geodes::models {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)

const LatencyFloor& floor_of(const std::vector<LatencyFloor>& all, BusinessId b, DcId dc) {
  for (const LatencyFloor& f : all) {
    if (f.business == b && f.dc == dc) return f;
  }
  throw Error("no floor");
}

std::int64_t least_latency(const ScenarioSpec& s, const std::string& business, DcId dc) {
  System system(s, 1);
  EXPECT_TRUE(system.run());
  const RunResults r = system.results();
  for (const BusinessResult& b : r.businesses) {
    if (b.name == business) return b.by_dc[dc.value].latency_ns.min();
  }
  throw Error("no business " + business);
}

TEST(LatencyFloor, TheAsyncDesignCostsOnlyItsLocalServiceTimes) {
  const TwoCities t = two_cities();
  const auto floors = latency_floors(t.spec);
  ASSERT_EQ(floors.size(), 3u * 2u);
  const LatencyFloor& login = floor_of(floors, kLogin, kBeijing);
  EXPECT_DOUBLE_EQ(login.local_ns, 0.3e6 + 0.3e6 + 1e6);
  EXPECT_DOUBLE_EQ(login.floor_ns, login.local_ns);
  ASSERT_EQ(login.trips.size(), 1u);
  EXPECT_EQ(login.trips[0].when, RoundTrip::When::kOffHome);
  EXPECT_DOUBLE_EQ(login.trips[0].rtt_ns, 28e6);
  EXPECT_EQ(static_cast<double>(least_latency(t.spec, "login", kBeijing)), login.floor_ns);
}

TEST(LatencyFloor, SemiSyncAndCentralIdsAddTheirRoundTripsAndARunReachesTheFloor) {
  TwoCities t = two_cities(100);
  ScenarioSpec& s = t.spec;
  s.channels[kMysql].mysql.mode = ReplicationMode::kSemiSync;
  IdStrategyParams central;
  central.kind = IdStrategyKind::kCentral;
  central.central_dc = kShanghai;
  s.data[kAccounts.value].id_strategy = central;
  const auto floors = latency_floors(s);
  const LatencyFloor& bj = floor_of(floors, kRegister, kBeijing);
  const LatencyFloor& sh = floor_of(floors, kRegister, kShanghai);
  // Two inserts, each waiting for the semi-sync ack over the private line; Beijing also asks
  // Shanghai for the id.
  EXPECT_DOUBLE_EQ(sh.floor_ns, 2e6 + 2 * 28e6);
  EXPECT_DOUBLE_EQ(bj.floor_ns, 2e6 + 2 * 28e6 + 28e6);
  EXPECT_EQ(static_cast<double>(least_latency(s, "register", kBeijing)), bj.floor_ns);
  EXPECT_EQ(static_cast<double>(least_latency(s, "register", kShanghai)), sh.floor_ns);
}

TEST(LatencyFloor, SegmentsSyncOplogsFallbacksAndBorrowingAreListedWithWhenTheyArePaid) {
  TwoCities t = two_cities();
  ScenarioSpec& s = t.spec;
  IdStrategyParams segments;
  segments.kind = IdStrategyKind::kSegments;
  segments.segment_size = 100;
  segments.segment_dc = kShanghai;
  s.data[kAccounts.value].id_strategy = segments;
  OplogSpec log;
  log.data_class = kPasswords;
  log.write = OplogWrite::kSync;
  s.exceptions.oplogs = {log};
  AccessFallbackSpec fb;
  fb.data_class = kAccounts;
  fb.owner = AccessFallbackSpec::Owner::kFixed;
  fb.owner_dc = kShanghai;
  fb.links = {t.internet};
  s.exceptions.access_fallback = {fb};
  const auto floors = latency_floors(s);
  const LatencyFloor& reg = floor_of(floors, kRegister, kBeijing);
  // Account and password inserts, the password's log in Shanghai (a round trip and its write),
  // a segment refill every 100 registrations.
  EXPECT_DOUBLE_EQ(reg.floor_ns, 2e6 + (28e6 + 1e6) + 28e6 / 100);
  const LatencyFloor& login = floor_of(floors, kLogin, kBeijing);
  bool miss = false;
  for (const RoundTrip& trip : login.trips) {
    if (trip.when == RoundTrip::When::kOnMiss) {
      miss = true;
      EXPECT_DOUBLE_EQ(trip.rtt_ns, 40e6 + 0.3e6) << "over the internet, and Shanghai's read";
      EXPECT_EQ(when_text(trip), "on a miss");
    }
  }
  EXPECT_TRUE(miss);
  EXPECT_DOUBLE_EQ(login.floor_ns, login.local_ns) << "a miss is not the floor";
  EXPECT_EQ(floor_of(floors, kLogin, kShanghai).trips.size(), 1u) << "Shanghai owns the rows";
}

}  // namespace
}  // namespace geodes::models
