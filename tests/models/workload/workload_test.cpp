// Workload: the businesses' semantics against a fake DataAccess (missing, stale, duplicate,
// forced re-login, borrowing stock), client retries, GSLB failover, arrivals, determinism.
#include "geodes/models/workload/workload.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "fake_data_access.hpp"
#include "geodes/models/workload/zipf.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using testing::FakeDataAccess;
using namespace sim::literals;  // NOLINT(google-build-using-namespace)

constexpr DataClassId kAccounts{0};
constexpr DataClassId kPasswords{1};
constexpr DataClassId kSessions{2};
constexpr DataClassId kProfiles{3};
constexpr DataClassId kStock{4};

constexpr BusinessId kRegister{0};
constexpr BusinessId kLogin{1};
constexpr BusinessId kChangePassword{2};
constexpr BusinessId kProfile{3};
constexpr BusinessId kFlashSale{4};

constexpr DcId kDc0{0};
constexpr DcId kDc1{1};

constexpr std::uint64_t kItem = 1000;

// Everything a test wants to know about what the workload reported.
struct Recorder : OutcomeSink {
  void on_op(const OpOutcome& op) override { ops.push_back(op); }
  void on_retry(const OpOutcome& attempt) override { retries.push_back(attempt); }
  void on_forced_relogin(BusinessId b, std::uint64_t user, DcId dc, Time at) override {
    relogins.emplace_back(b, user, dc, at);
  }
  void on_route_change(Time at, DcId home, DcId from, DcId to) override {
    routes.emplace_back(at, home, from, to);
  }
  std::vector<OpOutcome> ops;
  std::vector<OpOutcome> retries;
  std::vector<std::tuple<BusinessId, std::uint64_t, DcId, Time>> relogins;
  std::vector<std::tuple<Time, DcId, DcId, DcId>> routes;
};

// Two DCs; users 0-4 live in DC 0, 5-9 in DC 1, later ones in DC 0. Ten initial users with
// account and password rows everywhere. No arrivals: tests submit ops themselves. Local service
// times are zero, so every wait is a call's; the latency tests set them.
WorkloadParams base_params() {
  WorkloadParams p;
  IdStrategyParams segments;
  segments.kind = IdStrategyKind::kSegments;
  for (const char* name : {"accounts", "passwords", "sessions", "profiles", "stock"}) {
    WorkloadDataClass c;
    c.name = name;
    c.read_time = sim::Distribution::constant(0);
    c.write_time = sim::Distribution::constant(0);
    p.data_classes.push_back(c);
  }
  p.data_classes[0].id_strategy = segments;
  p.businesses = {register_business("register", kAccounts, kPasswords),
                  login_business("login", kAccounts, kPasswords, kSessions),
                  change_password_business("change_password", kPasswords, kSessions),
                  profile_business("profile", kProfiles, kSessions),
                  flash_sale_business("flash_sale", kStock, kItem, {2, 1}, true)};
  p.users.initial = 10;
  p.users.max = 1000;
  p.users.routing.rule = RoutingRule::kIdRange;
  p.users.routing.ranges = {{0, 4, kDc0}, {5, 9, kDc1}, {10, 999, kDc0}};
  p.users.id_class = kAccounts;
  p.users.preload = {kAccounts, kPasswords};
  p.client.timeout = 3_s;
  p.client.max_retries = 2;
  p.client.backoff = 1_s;
  p.client.backoff_multiplier = 2;
  p.gslb.detection_delay = 30_s;
  p.gslb.failback_delay = 60_s;
  return p;
}

class WorkloadTest : public ::testing::Test {
 protected:
  void make(const WorkloadParams& p, std::uint64_t seed = 1,
            Duration access_latency = Duration::zero()) {
    data_ = std::make_unique<FakeDataAccess>(engine_, 2, p.data_classes.size());
    data_->set_access_latency(access_latency);
    workload_ = std::make_unique<Workload>(engine_, *data_, p, 2, seed);
    workload_->set_sink(&rec_);
    workload_->start();
  }
  // Submits one op now, runs the engine until it is done, and returns its outcome.
  OpOutcome run_op(BusinessId b, std::optional<std::uint64_t> user = std::nullopt) {
    const std::size_t before = rec_.ops.size();
    EXPECT_TRUE(workload_->submit(b, user));
    while (rec_.ops.size() == before) {
      if (engine_.run_until(engine_.now() + 1_s) == sim::RunOutcome::kEmpty &&
          rec_.ops.size() == before) {
        ADD_FAILURE() << "the op never finished";
        return {};
      }
    }
    return rec_.ops.back();
  }
  // DC `dc` fails now (the data side and the GSLB are told).
  void fail(DcId dc) {
    data_->set_up(dc, false);
    workload_->dc_down(dc);
  }
  void advance(Duration d) { engine_.run_until(engine_.now() + d); }

  sim::Engine engine_;
  std::unique_ptr<FakeDataAccess> data_;
  std::unique_ptr<Workload> workload_;
  Recorder rec_;
};

TEST_F(WorkloadTest, LoginSucceedsWhenAccountAndPasswordArePresentAndCurrent) {
  make(base_params());
  const OpOutcome op = run_op(kLogin, 2);
  EXPECT_TRUE(op.succeeded()) << to_string(op.cause);
  EXPECT_EQ(op.attempts, 1u);
  EXPECT_EQ(op.home, kDc0);
  EXPECT_EQ(op.dc, kDc0);
  EXPECT_EQ(op.end, op.start);  // all local: no simulated time
  // The session now exists where the user logged in, and only there.
  EXPECT_TRUE(data_->store(kDc0, kSessions).contains(workload_->account(2)));
  EXPECT_FALSE(data_->store(kDc1, kSessions).contains(workload_->account(2)));
  EXPECT_EQ(workload_->business_counts(kLogin).succeeded, 1u);
  EXPECT_EQ(workload_->dc_counts(kDc0).attempted, 1u);
  EXPECT_EQ(workload_->dc_counts(kDc1).attempted, 0u);
}

TEST_F(WorkloadTest, InitialUsersGetAccountIdsFromTheStrategyAtTheirHomeDc) {
  make(base_params());
  // Segments of 1000: DC 0 hands out 1, 2, ...; DC 1 starts at 1001.
  EXPECT_EQ(workload_->account(0), 1u);
  EXPECT_EQ(workload_->account(4), 5u);
  EXPECT_EQ(workload_->account(5), 1001u);
  EXPECT_EQ(workload_->registered_users(), 10u);
  EXPECT_TRUE(data_->store(kDc1, kPasswords).contains(1005));
  EXPECT_EQ(workload_->allocator(kAccounts)->allocated(), 10u);
}

TEST_F(WorkloadTest, LoginFailsOnAMissingAccountAtAFailoverDcWithoutTheData) {
  make(base_params());
  const OpOutcome reg = run_op(kRegister);
  ASSERT_TRUE(reg.succeeded()) << to_string(reg.cause);
  EXPECT_EQ(reg.user, 10u);
  const std::uint64_t account = workload_->account(10);
  EXPECT_TRUE(data_->store(kDc0, kAccounts).contains(account));
  EXPECT_FALSE(data_->store(kDc1, kAccounts).contains(account));  // not replicated yet

  fail(kDc0);
  advance(30_s);  // the GSLB moves DC 0's users to DC 1
  ASSERT_EQ(workload_->gslb().route(kDc0), kDc1);
  const OpOutcome login = run_op(kLogin, 10);
  EXPECT_EQ(login.cause, FailureCause::kMissing);
  EXPECT_EQ(login.dc, kDc1);
  EXPECT_EQ(login.attempts, 1u) << "an answer (missing) is not retried";
  EXPECT_EQ(workload_->business_counts(kLogin).failures(FailureCause::kMissing), 1u);
  EXPECT_EQ(workload_->data_class_counts(kAccounts).missing_reads, 1u);

  // DC 0 comes back and ships its writes before the GSLB moves its users home.
  data_->set_up(kDc0, true);
  data_->replicate();
  const OpOutcome later = run_op(kLogin, 10);
  EXPECT_TRUE(later.succeeded());
  EXPECT_EQ(later.dc, kDc1);
}

TEST_F(WorkloadTest, LoginFailsOnAStalePasswordAndSucceedsOnceTheNewOneArrives) {
  make(base_params());
  ASSERT_TRUE(run_op(kLogin, 2).succeeded());
  ASSERT_TRUE(run_op(kChangePassword, 2).succeeded());  // new password at DC 0 only
  const std::uint64_t account = workload_->account(2);
  EXPECT_TRUE(workload_->latest_commit(kPasswords, account).valid());

  fail(kDc0);
  advance(30_s);
  const OpOutcome login = run_op(kLogin, 2);
  EXPECT_EQ(login.cause, FailureCause::kStale);
  EXPECT_EQ(login.dc, kDc1);
  EXPECT_EQ(workload_->data_class_counts(kPasswords).stale_reads, 1u);

  data_->set_up(kDc0, true);  // back, and its writes replicate; users are still on DC 1
  data_->replicate();
  const OpOutcome later = run_op(kLogin, 2);
  EXPECT_TRUE(later.succeeded());
  EXPECT_EQ(later.dc, kDc1);
  EXPECT_EQ(workload_->data_class_counts(kPasswords).stale_reads, 1u);
}

TEST_F(WorkloadTest, AccessFallbackFetchesMissingRowsFromTheOwnerDcAfterTheirRoundTrips) {
  WorkloadParams p = base_params();
  p.fallback = {FallbackParams{kAccounts, false, {}, 1_s},
                FallbackParams{kPasswords, false, {}, 1_s}};
  make(p);
  data_->set_rtt(40_ms);
  ASSERT_TRUE(run_op(kRegister).succeeded());  // user 10: rows at DC 0 only
  fail(kDc0);
  advance(30_s);
  data_->set_up(kDc0, true);  // back; the GSLB keeps DC 0's users on DC 1 for 60 s
  const OpOutcome login = run_op(kLogin, 10);
  EXPECT_TRUE(login.succeeded()) << to_string(login.cause);
  EXPECT_EQ(login.dc, kDc1);
  EXPECT_EQ(login.end - login.start, 80_ms) << "one round trip per missing row";
  for (DataClassId c : {kAccounts, kPasswords}) {
    EXPECT_EQ(workload_->fallback_counts(c).calls, 1u);
    EXPECT_EQ(workload_->fallback_counts(c).found, 1u);
    EXPECT_EQ(workload_->fallback_counts(c).latency_ns.max(), (40_ms).ns());
  }
  // Without fallback the same login fails on the missing account.
  EXPECT_EQ(workload_->data_class_counts(kAccounts).missing_reads, 1u);
}

TEST_F(WorkloadTest, AccessFallbackCannotHelpWhenTheOwnerIsDownOrThePathIsCut) {
  WorkloadParams p = base_params();
  p.fallback = {FallbackParams{kAccounts, false, {}, 500_ms}};
  make(p);
  ASSERT_TRUE(run_op(kRegister).succeeded());  // user 10, home DC 0
  fail(kDc0);
  advance(30_s);
  // The owner is down: refused at once, the login fails as a miss.
  const OpOutcome down = run_op(kLogin, 10);
  EXPECT_EQ(down.cause, FailureCause::kMissing);
  EXPECT_EQ(down.end, down.start);
  EXPECT_EQ(workload_->fallback_counts(kAccounts).owner_down, 1u);
  // The owner is up but the fallback path is cut: the caller waits out its timeout.
  data_->set_up(kDc0, true);
  data_->cut(kDc1, kDc0);
  const OpOutcome cut = run_op(kLogin, 10);
  EXPECT_EQ(cut.cause, FailureCause::kMissing);
  EXPECT_EQ(cut.end - cut.start, 500_ms);
  EXPECT_EQ(workload_->fallback_counts(kAccounts).unreachable, 1u);
  EXPECT_EQ(workload_->fallback_counts(kAccounts).found, 0u);
}

TEST_F(WorkloadTest, AFallbackForAnUnknownClassOrTwoForOneClassIsRejected) {
  WorkloadParams p = base_params();
  FakeDataAccess data(engine_, 2, 5);
  p.fallback = {FallbackParams{DataClassId{99}, false, {}, 1_s}};
  EXPECT_THROW(Workload(engine_, data, p, 2, 1), InvalidArgument);
  p.fallback = {FallbackParams{kAccounts, false, {}, 1_s},
                FallbackParams{kAccounts, true, kDc1, 1_s}};
  EXPECT_THROW(Workload(engine_, data, p, 2, 1), InvalidArgument);
  p.fallback = {FallbackParams{kAccounts, false, {}, Duration::zero()}};
  EXPECT_THROW(Workload(engine_, data, p, 2, 1), InvalidArgument);
}

TEST_F(WorkloadTest, AMovedUserMustLogInAgainWhichIsACostNotAFailure) {
  make(base_params());
  // A user who never had a session just gets one: no re-login.
  ASSERT_TRUE(run_op(kProfile, 3).succeeded());
  EXPECT_TRUE(rec_.relogins.empty());

  ASSERT_TRUE(run_op(kLogin, 2).succeeded());
  fail(kDc0);
  advance(30_s);
  const OpOutcome profile = run_op(kProfile, 2);
  EXPECT_TRUE(profile.succeeded());
  EXPECT_EQ(profile.dc, kDc1);
  ASSERT_EQ(rec_.relogins.size(), 1u);
  EXPECT_EQ(std::get<1>(rec_.relogins[0]), 2u);
  EXPECT_EQ(std::get<2>(rec_.relogins[0]), kDc1);
  EXPECT_EQ(workload_->business_counts(kProfile).forced_relogins, 1u);
  EXPECT_EQ(workload_->dc_counts(kDc1).forced_relogins, 1u);
  // The session was regenerated at DC 1: the next op needs no re-login.
  ASSERT_TRUE(run_op(kProfile, 2).succeeded());
  EXPECT_EQ(rec_.relogins.size(), 1u);
}

TEST_F(WorkloadTest, RetriesHappenTheConfiguredNumberOfTimesWithGrowingBackoff) {
  WorkloadParams p = base_params();
  p.client.max_retries = 3;
  make(p);
  data_->set_up(kDc0, false);  // down, and the GSLB never learns of it
  const OpOutcome op = run_op(kLogin, 1);
  EXPECT_EQ(op.cause, FailureCause::kDcDown);
  EXPECT_EQ(op.attempts, 4u);
  // Attempts at 0, 1, 1 + 2 = 3 and 3 + 4 = 7 s.
  EXPECT_EQ(op.end, Time::zero() + 7_s);
  ASSERT_EQ(rec_.retries.size(), 3u);
  const std::vector<Time> failed_at = {Time::zero(), Time::zero() + 1_s, Time::zero() + 3_s};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rec_.retries[i].attempts, i + 1);
    EXPECT_EQ(rec_.retries[i].end, failed_at[i]);
  }
  const OutcomeCounts& c = workload_->business_counts(kLogin);
  EXPECT_EQ(c.attempted, 1u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.retries, 3u);
  EXPECT_EQ(c.failures(FailureCause::kDcDown), 1u);
}

TEST_F(WorkloadTest, WithoutRetriesOneAttemptDecides) {
  WorkloadParams p = base_params();
  p.client.max_retries = 0;
  make(p);
  data_->set_up(kDc0, false);
  const OpOutcome op = run_op(kLogin, 1);
  EXPECT_EQ(op.attempts, 1u);
  EXPECT_EQ(op.end, Time::zero());
  EXPECT_TRUE(rec_.retries.empty());
}

TEST_F(WorkloadTest, ARetryReachesTheFailoverDcOnceTheGslbHasMovedTheUsers) {
  WorkloadParams p = base_params();
  p.gslb.detection_delay = 2_s;
  make(p);
  fail(kDc0);
  const OpOutcome op = run_op(kLogin, 1);
  // Attempt 1 at 0 s and 2 at 1 s hit DC 0; the GSLB moves users at 2 s; attempt 3 at 3 s
  // reaches DC 1, where the preloaded rows are current.
  EXPECT_TRUE(op.succeeded()) << to_string(op.cause);
  EXPECT_EQ(op.attempts, 3u);
  EXPECT_EQ(op.dc, kDc1);
  EXPECT_EQ(op.end, Time::zero() + 3_s);
  ASSERT_EQ(rec_.routes.size(), 1u);
  EXPECT_EQ(rec_.routes[0], std::make_tuple(Time::zero() + 2_s, kDc0, kDc0, kDc1));
}

TEST_F(WorkloadTest, FailbackReturnsUsersHomeAfterTheDelay) {
  make(base_params());
  fail(kDc0);
  advance(30_s);
  EXPECT_EQ(run_op(kLogin, 1).dc, kDc1);
  data_->set_up(kDc0, true);
  workload_->dc_up(kDc0);
  advance(59_s);
  EXPECT_EQ(run_op(kLogin, 1).dc, kDc1);
  advance(1_s);
  EXPECT_EQ(run_op(kLogin, 1).dc, kDc0);
  ASSERT_EQ(rec_.routes.size(), 2u);
  EXPECT_EQ(std::get<0>(rec_.routes[1]), Time::zero() + 90_s);
}

TEST_F(WorkloadTest, RegisterWithACentralAllocatorPaysTheRoundTripAndTimesOutWhenItIsDown) {
  WorkloadParams p = base_params();
  IdStrategyParams central;
  central.central_dc = kDc1;
  p.data_classes[0].id_strategy = central;
  make(p);
  EXPECT_EQ(workload_->allocator(kAccounts)->allocated(), 10u);  // initial users: ids 1-10

  const OpOutcome ok = run_op(kRegister);  // user 10 lives in DC 0: a call to DC 1
  EXPECT_TRUE(ok.succeeded()) << to_string(ok.cause);
  EXPECT_EQ(ok.end - ok.start, 40_ms);
  EXPECT_EQ(workload_->account(10), 11u);
  EXPECT_TRUE(data_->store(kDc0, kAccounts).contains(11));

  data_->set_up(kDc1, false);  // the allocator's DC is down
  const Time t0 = engine_.now();
  const OpOutcome down = run_op(kRegister);
  EXPECT_EQ(down.cause, FailureCause::kTimeout);
  EXPECT_EQ(down.attempts, 3u);
  // Timeouts at 3 s, then (after 1 s) 7 s, then (after 2 s) 12 s.
  EXPECT_EQ(down.end - t0, 12_s);
  EXPECT_EQ(workload_->allocator(kAccounts)->allocated(), 11u) << "no id drawn while down";
  EXPECT_EQ(workload_->registered_users(), 11u);

  data_->set_up(kDc1, true);
  const OpOutcome again = run_op(kRegister);
  EXPECT_TRUE(again.succeeded());
  EXPECT_EQ(again.user, 12u) << "a failed register's id is not handed out again";
  EXPECT_EQ(workload_->registered_users(), 12u);
}

TEST_F(WorkloadTest, ACallSlowerThanTheTimeoutFailsButStillUsesAnId) {
  WorkloadParams p = base_params();
  IdStrategyParams central;
  central.central_dc = kDc1;
  p.data_classes[0].id_strategy = central;
  p.client.max_retries = 0;
  make(p);
  data_->set_rtt(5_s);
  const OpOutcome op = run_op(kRegister);
  EXPECT_EQ(op.cause, FailureCause::kTimeout);
  EXPECT_EQ(op.end - op.start, 3_s);
  EXPECT_EQ(workload_->allocator(kAccounts)->allocated(), 11u);
  EXPECT_FALSE(data_->store(kDc0, kAccounts).contains(11)) << "the client gave up first";
}

TEST_F(WorkloadTest, ACutPathToTheAllocatorTimesOutLikeADownDc) {
  WorkloadParams p = base_params();
  IdStrategyParams central;
  central.central_dc = kDc1;
  p.data_classes[0].id_strategy = central;
  p.client.max_retries = 0;
  make(p);
  data_->cut(kDc0, kDc1);
  const OpOutcome op = run_op(kRegister);
  EXPECT_EQ(op.cause, FailureCause::kTimeout);
  EXPECT_EQ(op.end - op.start, 3_s);
}

TEST_F(WorkloadTest, RandomIdsThatCollideFailTheRegisterAsDuplicateAndCountAConflict) {
  WorkloadParams p = base_params();
  IdStrategyParams random;
  random.kind = IdStrategyKind::kRandom;
  random.space = 1;
  p.data_classes[0].id_strategy = random;
  p.users.initial = 0;
  make(p);
  EXPECT_TRUE(run_op(kRegister).succeeded());
  const OpOutcome second = run_op(kRegister);
  EXPECT_EQ(second.cause, FailureCause::kDuplicate);
  EXPECT_EQ(workload_->allocator(kAccounts)->conflicts(), 1u);
  EXPECT_EQ(workload_->registered_users(), 1u);
}

TEST_F(WorkloadTest, FlashSaleSellsTheLocalQuotaThenBorrowsFromAnotherCityThenRunsOut) {
  make(base_params());  // stock: 2 in DC 0, 1 in DC 1
  EXPECT_EQ(data_->store(kDc1, kStock).find(kItem + 1)->value, 1u);
  for (int i = 0; i < 2; ++i) {
    const OpOutcome op = run_op(kFlashSale, 1);
    EXPECT_TRUE(op.succeeded());
    EXPECT_EQ(op.end, op.start) << "local stock needs no call";
  }
  EXPECT_EQ(data_->store(kDc0, kStock).find(kItem)->value, 0u);
  const OpOutcome borrowed = run_op(kFlashSale, 1);
  EXPECT_TRUE(borrowed.succeeded());
  EXPECT_EQ(borrowed.end - borrowed.start, 40_ms);
  EXPECT_EQ(data_->store(kDc1, kStock).find(kItem + 1)->value, 0u);
  const OpOutcome none = run_op(kFlashSale, 1);
  EXPECT_EQ(none.cause, FailureCause::kExhausted);
  EXPECT_EQ(none.end - none.start, 40_ms) << "asking DC 1 still cost a round trip";
  EXPECT_EQ(none.attempts, 1u);
}

TEST_F(WorkloadTest, FlashSaleWithoutBorrowingStopsAtTheLocalQuota) {
  WorkloadParams p = base_params();
  p.businesses[kFlashSale.value] = flash_sale_business("flash_sale", kStock, kItem, {1, 5}, false);
  make(p);
  EXPECT_TRUE(run_op(kFlashSale, 1).succeeded());
  EXPECT_EQ(run_op(kFlashSale, 1).cause, FailureCause::kExhausted);
  EXPECT_EQ(data_->calls(), 0u);
}

TEST_F(WorkloadTest, RegisterIsDroppedWhenEveryUserIdIsTaken) {
  WorkloadParams p = base_params();
  p.users.max = 10;
  make(p);
  EXPECT_FALSE(workload_->submit(kRegister));
  EXPECT_EQ(workload_->stats().dropped_arrivals, 1u);
  EXPECT_TRUE(rec_.ops.empty());
}

TEST_F(WorkloadTest, ZipfMakesTheEarliestUserTheMostActive) {
  // 200 users, s = 1: user 0 (rank 1) logs in with probability 1 / H(200) = 0.1702. 20,000
  // logins: Binomial sd 53; five sd.
  WorkloadParams p = base_params();
  p.users.initial = 200;
  p.users.routing = {};
  p.businesses[kLogin.value].arrivals.rate_per_s = 100;
  p.end = Time::zero() + 200_s;
  make(p);
  engine_.run_until(Time::zero() + 300_s);
  double h = 0;
  for (int k = 1; k <= 200; ++k) h += 1.0 / k;
  std::vector<double> per_user(200, 0);
  for (const OpOutcome& op : rec_.ops) ++per_user[op.user];
  const auto n = static_cast<double>(rec_.ops.size());
  for (int rank = 1; rank <= 3; ++rank) {
    const double prob = 1.0 / rank / h;
    EXPECT_NEAR(per_user[rank - 1], n * prob, 5 * std::sqrt(n * prob * (1 - prob))) << rank;
  }
}

TEST_F(WorkloadTest, AUserDrawnAfterRegisteringLogsInWithTheAccountIdItRegistered) {
  // Users drawn by the arrivals' Zipf law are keyed by the account id kept beside them, which
  // for a registered user is the id its register was handed (not its user id): every login of
  // the new user must find that account and its password, and open a session under it.
  WorkloadParams p = base_params();
  p.users.routing = {};
  p.businesses[kLogin.value].arrivals.rate_per_s = 100;
  p.businesses[kLogin.value].zipf_exponent = 0;  // uniform: the new user is one in 11
  p.end = Time::zero() + 100_s;
  make(p);
  const OpOutcome reg = run_op(kRegister);
  ASSERT_TRUE(reg.succeeded()) << to_string(reg.cause);
  const std::uint64_t account = workload_->account(reg.user);
  ASSERT_NE(account, reg.user) << "the test needs an account id that is not the user id";
  EXPECT_EQ(workload_->registered_user(10), reg.user);
  engine_.run_until(Time::zero() + 200_s);
  std::size_t logins = 0;
  for (const OpOutcome& op : rec_.ops) {
    if (op.business != kLogin || op.user != reg.user) continue;
    ++logins;
    EXPECT_TRUE(op.succeeded()) << to_string(op.cause);
  }
  // About 10,000 logins after the register, one in 11 by the new user: 909, sd 29.
  EXPECT_GT(logins, 700u);
  const DcId home = workload_->home(reg.user);
  EXPECT_TRUE(data_->store(home, kSessions).contains(account));
}

TEST_F(WorkloadTest, EachArrivalDrawsItsUserFromTheUsersRegisteredWhenItArrives) {
  // The workload draws an arrival's Zipf rank when it schedules the arrival (to fetch the user's
  // entry early) and must give exactly the draw made at the arrival: ranks over the users
  // registered at that moment, from the business's "users" stream in order. Registrations
  // (5/s, 500 in the run) change that number between many a scheduling and its arrival, so an
  // early draw kept for the wrong count, or a stream not put back, shows up as a different user.
  WorkloadParams p = base_params();
  p.users.routing = {};
  p.businesses[kRegister.value].arrivals.rate_per_s = 5;
  p.businesses[kLogin.value].arrivals.rate_per_s = 100;
  p.businesses[kLogin.value].zipf_exponent = 0.8;
  p.end = Time::zero() + 100_s;
  struct Logins : OutcomeSink {
    void on_op(const OpOutcome& op) override {
      if (op.business != kLogin) return;
      EXPECT_EQ(op.end, op.start) << "the count below must be the one at the arrival";
      users.push_back(op.user);
      registered.push_back(workload->registered_users());
    }
    const Workload* workload = nullptr;
    std::vector<std::uint64_t> users;
    std::vector<std::uint64_t> registered;
  } logins;
  make(p, 7);
  logins.workload = workload_.get();
  workload_->set_sink(&logins);
  engine_.run_until(Time::zero() + 200_s);
  ASSERT_GT(logins.users.size(), 9000u);
  ASSERT_GT(workload_->registered_users(), 400u);
  sim::Rng rng(7, "workload/login/users");
  std::size_t changed = 0;
  for (std::size_t i = 0; i < logins.users.size(); ++i) {
    const std::uint64_t n = logins.registered[i];
    if (i > 0 && n != logins.registered[i - 1]) ++changed;
    const std::uint64_t rank = ZipfSampler(n, 0.8).sample(rng);
    ASSERT_EQ(logins.users[i], workload_->registered_user(rank - 1)) << "login " << i;
  }
  EXPECT_GT(changed, 400u);
}

TEST_F(WorkloadTest, ATotalRateIsSplitBySharesAndArrivalsFollowIt) {
  WorkloadParams p = base_params();
  p.total_rate_per_s = 100;
  for (BusinessParams& b : p.businesses) b.share = 0;
  p.businesses[kLogin.value].share = 3;
  p.businesses[kProfile.value].share = 1;
  p.end = Time::zero() + 200_s;
  make(p);
  EXPECT_DOUBLE_EQ(workload_->arrivals(kLogin).params().rate_per_s, 75);
  EXPECT_DOUBLE_EQ(workload_->arrivals(kProfile).params().rate_per_s, 25);
  EXPECT_DOUBLE_EQ(workload_->arrivals(kRegister).params().rate_per_s, 0);
  engine_.run_until(Time::zero() + 300_s);
  // Poisson counts over 200 s: 15,000 (sd 122) and 5,000 (sd 71); five sd.
  EXPECT_NEAR(workload_->business_counts(kLogin).attempted, 15'000, 5 * 122.5);
  EXPECT_NEAR(workload_->business_counts(kProfile).attempted, 5'000, 5 * 70.8);
  EXPECT_EQ(workload_->business_counts(kRegister).attempted, 0u);
}

// A busy mixed run with an outage of DC 0 from 30 s to 60 s; every 100 ms, writes older than
// 5 s replicate (a lagging channel; a down DC ships nothing). Returns every outcome.
std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t, std::int64_t, int, int>>
mixed_run(std::uint64_t seed, std::uint64_t* fingerprint, WorkloadStats* stats) {
  WorkloadParams p = base_params();
  p.users.initial = 200;
  p.users.max = 5000;
  p.users.routing = {};
  p.gslb.detection_delay = 5_s;
  p.gslb.failback_delay = 10_s;
  p.businesses[kRegister.value].arrivals.rate_per_s = 5;
  p.businesses[kLogin.value].arrivals.rate_per_s = 50;
  p.businesses[kChangePassword.value].arrivals.rate_per_s = 20;
  p.businesses[kProfile.value].arrivals.rate_per_s = 10;
  p.businesses[kFlashSale.value] =
      flash_sale_business("flash_sale", kStock, kItem, {300, 300}, true);
  p.businesses[kFlashSale.value].arrivals.rate_per_s = 5;
  p.businesses[kFlashSale.value].arrivals.bursts = {{Time::zero() + 40_s, 10_s, 10}};
  p.end = Time::zero() + 120_s;

  sim::Engine engine;
  FakeDataAccess data(engine, 2, p.data_classes.size());
  Workload w(engine, data, p, 2, seed);
  Recorder rec;
  w.set_sink(&rec);
  w.start();
  struct Ctx {
    sim::Engine* engine;
    FakeDataAccess* data;
    Workload* w;
    std::function<void()> tick;
  } ctx{&engine, &data, &w, {}};
  ctx.tick = [&ctx] {
    ctx.data->replicate(ctx.engine->now() - 5_s);
    ctx.engine->schedule_in(100_ms, [c = &ctx] { c->tick(); });
  };
  engine.schedule_in(100_ms, [c = &ctx] { c->tick(); });
  engine.schedule_at(Time::zero() + 30_s, [c = &ctx] {
    c->data->set_up(kDc0, false);
    c->w->dc_down(kDc0);
  });
  engine.schedule_at(Time::zero() + 60_s, [c = &ctx] {
    c->data->set_up(kDc0, true);
    c->w->dc_up(kDc0);
  });
  engine.run_until(Time::zero() + 150_s);
  *fingerprint = engine.fingerprint();
  *stats = w.stats();
  std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t, std::int64_t, int, int>> out;
  for (const OpOutcome& op : rec.ops) {
    out.emplace_back(op.business.value, op.user, op.dc.value, op.end.ns(),
                     static_cast<int>(op.cause), static_cast<int>(op.attempts));
  }
  return out;
}

TEST(WorkloadDeterminismTest, SameSeedGivesTheSameOutcomesAndAnotherSeedDoesNot) {
  std::uint64_t fa = 0;
  std::uint64_t fb = 0;
  std::uint64_t fc = 0;
  WorkloadStats sa;
  WorkloadStats sb;
  WorkloadStats sc;
  const auto a = mixed_run(7, &fa, &sa);
  const auto b = mixed_run(7, &fb, &sb);
  const auto c = mixed_run(8, &fc, &sc);
  ASSERT_GT(a.size(), 5000u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(fa, fb);
  EXPECT_NE(a, c);
  EXPECT_NE(fa, fc);
  // Every op that arrived finished (none is left in flight, none dropped here), and the pool of
  // op records stayed small: nothing per op accumulates.
  EXPECT_EQ(sa.in_flight, 0u);
  EXPECT_EQ(sa.arrivals - sa.dropped_arrivals, a.size());
  EXPECT_LT(sa.peak_in_flight, 1000u);
  // The outage left its marks: refused attempts, and failures of several kinds.
  int dc_down = 0;
  int stale_or_missing = 0;
  for (const auto& op : a) {
    dc_down += std::get<4>(op) == static_cast<int>(FailureCause::kDcDown);
    stale_or_missing += std::get<4>(op) == static_cast<int>(FailureCause::kMissing) ||
                        std::get<4>(op) == static_cast<int>(FailureCause::kStale);
  }
  EXPECT_GT(dc_down, 0);
  EXPECT_GT(stale_or_missing, 0);
}

TEST(WorkloadValidationTest, RejectsBadParametersNamingThem) {
  sim::Engine engine;
  FakeDataAccess data(engine, 2, 5);
  const auto message = [&](const WorkloadParams& p) -> std::string {
    try {
      const Workload w(engine, data, p, 2, 1);
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message(base_params()), "");
  WorkloadParams p = base_params();
  p.businesses.clear();
  EXPECT_NE(message(p).find("businesses is empty"), std::string::npos);

  p = base_params();
  p.businesses[1].name = "register";
  EXPECT_NE(message(p).find("'register' is used twice"), std::string::npos);

  p = base_params();
  p.businesses[1].steps[0].data_class = DataClassId{9};
  EXPECT_NE(message(p).find("business 'login': steps[0] (read) names data class 9"),
            std::string::npos);

  p = base_params();
  p.businesses[0].steps[0].data_class = kPasswords;
  EXPECT_NE(message(p).find("'passwords', which has no id_strategy"), std::string::npos);

  p = base_params();
  p.businesses[1].steps[0].key = KeyChoice::kNewId;
  EXPECT_NE(message(p).find("new_id with no allocate_id"), std::string::npos);

  p = base_params();
  p.businesses[0].steps[1].key = KeyChoice::kAccount;
  EXPECT_NE(message(p).find("key account in a business that registers"), std::string::npos);

  p = base_params();
  p.businesses[1].steps[0].borrow = true;
  EXPECT_NE(message(p).find("sets borrow"), std::string::npos);

  p = base_params();
  p.users.routing = {};
  p.users.max = UserParams::kMaxUsers + 1;
  EXPECT_NE(message(p).find("users.max (4294967296) is above 4294967295"), std::string::npos);

  p = base_params();
  p.businesses[4].steps[0].initial_per_dc = {1, 2, 3};
  EXPECT_NE(message(p).find("initial_per_dc has 3 entries"), std::string::npos);

  p = base_params();
  p.total_rate_per_s = 10;
  p.businesses[1].arrivals.rate_per_s = 5;
  p.businesses[1].share = 1;
  EXPECT_NE(message(p).find("business 'login': sets rate_per_s while"), std::string::npos);

  p = base_params();
  p.businesses[1].share = 1;
  EXPECT_NE(message(p).find("sets share but total_rate_per_s is 0"), std::string::npos);

  p = base_params();
  p.total_rate_per_s = 10;
  EXPECT_NE(message(p).find("every business's share is 0"), std::string::npos);

  p = base_params();
  p.businesses[1].arrivals.rate_per_s = -3;
  EXPECT_NE(message(p).find("business 'login': rate is -3"), std::string::npos);

  p = base_params();
  p.users.initial = 2000;
  EXPECT_NE(message(p).find("users.initial (2000) is larger than users.max (1000)"),
            std::string::npos);

  p = base_params();
  p.users.routing.ranges = {{0, 4, kDc0}, {5, 9, kDc1}};
  EXPECT_NE(message(p).find("does not cover every user id"), std::string::npos);

  p = base_params();
  p.client.timeout = Duration(0);
  EXPECT_NE(message(p).find("client.timeout"), std::string::npos);
  p = base_params();
  p.client.max_retries = -1;
  EXPECT_NE(message(p).find("client.max_retries is -1"), std::string::npos);
  p = base_params();
  p.client.backoff_multiplier = 0.5;
  EXPECT_NE(message(p).find("client.backoff_multiplier"), std::string::npos);

  p = base_params();
  p.businesses[1].zipf_exponent = -1;
  EXPECT_NE(message(p).find("zipf_exponent"), std::string::npos);

  p = base_params();
  p.users.id_class = kPasswords;
  EXPECT_NE(message(p).find("users.id_class"), std::string::npos);
}

TEST(BusinessTest, NamesRoundTripAndFactoriesBuildTheDocumentedSteps) {
  for (StepKind k : {StepKind::kAllocateId, StepKind::kRead, StepKind::kWrite, StepKind::kSession,
                     StepKind::kDecrement}) {
    EXPECT_EQ(parse_step_kind(to_string(k)), k);
  }
  for (KeyChoice k :
       {KeyChoice::kAccount, KeyChoice::kNewId, KeyChoice::kFixed, KeyChoice::kPerDc}) {
    EXPECT_EQ(parse_key_choice(to_string(k)), k);
  }
  for (WriteMode m :
       {WriteMode::kInsert, WriteMode::kUpdate, WriteMode::kUpsert, WriteMode::kDelete}) {
    EXPECT_EQ(parse_write_mode(to_string(m)), m);
  }
  try {
    (void)parse_write_mode("replace");
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "write mode 'replace' is unknown; allowed: insert, update, upsert, delete");
  }
  const BusinessParams login = login_business("login", kAccounts, kPasswords, kSessions);
  ASSERT_EQ(login.steps.size(), 3u);
  EXPECT_FALSE(login.steps[0].fail_if_stale);
  EXPECT_TRUE(login.steps[1].fail_if_stale);
  EXPECT_EQ(login.steps[2].write, WriteMode::kUpsert);
  EXPECT_TRUE(registers_users(register_business("r", kAccounts, kPasswords)));
  EXPECT_FALSE(registers_users(login));
  EXPECT_STREQ(to_string(FailureCause::kDcDown), "dc_down");
  EXPECT_TRUE(retriable(FailureCause::kTimeout));
  EXPECT_FALSE(retriable(FailureCause::kStale));
}

// --- op latency -------------------------------------------------------------------------------

WorkloadParams timed_params() {
  WorkloadParams p = base_params();
  for (WorkloadDataClass& c : p.data_classes) {
    c.read_time = sim::Distribution::constant(300'000);     // 0.3 ms
    c.write_time = sim::Distribution::constant(1'000'000);  // 1 ms
  }
  return p;
}

TEST_F(WorkloadTest, ARunOfLocalStepsCostsTheSumOfTheirServiceTimesInOneEvent) {
  make(timed_params());
  const std::uint64_t before = engine_.events_executed();
  const OpOutcome op = run_op(kLogin, 2);
  ASSERT_TRUE(op.succeeded()) << to_string(op.cause);
  EXPECT_EQ(op.end - op.start, 1'600'000_ns) << "two reads and the session's write";
  EXPECT_EQ(engine_.events_executed() - before, 1u);
  // The session was written at the end of that wait, not before it.
  EXPECT_EQ(data_->store(kDc0, kSessions).find(workload_->account(2))->commit_time, op.end);
}

TEST_F(WorkloadTest, ASessionCreatedOnTheWayCostsItsWriteTime) {
  make(timed_params());
  // No session yet: check it (read), create it (write), then update the profile (write).
  const OpOutcome first = run_op(kProfile, 3);
  ASSERT_TRUE(first.succeeded());
  EXPECT_EQ(first.end - first.start, 2'300'000_ns);
  const OpOutcome second = run_op(kProfile, 3);
  EXPECT_EQ(second.end - second.start, 1'300'000_ns) << "the session is there now";
}

TEST_F(WorkloadTest, AnOpServedOutsideItsHomeCityPaysTheAccessLegsBothWays) {
  WorkloadParams p = timed_params();
  p.gslb.detection_delay = 0_s;
  make(p, 1, 15_ms);  // one way between the two cities
  fail(kDc0);
  advance(1_ms);                           // the GSLB moves DC 0's users at once
  const OpOutcome op = run_op(kLogin, 2);  // homed in DC 0, served in DC 1
  ASSERT_TRUE(op.succeeded());
  EXPECT_EQ(op.dc, kDc1);
  EXPECT_EQ(op.end - op.start, 15_ms + 1'600'000_ns + 15_ms);
  const OpOutcome own = run_op(kLogin, 7);
  EXPECT_EQ(own.end - own.start, 1'600'000_ns) << "DC 1's own user";
}

TEST_F(WorkloadTest, ACommitAcknowledgedLaterHoldsTheOpUntilItIsSettled) {
  make(timed_params());
  data_->hold_acks(true);
  ASSERT_TRUE(workload_->submit(kChangePassword, 3));
  advance(1_s);
  // The session's commit is waiting for its acknowledgement; nothing else has happened.
  ASSERT_EQ(data_->held_tickets().size(), 1u);
  EXPECT_TRUE(rec_.ops.empty());
  data_->settle(0, true);  // acknowledged at 1 s
  advance(1_s);
  ASSERT_EQ(data_->held_tickets().size(), 2u) << "then the password's commit waits too";
  data_->settle(1, true);
  advance(1_ms);
  ASSERT_EQ(rec_.ops.size(), 1u);
  EXPECT_TRUE(rec_.ops[0].succeeded());
  EXPECT_EQ(rec_.ops[0].end, Time::zero() + 2_s);
}

TEST_F(WorkloadTest, AnAcknowledgementThatNeverComesTimesTheAttemptOutAndALateOneIsIgnored) {
  WorkloadParams p = timed_params();
  p.client.max_retries = 1;
  make(p);
  data_->hold_acks(true);
  ASSERT_TRUE(workload_->submit(kChangePassword, 3));
  advance(4_s);  // attempt 1 times out at 3 s; attempt 2 starts at 4 s
  ASSERT_EQ(rec_.retries.size(), 1u);
  EXPECT_EQ(rec_.retries[0].cause, FailureCause::kTimeout);
  advance(2_ms);  // the session is there now: a read and the password's write
  ASSERT_GE(data_->held_tickets().size(), 2u);
  data_->settle(0, true);  // attempt 1's acknowledgement, too late: must not resume attempt 2
  advance(1_ms);
  EXPECT_TRUE(rec_.ops.empty());
  data_->settle(data_->held_tickets().size() - 1, false);  // attempt 2's commit is refused
  advance(1_ms);
  ASSERT_EQ(rec_.ops.size(), 1u);
  EXPECT_EQ(rec_.ops[0].cause, FailureCause::kTimeout);
  EXPECT_EQ(rec_.ops[0].attempts, 2u);
}

}  // namespace
}  // namespace geodes::models
