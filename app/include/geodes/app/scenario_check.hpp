// `geodes check`: explains a scenario before it runs, as the lesson's four-step table
// (DOMAIN.md: businesses by tier; data classes; the sync of each class; exception handling), and
// judges the design by the lesson's rules:
//
//   rule id                     severity  finding
//   regenerate_not_lossable     error     data that may not be lost is "regenerate"d (never synced)
//   ordered_updates_over_mq     warning   a class some business updates goes over an MQ channel
//                                         with round_robin partitioning (updates may be reordered)
//   unique_id_collisions        warning   unique data whose id strategy can collide (random, none,
//                                         or what IdAllocator::misconfigurations() reports)
//   shared_fate                 warning   two channels of one class share a link or an
//                                         intermediate DC on some DC pair (one cut stops both)
//   local_not_lossable          warning   non-lossable data kept `local` while users can fail over
//   duplicate_key_stop          warning   multi-channel class over a MySQL channel that stops on
//                                         error 1062 (the other channel's row arrives first)
//   multi_channel_ordering      warning   an updated class on two channels without
//                                         last_writer_wins everywhere (a late copy regresses it)
//   mq_apply_not_idempotent     warning   an MQ channel (at-least-once) whose apply rule is not
//                                         idempotent (insert_if_absent, last_writer_wins)
//   fallback_shared_fate        warning   one link or DC carries every sync channel of a class and
//                                         its access fallback (one cut stops sync and access)
//   oplog_lost_with_fault       warning   a fault of the timeline destroys an oplog's placement
//   sync_oplog_cut_off          warning   a fault of the timeline cuts writers off from their
//                                         sync remote oplog's DC (their writes fail or wait)
//   fault_after_end             warning   a scheduled fault starts after the run's duration
//   unused_channel              warning   a channel no data class uses
//
// Output: human-readable text within 80 columns, or JSON with a stable key order. Exit codes
// (run_check): 0 when the scenario loads and has no errors (warnings allowed), 2 on load errors
// or check errors, 1 on anything else.
//
// Determinism: findings come in a fixed order (rule by rule, each over classes and DC pairs in
// id order); nothing depends on hash order or the clock.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "geodes/app/scenario_loader.hpp"
#include "geodes/models/system/scenario.hpp"

namespace geodes::app {

struct CheckFinding {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kWarning;
  /// One of the rule ids in the file comment.
  std::string rule;
  /// What it is about: a data class, channel, fault ("faults.1") or business name.
  std::string subject;
  std::string message;
};

struct CheckReport {
  std::vector<CheckFinding> findings;
  [[nodiscard]] std::size_t errors() const;
  [[nodiscard]] std::size_t warnings() const;
};

/// "warning", "error".
const char* to_string(CheckFinding::Severity severity);

/// The lesson's rules applied to `spec` (a spec that loaded without errors).
CheckReport check_scenario(const models::ScenarioSpec& spec);

/// The four-step table, the timeline and the findings, for a terminal (80 columns).
void write_check_text(const LoadedScenario& scenario, const CheckReport& report, std::ostream& out);
/// The same as one JSON document (keys in a fixed order), ending in a newline.
std::string check_json(const LoadedScenario& scenario, const CheckReport& report);
/// The JSON for a scenario that did not load: {"ok": false, "errors": n, "diagnostics": [...]}.
std::string diagnostics_json(const std::vector<Diagnostic>& diagnostics);

/// `geodes check [SCENARIO] [--set key.path=value]... [--json]`: loads SCENARIO (the built-in
/// default when none is given) and prints the check. Returns the exit code (see above).
int run_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace geodes::app
