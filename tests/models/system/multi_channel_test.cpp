// Multi-channel sync with a MySQL replication channel and an MQ channel side by side (DOMAIN.md
// step 4.1): one data class from Beijing to Shanghai, the replica merging both under an idempotent
// rule; the class's lag is each write's first arrival over either channel, later arrivals are
// duplicates. The MySQL channel runs over a private line; the MQ channel's broker is in Beijing and
// its consumers fetch over the public internet, or over the private line too (shared fate).
// first_arrival_test.cpp covers the tracker itself and two MySQL channels; this file adds what an
// MQ channel brings: at-least-once arrivals, its own pipeline and its own path.
//
// Runs are bounded with run_until(): MQ consumers poll for ever.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <memory>

#include "geodes/models/channels/mq_channel.hpp"
#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/models/data/first_arrival.hpp"
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

constexpr int kMysql = 0;
constexpr int kMq = 1;

struct MixedChannels {
  // What the arrival listeners saw of one write.
  struct Seen {
    Time commit;
    std::array<Time, 2> first{Time::max(), Time::max()};  // per channel
    std::int64_t class_lag = -1;                          // what the tracker recorded
  };

  sim::Engine engine;
  Topology topology;
  DcId bj = topology.add_datacenter("beijing", "Beijing");
  DcId sh = topology.add_datacenter("shanghai", "Shanghai");
  LinkId private_line;
  LinkId internet;
  std::unique_ptr<Network> network;
  Store source{bj, "accounts"};
  Store replica{sh, "accounts"};
  std::unique_ptr<MysqlChannel> mysql;
  std::unique_ptr<MqChannel> mq;
  FirstArrivalTracker tracker{2};
  VersionClock clock{bj};
  sim::Rng arrivals{7, "test/arrivals"};
  std::map<std::uint64_t, Seen> seen;  // by version seq
  std::uint64_t committed = 0;
  std::uint64_t bad_duplicate_lags = 0;  // duplicates the tracker gave a lag to

  MixedChannels(const MysqlChannelParams& m, const MqChannelParams& q, bool shared_link,
                sim::Distribution private_latency, sim::Distribution internet_latency) {
    LinkSpec p;
    p.name = "private";
    p.a = bj;
    p.b = sh;
    p.latency = std::move(private_latency);
    private_line = topology.add_link(p);
    LinkSpec i = p;
    i.name = "internet";
    i.latency = std::move(internet_latency);
    internet = topology.add_link(i);
    network = std::make_unique<Network>(engine, topology, 7);
    mysql = std::make_unique<MysqlChannel>(*network, topology.make_path(bj, {private_line}), source,
                                           replica, m, 7);
    mq = std::make_unique<MqChannel>(
        *network, topology.make_path(bj, {}),
        topology.make_path(bj, {shared_link ? private_line : internet}), replica, q, 7);
    mysql->set_arrival_listener([this](const Write& w, ApplyResult) { arrive(kMysql, w); });
    mq->set_arrival_listener([this](const Write& w, ApplyResult) { arrive(kMq, w); });
  }

  void arrive(int channel, const Write& w) {
    const Time now = engine.now();
    const long double before = tracker.lag().sum();
    tracker.on_arrival(w, channel, now);
    const auto recorded = static_cast<std::int64_t>(tracker.lag().sum() - before);
    Seen& s = seen[w.version.seq];
    if (s.first[static_cast<std::size_t>(channel)] == Time::max()) {
      s.first[static_cast<std::size_t>(channel)] = now;
    }
    if (s.class_lag < 0) {
      s.class_lag = recorded;
    } else if (recorded != 0) {
      ++bad_duplicate_lags;
    }
  }

  void commit_new_account() {
    Write w;
    w.key = ++committed;
    w.kind = WriteKind::kInsert;
    w.version = clock.next(engine.now());
    w.value = w.key;
    w.commit_time = engine.now();
    w.bytes = 300;
    source.commit(w, engine.now());
    seen[w.version.seq].commit = w.commit_time;
    mysql->ship(w);
    mq->publish(w);
  }

  // Poisson registrations at `rate` per second from 1 s to `until`.
  void registrations(double rate, Time until) {
    struct Driver {
      MixedChannels* d;
      double rate;
      Time until;
      void next() {
        if (d->engine.now() >= until) return;
        d->commit_new_account();
        const double s = -std::log(d->arrivals.uniform_open0()) / rate;
        d->engine.schedule_in(Duration::from_seconds(s), [this] { next(); });
      }
    };
    driver_ = std::make_unique<Driver>(Driver{this, rate, until});
    engine.schedule_at(Time(1'000'000'000),
                       [d = static_cast<Driver*>(driver_.get())] { d->next(); });
  }

  void cut(LinkId link, Time at, Duration for_how_long) {
    engine.schedule_at(at, [this, link] {
      LinkState s;
      s.condition = LinkCondition::kDown;
      network->set_state(link, s);
    });
    engine.schedule_at(at + for_how_long, [this, link] { network->set_state(link, LinkState{}); });
  }

 private:
  std::shared_ptr<void> driver_;
};

MysqlChannelParams mysql_params() {
  MysqlChannelParams p;
  p.apply_time = sim::Distribution::exponential(200'000);  // 5k/s
  p.apply_rule = ApplyRule::kInsertIfAbsent;
  p.retry_interval = 5_s;
  return p;
}

MqChannelParams mq_params() {
  MqChannelParams p;
  p.partitions = 4;
  p.consumers = 2;
  p.apply_time = sim::Distribution::exponential(200'000);
  p.apply_rule = ApplyRule::kInsertIfAbsent;
  return p;
}

sim::Distribution constant_ms(double ms) { return sim::Distribution::constant(ms * 1e6); }

TEST(MultiChannel, WithMysqlAndMqEachWritesClassLagIsTheSmallerOfItsTwoChannelLags) {
  // The private line is a steady 15 ms; the internet is faster at the median but jittery, and the
  // MQ pipeline adds replication and fetch round trips: each channel wins a real share.
  MixedChannels d(mysql_params(), mq_params(), /*shared_link=*/false, constant_ms(15),
                  sim::Distribution::lognormal_median_p99(9e6, 16e6));
  d.registrations(300, Time(61'000'000'000));
  d.engine.run_until(Time(80'000'000'000));
  ASSERT_GT(d.committed, 15'000u);
  ASSERT_EQ(d.seen.size(), d.committed);
  std::uint64_t mq_first = 0;
  std::uint64_t wrong = 0;
  for (const auto& [seq, s] : d.seen) {
    ASSERT_NE(s.first[kMysql], Time::max()) << "write " << seq;
    ASSERT_NE(s.first[kMq], Time::max()) << "write " << seq;
    const std::int64_t lag_mysql = (s.first[kMysql] - s.commit).ns();
    const std::int64_t lag_mq = (s.first[kMq] - s.commit).ns();
    if (s.class_lag != std::min(lag_mysql, lag_mq)) ++wrong;
    if (lag_mq < lag_mysql) ++mq_first;
  }
  EXPECT_EQ(wrong, 0u) << "writes whose class lag is not the smaller channel lag";
  EXPECT_EQ(d.bad_duplicate_lags, 0u);
  EXPECT_EQ(d.tracker.stats().first_arrivals, d.committed);
  EXPECT_EQ(d.tracker.stats().won[kMq], mq_first);
  EXPECT_GT(mq_first, d.committed / 20);
  EXPECT_LT(mq_first, d.committed * 19 / 20);
  EXPECT_EQ(d.tracker.stats().duplicates, d.committed + d.mq->stats().duplicates);
  EXPECT_EQ(d.replica.size(), d.committed);
  EXPECT_EQ(d.replica.stats().order_violations, 0u);
}

TEST(MultiChannel, WithTheMysqlChannelStoppedTheClassLagStaysBoundedByTheMqChannels) {
  MixedChannels d(mysql_params(), mq_params(), /*shared_link=*/false, constant_ms(15),
                  constant_ms(15));
  d.registrations(300, Time(91'000'000'000));
  d.engine.schedule_at(Time(10'000'000'000), [&d] { d.mysql->set_replicating(false); });
  std::uint64_t held_back = 0;
  d.engine.schedule_at(Time(70'000'000'000), [&d, &held_back] {
    held_back = d.mysql->unshipped();
    d.mysql->set_replicating(true);
  });
  d.engine.run_until(Time(120'000'000'000));
  EXPECT_GT(held_back, 300u * 55) << "STOP REPLICA held a minute of writes back";
  // When MySQL resumed, MQ had delivered all of them: its copies were duplicates.
  EXPECT_GE(d.mysql->stats().skipped, held_back);
  EXPECT_EQ(d.tracker.stats().first_arrivals, d.committed);
  EXPECT_LE(d.tracker.lag().max(), d.mq->lag().max());
  EXPECT_LT(d.tracker.lag().max(), 200'000'000);
  EXPECT_GT(d.tracker.stats().won[kMq], d.committed / 2);
  EXPECT_EQ(d.replica.size(), d.committed);
}

TEST(MultiChannel, AStrictMysqlChannelHaltsOnError1062WhenTheMqCopyLandsFirst) {
  // MQ over a 5 ms path, MySQL over a 30 ms one: MQ's copy of every new account is in the replica
  // before the binlog's, and the strict applier meets it as a duplicate key.
  MysqlChannelParams m = mysql_params();
  m.apply_rule = ApplyRule::kStrict;
  m.on_duplicate = OnDuplicate::kStop;
  m.operator_fix_time = 30_min;
  MixedChannels d(m, mq_params(), /*shared_link=*/false, constant_ms(30), constant_ms(5));
  d.registrations(100, Time(121'000'000'000));
  d.engine.run_until(Time(180'000'000'000));
  EXPECT_TRUE(d.mysql->applier_stopped());
  EXPECT_EQ(d.mysql->stats().errors_1062, 1u) << "it halts at the first one";
  EXPECT_GT(d.mysql->relay_backlog(), d.committed - 10);
  // The class is unharmed: every account arrived over MQ.
  EXPECT_EQ(d.tracker.stats().first_arrivals, d.committed);
  EXPECT_EQ(d.tracker.stats().won[kMq], d.committed);
  EXPECT_EQ(d.replica.size(), d.committed);
  EXPECT_LE(d.tracker.lag().max(), d.mq->lag().max());
}

TEST(MultiChannel, SkipOrOverwriteOnDuplicateKeepsTheMysqlChannelRunningBesideMq) {
  for (const OnDuplicate mode : {OnDuplicate::kSkip, OnDuplicate::kOverwrite}) {
    MysqlChannelParams m = mysql_params();
    m.apply_rule = ApplyRule::kStrict;
    m.on_duplicate = mode;
    MixedChannels d(m, mq_params(), /*shared_link=*/false, constant_ms(30), constant_ms(5));
    d.registrations(100, Time(61'000'000'000));
    d.engine.run_until(Time(90'000'000'000));
    EXPECT_FALSE(d.mysql->applier_stopped()) << to_string(mode);
    EXPECT_EQ(d.mysql->stats().errors_1062, d.committed) << to_string(mode);
    EXPECT_EQ(d.mysql->relay_backlog(), 0u);
    EXPECT_EQ(d.mysql->stats().stopped, Duration::zero());
    EXPECT_EQ(d.replica.size(), d.committed);
    EXPECT_TRUE(divergent_keys(d.source, d.replica).empty());
  }
}

TEST(MultiChannel, ACutOnALinkBothChannelsUseStopsBothWhileSeparateLinksKeepTheClassFlowing) {
  for (const bool shared : {true, false}) {
    MixedChannels d(mysql_params(), mq_params(), shared, constant_ms(15), constant_ms(15));
    d.registrations(200, Time(91'000'000'000));
    d.cut(d.private_line, Time(30'000'000'000), 30_s);
    std::uint64_t arrived_at_cut_start = 0;
    std::uint64_t arrived_at_cut_end = 0;
    d.engine.schedule_at(Time(30'100'000'000),
                         [&] { arrived_at_cut_start = d.tracker.stats().first_arrivals; });
    d.engine.schedule_at(Time(59'900'000'000),
                         [&] { arrived_at_cut_end = d.tracker.stats().first_arrivals; });
    d.engine.run_until(Time(120'000'000'000));
    const std::uint64_t during = arrived_at_cut_end - arrived_at_cut_start;
    if (shared) {
      EXPECT_EQ(during, 0u) << "one cut kills both channels";
      EXPECT_GE(d.mysql->stats().disconnected, 30_s);
      EXPECT_GT(d.mq->lag().max(), 29'000'000'000);
      EXPECT_GT(d.tracker.lag().max(), 29'000'000'000);
    } else {
      EXPECT_GT(during, 5'000u) << "the MQ channel carries the class through the cut";
      EXPECT_LT(d.tracker.lag().max(), 1'000'000'000);
      EXPECT_LT(d.mq->lag().max(), 1'000'000'000);
    }
    // Nothing is lost either way once the link is back.
    EXPECT_EQ(d.tracker.stats().first_arrivals, d.committed);
    EXPECT_EQ(d.replica.size(), d.committed);
  }
}

}  // namespace
}  // namespace geodes::models
