// key_sizing() and truth_key_sizing(): which tables of a data class are sized by users.max and
// laid out directly by id.
#include "geodes/models/system/scenario.hpp"

#include <gtest/gtest.h>

#include "two_cities.hpp"

namespace geodes::models {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)

TEST(KeySizing, PreloadedPerUserClassesAreDirectOthersIndexed) {
  const TwoCities t = two_cities();
  const KeySizing accounts = key_sizing(t.spec, kAccounts);
  EXPECT_EQ(accounts.layout, KeyLayout::kDirect);
  EXPECT_EQ(accounts.expected, t.spec.workload.users.max);
  // Sessions are keyed by account ids but not preloaded: their stores, which expire rows, stay
  // indexed.
  const KeySizing sessions = key_sizing(t.spec, kSessions);
  EXPECT_EQ(sessions.layout, KeyLayout::kIndexed);
  EXPECT_EQ(sessions.expected, t.spec.workload.users.max);
}

TEST(TruthKeySizing, EveryPerUserClassWithDenseIdsIsDirect) {
  const TwoCities t = two_cities();
  for (const DataClassId c : {kAccounts, kPasswords, kSessions}) {
    const KeySizing s = truth_key_sizing(t.spec, c);
    EXPECT_EQ(s.layout, KeyLayout::kDirect) << "class " << c.value;
    EXPECT_EQ(s.expected, key_sizing(t.spec, c).expected) << "class " << c.value;
  }
}

TEST(TruthKeySizing, SparseIdsAndClassesNotKeyedByUsersStayIndexed) {
  TwoCities t = two_cities();
  IdStrategyParams snowflake;
  snowflake.kind = IdStrategyKind::kSnowflake;
  t.spec.data[kAccounts.value].id_strategy = snowflake;
  EXPECT_EQ(truth_key_sizing(t.spec, kSessions).layout, KeyLayout::kIndexed);

  // A class no step keys by account id (a fixed key, e.g. a stock counter).
  TwoCities fixed = two_cities();
  for (BusinessParams& b : fixed.spec.workload.businesses) {
    for (Step& step : b.steps) {
      if (step.data_class == kSessions) step.key = KeyChoice::kFixed;
    }
  }
  EXPECT_EQ(truth_key_sizing(fixed.spec, kSessions).layout, KeyLayout::kIndexed);
}

}  // namespace
}  // namespace geodes::models
