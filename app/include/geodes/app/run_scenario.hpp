// Running a loaded scenario: the one place where a System is built, driven and turned into
// results, shared by `geodes run` and the Python API so that both give the same numbers.
#pragma once

#include <cstdint>
#include <functional>

#include "geodes/models/system/run_results.hpp"
#include "geodes/models/system/scenario.hpp"
#include "geodes/sim/engine.hpp"

namespace geodes::app {

/// Called from the engine every `kProgressEveryEvents` events with the progress so far and the
/// run's simulated end; returning false stops the run there (its results are then incomplete).
using ProgressCallback = std::function<bool(const sim::Progress&, sim::Time end)>;

inline constexpr std::uint64_t kProgressEveryEvents = 1u << 16;

/// Builds the system of `spec` under `seed`, runs it to its end (duration + drain) unless
/// `progress` stops it, and returns what it measured, with `complete` and `wall_s` set.
/// Throws InvalidArgument when the spec is inconsistent (before anything runs).
models::RunResults run_scenario(const models::ScenarioSpec& spec, std::uint64_t seed,
                                const ProgressCallback& progress = {});

}  // namespace geodes::app
