// The classic hold model (Vaucher & Duval 1975; Jones 1986): N events pending; each executed event
// schedules one successor after an exponential increment, so the pending count stays N. It measures
// the engine's pop + push + dispatch cost at a steady queue size. items_per_second = events/s.
// The peer comparison with SimPy runs the same model: bench/peer_simpy_hold.py.
#include <benchmark/benchmark.h>

#include <cmath>

#include "geodes/sim/engine.hpp"
#include "geodes/sim/rng.hpp"

namespace {

using geodes::sim::Duration;
using geodes::sim::Engine;
using geodes::sim::Rng;

struct HoldModel {
  Engine engine;
  Rng rng{1, "hold"};
  // Mean increment 1 ms: exponential draws by inversion, in integer nanoseconds.
  Duration next_increment() {
    return Duration(static_cast<std::int64_t>(-std::log(rng.uniform_open0()) * 1e6));
  }
  void fire() {
    engine.schedule_in(next_increment(), [this] { fire(); });
  }
};

void BM_EngineHold(benchmark::State& state) {
  const auto pending = static_cast<int>(state.range(0));
  HoldModel model;
  for (int i = 0; i < pending; ++i) {
    model.engine.schedule_in(model.next_increment(), [m = &model] { m->fire(); });
  }
  // Warm up so the heap has its steady shape before timing.
  model.engine.set_progress_hook([&model](const geodes::sim::Progress&) { model.engine.stop(); },
                                 static_cast<std::uint64_t>(pending) * 10);
  model.engine.run();

  constexpr std::uint64_t kBatch = 1u << 20;
  model.engine.set_progress_hook([&model](const geodes::sim::Progress&) { model.engine.stop(); },
                                 kBatch);
  std::uint64_t events = 0;
  for (auto _ : state) {
    model.engine.run();
    events += kBatch;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["pending"] = static_cast<double>(model.engine.pending());
}

// 4 and 16 pending run in the queue's sorted array, 40 and more in its radix heap.
BENCHMARK(BM_EngineHold)
    ->Arg(4)
    ->Arg(16)
    ->Arg(40)
    ->Arg(100)
    ->Arg(10'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
