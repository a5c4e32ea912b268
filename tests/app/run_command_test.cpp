// `geodes run` (issue "geodes run: the main job, its summary, HDF5 results, determinism"): the
// shipped scenarios run, twice to the same bytes; the summary has every DESIGN.md key; Ctrl-C
// leaves a complete file marked incomplete; output paths are checked before the run.
#include "geodes/app/run_command.hpp"

#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "geodes/app/cli.hpp"
#include "geodes/app/results_hdf5.hpp"
#include "geodes/app/run_scenario.hpp"
#include "geodes/app/scenario_loader.hpp"
#include "geodes/app/summary_json.hpp"
#include "geodes/models/system/resource_estimate.hpp"
#include "sample_results.hpp"
#include "sanitizers.hpp"

namespace geodes::app {
namespace {

using testing::ScratchDir;
namespace fs = std::filesystem;

std::string source_dir() {
  const char* dir = std::getenv("GEODES_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(source_dir()) / "scenarios")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Cli {
  int code = -1;
  std::string out;
  std::string err;
};

Cli cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  Cli r;
  r.code = run_cli(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A short version of each scenario, so the suite stays fast: the first few minutes.
const std::vector<std::string> kShort = {"--set",      "duration=150s", "--set",
                                         "warmup=10s", "--set",         "drain=30s"};

std::vector<std::string> run_args(const std::string& scenario,
                                  std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", scenario, "--quiet"};
  args.insert(args.end(), kShort.begin(), kShort.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(RunCommand, TheBuiltInDefaultRunsAndItsSummaryHasEveryDesignKey) {
  ScratchDir dir("run_default");
  std::vector<std::string> args = {"run", "--quiet", "--json", dir.file("s.json")};
  args.insert(args.end(), kShort.begin(), kShort.end());
  const Cli r = cli(args);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const nlohmann::json j = nlohmann::json::parse(slurp(dir.file("s.json")));
  for (const char* key : {"scenario", "seed", "sim_time_s", "events", "wall_s", "businesses",
                          "data", "channels", "compensation"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["scenario"], "login_two_cities");
  ASSERT_TRUE(j["businesses"].contains("login"));
  for (const char* key : {"attempted", "succeeded", "success_ratio", "rto_s"}) {
    EXPECT_TRUE(j["businesses"]["login"].contains(key)) << key;
  }
  ASSERT_TRUE(j["data"].contains("accounts"));
  for (const char* key :
       {"writes", "lag_ms", "bound_violations", "stale_reads", "lost", "recovered",
        "divergent_keys", "order_violations", "uniqueness_conflicts"}) {
    EXPECT_TRUE(j["data"]["accounts"].contains(key)) << key;
  }
  for (const char* key : {"mean", "p50", "p99", "p999", "max"}) {
    EXPECT_TRUE(j["data"]["accounts"]["lag_ms"].contains(key)) << key;
  }
  ASSERT_FALSE(j["channels"].empty());
  for (const auto& [name, ch] : j["channels"].items()) {
    for (const char* key : {"delivered", "duplicates", "lost_in_transit", "lag_ms", "stopped_s"}) {
      EXPECT_TRUE(ch.contains(key)) << name << "." << key;
    }
  }
  for (const char* key : {"affected_users", "affected_ratio", "cost"}) {
    EXPECT_TRUE(j["compensation"].contains(key)) << key;
  }
  EXPECT_GT(j["data"]["accounts"]["writes"].get<std::uint64_t>(), 1000u);
}

TEST(RunCommand, TheTerminalSummaryFitsEightyColumnsAndEndsWithTheSpeedLine) {
  std::vector<std::string> args = {"run"};
  args.insert(args.end(), kShort.begin(), kShort.end());
  const Cli r = cli(args);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    EXPECT_LE(line.size(), 80u * 3) << line;  // bytes; columns are checked by summary_text
    last = line;
  }
  EXPECT_NE(last.find("events"), std::string::npos) << last;
  EXPECT_NE(last.find("simulated"), std::string::npos) << last;
  EXPECT_NE(r.out.find("Businesses"), std::string::npos);
}

// Runs `path` (shortened) with `seed` and returns its summary JSON without wall time and the
// bytes of its results file, written with no wall time.
std::pair<std::string, std::string> run_twice_material(const std::string& path, std::uint64_t seed,
                                                       const ScratchDir& dir,
                                                       const std::string& name) {
  std::vector<std::string> overrides = {"duration=150s", "warmup=10s", "drain=30s"};
  const LoadedScenario loaded = load_scenario_file(path, overrides);
  const models::RunResults results = run_scenario(loaded.spec, seed);
  SummaryOptions so;
  so.include_wall_time = false;
  RunMeta meta;
  meta.seed = seed;
  meta.scenario_yaml = loaded.text;
  meta.record_wall_time = false;
  write_results_hdf5(dir.file(name), results, meta);
  return {summary_json(results, so), slurp(dir.file(name))};
}

TEST(RunCommand, EveryShippedScenarioRunsTwiceToTheSameBytesAndAnotherSeedDiffers) {
  const std::vector<std::string> files = shipped_scenarios();
  ASSERT_GE(files.size(), 6u);
  ScratchDir dir("run_twice");
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    const auto a = run_twice_material(f, 11, dir, "a.h5");
    const auto b = run_twice_material(f, 11, dir, "b.h5");
    const auto c = run_twice_material(f, 12, dir, "c.h5");
    EXPECT_EQ(a.first, b.first) << "summary JSON differs between two runs";
    EXPECT_TRUE(a.second == b.second) << "HDF5 bytes differ between two runs";
    EXPECT_NE(a.first, c.first) << "another seed gave the same summary";
  }
}

TEST(RunCommand, EveryShippedScenarioRunsFromTheCommandLine) {
  for (const std::string& f : shipped_scenarios()) {
    const Cli r = cli(run_args(f));
    EXPECT_EQ(r.code, kExitOk) << f << ": " << r.err;
  }
}

TEST(RunCommand, CtrlCStopsTheRunAndLeavesACompleteFileMarkedIncomplete) {
  ScratchDir dir("run_interrupt");
  const std::string out = dir.file("r.h5");
  // Hours of simulated time: the signal arrives long before the end.
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ::kill(::getpid(), SIGINT);
  });
  const Cli r = cli({"run", "--quiet", "--set", "duration=10h", "--out", out});
  interrupter.join();
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  ASSERT_EQ(dir.entries(), std::vector<std::string>{"r.h5"}) << "no temporary file left";
  const H5::H5File file(out, H5F_ACC_RDONLY);
  const H5::Attribute complete = file.openGroup("/meta").openAttribute("complete");
  std::int8_t v = 1;
  complete.read(H5::PredType::NATIVE_INT8, &v);
  EXPECT_EQ(v, 0);
  double sim_time = 0;
  file.openGroup("/meta").openAttribute("sim_time_s").read(H5::PredType::NATIVE_DOUBLE, &sim_time);
  EXPECT_GT(sim_time, 0.0);
  EXPECT_LT(sim_time, 10 * 3600.0);
}

TEST(RunCommand, OutputPathsAreCheckedBeforeTheRunAndBadOnesExitWithOne) {
  ScratchDir dir("run_outputs");
  const auto started = std::chrono::steady_clock::now();
  // A directory is never overwritten.
  Cli r = cli({"run", "--quiet", "--out", dir.path().string()});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  r = cli({"run", "--quiet", "--json", dir.file("missing/s.json")});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  r = cli({"run", "--quiet", "--out", "/sys/geodes_cannot_write_here.h5"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
      << "no scenario was run for a bad path";
  EXPECT_TRUE(dir.entries().empty());
  // And a good path gets the file, where asked.
  std::vector<std::string> args = {"run", "--quiet", "--out", dir.file("ok.h5")};
  args.insert(args.end(), kShort.begin(), kShort.end());
  r = cli(args);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"ok.h5"});
}

TEST(RunCommand, BadOptionsAndBadScenariosExitWithTwo) {
  EXPECT_EQ(cli({"run", "--seed", "minus-one"}).code, kExitBadInput);
  EXPECT_EQ(cli({"run", "--frobnicate"}).code, kExitBadInput);
  EXPECT_EQ(cli({"run", "a.yaml", "b.yaml"}).code, kExitBadInput);
  const Cli r = cli({"run", "--set", "workload.rate=-5/s"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_NE(r.err.find("workload.rate"), std::string::npos) << r.err;
  EXPECT_EQ(cli({"run", "/nonexistent/scenario.yaml"}).code, kExitBadInput);
}

// Resources are input too (issue #15): the probes that used to grow until the OOM killer came.
TEST(RunCommand, ARunWhoseEstimateExceedsTheMachinesMemoryIsRefusedWithTwoNamingItsKeys) {
  const auto started = std::chrono::steady_clock::now();
  const Cli users = cli(
      {"run", "--quiet", "--set", "workload.users.initial=1G", "--set", "workload.users.max=1G"});
  EXPECT_EQ(users.code, kExitBadInput);
  EXPECT_NE(users.err.find("workload.users.initial: this run needs an estimated"),
            std::string::npos)
      << users.err;
  EXPECT_NE(users.err.find("workload.users.initial=1G"), std::string::npos) << users.err;
  EXPECT_NE(users.err.find("GiB"), std::string::npos) << users.err;
  EXPECT_NE(users.err.find("it was not started"), std::string::npos) << users.err;
  const Cli series = cli({"run", "--quiet", "--set", "metrics.series_interval=1ns"});
  EXPECT_EQ(series.code, kExitBadInput);
  EXPECT_NE(series.err.find("metrics.series_interval=1ns"), std::string::npos) << series.err;
  EXPECT_NE(series.err.find("PiB"), std::string::npos) << series.err;
  EXPECT_EQ(users.out + series.out, "");
  // Refused before anything is built: far quicker than building a billion users could be.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

TEST(RunCommand, MaxMemoryLowersTheBudgetAndABadSizeIsBadInput) {
  const Cli low = cli({"run", "--quiet", "--max-memory", "10MiB"});
  EXPECT_EQ(low.code, kExitBadInput);
  EXPECT_NE(low.err.find("more than the 10.0MiB of --max-memory"), std::string::npos) << low.err;
  EXPECT_NE(low.err.find("rows"), std::string::npos) << low.err;
  for (const char* bad : {"lots", "-1GiB", "0B", "4parsecs"}) {
    const Cli r = cli({"run", "--quiet", "--max-memory", bad});
    EXPECT_EQ(r.code, kExitBadInput) << bad;
    EXPECT_NE(r.err.find("--max-memory"), std::string::npos) << bad << ": " << r.err;
  }
  const Cli enough =
      cli(run_args(source_dir() + "/scenarios/login_two_cities.yaml", {"--max-memory", "64GiB"}));
  EXPECT_EQ(enough.code, kExitOk) << enough.err;
}

using geodes::testing::kSanitized;

struct ChildRun {
  Cli cli;
  double before = 0;  // address space when the run started
  double peak = 0;    // at its peak (VmPeak; the test process before the fork maps far less)
};

// Runs `args` in a child process, so that what the run maps is its own, and when `extra` is
// given under an address-space limit (ulimit -v) of `extra` bytes beyond what the child maps when
// the run starts: memory then runs out for real at a point set by the scenario, not by how much
// memory the machine has free. Returns the exit code, stderr and the child's address space.
ChildRun cli_in_child(const std::vector<std::string>& args, std::optional<double> extra) {
  const geodes::testing::ChildOutcome c = geodes::testing::run_in_child([&](std::string& text) {
    const double before = geodes::testing::proc_status_bytes("VmSize");
    if (extra) {
      const auto limit = static_cast<rlim_t>(before + *extra);
      const rlimit l{limit, limit};
      ::setrlimit(RLIMIT_AS, &l);
    }
    std::ostringstream out;
    std::ostringstream err;
    const int code = run_cli(args, out, err);
    std::ostringstream o;
    o << std::fixed << before << " " << geodes::testing::proc_status_bytes("VmPeak") << "\n"
      << err.str();
    text = o.str();
    return code;
  });
  ChildRun r;
  r.cli.code = c.code;
  std::istringstream in(c.output);
  in >> r.before >> r.peak;
  in.ignore(1);
  r.cli.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

// The estimated bytes of the time series of the built-in scenario with `overrides`
// (models/src/system/resource_estimate.cpp); run_scenario reserves a third of them, plus 64 MiB,
// for collecting the results after memory ran out.
double series_bytes(const std::vector<std::string>& overrides) {
  const LoadedScenario s =
      load_scenario_text(std::string(default_scenario_text()), "<built-in>", overrides);
  for (const models::ResourceItem& i : models::estimate_resources(s.spec).items) {
    if (i.what == "time series") return i.bytes;
  }
  return 0;
}

constexpr double kReserveBytes = 64.0 * 1024 * 1024;

TEST(RunCommand, MemoryRunningOutDuringARunWritesWhatWasMeasuredMarkedIncompleteAndExitsOne) {
  if (kSanitized) GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space";
  ScratchDir dir("run_oom");
  const std::string json = dir.file("s.json");
  // 10 ms series intervals over 17 minutes: about 300 MiB of series, which grow with simulated
  // time. The address-space limit is what the run with 1 s intervals maps (measured: the system,
  // its tables reserved up front, the 64 MiB reserve), plus the reserve's third of the series,
  // plus a quarter of the series: memory runs out during the run, whatever the machine has free
  // (the limit is on address space; the run touches only about a quarter of the series).
  const std::vector<std::string> overrides = {"metrics.series_interval=10ms"};
  const double series = series_bytes(overrides);
  ASSERT_GT(series, 128.0 * 1024 * 1024);
  const ChildRun base = cli_in_child({"run", "--quiet"}, std::nullopt);
  ASSERT_EQ(base.cli.code, kExitOk) << base.cli.err;
  const double extra = (base.peak - base.before) + series / 3 + series / 4;
  const Cli r = cli_in_child({"run", "--quiet", "--set", overrides[0], "--json", json}, extra).cli;
  EXPECT_EQ(r.code, kExitFailure) << r.err;
  EXPECT_NE(r.err.find("geodes: out of memory while running the simulation, at "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("bad_alloc"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("std::"), std::string::npos) << r.err;
  ASSERT_EQ(dir.entries(), std::vector<std::string>{"s.json"}) << "no temporary file left";
  const nlohmann::json j = nlohmann::json::parse(slurp(json));
  EXPECT_EQ(j["complete"], false);
  EXPECT_EQ(j["stopped_by"].get<std::string>().rfind("out of memory while running", 0), 0u);
  EXPECT_GT(j["sim_time_s"].get<double>(), 0.0);
  EXPECT_LT(j["sim_time_s"].get<double>(), 17 * 60.0);
}

TEST(RunCommand, MemoryRunningOutWhileBuildingTheSystemSaysSoAndExitsOne) {
  if (kSanitized) GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space";
  ScratchDir dir("run_oom_build");
  const std::string json = dir.file("s.json");
  // A million users. The limit leaves room for the results' reserve and 32 MiB more, far less
  // than the system's tables and rows (hundreds of MiB of address space): the build cannot
  // finish, whatever the machine has free.
  const std::vector<std::string> overrides = {"workload.users.initial=1M", "workload.users.max=1M"};
  const double extra = kReserveBytes + series_bytes(overrides) / 3 + 32.0 * 1024 * 1024;
  const Cli r =
      cli_in_child({"run", "--quiet", "--set", overrides[0], "--set", overrides[1], "--json", json},
                   extra)
          .cli;
  EXPECT_EQ(r.code, kExitFailure) << r.err;
  EXPECT_EQ(r.err.rfind("geodes: out of memory while building the system", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find("std::"), std::string::npos) << r.err;
  EXPECT_TRUE(dir.entries().empty()) << "nothing written, no temporary file left";
}

TEST(RunCommand, SigtermStopsTheRunLikeCtrlCAndTheFileSaysSo) {
  ScratchDir dir("run_sigterm");
  const std::string json = dir.file("s.json");
  std::thread terminator([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ::kill(::getpid(), SIGTERM);
  });
  const Cli r = cli({"run", "--quiet", "--set", "duration=10h", "--json", json});
  terminator.join();
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("geodes: interrupted (SIGTERM): the results are incomplete"),
            std::string::npos)
      << r.err;
  ASSERT_EQ(dir.entries(), std::vector<std::string>{"s.json"}) << "no temporary file left";
  const nlohmann::json j = nlohmann::json::parse(slurp(json));
  EXPECT_EQ(j["complete"], false);
  EXPECT_EQ(j["stopped_by"], "interrupted (SIGTERM)");
  EXPECT_LT(j["sim_time_s"].get<double>(), 10 * 3600.0);
}

}  // namespace
}  // namespace geodes::app
