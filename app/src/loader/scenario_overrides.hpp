// `--set key.path=value` overrides, applied to a scenario's YAML tree before it is read, so an
// override is validated exactly like the file (DESIGN.md: overrides by key path).
//
// The value is parsed as YAML ("8k/s", "[a, b]", "{at: 5m}", "" for null). Path segments name map
// keys or, in lists, 0-based indexes; one past the end of a list appends. Missing map keys are
// created (with maps for the intermediate ones), so an override can add what the file left to its
// default; but a missing intermediate key close to an existing one ("mysql_mian" beside
// "mysql_main") is taken for a typo and reported with "did you mean". Every node an override
// brings in is marked with the override ("--set key.path=value") instead of a line, so the
// reader's diagnostics name it.
#pragma once

#include <string>

#include "yaml_node.hpp"
#include "yaml_reader.hpp"

namespace geodes::app {

/// Applies one "key.path=value" override to `root`; problems go to `d`.
void apply_override(YamlNode& root, const std::string& override_text, Diagnostics& d);

}  // namespace geodes::app
