// The scenario format (docs/scenario.md) read from a YamlNode tree into a models::ScenarioSpec:
// names resolved to ids, defaults filled in, every key checked where it stands.
//
// The reader never stops at a mistake: a bad value is reported and its default kept, a bad
// reference is reported and the item skipped where skipping cannot cause a second, misleading
// report. So one pass reports every independent mistake of the file.
#pragma once

#include <vector>

#include "geodes/models/system/scenario.hpp"
#include "yaml_node.hpp"
#include "yaml_reader.hpp"

namespace geodes::app {

/// Where the parts that validate themselves came from, for attaching their complaints.
struct SpecMarks {
  YamlMark root;
  YamlMark topology;
  YamlMark workload;
  YamlMark routing;
  YamlMark gslb;
  std::vector<YamlMark> businesses;     ///< index = BusinessId
  std::vector<YamlMark> id_strategies;  ///< index = DataClassId (the class's mark if none)
  std::vector<std::string> business_paths;
  std::vector<std::string> id_strategy_paths;
};

/// Reads `root` into a spec, recording every problem in `d` (the spec is meaningless unless `d`
/// stays empty) and the marks of the self-validating parts in `marks`.
models::ScenarioSpec convert_scenario(const YamlNode& root, Diagnostics& d, SpecMarks& marks);

/// Constructs the parts of `spec` that validate themselves (Topology is built by the reader;
/// here ArrivalProcess per business, IdAllocator per data class, UserRouting, Gslb and the
/// Workload) and records what they reject, at the marks given.
void validate_spec(const models::ScenarioSpec& spec, const SpecMarks& marks, Diagnostics& d);

}  // namespace geodes::app
