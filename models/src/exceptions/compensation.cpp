#include "geodes/models/exceptions/compensation.hpp"

#include "geodes/sim/error.hpp"

namespace geodes::models {

const char* to_string(CompensationCause cause) {
  switch (cause) {
    case CompensationCause::kOpFailed:
      return "op_failed";
    case CompensationCause::kDataLost:
      return "data_lost";
    case CompensationCause::kStaleData:
      return "stale_data";
    case CompensationCause::kForcedRelogin:
      return "forced_relogin";
  }
  return "?";
}

Compensation::Compensation(const CompensationSpec& spec, std::size_t businesses)
    : spec_(spec), charged_(businesses + 1) {
  for (const double c :
       {spec.cost_op_failed, spec.cost_data_lost, spec.cost_stale_data, spec.cost_forced_relogin}) {
    if (!(c >= 0)) throw InvalidArgument("compensation: costs must be >= 0");
  }
  if (!(spec.target_ratio > 0 && spec.target_ratio <= 1)) {
    throw InvalidArgument("compensation: target must be in (0, 1]");
  }
}

void Compensation::affect(std::uint64_t user, CompensationCause cause,
                          std::optional<BusinessId> business) {
  const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(cause));
  Hurt& h = *users_.try_emplace(user).first;
  if ((h.causes & bit) != 0) return;
  h.causes |= bit;
  const auto c = static_cast<std::size_t>(cause);
  ++by_cause_[c];
  const std::size_t row =
      business && business->value + 1 < charged_.size() ? business->value : charged_.size() - 1;
  ++charged_[row][c];
}

std::uint64_t Compensation::affected(CompensationCause cause) const {
  return by_cause_[static_cast<std::size_t>(cause)];
}

double Compensation::price(CompensationCause cause) const {
  switch (cause) {
    case CompensationCause::kOpFailed:
      return spec_.cost_op_failed;
    case CompensationCause::kDataLost:
      return spec_.cost_data_lost;
    case CompensationCause::kStaleData:
      return spec_.cost_stale_data;
    case CompensationCause::kForcedRelogin:
      return spec_.cost_forced_relogin;
  }
  return 0;
}

double Compensation::cost(BusinessId business) const {
  const auto& row = charged_.at(business.value);
  double total = 0;
  for (std::size_t c = 0; c < kCompensationCauseCount; ++c) {
    total += static_cast<double>(row[c]) * price(static_cast<CompensationCause>(c));
  }
  return total;
}

CompensationResult Compensation::result(std::uint64_t users) const {
  CompensationResult r;
  r.affected_users = users_.size();
  r.users = users;
  r.target_ratio = spec_.target_ratio;
  for (std::size_t c = 0; c < kCompensationCauseCount; ++c) {
    const auto cause = static_cast<CompensationCause>(c);
    r.by_cause.emplace_back(to_string(cause), by_cause_[c]);
    const double cost = static_cast<double>(by_cause_[c]) * price(cause);
    r.cost_by_cause.emplace_back(to_string(cause), cost);
    r.cost += cost;
  }
  return r;
}

}  // namespace geodes::models
