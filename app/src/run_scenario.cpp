#include "geodes/app/run_scenario.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <new>
#include <optional>

#include "geodes/models/system/resource_estimate.hpp"
#include "geodes/models/system/system.hpp"

namespace geodes::app {

namespace {

// Freed when memory runs out during the run, so that collecting what was measured (which
// allocates the results) has room. Reserved, never touched: it costs address space, not memory.
// 64 MiB plus the results' copy of the time series (a third of the estimate's "time series"
// item: 16 of the 48 to 120 bytes per interval, models/src/system/resource_estimate.cpp).
std::size_t reserve_bytes(const models::ScenarioSpec& spec) {
  double series = 0;
  try {
    for (const models::ResourceItem& i : models::estimate_resources(spec).items) {
      if (i.what == "time series") series = i.bytes / 3;
    }
  } catch (const InvalidArgument&) {
    // System refuses this spec below, with the reason.
  }
  return (std::size_t{64} << 20) + static_cast<std::size_t>(std::min(series, 64e9));
}

std::string at_time(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

models::RunResults run_scenario(const models::ScenarioSpec& spec, std::uint64_t seed,
                                const ProgressCallback& progress, const StopReason& stop_reason) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<char[]> reserve;
  std::optional<models::System> system;
  try {
    reserve = std::make_unique_for_overwrite<char[]>(reserve_bytes(spec));
    system.emplace(spec, seed);
  } catch (const std::bad_alloc&) {
    system.reset();
    throw OutOfMemory(
        "out of memory while building the system (the users' rows, stores and tables); nothing "
        "was run. geodes check shows what the scenario needs");
  }
  const sim::Time end = system->end_time();
  sim::Engine& engine = system->engine();
  if (progress) {
    engine.set_progress_hook(
        [&](const sim::Progress& p) {
          if (!progress(p, end)) engine.stop();
        },
        kProgressEveryEvents);
  }
  bool complete = false;
  std::string stopped_by;
  try {
    complete = system->run();
    if (!complete) stopped_by = stop_reason ? stop_reason() : std::string("interrupted");
  } catch (const std::bad_alloc&) {
    reserve.reset();
    stopped_by = "out of memory while running the simulation, at " +
                 at_time(engine.now().seconds()) + " of simulated time";
  }
  models::RunResults results;
  try {
    results = system->results();
  } catch (const std::bad_alloc&) {
    system.reset();
    throw OutOfMemory((stopped_by.empty() ? std::string("out of memory") : stopped_by) +
                      ", then again while collecting what was measured; nothing was written");
  }
  results.complete = complete;
  results.stopped_by = stopped_by;
  results.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return results;
}

}  // namespace geodes::app
