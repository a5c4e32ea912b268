#include "geodes/app/run_scenario.hpp"

#include <chrono>

#include "geodes/models/system/system.hpp"

namespace geodes::app {

models::RunResults run_scenario(const models::ScenarioSpec& spec, std::uint64_t seed,
                                const ProgressCallback& progress) {
  const auto started = std::chrono::steady_clock::now();
  models::System system(spec, seed);
  const sim::Time end = system.end_time();
  sim::Engine& engine = system.engine();
  if (progress) {
    engine.set_progress_hook(
        [&](const sim::Progress& p) {
          if (!progress(p, end)) engine.stop();
        },
        kProgressEveryEvents);
  }
  const bool complete = system.run();
  models::RunResults results = system.results();
  results.complete = complete;
  results.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return results;
}

}  // namespace geodes::app
