#include "geodes/app/run_command.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <ostream>

#include "geodes/app/atomic_file.hpp"
#include "geodes/app/cli.hpp"
#include "geodes/app/git_describe.hpp"
#include "geodes/app/interrupt.hpp"
#include "geodes/app/memory_budget.hpp"
#include "geodes/app/progress_bar.hpp"
#include "geodes/app/results_hdf5.hpp"
#include "geodes/app/run_scenario.hpp"
#include "geodes/app/scenario_loader.hpp"
#include "geodes/app/summary_json.hpp"
#include "geodes/app/summary_text.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::app {

namespace {

constexpr const char* kRunUsage =
    "usage: geodes run [SCENARIO] [--seed N] [--set key.path=value]... [--out results.h5]\n"
    "                  [--json summary.json] [--report report.html] [--max-memory SIZE]\n"
    "                  [--quiet]\n";

struct RunOptions {
  std::optional<std::string> scenario;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> overrides;
  std::optional<std::string> out;
  std::optional<std::string> json;
  std::optional<double> max_memory;
  bool quiet = false;
};

std::uint64_t parse_seed(const std::string& text) {
  std::size_t used = 0;
  unsigned long long v = 0;  // NOLINT(google-runtime-int): std::stoull's type
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || text[0] == '-') {
    throw InvalidArgument("--seed takes a non-negative integer, got '" + text + "'");
  }
  return v;
}

RunOptions parse(const std::vector<std::string>& args) {
  RunOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&](const char* flag) -> const std::string& {
      if (i + 1 >= args.size()) throw InvalidArgument(std::string(flag) + " needs a value");
      return args[++i];
    };
    if (a == "--seed") {
      o.seed = parse_seed(value("--seed"));
    } else if (a == "--set") {
      o.overrides.push_back(value("--set"));
    } else if (a.rfind("--set=", 0) == 0) {
      o.overrides.push_back(a.substr(6));
    } else if (a == "--out") {
      o.out = value("--out");
    } else if (a == "--json") {
      o.json = value("--json");
    } else if (a == "--max-memory") {
      o.max_memory = parse_max_memory(value("--max-memory"));
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else if (a == "--report" || a.rfind("--report=", 0) == 0) {
      throw InvalidArgument(
          "--report is written in Python: use the geodes command that pip install . puts on the "
          "PATH (or python -m geodes)");
    } else if (!a.empty() && a[0] == '-') {
      throw InvalidArgument("unknown option '" + a + "' for run\n" + kRunUsage);
    } else if (o.scenario) {
      throw InvalidArgument("run takes one scenario, got '" + *o.scenario + "' and '" + a + "'");
    } else {
      o.scenario = a;
    }
  }
  return o;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = "geodes run";
  for (const std::string& a : args) line += " " + a;
  return line;
}

}  // namespace

void check_output_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) throw OutputError("an output path is empty");
  if (fs::is_directory(path, ec)) {
    throw OutputError("cannot write '" + path + "': it is a directory");
  }
  const fs::path parent =
      fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(parent, ec)) {
    throw OutputError("cannot write '" + path + "': directory '" + parent.string() +
                      "' does not exist");
  }
  // Probe by creating the temporary file the writer will use (access() says yes to root even
  // where writing fails, e.g. in /sys).
  const std::string probe = temporary_path_for(path);
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (f == nullptr) {
    const int e = errno;
    throw OutputError("cannot write '" + path + "': " + std::strerror(e));
  }
  std::fclose(f);
  std::remove(probe.c_str());
}

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const RunOptions o = parse(args);  // InvalidArgument -> exit 2 in run_cli
  LoadedScenario loaded;
  try {
    loaded = o.scenario ? load_scenario_file(*o.scenario, o.overrides)
                        : load_scenario_text(std::string(default_scenario_text()),
                                             "<built-in login_two_cities.yaml>", o.overrides);
    // Resources are input too: a run that cannot fit is refused before it starts.
    refuse_if_too_large(loaded, memory_budget(o.max_memory));
  } catch (const ScenarioError& e) {
    err << e.what();
    if (std::string(e.what()).back() != '\n') err << '\n';
    return kExitBadInput;
  }
  try {
    if (o.out) check_output_path(*o.out);
    if (o.json) check_output_path(*o.json);
  } catch (const OutputError& e) {
    err << "geodes: " << e.what() << "\n";
    return kExitFailure;
  }
  const std::uint64_t seed = o.seed.value_or(loaded.spec.seed);

  InterruptGuard interrupt;
  const bool draw = !o.quiet && is_terminal(stderr);
  std::optional<ProgressBar> bar;
  models::RunResults results;
  results = run_scenario(
      loaded.spec, seed,
      [&](const sim::Progress& p, sim::Time end) {
        if (!bar) bar.emplace(err, end, draw);  // the end is known once the system is built
        bar->update(p);
        return !InterruptGuard::requested();
      },
      &InterruptGuard::reason);
  if (bar) bar->finish();
  if (!o.quiet) out << summary_text(results);
  if (!results.complete) {
    err << "geodes: " << results.stopped_by << ": the results are incomplete"
        << (o.out || o.json ? " (written, marked so)" : "") << "\n";
  }
  try {
    const std::string line = command_line(args);
    if (o.json) {
      SummaryOptions so;
      so.command_line = line;
      write_text_file_atomically(*o.json, summary_json(results, so));
    }
    if (o.out) {
      RunMeta meta;
      meta.git_describe = git_describe();
      meta.seed = seed;
      meta.scenario_yaml = loaded.text;
      meta.command_line = line;
      write_results_hdf5(*o.out, results, meta);
    }
  } catch (const OutputError& e) {
    err << "geodes: " << e.what() << "\n";
    return kExitFailure;
  }
  return results.complete ? kExitOk : kExitFailure;
}

}  // namespace geodes::app
