// A hand-built two-city scenario for System tests: the lesson's login system in Beijing and
// Shanghai (DOMAIN.md), small enough to run in well under a second. Tests change what they study.
#pragma once

#include <cstdint>

#include "geodes/models/system/scenario.hpp"
#include "geodes/models/workload/business.hpp"
#include "geodes/sim/distribution.hpp"

namespace geodes::models::testing {

inline constexpr DcId kBeijing{0};
inline constexpr DcId kShanghai{1};
inline constexpr DataClassId kAccounts{0};
inline constexpr DataClassId kPasswords{1};
inline constexpr DataClassId kSessions{2};
inline constexpr BusinessId kRegister{0};
inline constexpr BusinessId kLogin{1};
inline constexpr BusinessId kChangePassword{2};
inline constexpr std::size_t kMysql = 0;  // channel indexes
inline constexpr std::size_t kMq = 1;

struct TwoCities {
  ScenarioSpec spec;
  LinkId private_line;
  LinkId internet;
};

// Beijing and Shanghai joined by a private line (`private_ms`, 14 ms by default) and the public
// internet (20 ms); accounts and passwords over MySQL (async, strict) on the private line;
// sessions regenerated; register 5%, login 80%, change_password 15% of `rate` ops a second; 2000
// initial users.
inline TwoCities two_cities(double rate = 1000, double private_ms = 14) {
  TwoCities t;
  ScenarioSpec& s = t.spec;
  s.name = "two_cities_test";
  s.run.duration = sim::Duration(6LL * 60'000'000'000);
  s.run.drain = sim::Duration(2LL * 60'000'000'000);
  s.topology.add_datacenter("beijing", "Beijing");
  s.topology.add_datacenter("shanghai", "Shanghai");
  LinkSpec link;
  link.name = "private";
  link.a = kBeijing;
  link.b = kShanghai;
  link.latency = sim::Distribution::constant(private_ms * 1e6);
  t.private_line = s.topology.add_link(link);
  link.name = "internet";
  link.latency = sim::Distribution::constant(20e6);
  t.internet = s.topology.add_link(link);

  DataClassSpec accounts;
  accounts.name = "accounts";
  accounts.unique = true;
  IdStrategyParams segments;
  segments.kind = IdStrategyKind::kSegments;
  accounts.id_strategy = segments;
  accounts.bound = sim::Duration(5'000'000'000);
  DataClassSpec passwords;
  passwords.name = "passwords";
  passwords.bound = sim::Duration(5'000'000'000);
  passwords.lossable = true;
  passwords.recoverable = true;
  DataClassSpec sessions;
  sessions.name = "sessions";
  sessions.lossable = true;
  s.data = {accounts, passwords, sessions};

  ChannelSpec mysql;
  mysql.name = "mysql";
  mysql.type = ChannelType::kMysqlReplication;
  mysql.mysql.apply_time = sim::Distribution::exponential(100'000);
  ChannelSpec mq;
  mq.name = "mq";
  mq.type = ChannelType::kMq;
  s.channels = {mysql, mq};
  const ChannelUse over_private{kMysql, {t.private_line}};
  s.sync = {SyncSpec{SyncMode::kChannels, {over_private}},
            SyncSpec{SyncMode::kChannels, {over_private}}, SyncSpec{SyncMode::kRegenerate, {}}};

  WorkloadParams& w = s.workload;
  w.businesses = {register_business("register", kAccounts, kPasswords),
                  login_business("login", kAccounts, kPasswords, kSessions),
                  change_password_business("change_password", kPasswords, kSessions)};
  w.businesses[0].share = 0.05;
  w.businesses[1].share = 0.80;
  w.businesses[2].share = 0.15;
  w.total_rate_per_s = rate;
  w.users.initial = 2000;
  w.users.max = 1'000'000;
  w.users.id_class = kAccounts;
  w.users.preload = {kAccounts, kPasswords};
  w.gslb.detection_delay = sim::Duration(30'000'000'000);
  w.gslb.failback_delay = sim::Duration(300'000'000'000);
  return t;
}

inline FaultSpec fault(FaultType type, double at_s, double duration_s) {
  FaultSpec f;
  f.type = type;
  f.at = sim::Time(static_cast<std::int64_t>(at_s * 1e9));
  f.duration = sim::Duration(static_cast<std::int64_t>(duration_s * 1e9));
  return f;
}

}  // namespace geodes::models::testing
