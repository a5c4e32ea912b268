#include "geodes/app/cli.hpp"

#include <new>
#include <ostream>

#include "geodes/app/demo_mm1.hpp"
#include "geodes/app/run_command.hpp"
#include "geodes/app/scenario_check.hpp"
#include "geodes/app/version.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::app {

namespace {

constexpr const char* kUsage =
    "usage: geodes <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [SCENARIO] [--seed N] [--set key.path=value]... [--out results.h5]\n"
    "      [--json summary.json] [--report report.html] [--quiet]\n"
    "        run a scenario (default: the built-in login_two_cities) and print its summary;\n"
    "        --out writes the HDF5 results, --json the summary JSON, --report the HTML report\n"
    "  check [SCENARIO] [--set key.path=value]... [--json]\n"
    "        validate a scenario (default: the built-in login_two_cities) and explain it as\n"
    "        the four steps, with warnings where the design breaks the lesson's rules\n"
    "  report RESULTS.h5 [-o report.html]\n"
    "        write the HTML report of a results file: the four steps, the faults, the scenario\n"
    "  compare [SCENARIO] --variant NAME=KEY=VALUE[,KEY=VALUE...]... [--seeds 1-5]\n"
    "      [--set key.path=value]... [--scheduler ADDRESS] [-o compare.html]\n"
    "      [--json compare.json]\n"
    "        run the scenario and each variant for every seed (local cores or a Dask cluster)\n"
    "        and print the headline figures side by side: mean and 95% confidence interval\n"
    "  demo-mm1 [--rate R] [--apply-rate M] [--latency L] [--writes N] [--seed S]\n"
    "        an M/M/1 replication channel, its lag printed against queueing theory\n"
    "  version        print the version\n"
    "  help           print this help\n";

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? kExitBadInput : kExitOk;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "version" || command == "--version") {
      out << "geodes " << version() << "\n";
      return kExitOk;
    }
    if (command == "demo-mm1") return run_demo_mm1(rest, out, err);
    if (command == "check") return run_check(rest, out, err);
    if (command == "run") return run_command(rest, out, err);
    if (command == "report" || command == "compare") {
      err << "geodes: '" << command
          << "' is written in Python: use the geodes command that pip install . puts on the "
             "PATH (or python -m geodes)\n";
      return kExitBadInput;
    }
    err << "geodes: unknown command '" << command << "'\n\n" << kUsage;
    return kExitBadInput;
  } catch (const InvalidArgument& e) {
    err << "geodes: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const OutOfMemory& e) {
    err << "geodes: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    // Never "std::bad_alloc": say what ran out, and where.
    err << "geodes: out of memory while running '" << command
        << "'; nothing was written (geodes check shows what a scenario needs)\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "geodes: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace geodes::app
