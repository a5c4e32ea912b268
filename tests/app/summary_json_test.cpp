#include "geodes/app/summary_json.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"
#include "sample_results.hpp"

namespace geodes::app {
namespace {

using Json = nlohmann::ordered_json;
using testing::sample_results;

Json parse(const models::RunResults& r, const SummaryOptions& options = {}) {
  return Json::parse(summary_json(r, options));
}

std::vector<std::string> keys(const Json& j) {
  std::vector<std::string> out;
  for (const auto& [key, value] : j.items()) out.push_back(key);
  return out;
}

using Keys = std::vector<std::string>;

TEST(SummaryJson, EveryDesignKeyIsPresentInTheDocumentedOrder) {
  SummaryOptions options;
  options.command_line = "geodes run login.yaml --seed 42";
  const Json j = parse(sample_results(), options);
  EXPECT_EQ(keys(j), (Keys{"scenario", "seed", "sim_time_s", "events", "wall_s", "command_line",
                           "businesses", "data", "channels", "compensation", "complete",
                           "fingerprint", "faults"}));
  EXPECT_EQ(keys(j["businesses"]["login"]),
            (Keys{"attempted", "succeeded", "success_ratio", "rto_s", "rto_status", "tier",
                  "failures", "cost", "revenue_lost", "latency_ms", "by_dc"}));
  EXPECT_EQ(keys(j["data"]["accounts"]),
            (Keys{"writes", "lag_ms", "bound_violations", "stale_reads", "lost", "recovered",
                  "divergent_keys", "order_violations", "uniqueness_conflicts", "regenerated",
                  "expired", "rpo_s", "undelivered", "fallback", "oplog_timeouts", "replicas"}));
  const Keys lag{"mean", "p50", "p99", "p999", "max"};
  EXPECT_EQ(keys(j["businesses"]["login"]["latency_ms"]), lag);
  EXPECT_EQ(keys(j["businesses"]["login"]["by_dc"]), (Keys{"shanghai", "beijing"}));
  EXPECT_EQ(keys(j["businesses"]["login"]["by_dc"]["beijing"]["latency_ms"]), lag);
  EXPECT_EQ(keys(j["data"]["accounts"]["lag_ms"]), lag);
  EXPECT_EQ(keys(j["data"]["accounts"]["replicas"]["beijing"]["lag_ms"]), lag);
  EXPECT_EQ(keys(j["channels"]["mq_accounts"]),
            (Keys{"delivered", "duplicates", "lost_in_transit", "lag_ms", "stopped_s", "type",
                  "data_class", "source", "replica", "path", "errors_1062", "disconnected_s",
                  "commit_latency_ms"}));
  EXPECT_EQ(keys(j["channels"]["mq_accounts"]["lag_ms"]), lag);
  EXPECT_EQ(keys(j["compensation"]), (Keys{"affected_users", "affected_ratio", "cost", "by_cause",
                                           "cost_by_cause", "users", "target_ratio"}));
  EXPECT_EQ(keys(j["faults"][0]), (Keys{"type", "target", "start_s", "end_s", "detail"}));
}

TEST(SummaryJson, NamesKeepTheScenarioOrderAndAreNeverSorted) {
  const Json j = parse(sample_results());
  EXPECT_EQ(keys(j["businesses"]), (Keys{"login", "register"}));
  EXPECT_EQ(keys(j["data"]), (Keys{"accounts", "sessions"}));
  EXPECT_EQ(keys(j["data"]["accounts"]["replicas"]), (Keys{"shanghai", "beijing"}));
  EXPECT_EQ(keys(j["channels"]), (Keys{"mysql_accounts", "mq_accounts"}));
  EXPECT_EQ(keys(j["businesses"]["login"]["failures"]), (Keys{"dc_down", "stale"}));
  EXPECT_EQ(keys(j["compensation"]["by_cause"]), (Keys{"op_failed", "data_lost"}));
}

TEST(SummaryJson, ValuesAreCopiedFromTheResults) {
  const Json j = parse(sample_results());
  EXPECT_EQ(j["scenario"], "login_two_cities");
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["sim_time_s"], 3600.0);
  EXPECT_EQ(j["events"], 1234567);
  EXPECT_EQ(j["wall_s"], 2.5);
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["fingerprint"], "0123456789abcdef");
  EXPECT_EQ(j["businesses"]["login"]["attempted"], 1000);
  EXPECT_EQ(j["businesses"]["login"]["succeeded"], 990);
  EXPECT_EQ(j["businesses"]["login"]["success_ratio"], 0.99);
  EXPECT_EQ(j["businesses"]["login"]["rto_s"], 12.5);
  EXPECT_EQ(j["businesses"]["login"]["rto_status"], "recovered");
  EXPECT_EQ(j["businesses"]["login"]["failures"]["dc_down"], 7);
  EXPECT_EQ(j["businesses"]["register"]["rto_s"], nullptr);
  EXPECT_EQ(j["businesses"]["register"]["rto_status"], "not_hurt");
  const Json& accounts = j["data"]["accounts"];
  EXPECT_EQ(accounts["writes"], 500);
  EXPECT_EQ(accounts["bound_violations"], 11);
  EXPECT_EQ(accounts["stale_reads"], 4);
  EXPECT_EQ(accounts["lost"], 3);
  EXPECT_EQ(accounts["recovered"], 2);
  EXPECT_EQ(accounts["divergent_keys"], 1);
  EXPECT_EQ(accounts["order_violations"], 5);
  EXPECT_EQ(accounts["uniqueness_conflicts"], 6);
  EXPECT_EQ(accounts["rpo_s"], 1.5);
  EXPECT_EQ(j["data"]["sessions"]["regenerated"], 8);
  EXPECT_EQ(j["data"]["sessions"]["expired"], 5);
  const Json& mq = j["channels"]["mq_accounts"];
  EXPECT_EQ(mq["duplicates"], 12);
  EXPECT_EQ(mq["lost_in_transit"], 4);
  EXPECT_EQ(mq["path"], (Json{"bj-wh", "wh-sh"}));
  EXPECT_EQ(j["channels"]["mysql_accounts"]["errors_1062"], 2);
  EXPECT_EQ(j["channels"]["mysql_accounts"]["stopped_s"], 1.5);
  EXPECT_EQ(j["compensation"]["affected_users"], 7);
  EXPECT_EQ(j["compensation"]["affected_ratio"], 0.0007);
  EXPECT_EQ(j["faults"].size(), 2u);
  EXPECT_EQ(j["faults"][0]["end_s"], 900.0);
  EXPECT_EQ(j["faults"][1]["end_s"], nullptr) << "a fault that never ended";
}

TEST(SummaryJson, LagStatisticsAreTheHistogramsInMilliseconds) {
  const models::RunResults r = sample_results();
  const Json j = parse(r);
  const auto expect_lag = [](const Json& lag, const sim::Histogram& h) {
    ASSERT_FALSE(h.empty());
    EXPECT_EQ(lag["mean"].get<double>(), h.mean() / 1e6);
    EXPECT_EQ(lag["p50"].get<double>(), h.quantile(0.50) / 1e6);
    EXPECT_EQ(lag["p99"].get<double>(), h.quantile(0.99) / 1e6);
    EXPECT_EQ(lag["p999"].get<double>(), h.quantile(0.999) / 1e6);
    EXPECT_EQ(lag["max"].get<double>(), static_cast<double>(h.max()) / 1e6);
  };
  expect_lag(j["data"]["accounts"]["lag_ms"], r.data[0].lag_ns);
  expect_lag(j["data"]["accounts"]["replicas"]["shanghai"]["lag_ms"], r.data[0].replicas[0].lag_ns);
  expect_lag(j["channels"]["mysql_accounts"]["lag_ms"], r.channels[0].lag_ns);
  expect_lag(j["businesses"]["login"]["latency_ms"], r.businesses[0].latency_ns);
  expect_lag(j["businesses"]["login"]["by_dc"]["beijing"]["latency_ms"],
             r.businesses[0].by_dc[1].latency_ns);
  expect_lag(j["channels"]["mysql_accounts"]["commit_latency_ms"], r.channels[0].commit_latency_ns);
  EXPECT_TRUE(j["channels"]["mq_accounts"]["commit_latency_ms"]["mean"].is_null())
      << "an MQ channel has no commit wait of its own";
  // Sanity check of the unit: the sample's slowest accounts write took 100 ms.
  EXPECT_EQ(j["data"]["accounts"]["lag_ms"]["max"], 100.0);
}

TEST(SummaryJson, AnEmptyHistogramGivesNullLagNotZero) {
  const Json j = parse(sample_results());
  for (const auto& [key, value] : j["data"]["sessions"]["lag_ms"].items()) {
    EXPECT_TRUE(value.is_null()) << key;
  }
  for (const auto& [key, value] : j["businesses"]["register"]["latency_ms"].items()) {
    EXPECT_TRUE(value.is_null()) << "no op latency without succeeded ops: " << key;
  }
}

TEST(SummaryJson, NotANumberAndInfinityBecomeNull) {
  models::RunResults r = sample_results();
  r.sim_time_s = std::numeric_limits<double>::quiet_NaN();
  r.businesses[0].cost = std::numeric_limits<double>::infinity();
  r.businesses[0].rto_s = std::numeric_limits<double>::infinity();
  r.data[0].rpo_s = -std::numeric_limits<double>::infinity();
  const std::string text = summary_json(r);
  EXPECT_EQ(text.find("nan"), std::string::npos);
  EXPECT_EQ(text.find("inf"), std::string::npos);
  const Json j = Json::parse(text);
  EXPECT_TRUE(j["sim_time_s"].is_null());
  EXPECT_TRUE(j["businesses"]["login"]["cost"].is_null());
  EXPECT_TRUE(j["businesses"]["login"]["rto_s"].is_null());
  EXPECT_EQ(j["businesses"]["login"]["rto_status"], "never_recovered");
  EXPECT_TRUE(j["data"]["accounts"]["rpo_s"].is_null());
}

TEST(SummaryJson, IdenticalInputsGiveByteIdenticalText) {
  const models::RunResults a = sample_results();
  const models::RunResults b = sample_results();
  EXPECT_EQ(summary_json(a), summary_json(b));
  EXPECT_EQ(summary_json(a), summary_json(a));
}

TEST(SummaryJson, WithoutWallTimeTwoRunsOnDifferentMachinesCompareEqual) {
  models::RunResults fast = sample_results();
  models::RunResults slow = sample_results();
  fast.wall_s = 1.25;
  slow.wall_s = 9.75;
  SummaryOptions options;
  options.include_wall_time = false;
  EXPECT_EQ(summary_json(fast, options), summary_json(slow, options));
  EXPECT_EQ(summary_json(fast, options).find("wall_s"), std::string::npos);
  EXPECT_EQ(summary_json(fast, options).find("command_line"), std::string::npos);
  EXPECT_NE(summary_json(fast), summary_json(slow));
}

TEST(SummaryJson, TheTextIsIndentedAndEndsInANewlineOrIsOneLine) {
  const std::string pretty = summary_json(sample_results());
  EXPECT_EQ(pretty.rfind("{\n  \"scenario\": \"login_two_cities\",\n", 0), 0u);
  EXPECT_EQ(pretty.back(), '\n');
  SummaryOptions compact;
  compact.indent = -1;
  const std::string line = summary_json(sample_results(), compact);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(Json::parse(line), Json::parse(pretty));
}

TEST(SummaryJson, TwoObjectsWithTheSameNameAreRejected) {
  models::RunResults r = sample_results();
  r.channels[1].name = r.channels[0].name;
  EXPECT_THROW(summary_json(r), InvalidArgument);
}

}  // namespace
}  // namespace geodes::app
