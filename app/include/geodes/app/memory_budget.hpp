// Resources are input too: a run whose estimated peak memory (models::estimate_resources) exceeds
// what the machine can give it is refused before it starts, like any other bad input, instead of
// being found out by the kernel's OOM killer after it has starved everything else on the machine.
//
// The budget is the smallest of: MemAvailable in /proc/meminfo (what can be allocated without
// swapping), the cgroup v2 limit of this process minus its current usage (a container, a systemd
// slice, a batch job's allocation), and the user's --max-memory. The address-space limit
// (`ulimit -v`) is not part of it: address space is not memory (libraries and thread stacks
// reserve far more than they touch); a run that hits it stops with "out of memory while ...".
#pragma once

#include <optional>
#include <string>

#include "geodes/app/scenario_loader.hpp"

namespace geodes::app {

struct MemoryBudget {
  double bytes = 0;
  /// Where the figure comes from: "available memory (MemAvailable)", "the cgroup's memory limit",
  /// "--max-memory".
  std::string source;
};

/// What the machine can give a run now: MemAvailable and the cgroup limit (the smaller); nullopt
/// when neither can be read (then no refusal happens, as before estimates existed).
std::optional<MemoryBudget> machine_memory_budget();

/// The budget of a run: the machine's, lowered to `max_memory` bytes when given.
std::optional<MemoryBudget> memory_budget(std::optional<double> max_memory);

/// Parses --max-memory: a size with a unit ("4GiB", "512MB", "2G" = 2 GB); throws InvalidArgument
/// naming the flag, the text and the units allowed when it is not a positive size.
double parse_max_memory(const std::string& text);

/// Throws ScenarioError (exit 2 in the CLI, geodes.ScenarioError in Python) when the estimated
/// peak memory of `scenario` exceeds `budget`. The message names the estimate, the budget and its
/// source, and the largest items with the scenario keys (and their values) that drive them.
void refuse_if_too_large(const LoadedScenario& scenario, const std::optional<MemoryBudget>& budget);

}  // namespace geodes::app
