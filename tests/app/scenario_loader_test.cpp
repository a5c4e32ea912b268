#include "geodes/app/scenario_loader.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "geodes/app/cli.hpp"

namespace geodes::app {
namespace {

// A small valid scenario; the mistakes below are made by replacing one piece of it, so their
// expected positions refer to these lines.
constexpr const char* kBase = R"(name: t
seed: 1
duration: 10m
warmup: 1m
topology:
  datacenters:
    bj: {city: Beijing}
    sh: {city: Shanghai}
  links:
    line:
      between: [bj, sh]
      latency: lognormal(median=14ms, p99=25ms)
      bandwidth: 1Gbps
      loss: 0.1%
data:
  accounts:
    size: 200B
    unique: true
    id_strategy: segments
    bound: 1s
  passwords:
    lossable: true
  sessions:
    lossable: true
channels:
  binlog:
    type: mysql_replication
    threads: 4
  events:
    type: mq
    partitions: 8
sync:
  accounts: binlog
  passwords: events
  sessions: regenerate
businesses:
  register:
    rate: 10/s
    template: register
    data: {account: accounts, password: passwords}
  login:
    rate: 100/s
    template: login
    data: {account: accounts, password: passwords, session: sessions}
workload:
  users:
    initial: 1000
    max: 100k
  client:
    timeout: 3s
faults:
  - type: dc_outage
    target: bj
    at: 5m
    duration: 1m
metrics:
  series_interval: 1s
)";

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "the base scenario has no '" << from << "'";
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' is not unique";
  if (at == std::string::npos) return text;
  return text.replace(at, from.size(), to);
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::filesystem::path p = std::filesystem::path(::testing::TempDir()) / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string source_file(const std::string& relative) {
  const char* dir = std::getenv("GEODES_SOURCE_DIR");
  // ctest sets GEODES_SOURCE_DIR; the compiled-in path serves a test binary run by hand.
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

std::vector<Diagnostic> diagnostics_of(const std::string& text,
                                       const std::vector<std::string>& overrides = {}) {
  try {
    load_scenario_text(text, "s.yaml", overrides);
  } catch (const ScenarioError& e) {
    return e.diagnostics();
  }
  return {};
}

std::string all_messages(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += format_diagnostic(d) + "\n";
  return out;
}

// One mistake: the replacement that makes it, and what the report must say.
struct Mistake {
  std::string name;
  std::string from;  // replaced in kBase; empty: `to` is the whole file
  std::string to;
  int line;  // 0: an override (no position)
  int column;
  std::string key_path;
  std::string needle;  // a piece of the message
  std::vector<std::string> overrides = {};
};

void PrintTo(const Mistake& m, std::ostream* os) { *os << m.name; }

class ScenarioMistakes : public ::testing::TestWithParam<Mistake> {};

TEST_P(ScenarioMistakes, AreReportedWithPositionKeyPathAndWhatIsAllowed) {
  const Mistake& m = GetParam();
  const std::string text = m.from.empty() && m.overrides.empty() ? m.to
                           : m.from.empty()                      ? std::string(kBase)
                                            : replace_once(kBase, m.from, m.to);
  const std::string file = temp_file(m.name + ".yaml", text);
  std::vector<std::string> args = {"check", file};
  for (const auto& o : m.overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  const Outcome o = cli(args);
  EXPECT_EQ(o.code, kExitBadInput) << o.out << o.err;
  const std::string where =
      m.line > 0 ? file + ":" + std::to_string(m.line) + ":" + std::to_string(m.column)
                 : "--set " + m.overrides.back();
  const std::string prefix =
      where + ": " + (m.key_path.empty() ? std::string() : m.key_path + ": ");
  EXPECT_NE(o.err.find(prefix), std::string::npos) << "want '" << prefix << "' in:\n" << o.err;
  EXPECT_NE(o.err.find(m.needle), std::string::npos) << "want '" << m.needle << "' in:\n" << o.err;
}

const std::vector<Mistake> kMistakes = {
    {"top_level_typo", "duration: 10m", "duraton: 10m", 3, 1, "duraton",
     "unknown key 'duraton'; allowed: name, description, seed, duration"},
    {"top_level_typo_suggestion", "duration: 10m", "duraton: 10m", 3, 1, "duraton",
     "(did you mean 'duration'?)"},
    {"duration_without_unit", "duration: 10m", "duration: 10", 3, 11, "duration",
     "a duration needs a unit (did you mean '10ms' or '10s'?)"},
    {"negative_rate", "rate: 10/s", "rate: -10/s", 38, 11, "businesses.register.rate",
     "a rate cannot be negative"},
    {"rate_without_per", "rate: 10/s", "rate: 10k", 38, 11, "businesses.register.rate",
     "did you mean '10k/s'?"},
    {"link_to_unknown_dc", "between: [bj, sh]", "between: [bj, shh]", 11, 21,
     "topology.links.line.between.1", "'shh' is not a datacenter; allowed: bj, sh (did you mean"},
    {"bad_distribution", "latency: lognormal(median=14ms, p99=25ms)",
     "latency: lognormal(median=14ms, p88=25ms)", 12, 39, "topology.links.line.latency", "p88"},
    {"unknown_distribution", "latency: lognormal(median=14ms, p99=25ms)", "latency: gauss(14ms)",
     12, 16, "topology.links.line.latency", "gauss"},
    {"loss_out_of_range", "loss: 0.1%", "loss: 150%", 14, 13, "topology.links.line.loss",
     "'150%' is out of range; allowed: a ratio >= 0 and < 1"},
    {"bandwidth_unit", "bandwidth: 1Gbps", "bandwidth: 1Gbit", 13, 18,
     "topology.links.line.bandwidth", "unknown unit 'Gbit'"},
    {"ttl_zero", "  sessions:\n    lossable: true\n",
     "  sessions:\n    lossable: true\n    ttl: 0s\n", 25, 10, "data.sessions.ttl",
     "out of range; allowed: a duration > 0"},
    {"ttl_without_unit", "  sessions:\n    lossable: true\n",
     "  sessions:\n    lossable: true\n    ttl: 30\n", 25, 10, "data.sessions.ttl",
     "a duration needs a unit"},
    {"threads_zero", "threads: 4", "threads: 0", 28, 14, "channels.binlog.threads",
     "'0' is out of range; allowed: an integer from 1 to 1024"},
    {"threads_fraction", "threads: 4", "threads: 2.5", 28, 14, "channels.binlog.threads",
     "'2.5' is not an integer"},
    {"mq_key_on_mysql", "threads: 4", "partitions: 4", 28, 5, "channels.binlog.partitions",
     "belongs to channels of type mq"},
    {"unknown_channel_type", "type: mq", "type: kafka", 30, 11, "channels.events.type",
     "channel type 'kafka' is unknown; allowed: mysql_replication, mq"},
    {"sync_over_unknown_channel", "accounts: binlog", "accounts: binlogg", 33, 13, "sync.accounts",
     "(did you mean 'binlog'?)"},
    {"sync_of_unknown_class", "passwords: events", "pasword: events", 34, 3, "sync.pasword",
     "'pasword' is not a data class; allowed: accounts, passwords, sessions (did you mean "
     "'passwords'?)"},
    {"fault_on_unknown_dc", "target: bj", "target: bjj", 53, 13, "faults.0.target",
     "'bjj' is not a datacenter"},
    {"fault_type_typo", "type: dc_outage", "type: dc_outag", 52, 11, "faults.0.type",
     "(did you mean 'dc_outage'?)"},
    {"fault_at_and_mtbf", "duration: 1m\nmetrics", "mtbf: exp(1h)\nmetrics", 55, 5, "faults.0.mtbf",
     "at and mtbf are both set"},
    {"rate_and_share", "rate: 10/s", "rate: 10/s\n    share: 10%", 39, 12,
     "businesses.register.share", "rate and share are both set"},
    {"initial_above_max", "initial: 1000", "initial: 200k", 47, 14, "workload.users.initial",
     "initial (200000) is larger than max (100000)"},
    {"users_above_limit", "max: 100k", "max: 5G", 48, 10, "workload.users.max",
     "'5G' is out of range; allowed: a whole number from 0 to 4294967295"},
    {"duplicate_key", "threads: 4", "threads: 4\n    threads: 8", 29, 5, "channels.binlog.threads",
     "the key 'threads' appears twice (first at line 28)"},
    {"duplicate_datacenter", "sh: {city: Shanghai}", "bj: {city: Shanghai}", 8, 5,
     "topology.datacenters.bj", "appears twice"},
    {"empty_file", "", "", 1, 1, "", "the scenario is empty"},
    {"only_comments", "", "# nothing here\n", 1, 1, "", "the scenario is empty"},
    {"top_level_list", "", "- a\n- b\n", 1, 1, "", "a scenario must be a map of sections"},
    {"yaml_syntax", "", "name: [unclosed\n", 2, 1, "", "YAML syntax error"},
    {"not_a_boolean", "unique: true", "unique: maybe", 18, 13, "data.accounts.unique",
     "'maybe' is not a boolean; allowed: true, false"},
    {"template_typo", "template: login", "template: logn", 43, 15, "businesses.login.template",
     "(did you mean 'login'?)"},
    {"template_role_typo", "data: {account: accounts, password: passwords, session: sessions}",
     "data: {acount: accounts, password: passwords, session: sessions}", 44, 12,
     "businesses.login.data.acount", "'acount' is not a role of template login"},
    {"unknown_id_strategy", "id_strategy: segments", "id_strategy: uuid", 19, 18,
     "data.accounts.id_strategy", "id strategy 'uuid' is unknown"},
    {"register_without_id_strategy", "    id_strategy: segments\n", "", 38, 15,
     "businesses.register.template", "which has no id_strategy"},
    {"warmup_too_long", "warmup: 1m", "warmup: 20m", 4, 9, "warmup",
     "warmup (20m00s) must be shorter than duration (10m00s)"},
    {"size_without_unit", "size: 200B", "size: 200", 17, 11, "data.accounts.size",
     "a size needs a unit"},
    {"latency_key_typo", "latency: lognormal", "latncy: lognormal", 12, 7,
     "topology.links.line.latncy", "(did you mean 'latency'?)"},
    {"partition_of_every_dc", "type: dc_outage\n    target: bj",
     "type: partition\n    target: [bj, sh]", 53, 13, "faults.0.target",
     "it cannot hold every datacenter"},
    {"broker_crash_on_mysql", "type: dc_outage\n    target: bj",
     "type: broker_crash\n    target: binlog", 53, 13, "faults.0.target",
     "broker_crash needs an mq channel"},
    {"zero_timeout", "timeout: 3s", "timeout: 0s", 50, 14, "workload.client.timeout",
     "allowed: a duration > 0"},
    {"bad_name", "    line:\n", "    line.1:\n", 10, 5, "topology.links.line.1",
     "names are 1 to 64 letters, digits, '_' or '-'"},
    {"template_and_steps", "template: login", "template: login\n    steps: [{read: accounts}]", 44,
     12, "businesses.login.steps", "template and steps are both set"},
    {"second_document", "", "name: a\n---\nname: b\n", 3, 1, "",
     "a second YAML document starts here"},
    {"non_scalar_key", "", "? [a, b]\n: c\n", 1, 3, "", "a key must be a name; got a list"},
    {"deep_nesting", "", std::string(100, '[') + std::string(100, ']'), 1, 65, "",
     "nests deeper than 64 levels"},
    {"override_unknown_key",
     "",
     "",
     0,
     0,
     "workload.rat",
     "(did you mean 'rate'?)",
     {"workload.rat=8k/s"}},
    {"override_bad_value",
     "",
     "",
     0,
     0,
     "duration",
     "does not start with a number",
     {"duration=ten"}},
    {"override_without_equals", "", "", 0, 0, "", "expected key.path=value", {"duration"}},
    {"negative_read_time",
     "",
     "",
     0,
     0,
     "data.accounts.read_time",
     "negative",
     {"data.accounts.read_time=-1ms"}},
    {"unknown_oplog_write_mode",
     "",
     "",
     0,
     0,
     "exceptions.oplog.accounts.write",
     "allowed: async, sync",
     {"exceptions.oplog.accounts={placement: remote, write: sometimes}"}},
    {"oplog_timeout_without_sync",
     "",
     "",
     0,
     0,
     "exceptions.oplog.accounts.timeout",
     "applies to write: sync only",
     {"exceptions.oplog.accounts={placement: remote, timeout: 1s}"}},
    {"segment_table_in_unknown_dc",
     "",
     "",
     0,
     0,
     "data.accounts.id_strategy.dc",
     "is not a datacenter",
     {"data.accounts.id_strategy={kind: segments, dc: nowhere}"}},
    {"override_index_out_of_range",
     "",
     "",
     0,
     0,
     "faults.5",
     "index 5 is out of range for 'faults'; allowed: 0 to 0, or 1 to append",
     {"faults.5.at=1m"}},
    {"override_intermediate_typo",
     "",
     "",
     0,
     0,
     "channels.binlg",
     "'channels' has no key 'binlg' (did you mean 'binlog'?)",
     {"channels.binlg.threads=3"}},
    {"override_bad_yaml",
     "",
     "",
     0,
     0,
     "sync.accounts",
     "does not parse as YAML",
     {"sync.accounts=[binlog"}},
};

std::string mistake_name(const ::testing::TestParamInfo<Mistake>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Table, ScenarioMistakes, ::testing::ValuesIn(kMistakes), mistake_name);

TEST(ScenarioLoader, TheBaseScenarioOfTheMistakeTableLoadsAndChecksClean) {
  const std::string file = temp_file("base.yaml", kBase);
  const Outcome o = cli({"check", file});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.out.find("Findings: 0 errors, 0 warnings"), std::string::npos) << o.out;
}

TEST(ScenarioLoader, ReportsEveryMistakeOfAFileInOnePass) {
  std::string text = replace_once(kBase, "threads: 4", "threads: 0");
  text = replace_once(text, "target: bj", "target: bjj");
  text = replace_once(text, "duration: 10m", "duraton: 10m");
  const auto ds = diagnostics_of(text);
  ASSERT_EQ(ds.size(), 3u) << all_messages(ds);
  // In file order.
  EXPECT_EQ(ds[0].key_path, "duraton");
  EXPECT_EQ(ds[1].key_path, "channels.binlog.threads");
  EXPECT_EQ(ds[2].key_path, "faults.0.target");
  EXPECT_EQ(ds[0].file, "s.yaml");
  EXPECT_EQ(ds[0].line, 3);
  EXPECT_EQ(ds[0].column, 1);
}

TEST(ScenarioLoader, TheErrorMessageHoldsEveryDiagnosticOnItsOwnLine) {
  std::string text = replace_once(kBase, "threads: 4", "threads: 0");
  text = replace_once(text, "loss: 0.1%", "loss: 2");
  try {
    load_scenario_text(text, "s.yaml");
    FAIL() << "loaded";
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what,
              format_diagnostic(e.diagnostics()[0]) + "\n" + format_diagnostic(e.diagnostics()[1]));
    EXPECT_EQ(what.rfind("s.yaml:14:13: topology.links.line.loss: '2' is out of range", 0), 0u)
        << what;
  }
}

TEST(ScenarioLoader, ADistributionErrorPointsAtTheOffendingCharacter) {
  const auto ds = diagnostics_of(
      replace_once(kBase, "lognormal(median=14ms, p99=25ms)", "lognormal(median=14ms, p99=25)"));
  ASSERT_EQ(ds.size(), 1u) << all_messages(ds);
  EXPECT_EQ(ds[0].line, 12);
  EXPECT_GT(ds[0].column, 16);  // inside the value, not at its start
}

TEST(ScenarioLoader, AnUnquotedDistributionInAFlowMapGetsAQuotingHint) {
  const auto ds =
      diagnostics_of(replace_once(kBase, "      latency: lognormal(median=14ms, p99=25ms)\n",
                                  "      latency: {x: lognormal(median=14ms, p99=25ms)}\n"));
  EXPECT_NE(all_messages(ds).find("expected a distribution"), std::string::npos)
      << all_messages(ds);
  const auto flow = diagnostics_of(replace_once(
      kBase,
      "    line:\n      between: [bj, sh]\n      latency: lognormal(median=14ms, p99=25ms)\n"
      "      bandwidth: 1Gbps\n      loss: 0.1%\n",
      "    line: {between: [bj, sh], latency: lognormal(median=14ms, p99=25ms)}\n"));
  EXPECT_NE(all_messages(flow).find("put a distribution with commas in quotes"), std::string::npos)
      << all_messages(flow);
}

TEST(ScenarioLoader, ConvertsUnitsNamesAndDefaultsIntoTheSpec) {
  const LoadedScenario s = load_scenario_text(kBase, "s.yaml");
  const models::ScenarioSpec& spec = s.spec;
  EXPECT_EQ(spec.name, "t");
  EXPECT_EQ(spec.run.duration, sim::Duration(600'000'000'000));
  EXPECT_EQ(spec.run.warmup, sim::Duration(60'000'000'000));
  ASSERT_EQ(spec.topology.datacenter_count(), 2u);
  EXPECT_EQ(spec.topology.datacenter(models::DcId{1}).city, "Shanghai");
  const models::LinkSpec& line = spec.topology.link(models::LinkId{0});
  EXPECT_DOUBLE_EQ(line.bandwidth_bytes_per_s, 125e6);
  EXPECT_DOUBLE_EQ(line.loss, 0.001);
  EXPECT_NEAR(line.latency.quantile(0.5), 14e6, 1);
  ASSERT_EQ(spec.data.size(), 3u);
  EXPECT_EQ(spec.data[0].row_bytes, 200u);
  EXPECT_TRUE(spec.data[0].unique);
  EXPECT_EQ(spec.data[0].bound, sim::Duration(1'000'000'000));
  EXPECT_EQ(spec.data[1].bound, sim::Duration::max());
  EXPECT_EQ(spec.data[2].ttl, sim::Duration::max()) << "no ttl: rows never expire";
  ASSERT_TRUE(spec.data[0].id_strategy.has_value());
  EXPECT_EQ(spec.data[0].id_strategy->kind, models::IdStrategyKind::kSegments);
  ASSERT_EQ(spec.channels.size(), 2u);
  EXPECT_EQ(spec.channels[0].mysql.name, "binlog");
  EXPECT_EQ(spec.channels[0].mysql.threads, 4);
  EXPECT_EQ(spec.channels[1].type, models::ChannelType::kMq);
  EXPECT_EQ(spec.channels[1].mq.name, "events");
  EXPECT_EQ(spec.channels[1].mq.partitions, 8);
  ASSERT_EQ(spec.sync.size(), 3u);
  EXPECT_EQ(spec.sync[0].mode, models::SyncMode::kChannels);
  EXPECT_EQ(spec.sync[1].channels.at(0).channel, 1u);
  EXPECT_EQ(spec.sync[2].mode, models::SyncMode::kRegenerate);
  ASSERT_EQ(spec.workload.businesses.size(), 2u);
  EXPECT_EQ(spec.workload.businesses[0].name, "register");
  EXPECT_DOUBLE_EQ(spec.workload.businesses[1].arrivals.rate_per_s, 100);
  EXPECT_EQ(spec.workload.businesses[1].steps.size(), 3u);
  EXPECT_EQ(spec.workload.users.max, 100'000u);
  EXPECT_EQ(spec.workload.data_classes.size(), 3u);
  EXPECT_EQ(spec.workload.end, sim::Time(600'000'000'000));
  ASSERT_EQ(spec.faults.size(), 1u);
  EXPECT_EQ(spec.faults[0].type, models::FaultType::kDcOutage);
  EXPECT_EQ(spec.faults[0].at, sim::Time(300'000'000'000));
  EXPECT_EQ(spec.faults[0].duration, sim::Duration(60'000'000'000));
  EXPECT_EQ(s.text, kBase);
  EXPECT_EQ(s.origin, "s.yaml");
}

TEST(ScenarioLoader, ReadsJsonAsPythonWritesIt) {
  // What json.dumps gives for a dict: one line, quoted keys, JSON numbers, true/false/null and
  // \u escapes for non-ASCII text.
  const std::string json =
      R"j({"name": "from_python", "duration": "5m", "topology": {"datacenters": )j"
      R"j({"bj": {"city": "\u5317\u4eac"}, "sh": {"city": "\u4e0a\u6d77"}}, "links": {"line": )j"
      R"j({"between": ["bj", "sh"], "latency": "lognormal(median=14ms, p99=25ms)", )j"
      R"j("bandwidth": "1Gbps", "loss": 0.001}}}, "data": {"accounts": {"unique": true, )j"
      R"j("id_strategy": {"kind": "segments", "segment_size": 500}, "bound": null}, )j"
      R"j("sessions": {"lossable": true}}, "channels": {"binlog": {"type": "mysql_replication", )j"
      R"j("threads": 4}}, "sync": {"accounts": ["binlog"], "sessions": "regenerate"}, )j"
      R"j("businesses": {"login": {"share": 0.75, "template": "profile", "data": {"profile": )j"
      R"j("accounts", "session": "sessions"}}, "other": {"share": 0.25, "steps": [{"session": )j"
      R"j("sessions"}]}}, "workload": {"rate": "2k/s", "users": {"initial": 500, "max": 1000}}})j";
  const LoadedScenario s = load_scenario_text(json, "<python>");
  EXPECT_EQ(s.spec.name, "from_python");
  EXPECT_EQ(s.spec.topology.datacenter(models::DcId{0}).city, "北京");
  EXPECT_DOUBLE_EQ(s.spec.topology.link(models::LinkId{0}).loss, 0.001);
  EXPECT_EQ(s.spec.data[0].id_strategy->segment_size, 500u);
  EXPECT_EQ(s.spec.data[0].bound, sim::Duration::max());
  EXPECT_DOUBLE_EQ(s.spec.workload.total_rate_per_s, 2000);
  EXPECT_DOUBLE_EQ(s.spec.workload.businesses[0].share, 0.75);
  EXPECT_EQ(s.spec.workload.users.initial, 500u);
}

TEST(ScenarioLoader, JsonMistakesArePositionedOnTheirLineAndColumn) {
  const std::string json =
      R"j({"name": "x", "topology": {"datacenters": {"bj": "Beijing"}}, "data": {"d": )j"
      R"j({"lossable": "sometimes"}}, "businesses": {"b": {"rate": "5/s", "steps": [{"session": "d"}]}}})j";
  const auto ds = diagnostics_of(json);
  ASSERT_EQ(ds.size(), 1u) << all_messages(ds);
  EXPECT_EQ(ds[0].line, 1);
  EXPECT_EQ(ds[0].column, static_cast<int>(json.find("\"sometimes\"")) + 1);
  EXPECT_EQ(ds[0].key_path, "data.d.lossable");
}

TEST(ScenarioLoader, ATtlIsADurationOrNone) {
  EXPECT_EQ(load_scenario_text(kBase, "s.yaml", {"data.sessions.ttl=30m"}).spec.data[2].ttl,
            sim::Duration(1'800'000'000'000));
  EXPECT_EQ(load_scenario_text(kBase, "s.yaml", {"data.sessions.ttl=none"}).spec.data[2].ttl,
            sim::Duration::max());
}

TEST(ScenarioLoader, OverridesChangeTheTreeBeforeItIsRead) {
  const LoadedScenario s =
      load_scenario_text(kBase, "s.yaml",
                         {"businesses.login.rate=8k/s", "sync.passwords=binlog",
                          "topology.links.line.between=[sh, bj]", "faults.0.at=2m",
                          "faults.1={type: link_down, target: line, at: 3m}",
                          "exceptions.compensation.target=99%", "workload.users.initial=2k"});
  const models::ScenarioSpec& spec = s.spec;
  EXPECT_DOUBLE_EQ(spec.workload.businesses[1].arrivals.rate_per_s, 8000);
  EXPECT_EQ(spec.sync[1].channels.at(0).channel, 0u);
  EXPECT_EQ(spec.topology.link(models::LinkId{0}).a, models::DcId{1});
  ASSERT_EQ(spec.faults.size(), 2u);
  EXPECT_EQ(spec.faults[0].at, sim::Time(120'000'000'000));
  EXPECT_EQ(spec.faults[1].type, models::FaultType::kLinkDown);
  EXPECT_DOUBLE_EQ(spec.exceptions.compensation.target_ratio, 0.99);
  EXPECT_EQ(spec.workload.users.initial, 2000u);
  // The effective text is the tree after overrides, and reads back to the same spec.
  EXPECT_NE(s.text.find("8k/s"), std::string::npos) << s.text;
  const LoadedScenario again = load_scenario_text(s.text, "effective.yaml");
  EXPECT_DOUBLE_EQ(again.spec.workload.businesses[1].arrivals.rate_per_s, 8000);
  EXPECT_EQ(again.spec.faults.size(), 2u);
  EXPECT_EQ(again.spec.topology.link(models::LinkId{0}).a, models::DcId{1});
  EXPECT_EQ(again.text, s.text);
  EXPECT_EQ(load_scenario_text(again.text, "e", {"seed=1"}).text, s.text);
}

TEST(ScenarioLoader, AnOverrideValueIsValidatedLikeTheFileAndNamesTheArgument) {
  const auto ds = diagnostics_of(kBase, {"channels.binlog.threads=-3", "faults.0.target=nowhere"});
  ASSERT_EQ(ds.size(), 2u) << all_messages(ds);
  EXPECT_EQ(ds[0].file, "--set channels.binlog.threads=-3");
  EXPECT_EQ(ds[0].line, 0);
  EXPECT_EQ(ds[0].key_path, "channels.binlog.threads");
  EXPECT_EQ(format_diagnostic(ds[1]).rfind("--set faults.0.target=nowhere: faults.0.target: "
                                           "'nowhere' is not a datacenter",
                                           0),
            0u)
      << format_diagnostic(ds[1]);
}

TEST(ScenarioLoader, OverridesMayAddSectionsTheFileLeftToDefaults) {
  const LoadedScenario s =
      load_scenario_text(kBase, "s.yaml",
                         {"exceptions.oplog.accounts=remote", "workload.gslb.detection_delay=10s",
                          "exceptions.access_fallback.accounts={owner: home, links: [line]}"});
  ASSERT_EQ(s.spec.exceptions.oplogs.size(), 1u);
  EXPECT_EQ(s.spec.exceptions.oplogs[0].placement, models::OplogPlacement::kRemote);
  EXPECT_EQ(s.spec.workload.gslb.detection_delay, sim::Duration(10'000'000'000));
  ASSERT_EQ(s.spec.exceptions.access_fallback.size(), 1u);
  EXPECT_EQ(s.spec.exceptions.access_fallback[0].links.size(), 1u);
}

TEST(ScenarioLoader, ServiceTimesSyncOplogsAndSegmentTablesReachTheSpec) {
  const LoadedScenario s = load_scenario_text(
      kBase, "s.yaml",
      {"data.accounts.read_time=0.5ms", "data.accounts.write_time=exp(2ms)",
       "data.accounts.id_strategy={kind: segments, segment_size: 50, dc: sh}",
       "exceptions.oplog.accounts={placement: remote, write: sync, timeout: 200ms, "
       "on_timeout: async, ack_size: 100B}"});
  const models::DataClassSpec& accounts = s.spec.data[0];
  EXPECT_DOUBLE_EQ(accounts.read_time.mean(), 500'000);
  EXPECT_DOUBLE_EQ(accounts.write_time.mean(), 2'000'000);
  ASSERT_TRUE(accounts.id_strategy.has_value());
  ASSERT_TRUE(accounts.id_strategy->segment_dc.has_value());
  EXPECT_EQ(accounts.id_strategy->segment_dc->value, 1u);
  EXPECT_EQ(accounts.id_strategy->segment_size, 50u);
  ASSERT_EQ(s.spec.exceptions.oplogs.size(), 1u);
  const models::OplogSpec& log = s.spec.exceptions.oplogs[0];
  EXPECT_EQ(log.write, models::OplogWrite::kSync);
  EXPECT_EQ(log.timeout, sim::Duration(200'000'000));
  EXPECT_EQ(log.on_timeout, models::OplogTimeout::kAsync);
  EXPECT_EQ(log.ack_bytes, 100u);
  // The defaults: REFERENCE.md's 0.3 ms read and 1 ms durable commit, an async log.
  EXPECT_DOUBLE_EQ(s.spec.data[1].read_time.mean(), 300'000);
  EXPECT_DOUBLE_EQ(s.spec.data[1].write_time.mean(), 1'000'000);
  EXPECT_EQ(load_scenario_text(kBase, "s.yaml", {"exceptions.oplog.accounts=remote"})
                .spec.exceptions.oplogs[0]
                .write,
            models::OplogWrite::kAsync);
}

TEST(ScenarioLoader, AnAliasBombIsRefusedBeforeItExpands) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  const auto ds = diagnostics_of(text);
  ASSERT_EQ(ds.size(), 1u) << all_messages(ds);
  EXPECT_NE(ds[0].message.find("more than 200000 nodes"), std::string::npos) << ds[0].message;
}

TEST(ScenarioLoader, AliasesAreExpandedIntoCopies) {
  const std::string text =
      replace_once(replace_once(kBase, "      latency: lognormal(median=14ms, p99=25ms)\n",
                                "      latency: &lat lognormal(median=14ms, p99=25ms)\n"),
                   "data:\n", "    line2: {between: [sh, bj], latency: *lat}\ndata:\n");
  const LoadedScenario s = load_scenario_text(text, "s.yaml");
  ASSERT_EQ(s.spec.topology.link_count(), 2u);
  EXPECT_NEAR(s.spec.topology.link(models::LinkId{0}).latency.quantile(0.5), 14e6, 1);
}

TEST(ScenarioLoader, AMissingFileIsBadInputNamingThePath) {
  const Outcome o = cli({"check", "/no/such/scenario.yaml"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("/no/such/scenario.yaml: cannot read the scenario file: no such file"),
            std::string::npos)
      << o.err;
  EXPECT_THROW(load_scenario_file(::testing::TempDir()), ScenarioError);  // a directory
}

TEST(ScenarioLoader, TheBuiltInDefaultIsLoginTwoCitiesAsBuilt) {
  std::ifstream in(source_file("scenarios/login_two_cities.yaml"), std::ios::binary);
  ASSERT_TRUE(in) << "set GEODES_SOURCE_DIR";
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(default_scenario_text(), text.str());
  const LoadedScenario s =
      load_scenario_text(std::string(default_scenario_text()), std::string(kDefaultScenarioOrigin));
  EXPECT_EQ(s.spec.name, "login_two_cities");
  EXPECT_EQ(s.spec.topology.datacenter(models::DcId{0}).city, "Beijing");
}

TEST(ScenarioLoader, TheDefaultScenarioIsTheLessonsSystem) {
  const models::ScenarioSpec spec =
      load_scenario_file(source_file("scenarios/login_two_cities.yaml")).spec;
  // Accounts over MySQL and MQ, each pinned to its own link; passwords over MySQL only.
  const auto& accounts = spec.sync[0];
  ASSERT_EQ(accounts.channels.size(), 2u);
  EXPECT_EQ(spec.channels[accounts.channels[0].channel].type,
            models::ChannelType::kMysqlReplication);
  EXPECT_EQ(spec.channels[accounts.channels[1].channel].type, models::ChannelType::kMq);
  EXPECT_NE(accounts.channels[0].links, accounts.channels[1].links);
  EXPECT_EQ(spec.sync[1].channels.size(), 1u);
  EXPECT_EQ(spec.sync[2].mode, models::SyncMode::kRegenerate);
  EXPECT_EQ(spec.exceptions.access_fallback.size(), 2u);
  EXPECT_EQ(spec.exceptions.oplogs[0].placement, models::OplogPlacement::kRemote);
  EXPECT_DOUBLE_EQ(spec.exceptions.compensation.cost_data_lost, 200);
  ASSERT_EQ(spec.faults.size(), 2u);
  EXPECT_EQ(spec.faults[0].type, models::FaultType::kDcOutage);
  EXPECT_EQ(spec.faults[1].type, models::FaultType::kLinkDown);
  EXPECT_DOUBLE_EQ(spec.workload.total_rate_per_s, 1000);
}

TEST(ScenarioLoader, ExplicitStepsDefineOtherBusinesses) {
  const std::string text = replace_once(
      kBase, "  login:\n    rate: 100/s\n    template: login\n",
      "  audit:\n    rate: 5/s\n    steps:\n      - {read: accounts, fail_if_stale: true}\n"
      "      - {write: passwords, mode: delete}\n  login:\n    rate: 100/s\n    template: login\n");
  const LoadedScenario s = load_scenario_text(text, "s.yaml");
  const models::BusinessParams& audit = s.spec.workload.businesses[1];
  EXPECT_EQ(audit.name, "audit");
  ASSERT_EQ(audit.steps.size(), 2u);
  EXPECT_EQ(audit.steps[0].kind, models::StepKind::kRead);
  EXPECT_TRUE(audit.steps[0].fail_if_stale);
  EXPECT_EQ(audit.steps[0].key, models::KeyChoice::kAccount);
  EXPECT_EQ(audit.steps[1].write, models::WriteMode::kDelete);
  EXPECT_EQ(audit.steps[1].data_class, models::DataClassId{1});
}

TEST(ScenarioLoader, StepMistakesNameTheStep) {
  const std::string text = replace_once(
      kBase, "  login:\n    rate: 100/s\n    template: login\n",
      "  audit:\n    rate: 5/s\n    steps:\n      - {read: accounts, mode: upsert}\n"
      "      - {write: passwords, read: accounts}\n      - {write: passwords, key: new_id}\n"
      "  login:\n    rate: 100/s\n    template: login\n");
  const auto ds = diagnostics_of(text);
  const std::string all = all_messages(ds);
  ASSERT_EQ(ds.size(), 3u) << all;
  EXPECT_NE(all.find("businesses.audit.steps.0.mode: mode applies to write steps only"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("businesses.audit.steps.1: a step has exactly one kind"), std::string::npos)
      << all;
  EXPECT_NE(all.find("uses key new_id with no allocate_id step before it"), std::string::npos)
      << all;
}

TEST(ScenarioLoader, PinnedLinksMustJoinEveryDatacenter) {
  std::string text = replace_once(kBase, "    sh: {city: Shanghai}\n",
                                  "    sh: {city: Shanghai}\n    gz: {city: Guangzhou}\n");
  text = replace_once(text, "accounts: binlog", "accounts: [{channel: binlog, links: [line]}]");
  const auto ds = diagnostics_of(text);
  ASSERT_EQ(ds.size(), 1u) << all_messages(ds);
  EXPECT_EQ(ds[0].key_path, "sync.accounts.0.links");
  EXPECT_NE(ds[0].message.find("do not join 'bj' and 'gz'"), std::string::npos) << ds[0].message;
}

TEST(ScenarioLoader, ModelValidatorsAreRunOnTheWholeSpec) {
  // A piecewise curve with more factors than ns in its period passes the per-key checks; the
  // ArrivalProcess refuses it, and the complaint is attached to the business.
  const std::string text = replace_once(
      kBase, "    rate: 100/s\n    template: login\n",
      "    rate: 100/s\n    diurnal: {shape: piecewise, period: 2ns, factors: [1, 1, 1]}\n"
      "    template: login\n");
  const auto ds = diagnostics_of(text);
  ASSERT_EQ(ds.size(), 1u) << all_messages(ds);
  EXPECT_EQ(ds[0].key_path, "businesses.login");
  EXPECT_EQ(ds[0].line, 42);
  EXPECT_NE(ds[0].message.find("business 'login'"), std::string::npos) << ds[0].message;
}

}  // namespace
}  // namespace geodes::app

namespace geodes::app {
namespace {

TEST(ScenarioLoader, ARejectedDefinitionIsNotReportedAgainWhereItIsUsed) {
  // A bad id strategy: the register template and users.id_class do not complain that it is
  // missing. A bad channel type: the fault on that channel does not complain about its type.
  std::string text = replace_once(kBase, "id_strategy: segments", "id_strategy: segmnts");
  text = replace_once(text, "  client:\n", "  client:\n    retries: 1\n");
  text = replace_once(text, "    initial: 1000\n", "    initial: 1000\n    id_class: accounts\n");
  text = replace_once(text, "type: mq", "type: kafka");
  text = replace_once(text, "type: dc_outage\n    target: bj",
                      "type: broker_crash\n    target: events");
  const auto ds = diagnostics_of(text);
  ASSERT_EQ(ds.size(), 2u) << all_messages(ds);
  EXPECT_EQ(ds[0].key_path, "data.accounts.id_strategy");
  EXPECT_EQ(ds[1].key_path, "channels.events.type");
}

}  // namespace
}  // namespace geodes::app
