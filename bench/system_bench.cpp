// BM_LoginTwoCities: the built-in scenario (scenarios/login_two_cities.yaml, 15 simulated minutes
// with a DC outage and a link cut) end to end through System: workload, channels, faults, and the
// end-of-run metrics. items_per_second = events/s; `speed` is simulated seconds per wall second.
#include <benchmark/benchmark.h>

#include <string>

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

}  // namespace
