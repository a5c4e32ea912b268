// Running a loaded scenario: the one place where a System is built, driven and turned into
// results, shared by `geodes run` and the Python API so that both give the same numbers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "geodes/models/system/run_results.hpp"
#include "geodes/models/system/scenario.hpp"
#include "geodes/sim/engine.hpp"

namespace geodes::app {

/// Called from the engine every `kProgressEveryEvents` events with the progress so far and the
/// run's simulated end; returning false stops the run there (its results are then incomplete).
using ProgressCallback = std::function<bool(const sim::Progress&, sim::Time end)>;

inline constexpr std::uint64_t kProgressEveryEvents = 1u << 16;

/// Says why `progress` stopped a run ("interrupted (SIGTERM)"), for RunResults::stopped_by.
using StopReason = std::function<std::string()>;

/// Builds the system of `spec` under `seed`, runs it to its end (duration + drain) unless
/// `progress` stops it, and returns what it measured, with `complete`, `stopped_by` and `wall_s`
/// set. Memory running out during the run also stops it there: what was measured is returned,
/// incomplete, `stopped_by` saying "out of memory while running the simulation, at ...".
/// Throws InvalidArgument when the spec is inconsistent (before anything runs), OutOfMemory when
/// memory runs out while building the system or while collecting the results (never
/// std::bad_alloc).
models::RunResults run_scenario(const models::ScenarioSpec& spec, std::uint64_t seed,
                                const ProgressCallback& progress = {},
                                const StopReason& stop_reason = {});

}  // namespace geodes::app
