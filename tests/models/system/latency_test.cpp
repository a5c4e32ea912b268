// Op latency through System (DESIGN.md "Op latency"): the price of every safeguard, as exact
// oracles. Links have constant latency (and, where serialisation matters, a bandwidth), so each
// figure is a sum that can be written down; histograms keep their min, max and mean exactly, so
// "every op took exactly this" is min == max == the sum.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "geodes/models/system/system.hpp"
#include "geodes/sim/error.hpp"
#include "two_cities.hpp"

namespace geodes::models {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kRead = 300'000;     // the default read_time, 0.3 ms
constexpr std::int64_t kWrite = 1'000'000;  // the default write_time, 1 ms
constexpr std::int64_t kRtt = 28 * kMs;     // the private line, 14 ms each way

RunResults run(const ScenarioSpec& spec, std::uint64_t seed = 1) {
  System system(spec, seed);
  EXPECT_TRUE(system.run());
  return system.results();
}

const BusinessResult& business(const RunResults& r, const std::string& name) {
  for (const BusinessResult& b : r.businesses) {
    if (b.name == name) return b;
  }
  throw Error("no business " + name);
}

const sim::Histogram& at(const BusinessResult& b, const std::string& dc) {
  for (const DcLatencyResult& d : b.by_dc) {
    if (d.dc == dc) return d.latency_ns;
  }
  throw Error("no DC " + dc);
}

const DataClassResult& data(const RunResults& r, const std::string& name) {
  for (const DataClassResult& d : r.data) {
    if (d.name == name) return d;
  }
  throw Error("no data class " + name);
}

Step step(StepKind kind, DataClassId cls, KeyChoice key) {
  Step s;
  s.kind = kind;
  s.data_class = cls;
  s.key = key;
  return s;
}

// One business, `name`, doing `steps` for existing users at `rate` ops/s for a minute.
void only_business(ScenarioSpec& s, const std::string& name, std::vector<Step> steps, double rate) {
  BusinessParams b;
  b.name = name;
  b.share = 1;
  b.steps = std::move(steps);
  s.workload.businesses = {b};
  s.workload.total_rate_per_s = rate;
  s.run.duration = sim::Duration(60'000'000'000);
  s.run.drain = sim::Duration(10'000'000'000);
}

// Every user lives in Beijing: only Beijing commits, so acks never queue behind other writes.
void everyone_in_beijing(ScenarioSpec& s) {
  s.workload.users.routing.rule = RoutingRule::kShare;
  s.workload.users.routing.shares = {1, 0};
}

Step update_password() {
  Step s = step(StepKind::kWrite, kPasswords, KeyChoice::kAccount);
  s.write = WriteMode::kUpdate;
  return s;
}

TEST(Latency, AnAsyncWriteCostsItsLocalWriteTimeAndNothingMore) {
  TwoCities t = two_cities();
  only_business(t.spec, "set_password", {update_password()}, 20);
  const RunResults r = run(t.spec);
  const BusinessResult& b = business(r, "set_password");
  ASSERT_GT(b.succeeded, 1000u);
  EXPECT_EQ(b.latency_ns.count(), b.succeeded);
  EXPECT_EQ(b.latency_ns.min(), kWrite);
  EXPECT_EQ(b.latency_ns.max(), kWrite);
  // Users live in both cities; the business's histogram is its DCs' together.
  const sim::Histogram& beijing = at(b, "beijing");
  const sim::Histogram& shanghai = at(b, "shanghai");
  EXPECT_GT(beijing.count(), 0u);
  EXPECT_GT(shanghai.count(), 0u);
  EXPECT_EQ(beijing.count() + shanghai.count(), b.latency_ns.count());
  EXPECT_EQ(beijing.sum() + shanghai.sum(), b.latency_ns.sum());
}

TEST(Latency, SemiSyncAddsOneRoundTripOfThePinnedPathAndTheSerialisations) {
  TwoCities t = two_cities();
  ScenarioSpec& s = t.spec;
  s.channels[kMysql].mysql.mode = ReplicationMode::kSemiSync;
  // A slow enough line that serialisation shows: 1000-byte rows and 64-byte acks at 10 MB/s.
  LinkSpec line = s.topology.link(t.private_line);
  s.data[kPasswords.value].row_bytes = 1000;
  ScenarioSpec rebuilt = s;
  rebuilt.topology = Topology();
  rebuilt.topology.add_datacenter("beijing", "Beijing");
  rebuilt.topology.add_datacenter("shanghai", "Shanghai");
  for (std::uint32_t l = 0; l < s.topology.link_count(); ++l) {
    LinkSpec link = s.topology.link(LinkId{l});
    if (link.name == line.name) link.bandwidth_bytes_per_s = 10e6;
    rebuilt.topology.add_link(link);
  }
  only_business(rebuilt, "set_password", {update_password()}, 5);
  everyone_in_beijing(rebuilt);
  const RunResults r = run(rebuilt);
  const BusinessResult& b = business(r, "set_password");
  ASSERT_GT(b.succeeded, 250u);                    // 5/s for a minute
  const std::int64_t row_serialisation = 100'000;  // 1000 B at 10 MB/s
  const std::int64_t ack_serialisation = 6'400;    // 64 B
  const std::int64_t expected = kWrite + row_serialisation + kRtt + ack_serialisation;
  EXPECT_EQ(b.latency_ns.min(), expected);
  // An event may queue behind another on the line now and then; on average it does not.
  EXPECT_NEAR(b.latency_ns.mean(), static_cast<double>(expected), 1e-4 * expected);
  // The async design, same scenario: the round trip is what semi-sync costs.
  rebuilt.channels[kMysql].mysql.mode = ReplicationMode::kAsync;
  EXPECT_EQ(business(run(rebuilt), "set_password").latency_ns.max(), kWrite);
}

TEST(Latency, ACentralAllocatorInTheOtherCityCostsEveryRegistrationThereOneRoundTrip) {
  TwoCities t = two_cities(100);
  ScenarioSpec& s = t.spec;
  IdStrategyParams central;
  central.kind = IdStrategyKind::kCentral;
  central.central_dc = kShanghai;
  s.data[kAccounts.value].id_strategy = central;
  s.workload.businesses = {register_business("register", kAccounts, kPasswords)};
  s.workload.businesses[0].share = 1;
  const RunResults r = run(s);
  const BusinessResult& b = business(r, "register");
  // Two inserts (account and password) locally; Beijing also asks Shanghai for the id.
  const sim::Histogram& shanghai = at(b, "shanghai");
  const sim::Histogram& beijing = at(b, "beijing");
  ASSERT_GT(shanghai.count(), 1000u);
  ASSERT_GT(beijing.count(), 1000u);
  EXPECT_EQ(shanghai.min(), 2 * kWrite);
  EXPECT_EQ(shanghai.max(), 2 * kWrite) << "none at the allocator's DC";
  EXPECT_EQ(beijing.min(), 2 * kWrite + kRtt);
  EXPECT_EQ(beijing.max(), 2 * kWrite + kRtt);
}

TEST(Latency, RemoteSegmentsCostOneRoundTripPerSegment) {
  TwoCities t = two_cities(100);
  ScenarioSpec& s = t.spec;
  IdStrategyParams segments;
  segments.kind = IdStrategyKind::kSegments;
  segments.segment_size = 10;
  segments.segment_dc = kShanghai;
  s.data[kAccounts.value].id_strategy = segments;
  // No initial users: every segment is started by a registration.
  s.workload.users.initial = 0;
  s.workload.users.id_class.reset();
  s.workload.users.preload.clear();
  s.workload.businesses = {register_business("register", kAccounts, kPasswords)};
  s.workload.businesses[0].share = 1;
  const RunResults r = run(s);
  const BusinessResult& b = business(r, "register");
  const sim::Histogram& beijing = at(b, "beijing");
  const sim::Histogram& shanghai = at(b, "shanghai");
  ASSERT_GT(beijing.count(), 1000u);
  // Failed registrations still use ids; here none fails, so ids at Beijing = its registrations,
  // and ceil(n / 10) of them started a segment.
  ASSERT_EQ(b.attempted, b.succeeded);
  const auto n = static_cast<double>(beijing.count());
  const double refills = std::ceil(n / 10);
  EXPECT_DOUBLE_EQ(beijing.mean(), 2.0 * kWrite + kRtt * refills / n);
  EXPECT_EQ(beijing.min(), 2 * kWrite);
  EXPECT_EQ(beijing.max(), 2 * kWrite + kRtt);
  EXPECT_EQ(shanghai.max(), 2 * kWrite) << "the segment table is local there";
  // mean = local + RTT / segment_size, up to the last, partly used segment.
  EXPECT_NEAR(beijing.mean(), 2.0 * kWrite + kRtt / 10.0, kRtt / n);
}

TEST(Latency, AFallbackMissAddsOneRoundTripAndTheOwnersReadAndARoamingUserTheAccessLegs) {
  TwoCities t = two_cities(100);
  ScenarioSpec& s = t.spec;
  // Accounts and passwords stay where they are written: a user served in the other city misses
  // both and asks their home DC for each.
  s.sync[kAccounts.value] = SyncSpec{SyncMode::kLocal, {}};
  s.sync[kPasswords.value] = SyncSpec{SyncMode::kLocal, {}};
  s.workload.users.initial = 0;
  s.workload.users.id_class.reset();
  s.workload.users.preload.clear();
  s.workload.businesses = {register_business("register", kAccounts, kPasswords),
                           login_business("login", kAccounts, kPasswords, kSessions)};
  s.workload.businesses[0].share = 0.5;
  s.workload.businesses[1].share = 0.5;
  s.workload.businesses[1].roaming = 1;  // every login is served in the other city
  for (const DataClassId c : {kAccounts, kPasswords}) {
    AccessFallbackSpec f;
    f.data_class = c;
    s.exceptions.access_fallback.push_back(f);
  }
  const RunResults r = run(s);
  const BusinessResult& login = business(r, "login");
  ASSERT_GT(login.succeeded, 1000u);
  // In: 14 ms; local: two reads and the session write; two fallback calls, each a round trip
  // and the owner's read; out: 14 ms.
  const std::int64_t expected = 14 * kMs + 2 * kRead + kWrite + 2 * (kRtt + kRead) + 14 * kMs;
  EXPECT_EQ(login.latency_ns.min(), expected);
  EXPECT_EQ(login.latency_ns.max(), expected);
  EXPECT_EQ(data(r, "accounts").fallback.found, login.succeeded);
  EXPECT_EQ(data(r, "accounts").fallback.latency_ns.max(), kRtt + kRead);
}

TEST(Latency, AUserFailedOverToTheOtherCityPaysTheInterCityRoundTripOnEveryOp) {
  TwoCities t = two_cities(200);
  ScenarioSpec& s = t.spec;
  s.workload.client.max_retries = 0;  // so no op waits for a backoff
  s.workload.businesses = {login_business("login", kAccounts, kPasswords, kSessions)};
  s.workload.businesses[0].share = 1;
  s.faults = {fault(FaultType::kDcOutage, 60, 120)};
  s.faults[0].dc = kBeijing;
  const RunResults r = run(s);
  const BusinessResult& login = business(r, "login");
  const std::int64_t local = 2 * kRead + kWrite;
  const sim::Histogram& shanghai = at(login, "shanghai");
  ASSERT_GT(login.succeeded, 60'000u);  // 200/s for 6 min, less the outage's failures
  // Shanghai serves its own users locally and, after the GSLB moved them, Beijing's users from
  // 14 ms away each way (their data is all there: preloaded and replicated long before).
  EXPECT_EQ(shanghai.min(), local);
  EXPECT_EQ(shanghai.max(), local + kRtt);
  EXPECT_EQ(at(login, "beijing").max(), local);
  // 30 s after the outage starts until Beijing is back, every Beijing user is served remotely.
  EXPECT_GT(shanghai.mean(), static_cast<double>(local));
}

TEST(Latency, ARetriedOpPaysItsTimeoutAndBackoffBeforeTheRetryThatSucceeds) {
  TwoCities t = two_cities(200);
  ScenarioSpec& s = t.spec;
  IdStrategyParams central;
  central.kind = IdStrategyKind::kCentral;
  central.central_dc = kShanghai;
  s.data[kAccounts.value].id_strategy = central;
  s.workload.businesses = {register_business("register", kAccounts, kPasswords)};
  s.workload.businesses[0].share = 1;
  // For one second Beijing cannot reach the allocator: its registrations then time out (3 s),
  // wait the backoff (1 s) and succeed at the retry.
  FaultSpec cut = fault(FaultType::kPartition, 30, 1);
  cut.dcs = {kBeijing};
  s.faults = {cut};
  const RunResults r = run(s);
  const BusinessResult& b = business(r, "register");
  const sim::Histogram& beijing = at(b, "beijing");
  const std::int64_t ok = 2 * kWrite + kRtt;
  EXPECT_EQ(beijing.min(), ok);
  EXPECT_EQ(beijing.max(), 3'000 * kMs + 1'000 * kMs + ok);
  EXPECT_EQ(b.attempted, b.succeeded) << "every retry succeeded";
}

TEST(Latency, ASyncRemoteOplogCostsARoundTripToTheLogAndLosesNothingAtADcLoss) {
  TwoCities t = two_cities(2000);
  ScenarioSpec& s = t.spec;
  s.run.duration = sim::Duration(65'000'000'000);
  s.run.drain = sim::Duration(20'000'000'000);
  s.workload.businesses = {register_business("register", kAccounts, kPasswords)};
  s.workload.businesses[0].share = 1;
  everyone_in_beijing(s);
  OplogSpec log;
  log.data_class = kAccounts;
  log.placement = OplogPlacement::kRemote;
  log.reconcile_delay = sim::Duration(5'000'000'000);
  log.reconcile_rate_per_s = 1e6;
  s.exceptions.oplogs = {log};
  FaultSpec loss = fault(FaultType::kDcLoss, 60, 0);
  loss.dc = kBeijing;
  loss.duration = sim::Duration::max();  // never rebuilt: reconcile into Shanghai
  s.faults = {loss};

  const RunResults async = run(s);
  EXPECT_GT(data(async, "accounts").lost, 0u) << "entries on their way to the log die";
  EXPECT_EQ(at(business(async, "register"), "beijing").max(), 2 * kWrite);

  s.exceptions.oplogs[0].write = OplogWrite::kSync;
  const RunResults sync = run(s);
  EXPECT_EQ(data(sync, "accounts").lost, 0u) << "what was acknowledged is in the log";
  // The account insert waits for the entry to reach Shanghai, the log's own write there, and the
  // ack to come back; the password insert does not.
  const sim::Histogram& latency = at(business(sync, "register"), "beijing");
  EXPECT_EQ(latency.min(), 2 * kWrite + kRtt + kWrite);
  EXPECT_EQ(latency.max(), 2 * kWrite + kRtt + kWrite);
  // The other side of the bill: Shanghai's log lived in Beijing, so once Beijing is gone every
  // sync write in Shanghai times out (one remote copy of a sync log is a single point of
  // failure for writes).
  EXPECT_GT(data(sync, "accounts").oplog_timeouts, 0u);
  EXPECT_LT(business(sync, "register").success_ratio(),
            business(async, "register").success_ratio());
}

TEST(Latency, ASyncOplogThatCannotReachItsLogFailsTheOpOrDegradesToAsync) {
  TwoCities t = two_cities(200);
  ScenarioSpec& s = t.spec;
  s.workload.client.max_retries = 0;
  s.workload.businesses = {register_business("register", kAccounts, kPasswords)};
  s.workload.businesses[0].share = 1;
  everyone_in_beijing(s);
  OplogSpec log;
  log.data_class = kAccounts;
  log.placement = OplogPlacement::kRemote;
  log.write = OplogWrite::kSync;
  log.timeout = sim::Duration(500'000'000);
  s.exceptions.oplogs = {log};
  FaultSpec cut = fault(FaultType::kPartition, 30, 10);
  cut.dcs = {kBeijing};
  s.faults = {cut};

  const RunResults failing = run(s);
  const BusinessResult& fb = business(failing, "register");
  EXPECT_GT(data(failing, "accounts").oplog_timeouts, 1000u) << "10 s at 200/s";
  EXPECT_EQ(fb.attempted - fb.succeeded, data(failing, "accounts").oplog_timeouts);

  s.exceptions.oplogs[0].on_timeout = OplogTimeout::kAsync;
  const RunResults degrading = run(s);
  const BusinessResult& db = business(degrading, "register");
  EXPECT_EQ(db.attempted, db.succeeded);
  EXPECT_EQ(data(degrading, "accounts").oplog_timeouts, data(failing, "accounts").oplog_timeouts);
  // A degraded write waited the whole timeout, then the password insert.
  EXPECT_EQ(db.latency_ns.max(), kWrite + 500 * kMs + kWrite);
}

TEST(Latency, AnOplogEntryRoutesAroundACutLinkAndPaysTheLongerRoundTrip) {
  TwoCities t = two_cities(50);
  ScenarioSpec& s = t.spec;
  s.workload.businesses = {register_business("register", kAccounts, kPasswords)};
  s.workload.businesses[0].share = 1;
  everyone_in_beijing(s);
  OplogSpec log;
  log.data_class = kAccounts;
  log.placement = OplogPlacement::kRemote;
  log.write = OplogWrite::kSync;
  s.exceptions.oplogs = {log};
  FaultSpec cut = fault(FaultType::kLinkDown, 30, 10);
  cut.link = t.private_line;  // the internet (20 ms) still joins the cities
  s.faults = {cut};
  const RunResults r = run(s);
  EXPECT_EQ(data(r, "accounts").oplog_timeouts, 0u);
  const BusinessResult& b = business(r, "register");
  EXPECT_EQ(b.attempted, b.succeeded);
  EXPECT_EQ(b.latency_ns.min(), 2 * kWrite + kRtt + kWrite);
  EXPECT_EQ(b.latency_ns.max(), 2 * kWrite + 40 * kMs + kWrite) << "over the internet meanwhile";
}

}  // namespace
}  // namespace geodes::models
