// BM_MysqlChannel: 10 M writes through one async MySQL channel (Beijing -> Shanghai, 15 ms link,
// one applier at rho = 0.8, Poisson commits). items_per_second = writes/s; events/s as a counter.
// The writes are generated inside the run (commit events are part of the cost, as in a real run).
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>

#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/models/net/topology.hpp"
#include "geodes/sim/engine.hpp"

namespace {

using namespace geodes;

struct ChannelRun {
  sim::Engine engine;
  models::Topology topology;
  models::DcId bj = topology.add_datacenter("beijing", "Beijing");
  models::DcId sh = topology.add_datacenter("shanghai", "Shanghai");
  std::unique_ptr<models::Network> network;
  models::Store source{bj, "accounts"};
  models::Store replica{sh, "accounts"};
  std::unique_ptr<models::MysqlChannel> channel;
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
    models::MysqlChannelParams p;
    p.apply_time = sim::Distribution::exponential(100'000);  // 10k/s
    // Writes cycle over 100k keys (REPLACE INTO), so the store stays small and the benchmark
    // measures the pipeline rather than a 10 M-row hash map.
    p.apply_rule = models::ApplyRule::kOverwrite;
    channel = std::make_unique<models::MysqlChannel>(*network, topology.make_path(bj, {link}),
                                                     source, replica, p, 1);
  }

  void commit() {
    models::Write w;
    w.key = key++ % 100'000;
    w.version = clock.next(engine.now());
    w.commit_time = engine.now();
    w.bytes = 200;
    // The replica store is what the benchmark exercises; the source store would double the memory
    // for nothing, so only the channel sees the commit.
    channel->ship(w);
    if (--left > 0) {
      const double s = -std::log(arrivals.uniform_open0()) / 8'000.0;  // rho = 0.8
      engine.schedule_in(sim::Duration(static_cast<std::int64_t>(s * 1e9)), [this] { commit(); });
    }
  }
};

void BM_MysqlChannel(benchmark::State& state) {
  const auto writes = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto run = std::make_unique<ChannelRun>(writes);
    state.ResumeTiming();
    run->engine.schedule_in(sim::Duration(1'000'000'000), [r = run.get()] { r->commit(); });
    run->engine.run();
    events += run->engine.events_executed();
    if (run->channel->stats().delivered != writes) state.SkipWithError("writes went missing");
    state.PauseTiming();
    run.reset();  // freeing 10 M rows is not the channel's cost
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * writes));
  state.counters["events_per_second"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_MysqlChannel)->Arg(10'000'000)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
