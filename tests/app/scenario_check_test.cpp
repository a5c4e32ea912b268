#include "geodes/app/scenario_check.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "geodes/app/cli.hpp"
#include "geodes/app/text_format.hpp"

namespace geodes::app {
namespace {

// Two cities, two links, and a slot for each test's own data, channels, sync and businesses.
std::string scenario(const std::string& body, const std::string& extra_dcs = "",
                     const std::string& extra_links = "") {
  return "name: c\nduration: 10m\ntopology:\n  datacenters:\n    bj: Beijing\n    sh: Shanghai\n" +
         extra_dcs +
         "  links:\n"
         "    line: {between: [bj, sh], latency: 14ms}\n"
         "    net: {between: [bj, sh], latency: 16ms}\n" +
         extra_links + body;
}

// A business that updates `cls` (change_password) and one that inserts into it.
std::string updating(const std::string& cls) {
  return "businesses:\n"
         "  change:\n    rate: 10/s\n    template: change_password\n"
         "    data: {password: " +
         cls + ", session: sessions}\n";
}

const std::string kSessions = "  sessions: {lossable: true}\n";

CheckReport check(const std::string& text) {
  return check_scenario(load_scenario_text(text, "c.yaml").spec);
}

std::set<std::string> rules(const CheckReport& r) {
  std::set<std::string> out;
  for (const auto& f : r.findings) out.insert(f.rule);
  return out;
}

const CheckFinding* find(const CheckReport& r, const std::string& rule) {
  for (const auto& f : r.findings) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}

std::string dump(const CheckReport& r) {
  std::string out;
  for (const auto& f : r.findings) out += f.rule + " " + f.subject + ": " + f.message + "\n";
  return out;
}

std::string source_file(const std::string& relative) {
  const char* dir = std::getenv("GEODES_SOURCE_DIR");
  return (std::filesystem::path(dir != nullptr ? dir : GEODES_TEST_SOURCE_DIR) / relative).string();
}

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

// --- regenerate_not_lossable -------------------------------------------------------------------

TEST(CheckRules, NonLossableDataOnRegenerateIsAnError) {
  const auto r = check(
      scenario("data:\n  accounts: {lossable: false}\n" + kSessions +
               "sync: {accounts: regenerate, sessions: regenerate}\n"
               "businesses:\n  b: {rate: 1/s, steps: [{read: accounts}, {session: sessions}]}\n"));
  const CheckFinding* f = find(r, "regenerate_not_lossable");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->severity, CheckFinding::Severity::kError);
  EXPECT_EQ(f->subject, "accounts");
  EXPECT_EQ(r.errors(), 1u) << dump(r);
}

TEST(CheckRules, LossableDataOnRegenerateIsFine) {
  const auto r = check(scenario("data:\n" + kSessions +
                                "sync: {sessions: regenerate}\n"
                                "businesses:\n  b: {rate: 1/s, steps: [{session: sessions}]}\n"));
  EXPECT_TRUE(r.findings.empty()) << dump(r);
}

// --- ordered_updates_over_mq -------------------------------------------------------------------

const std::string kMqChannel = "channels:\n  q: {type: mq, partitioning: round_robin}\n";

TEST(CheckRules, UpdatedDataOverRoundRobinMqIsAWarning) {
  const auto r =
      check(scenario("data:\n  passwords: {lossable: true}\n" + kSessions + kMqChannel +
                     "sync: {passwords: q, sessions: regenerate}\n" + updating("passwords")));
  const CheckFinding* f = find(r, "ordered_updates_over_mq");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->severity, CheckFinding::Severity::kWarning);
  EXPECT_NE(f->message.find("'q'"), std::string::npos);
  EXPECT_EQ(r.errors(), 0u);
}

TEST(CheckRules, UpdatedDataOverMqByKeyIsFine) {
  const auto r = check(scenario("data:\n  passwords: {lossable: true}\n" + kSessions +
                                "channels:\n  q: {type: mq, partitioning: by_key}\n"
                                "sync: {passwords: q, sessions: regenerate}\n" +
                                updating("passwords")));
  EXPECT_EQ(find(r, "ordered_updates_over_mq"), nullptr) << dump(r);
}

TEST(CheckRules, InsertOnlyDataOverRoundRobinMqIsFine) {
  const auto r = check(scenario("data:\n  events: {}\n" + kMqChannel +
                                "sync: {events: q}\n"
                                "businesses:\n  b: {rate: 1/s, steps: [{write: events, mode: "
                                "insert, key: fixed, fixed_key: 3}]}\n"));
  EXPECT_TRUE(r.findings.empty()) << dump(r);
}

// --- unique_id_collisions ----------------------------------------------------------------------

std::string unique_class(const std::string& strategy) {
  return scenario("data:\n  accounts: {unique: true" + strategy +
                  "}\nchannels:\n  m: {type: mysql_replication}\nsync: {accounts: m}\n"
                  "businesses:\n  b: {rate: 1/s, steps: [{read: accounts}]}\n");
}

TEST(CheckRules, UniqueDataWithRandomIdsIsAWarning) {
  const auto r = check(unique_class(", id_strategy: random"));
  ASSERT_NE(find(r, "unique_id_collisions"), nullptr) << dump(r);
  EXPECT_NE(find(r, "unique_id_collisions")->message.find("random"), std::string::npos);
}

TEST(CheckRules, UniqueDataWithoutAnIdStrategyIsAWarning) {
  const auto r = check(unique_class(""));
  ASSERT_NE(find(r, "unique_id_collisions"), nullptr) << dump(r);
}

TEST(CheckRules, AutoIncrementWithEqualOffsetsIsReportedAsTheAllocatorSaysIt) {
  const auto r = check(
      unique_class(", id_strategy: {kind: auto_increment, increment: 2, offsets: {bj: 1, sh: 1}}"));
  const CheckFinding* f = find(r, "unique_id_collisions");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_NE(f->message.find("auto_increment_offset"), std::string::npos) << f->message;
}

TEST(CheckRules, CollisionFreeIdStrategiesAreFine) {
  for (const char* s :
       {", id_strategy: segments", ", id_strategy: {kind: central, dc: sh}",
        ", id_strategy: snowflake", ", id_strategy: {kind: auto_increment, offsets: [1, 2]}"}) {
    const auto r = check(unique_class(s));
    EXPECT_TRUE(r.findings.empty()) << s << "\n" << dump(r);
  }
}

// --- shared_fate -------------------------------------------------------------------------------

std::string two_channels(const std::string& sync, const std::string& extra_dcs = "",
                         const std::string& extra_links = "") {
  return scenario(
      "data:\n  accounts: {}\n"
      "channels:\n  m: {type: mysql_replication, on_duplicate: overwrite}\n"
      "  q: {type: mq}\n"
      "sync:\n  accounts: " +
          sync + "\nbusinesses:\n  b: {rate: 1/s, steps: [{read: accounts}]}\n",
      extra_dcs, extra_links);
}

TEST(CheckRules, TwoChannelsOverOneLinkShareFate) {
  const auto r = check(two_channels("[{channel: m, links: [line]}, {channel: q, links: [line]}]"));
  const CheckFinding* f = find(r, "shared_fate");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_NE(f->message.find("share link 'line'"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("bj->sh"), std::string::npos) << f->message;
  EXPECT_EQ(f->subject, "accounts");
}

TEST(CheckRules, UnpinnedChannelsTakeTheSameShortestPathAndShareFate) {
  const auto r = check(two_channels("[m, q]"));
  ASSERT_NE(find(r, "shared_fate"), nullptr) << dump(r);
  EXPECT_NE(find(r, "shared_fate")->message.find("'line'"), std::string::npos);  // 14ms < 16ms
}

TEST(CheckRules, ChannelsPinnedToDifferentLinksDoNotShareFate) {
  const auto r = check(two_channels("[{channel: m, links: [line]}, {channel: q, links: [net]}]"));
  EXPECT_TRUE(r.findings.empty()) << dump(r);
}

TEST(CheckRules, ChannelsThroughOneIntermediateDatacenterShareFate) {
  // bj and sh joined directly (line, net) and through hz; both channels pinned through hz.
  const auto r = check(two_channels(
      "[{channel: m, links: [bj_hz_1, hz_sh_1]}, {channel: q, links: [bj_hz_2, hz_sh_2]}]",
      "    hz: Hangzhou\n",
      "    bj_hz_1: {between: [bj, hz], latency: 10ms}\n"
      "    hz_sh_1: {between: [hz, sh], latency: 5ms}\n"
      "    bj_hz_2: {between: [bj, hz], latency: 10ms}\n"
      "    hz_sh_2: {between: [hz, sh], latency: 5ms}\n"));
  const CheckFinding* f = find(r, "shared_fate");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_NE(f->message.find("datacenter 'hz'"), std::string::npos) << f->message;
}

TEST(CheckRules, AnMqBrokerInAThirdCityIsOnTheChannelsPath) {
  const auto r = check(scenario(
      "data:\n  accounts: {}\n"
      "channels:\n  m: {type: mysql_replication, on_duplicate: skip}\n"
      "  q: {type: mq, broker: hz}\n"
      "sync:\n  accounts: [{channel: m, links: [line, bj_hz, hz_sh]}, {channel: q, links: [net, "
      "bj_hz, hz_sh]}]\n"
      "businesses:\n  b: {rate: 1/s, steps: [{read: accounts}]}\n",
      "    hz: Hangzhou\n",
      "    bj_hz: {between: [bj, hz], latency: 10ms}\n"
      "    hz_sh: {between: [hz, sh], latency: 5ms}\n"));
  // m goes direct over line (14ms < 15ms); q goes bj -> hz (broker) -> sh: nothing shared on the
  // bj-sh pairs. Between bj and hz, m uses bj_hz directly and so does q's produce path.
  const CheckFinding* f = find(r, "shared_fate");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_NE(f->message.find("'bj_hz'"), std::string::npos) << f->message;
  EXPECT_EQ(f->message.find("bj->sh"), std::string::npos) << f->message;
}

// --- local_not_lossable ------------------------------------------------------------------------

TEST(CheckRules, NonLossableLocalDataWithFailoverIsAWarning) {
  const auto r =
      check(scenario("data:\n  orders: {}\nsync: {orders: local}\n"
                     "businesses:\n  b: {rate: 1/s, steps: [{read: orders}]}\n"));
  ASSERT_NE(find(r, "local_not_lossable"), nullptr) << dump(r);
}

TEST(CheckRules, LocalIsTheDefaultAndChecksTheSame) {
  const auto r =
      check(scenario("data:\n  orders: {}\n"
                     "businesses:\n  b: {rate: 1/s, steps: [{read: orders}]}\n"));
  ASSERT_NE(find(r, "local_not_lossable"), nullptr) << dump(r);
}

TEST(CheckRules, LossableLocalDataOrASingleDatacenterIsFine) {
  EXPECT_TRUE(check(scenario("data:\n  stock: {lossable: true}\nsync: {stock: local}\n"
                             "businesses:\n  b: {rate: 1/s, steps: [{read: stock}]}\n"))
                  .findings.empty());
  const auto one = check(
      "name: c\ntopology: {datacenters: {bj: Beijing}}\ndata: {orders: {}}\n"
      "businesses:\n  b: {rate: 1/s, steps: [{read: orders}]}\n");
  EXPECT_TRUE(one.findings.empty()) << dump(one);
}

// --- multi-channel rules -----------------------------------------------------------------------

TEST(CheckRules, AStrictMysqlChannelThatStopsOnDuplicatesIsAWarningBesideAnotherChannel) {
  const auto r = check(
      scenario("data:\n  accounts: {}\n"
               "channels:\n  m: {type: mysql_replication}\n  q: {type: mq}\n"
               "sync:\n  accounts: [{channel: m, links: [line]}, {channel: q, links: [net]}]\n"
               "businesses:\n  b: {rate: 1/s, steps: [{read: accounts}]}\n"));
  const CheckFinding* f = find(r, "duplicate_key_stop");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_NE(f->message.find("1062"), std::string::npos);
  // Alone, the same channel is fine.
  const auto alone =
      check(scenario("data:\n  accounts: {}\n"
                     "channels:\n  m: {type: mysql_replication}\n"
                     "sync: {accounts: m}\n"
                     "businesses:\n  b: {rate: 1/s, steps: [{read: accounts}]}\n"));
  EXPECT_TRUE(alone.findings.empty()) << dump(alone);
}

TEST(CheckRules, UpdatedDataOverTwoChannelsNeedsLastWriterWins) {
  const std::string channels_overwrite =
      "channels:\n  m: {type: mysql_replication, on_duplicate: overwrite}\n  q: {type: mq}\n";
  const std::string channels_lww =
      "channels:\n  m: {type: mysql_replication, apply_rule: last_writer_wins}\n"
      "  q: {type: mq, apply_rule: last_writer_wins}\n";
  const std::string rest =
      "sync:\n  passwords: [{channel: m, links: [line]}, {channel: q, links: [net]}]\n"
      "  sessions: regenerate\n" +
      updating("passwords");
  const std::string data = "data:\n  passwords: {lossable: true}\n" + kSessions;
  const auto r = check(scenario(data + channels_overwrite + rest));
  ASSERT_NE(find(r, "multi_channel_ordering"), nullptr) << dump(r);
  const auto lww = check(scenario(data + channels_lww + rest));
  EXPECT_TRUE(lww.findings.empty()) << dump(lww);
}

TEST(CheckRules, AnMqChannelWithANonIdempotentApplyRuleIsAWarning) {
  const auto r =
      check(scenario("data:\n  d: {}\nchannels:\n  q: {type: mq, apply_rule: strict}\n"
                     "sync: {d: q}\n"
                     "businesses:\n  b: {rate: 1/s, steps: [{read: d}]}\n"));
  const CheckFinding* f = find(r, "mq_apply_not_idempotent");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_EQ(f->subject, "q");
}

// --- exception handling ------------------------------------------------------------------------

std::string with_fallback(const std::string& fallback_links, const std::string& channel_links) {
  return scenario(
      "data:\n  accounts: {}\nchannels:\n  m: {type: mysql_replication}\n"
      "sync:\n  accounts: [{channel: m, links: [" +
      channel_links +
      "]}]\n"
      "exceptions:\n  access_fallback:\n    accounts: {owner: home, links: [" +
      fallback_links +
      "]}\n"
      "businesses:\n  b: {rate: 1/s, steps: [{read: accounts}]}\n");
}

TEST(CheckRules, AFallbackOverTheSyncPathIsAWarning) {
  const auto r = check(with_fallback("line", "line"));
  const CheckFinding* f = find(r, "fallback_shared_fate");
  ASSERT_NE(f, nullptr) << dump(r);
  EXPECT_NE(f->message.find("link 'line'"), std::string::npos) << f->message;
}

TEST(CheckRules, AFallbackOnItsOwnPathIsFine) {
  const auto r = check(with_fallback("net", "line"));
  EXPECT_TRUE(r.findings.empty()) << dump(r);
}

TEST(CheckRules, AnOplogDestroyedByAFaultOfTheTimelineIsAWarning) {
  const std::string base =
      "data:\n  d: {}\nchannels:\n  m: {type: mysql_replication}\nsync: {d: m}\n"
      "businesses:\n  b: {rate: 1/s, steps: [{read: d}]}\n"
      "faults:\n  - {type: dc_loss, target: bj, at: 1m}\n";
  const auto server = check(scenario(base + "exceptions: {oplog: {d: server}}\n"));
  const CheckFinding* f = find(server, "oplog_lost_with_fault");
  ASSERT_NE(f, nullptr) << dump(server);
  EXPECT_NE(f->message.find("faults.0"), std::string::npos) << f->message;
  EXPECT_NE(find(check(scenario(base + "exceptions: {oplog: {d: local_independent}}\n")),
                 "oplog_lost_with_fault"),
            nullptr);
  EXPECT_TRUE(check(scenario(base + "exceptions: {oplog: {d: remote}}\n")).findings.empty());
}

TEST(CheckRules, AFaultThatCutsWritersOffFromTheirSyncOplogIsAWarning) {
  const std::string base =
      "data:\n  d: {}\nchannels:\n  m: {type: mysql_replication}\nsync: {d: m}\n"
      "businesses:\n  b: {rate: 1/s, steps: [{read: d}]}\n";
  const std::string sync_log = "exceptions: {oplog: {d: {placement: remote, write: sync}}}\n";
  // bj's writes are logged in sh (the next DC after bj): sh's outage cuts bj off from its log.
  const auto sh_out =
      check(scenario(base + sync_log + "faults:\n  - {type: dc_outage, target: sh, at: 1m}\n"));
  const CheckFinding* f = find(sh_out, "sync_oplog_cut_off");
  ASSERT_NE(f, nullptr) << dump(sh_out);
  EXPECT_EQ(f->subject, "d");
  EXPECT_NE(f->message.find("the writers at 'bj' (its log at 'sh') off"), std::string::npos)
      << f->message;
  EXPECT_NE(f->message.find("faults.0 (dc_outage of 'sh')"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("fails every write"), std::string::npos) << f->message;
  // on_timeout: async degrades instead of failing; the message says so.
  const auto degrade = check(scenario(
      base + "exceptions: {oplog: {d: {placement: remote, write: sync, on_timeout: async}}}\n" +
      "faults:\n  - {type: partition, target: [sh], at: 1m}\n"));
  f = find(degrade, "sync_oplog_cut_off");
  ASSERT_NE(f, nullptr) << dump(degrade);
  EXPECT_NE(f->message.find("wait the log's timeout"), std::string::npos) << f->message;
  // An async log never blocks a write; a link cut does not take the log's DC away.
  EXPECT_TRUE(check(scenario(base + "exceptions: {oplog: {d: remote}}\n" +
                             "faults:\n  - {type: dc_outage, target: sh, at: 1m}\n"))
                  .findings.empty());
  EXPECT_EQ(find(check(scenario(base + sync_log +
                                "faults:\n  - {type: link_down, target: line, at: 1m}\n")),
                 "sync_oplog_cut_off"),
            nullptr);
  // The remedy: the log in a third city. sh's outage leaves bj's and gz's logs alone (gz's own
  // writes go to the next DC, bj); gz's outage cuts both bj and sh off.
  const std::string gz = "    gz: Guangzhou\n";
  const std::string gz_links =
      "    bj_gz: {between: [bj, gz], latency: 20ms}\n    sh_gz: {between: [sh, gz], latency: "
      "20ms}\n";
  const std::string third = "exceptions: {oplog: {d: {placement: remote, dc: gz, write: sync}}}\n";
  EXPECT_EQ(
      find(check(scenario(base + third + "faults:\n  - {type: dc_outage, target: sh, at: 1m}\n", gz,
                          gz_links)),
           "sync_oplog_cut_off"),
      nullptr);
  const auto gz_out = check(scenario(
      base + third + "faults:\n  - {type: dc_outage, target: gz, at: 1m}\n", gz, gz_links));
  f = find(gz_out, "sync_oplog_cut_off");
  ASSERT_NE(f, nullptr) << dump(gz_out);
  EXPECT_NE(f->message.find("the writers at 'bj' (its log at 'gz'), 'sh' (its log at 'gz') off"),
            std::string::npos)
      << f->message;
}

TEST(CheckRules, AFaultAfterTheEndAndAnUnusedChannelAreWarnings) {
  const auto r =
      check(scenario("data:\n  d: {lossable: true}\nchannels:\n  m: {type: mysql_replication}\n"
                     "businesses:\n  b: {rate: 1/s, steps: [{read: d}]}\n"
                     "faults:\n  - {type: link_down, target: line, at: 20m}\n"
                     "  - {type: link_down, target: net, mtbf: exp(1h)}\n"));
  EXPECT_EQ(rules(r), (std::set<std::string>{"fault_after_end", "unused_channel"})) << dump(r);
  EXPECT_EQ(find(r, "fault_after_end")->subject, "faults.0");
}

// --- the scenarios folder ----------------------------------------------------------------------

TEST(CheckScenarios, EveryScenarioLoadsAndChecksWithoutErrors) {
  const std::map<std::string, std::set<std::string>> expected = {
      {"login_two_cities.yaml", {}},
      {"three_cities_unitized.yaml", {}},
      {"mq_password_reorder.yaml", {"ordered_updates_over_mq", "mq_apply_not_idempotent"}},
      {"shared_fate_single_link.yaml", {"shared_fate"}},
      {"flash_sale_quota.yaml", {}},
      {"drill_city_cutoff.yaml", {}},
  };
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(source_file("scenarios"))) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().filename().string();
    seen.insert(name);
    SCOPED_TRACE(name);
    LoadedScenario s;
    ASSERT_NO_THROW(s = load_scenario_file(entry.path().string()));
    const CheckReport r = check_scenario(s.spec);
    EXPECT_EQ(r.errors(), 0u) << dump(r);
    ASSERT_TRUE(expected.count(name)) << "a new scenario: add its expected warnings here";
    EXPECT_EQ(rules(r), expected.at(name)) << dump(r);
    // Each teaches something and says what in its header comment.
    EXPECT_EQ(s.text.rfind("# ", 0), 0u) << "no header comment";
    EXPECT_EQ(cli({"check", entry.path().string()}).code, kExitOk);
  }
  EXPECT_EQ(seen.size(), expected.size());
}

// Every line of `text` fits 80 columns.
void expect_80_columns(const std::string& text, const std::string& what) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) EXPECT_LE(display_width(line), 80u) << what << ": " << line;
}

TEST(CheckScenarios, TheTextReportFitsIn80Columns) {
  for (const auto& entry : std::filesystem::directory_iterator(source_file("scenarios"))) {
    if (entry.path().extension() != ".yaml") continue;
    const LoadedScenario s = load_scenario_file(entry.path().string());
    std::ostringstream out;
    write_check_text(s, check_scenario(s.spec), out);
    expect_80_columns(out.str(), entry.path().filename().string());
  }
}

// Wherever the checkout lives: the same scenarios copied under a deep directory whose names hold
// spaces, non-ASCII characters and a component longer than a line.
TEST(CheckScenarios, TheTextReportFitsIn80ColumnsWhateverThePathAndShowsItWhole) {
  const std::filesystem::path deep = std::filesystem::temp_directory_path() /
                                     ("geodes check " + std::to_string(::getpid())) /
                                     "数据中心 異地多活 ünïcode" / std::string(100, 'x') / "a b";
  std::filesystem::create_directories(deep);
  for (const auto& entry : std::filesystem::directory_iterator(source_file("scenarios"))) {
    if (entry.path().extension() != ".yaml") continue;
    const std::filesystem::path copy = deep / entry.path().filename();
    std::filesystem::copy_file(entry.path(), copy);
    const Outcome o = cli({"check", copy.string()});
    EXPECT_EQ(o.code, kExitOk) << o.err;
    expect_80_columns(o.out, copy.string());
    // The file lines, joined, give the path back.
    std::istringstream lines(o.out);
    std::string line;
    std::string joined;
    std::getline(lines, line);
    EXPECT_EQ(line.rfind("geodes check: ", 0), 0u) << line;
    while (std::getline(lines, line) &&
           (joined.empty() ? line.rfind("  file", 0) == 0
                           : line.rfind(std::string(16, ' '), 0) == 0)) {
      joined += line.substr(16);
    }
    EXPECT_EQ(joined, copy.string());
  }
  std::filesystem::remove_all(deep.parent_path().parent_path().parent_path());
}

TEST(CheckScenarios, TheTextReportShowsTheFourSteps) {
  const Outcome o = cli({"check", source_file("scenarios/login_two_cities.yaml")});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  for (const char* s : {"Step 1. Businesses, by tier", "Step 2. Data classes", "Step 3. Sync",
                        "Step 4. Exception handling", "mysql_main [bj_sh_line] + mq_accounts",
                        "regenerate", "accounts: remote in the next DC", "protect 99.99% of users",
                        "dc_outage bj for 2m00s", "Findings: 0 errors, 0 warnings"}) {
    EXPECT_NE(o.out.find(s), std::string::npos) << s << "\n" << o.out;
  }
}

// --- the command -------------------------------------------------------------------------------

TEST(CheckCommand, WarningsAloneExitZeroAndAreListed) {
  const Outcome o = cli({"check", source_file("scenarios/mq_password_reorder.yaml")});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.out.find("warning [ordered_updates_over_mq] passwords:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Findings: 0 errors, 2 warnings"), std::string::npos) << o.out;
}

TEST(CheckCommand, ACheckErrorExitsWithBadInput) {
  const Outcome o = cli({"check", source_file("scenarios/login_two_cities.yaml"), "--set",
                         "sync.accounts=regenerate"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.out.find("ERROR [regenerate_not_lossable] accounts:"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("1 error in the design"), std::string::npos) << o.err;
}

TEST(CheckCommand, WithoutAScenarioItChecksTheBuiltInDefault) {
  const Outcome o = cli({"check"});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(
      o.out.find(
          "geodes check: login_two_cities\n  file          <built-in login_two_cities.yaml>\n"),
      std::string::npos)
      << o.out;
}

TEST(CheckCommand, TheTextReportEstimatesPeakMemoryAndEventsNamingTheKeysThatDriveThem) {
  const Outcome o = cli({"check", "--set", "metrics.series_interval=1ms"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const std::size_t at = o.out.find("Resources (estimated before the run)");
  ASSERT_NE(at, std::string::npos) << o.out;
  const std::string section = o.out.substr(at, o.out.find("Findings", at) - at);
  EXPECT_NE(section.find("peak memory"), std::string::npos) << section;
  EXPECT_NE(section.find(" events"), std::string::npos) << section;
  // 1 ms intervals make the series the largest item, listed first with its key.
  const std::size_t series = section.find("time series");
  ASSERT_NE(series, std::string::npos) << section;
  EXPECT_LT(series, section.find("rows")) << section;
  EXPECT_NE(section.find("metrics.series_interval=1ms"), std::string::npos) << section;
}

TEST(CheckCommand, JsonHasAStableShape) {
  const Outcome o = cli({"check", source_file("scenarios/shared_fate_single_link.yaml"), "--json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto j = nlohmann::ordered_json::parse(o.out);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"scenario", "origin", "description", "ok", "errors",
                                            "warnings", "run", "datacenters", "links", "businesses",
                                            "data", "channels", "sync", "exceptions", "latency",
                                            "faults", "resources", "findings"}));
  EXPECT_EQ(j["scenario"], "shared_fate_single_link");
  // The estimate before the run: its items add up to the peak, and there are events.
  double sum = 0;
  for (const auto& i : j["resources"]["items"]) sum += i["bytes"].get<double>();
  EXPECT_DOUBLE_EQ(sum, j["resources"]["peak_bytes"].get<double>());
  EXPECT_GT(j["resources"]["events"].get<double>(), 1000.0);
  const auto& floor = j["latency"][0];
  EXPECT_EQ(floor["business"], j["businesses"][0]["name"]);
  EXPECT_GE(floor["floor_ms"].get<double>(), floor["local_ms"].get<double>());
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["warnings"], 1);
  EXPECT_EQ(j["findings"][0]["rule"], "shared_fate");
  EXPECT_EQ(j["sync"][0]["verdict"], "warning");
  EXPECT_EQ(j["businesses"][0]["tier"], 1);
  // Same input, same bytes.
  EXPECT_EQ(cli({"check", source_file("scenarios/shared_fate_single_link.yaml"), "--json"}).out,
            o.out);
}

TEST(CheckCommand, TheCostSectionShowsEachSafeguardsRoundTripAndTheFloorItImplies) {
  const Outcome async = cli({"check"});
  const Outcome semi = cli({"check", "--set", "channels.mysql_main.mode=semi_sync", "--json"});
  ASSERT_EQ(async.code, kExitOk) << async.err;
  ASSERT_EQ(semi.code, kExitOk) << semi.err;
  EXPECT_NE(async.out.find("Cost. Op latency floor"), std::string::npos) << async.out;
  const auto j = nlohmann::ordered_json::parse(semi.out);
  bool found = false;
  for (const auto& f : j["latency"]) {
    if (f["business"] != "register") continue;
    for (const auto& t : f["round_trips"]) {
      if (t["when"] != "every op") continue;
      found = true;
      // Two inserts (accounts, passwords), each waiting for the ack over the 14 ms line.
      EXPECT_NE(t["what"].get<std::string>().find("semi-sync ack"), std::string::npos);
      EXPECT_NEAR(t["rtt_ms"].get<double>(), 28.0, 0.01);
    }
    EXPECT_NEAR(f["floor_ms"].get<double>(), f["local_ms"].get<double>() + 2 * 28.0, 0.02);
  }
  EXPECT_TRUE(found);
}

TEST(CheckCommand, JsonOfAScenarioThatDoesNotLoadListsTheDiagnostics) {
  const Outcome o = cli({"check", "--json", "--set", "duration=soon"});
  EXPECT_EQ(o.code, kExitBadInput);
  const auto j = nlohmann::ordered_json::parse(o.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["diagnostics"][0]["file"], "--set duration=soon");
  EXPECT_EQ(j["diagnostics"][0]["key_path"], "duration");
  EXPECT_EQ(j["diagnostics"][0]["line"], 0);
}

TEST(CheckCommand, BadArgumentsAreBadInput) {
  Outcome o = cli({"check", "--jsn"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("did you mean '--json'"), std::string::npos) << o.err;
  o = cli({"check", "a.yaml", "b.yaml"});
  EXPECT_EQ(o.code, kExitBadInput);
  o = cli({"check", "--set"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_EQ(cli({"check", "--help"}).code, kExitOk);
}

TEST(CheckCommand, TheHelpListsCheck) {
  EXPECT_NE(cli({"help"}).out.find("check [SCENARIO] [--set key.path=value]... [--json]"),
            std::string::npos);
}

}  // namespace
}  // namespace geodes::app
