// Multi-channel sync: the first-arrival tracker on its own, then two MySQL channels carrying one
// data class from Beijing to Shanghai over separate links (a private line and the public internet),
// as in DOMAIN.md step 4.1.
#include "geodes/models/data/first_arrival.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/models/net/topology.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;

Write write_at(std::uint64_t seq, Time commit) {
  Write w;
  w.key = seq;
  w.version = Version{DcId{0}, seq, commit.ns()};
  w.commit_time = commit;
  return w;
}

TEST(FirstArrivalTracker, TheFirstArrivalSetsTheLagAndLaterOnesAreDuplicates) {
  FirstArrivalTracker t(2);
  const Write w = write_at(1, Time(0));
  t.on_arrival(w, 1, Time(5'000'000));
  t.on_arrival(w, 0, Time(9'000'000));
  EXPECT_EQ(t.stats().first_arrivals, 1u);
  EXPECT_EQ(t.stats().duplicates, 1u);
  EXPECT_EQ(t.stats().won[1], 1u);
  EXPECT_EQ(t.stats().won[0], 0u);
  EXPECT_EQ(t.lag().count(), 1u);
  EXPECT_EQ(t.lag().max(), 5'000'000);
}

TEST(FirstArrivalTracker, ARedeliveryWithinRetentionIsADuplicateAndMemoryIsReleasedAfterIt) {
  FirstArrivalTracker t(2, 10_s);
  const Write w = write_at(1, Time(0));
  t.on_arrival(w, 0, Time(1'000'000));
  t.on_arrival(w, 1, Time(2'000'000));
  t.on_arrival(w, 1, Time(3'000'000));  // at-least-once replay on channel 1
  EXPECT_EQ(t.stats().duplicates, 2u);
  EXPECT_EQ(t.remembered(), 1u);
  // Any later arrival evicts what completed more than `retention` ago.
  t.on_arrival(write_at(2, Time(20'000'000'000)), 0, Time(20'001'000'000));
  EXPECT_EQ(t.remembered(), 1u);  // only write 2, still waiting for channel 1
  EXPECT_EQ(t.stats().first_arrivals, 2u);
}

TEST(FirstArrivalTracker, CountsAsAQueueOfCompletionsEvictedAfterRetentionWould) {
  // Random arrivals of writes from two origins over three channels, with redeliveries long after
  // completion, against the definition: a write is remembered from its first arrival until
  // `retention` after every channel delivered it; an arrival of a write not remembered is a first
  // arrival. Enough writes that the tracker's sweeps run many times.
  constexpr int kChannels = 3;
  const Duration retention = 2_s;
  FirstArrivalTracker t(kChannels, retention);
  struct Ref {
    std::uint64_t bits = 0;
    bool complete = false;
  };
  std::map<std::pair<std::uint32_t, std::uint64_t>, Ref> seen;
  std::deque<std::pair<Time, std::pair<std::uint32_t, std::uint64_t>>> completed;
  std::uint64_t first = 0;
  std::uint64_t duplicates = 0;
  sim::Rng rng(5, "first_arrival_test");
  Time now(0);
  for (int i = 0; i < 300'000; ++i) {
    now = now + Duration(static_cast<std::int64_t>(rng.below(200'000)));  // 0.1 ms apart on average
    const auto origin = static_cast<std::uint32_t>(rng.below(2));
    // Mostly recent writes, sometimes one from long ago (a late redelivery).
    const std::uint64_t recent = static_cast<std::uint64_t>(i) / 2 + 1;
    const std::uint64_t seq = rng.below(50) == 0 ? 1 + rng.below(recent) : recent - rng.below(20);
    const int channel = static_cast<int>(rng.below(kChannels));
    Write w;
    w.version = Version{DcId{origin}, seq, now.ns()};
    w.commit_time = now;
    t.on_arrival(w, channel, now);

    while (!completed.empty() && now - completed.front().first > retention) {
      seen.erase(completed.front().second);
      completed.pop_front();
    }
    const auto key = std::make_pair(origin, seq);
    const auto [it, inserted] = seen.try_emplace(key);
    (inserted ? first : duplicates) += 1;
    it->second.bits |= std::uint64_t{1} << channel;
    if (!it->second.complete && it->second.bits == 7) {
      it->second.complete = true;
      completed.emplace_back(now, key);
    }
  }
  EXPECT_EQ(t.stats().first_arrivals, first);
  EXPECT_EQ(t.stats().duplicates, duplicates);
  EXPECT_EQ(t.remembered(), seen.size());
  EXPECT_GT(first, 100'000u);
  EXPECT_GT(duplicates, 100'000u);
}

TEST(FirstArrivalTracker, SparseSequencesPausesAndAncientRedeliveriesCountAsTheDefinitionSays) {
  // One channel (each write completes on its first arrival), out-of-band arrivals now and then,
  // and sequences as a class sees them when others interleave: sparse (jumps of 1 to 5000, so
  // the tracker's window slides and grows), with pauses longer than the retention (everything is
  // forgotten, the window starts afresh), redeliveries of recent writes and of ancient ones
  // (below the window). Against the definition, as above.
  const Duration retention = 1_s;
  FirstArrivalTracker t(1, retention);
  std::map<std::pair<std::uint32_t, std::uint64_t>, bool> seen;
  std::deque<std::pair<Time, std::pair<std::uint32_t, std::uint64_t>>> completed;
  std::uint64_t first = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_band = 0;
  std::vector<std::uint64_t> issued[2];
  sim::Rng rng(11, "first_arrival_sparse_test");
  Time now(0);
  std::uint64_t next[2] = {1, 1};
  for (int i = 0; i < 200'000; ++i) {
    const bool pause = rng.below(20'000) == 0;
    now = now + (pause ? 3_s : Duration(static_cast<std::int64_t>(rng.below(100'000))));
    const auto origin = static_cast<std::uint32_t>(rng.below(2));
    std::vector<std::uint64_t>& mine = issued[origin];
    std::uint64_t seq = 0;
    const auto kind = rng.below(100);
    if (kind < 80 || mine.empty()) {  // a new write
      next[origin] += 1 + rng.below(rng.below(10) == 0 ? 5000 : 40);
      seq = next[origin];
      mine.push_back(seq);
    } else if (kind < 97) {  // a recent one again
      seq = mine[mine.size() - 1 - rng.below(std::min<std::uint64_t>(mine.size(), 500))];
    } else {  // an ancient one
      seq = mine[rng.below(mine.size())];
    }
    Write w;
    w.version = Version{DcId{origin}, seq, now.ns()};
    w.commit_time = now;
    const bool oob = rng.below(50) == 0;
    bool fresh_oob = false;
    if (oob) {
      fresh_oob = t.arrive_out_of_band(w, now);
    } else {
      t.on_arrival(w, 0, now);
    }

    while (!completed.empty() && now - completed.front().first > retention) {
      seen.erase(completed.front().second);
      completed.pop_front();
    }
    const auto key = std::make_pair(origin, seq);
    const bool inserted = seen.try_emplace(key, true).second;
    if (inserted) {
      ++first;
      out_of_band += oob ? 1 : 0;
      completed.emplace_back(now, key);
    } else if (!oob) {
      ++duplicates;
    }
    if (oob) {
      ASSERT_EQ(fresh_oob, inserted) << "arrival " << i;
    }
  }
  EXPECT_EQ(t.stats().first_arrivals, first);
  EXPECT_EQ(t.stats().duplicates, duplicates);
  EXPECT_EQ(t.stats().out_of_band, out_of_band);
  EXPECT_EQ(t.remembered(), seen.size());
  EXPECT_GT(first, 100'000u);
  EXPECT_GT(duplicates, 10'000u);
  EXPECT_GT(out_of_band, 1'000u);
}

TEST(FirstArrivalTracker, BadArgumentsAreRejected) {
  EXPECT_THROW(FirstArrivalTracker(0), InvalidArgument);
  EXPECT_THROW(FirstArrivalTracker(65), InvalidArgument);
  FirstArrivalTracker t(2);
  EXPECT_THROW(t.on_arrival(write_at(1, Time(0)), 2, Time(0)), InvalidArgument);
}

// Beijing and Shanghai joined by a private line (constant 15 ms) and by the public internet
// (lognormal, median 14.5 ms, p99 17 ms: sometimes faster, often slower; the ordered connection
// makes each message wait for the ones before it); optionally both channels on the private line.
struct DualChannel {
  sim::Engine engine;
  Topology topology;
  DcId bj = topology.add_datacenter("beijing", "Beijing");
  DcId sh = topology.add_datacenter("shanghai", "Shanghai");
  LinkId private_line;
  LinkId internet;
  std::unique_ptr<Network> network;
  Store source{bj, "accounts"};
  Store replica{sh, "accounts"};
  std::vector<std::unique_ptr<MysqlChannel>> channels;
  FirstArrivalTracker tracker{2};
  VersionClock clock{bj};
  sim::Rng arrivals{7, "test/arrivals"};
  // Per write (by seq), its arrival time over each channel.
  std::map<std::uint64_t, std::array<Time, 2>> arrived;
  std::uint64_t committed = 0;

  DualChannel(MysqlChannelParams a, MysqlChannelParams b, bool shared_link) {
    LinkSpec p;
    p.name = "private";
    p.a = bj;
    p.b = sh;
    p.latency = sim::Distribution::constant(15e6);
    private_line = topology.add_link(p);
    LinkSpec i = p;
    i.name = "internet";
    i.latency = sim::Distribution::lognormal_median_p99(14.5e6, 17e6);
    internet = topology.add_link(i);
    network = std::make_unique<Network>(engine, topology, 7);
    a.name = "mysql";
    b.name = "mysql_backup";
    channels.push_back(std::make_unique<MysqlChannel>(
        *network, topology.make_path(bj, {private_line}), source, replica, a, 7));
    channels.push_back(std::make_unique<MysqlChannel>(
        *network, topology.make_path(bj, {shared_link ? private_line : internet}), source, replica,
        b, 7));
    for (int c = 0; c < 2; ++c) {
      channels[c]->set_arrival_listener([this, c](const Write& w, ApplyResult) {
        tracker.on_arrival(w, c, engine.now());
        auto [it, inserted] = arrived.try_emplace(w.version.seq);
        if (inserted) it->second = {Time::max(), Time::max()};
        it->second[c] = engine.now();
      });
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
    for (auto& c : channels) c->ship(w);
  }

  // Poisson registrations at `rate` per second from 1 s to `until`.
  void registrations(double rate, Time until) {
    struct Driver {
      DualChannel* d;
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

MysqlChannelParams idempotent() {
  MysqlChannelParams p;
  p.apply_time = sim::Distribution::exponential(200'000);  // 5k/s
  p.apply_rule = ApplyRule::kInsertIfAbsent;
  p.retry_interval = 5_s;
  return p;
}

TEST(MultiChannel, EachWritesDataClassLagIsTheSmallerOfItsTwoChannelLags) {
  DualChannel d(idempotent(), idempotent(), /*shared_link=*/false);
  d.registrations(500, Time(61'000'000'000));
  d.engine.run();
  ASSERT_GT(d.committed, 25'000u);
  ASSERT_EQ(d.arrived.size(), d.committed);
  // The tracker's histogram keeps an exact count and sum: compare them with the per-write minima.
  long double sum_lag[2] = {0, 0};
  long double sum_min = 0;
  std::uint64_t internet_first = 0;
  for (const auto& [seq, t] : d.arrived) {
    ASSERT_NE(t[0], Time::max());
    ASSERT_NE(t[1], Time::max());
    const auto commit = static_cast<long double>(d.source.find(seq)->commit_time.ns());
    sum_lag[0] += static_cast<long double>(t[0].ns()) - commit;
    sum_lag[1] += static_cast<long double>(t[1].ns()) - commit;
    sum_min += static_cast<long double>(std::min(t[0], t[1]).ns()) - commit;
    if (t[1] < t[0]) ++internet_first;
  }
  const auto n = static_cast<long double>(d.committed);
  EXPECT_EQ(d.tracker.lag().count(), d.committed);
  EXPECT_NEAR(d.tracker.lag().mean(), static_cast<double>(sum_min / n), 1.0);  // ns
  EXPECT_EQ(d.tracker.stats().duplicates, d.committed);
  // Both channels win a real share of the writes.
  EXPECT_EQ(d.tracker.stats().won[1], internet_first);
  EXPECT_GT(internet_first, d.committed / 20);
  EXPECT_LT(internet_first, d.committed * 19 / 20);
  // So the merged lag is clearly below each channel's own delivery lag.
  EXPECT_LT(d.tracker.lag().mean(), 0.99 * static_cast<double>(sum_lag[0] / n));
  EXPECT_LT(d.tracker.lag().mean(), 0.99 * static_cast<double>(sum_lag[1] / n));
  EXPECT_EQ(d.replica.size(), d.committed);
  EXPECT_EQ(d.replica.stats().order_violations, 0u);
}

TEST(MultiChannel, AStrictStopChannelBesideAFasterOneHaltsOnError1062AndTheClassLagStaysBounded) {
  // The backup channel is the faster one here (apply 50 us vs 2 ms), so its copy lands first and
  // the main channel meets each row as a duplicate key: the real error-1062 halt of the lesson.
  MysqlChannelParams main;
  main.apply_time = sim::Distribution::constant(2e6);
  main.apply_rule = ApplyRule::kStrict;
  main.on_duplicate = OnDuplicate::kStop;
  main.operator_fix_time = 30_min;
  MysqlChannelParams backup = idempotent();
  backup.apply_time = sim::Distribution::constant(50'000);
  // The backup on the private line too, but its own connection: both see the same 15 ms.
  DualChannel d(main, backup, /*shared_link=*/true);
  d.registrations(100, Time(121'000'000'000));
  d.engine.run_until(Time(180'000'000'000));
  EXPECT_TRUE(d.channels[0]->applier_stopped());
  EXPECT_EQ(d.channels[0]->stats().errors_1062, 1u);  // it halts at the first one
  EXPECT_GT(d.channels[0]->relay_backlog(), d.committed - 10);
  // The data class is unharmed: every account arrived, over the backup, within its pipeline time.
  EXPECT_EQ(d.tracker.stats().first_arrivals, d.committed);
  EXPECT_EQ(d.replica.size(), d.committed);
  EXPECT_LE(d.tracker.lag().max(), d.channels[1]->lag().max());
  EXPECT_LT(d.tracker.lag().max(), 20'000'000);  // 15 ms link + 50 us apply + queueing
}

TEST(MultiChannel, SkipOrOverwriteOnDuplicateNeverHalts) {
  for (const OnDuplicate mode : {OnDuplicate::kSkip, OnDuplicate::kOverwrite}) {
    MysqlChannelParams main;
    main.apply_time = sim::Distribution::constant(2e6);
    main.apply_rule = ApplyRule::kStrict;
    main.on_duplicate = mode;
    MysqlChannelParams backup = idempotent();
    backup.apply_time = sim::Distribution::constant(50'000);
    DualChannel d(main, backup, /*shared_link=*/true);
    d.registrations(100, Time(61'000'000'000));
    d.engine.run();
    EXPECT_FALSE(d.channels[0]->applier_stopped());
    EXPECT_GT(d.channels[0]->stats().errors_1062, d.committed / 2);
    EXPECT_EQ(d.channels[0]->relay_backlog(), 0u);
    EXPECT_EQ(d.channels[0]->stats().stopped, Duration::zero());
    EXPECT_EQ(d.replica.size(), d.committed);
  }
}

TEST(MultiChannel, ACutOnASharedLinkStopsBothChannelsAndSeparateLinksKeepOneAlive) {
  for (const bool shared : {true, false}) {
    DualChannel d(idempotent(), idempotent(), shared);
    d.registrations(200, Time(91'000'000'000));
    d.cut(d.private_line, Time(30'000'000'000), 30_s);
    std::uint64_t arrived_at_cut_start = 0;
    std::uint64_t arrived_at_cut_end = 0;
    d.engine.schedule_at(Time(30'100'000'000),
                         [&] { arrived_at_cut_start = d.tracker.stats().first_arrivals; });
    d.engine.schedule_at(Time(59'900'000'000),
                         [&] { arrived_at_cut_end = d.tracker.stats().first_arrivals; });
    d.engine.run();
    const std::uint64_t during = arrived_at_cut_end - arrived_at_cut_start;
    if (shared) {
      EXPECT_EQ(during, 0u) << "one cut kills both channels";
      EXPECT_GE(d.channels[0]->stats().disconnected, 30_s);
      EXPECT_GE(d.channels[1]->stats().disconnected, 30_s);
      // Caught up after the cut: the class lag's maximum is about the outage.
      EXPECT_GT(d.tracker.lag().max(), 29'000'000'000);
    } else {
      EXPECT_GT(during, 5'000u) << "the internet channel carries the class through the cut";
      EXPECT_EQ(d.channels[1]->stats().disconnected, Duration::zero());
      EXPECT_LT(d.tracker.lag().max(), 1'000'000'000);
    }
    // Nothing is lost either way once the link is back.
    EXPECT_EQ(d.tracker.stats().first_arrivals, d.committed);
    EXPECT_EQ(d.replica.size(), d.committed);
  }
}

TEST(FirstArrivalTracker, AnOutOfBandArrivalIsAFirstArrivalAndMakesLaterCopiesDuplicates) {
  FirstArrivalTracker t(2);
  Write w;
  w.key = 1;
  w.version = Version{DcId{0}, 7, 100};
  w.commit_time = sim::Time(100);
  EXPECT_TRUE(t.arrive_out_of_band(w, sim::Time(1'100)));
  EXPECT_FALSE(t.arrive_out_of_band(w, sim::Time(1'200))) << "already arrived";
  t.on_arrival(w, 0, sim::Time(2'000));
  t.on_arrival(w, 1, sim::Time(3'000));
  EXPECT_EQ(t.stats().first_arrivals, 1u);
  EXPECT_EQ(t.stats().out_of_band, 1u);
  EXPECT_EQ(t.stats().duplicates, 2u);
  EXPECT_EQ(t.stats().won[0] + t.stats().won[1], 0u) << "no channel won it";
  EXPECT_EQ(t.lag().count(), 1u);
  EXPECT_EQ(t.lag().max(), 1'000);
}

}  // namespace
}  // namespace geodes::models
