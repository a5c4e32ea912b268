#include "geodes/app/demo_mm1.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include "geodes/models/channels/mm1_replication.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/units.hpp"

namespace geodes::app {

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::uint64_t parse_count(const std::string& option, const std::string& text) {
  const double v = sim::parse_quantity(text, sim::Unit::kNone);
  if (!(v >= 1) || v > 1e12 || v != std::floor(v)) {
    throw InvalidArgument(option + " must be a whole number between 1 and 1e12; got '" + text +
                          "'");
  }
  return static_cast<std::uint64_t>(v);
}

}  // namespace

int run_demo_mm1(const std::vector<std::string>& args, std::ostream& out, std::ostream& /*err*/) {
  models::Mm1ReplicationParams p;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (i + 1 >= args.size()) {
      throw InvalidArgument("demo-mm1: option '" + option + "' needs a value");
    }
    const std::string& value = args[++i];
    if (option == "--rate") {
      p.write_rate_per_s = sim::parse_quantity(value, sim::Unit::kRate);
    } else if (option == "--apply-rate") {
      p.apply_rate_per_s = sim::parse_quantity(value, sim::Unit::kRate);
    } else if (option == "--latency") {
      p.link_latency = sim::parse_duration(value);
    } else if (option == "--writes") {
      p.writes = parse_count(option, value);
    } else if (option == "--seed") {
      p.seed = parse_count(option, value);
    } else {
      throw InvalidArgument("demo-mm1: unknown option '" + option +
                            "'; allowed: --rate, --apply-rate, --latency, --writes, --seed");
    }
  }

  const auto wall_start = std::chrono::steady_clock::now();
  const models::Mm1ReplicationResult r = models::run_mm1_replication(p);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const double rho = p.write_rate_per_s / p.apply_rate_per_s;
  out << "M/M/1 replication channel: writes " << fixed(p.write_rate_per_s, 0) << "/s, applier "
      << fixed(p.apply_rate_per_s, 0) << "/s (rho = " << fixed(rho, 2) << "), link "
      << fixed(r.link_latency_ns / 1e6, 1) << " ms one way\n";
  out << "lag = link latency + M/M/1 sojourn, over " << r.lag_ns.count() << " writes (seed "
      << p.seed << ")\n\n";
  out << "  statistic    measured (ms)   theory (ms)   difference\n";
  auto row = [&](const char* name, double measured_ns, double theory_ns) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "  %-9s %14.3f %13.3f %+11.2f%%\n", name, measured_ns / 1e6,
                  theory_ns / 1e6, 100.0 * (measured_ns - theory_ns) / theory_ns);
    out << buf;
  };
  row("mean", r.lag_ns.mean(), r.theory_mean_ns);
  row("p50", r.lag_ns.quantile(0.50), r.theory_quantile_ns(0.50));
  row("p90", r.lag_ns.quantile(0.90), r.theory_quantile_ns(0.90));
  row("p99", r.lag_ns.quantile(0.99), r.theory_quantile_ns(0.99));
  row("p99.9", r.lag_ns.quantile(0.999), r.theory_quantile_ns(0.999));
  out << "\n"
      << r.events << " events in " << fixed(wall_s, 3) << " s wall ("
      << fixed(static_cast<double>(r.events) / wall_s / 1e6, 2) << " M events/s); fingerprint "
      << std::hex << r.fingerprint << std::dec << "\n";
  return 0;
}

}  // namespace geodes::app
