// Loading a scenario: YAML (or JSON, which is YAML) text -> models::ScenarioSpec, with every
// mistake reported at once, each naming where it is and what is allowed. The format is
// docs/scenario.md; the lead's `geodes run`, `geodes check` and the Python bindings all load
// through here, so a scenario means the same everywhere.
//
// Errors. Loading never stops at the first mistake: unknown keys (with "did you mean"), wrong
// types, bad units and distributions, out-of-range values, dangling references, contradictions and
// duplicates are all collected, in file order, and thrown together as one ScenarioError. Each
// Diagnostic names the file (or the `--set` argument that brought the value in), the 1-based
// line and column of the offending node, its key path ("channels.mysql_main.threads", list items
// by index: "faults.0.at") and a message that quotes the bad value and says what is allowed.
// After the per-key checks, the pieces that validate themselves (Topology, ArrivalProcess per
// business, IdAllocator per data class, UserRouting, Gslb, Workload) are constructed, so no spec
// that a model would reject escapes; their complaints are attached to the node they came from.
//
// Overrides. `key.path=value` strings (the CLI's --set) are applied to the YAML tree before it is
// read: the value is parsed as YAML (`8k/s`, `[a, b]`, `{at: 5m}`), intermediate maps are created
// as needed, list items are addressed by index (one past the end appends). Their mistakes are
// reported like the file's, naming the --set argument instead of a line.
//
// Limits (so that hostile input cannot exhaust the machine): nesting deeper than 64 levels, more
// than 200,000 nodes after expanding aliases, or more than 256 datacenters are errors.
//
// Thread safety: every function is reentrant; nothing is cached.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "geodes/models/system/scenario.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::app {

/// One problem found in a scenario.
struct Diagnostic {
  /// The file name (or "--set key=value" for an override, or the origin given to
  /// load_scenario_text).
  std::string file;
  /// 1-based position of the offending node; 0 = unknown (overrides, whole-file problems).
  int line = 0;
  int column = 0;
  /// Dotted path of the key ("workload.users.max", "faults.0.at"); empty for the whole document.
  std::string key_path;
  std::string message;
};

/// "file:line:col: key.path: message"; the position is left out when unknown ("--set a=b: a:
/// message") and the key path when empty.
std::string format_diagnostic(const Diagnostic& d);

/// A scenario that failed to load. what() holds every diagnostic, formatted, one per line.
class ScenarioError : public InvalidArgument {
 public:
  explicit ScenarioError(std::vector<Diagnostic> diagnostics);
  [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

struct LoadedScenario {
  models::ScenarioSpec spec;
  /// The effective YAML: the text as given when there are no overrides (comments kept), else the
  /// tree after overrides, re-emitted. Loading it again gives the same spec (for results files).
  std::string text;
  /// Where it came from: the path, or the origin given to load_scenario_text.
  std::string origin;
};

/// Reads and loads the file at `path`. Throws ScenarioError (also when the file cannot be read).
LoadedScenario load_scenario_file(const std::string& path,
                                  const std::vector<std::string>& overrides = {});

/// Loads scenario `text` (YAML or JSON); `origin` names it in diagnostics. Throws ScenarioError.
LoadedScenario load_scenario_text(const std::string& text, const std::string& origin,
                                  const std::vector<std::string>& overrides = {});

/// The built-in default scenario, scenarios/login_two_cities.yaml as it was at build time (CMake
/// embeds it), so that `geodes run` works from any folder.
std::string_view default_scenario_text();

/// The origin used for the built-in default in diagnostics and results.
inline constexpr std::string_view kDefaultScenarioOrigin = "<built-in login_two_cities.yaml>";

}  // namespace geodes::app
