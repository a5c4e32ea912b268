// Users' home DCs: the rule that pins each user to the DC that serves them when nothing is broken
// (DOMAIN.md, reader comments: "route each user to a fixed home DC by user ID").
//
// Rules:
//   hash      home = a 64-bit mix of the user id, scaled onto the DCs: an even spread, no table.
//   share     the same mix read as a number u in [0, 1), placed on the cumulative weights: DC i
//             gets a fraction share_i / sum(shares) of the users (in expectation; the mix makes
//             it hold for any set of ids, contiguous or not).
//   id_range  explicit inclusive ranges [first, last] of ids, each mapped to a DC (Ant's RZone
//             sharding by user id). Ranges must not overlap; an id outside every range has no
//             home, which the workload rejects up front (covers()).
//
// Determinism: home() is a pure function of (parameters, user id); no state, no draws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "geodes/models/ids.hpp"

namespace geodes::models {

enum class RoutingRule : std::uint8_t { kHash, kShare, kIdRange };

/// Users `first` to `last` (inclusive) live in `dc`.
struct IdRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  DcId dc;
};

struct UserRoutingParams {
  RoutingRule rule = RoutingRule::kHash;
  /// kShare: one non-negative weight per DC (index = DC id); they need not sum to 1.
  std::vector<double> shares;
  /// kIdRange: disjoint ranges, in any order.
  std::vector<IdRange> ranges;
};

class UserRouting {
 public:
  /// Routing over `dc_count` DCs. Throws InvalidArgument when dc_count is 0; for kShare when the
  /// number of shares is not dc_count, a share is negative or not finite, or all are 0; for
  /// kIdRange when there are no ranges, a range has first > last, names an unknown DC, or
  /// overlaps another.
  UserRouting(const UserRoutingParams& params, std::size_t dc_count);

  /// The home DC of `user`. Throws InvalidArgument for an id outside every range (kIdRange).
  [[nodiscard]] DcId home(std::uint64_t user) const;
  /// True iff every id in [first, last] has a home (always true for kHash and kShare).
  [[nodiscard]] bool covers(std::uint64_t first, std::uint64_t last) const;

  [[nodiscard]] RoutingRule rule() const { return rule_; }
  [[nodiscard]] std::size_t dc_count() const { return dc_count_; }

 private:
  RoutingRule rule_;
  std::size_t dc_count_;
  std::vector<double> cumulative_;  // kShare: running sums of the normalised shares
  std::vector<IdRange> ranges_;     // kIdRange: sorted by first
};

/// "hash", "share", "id_range".
const char* to_string(RoutingRule rule);
/// The rule named `name`. Throws InvalidArgument naming the bad value and the allowed ones.
RoutingRule parse_routing_rule(const std::string& name);

}  // namespace geodes::models
