// System benchmarks: the built-in scenario (scenarios/login_two_cities.yaml, a DC outage and a link
// cut) end to end through System: workload, channels, faults, and the end-of-run metrics.
//   BM_LoginTwoCities   as shipped: 15 simulated minutes at 1000 ops/s, 100 k users.
//                       items_per_second = events/s; `speed` = simulated seconds per second.
//   BM_DefaultScenario  production size (issue 13): 10k ops/s for 1 h, 1 M users registered and
//                       up to 2 M, its faults kept. Counters: sim_speed (simulated s per second),
//                       events_per_second, peak_rss_mib (the process's peak resident set from
//                       getrusage: run it alone, --benchmark_filter=BM_DefaultScenario, for a
//                       figure that is this run's own). Targets: >= 200x real time, <= 1 GiB.
// Rates are per CPU second of the benchmark thread (Google Benchmark's kIsRate without
// UseRealTime), so a loaded machine slows the wall clock more than them; on an idle machine the
// two agree. bench/scale.py measures by the wall clock.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "geodes/app/run_scenario.hpp"
#include "geodes/app/scenario_loader.hpp"

namespace {

using namespace geodes;

void BM_LoginTwoCities(benchmark::State& state) {
  const app::LoadedScenario s =
      app::load_scenario_text(std::string(app::default_scenario_text()), "built-in");
  std::uint64_t events = 0;
  double simulated = 0;
  for (auto _ : state) {
    const models::RunResults r = app::run_scenario(s.spec, s.spec.seed);
    events += r.events;
    simulated += r.sim_time_s;
    if (!r.complete) state.SkipWithError("the run did not complete");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["speed"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_LoginTwoCities)->Unit(benchmark::kSecond)->Iterations(1);

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void BM_DefaultScenario(benchmark::State& state) {
  const std::vector<std::string> production = {
      "workload.rate=10k/s", "duration=1h", "workload.users.initial=1M", "workload.users.max=2M"};
  const app::LoadedScenario s =
      app::load_scenario_text(std::string(app::default_scenario_text()), "built-in", production);
  std::uint64_t events = 0;
  double simulated = 0;
  for (auto _ : state) {
    const models::RunResults r = app::run_scenario(s.spec, s.spec.seed);
    events += r.events;
    simulated += r.sim_time_s;
    if (!r.complete) state.SkipWithError("the run did not complete");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["sim_speed"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
  state.counters["events_per_second"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = peak_rss_mib();
}

BENCHMARK(BM_DefaultScenario)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
