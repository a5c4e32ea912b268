// The MQ channel against queueing theory and against Kafka's documented behaviour: ordering only
// within a partition, at-least-once redelivery, acks and broker crashes, rebalances.
//
// Statistical tolerances: as in mysql_channel_test.cpp, theory checks run R independent
// replications and compare the grand mean with theory within t(R-1, alpha = 1e-4) standard errors
// of the replication means, and assert the tolerance is tight. Mechanism checks (losses,
// duplicates, offsets) are exact: they count messages, so they hold to the message or fail.
//
// An MQ channel never runs out of events (consumers long-poll every fetch_max_wait), so every run
// here is bounded with run_until().
#include "geodes/models/channels/mq_channel.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
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

Time at_s(double s) { return Time(static_cast<std::int64_t>(std::llround(s * 1e9))); }

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

enum class BrokerAt { kSource, kReplica };

// Beijing (source) and Shanghai (replica) joined by one link; the broker in one of them, so one of
// the two paths is local and the other crosses the link.
struct Harness {
  // Poisson arrivals of some operation; lives as long as the harness.
  struct Driver {
    Harness* h;
    double rate;
    std::uint64_t left;
    std::function<void()> op;
    void schedule() {
      const double s = -std::log(h->arrivals.uniform_open0()) / rate;
      h->engine.schedule_in(Duration::from_seconds(s), [this] { next(); });
    }
    void next() {
      if (left == 0) return;  // stopped
      op();
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
  std::unique_ptr<MqChannel> channel;
  VersionClock clock;
  sim::Rng arrivals;
  sim::Rng keys;
  std::uint64_t committed = 0;
  std::uint64_t next_key = 0;
  std::vector<std::unique_ptr<Driver>> drivers;

  explicit Harness(const MqChannelParams& params, std::uint64_t seed = 1,
                   BrokerAt broker = BrokerAt::kSource,
                   sim::Distribution latency = sim::Distribution::constant(15e6))
      : bj(topology.add_datacenter("beijing", "Beijing")),
        sh(topology.add_datacenter("shanghai", "Shanghai")),
        source(bj, "accounts"),
        replica(sh, "accounts"),
        clock(bj),
        arrivals(seed, "test/arrivals"),
        keys(seed, "test/keys") {
    LinkSpec spec;
    spec.name = "bj-sh";
    spec.a = bj;
    spec.b = sh;
    spec.latency = std::move(latency);
    link = topology.add_link(spec);
    network = std::make_unique<Network>(engine, topology, seed);
    const Path remote = topology.make_path(bj, {link});
    const Path produce = broker == BrokerAt::kSource ? topology.make_path(bj, {}) : remote;
    const Path consume = broker == BrokerAt::kSource ? remote : topology.make_path(sh, {});
    channel = std::make_unique<MqChannel>(*network, produce, consume, replica, params, seed);
  }

  // Commits a write of `key` at the source now and publishes it.
  Write commit(std::uint64_t key, WriteKind kind = WriteKind::kInsert) {
    Write w;
    w.key = key;
    w.kind = kind;
    w.version = clock.next(engine.now());
    w.value = w.version.seq;
    w.commit_time = engine.now();
    w.bytes = 200;
    EXPECT_EQ(source.commit(w, engine.now()), ApplyResult::kApplied);
    channel->publish(w);
    ++committed;
    return w;
  }

  void poisson(double rate, std::uint64_t count, std::function<void()> op,
               Time start = Time(1'000'000'000)) {
    drivers.push_back(std::make_unique<Driver>(Driver{this, rate, count, std::move(op)}));
    engine.schedule_at(start, [d = drivers.back().get()] { d->schedule(); });
  }

  // `count` Poisson inserts of new keys.
  void inserts(double rate, std::uint64_t count, Time start = Time(1'000'000'000)) {
    poisson(
        rate, count, [this] { commit(++next_key); }, start);
  }

  void stop_writes() {
    for (auto& d : drivers) d->left = 0;
  }

  void link_state(LinkCondition c) {
    LinkState s;
    s.condition = c;
    network->set_state(link, s);
  }

  // Runs until the channel is caught up (nothing in the log, nothing unacknowledged) or `limit`.
  void run_until_caught_up(Time limit) {
    while (engine.now() < limit) {
      engine.run_until(std::min(limit, engine.now() + 1_s));
      if (channel->backlog() == 0 && channel->unacknowledged() == 0 && drivers_done()) {
        return;
      }
    }
  }

  [[nodiscard]] bool drivers_done() const {
    for (const auto& d : drivers) {
      if (d->left > 0) return false;
    }
    return true;
  }
};

MqChannelParams exp_apply(double rate_per_s) {
  MqChannelParams p;
  p.apply_time = sim::Distribution::exponential(1e9 / rate_per_s);
  return p;
}

// --- ordering
// -------------------------------------------------------------------------------------

// Updates of a few hot keys (key 1 is drawn most: a key is floor(50 u^3) + 1), after inserting
// the 50 keys.
void hot_updates(Harness& h, double rate, std::uint64_t count) {
  h.engine.schedule_at(Time(500'000'000), [&h] {
    for (std::uint64_t k = 1; k <= 50; ++k) h.commit(k);
  });
  h.poisson(rate, count, [&h] {
    const double u = h.keys.uniform01();
    h.commit(1 + static_cast<std::uint64_t>(50 * u * u * u), WriteKind::kUpdate);
  });
}

TEST(MqChannel, ByKeyPartitioningNeverReordersAKeyWhateverTheLoad) {
  // 8 partitions, 8 consumers, 2,000 applies/s each; the hottest key alone takes about a third of
  // the updates, so at 20,000/s its partition is overloaded five times over.
  for (const double rate : {100.0, 2'000.0, 20'000.0}) {
    MqChannelParams p = exp_apply(2'000);
    p.partitions = 8;
    p.consumers = 8;
    p.apply_rule = ApplyRule::kOverwrite;
    Harness h(p, 11, BrokerAt::kSource, sim::Distribution::lognormal_median_p99(15e6, 25e6));
    hot_updates(h, rate, 20'000);
    h.run_until_caught_up(Time(600'000'000'000));
    const auto& s = h.channel->stats();
    ASSERT_EQ(h.channel->backlog(), 0u) << "rate " << rate;
    EXPECT_EQ(s.processed, h.committed) << "rate " << rate;
    EXPECT_EQ(s.duplicates, 0u);
    EXPECT_EQ(h.replica.stats().order_violations, 0u) << "rate " << rate;
    EXPECT_TRUE(divergent_keys(h.source, h.replica).empty()) << "rate " << rate;
    if (rate == 20'000.0) {
      EXPECT_GT(h.channel->lag().max(), 1'000'000'000) << "the hot partition was overloaded";
    }
  }
}

TEST(MqChannel, RoundRobinOnAHotKeyReordersUpdatesAndMoreSoAsTheRateGrows) {
  // Consecutive updates of one key go to different partitions, whose consumers race: each fetch
  // response crosses a jittery link (lognormal, median 15 ms, p99 25 ms) on its own, so two
  // updates closer than the jitter often land in the wrong order. (Past about one update per
  // consumer round trip the count stops growing: each fetch then brings a run of a partition,
  // applied as a burst, and fewer bursts interleave. Measured with this seed: 39, 94, 157, 322,
  // 757, 1406 at 5 to 200 per second, then 1001, 650, 635 at 500, 1,000, 5,000.)
  std::vector<std::uint64_t> violations;
  for (const double rate : {10.0, 20.0, 50.0, 100.0, 200.0}) {
    MqChannelParams p = exp_apply(5'000);
    p.partitions = 4;
    p.consumers = 4;
    p.partitioning = MqPartitioning::kRoundRobin;
    p.apply_rule = ApplyRule::kOverwrite;
    Harness h(p, 12, BrokerAt::kSource, sim::Distribution::lognormal_median_p99(15e6, 25e6));
    h.engine.schedule_at(Time(500'000'000), [&h] { h.commit(1); });
    h.poisson(rate, 4'000, [&h] { h.commit(1, WriteKind::kUpdate); });
    h.run_until_caught_up(Time(600'000'000'000));
    ASSERT_EQ(h.channel->stats().processed, h.committed);
    violations.push_back(h.replica.stats().order_violations);
  }
  for (std::size_t i = 1; i < violations.size(); ++i) {
    EXPECT_LT(violations[i - 1], violations[i])
        << "violations at rates 10, 20, 50, 100, 200: " << violations[0] << " " << violations[1]
        << " " << violations[2] << " " << violations[3] << " " << violations[4];
  }
  EXPECT_GT(violations[0], 0u);
}

TEST(MqChannel, RoundRobinReordersUniqueInsertsHarmlessly) {
  MqChannelParams p = exp_apply(5'000);
  p.partitions = 8;
  p.consumers = 4;
  p.partitioning = MqPartitioning::kRoundRobin;
  p.apply_rule = ApplyRule::kStrict;  // an insert applied twice would be a duplicate-key error
  Harness h(p, 13, BrokerAt::kSource, sim::Distribution::lognormal_median_p99(15e6, 25e6));
  std::uint64_t out_of_order = 0;
  std::uint64_t newest = 0;
  h.channel->set_arrival_listener([&](const Write& w, ApplyResult) {
    if (w.key < newest) ++out_of_order;
    newest = std::max(newest, w.key);
  });
  h.inserts(3'000, 30'000);
  h.run_until_caught_up(Time(100'000'000'000));
  EXPECT_GT(out_of_order, 1'000u) << "accounts A then B arrived as B then A";
  EXPECT_EQ(h.replica.size(), h.committed) << "every row arrived";
  EXPECT_TRUE(divergent_keys(h.source, h.replica).empty());
  EXPECT_EQ(h.replica.stats().order_violations, 0u);
  EXPECT_EQ(h.replica.stats().duplicate_key, 0u);
  EXPECT_EQ(h.channel->stats().delivered, h.committed);
}

// --- at-least-once ------------------------------------------------------------------------------

// A redelivery scenario: keys 1..200 inserted, then 12,000 Poisson updates of them (or inserts of
// new keys) at 3,000/s, more than the two consumers' 2,000 applies/s, so a backlog builds and
// polls return full batches of 500; consumer 0 crashes at 3 s, its partitions go to consumer 1
// after the 1 s session timeout and come back when it restarts at 6 s, each move leaving an
// uncommitted window of up to a batch to be redelivered.
struct Redelivery {
  explicit Redelivery(ApplyRule rule, bool updates) : h(params(rule), 21) {
    h.engine.schedule_at(Time(500'000'000), [this] {
      for (std::uint64_t k = 1; k <= 200; ++k) h.commit(k);
    });
    if (updates) {
      h.poisson(3'000, 12'000, [this] { h.commit(1 + h.keys.below(200), WriteKind::kUpdate); });
    } else {
      h.next_key = 200;
      h.inserts(3'000, 12'000);
    }
    h.engine.schedule_at(Time(3'000'000'000), [this] { h.channel->crash_consumer(0, 3_s); });
    h.run_until_caught_up(Time(100'000'000'000));
  }
  static MqChannelParams params(ApplyRule rule) {
    MqChannelParams p = exp_apply(1'000);
    p.partitions = 4;
    p.consumers = 2;
    p.apply_rule = rule;
    p.session_timeout = 1_s;
    return p;
  }
  Harness h;
};

TEST(MqChannel, RedeliveredDuplicatesAreHarmlessUnderAnIdempotentRule) {
  // New rows under insert_if_absent; updates under last_writer_wins.
  for (const bool updates : {false, true}) {
    Redelivery r(updates ? ApplyRule::kLastWriterWins : ApplyRule::kInsertIfAbsent, updates);
    const auto& s = r.h.channel->stats();
    EXPECT_GT(s.duplicates, 100u) << "updates " << updates;
    EXPECT_EQ(s.redelivered, s.duplicates);
    EXPECT_EQ(s.rebalances, 2u) << "the session timeout, then the restart";
    EXPECT_TRUE(divergent_keys(r.h.source, r.h.replica).empty()) << "updates " << updates;
    EXPECT_EQ(r.h.replica.stats().order_violations, 0u) << "updates " << updates;
    EXPECT_EQ(updates ? s.stale : s.skipped, s.duplicates) << "each duplicate was recognised";
  }
}

TEST(MqChannel, RedeliveredUpdatesRollRowsBackUnderOverwrite) {
  Redelivery r(ApplyRule::kOverwrite, /*updates=*/true);
  EXPECT_GT(r.h.channel->stats().duplicates, 100u);
  // A replayed window re-applies old versions over newer ones: the replica goes back in time.
  // Those whose key was updated again since roll it back (a third here; every one would under a
  // single hot key); under an idempotent rule none does (the test above).
  EXPECT_GT(r.h.replica.stats().order_violations * 10, r.h.channel->stats().duplicates);
}

TEST(MqChannel, AfterAConsumerCrashTheDuplicatesAreExactlyTheUncommittedWindow) {
  MqChannelParams p = exp_apply(2'000);
  p.partitions = 4;
  p.consumers = 2;
  p.apply_rule = ApplyRule::kInsertIfAbsent;
  p.session_timeout = 10_s;
  Harness h(p, 22);
  h.inserts(1'500, 30'000);  // 1 s to about 21 s
  std::uint64_t window = 0;
  std::vector<int> lost_partitions;
  h.engine.schedule_at(at_s(5.3), [&] {
    lost_partitions = h.channel->assignment(0);
    for (const int q : lost_partitions) {
      window += h.channel->processed_offset(q) - h.channel->committed_offset(q);
    }
    h.channel->crash_consumer(0, 1_h);
  });
  h.run_until_caught_up(Time(200'000'000'000));
  const auto& s = h.channel->stats();
  EXPECT_EQ(lost_partitions, (std::vector<int>{0, 1})) << "range assignment";
  ASSERT_GT(window, 0u) << "processed but not committed at the crash";
  EXPECT_EQ(s.duplicates, window);
  EXPECT_EQ(s.redelivered, window);
  EXPECT_EQ(s.processed, h.committed + window);
  EXPECT_EQ(s.skipped, window) << "insert_if_absent skips each duplicate";
  EXPECT_EQ(s.producer_retries, 0u);
  EXPECT_EQ(h.replica.size(), h.committed);
  EXPECT_EQ(h.channel->assignment(1), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_FALSE(h.channel->consumer_alive(0));
}

TEST(MqChannel, ACrashedConsumersPartitionsPauseForTheSessionTimeoutWhileTheOthersFlow) {
  MqChannelParams p = exp_apply(5'000);
  p.partitions = 4;
  p.consumers = 2;
  p.session_timeout = 20_s;
  Harness h(p, 23);
  h.inserts(1'000, 40'000);  // 1 s to about 41 s
  h.engine.schedule_at(at_s(10), [&] { h.channel->crash_consumer(0, 1_h); });
  std::vector<std::uint64_t> early(4);
  std::vector<std::uint64_t> late(4);
  h.engine.schedule_at(at_s(10.1), [&] {
    for (int q = 0; q < 4; ++q) early[static_cast<std::size_t>(q)] = h.channel->committed_offset(q);
  });
  h.engine.schedule_at(at_s(29.9), [&] {
    for (int q = 0; q < 4; ++q) late[static_cast<std::size_t>(q)] = h.channel->committed_offset(q);
  });
  h.run_until_caught_up(Time(200'000'000'000));
  EXPECT_EQ(late[0], early[0]) << "partition 0 idle for the session timeout";
  EXPECT_EQ(late[1], early[1]) << "partition 1 idle for the session timeout";
  EXPECT_GT(late[2], early[2] + 3'000) << "partition 2 kept flowing";
  EXPECT_GT(late[3], early[3] + 3'000) << "partition 3 kept flowing";
  // The age of the oldest uncommitted message, sampled at commits and fetches.
  auto max_age = [&h](int q) {
    const auto& series = h.channel->consumer_lag_time()[static_cast<std::size_t>(q)];
    double m = 0;
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (series.count(i) > 0) m = std::max(m, series.max(i));
    }
    return m;
  };
  EXPECT_GE(max_age(0), 20e9 - 0.1e9);
  EXPECT_GE(max_age(1), 20e9 - 0.1e9);
  EXPECT_LT(max_age(2), 1e9);
  EXPECT_LT(max_age(3), 1e9);
  EXPECT_GE(h.channel->lag().max(), 20'000'000'000 - 100'000'000);
  EXPECT_EQ(h.channel->stats().rebalances, 1u);
  EXPECT_EQ(h.replica.size(), h.committed);
}

// --- producer acks and broker crashes
// -------------------------------------------------------------

MqChannelParams crash_params(MqAcks acks) {
  MqChannelParams p = exp_apply(10'000);
  p.partitions = 4;
  p.consumers = 2;
  p.acks = acks;
  p.apply_rule = ApplyRule::kInsertIfAbsent;
  // Slow followers, so many messages are unreplicated at any instant.
  p.replication_time = sim::Distribution::exponential(5e6);
  p.append_time = sim::Distribution::constant(0);
  return p;
}

TEST(MqChannel, AcksOneLosesExactlyTheUnreplicatedMessagesOnABrokerCrash) {
  // Broker in the source DC: acks come back at once, before the followers have the message.
  Harness h(crash_params(MqAcks::k1), 31, BrokerAt::kSource);
  h.inserts(2'000, 20'000);  // 1 s to about 11 s
  std::uint64_t unreplicated = 0;
  h.engine.schedule_at(at_s(5), [&] {
    unreplicated = h.channel->unreplicated();
    h.channel->crash_broker(2_s);
  });
  h.run_until_caught_up(Time(100'000'000'000));
  const auto& s = h.channel->stats();
  ASSERT_GT(unreplicated, 3u);
  EXPECT_EQ(s.lost_unreplicated, unreplicated);
  EXPECT_EQ(s.lost_in_transit, unreplicated);
  EXPECT_EQ(h.replica.size() + unreplicated, h.committed) << "nothing else is missing";
  EXPECT_EQ(s.broker_crashes, 1u);
  EXPECT_EQ(s.acknowledged, h.committed) << "acks 1 acknowledged the lost ones too";
}

TEST(MqChannel, AcksAllLosesNothingOnABrokerCrashButItsRetriesDuplicate) {
  // Broker in the replica DC: acks in flight when it crashes are lost, so the producer resends
  // messages the followers had.
  Harness h(crash_params(MqAcks::kAll), 32, BrokerAt::kReplica);
  h.inserts(2'000, 20'000);
  std::uint64_t unreplicated = 0;
  h.engine.schedule_at(at_s(5), [&] {
    unreplicated = h.channel->unreplicated();
    h.channel->crash_broker(2_s);
  });
  h.run_until_caught_up(Time(100'000'000'000));
  const auto& s = h.channel->stats();
  ASSERT_GT(unreplicated, 3u) << "the crash dropped messages";
  EXPECT_EQ(s.lost_in_transit, 0u);
  EXPECT_EQ(h.replica.size(), h.committed);
  EXPECT_GT(s.producer_retries, unreplicated);
  EXPECT_GT(s.duplicates, 0u);
  EXPECT_EQ(s.processed, h.committed + s.duplicates);
  EXPECT_EQ(s.acknowledged, h.committed);
}

TEST(MqChannel, AnIdempotentProducerRetriesWithoutDuplicates) {
  MqChannelParams p = crash_params(MqAcks::kAll);
  p.idempotent = true;
  Harness h(p, 32, BrokerAt::kReplica);  // the run above, de-duplicated
  h.inserts(2'000, 20'000);
  h.engine.schedule_at(at_s(5), [&] { h.channel->crash_broker(2_s); });
  h.run_until_caught_up(Time(100'000'000'000));
  const auto& s = h.channel->stats();
  EXPECT_GT(s.producer_retries, 0u);
  EXPECT_EQ(s.duplicates, 0u);
  EXPECT_EQ(s.processed, h.committed);
  EXPECT_EQ(s.lost_in_transit, 0u);
  EXPECT_EQ(h.replica.size(), h.committed);
}

TEST(MqChannel, AcksZeroLosesWhatIsSentWhileTheBrokerIsDown) {
  // Fire and forget: nothing is resent, so what was on the wire or unreplicated at the crash is
  // gone, and everything is acknowledged.
  Harness h(crash_params(MqAcks::k0), 33, BrokerAt::kReplica);
  h.inserts(2'000, 20'000);
  h.engine.schedule_at(at_s(5), [&] { h.channel->crash_broker(2_s); });
  h.run_until_caught_up(Time(100'000'000'000));
  const auto& s = h.channel->stats();
  EXPECT_EQ(s.producer_retries, 0u);
  EXPECT_EQ(s.acknowledged, h.committed);
  EXPECT_GT(s.lost_producer, 0u) << "copies on the wire at the crash";
  EXPECT_GT(s.lost_unreplicated, 0u);
  EXPECT_EQ(h.replica.size() + s.lost_in_transit, h.committed);
}

TEST(MqChannel, ARequestTimeoutRetriesASlowAckAndDuplicatesWithoutIdempotence) {
  // Followers sometimes take longer than request_timeout: the producer gives up waiting and sends
  // again, though the first copy is in the log.
  for (const bool idempotent : {false, true}) {
    MqChannelParams p = exp_apply(10'000);
    p.acks = MqAcks::kAll;
    p.idempotent = idempotent;
    p.apply_rule = ApplyRule::kInsertIfAbsent;
    p.request_timeout = 100_ms;
    p.replication_time = sim::Distribution::pareto(1e6, 1.2);  // heavy tail
    Harness h(p, 34, BrokerAt::kReplica);
    h.inserts(200, 5'000);
    h.run_until_caught_up(Time(600'000'000'000));
    const auto& s = h.channel->stats();
    EXPECT_GT(s.producer_retries, 10u);
    EXPECT_EQ(s.duplicates, idempotent ? 0u : s.appended - h.committed);
    if (!idempotent) {
      EXPECT_GT(s.duplicates, 0u);
    }
    EXPECT_EQ(h.replica.size(), h.committed);
    EXPECT_EQ(s.lost_in_transit, 0u);
  }
}

TEST(MqChannel, AcksComeAfterTheAppendUnderOneAfterReplicationUnderAllAndAtOnceUnderZero) {
  // Broker in Shanghai, 15 ms each way, constant append 0.2 ms and replication 1 ms, sparse
  // publishes: the producer sees its ack one round trip plus the broker's work later.
  for (const MqAcks acks : {MqAcks::k0, MqAcks::k1, MqAcks::kAll}) {
    MqChannelParams p;
    p.acks = acks;
    Harness h(p, 35, BrokerAt::kReplica);
    sim::Histogram ack_latency;
    h.channel->set_ack_listener(
        [&](const Write& w, Time t) { ack_latency.record((t - w.commit_time).ns()); });
    h.inserts(50, 500);
    h.run_until_caught_up(Time(100'000'000'000));
    const double expected = acks == MqAcks::k0 ? 0 : acks == MqAcks::k1 ? 30.2e6 : 31.2e6;
    EXPECT_EQ(ack_latency.count(), 500u) << to_string(acks);
    EXPECT_EQ(static_cast<double>(ack_latency.min()), expected) << to_string(acks);
    // Now and then a publish comes within 0.2 ms of the one before and waits for its append.
    EXPECT_NEAR(ack_latency.quantile(0.5), expected, 0.01 * expected) << to_string(acks);
    EXPECT_LT(static_cast<double>(ack_latency.max()), expected + 1e6) << to_string(acks);
  }
}

TEST(MqChannel, AnAckListenerChangesWhenAcksAreSeenAndNothingElse) {
  // Without a listener acks are taken in lazily; the run must be the same.
  auto run = [](bool listen) {
    MqChannelParams p = crash_params(MqAcks::kAll);
    p.request_timeout = 50_ms;
    p.replication_time = sim::Distribution::pareto(1e6, 1.2);
    Harness h(p, 36, BrokerAt::kReplica);
    std::uint64_t acks = 0;
    if (listen) h.channel->set_ack_listener([&](const Write&, Time) { ++acks; });
    h.inserts(2'000, 20'000);
    h.engine.schedule_at(at_s(4), [&] { h.channel->crash_broker(1_s); });
    h.engine.schedule_at(at_s(6), [&] { h.link_state(LinkCondition::kDown); });
    h.engine.schedule_at(at_s(7), [&] { h.link_state(LinkCondition::kUp); });
    h.run_until_caught_up(Time(100'000'000'000));
    const auto& s = h.channel->stats();
    if (listen) {
      EXPECT_EQ(acks, s.acknowledged);
    }
    return std::vector<std::uint64_t>{s.acknowledged,
                                      s.producer_retries,
                                      s.appended,
                                      s.processed,
                                      s.duplicates,
                                      s.lost_in_transit,
                                      static_cast<std::uint64_t>(h.channel->lag().sum())};
  };
  const auto quiet = run(false);
  EXPECT_EQ(quiet, run(true));
  EXPECT_GT(quiet[1], 100u) << "retries happened";
}

// --- network and outages ------------------------------------------------------------------------

TEST(MqChannel, ACutConsumePathBreaksTheFetchesUntilTheRetryAfterTheLinkReturns) {
  MqChannelParams p = exp_apply(10'000);
  p.partitions = 4;
  p.consumers = 2;
  p.retry_interval = 5_s;
  p.apply_rule = ApplyRule::kStrict;  // a row applied twice would show as a duplicate-key error
  Harness h(p, 41, BrokerAt::kSource);
  h.inserts(500, 15'000);  // 1 s to about 31 s
  std::uint64_t processed_at_cut = 0;
  std::uint64_t processed_before_return = 0;
  h.engine.schedule_at(at_s(10), [&] {
    h.link_state(LinkCondition::kDown);
    processed_at_cut = h.channel->stats().processed;
  });
  h.engine.schedule_at(at_s(20), [&] {
    processed_before_return = h.channel->stats().processed;
    h.link_state(LinkCondition::kUp);
  });
  h.run_until_caught_up(Time(200'000'000'000));
  const auto& s = h.channel->stats();
  // Batches already received when the link went down are applied; nothing is fetched after.
  EXPECT_LT(processed_before_return - processed_at_cut, 50u);
  EXPECT_EQ(h.replica.size(), h.committed);
  EXPECT_EQ(h.replica.stats().duplicate_key, s.duplicates);
  // Retries every 5 s from the cut: the first after the return is at 20 s + up to 5 s.
  EXPECT_GT(h.channel->lag().max(), 9'900'000'000);
  EXPECT_LT(h.channel->lag().max(), 15'500'000'000);
}

TEST(MqChannel, ChannelStopPausesConsumptionWithoutDuplicatesAndCountsTheStop) {
  MqChannelParams p = exp_apply(5'000);
  p.partitions = 4;
  p.consumers = 2;
  p.apply_rule = ApplyRule::kStrict;
  Harness h(p, 42);
  h.inserts(1'000, 20'000);
  h.engine.schedule_at(at_s(5), [&] { h.channel->set_consuming(false); });
  std::uint64_t at_6 = 0;
  std::uint64_t at_14 = 0;
  h.engine.schedule_at(at_s(6), [&] { at_6 = h.channel->stats().processed; });
  h.engine.schedule_at(at_s(14), [&] { at_14 = h.channel->stats().processed; });
  h.engine.schedule_at(at_s(15), [&] { h.channel->set_consuming(true); });
  h.run_until_caught_up(Time(200'000'000'000));
  const auto& s = h.channel->stats();
  EXPECT_EQ(at_14, at_6);
  EXPECT_EQ(s.duplicates, 0u) << "a graceful stop commits what it applied";
  EXPECT_EQ(s.stopped, 10_s);
  EXPECT_EQ(h.replica.size(), h.committed);
  EXPECT_GT(h.channel->lag().max(), 9'900'000'000);
}

TEST(MqChannel, ASourceOutageKeepsUnsentPublishesAndSendsThemWhenItReturns) {
  Harness h(exp_apply(10'000), 45, BrokerAt::kReplica);
  h.inserts(2'000, 100'000);
  std::uint64_t appended_at_outage = 0;
  std::uint64_t appended_before_return = 0;
  h.engine.schedule_at(at_s(5), [&] {
    h.stop_writes();  // the DC's clients stop with it
    appended_at_outage = h.channel->stats().appended;
    h.channel->set_source_up(false);
  });
  h.engine.schedule_at(at_s(35), [&] {
    appended_before_return = h.channel->stats().appended;
    h.channel->set_source_up(true);
  });
  h.run_until_caught_up(Time(200'000'000'000));
  const auto& s = h.channel->stats();
  ASSERT_LT(appended_at_outage, h.committed) << "publishes were on the wire";
  EXPECT_EQ(appended_before_return, appended_at_outage) << "nothing sent while down";
  EXPECT_EQ(s.lost_in_transit, 0u);
  EXPECT_EQ(h.replica.size(), h.committed);
  EXPECT_GT(s.producer_retries, 0u) << "what was unacknowledged went again";
  EXPECT_GT(h.channel->lag().max(), 29'000'000'000);
}

TEST(MqChannel, AReplicaOutageStopsTheConsumersWhoResumeFromTheCommittedOffsets) {
  MqChannelParams p = exp_apply(2'000);
  p.partitions = 4;
  p.consumers = 2;
  p.apply_rule = ApplyRule::kInsertIfAbsent;
  Harness h(p, 46);
  h.inserts(3'000, 60'000);  // overloaded: full batches are being applied at the outage
  std::uint64_t processed_at_outage = 0;
  std::uint64_t processed_before_return = 0;
  std::uint64_t window = 0;
  h.engine.schedule_at(at_s(5), [&] {
    for (int q = 0; q < 4; ++q) {
      window += h.channel->processed_offset(q) - h.channel->committed_offset(q);
    }
    h.channel->set_replica_up(false);
    processed_at_outage = h.channel->stats().processed;
  });
  h.engine.schedule_at(at_s(25), [&] {
    processed_before_return = h.channel->stats().processed;
    h.channel->set_replica_up(true);
  });
  h.run_until_caught_up(Time(300'000'000'000));
  const auto& s = h.channel->stats();
  EXPECT_EQ(processed_before_return, processed_at_outage);
  ASSERT_GT(window, 0u);
  EXPECT_EQ(s.duplicates, window) << "the uncommitted windows are redelivered";
  EXPECT_EQ(s.rebalances, 1u) << "the group forms again";
  EXPECT_EQ(h.replica.size(), h.committed);
}

TEST(MqChannel, ABrokerOutageLongerThanTheDeliveryTimeoutGivesUpWhatWasInFlight) {
  // The broker's DC is down for 200 s; the producer gives up, 120 s after their first send, the
  // publishes it had sent and not had acknowledged. Those already in the log are not lost (the
  // storage is kept); those that were on the wire are. Publishes made during the outage were
  // never sent: they wait and go when it is back.
  Harness h(exp_apply(10'000), 47, BrokerAt::kReplica);
  h.inserts(1'000, 30'000);  // 1 s to about 31 s
  h.engine.schedule_at(at_s(5), [&] { h.channel->set_broker_up(false); });
  h.engine.schedule_at(at_s(205), [&] { h.channel->set_broker_up(true); });
  h.run_until_caught_up(Time(1'000'000'000'000));
  const auto& s = h.channel->stats();
  EXPECT_GT(s.lost_producer, 0u) << "about 15 ms of publishes were on the wire at the outage";
  EXPECT_LT(s.lost_producer, 50u);
  EXPECT_EQ(s.lost_in_transit, s.lost_producer);
  EXPECT_EQ(h.replica.size() + s.lost_producer, h.committed);
  EXPECT_GT(h.channel->lag().max(), 190'000'000'000) << "publishes waited out the outage";
}

TEST(MqChannel, LosingTheSourceLosesExactlyThePublishesWithNoCopyInTheLog) {
  // Broker across the link: publishes on the wire when Beijing is destroyed never arrive.
  Harness h(exp_apply(10'000), 43, BrokerAt::kReplica);
  h.inserts(2'000, 100'000);
  std::vector<Write> lost;
  h.engine.schedule_at(at_s(4), [&] {
    lost = h.channel->lose_source();
    h.stop_writes();
  });
  h.run_until_caught_up(Time(100'000'000'000));
  ASSERT_GT(lost.size(), 10u) << "about 15 ms of publishes were on the wire";
  EXPECT_EQ(h.channel->stats().lost_producer, lost.size());
  EXPECT_EQ(h.replica.size() + lost.size(), h.committed);
  for (const Write& w : lost) EXPECT_FALSE(h.replica.contains(w.key));
  for (std::size_t i = 1; i < lost.size(); ++i) EXPECT_LT(lost[i - 1].key, lost[i].key);
}

TEST(MqChannel, LosingTheBrokerLosesTheUncommittedMessagesThatNoConsumerProcessed) {
  MqChannelParams p = exp_apply(1'000);  // overloaded: a backlog builds
  p.partitions = 2;
  p.consumers = 2;
  Harness h(p, 44);
  h.inserts(4'000, 100'000);
  std::uint64_t backlog = 0;
  std::uint64_t dropped = 0;
  h.engine.schedule_at(at_s(5), [&] {
    backlog = h.channel->backlog();
    dropped = h.channel->lose_broker();
    h.stop_writes();
  });
  h.engine.run_until(Time(60'000'000'000));
  const auto& s = h.channel->stats();
  ASSERT_GT(backlog, 5'000u);
  EXPECT_EQ(dropped, backlog);
  EXPECT_EQ(h.channel->backlog(), 0u);
  EXPECT_EQ(s.lost_broker + s.lost_producer, s.lost_in_transit);
  EXPECT_EQ(h.replica.size() + s.lost_in_transit, h.committed);
  EXPECT_GT(s.lost_broker, backlog - 1'100) << "all but what consumers had processed or fetched";
}

// --- queueing theory ----------------------------------------------------------------------------

// One partition, one consumer at the broker (local fetches), Poisson publishes over a constant
// 15 ms produce path, no append or replication delay: the consumer is an M/M/1 server in FIFO
// order, so lag = 15 ms + Exp(mu - lambda).
MqChannelParams mm1(double mu) {
  MqChannelParams p = exp_apply(mu);
  p.partitions = 1;
  p.consumers = 1;
  p.acks = MqAcks::k1;
  p.append_time = sim::Distribution::constant(0);
  p.replication_time = sim::Distribution::constant(0);
  return p;
}

TEST(MqChannel, OnePartitionOneConsumerIsTheProducePathPlusAnMm1Sojourn) {
  constexpr double kLambda = 700;
  constexpr double kMu = 1000;
  constexpr double kL = 15e6;
  constexpr int kR = 12;
  constexpr double kT = 5.45;  // t(11), two-sided alpha = 1e-4
  std::vector<double> means;
  std::vector<double> p99s;
  std::vector<double> throughputs;
  for (int r = 0; r < kR; ++r) {
    Harness h(mm1(kMu), 100 + static_cast<std::uint64_t>(r), BrokerAt::kReplica);
    Time first;
    Time last;
    h.channel->set_arrival_listener([&](const Write&, ApplyResult) {
      if (first == Time()) first = h.engine.now();
      last = h.engine.now();
    });
    h.inserts(kLambda, 20'000);
    h.run_until_caught_up(Time(1'000'000'000'000));
    ASSERT_EQ(h.channel->stats().processed, 20'000u);
    means.push_back(h.channel->lag().mean());
    p99s.push_back(h.channel->lag().quantile(0.99));
    throughputs.push_back(19'999.0 / (last - first).seconds());
  }
  const double mean = kL + 1e9 / (kMu - kLambda);
  const double p99 = kL + std::log(100.0) * 1e9 / (kMu - kLambda);
  EXPECT_NEAR(mean_of(means), mean, kT * se_of(means));
  EXPECT_NEAR(mean_of(p99s), p99, kT * se_of(p99s) + 0.01 * p99);
  EXPECT_LT(kT * se_of(means), 0.03 * mean);
  // rho < 1: the consumer keeps up, so it processes at the offered rate.
  EXPECT_NEAR(mean_of(throughputs), kLambda, kT * se_of(throughputs));
  EXPECT_LT(kT * se_of(throughputs), 0.02 * kLambda);
}

TEST(MqChannel, LittlesLawHoldsOnTheLogBacklog) {
  Harness h(mm1(1'000), 5, BrokerAt::kReplica);
  h.inserts(900, 50'000);
  h.run_until_caught_up(Time(1'000'000'000'000));
  ASSERT_EQ(h.channel->backlog(), 0u);
  // The backlog gauge integrates to the sum of the messages' times in the log, exactly, on a
  // sample path that starts and ends empty: L = lambda W with lambda = commits / span.
  const auto& gauge = h.channel->consumer_lag_messages()[0];
  long double integral = 0;
  long double span = 0;
  for (std::size_t i = 0; i < gauge.size(); ++i) {
    const auto covered = static_cast<long double>(gauge.covered(i).ns());
    if (covered > 0) integral += static_cast<long double>(gauge.mean(i)) * covered;
    span += covered;
  }
  const auto& w = h.channel->log_residence();
  ASSERT_EQ(w.count(), 50'000u);
  const double l = static_cast<double>(integral / span);
  const double lambda_w = static_cast<double>(w.count()) / static_cast<double>(span) * w.mean();
  EXPECT_NEAR(l, lambda_w, 1e-9 * l);
  EXPECT_GT(l, 3.0) << "a real backlog (M/M/1 at rho 0.9 holds 9 on average)";
}

TEST(MqChannel, LagIsBoundedBelowByThePipelineAndAboveByOneMoreRoundTrip) {
  // Broker in Beijing, one consumer of 8 partitions in Shanghai 15 ms away: nothing arrives sooner
  // than append (0.2 ms) + replication (1 ms) + the response's 15 ms + apply (0.1 ms), which is
  // what a message gets when the consumer's fetch is waiting at the broker. A message that comes
  // while a response or the next request is on the way waits for it: one round trip more at most.
  MqChannelParams p;
  p.apply_time = sim::Distribution::constant(100'000);
  Harness h(p, 6, BrokerAt::kSource);
  h.inserts(2, 1'000);  // sparse: a fetch is usually waiting
  h.run_until_caught_up(Time(2'000'000'000'000));
  ASSERT_EQ(h.channel->stats().processed, 1'000u);
  const double floor = 15e6 + 0.2e6 + 1e6 + 0.1e6;
  EXPECT_GE(static_cast<double>(h.channel->lag().min()), floor);
  EXPECT_NEAR(h.channel->lag().quantile(0.5), floor, 0.01 * floor);
  EXPECT_LE(static_cast<double>(h.channel->lag().max()), floor + 30e6);
  EXPECT_GT(static_cast<double>(h.channel->lag().max()), floor + 5e6) << "some waited";
}

// --- validation and determinism
// ---------------------------------------------------------------------

TEST(MqChannel, BadParametersAreRejectedNamingTheChannelAndTheParameter) {
  struct Case {
    const char* parameter;
    std::function<void(MqChannelParams&)> spoil;
  };
  const std::vector<Case> cases = {
      {"partitions", [](MqChannelParams& p) { p.partitions = 0; }},
      {"partitions", [](MqChannelParams& p) { p.partitions = 5000; }},
      {"consumers", [](MqChannelParams& p) { p.consumers = 0; }},
      {"max_poll_records", [](MqChannelParams& p) { p.max_poll_records = 0; }},
      {"request_timeout", [](MqChannelParams& p) { p.request_timeout = 0_s; }},
      {"delivery_timeout", [](MqChannelParams& p) { p.delivery_timeout = 1_s; }},
      {"fetch_max_wait", [](MqChannelParams& p) { p.fetch_max_wait = 0_s; }},
      {"session_timeout", [](MqChannelParams& p) { p.session_timeout = 0_s; }},
      {"retry_interval", [](MqChannelParams& p) { p.retry_interval = -1_s; }},
      {"series_interval", [](MqChannelParams& p) { p.series_interval = 0_s; }},
      {"idempotent",
       [](MqChannelParams& p) {
         p.idempotent = true;
         p.acks = MqAcks::k1;
       }},
      {"apply_time",
       [](MqChannelParams& p) { p.apply_time = sim::Distribution::uniform(-1e6, 1e6); }},
      {"replication_time",
       [](MqChannelParams& p) { p.replication_time = sim::Distribution::uniform(-1e6, 1e6); }},
  };
  for (const Case& c : cases) {
    MqChannelParams p;
    p.name = "accounts-mq";
    c.spoil(p);
    try {
      Harness h(p);
      ADD_FAILURE() << c.parameter << ": accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("accounts-mq"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.parameter), std::string::npos) << e.what();
    }
  }
}

TEST(MqChannel, PathsThatDoNotMeetAtTheBrokerAndBadIndexesAreRejected) {
  Harness h(MqChannelParams{});
  const Path remote = h.topology.make_path(h.bj, {h.link});
  const Path at_bj = h.topology.make_path(h.bj, {});
  const Path at_sh = h.topology.make_path(h.sh, {});
  // Produce path ends in Shanghai, consume path starts in Beijing.
  auto build = [&h](const Path& produce, const Path& consume) {
    MqChannel c(*h.network, produce, consume, h.replica, MqChannelParams{}, 1);
  };
  EXPECT_THROW(build(remote, remote), InvalidArgument);
  // Consume path ends in Beijing, where the replica is not.
  EXPECT_THROW(build(at_bj, at_bj), InvalidArgument);
  // Source and replica in one DC.
  EXPECT_THROW(build(at_sh, at_sh), InvalidArgument);
  EXPECT_THROW(h.channel->crash_consumer(1, 1_s), InvalidArgument);
  EXPECT_THROW(h.channel->crash_consumer(-1, 1_s), InvalidArgument);
  EXPECT_THROW((void)h.channel->committed_offset(8), InvalidArgument);
  EXPECT_THROW((void)h.channel->assignment(3), InvalidArgument);
}

TEST(MqChannel, TheSameSeedGivesTheSameRunAndAnotherSeedAnother) {
  auto run = [](std::uint64_t seed) {
    MqChannelParams p = exp_apply(3'000);
    p.consumers = 3;
    p.partitioning = MqPartitioning::kRoundRobin;
    p.assignment = MqAssignment::kRoundRobin;
    Harness h(p, seed, BrokerAt::kSource, sim::Distribution::lognormal_median_p99(15e6, 25e6));
    h.inserts(4'000, 20'000);
    h.engine.schedule_at(at_s(2), [&h] { h.channel->crash_consumer(1, 2_s); });
    h.engine.schedule_at(at_s(3), [&h] { h.channel->crash_broker(1_s); });
    h.engine.run_until(Time(30'000'000'000));
    const auto& s = h.channel->stats();
    return std::vector<std::uint64_t>{h.engine.fingerprint(),
                                      static_cast<std::uint64_t>(h.channel->lag().sum()),
                                      s.processed,
                                      s.duplicates,
                                      s.producer_retries,
                                      s.lost_in_transit};
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1)[0], run(2)[0]);
  EXPECT_NE(run(1)[1], run(2)[1]);
}

}  // namespace
}  // namespace geodes::models
