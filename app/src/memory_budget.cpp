#include "geodes/app/memory_budget.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "geodes/models/system/resource_estimate.hpp"
#include "geodes/sim/units.hpp"

namespace geodes::app {

namespace {

// MemAvailable (kB) from /proc/meminfo, in bytes.
std::optional<double> mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

std::optional<double> read_number(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The cgroup v2 limit left to this process: memory.max - memory.current of its cgroup.
std::optional<double> cgroup_left() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    const std::string dir = "/sys/fs/cgroup" + line.substr(3);
    const std::optional<double> max = read_number(dir + "/memory.max");
    if (!max) return std::nullopt;
    return std::max(0.0, *max - read_number(dir + "/memory.current").value_or(0));
  }
  return std::nullopt;
}

}  // namespace

std::optional<MemoryBudget> machine_memory_budget() {
  std::optional<MemoryBudget> b;
  if (const auto avail = mem_available()) b = MemoryBudget{*avail, "memory available now"};
  if (const auto left = cgroup_left(); left && (!b || *left < b->bytes)) {
    b = MemoryBudget{*left, "memory this cgroup's limit leaves"};
  }
  return b;
}

std::optional<MemoryBudget> memory_budget(std::optional<double> max_memory) {
  std::optional<MemoryBudget> b = machine_memory_budget();
  if (max_memory && (!b || *max_memory < b->bytes)) b = MemoryBudget{*max_memory, "--max-memory"};
  return b;
}

double parse_max_memory(const std::string& text) {
  double bytes = 0;
  try {
    bytes = sim::parse_quantity(text, sim::Unit::kBytes);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("--max-memory: " + std::string(e.what()));
  }
  if (!(bytes > 0) || !std::isfinite(bytes)) {
    throw InvalidArgument("--max-memory takes a positive size (such as 4GiB or 512MB), got '" +
                          text + "'");
  }
  return bytes;
}

void refuse_if_too_large(const LoadedScenario& scenario,
                         const std::optional<MemoryBudget>& budget) {
  if (!budget) return;
  const models::ResourceEstimate e = models::estimate_resources(scenario.spec);
  if (e.peak_bytes <= budget->bytes) return;
  std::ostringstream m;
  m << "this run needs an estimated " << models::format_bytes(e.peak_bytes)
    << " of memory at its peak, more than the " << models::format_bytes(budget->bytes) << " of "
    << budget->source << "; it was not started. The largest items:";
  std::string first_keys;
  std::size_t shown = 0;
  for (const models::ResourceItem& i : e.largest()) {
    if (shown == 3 || i.bytes < e.peak_bytes / 100) break;
    m << "\n  " << i.what << " " << models::format_bytes(i.bytes) << ": " << i.detail;
    if (!i.keys.empty()) m << " (driven by " << i.keys << ")";
    if (first_keys.empty()) first_keys = i.keys;
    ++shown;
  }
  m << "\nmake those smaller (geodes check shows the whole estimate)";
  Diagnostic d;
  d.file = scenario.origin;
  // The key of the largest item, its first one: where to start.
  d.key_path = first_keys.substr(0, first_keys.find_first_of("=, ("));
  d.message = m.str();
  throw ScenarioError({d});
}

}  // namespace geodes::app
