#include "geodes/models/exceptions/compensation.hpp"

#include <gtest/gtest.h>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

CompensationSpec prices() {
  CompensationSpec s;
  s.cost_op_failed = 1;
  s.cost_data_lost = 200;
  s.cost_stale_data = 10;
  s.cost_forced_relogin = 0.5;
  return s;
}

TEST(Compensation, EachUserCountsOncePerCauseAndOnceOverall) {
  Compensation c(prices(), 2);
  c.affect(7, CompensationCause::kOpFailed, BusinessId{0});
  c.affect(7, CompensationCause::kOpFailed, BusinessId{1});  // again: not counted twice
  c.affect(7, CompensationCause::kStaleData, BusinessId{0});
  c.affect(8, CompensationCause::kForcedRelogin, BusinessId{1});
  c.affect(9, CompensationCause::kDataLost);
  EXPECT_EQ(c.affected_users(), 3u);
  EXPECT_EQ(c.affected(CompensationCause::kOpFailed), 1u);
  const CompensationResult r = c.result(1000);
  EXPECT_EQ(r.affected_users, 3u);
  EXPECT_EQ(r.users, 1000u);
  EXPECT_DOUBLE_EQ(r.affected_ratio(), 0.003);
  EXPECT_DOUBLE_EQ(r.cost, 1 + 10 + 0.5 + 200);
  ASSERT_EQ(r.by_cause.size(), 4u);
  EXPECT_EQ(r.by_cause[2].first, "stale_data");
  EXPECT_EQ(r.by_cause[2].second, 1u);
}

TEST(Compensation, TheBillIsChargedToTheBusinessThatFirstHurtTheUser) {
  Compensation c(prices(), 2);
  c.affect(7, CompensationCause::kOpFailed, BusinessId{1});
  c.affect(7, CompensationCause::kOpFailed, BusinessId{0});
  c.affect(8, CompensationCause::kForcedRelogin, BusinessId{0});
  c.affect(9, CompensationCause::kDataLost);
  EXPECT_DOUBLE_EQ(c.cost(BusinessId{0}), 0.5);
  EXPECT_DOUBLE_EQ(c.cost(BusinessId{1}), 1.0);
}

TEST(Compensation, NegativePricesAndTargetsOutsideZeroOneAreRejected) {
  CompensationSpec s = prices();
  s.cost_data_lost = -1;
  EXPECT_THROW(Compensation(s, 1), InvalidArgument);
  s = prices();
  s.target_ratio = 1.5;
  EXPECT_THROW(Compensation(s, 1), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
