// BM_MqChannel: 10 M messages through one MQ channel (broker in Beijing, consumers in Shanghai over
// a 15 ms link, 8 partitions by key, 4 consumers at rho = 0.8, acks = all, Poisson commits).
// items_per_second = messages/s; events/s as a counter. Mirrors BM_MysqlChannel: the writes are
// generated inside the run, and the run ends when the channel has caught up (an MQ channel's
// consumers poll for ever, so it is driven with run_until()).
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>

#include "geodes/models/channels/mq_channel.hpp"
#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/models/net/topology.hpp"
#include "geodes/sim/engine.hpp"

namespace {

using namespace geodes;

constexpr double kRate = 32'000;  // commits/s: 4 consumers at 10k applies/s each, rho = 0.8

struct ChannelRun {
  sim::Engine engine;
  models::Topology topology;
  models::DcId bj = topology.add_datacenter("beijing", "Beijing");
  models::DcId sh = topology.add_datacenter("shanghai", "Shanghai");
  std::unique_ptr<models::Network> network;
  models::Store replica{sh, "accounts"};
  std::unique_ptr<models::MqChannel> channel;
  models::VersionClock clock{bj};
  sim::Rng arrivals{1, "bench/arrivals"};
  std::uint64_t left;
  std::uint64_t key = 0;

  explicit ChannelRun(std::uint64_t writes) : left(writes) {
    models::LinkSpec spec;
    spec.name = "bj-sh";
    spec.a = bj;
    spec.b = sh;
    spec.latency = sim::Distribution::constant(15e6);
    const models::LinkId link = topology.add_link(spec);
    network = std::make_unique<models::Network>(engine, topology, 1);
    models::MqChannelParams p;
    p.partitions = 8;
    p.consumers = 4;
    p.apply_time = sim::Distribution::exponential(100'000);  // 10k/s per consumer
    // Writes cycle over 100k keys, as in BM_MysqlChannel, so the store stays small.
    p.apply_rule = models::ApplyRule::kOverwrite;
    channel = std::make_unique<models::MqChannel>(*network, topology.make_path(bj, {}),
                                                  topology.make_path(bj, {link}), replica, p, 1);
  }

  void commit() {
    models::Write w;
    w.key = key++ % 100'000;
    w.version = clock.next(engine.now());
    w.commit_time = engine.now();
    w.bytes = 200;
    channel->publish(w);
    if (--left > 0) {
      const double s = -std::log(arrivals.uniform_open0()) / kRate;
      engine.schedule_in(sim::Duration(static_cast<std::int64_t>(s * 1e9)), [this] { commit(); });
    }
  }

  void run() {
    engine.schedule_in(sim::Duration(1'000'000'000), [this] { commit(); });
    do {
      engine.run_until(engine.now() + sim::Duration(10'000'000'000));
    } while (left > 0 || channel->backlog() > 0 || channel->unacknowledged() > 0);
  }
};

void BM_MqChannel(benchmark::State& state) {
  const auto writes = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto run = std::make_unique<ChannelRun>(writes);
    state.ResumeTiming();
    run->run();
    events += run->engine.events_executed();
    if (run->channel->stats().processed != writes) state.SkipWithError("messages went missing");
    state.PauseTiming();
    run.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * writes));
  state.counters["events_per_second"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_MqChannel)->Arg(10'000'000)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
