#include "geodes/app/memory_budget.hpp"

#include <gtest/gtest.h>

#include <string>

namespace geodes::app {
namespace {

TEST(MemoryBudget, TheMachineHasABudgetOnLinuxAndItIsPositive) {
  const std::optional<MemoryBudget> b = machine_memory_budget();
  ASSERT_TRUE(b.has_value()) << "/proc/meminfo has MemAvailable on every Linux since 3.14";
  EXPECT_GT(b->bytes, 0.0);
  EXPECT_FALSE(b->source.empty());
}

TEST(MemoryBudget, MaxMemoryLowersTheBudgetButNeverRaisesIt) {
  const std::optional<MemoryBudget> machine = machine_memory_budget();
  ASSERT_TRUE(machine.has_value());
  const std::optional<MemoryBudget> low = memory_budget(1024.0);
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(low->bytes, 1024.0);
  EXPECT_EQ(low->source, "--max-memory");
  const std::optional<MemoryBudget> high = memory_budget(machine->bytes * 1e6);
  ASSERT_TRUE(high.has_value());
  EXPECT_LE(high->bytes, machine->bytes * 1.5);  // MemAvailable moves while the test runs
  EXPECT_NE(high->source, "--max-memory");
}

TEST(MemoryBudget, MaxMemoryTakesSizesWithUnitsAndRefusesTheRest) {
  EXPECT_EQ(parse_max_memory("4GiB"), 4.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_max_memory("512MB"), 512e6);
  for (const char* bad : {"", "lots", "0B", "-1GiB", "4 parsecs", "1e400B"}) {
    try {
      (void)parse_max_memory(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("--max-memory"), std::string::npos) << e.what();
    }
  }
}

TEST(MemoryBudget, AScenarioWithinTheBudgetIsNotRefusedAndOneBeyondItIs) {
  const LoadedScenario s = load_scenario_text(std::string(default_scenario_text()), "<default>");
  EXPECT_NO_THROW(refuse_if_too_large(s, MemoryBudget{1e15, "test"}));
  EXPECT_NO_THROW(refuse_if_too_large(s, std::nullopt));
  try {
    refuse_if_too_large(s, MemoryBudget{1e6, "a test's budget"});
    ADD_FAILURE() << "a 1 MB budget was enough";
  } catch (const ScenarioError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("<default>: ", 0), 0u) << m;
    EXPECT_NE(m.find("more than the 977KiB of a test's budget"), std::string::npos) << m;
    EXPECT_NE(m.find("driven by"), std::string::npos) << m;
  }
}

TEST(MemoryBudget, TheRefusalNamesTheKeysThatDriveTheEstimateAndOnlyThose) {
  // A billion preloaded users: their rows and ids are the estimate, whatever the rate.
  const LoadedScenario users =
      load_scenario_text(std::string(default_scenario_text()), "<default>",
                         {"workload.users.initial=1G", "workload.users.max=1G"});
  try {
    refuse_if_too_large(users, MemoryBudget{1e9, "a test's budget"});
    ADD_FAILURE() << "a billion users fit in 1 GB";
  } catch (const ScenarioError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("(driven by workload.users.initial=1G)"), std::string::npos) << m;
    EXPECT_EQ(m.find("workload.rate"), std::string::npos) << m;
    EXPECT_EQ(e.diagnostics().at(0).key_path, "workload.users.initial") << m;
  }
  // A nanosecond series interval: the time series are, and the users are not named.
  const LoadedScenario series = load_scenario_text(std::string(default_scenario_text()),
                                                   "<default>", {"metrics.series_interval=1ns"});
  try {
    refuse_if_too_large(series, MemoryBudget{1e9, "a test's budget"});
    ADD_FAILURE() << "a 1 ns series fits in 1 GB";
  } catch (const ScenarioError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("(driven by metrics.series_interval=1ns"), std::string::npos) << m;
    EXPECT_EQ(m.find("workload.users"), std::string::npos) << m;
    EXPECT_EQ(e.diagnostics().at(0).key_path, "metrics.series_interval") << m;
  }
}

}  // namespace
}  // namespace geodes::app
