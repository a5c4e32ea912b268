#include "geodes/models/workload/user_routing.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "geodes/sim/error.hpp"
#include "geodes/sim/mix.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::models {

namespace {

__extension__ typedef unsigned __int128 Uint128;  // NOLINT(modernize-use-using)

// SplitMix64 (an increment, then its finaliser): consecutive user ids land on unrelated DCs.
std::uint64_t mix(std::uint64_t k) { return sim::mix64(k + 0x9e3779b97f4a7c15ULL); }

std::string range_text(const IdRange& r) {
  return "[" + std::to_string(r.first) + ", " + std::to_string(r.last) + "] -> DC " +
         std::to_string(r.dc.value);
}

}  // namespace

UserRouting::UserRouting(const UserRoutingParams& params, std::size_t dc_count)
    : rule_(params.rule), dc_count_(dc_count) {
  const std::string where = std::string("user routing (rule ") + to_string(rule_) + "): ";
  if (dc_count == 0) throw InvalidArgument(where + "there are no DCs to route users to");
  switch (rule_) {
    case RoutingRule::kHash:
      break;
    case RoutingRule::kShare: {
      if (params.shares.size() != dc_count) {
        throw InvalidArgument(where + "shares has " + std::to_string(params.shares.size()) +
                              " entries; it needs one weight per DC (" + std::to_string(dc_count) +
                              ")");
      }
      double total = 0;
      for (std::size_t i = 0; i < params.shares.size(); ++i) {
        const double s = params.shares[i];
        if (!std::isfinite(s) || s < 0) {
          throw InvalidArgument(where + "shares[" + std::to_string(i) + "] is " +
                                std::to_string(s) + "; a share must be a finite number >= 0");
        }
        total += s;
      }
      if (total <= 0) throw InvalidArgument(where + "all shares are 0; at least one must be > 0");
      double run = 0;
      for (double s : params.shares) {
        run += s / total;
        cumulative_.push_back(run);
      }
      cumulative_.back() = 1.0;  // no gap from rounding at the top
      break;
    }
    case RoutingRule::kIdRange: {
      if (params.ranges.empty()) {
        throw InvalidArgument(where + "ranges is empty; give at least one [first, last] -> DC");
      }
      ranges_ = params.ranges;
      for (const IdRange& r : ranges_) {
        if (r.first > r.last) {
          throw InvalidArgument(where + "range " + range_text(r) + " has first > last");
        }
        if (r.dc.value >= dc_count) {
          throw InvalidArgument(where + "range " + range_text(r) + " names DC " +
                                std::to_string(r.dc.value) + "; DC ids go from 0 to " +
                                std::to_string(dc_count - 1));
        }
      }
      std::sort(ranges_.begin(), ranges_.end(),
                [](const IdRange& a, const IdRange& b) { return a.first < b.first; });
      for (std::size_t i = 1; i < ranges_.size(); ++i) {
        if (ranges_[i].first <= ranges_[i - 1].last) {
          throw InvalidArgument(where + "ranges " + range_text(ranges_[i - 1]) + " and " +
                                range_text(ranges_[i]) + " overlap; ranges must be disjoint");
        }
      }
      break;
    }
  }
}

DcId UserRouting::home(std::uint64_t user) const {
  switch (rule_) {
    case RoutingRule::kHash: {
      // Multiply-high maps the 64-bit mix onto [0, dc_count) with bias below dc_count / 2^64.
      const auto m = static_cast<Uint128>(mix(user)) * dc_count_;
      return DcId{static_cast<std::uint32_t>(m >> 64)};
    }
    case RoutingRule::kShare: {
      const double u = static_cast<double>(mix(user) >> 11) * 0x1.0p-53;
      const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      // u < 1 = cumulative_.back(), so `it` is a real entry; a zero-weight DC has an empty
      // interval [c_{i-1}, c_i) and is never chosen.
      return DcId{static_cast<std::uint32_t>(it - cumulative_.begin())};
    }
    case RoutingRule::kIdRange: {
      auto it = std::upper_bound(ranges_.begin(), ranges_.end(), user,
                                 [](std::uint64_t u, const IdRange& r) { return u < r.first; });
      if (it != ranges_.begin() && user <= std::prev(it)->last) return std::prev(it)->dc;
      throw InvalidArgument("user routing (rule id_range): user " + std::to_string(user) +
                            " is outside every range; add a range that covers it");
    }
  }
  return DcId{0};
}

bool UserRouting::covers(std::uint64_t first, std::uint64_t last) const {
  if (rule_ != RoutingRule::kIdRange || first > last) return true;
  std::uint64_t next = first;  // the lowest id not yet shown covered
  for (const IdRange& r : ranges_) {
    if (r.last < next) continue;
    if (r.first > next) return false;
    if (r.last >= last) return true;
    next = r.last + 1;
  }
  return false;
}

const char* to_string(RoutingRule rule) {
  switch (rule) {
    case RoutingRule::kHash:
      return "hash";
    case RoutingRule::kShare:
      return "share";
    case RoutingRule::kIdRange:
      return "id_range";
  }
  return "?";
}

RoutingRule parse_routing_rule(const std::string& name) {
  static constexpr RoutingRule kAll[] = {RoutingRule::kHash, RoutingRule::kShare,
                                         RoutingRule::kIdRange};
  return sim::parse_name(name, kAll, "user routing rule");
}

}  // namespace geodes::models
