// User compensation (DOMAIN.md step 4.4): no design saves everyone; count the distinct users hurt,
// by cause, and price the bill (the Hearthstone 2017 rollback paid every affected player).
//
// Causes: op_failed (an op failed after its retries), data_lost (a write of theirs to a class that
// is not lossable was lost; losing lossable data such as a password hurts nobody by itself),
// stale_data (stale data made an op fail, e.g. a login with an old password), forced_relogin
// (their session was regenerated elsewhere). A user counts once per cause, and once in
// affected_users whatever their causes. Each (user, cause) is charged to the business whose op
// first hurt them that way (data loss is charged to no business).
//
// Memory: a KeyTable (key_table.hpp) of the users hurt, 5 bytes per user (user ids are dense).
// Determinism: costs are counts times per-user prices, multiplied at the end, so they do not
// depend on the order users were hurt in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "geodes/models/data/key_table.hpp"
#include "geodes/models/system/run_results.hpp"
#include "geodes/models/system/scenario.hpp"
#include "geodes/models/workload/business.hpp"

namespace geodes::models {

enum class CompensationCause : std::uint8_t { kOpFailed, kDataLost, kStaleData, kForcedRelogin };
inline constexpr std::size_t kCompensationCauseCount = 4;

/// "op_failed", "data_lost", "stale_data", "forced_relogin".
const char* to_string(CompensationCause cause);

class Compensation {
 public:
  Compensation(const CompensationSpec& spec, std::size_t businesses);

  /// `user` was hurt by `cause` (through an op of `business`, if any).
  void affect(std::uint64_t user, CompensationCause cause,
              std::optional<BusinessId> business = std::nullopt);

  [[nodiscard]] std::uint64_t affected_users() const { return users_.size(); }
  [[nodiscard]] std::uint64_t affected(CompensationCause cause) const;
  /// The bill charged to `business`.
  [[nodiscard]] double cost(BusinessId business) const;
  /// The result for `users` users in all (the registered ones).
  [[nodiscard]] CompensationResult result(std::uint64_t users) const;

 private:
  [[nodiscard]] double price(CompensationCause cause) const;

  struct Hurt {
    std::uint8_t causes = 0;  // bit per cause
  };
  CompensationSpec spec_;
  KeyTable<Hurt> users_;
  std::array<std::uint64_t, kCompensationCauseCount> by_cause_{};
  // [business][cause]: users charged to that business; the last row is "no business".
  std::vector<std::array<std::uint64_t, kCompensationCauseCount>> charged_;
};

}  // namespace geodes::models
