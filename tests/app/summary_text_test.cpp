#include "geodes/app/summary_text.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "geodes/app/text_format.hpp"
#include "sample_results.hpp"

namespace geodes::app {
namespace {

using testing::sample_results;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& line : lines(text)) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The sample with every name made very long and every count huge.
models::RunResults extreme_results() {
  models::RunResults r = sample_results();
  const std::string longer(120, 'x');
  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  r.scenario += longer;
  r.seed = huge;
  r.events = huge;
  r.sim_time_s = 1e9;
  r.wall_s = 1e-6;
  for (auto& b : r.businesses) {
    b.name += longer;
    b.attempted = b.succeeded = huge;
    b.cost = 1e300;
  }
  for (auto& d : r.data) {
    d.name = "数据类" + d.name + longer;
    d.writes = d.lost = d.recovered = d.stale_reads = d.divergent_keys = huge;
    d.order_violations = d.uniqueness_conflicts = d.regenerated = d.bound_violations = huge;
    d.rpo_s = 1e12;
  }
  for (auto& c : r.channels) {
    c.name += longer;
    c.delivered = c.duplicates = c.lost_in_transit = huge;
    c.stopped_s = c.disconnected_s = 1e15;
  }
  for (auto& f : r.faults) {
    f.type += longer;
    f.target += longer;
    f.detail += longer;
  }
  r.faults.resize(25, r.faults[0]);
  r.compensation.users = r.compensation.affected_users = huge;
  r.compensation.cost = 1e30;
  return r;
}

TEST(SummaryText, EveryLineFitsInEightyColumns) {
  for (const models::RunResults& r : {sample_results(), extreme_results(), models::RunResults{}}) {
    const std::string text = summary_text(r);
    for (const std::string& line : lines(text)) {
      EXPECT_LE(display_width(line), kSummaryWidth) << "'" << line << "'";
    }
  }
}

TEST(SummaryText, LossAndInconsistencyStandOut) {
  const std::string text = summary_text(sample_results());
  // The rows of the data class and the channel with loss carry the marker...
  EXPECT_TRUE(has_line_starting(text, "! accounts ")) << text;
  EXPECT_TRUE(has_line_starting(text, "! mq_accounts ")) << text;
  EXPECT_FALSE(has_line_starting(text, "! sessions")) << text;
  EXPECT_FALSE(has_line_starting(text, "! mysql_accounts")) << text;
  // ...and every non-zero number is repeated in words under Findings.
  EXPECT_TRUE(contains(text, "\nFindings:\n")) << text;
  EXPECT_TRUE(contains(text, "  ! accounts: 3 acknowledged writes lost (RPO 1.50s)\n")) << text;
  EXPECT_TRUE(contains(text, "  ! accounts: 4 stale reads\n")) << text;
  EXPECT_TRUE(contains(text, "  ! accounts: 1 keys differ between DCs\n")) << text;
  EXPECT_TRUE(contains(text, "  ! accounts: 5 order violations")) << text;
  EXPECT_TRUE(contains(text, "  ! accounts: 6 uniqueness conflicts")) << text;
  EXPECT_TRUE(contains(text, "  ! mq_accounts: 4 messages lost in transit\n")) << text;
}

TEST(SummaryText, ACleanRunSaysSoAndMarksNothing) {
  models::RunResults r = sample_results();
  for (auto& d : r.data) {
    d.lost = d.stale_reads = d.divergent_keys = d.order_violations = d.uniqueness_conflicts = 0;
  }
  for (auto& c : r.channels) c.lost_in_transit = 0;
  r.compensation.affected_users = 1;  // 0.01%, the most the target allows
  const std::string text = summary_text(r);
  EXPECT_TRUE(contains(text, "Findings: no data lost, no inconsistency.\n")) << text;
  EXPECT_FALSE(has_line_starting(text, "!")) << text;
}

TEST(SummaryText, TablesShowTheHeadlineNumbersInHumanUnits) {
  const std::string text = summary_text(sample_results());
  EXPECT_TRUE(has_line_starting(text, "Businesses ")) << text;
  EXPECT_TRUE(has_line_starting(text, "Replication lag ")) << text;
  EXPECT_TRUE(has_line_starting(text, "Loss/consistency ")) << text;
  EXPECT_TRUE(has_line_starting(text, "Channels ")) << text;
  EXPECT_TRUE(has_line_starting(text, "Faults ")) << text;
  // login: 990 of 1000 succeeded, RTO 12.5 s.
  EXPECT_TRUE(contains(text, "99.000%")) << text;
  EXPECT_TRUE(contains(text, "12.5s")) << text;
  // accounts' slowest write took 100 ms; a fault that never ended says so.
  EXPECT_TRUE(contains(text, "100ms")) << text;
  EXPECT_TRUE(contains(text, "never")) << text;
  EXPECT_TRUE(contains(text, "Compensation: 7 of 10000 users affected")) << text;
}

TEST(SummaryText, TheLastLineGivesEventsSimulatedTimeWallTimeAndSpeed) {
  const std::vector<std::string> all = lines(summary_text(sample_results()));
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), "1,234,567 events, 1h00m00s simulated in 2.5s wall (1440x real time)");
}

TEST(SummaryText, AnInterruptedRunIsFlaggedAtTheTop) {
  models::RunResults r = sample_results();
  r.complete = false;
  const std::vector<std::string> all = lines(summary_text(r));
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[1].rfind("! INTERRUPTED", 0), 0u);
}

TEST(SummaryText, ABusinessThatNeverRecoveredIsAFinding) {
  models::RunResults r = sample_results();
  r.businesses[0].rto_s = std::numeric_limits<double>::infinity();
  const std::string text = summary_text(r);
  EXPECT_TRUE(has_line_starting(text, "! login ")) << text;
  EXPECT_TRUE(contains(text, "  ! login: success ratio never back at target\n")) << text;
}

}  // namespace
}  // namespace geodes::app
