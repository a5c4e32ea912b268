#include "geodes/models/workload/op_outcome.hpp"

namespace geodes::models {

const char* to_string(FailureCause cause) {
  switch (cause) {
    case FailureCause::kNone:
      return "none";
    case FailureCause::kDcDown:
      return "dc_down";
    case FailureCause::kTimeout:
      return "timeout";
    case FailureCause::kMissing:
      return "missing";
    case FailureCause::kStale:
      return "stale";
    case FailureCause::kDuplicate:
      return "duplicate";
    case FailureCause::kExhausted:
      return "exhausted";
  }
  return "?";
}

bool retriable(FailureCause cause) {
  return cause == FailureCause::kDcDown || cause == FailureCause::kTimeout;
}

}  // namespace geodes::models
