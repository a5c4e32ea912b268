// Test helpers for the result writers: a small synthetic RunResults with known values, and a
// scratch directory that removes itself.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "geodes/models/system/run_results.hpp"
#include "geodes/sim/histogram.hpp"

namespace geodes::app::testing {

/// `n` samples spread evenly over [first_ns, last_ns].
inline sim::Histogram spread(std::int64_t first_ns, std::int64_t last_ns, int n) {
  sim::Histogram h;
  for (int i = 0; i < n; ++i) h.record(first_ns + (last_ns - first_ns) * i / (n - 1));
  return h;
}

/// Two businesses, two data classes (one with loss and inconsistency, one clean with an empty
/// lag histogram), two channels, two faults, two series and one divergent key. Names are in a
/// deliberately non-alphabetical order, to catch any sorting.
inline models::RunResults sample_results() {
  using namespace sim;  // NOLINT(google-build-using-namespace)
  models::RunResults r;
  r.scenario = "login_two_cities";
  r.seed = 42;
  r.sim_time_s = 3600;
  r.events = 1'234'567;
  r.wall_s = 2.5;
  r.complete = true;
  r.fingerprint = 0x0123456789abcdefULL;

  models::BusinessResult login;
  login.name = "login";
  login.attempted = 1000;
  login.succeeded = 990;
  login.failures = {{"dc_down", 7}, {"stale", 3}};
  login.rto_s = 12.5;
  login.cost = 30;
  // Served in both DCs: Shanghai's ops fast, Beijing's after a failover (one round trip more).
  login.by_dc = {{"shanghai", spread(1'000'000, 2'000'000, 600)},
                 {"beijing", spread(30'000'000, 32'000'000, 390)}};
  for (const models::DcLatencyResult& dc : login.by_dc) login.latency_ns.merge(dc.latency_ns);
  models::BusinessResult signup;
  signup.name = "register";
  signup.tier = 2;
  signup.attempted = 100;
  signup.succeeded = 100;
  signup.by_dc = {{"shanghai", {}}, {"beijing", {}}};  // nothing after the warm-up
  r.businesses = {login, signup};

  models::DataClassResult accounts;
  accounts.name = "accounts";
  accounts.writes = 500;
  models::ReplicaLagResult shanghai{"shanghai", spread(1'000'000, 100'000'000, 250)};
  models::ReplicaLagResult beijing{"beijing", spread(2'000'000, 40'000'000, 250)};
  accounts.lag_ns.merge(shanghai.lag_ns);
  accounts.lag_ns.merge(beijing.lag_ns);
  accounts.replicas = {shanghai, beijing};
  accounts.bound_violations = 11;
  accounts.stale_reads = 4;
  accounts.lost = 3;
  accounts.recovered = 2;
  accounts.divergent_keys = 1;
  accounts.order_violations = 5;
  accounts.uniqueness_conflicts = 6;
  accounts.rpo_s = 1.5;
  models::DataClassResult sessions;
  sessions.name = "sessions";
  sessions.regenerated = 8;
  sessions.expired = 5;
  sessions.replicas = {{"shanghai", {}}};
  r.data = {accounts, sessions};

  models::ChannelResult mysql;
  mysql.name = "mysql_accounts";
  mysql.type = "mysql_replication";
  mysql.data_class = "accounts";
  mysql.source = "beijing";
  mysql.replica = "shanghai";
  mysql.path = {"bj-sh"};
  mysql.delivered = 480;
  mysql.errors_1062 = 2;
  mysql.stopped_s = 1.5;
  mysql.lag_ns = spread(1'500'000, 90'000'000, 480);
  mysql.commit_latency_ns = spread(29'000'000, 31'000'000, 480);
  models::ChannelResult mq;
  mq.name = "mq_accounts";
  mq.type = "mq";
  mq.data_class = "accounts";
  mq.source = "beijing";
  mq.replica = "shanghai";
  mq.path = {"bj-wh", "wh-sh"};
  mq.delivered = 470;
  mq.duplicates = 12;
  mq.lost_in_transit = 4;
  mq.disconnected_s = 30;
  mq.lag_ns = spread(3'000'000, 200'000'000, 470);
  r.channels = {mysql, mq};

  r.compensation.affected_users = 7;
  r.compensation.users = 10'000;
  r.compensation.cost = 70;
  r.compensation.by_cause = {{"op_failed", 5}, {"data_lost", 2}};

  r.faults = {{"dc_outage", "shanghai", 600, 900, "power"}, {"link_down", "bj-sh", 1200, -1, ""}};

  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.series = {
      {"lag/accounts/shanghai", "ns", Duration(1'000'000'000), {1e6, nan, 3e6}, {2e6, nan, 5e6}},
      {"backlog/mysql_accounts", "writes", Duration(500'000'000), {0, 4.5}, {0, 9}}};

  models::DivergentKey key;
  key.data_class = "accounts";
  key.key = 4242;
  key.copies = {{"beijing", true, 1, 7, 1'000'000, 99}, {"shanghai", false, 0, 0, 0, 0}};
  r.divergence = {key};
  return r;
}

/// A fresh directory under the system's temporary directory, removed with its contents.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() /
              ("geodes_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// Names of the entries in the directory, sorted.
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace geodes::app::testing
