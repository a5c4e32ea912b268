// The MySQL replication channel against queueing theory and against MySQL's documented behaviour.
//
// Statistical tolerances: lags within one run are autocorrelated, so each theory check runs R
// independent replications (separate seeds) and compares the grand mean with theory within
// t(R-1, alpha = 1e-4) standard errors of the replication means; quantiles add the histogram's
// documented 1% relative error. Each check also asserts that its tolerance is tight (a few
// percent), so a passing test means something.
#include "geodes/models/channels/mysql_channel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/models/net/topology.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double se_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double ss = 0;
  for (const double x : v) ss += (x - m) * (x - m);
  const auto n = static_cast<double>(v.size());
  return std::sqrt(ss / (n - 1) / n);
}

// Two DCs joined by one link, a source and a replica store, and a channel between them.
struct Harness {
  // Poisson writes of distinct keys; lives as long as the harness.
  struct PoissonDriver {
    Harness* h;
    double rate;
    std::uint64_t left;
    void schedule() {
      const double s = -std::log(h->arrivals.uniform_open0()) / rate;
      h->engine.schedule_in(Duration::from_seconds(s), [this] { next(); });
    }
    void next() {
      if (left == 0) return;  // stopped
      h->commit(h->committed + 1);
      if (--left > 0) schedule();
    }
  };

  sim::Engine engine;
  Topology topology;
  DcId bj;
  DcId sh;
  LinkId link;
  std::unique_ptr<Network> network;
  Store source;
  Store replica;
  std::unique_ptr<MysqlChannel> channel;
  VersionClock clock;
  sim::Rng arrivals;
  std::uint64_t committed = 0;
  std::vector<std::unique_ptr<PoissonDriver>> drivers;

  explicit Harness(const MysqlChannelParams& params, std::uint64_t seed = 1,
                   Duration latency = 15_ms, double bandwidth = 0)
      : bj(topology.add_datacenter("beijing", "Beijing")),
        sh(topology.add_datacenter("shanghai", "Shanghai")),
        source(bj, "accounts"),
        replica(sh, "accounts"),
        clock(bj),
        arrivals(seed, "test/arrivals") {
    LinkSpec spec;
    spec.name = "bj-sh";
    spec.a = bj;
    spec.b = sh;
    spec.latency = sim::Distribution::constant(static_cast<double>(latency.ns()));
    spec.bandwidth_bytes_per_s = bandwidth;
    link = topology.add_link(spec);
    network = std::make_unique<Network>(engine, topology, seed);
    channel = std::make_unique<MysqlChannel>(*network, topology.make_path(bj, {link}), source,
                                             replica, params, seed);
  }

  // Commits a write of `key` at the source now and ships it.
  Write commit(std::uint64_t key, WriteKind kind = WriteKind::kInsert, std::uint32_t bytes = 200) {
    Write w;
    w.key = key;
    w.kind = kind;
    w.version = clock.next(engine.now());
    w.value = w.version.seq;
    w.commit_time = engine.now();
    w.bytes = bytes;
    source.commit(w, engine.now());
    channel->ship(w);
    ++committed;
    return w;
  }

  // `count` Poisson writes of distinct keys at `rate` per second, from `start` (after the
  // connection's handshake, so no write waits for it).
  void poisson_writes(double rate, std::uint64_t count, Time start = Time(1'000'000'000)) {
    drivers.push_back(std::make_unique<PoissonDriver>(PoissonDriver{this, rate, count}));
    engine.schedule_at(start, [d = drivers.back().get()] { d->schedule(); });
  }

  void stop_writes() {
    for (auto& d : drivers) d->left = 0;
  }

  void link_state(LinkCondition c) {
    LinkState s;
    s.condition = c;
    network->set_state(link, s);
  }
};

MysqlChannelParams exp_applier(double rate_per_s) {
  MysqlChannelParams p;
  p.apply_time = sim::Distribution::exponential(1e9 / rate_per_s);
  return p;
}

// --- queueing theory
// ------------------------------------------------------------------------------

TEST(MysqlChannel, OneApplierIsLinkLatencyPlusMm1SojournInMeanAndP99) {
  constexpr double kLambda = 700;
  constexpr double kMu = 1000;
  constexpr double kL = 15e6;  // ns
  constexpr int kR = 12;
  constexpr double kT = 5.45;  // t(11), two-sided alpha = 1e-4
  std::vector<double> means;
  std::vector<double> p99s;
  for (int r = 0; r < kR; ++r) {
    Harness h(exp_applier(kMu), 10 + static_cast<std::uint64_t>(r));
    h.poisson_writes(kLambda, 20'000);
    h.engine.run();
    ASSERT_EQ(h.channel->stats().delivered, 20'000u);
    means.push_back(h.channel->lag().mean());
    p99s.push_back(h.channel->lag().quantile(0.99));
  }
  const double mean = kL + 1e9 / (kMu - kLambda);
  const double p99 = kL + std::log(100.0) * 1e9 / (kMu - kLambda);
  EXPECT_NEAR(mean_of(means), mean, kT * se_of(means));
  EXPECT_NEAR(mean_of(p99s), p99, kT * se_of(p99s) + 0.01 * p99);
  EXPECT_LT(kT * se_of(means), 0.02 * mean);
}

TEST(MysqlChannel, DeterministicApplyTimeWaitsAsPollaczekKhinchineSays) {
  // M/D/1: Wq = rho * tau / (2 (1 - rho)), half of M/M/1's.
  constexpr double kLambda = 700;
  constexpr double kTau = 0.9e-3;  // s
  constexpr double kL = 15e6;
  constexpr int kR = 12;
  constexpr double kT = 5.45;
  std::vector<double> means;
  for (int r = 0; r < kR; ++r) {
    MysqlChannelParams p;
    p.apply_time = sim::Distribution::constant(kTau * 1e9);
    Harness h(p, 30 + static_cast<std::uint64_t>(r));
    h.poisson_writes(kLambda, 20'000);
    h.engine.run();
    means.push_back(h.channel->lag().mean());
  }
  const double rho = kLambda * kTau;
  const double wq = rho * kTau / (2 * (1 - rho));
  const double mean = kL + (kTau + wq) * 1e9;
  EXPECT_NEAR(mean_of(means), mean, kT * se_of(means));
  EXPECT_LT(kT * se_of(means), 0.01 * mean);
}

TEST(MysqlChannel, ByKeyWorkersAreIndependentMm1QueuesAtAnNthOfTheRate) {
  constexpr double kLambda = 3000;
  constexpr double kMu = 1000;
  constexpr int kN = 4;
  constexpr int kR = 16;
  constexpr double kT = 5.3;  // t(15), alpha = 1e-4 is 5.24
  std::vector<double> means;
  for (int r = 0; r < kR; ++r) {
    MysqlChannelParams p = exp_applier(kMu);
    p.threads = kN;
    p.parallelism = ApplierParallelism::kByKey;
    Harness h(p, 50 + static_cast<std::uint64_t>(r), 0_ms);
    h.poisson_writes(kLambda, 60'000);
    h.engine.run();
    means.push_back(h.channel->lag().mean());
  }
  // Keys hash uniformly to workers, so each sees Poisson(lambda / N) (thinning).
  const double mean = 1e9 / (kMu - kLambda / kN);
  EXPECT_NEAR(mean_of(means), mean, kT * se_of(means));
  EXPECT_LT(kT * se_of(means), 0.05 * mean);
}

TEST(MysqlChannel, WritesetWorkersWithDistinctKeysFormAnMmcQueue) {
  constexpr double kLambda = 3000;
  constexpr double kMu = 1000;
  constexpr int kC = 4;
  constexpr int kR = 10;
  constexpr double kT = 6.0;
  std::vector<double> means;
  for (int r = 0; r < kR; ++r) {
    MysqlChannelParams p = exp_applier(kMu);
    p.threads = kC;
    p.parallelism = ApplierParallelism::kWriteset;
    Harness h(p, 70 + static_cast<std::uint64_t>(r), 0_ms);
    h.poisson_writes(kLambda, 60'000);
    h.engine.run();
    means.push_back(h.channel->lag().mean());
  }
  // Erlang C: probability of waiting, then Wq = C / (c mu - lambda).
  const double a = kLambda / kMu;
  double sum = 0;
  double term = 1;
  for (int k = 0; k < kC; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * kC / (kC - a);  // a^c / c! * c / (c - a)
  const double erlang_c = top / (sum + top);
  const double mean = (erlang_c / (kC * kMu - kLambda) + 1 / kMu) * 1e9;
  EXPECT_NEAR(mean_of(means), mean, kT * se_of(means));
  EXPECT_LT(kT * se_of(means), 0.05 * mean);
}

TEST(MysqlChannel, LittlesLawHoldsOnTheRelayBacklog) {
  Harness h(exp_applier(1000), 3);
  h.poisson_writes(800, 50'000);
  h.engine.run();
  const Time end = h.engine.now();
  const double span_s = (end - Time(0)).seconds();
  const double throughput = static_cast<double>(h.channel->stats().received) / span_s;
  const double residence_s = h.channel->relay_residence().mean() / 1e9;
  const double l = h.channel->backlog_series().time_average(Time(0), end);
  // Little's law holds exactly on a sample path that starts and ends empty; the only slack is the
  // histogram mean, which is exact, and floating-point rounding.
  EXPECT_NEAR(l, throughput * residence_s, 1e-6 * l);
  EXPECT_GT(l, 1.0);
}

// One async applier holds its connection while busy (mysql_channel.hpp, "Speed"): what the
// relay log holds must still be, at every instant, what delivery by event gives. With a constant
// 15 ms link and no bandwidth limit, write i is in the relay log from commit_i + 15 ms until its
// apply; probes between the events check the counts, and afterwards the backlog series is
// checked interval by interval against the integral of that sample path, exactly.
TEST(MysqlChannel, AHeldConnectionChangesNothingTheRelayLogShows) {
  Harness h(exp_applier(1000), 4);
  std::vector<Time> arrivals;
  std::vector<Time> applies;
  h.channel->set_ack_listener(
      [&](const Write& w, Time) { arrivals.push_back(w.commit_time + 15_ms); });
  h.channel->set_apply_listener([&](const Write&) { applies.push_back(h.engine.now()); });
  h.poisson_writes(800, 5'000);
  struct Probe {
    Harness* h = nullptr;
    const std::vector<Time>* arrivals = nullptr;
    const std::vector<Time>* applies = nullptr;
    std::uint64_t probes = 0;
    std::uint64_t busy = 0;
    void check(Time t) {
      const auto arrived = static_cast<std::uint64_t>(
          std::upper_bound(arrivals->begin(), arrivals->end(), t) - arrivals->begin());
      const std::uint64_t applied = applies->size();
      EXPECT_EQ(h->channel->stats().received, arrived) << "at " << t.ns();
      EXPECT_EQ(h->channel->relay_backlog(), arrived - applied) << "at " << t.ns();
      EXPECT_EQ(h->channel->unshipped(), h->committed - arrived) << "at " << t.ns();
      ++probes;
      if (arrived - applied >= 2) ++busy;
    }
  } probe{&h, &arrivals, &applies};
  for (Time t = Time(1'000'000'000) + 333'333_ns; t < Time(8'000'000'000); t += 700'001_ns) {
    h.engine.schedule_at(t, [p = &probe, t] { p->check(t); });
  }
  h.engine.run();
  ASSERT_EQ(applies.size(), 5'000u);
  EXPECT_GT(probe.busy, probe.probes / 4) << "the test needs writes arriving at a busy applier";
  // A delivery by event per write would make 3 events a write (commit, arrival, apply); writes
  // that find the applier busy (80%, by PASTA) take none.
  EXPECT_LT(static_cast<double>(h.engine.events_executed() - probe.probes), 2.4 * 5'000);

  const sim::GaugeSeries& backlog = h.channel->backlog_series();
  const std::int64_t step = backlog.interval().ns();
  ASSERT_GT(backlog.size(), 5u);
  for (std::size_t i = 0; i < backlog.size(); ++i) {
    // Integral over interval i of (arrived - applied), as integers: sum over each event's
    // clipped remaining time in the interval.
    const std::int64_t lo = static_cast<std::int64_t>(i) * step;
    const std::int64_t hi = lo + step;
    const auto part = [lo, hi](Time t) {
      return std::max<std::int64_t>(0, hi - std::max(lo, t.ns()));
    };
    std::int64_t integral = 0;
    for (const Time a : arrivals) integral += part(a);
    for (const Time a : applies) integral -= part(a);
    const double covered = static_cast<double>(backlog.covered(i).ns());
    EXPECT_NEAR(backlog.mean(i) * covered, static_cast<double>(integral), 1e-9 * step)
        << "interval " << i;
  }
}

TEST(MysqlChannel, OfferedLoadAboveBandwidthMakesLagGrowLinearlyAtThePredictedSlope) {
  // Writes of B bytes every D on a link of R bytes/s, B/R > D: each write waits for the ones
  // before it, so the delay of the n-th write is n (B/R - D) + const: slope (B/R)/D - 1 per second
  // of commit time.
  constexpr double kBytes = 1000;
  constexpr double kRate = 800'000;  // bytes/s -> 1.25 ms per write
  const Duration interval = 1_ms;
  MysqlChannelParams p;
  p.apply_time = sim::Distribution::constant(1'000);  // 1 us: the link is the bottleneck
  Harness h(p, 1, 10_ms, kRate);
  std::vector<double> commit_s;
  std::vector<double> lag_s;
  h.channel->set_apply_listener([&](const Write& w) {
    commit_s.push_back(w.commit_time.seconds());
    lag_s.push_back((h.engine.now() - w.commit_time).seconds());
  });
  struct Ticker {
    Harness* h;
    Duration interval;
    int left;
    void tick() {
      h->commit(static_cast<std::uint64_t>(left), WriteKind::kInsert,
                static_cast<std::uint32_t>(kBytes));
      if (--left > 0) h->engine.schedule_in(interval, [this] { tick(); });
    }
  } ticker{&h, interval, 4000};
  h.engine.schedule_at(Time(1'000'000'000), [&ticker] { ticker.tick(); });
  h.engine.run();
  ASSERT_EQ(lag_s.size(), 4000u);
  // Least-squares slope of lag against commit time.
  const double mx = mean_of(commit_s);
  const double my = mean_of(lag_s);
  double sxy = 0;
  double sxx = 0;
  for (std::size_t i = 0; i < lag_s.size(); ++i) {
    sxy += (commit_s[i] - mx) * (lag_s[i] - my);
    sxx += (commit_s[i] - mx) * (commit_s[i] - mx);
  }
  const double slope = sxy / sxx;
  const double predicted = (kBytes / kRate) / interval.seconds() - 1;  // 0.25
  EXPECT_NEAR(slope, predicted, 0.01 * predicted);
}

// --- semi-sync
// -------------------------------------------------------------------------------------

TEST(MysqlChannel, SemiSyncCommitLatencyIsOneRoundTrip) {
  MysqlChannelParams p;
  p.mode = ReplicationMode::kSemiSync;
  Harness h(p, 1, 15_ms);
  h.poisson_writes(100, 2'000);
  h.engine.run();
  EXPECT_EQ(h.channel->stats().semi_sync_fallbacks, 0u);
  // Constant 15 ms each way, unlimited bandwidth: the ack is back 30 ms after the commit.
  EXPECT_NEAR(h.channel->commit_latency().quantile(0.5), 30e6, 0.01 * 30e6);
  EXPECT_NEAR(h.channel->commit_latency().max(), 30e6, 0.01 * 30e6);
  EXPECT_EQ(h.channel->commit_latency().count(), 2'000u);
}

TEST(MysqlChannel, AsyncCommitsAreAcknowledgedAtOnce) {
  Harness h(MysqlChannelParams{}, 1);
  h.poisson_writes(100, 1'000);
  h.engine.run();
  EXPECT_EQ(h.channel->commit_latency().max(), 0);
}

TEST(MysqlChannel, SemiSyncFallsBackAfterTheTimeoutAndReturnsOnceCaughtUp) {
  MysqlChannelParams p;
  p.mode = ReplicationMode::kSemiSync;
  p.semi_sync_timeout = 10_s;
  p.retry_interval = 5_s;
  Harness h(p, 1, 15_ms);
  std::vector<std::pair<Write, Time>> acks;
  h.channel->set_ack_listener([&](const Write& w, Time t) { acks.emplace_back(w, t); });
  // Link down from 2 s to 30 s; writes every 100 ms from 1 s to 40 s.
  h.engine.schedule_at(Time(2'000'000'000), [&h] { h.link_state(LinkCondition::kDown); });
  h.engine.schedule_at(Time(30'000'000'000), [&h] { h.link_state(LinkCondition::kUp); });
  struct Ticker {
    Harness* h;
    int left;
    void tick() {
      h->commit(static_cast<std::uint64_t>(1000 + left));
      if (--left > 0) h->engine.schedule_in(100_ms, [this] { tick(); });
    }
  } ticker{&h, 390};
  h.engine.schedule_at(Time(1'000'000'000), [&ticker] { ticker.tick(); });
  bool active_at_11_9 = true;
  bool active_at_12_1 = true;
  h.engine.schedule_at(Time(11'900'000'000),
                       [&] { active_at_11_9 = h.channel->semi_sync_active(); });
  h.engine.schedule_at(Time(12'100'000'000),
                       [&] { active_at_12_1 = h.channel->semi_sync_active(); });
  h.engine.run();

  // The first commit after the cut is at 2.0 s (or just before, in flight): fallback at ~12 s.
  EXPECT_TRUE(active_at_11_9);
  EXPECT_FALSE(active_at_12_1);
  EXPECT_EQ(h.channel->stats().semi_sync_fallbacks, 1u);
  EXPECT_EQ(h.channel->stats().semi_sync_returns, 1u);
  EXPECT_TRUE(h.channel->semi_sync_active());
  EXPECT_NEAR(h.channel->commit_latency().max(), 10e9, 0.02e9);
  EXPECT_EQ(acks.size(), 390u) << "every commit is acknowledged, by ack or by the fallback";
  // The I/O thread retries every 5 s from the cut at 2 s: 7, 12, ..., 32 s is the first attempt
  // after the link is back; the return to semi-sync follows the catch-up, within a second.
  EXPECT_EQ(h.channel->stats().reconnects, 1u);
  EXPECT_EQ(h.channel->stats().delivered, 390u);
  // Reconnection attempts fail one round trip after they start, so they drift by 30 ms each.
  EXPECT_GE(h.channel->stats().disconnected.seconds(), 28.0);
  EXPECT_LE(h.channel->stats().disconnected.seconds(), 28.0 + 5.0 + 0.3);
}

TEST(MysqlChannel, ASourceCrashLosesNoAcknowledgedWriteUnderSemiSync) {
  MysqlChannelParams p;
  p.mode = ReplicationMode::kSemiSync;
  Harness h(p, 4, 15_ms);
  std::set<std::uint64_t> acked;
  h.channel->set_ack_listener([&](const Write& w, Time) { acked.insert(w.key); });
  h.poisson_writes(2000, 1'000'000);
  std::vector<Write> lost;
  h.engine.schedule_at(Time(3'000'000'000), [&] {
    lost = h.channel->lose_source();
    h.engine.stop();
  });
  h.engine.run();
  ASSERT_FALSE(lost.empty()) << "writes in flight at the crash are lost";
  for (const Write& w : lost) EXPECT_EQ(acked.count(w.key), 0u) << "acknowledged write lost";
  EXPECT_GT(acked.size(), 3000u);
}

TEST(MysqlChannel, ASourceCrashLosesExactlyTheUnshippedTailUnderAsync) {
  Harness h(exp_applier(10'000), 4, 15_ms);
  std::set<std::uint64_t> acked;
  h.channel->set_ack_listener([&](const Write& w, Time) { acked.insert(w.key); });
  h.poisson_writes(2000, 1'000'000);
  std::vector<Write> lost;
  std::uint64_t unshipped = 0;
  h.engine.schedule_at(Time(3'000'000'000), [&] {
    unshipped = h.channel->unshipped();
    lost = h.channel->lose_source();
    h.stop_writes();
    h.engine.stop();
  });
  h.engine.run();
  h.engine.run();  // let the replica apply what it has
  ASSERT_GT(unshipped, 0u);
  EXPECT_EQ(lost.size(), unshipped);
  EXPECT_EQ(h.replica.size() + lost.size(), h.committed) << "nothing else is missing";
  for (const Write& w : lost) {
    EXPECT_EQ(acked.count(w.key), 1u) << "async acknowledges at commit";
    EXPECT_FALSE(h.replica.contains(w.key));
  }
  // The lost tail is the newest writes: all committed within one link latency of the crash.
  for (const Write& w : lost) EXPECT_GT(w.commit_time, Time(3'000'000'000) - 15_ms - 1_ms);
}

// --- link loss
// -------------------------------------------------------------------------------------

TEST(MysqlChannel, AfterALinkCutTheIoThreadReconnectsAndResumesWithNothingSkippedOrDoubled) {
  MysqlChannelParams p = exp_applier(5'000);
  p.retry_interval = 60_s;
  p.on_duplicate = OnDuplicate::kStop;  // a write applied twice would stop the applier
  Harness h(p, 2, 15_ms);
  h.poisson_writes(500, 50'000);
  h.engine.schedule_at(Time(10'000'000'000), [&h] { h.link_state(LinkCondition::kDown); });
  h.engine.schedule_at(Time(40'000'000'000), [&h] { h.link_state(LinkCondition::kUp); });
  h.engine.run();
  const auto& s = h.channel->stats();
  EXPECT_EQ(s.received, 50'000u);
  EXPECT_EQ(s.delivered, 50'000u);
  EXPECT_EQ(s.errors_1062, 0u);
  EXPECT_EQ(s.reconnects, 1u);
  EXPECT_EQ(h.replica.size(), 50'000u);
  EXPECT_TRUE(divergent_keys(h.source, h.replica).empty());
  // Down at 10 s; retries at 70 s (first after the link returned at 40 s) plus the handshake.
  EXPECT_NEAR(s.disconnected.seconds(), 60.03, 0.01);
  EXPECT_GT(h.channel->lag().max(), 59'000'000'000);
}

Write foreign_insert(std::uint64_t key, DcId origin) {
  Write w;
  w.key = key;
  w.kind = WriteKind::kInsert;
  w.version = Version{origin, 1, 1};
  w.value = 999;
  return w;
}

// --- DC outages, STOP REPLICA, storage loss
// --------------------------------------------------------------------------

TEST(MysqlChannel, ASourceOutageKeepsTheBinlogAndShipsTheTailAtTheNextRetryAfterRecovery) {
  MysqlChannelParams p = exp_applier(5'000);
  p.retry_interval = 60_s;
  p.on_duplicate = OnDuplicate::kStop;  // a write applied twice would stop the applier
  Harness h(p, 3, 15_ms);
  h.poisson_writes(2'000, 20'000);  // 1 s to about 11 s
  std::uint64_t unshipped_at_outage = 0;
  h.engine.schedule_at(Time(5'000'000'000), [&] {
    h.stop_writes();  // the DC's clients stop with it
    unshipped_at_outage = h.channel->unshipped();
    h.channel->set_source_up(false);
  });
  std::uint64_t received_during = 0;
  h.engine.schedule_at(Time(100'000'000'000), [&] {
    received_during = h.channel->stats().received;
    h.channel->set_source_up(true);
  });
  h.engine.run();
  const auto& s = h.channel->stats();
  ASSERT_GT(unshipped_at_outage, 0u) << "writes were in flight when the DC stopped";
  EXPECT_EQ(received_during + unshipped_at_outage, h.committed) << "the tail waited";
  EXPECT_EQ(s.received, h.committed) << "nothing skipped";
  EXPECT_EQ(s.delivered, h.committed) << "nothing applied twice";
  EXPECT_EQ(s.errors_1062, 0u);
  EXPECT_TRUE(divergent_keys(h.source, h.replica).empty());
  // Retries every 60 s from the outage at 5 s: the first after 100 s is at 125 s.
  EXPECT_NEAR(s.disconnected.seconds(), 120.03, 0.01);
}

TEST(MysqlChannel, AReplicaOutagePausesBothThreadsAndKeepsTheRelayLog) {
  MysqlChannelParams p = exp_applier(1'000);
  Harness h(p, 4, 15_ms);
  h.poisson_writes(900, 9'000);  // rho = 0.9: a backlog builds in the relay log
  std::uint64_t backlog_at_outage = 0;
  std::uint64_t delivered_at_outage = 0;
  std::uint64_t delivered_before_return = 0;
  h.engine.schedule_at(Time(4'000'000'000), [&] {
    backlog_at_outage = h.channel->relay_backlog();
    delivered_at_outage = h.channel->stats().delivered;
    h.channel->set_replica_up(false);
  });
  h.engine.schedule_at(Time(30'000'000'000), [&] {
    delivered_before_return = h.channel->stats().delivered;
    EXPECT_FALSE(h.channel->applier_running());
    EXPECT_FALSE(h.channel->connected());
    h.channel->set_replica_up(true);
  });
  h.engine.run();
  const auto& s = h.channel->stats();
  // Writes being applied at the outage may finish; nothing else is applied while down.
  EXPECT_LE(delivered_before_return, delivered_at_outage + 1);
  EXPECT_EQ(s.delivered, h.committed);
  EXPECT_EQ(h.replica.size(), h.committed);
  EXPECT_GT(backlog_at_outage + delivered_at_outage, 0u);
  EXPECT_GT(h.channel->lag().max(), 25'000'000'000) << "writes waited out the outage";
}

TEST(MysqlChannel, StopReplicaHaltsReplicationAndStartReplicaCatchesUp) {
  Harness h(exp_applier(5'000), 5, 15_ms);
  h.poisson_writes(500, 5'000);  // 1 s to about 11 s
  h.engine.schedule_at(Time(3'000'000'000), [&] { h.channel->set_replicating(false); });
  std::uint64_t received_while_stopped = 0;
  h.engine.schedule_at(Time(4'000'000'000),
                       [&] { received_while_stopped = h.channel->stats().received; });
  std::uint64_t received_before_start = 0;
  h.engine.schedule_at(Time(20'000'000'000), [&] {
    received_before_start = h.channel->stats().received;
    h.channel->set_replicating(true);
  });
  h.engine.run();
  EXPECT_EQ(received_while_stopped, received_before_start) << "the I/O thread was stopped";
  EXPECT_NEAR(h.channel->stats().replication_stopped.seconds(), 17.0, 1e-9);
  EXPECT_EQ(h.channel->stats().stopped, Duration::zero()) << "no error halted the applier";
  EXPECT_EQ(h.channel->stats().delivered, h.committed);
  EXPECT_EQ(h.channel->stats().reconnects, 1u);
  // The oldest write waiting at 3 s was applied after 20 s + one round trip.
  EXPECT_GT(h.channel->lag().max(), 17'000'000'000);
}

TEST(MysqlChannel, LosingTheReplicaStorageLosesTheRelayLogButNotTheBinlog) {
  Harness h(exp_applier(500), 6, 15_ms);
  h.poisson_writes(950, 10'000);  // overload: the relay log grows by about 450 writes a second
  std::vector<Write> lost;
  std::uint64_t backlog = 0;
  h.engine.schedule_at(Time(8'000'000'000), [&] {
    h.channel->set_replica_up(false);
    backlog = h.channel->relay_backlog();
    lost = h.channel->lose_replica();
    h.replica.clear();
  });
  h.engine.schedule_at(Time(9'000'000'000), [&] { h.channel->set_replica_up(true); });
  h.engine.run();
  ASSERT_GT(lost.size(), 0u) << "backlog " << backlog << " committed " << h.committed;
  EXPECT_LE(backlog - lost.size(), 1u) << "all but the write being applied are lost";
  EXPECT_EQ(h.channel->relay_backlog(), 0u);
  for (const Write& w : lost) EXPECT_FALSE(h.replica.contains(w.key));
  // What the source had not yet sent arrives after the replica returns.
  EXPECT_EQ(h.channel->stats().received, h.committed);
}

TEST(MysqlChannel, OneChannelCarriesSeveralClassesAndAnErrorInOneHaltsThemAll) {
  MysqlChannelParams p = exp_applier(5'000);
  p.on_duplicate = OnDuplicate::kStop;
  p.operator_fix_time = 100_s;
  Harness h(p, 7, 15_ms);
  Store passwords_source(h.bj, "passwords");
  Store passwords(h.sh, "passwords");
  h.channel->add_data_class(DataClassId{0}, h.replica);
  h.channel->add_data_class(DataClassId{1}, passwords);
  EXPECT_THROW(h.channel->add_data_class(DataClassId{2}, passwords_source), InvalidArgument);
  // An account delivered first by another channel: the binlog's copy fails with error 1062.
  h.replica.apply(foreign_insert(5, h.bj), ApplyRule::kOverwrite, Time(0));
  h.engine.schedule_at(Time(1'000'000'000), [&] {
    for (std::uint64_t k = 1; k <= 10; ++k) {
      h.commit(k);
      Write pw;
      pw.key = k;  // the same id in another table is another row
      pw.kind = WriteKind::kInsert;
      pw.data_class = DataClassId{1};
      pw.version = h.clock.next(h.engine.now());
      pw.value = 1000 + k;
      pw.commit_time = h.engine.now();
      pw.bytes = 100;
      passwords_source.commit(pw, h.engine.now());
      h.channel->ship(pw);
    }
  });
  std::size_t passwords_during_halt = 0;
  h.engine.schedule_at(Time(50'000'000'000), [&] { passwords_during_halt = passwords.size(); });
  h.engine.run();
  EXPECT_EQ(passwords_during_halt, 4u) << "passwords 1-4 went before the failing account 5";
  EXPECT_EQ(passwords.size(), 10u);
  EXPECT_EQ(h.replica.size(), 10u);
  EXPECT_EQ(passwords.find(7)->value, 1007u);
  EXPECT_EQ(h.channel->stats().errors_1062, 1u);
}

// --- duplicate keys
// --------------------------------------------------------------------------------

TEST(MysqlChannel, OnDuplicateStopHaltsTheApplierUntilTheOperatorFix) {
  MysqlChannelParams p = exp_applier(5'000);
  p.on_duplicate = OnDuplicate::kStop;
  p.operator_fix_time = 600_s;
  Harness h(p, 5, 15_ms);
  // Another channel (say, an MQ) delivered key 100 to the replica first.
  h.replica.apply(foreign_insert(100, h.bj), ApplyRule::kOverwrite, Time(0));
  h.poisson_writes(100, 2'000);  // keys 1..2000, 20 s of writes from 1 s
  std::uint64_t backlog_during_stop = 0;
  bool stopped_during = false;
  h.engine.schedule_at(Time(300'000'000'000), [&] {
    backlog_during_stop = h.channel->relay_backlog();
    stopped_during = h.channel->applier_stopped();
  });
  h.engine.run();
  const auto& s = h.channel->stats();
  EXPECT_TRUE(stopped_during);
  EXPECT_EQ(backlog_during_stop, 2'000u - 99u) << "everything from key 100 on waits";
  EXPECT_EQ(s.errors_1062, 1u);
  EXPECT_EQ(s.operator_fixes, 1u);
  EXPECT_NEAR(s.stopped.seconds(), 600.0, 1e-9);
  EXPECT_FALSE(h.channel->applier_stopped());
  EXPECT_EQ(s.delivered, 1'999u);
  EXPECT_EQ(h.channel->relay_backlog(), 0u);
}

TEST(MysqlChannel, OnDuplicateSkipAndOverwriteNeverHalt) {
  for (const OnDuplicate mode : {OnDuplicate::kSkip, OnDuplicate::kOverwrite}) {
    MysqlChannelParams p = exp_applier(5'000);
    p.on_duplicate = mode;
    Harness h(p, 5, 15_ms);
    for (std::uint64_t k = 100; k < 110; ++k) {
      h.replica.apply(foreign_insert(k, h.bj), ApplyRule::kOverwrite, Time(0));
    }
    h.poisson_writes(100, 2'000);
    h.engine.run();
    const auto& s = h.channel->stats();
    EXPECT_EQ(s.errors_1062, 10u);
    EXPECT_EQ(s.stopped, Duration::zero());
    EXPECT_EQ(s.operator_fixes, 0u);
    EXPECT_EQ(h.channel->relay_backlog(), 0u);
    if (mode == OnDuplicate::kSkip) {
      EXPECT_EQ(s.skipped, 10u);
      EXPECT_EQ(h.replica.find(105)->value, 999u) << "skip keeps the replica's row";
    } else {
      EXPECT_EQ(s.delivered, 2'000u);
      EXPECT_EQ(h.replica.find(105)->value, h.source.find(105)->value) << "overwrite replaces";
    }
  }
}

// --- master-master
// ---------------------------------------------------------------------------------

struct MasterMaster {
  sim::Engine engine;
  Topology topology;
  DcId a;
  DcId b;
  LinkId link;
  std::unique_ptr<Network> network;
  Store store_a;
  Store store_b;
  std::unique_ptr<MysqlChannel> a_to_b;
  std::unique_ptr<MysqlChannel> b_to_a;
  VersionClock clock_a;
  VersionClock clock_b;
  sim::Rng rng;

  explicit MasterMaster(ApplyRule rule)
      : a(topology.add_datacenter("a", "Beijing")),
        b(topology.add_datacenter("b", "Shanghai")),
        store_a(a, "profile"),
        store_b(b, "profile"),
        clock_a(a),
        clock_b(b),
        rng(9, "test/master-master") {
    LinkSpec spec;
    spec.name = "a-b";
    spec.a = a;
    spec.b = b;
    spec.latency = sim::Distribution::constant(15e6);
    link = topology.add_link(spec);
    network = std::make_unique<Network>(engine, topology, 9);
    MysqlChannelParams p;
    p.apply_rule = rule;
    p.apply_time = sim::Distribution::exponential(100'000);
    p.name = "a-b";
    a_to_b = std::make_unique<MysqlChannel>(*network, topology.make_path(a, {link}), store_a,
                                            store_b, p, 9);
    p.name = "b-a";
    b_to_a = std::make_unique<MysqlChannel>(*network, topology.make_path(b, {link}), store_b,
                                            store_a, p, 9);
    // log_replica_updates: what a store takes from elsewhere goes into its binlog too; loop
    // prevention by origin keeps it from going back.
    a_to_b->set_apply_listener([this](const Write& w) {
      clock_b.observe(w.version);
      b_to_a->ship(w);
    });
    b_to_a->set_apply_listener([this](const Write& w) {
      clock_a.observe(w.version);
      a_to_b->ship(w);
    });
    // Both DCs start with keys 1..5.
    for (std::uint64_t k = 1; k <= 5; ++k) {
      Write w;
      w.key = k;
      w.version = Version{a, k, 0};
      store_a.apply(w, ApplyRule::kOverwrite, Time(0));
      store_b.apply(w, ApplyRule::kOverwrite, Time(0));
    }
  }

  void update(Store& store, VersionClock& clock, MysqlChannel& out) {
    Write w;
    w.key = 1 + rng.below(5);
    w.kind = WriteKind::kUpdate;
    w.version = clock.next(engine.now());
    w.value = rng.next_u64();
    w.commit_time = engine.now();
    w.bytes = 100;
    store.commit(w, engine.now());
    out.ship(w);
  }

  // Both DCs update the 5 hot keys, 50 times a second each, for 20 s.
  void run() {
    struct Ticker {
      MasterMaster* m;
      int left;
      void tick() {
        m->update(m->store_a, m->clock_a, *m->a_to_b);
        m->update(m->store_b, m->clock_b, *m->b_to_a);
        if (--left > 0) {
          const double s = -std::log(m->rng.uniform_open0()) / 50.0;
          m->engine.schedule_in(Duration::from_seconds(s), [this] { tick(); });
        }
      }
    } ticker{this, 1000};
    engine.schedule_at(Time(1'000'000'000), [&ticker] { ticker.tick(); });
    engine.run();
    // A last pair of updates to key 1 at the same instant in both DCs: they cross on the link.
    Write wa;
    wa.key = 1;
    wa.kind = WriteKind::kUpdate;
    wa.value = 0xA;
    wa.bytes = 100;
    Write wb = wa;
    wb.value = 0xB;
    engine.schedule_in(1_s, [this, &wa, &wb] {
      wa.version = clock_a.next(engine.now());
      wb.version = clock_b.next(engine.now());
      wa.commit_time = wb.commit_time = engine.now();
      store_a.commit(wa, engine.now());
      store_b.commit(wb, engine.now());
      a_to_b->ship(wa);
      b_to_a->ship(wb);
    });
    engine.run();
  }
};

TEST(MysqlChannel, MasterMasterOnAHotKeyDivergesUnderOverwrite) {
  MasterMaster m(ApplyRule::kOverwrite);
  m.run();
  EXPECT_FALSE(divergent_keys(m.store_a, m.store_b).empty());
  EXPECT_GT(m.a_to_b->stats().loop_filtered + m.b_to_a->stats().loop_filtered, 0u);
  EXPECT_GT(m.store_a.stats().order_violations + m.store_b.stats().order_violations, 0u);
}

TEST(MysqlChannel, MasterMasterOnAHotKeyConvergesUnderLastWriterWins) {
  MasterMaster m(ApplyRule::kLastWriterWins);
  m.run();
  EXPECT_TRUE(divergent_keys(m.store_a, m.store_b).empty());
  EXPECT_GT(m.a_to_b->stats().stale + m.b_to_a->stats().stale, 0u)
      << "conflicts happened and were resolved, not avoided";
  EXPECT_EQ(m.store_a.stats().order_violations + m.store_b.stats().order_violations, 0u);
}

// --- validation and determinism
// --------------------------------------------------------------------

TEST(MysqlChannel, BadParametersAreRejectedWithTheChannelNamed) {
  MysqlChannelParams p;
  p.name = "accounts-bj-sh";
  p.threads = 0;
  EXPECT_THROW(
      {
        try {
          Harness h(p);
        } catch (const InvalidArgument& e) {
          EXPECT_NE(std::string(e.what()).find("accounts-bj-sh"), std::string::npos);
          EXPECT_NE(std::string(e.what()).find("threads"), std::string::npos);
          throw;
        }
      },
      InvalidArgument);
}

TEST(MysqlChannel, TheSameSeedGivesTheSameRun) {
  auto run = [](std::uint64_t seed) {
    MysqlChannelParams p = exp_applier(1000);
    p.threads = 4;
    p.parallelism = ApplierParallelism::kWriteset;
    Harness h(p, seed);
    h.poisson_writes(2500, 20'000);
    h.engine.run();
    return std::make_pair(h.engine.fingerprint(), h.channel->lag().sum());
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1).first, run(2).first);
}

}  // namespace
}  // namespace geodes::models
