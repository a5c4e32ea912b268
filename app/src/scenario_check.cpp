#include "geodes/app/scenario_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "geodes/app/cli.hpp"
#include "geodes/app/text_format.hpp"
#include "geodes/models/exceptions/oplog.hpp"
#include "geodes/models/system/latency_floor.hpp"
#include "geodes/models/system/resource_estimate.hpp"
#include "geodes/models/workload/business.hpp"
#include "geodes/models/workload/id_strategy.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::app {

namespace {

using models::ChannelType;
using models::DcId;
using models::FaultType;
using models::Path;
using models::ScenarioSpec;
using models::SyncMode;
using Severity = CheckFinding::Severity;
using Json = nlohmann::ordered_json;

constexpr std::size_t kWidth = 80;

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string dc_name(const ScenarioSpec& s, DcId dc) {
  return dc.value < s.topology.datacenter_count() ? s.topology.datacenter(dc).name : "?";
}

std::string link_name(const ScenarioSpec& s, models::LinkId l) {
  return l.value < s.topology.link_count() ? s.topology.link(l).name : "?";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += sep;
    out += v[i];
  }
  return out;
}

std::string link_list(const ScenarioSpec& s, const std::vector<models::LinkId>& links) {
  std::vector<std::string> names;
  names.reserve(links.size());
  for (auto l : links) names.push_back(link_name(s, l));
  return join(names, ", ");
}

// Shortest text for a plain number ("0.05", "1000").
std::string num(double v) {
  std::ostringstream o;
  o.precision(6);
  o << v;
  return o.str();
}

std::string rate_text(double per_s) {
  if (per_s >= 1000 && std::fmod(per_s, 1000) == 0) return num(per_s / 1000) + "k/s";
  return num(per_s) + "/s";
}

std::string percent(double ratio) {
  std::ostringstream o;
  o.precision(ratio >= 0.995 ? 6 : 3);
  o << ratio * 100 << "%";
  return o.str();
}

// "200B", "1KiB", "1.5KiB", "4MiB".
std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  std::size_t u = 0;
  while (b >= 1024 && u + 1 < std::size(units)) {
    b /= 1024;
    ++u;
  }
  return num(b) + units[u];
}

// A count estimate (a double, possibly huge) as format_count's integer.
std::uint64_t llround_count(double n) {
  if (!(n > 0)) return 0;
  return n >= 1.8e19 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(n);
}

std::string duration_text(sim::Duration d) {
  return d == sim::Duration::max() ? std::string("none") : sim::format(d);
}

// Classes some business updates, upserts or deletes (or decrements, or refreshes a session in):
// the lesson's "ordered updates", which a reordering channel breaks.
std::vector<bool> updated_classes(const ScenarioSpec& s) {
  std::vector<bool> out(s.data.size(), false);
  for (const models::BusinessParams& b : s.workload.businesses) {
    for (const models::Step& st : b.steps) {
      if (st.data_class.value >= out.size()) continue;
      const bool updates =
          (st.kind == models::StepKind::kWrite && st.write != models::WriteMode::kInsert) ||
          st.kind == models::StepKind::kDecrement || st.kind == models::StepKind::kSession;
      if (updates) out[st.data_class.value] = true;
    }
  }
  return out;
}

// The route of one channel use from `from` to `to` (an MQ channel's goes through its broker), or
// nullopt when the topology cannot route it.
std::optional<Path> use_path(const ScenarioSpec& s, const models::ChannelUse& use, DcId from,
                             DcId to) {
  try {
    const models::ChannelSpec& c = s.channels[use.channel];
    if (c.type == ChannelType::kMq && c.broker_dc && *c.broker_dc != from) {
      const Path produce = s.topology.shortest_path(from, *c.broker_dc, use.links);
      const Path consume = s.topology.shortest_path(*c.broker_dc, to, use.links);
      Path p{from, to, produce.links, produce.dcs};
      p.links.insert(p.links.end(), consume.links.begin(), consume.links.end());
      p.dcs.insert(p.dcs.end(), consume.dcs.begin() + 1, consume.dcs.end());
      return p;
    }
    return s.topology.shortest_path(from, to, use.links);
  } catch (const InvalidArgument&) {
    return std::nullopt;
  }
}

class Checker {
 public:
  explicit Checker(const ScenarioSpec& s) : s_(s), updated_(updated_classes(s)) {}

  CheckReport run() {
    regenerate_not_lossable();
    ordered_updates_over_mq();
    unique_id_collisions();
    shared_fate();
    local_not_lossable();
    duplicate_key_stop();
    multi_channel_ordering();
    mq_apply_not_idempotent();
    fallback_shared_fate();
    oplog_lost_with_fault();
    sync_oplog_cut_off();
    fault_after_end();
    unused_channel();
    return std::move(report_);
  }

 private:
  void add(Severity sev, const char* rule, const std::string& subject, std::string message) {
    report_.findings.push_back({sev, rule, subject, std::move(message)});
  }
  [[nodiscard]] const std::string& cls(std::size_t c) const { return s_.data[c].name; }
  [[nodiscard]] std::size_t dcs() const { return s_.topology.datacenter_count(); }

  void regenerate_not_lossable() {
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      if (s_.sync[c].mode != SyncMode::kRegenerate || s_.data[c].lossable) continue;
      add(Severity::kError, "regenerate_not_lossable", cls(c),
          "data class " + q(cls(c)) +
              " is regenerate (never synced) but not lossable: a user moved to another DC finds "
              "no row, and a lost DC takes it for good; sync it over a channel, or declare it "
              "lossable (as sessions are)");
    }
  }

  void ordered_updates_over_mq() {
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      if (!updated_[c] || s_.sync[c].mode != SyncMode::kChannels) continue;
      for (const models::ChannelUse& u : s_.sync[c].channels) {
        const models::ChannelSpec& ch = s_.channels[u.channel];
        if (ch.type != ChannelType::kMq ||
            ch.mq.partitioning != models::MqPartitioning::kRoundRobin) {
          continue;
        }
        add(Severity::kWarning, "ordered_updates_over_mq", cls(c),
            "data class " + q(cls(c)) + " is updated by some business and goes over MQ channel " +
                q(ch.name) +
                " with round_robin partitioning: two updates of one key (password m then n) can "
                "be applied n then m, leaving the old value; use partitioning by_key, or MySQL "
                "replication, which keeps commit order");
      }
    }
  }

  void unique_id_collisions() {
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      const models::DataClassSpec& d = s_.data[c];
      if (!d.unique) continue;
      if (!d.id_strategy) {
        add(Severity::kWarning, "unique_id_collisions", cls(c),
            "data class " + q(cls(c)) +
                " is unique but has no id_strategy: nothing keeps ids created in different DCs "
                "apart; use central, segments, snowflake or auto_increment");
        continue;
      }
      if (d.id_strategy->kind == models::IdStrategyKind::kRandom) {
        add(Severity::kWarning, "unique_id_collisions", cls(c),
            "data class " + q(cls(c)) +
                " is unique but draws random ids, which collide at the birthday rate (n^2 / 2 "
                "space expected pairs); use a collision-free strategy");
        continue;
      }
      try {
        const models::IdAllocator a(d.name, *d.id_strategy, dcs(), s_.seed);
        for (const std::string& m : a.misconfigurations()) {
          add(Severity::kWarning, "unique_id_collisions", cls(c), m);
        }
      } catch (const InvalidArgument& e) {
        add(Severity::kError, "unique_id_collisions", cls(c), e.what());
      }
    }
  }

  void shared_fate() {
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      const models::SyncSpec& sync = s_.sync[c];
      if (sync.mode != SyncMode::kChannels || sync.channels.size() < 2) continue;
      // One finding per (shared element, channel set): the DC pairs are listed in it.
      struct Shared {
        std::string what;
        std::vector<std::size_t> uses;
        std::vector<std::string> pairs;
      };
      std::vector<Shared> found;
      for (std::uint32_t a = 0; a < dcs(); ++a) {
        for (std::uint32_t b = 0; b < dcs(); ++b) {
          if (a == b) continue;
          std::vector<Path> paths;
          std::vector<std::size_t> idx;
          for (std::size_t u = 0; u < sync.channels.size(); ++u) {
            if (auto p = use_path(s_, sync.channels[u], DcId{a}, DcId{b})) {
              paths.push_back(*p);
              idx.push_back(u);
            }
          }
          const models::SharedFate f = s_.topology.shared_fate(paths);
          const std::string pair = dc_name(s_, DcId{a}) + "->" + dc_name(s_, DcId{b});
          const auto note = [&](const std::string& what, const std::vector<std::size_t>& p) {
            std::vector<std::size_t> uses;
            uses.reserve(p.size());
            for (std::size_t i : p) uses.push_back(idx[i]);
            for (Shared& sh : found) {
              if (sh.what == what && sh.uses == uses) {
                sh.pairs.push_back(pair);
                return;
              }
            }
            found.push_back({what, uses, {pair}});
          };
          for (const auto& l : f.links) note("link " + q(link_name(s_, l.link)), l.paths);
          for (const auto& d : f.dcs) note("datacenter " + q(dc_name(s_, d.dc)), d.paths);
        }
      }
      for (const Shared& sh : found) {
        std::vector<std::string> names;
        for (std::size_t u : sh.uses)
          names.push_back(q(s_.channels[sync.channels[u].channel].name));
        add(Severity::kWarning, "shared_fate", cls(c),
            "channels " + join(names, " and ") + " of data class " + q(cls(c)) + " share " +
                sh.what + " (" + join(sh.pairs, ", ") +
                "): one cut stops both; pin them to different paths (sync.<class>: [{channel, "
                "links}])");
      }
    }
  }

  void local_not_lossable() {
    if (dcs() < 2) return;
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      if (s_.sync[c].mode != SyncMode::kLocal || s_.data[c].lossable) continue;
      add(Severity::kWarning, "local_not_lossable", cls(c),
          "data class " + q(cls(c)) +
              " is local (not synced) and not lossable, yet users fail over to other DCs, where "
              "their rows are missing (and a lost DC loses them); sync it, or declare it "
              "lossable");
    }
  }

  void duplicate_key_stop() {
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      const models::SyncSpec& sync = s_.sync[c];
      if (sync.mode != SyncMode::kChannels || sync.channels.size() < 2) continue;
      for (const models::ChannelUse& u : sync.channels) {
        const models::ChannelSpec& ch = s_.channels[u.channel];
        if (ch.type != ChannelType::kMysqlReplication ||
            ch.mysql.apply_rule != models::ApplyRule::kStrict ||
            ch.mysql.on_duplicate != models::OnDuplicate::kStop) {
          continue;
        }
        add(Severity::kWarning, "duplicate_key_stop", cls(c),
            "MySQL channel " + q(ch.name) + " carries " + q(cls(c)) +
                " beside another channel and stops on duplicate key (error 1062) when the other "
                "copy arrives first, halting replication until an operator fixes it; set "
                "on_duplicate: skip or overwrite");
      }
    }
  }

  void multi_channel_ordering() {
    for (std::size_t c = 0; c < s_.data.size(); ++c) {
      const models::SyncSpec& sync = s_.sync[c];
      if (!updated_[c] || sync.mode != SyncMode::kChannels || sync.channels.size() < 2) continue;
      bool all_lww = true;
      for (const models::ChannelUse& u : sync.channels) {
        const models::ChannelSpec& ch = s_.channels[u.channel];
        const models::ApplyRule r =
            ch.type == ChannelType::kMq ? ch.mq.apply_rule : ch.mysql.apply_rule;
        all_lww = all_lww && r == models::ApplyRule::kLastWriterWins;
      }
      if (all_lww) continue;
      add(Severity::kWarning, "multi_channel_ordering", cls(c),
          "data class " + q(cls(c)) +
              " is updated and synced over several channels: the slower channel's copy of an "
              "old update can overwrite a newer one (the lesson: multi-channel needs data that "
              "can be overwritten idempotently, true for new accounts, false for passwords); use "
              "apply_rule last_writer_wins on every channel, or one channel");
    }
  }

  void mq_apply_not_idempotent() {
    for (std::size_t i = 0; i < s_.channels.size(); ++i) {
      const models::ChannelSpec& ch = s_.channels[i];
      if (ch.type != ChannelType::kMq) continue;
      const models::ApplyRule r = ch.mq.apply_rule;
      if (r == models::ApplyRule::kInsertIfAbsent || r == models::ApplyRule::kLastWriterWins) {
        continue;
      }
      add(Severity::kWarning, "mq_apply_not_idempotent", ch.name,
          "MQ channel " + q(ch.name) + " delivers at least once (redeliveries, producer retries) " +
              "but applies with rule " + models::to_string(r) +
              ", under which a duplicate is not harmless; use insert_if_absent or "
              "last_writer_wins");
    }
  }

  void fallback_shared_fate() {
    for (const models::AccessFallbackSpec& f : s_.exceptions.access_fallback) {
      const std::size_t c = f.data_class.value;
      const models::SyncSpec& sync = s_.sync[c];
      if (sync.mode != SyncMode::kChannels) continue;
      std::vector<std::string> found;
      for (std::uint32_t a = 0; a < dcs(); ++a) {
        for (std::uint32_t b = 0; b < dcs(); ++b) {
          // Data written at a (its owner) reaches b by sync; b's fallback asks a.
          if (a == b) continue;
          if (f.owner == models::AccessFallbackSpec::Owner::kFixed && DcId{a} != f.owner_dc) {
            continue;
          }
          std::vector<Path> paths;
          for (const models::ChannelUse& u : sync.channels) {
            if (auto p = use_path(s_, u, DcId{a}, DcId{b})) paths.push_back(*p);
          }
          if (paths.size() != sync.channels.size()) continue;
          try {
            paths.push_back(s_.topology.shortest_path(DcId{b}, DcId{a}, f.links));
          } catch (const InvalidArgument&) {
            continue;
          }
          const models::SharedFate sf = s_.topology.shared_fate(paths);
          for (const auto& l : sf.links) {
            if (l.paths.size() != paths.size()) continue;
            const std::string what = "link " + q(link_name(s_, l.link));
            if (std::find(found.begin(), found.end(), what) == found.end()) found.push_back(what);
          }
          for (const auto& d : sf.dcs) {
            if (d.paths.size() != paths.size()) continue;
            const std::string what = "datacenter " + q(dc_name(s_, d.dc));
            if (std::find(found.begin(), found.end(), what) == found.end()) found.push_back(what);
          }
        }
      }
      for (const std::string& what : found) {
        add(Severity::kWarning, "fallback_shared_fate", cls(c),
            "the access fallback of " + q(cls(c)) + " and all of its sync channels go through " +
                what +
                ": one cut stops both sync and access; give the fallback its own path (links:)");
      }
    }
  }

  void oplog_lost_with_fault() {
    for (const models::OplogSpec& o : s_.exceptions.oplogs) {
      const std::size_t c = o.data_class.value;
      for (std::size_t i = 0; i < s_.faults.size(); ++i) {
        const models::FaultSpec& f = s_.faults[i];
        const bool destroys = (o.placement == models::OplogPlacement::kServer &&
                               (f.type == FaultType::kDbLoss || f.type == FaultType::kDcLoss)) ||
                              (o.placement == models::OplogPlacement::kLocalIndependent &&
                               f.type == FaultType::kDcLoss);
        if (!destroys) continue;
        add(Severity::kWarning, "oplog_lost_with_fault", cls(c),
            "the oplog of " + q(cls(c)) + " is at " + models::to_string(o.placement) +
                ", which faults." + std::to_string(i) + " (" + models::to_string(f.type) + " of " +
                q(dc_name(s_, f.dc)) +
                ") destroys with the data: it cannot repair that loss; keep it further away "
                "(local_independent survives db_loss, remote survives dc_loss)");
      }
    }
  }

  // A sync remote oplog makes every write of its class wait for the log's DC: a fault that
  // takes that DC down, or cuts the writer off from it, fails (or, with on_timeout: async,
  // delays by the timeout) every such write while it lasts, in the DCs that are still up.
  void sync_oplog_cut_off() {
    for (const models::OplogSpec& o : s_.exceptions.oplogs) {
      if (o.write != models::OplogWrite::kSync || o.placement != models::OplogPlacement::kRemote ||
          dcs() < 2) {
        continue;
      }
      const std::size_t c = o.data_class.value;
      const models::Oplog log(o, dcs());  // for holder(): where each writer's entries go
      for (std::size_t i = 0; i < s_.faults.size(); ++i) {
        const models::FaultSpec& f = s_.faults[i];
        std::string cut_off;  // "'bj' (its log at 'sh'), ..."
        for (std::uint32_t w = 0; w < dcs(); ++w) {
          const DcId writer{w};
          const DcId holder = log.holder(writer);
          bool cut = false;
          if (f.type == FaultType::kDcOutage || f.type == FaultType::kDcLoss) {
            cut = f.dc == holder && f.dc != writer;
          } else if (f.type == FaultType::kPartition) {
            const auto in = [&](DcId d) {
              return std::find(f.dcs.begin(), f.dcs.end(), d) != f.dcs.end();
            };
            cut = in(holder) != in(writer);
          }
          if (!cut) continue;
          if (!cut_off.empty()) cut_off += ", ";
          cut_off += q(dc_name(s_, writer));
          cut_off += " (its log at ";
          cut_off += q(dc_name(s_, holder));
          cut_off += ")";
        }
        if (cut_off.empty()) continue;
        std::string msg = "the sync oplog of " + q(cls(c)) + ": faults." + std::to_string(i) + " (";
        msg += models::to_string(f.type);
        if (f.type != FaultType::kPartition) msg += " of " + q(dc_name(s_, f.dc));
        msg += ") cuts the writers at ";
        msg += cut_off;
        msg += " off from it, which ";
        msg += o.on_timeout == models::OplogTimeout::kFail
                   ? "fails every write of the class there after the log's timeout ("
                   : "makes every write of the class there wait the log's timeout (";
        msg += sim::format(o.timeout);
        msg += o.on_timeout == models::OplogTimeout::kFail ? ")" : ") and go unlogged";
        msg +=
            " while the fault lasts, when the surviving DC is needed most; hold the log in a "
            "third DC (dc:), or make it async";
        add(Severity::kWarning, "sync_oplog_cut_off", cls(c), std::move(msg));
      }
    }
  }

  void fault_after_end() {
    for (std::size_t i = 0; i < s_.faults.size(); ++i) {
      const models::FaultSpec& f = s_.faults[i];
      if (f.random || f.at.since_start() < s_.run.duration) continue;
      add(Severity::kWarning, "fault_after_end", "faults." + std::to_string(i),
          "faults." + std::to_string(i) + " (" + models::to_string(f.type) + ") starts at " +
              sim::format(f.at) + ", not before the run's duration (" +
              sim::format(s_.run.duration) + "): no op will meet it");
    }
  }

  void unused_channel() {
    for (std::size_t i = 0; i < s_.channels.size(); ++i) {
      bool used = false;
      for (const models::SyncSpec& sync : s_.sync) {
        for (const models::ChannelUse& u : sync.channels) used = used || u.channel == i;
      }
      if (used) continue;
      add(Severity::kWarning, "unused_channel", s_.channels[i].name,
          "channel " + q(s_.channels[i].name) + " is defined but no data class uses it");
    }
  }

  const ScenarioSpec& s_;
  std::vector<bool> updated_;
  CheckReport report_;
};

// --- description helpers shared by the text and JSON forms ------------------------------------

double effective_rate(const ScenarioSpec& s, std::size_t b) {
  const models::WorkloadParams& w = s.workload;
  if (w.total_rate_per_s <= 0) return w.businesses[b].arrivals.rate_per_s;
  double shares = 0;
  for (const auto& x : w.businesses) shares += x.share;
  return shares > 0 ? w.total_rate_per_s * w.businesses[b].share / shares : 0;
}

std::string step_text(const ScenarioSpec& s, const models::Step& st) {
  const std::string c =
      st.data_class.value < s.data.size() ? s.data[st.data_class.value].name : std::string("?");
  switch (st.kind) {
    case models::StepKind::kAllocateId:
      return "new id (" + c + ")";
    case models::StepKind::kRead:
      return "read " + c + (st.fail_if_stale ? " (not stale)" : "");
    case models::StepKind::kWrite:
      return std::string(models::to_string(st.write)) + " " + c;
    case models::StepKind::kSession:
      return "session " + c;
    case models::StepKind::kDecrement:
      return "decrement " + c + (st.borrow ? " (borrow)" : "");
  }
  return "?";
}

std::string steps_text(const ScenarioSpec& s, const models::BusinessParams& b) {
  std::vector<std::string> parts;
  for (const models::Step& st : b.steps) parts.push_back(step_text(s, st));
  return join(parts, ", ");
}

std::string id_strategy_text(const ScenarioSpec& s, const models::DataClassSpec& d) {
  if (!d.id_strategy) return "-";
  std::string out = models::to_string(d.id_strategy->kind);
  if (d.id_strategy->kind == models::IdStrategyKind::kCentral) {
    out += " (" + dc_name(s, d.id_strategy->central_dc) + ")";
  }
  return out;
}

std::string use_text(const ScenarioSpec& s, const models::ChannelUse& u) {
  std::string out = s.channels[u.channel].name;
  if (!u.links.empty()) out += " [" + link_list(s, u.links) + "]";
  return out;
}

std::string sync_text(const ScenarioSpec& s, const models::SyncSpec& sync) {
  if (sync.mode != SyncMode::kChannels) return models::to_string(sync.mode);
  std::vector<std::string> parts;
  for (const auto& u : sync.channels) parts.push_back(use_text(s, u));
  return join(parts, " + ");
}

std::string channel_text(const models::ChannelSpec& c, const ScenarioSpec& s) {
  if (c.type == ChannelType::kMysqlReplication) {
    const models::MysqlChannelParams& p = c.mysql;
    std::string out = std::string("mysql_replication, ") + models::to_string(p.mode) + ", " +
                      std::to_string(p.threads) + (p.threads == 1 ? " thread" : " threads");
    if (p.threads > 1) out += std::string(" ") + models::to_string(p.parallelism);
    out += std::string(", apply ") + models::to_string(p.apply_rule);
    if (p.apply_rule == models::ApplyRule::kStrict) {
      out += std::string(", on_duplicate ") + models::to_string(p.on_duplicate);
    }
    return out;
  }
  const models::MqChannelParams& p = c.mq;
  std::string out = "mq, " + std::to_string(p.partitions) + " partitions " +
                    models::to_string(p.partitioning) + ", acks " + models::to_string(p.acks) +
                    (p.idempotent ? ", idempotent" : "") + ", " + std::to_string(p.consumers) +
                    (p.consumers == 1 ? " consumer" : " consumers") + ", apply " +
                    models::to_string(p.apply_rule);
  out += ", broker " + (c.broker_dc ? dc_name(s, *c.broker_dc) : std::string("at source"));
  return out;
}

std::string survives_text(models::OplogPlacement p) {
  switch (p) {
    case models::OplogPlacement::kServer:
      return "survives a DB restart, not db_loss or dc_loss";
    case models::OplogPlacement::kLocalIndependent:
      return "survives db_loss, not dc_loss";
    case models::OplogPlacement::kRemote:
      return "survives db_loss and dc_loss";
  }
  return "?";
}

std::vector<std::string> survives_list(models::OplogPlacement p) {
  switch (p) {
    case models::OplogPlacement::kServer:
      return {"dc_outage"};
    case models::OplogPlacement::kLocalIndependent:
      return {"dc_outage", "db_loss"};
    case models::OplogPlacement::kRemote:
      return {"dc_outage", "db_loss", "dc_loss"};
  }
  return {};
}

std::string fault_target(const ScenarioSpec& s, const models::FaultSpec& f) {
  switch (f.type) {
    case FaultType::kDcOutage:
    case FaultType::kDcLoss:
    case FaultType::kDbLoss:
      return dc_name(s, f.dc);
    case FaultType::kLinkDown:
    case FaultType::kLinkDegrade:
      return link_name(s, f.link);
    case FaultType::kPartition: {
      std::vector<std::string> names;
      for (DcId d : f.dcs) names.push_back(dc_name(s, d));
      return "[" + join(names, ", ") + "]";
    }
    case FaultType::kChannelStop:
    case FaultType::kBrokerCrash:
    case FaultType::kConsumerCrash:
      return f.channel < s.channels.size() ? s.channels[f.channel].name : "?";
  }
  return "?";
}

// Business indexes by tier, then file order.
std::vector<std::size_t> by_tier(const ScenarioSpec& s) {
  std::vector<std::size_t> order(s.workload.businesses.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return s.workload.businesses[a].tier < s.workload.businesses[b].tier;
  });
  return order;
}

std::string verdict(const CheckReport& r, const std::string& subject) {
  std::string v = "ok";
  for (const CheckFinding& f : r.findings) {
    if (f.subject != subject) continue;
    if (f.severity == Severity::kError) return "ERROR";
    v = "warning";
  }
  return v;
}

// --- text -------------------------------------------------------------------------------------

// A row: `left` padded to `indent` columns, then `text` wrapped into the rest.
void row(std::ostream& out, const std::string& left, std::size_t indent, const std::string& text) {
  const auto lines = wrap_words(text, kWidth - indent);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out << pad_right(i == 0 ? left : std::string(), indent) << lines[i] << "\n";
  }
}

void heading(std::ostream& out, const std::string& title) { out << "\n" << title << "\n"; }

}  // namespace

std::size_t CheckReport::errors() const {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(),
                    [](const auto& f) { return f.severity == Severity::kError; }));
}

std::size_t CheckReport::warnings() const { return findings.size() - errors(); }

const char* to_string(CheckFinding::Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

CheckReport check_scenario(const models::ScenarioSpec& spec) { return Checker(spec).run(); }

void write_check_text(const LoadedScenario& scenario, const CheckReport& report,
                      std::ostream& out) {
  const ScenarioSpec& s = scenario.spec;
  row(out, "", 0, "geodes check: " + s.name);
  // The file on lines of its own, whole and escaped (text_format.hpp), so that the report keeps
  // its 80 columns wherever the scenario lives.
  const std::vector<std::string> file = wrap_path(scenario.origin, kWidth - 16);
  for (std::size_t i = 0; i < file.size(); ++i) {
    out << pad_right(i == 0 ? "  file" : "", 16) << file[i] << "\n";
  }
  if (!s.description.empty()) row(out, "  ", 2, s.description);
  std::vector<std::string> dcs;
  for (std::uint32_t i = 0; i < s.topology.datacenter_count(); ++i) {
    const auto& d = s.topology.datacenter(DcId{i});
    dcs.push_back(d.name + " (" + d.city + ")");
  }
  row(out, "  datacenters", 16, join(dcs, ", "));
  std::vector<std::string> links;
  for (std::uint32_t i = 0; i < s.topology.link_count(); ++i) {
    const auto& l = s.topology.link(models::LinkId{i});
    links.push_back(l.name + " " + dc_name(s, l.a) + "-" + dc_name(s, l.b) + " " +
                    format_short_duration(l.latency.quantile(0.5)));
  }
  row(out, "  links", 16, links.empty() ? std::string("none") : join(links, ", "));
  row(out, "  run", 16,
      sim::format(s.run.duration) + ", warmup " + sim::format(s.run.warmup) + ", drain " +
          sim::format(s.run.drain) + ", seed " + std::to_string(s.seed));

  heading(out, "Step 1. Businesses, by tier");
  out << "  " << pad_right("tier", 6) << pad_right("business", 20) << pad_left("rate", 10)
      << pad_left("share", 9) << pad_left("value/op", 12) << pad_left("target", 10) << "\n";
  double shares = 0;
  for (const auto& x : s.workload.businesses) shares += x.share;
  for (std::size_t b : by_tier(s)) {
    const models::BusinessParams& bp = s.workload.businesses[b];
    const models::BusinessSpec extra =
        b < s.businesses.size() ? s.businesses[b] : models::BusinessSpec{};
    const std::string share = s.workload.total_rate_per_s > 0 && shares > 0
                                  ? percent(bp.share / shares)
                                  : std::string("-");
    out << "  " << pad_right(std::to_string(bp.tier), 6) << pad_right(bp.name, 20)
        << pad_left(rate_text(effective_rate(s, b)), 10) << pad_left(share, 9)
        << pad_left(num(extra.value_per_op), 12) << pad_left(percent(extra.target_success), 10)
        << "\n";
    row(out, "        does: ", 14, steps_text(s, bp));
  }
  if (s.workload.total_rate_per_s > 0) {
    row(out, "  ", 2,
        "rates are shares of workload.rate " + rate_text(s.workload.total_rate_per_s));
  }

  heading(out, "Step 2. Data classes");
  out << "  " << pad_right("class", 12) << pad_left("size", 7) << pad_left("rows", 7) << "  "
      << pad_right("unique", 7) << pad_right("id strategy", 13) << pad_left("bound", 7) << "  "
      << pad_right("lossable", 9) << "recoverable\n";
  for (const models::DataClassSpec& d : s.data) {
    out << "  " << pad_right(d.name, 12) << pad_left(bytes_text(d.row_bytes), 7)
        << pad_left(d.rows == 0 ? std::string("-") : format_count(d.rows), 7) << "  "
        << pad_right(d.unique ? "yes" : "no", 7) << pad_right(id_strategy_text(s, d), 13)
        << pad_left(duration_text(d.bound), 7) << "  " << pad_right(d.lossable ? "yes" : "no", 9)
        << (d.recoverable ? "yes" : "no") << "\n";
  }
  for (const models::DataClassSpec& d : s.data) {
    if (d.ttl == sim::Duration::max()) continue;
    row(out, "  ", 2,
        d.name + ": rows expire " + duration_text(d.ttl) +
            " after their last write (ttl); an expired row is gone, not lost");
  }

  heading(out, "Step 3. Sync");
  out << "  " << pad_right("class", 14) << pad_right("verdict", 9)
      << "sync (channel [pinned links])\n";
  for (std::size_t c = 0; c < s.data.size(); ++c) {
    row(out, "  " + pad_right(s.data[c].name, 14) + pad_right(verdict(report, s.data[c].name), 9),
        25, sync_text(s, s.sync[c]));
  }
  if (!s.channels.empty()) {
    out << "  channels:\n";
    for (const models::ChannelSpec& c : s.channels) {
      row(out, "    " + pad_right(c.name, 16), 20, channel_text(c, s));
    }
  }

  heading(out, "Step 4. Exception handling");
  const models::ExceptionSpec& e = s.exceptions;
  if (e.access_fallback.empty()) row(out, "  access fallback", 20, "none");
  for (std::size_t i = 0; i < e.access_fallback.size(); ++i) {
    const auto& f = e.access_fallback[i];
    const std::string owner = f.owner == models::AccessFallbackSpec::Owner::kHome
                                  ? std::string("the user's home DC")
                                  : dc_name(s, f.owner_dc);
    row(out, i == 0 ? "  access fallback" : "", 20,
        s.data[f.data_class.value].name + ": on a miss, ask " + owner + " over " +
            (f.links.empty() ? std::string("the shortest path")
                             : "[" + link_list(s, f.links) + "]") +
            ", timeout " + sim::format(f.timeout));
  }
  if (e.oplogs.empty()) row(out, "  oplog", 20, "none");
  for (std::size_t i = 0; i < e.oplogs.size(); ++i) {
    const auto& o = e.oplogs[i];
    std::string where = models::to_string(o.placement);
    if (o.placement == models::OplogPlacement::kRemote) {
      where += o.remote_dc ? " in " + dc_name(s, *o.remote_dc) : std::string(" in the next DC");
    }
    const std::string write =
        o.write == models::OplogWrite::kSync
            ? "; sync (the op waits for the log), after " + sim::format(o.timeout) + " " +
                  (o.on_timeout == models::OplogTimeout::kFail ? "the op fails"
                                                               : "degrade to async")
            : std::string("; async");
    std::string text = s.data[o.data_class.value].name + ": " + where + "; ";
    text += survives_text(o.placement);
    text += write;
    text += "; reconciled " + sim::format(o.reconcile_delay) + " after a fault heals";
    row(out, i == 0 ? "  oplog" : "", 20, text);
  }
  const models::CompensationSpec& comp = e.compensation;
  row(out, "  compensation", 20,
      "protect " + percent(comp.target_ratio) + " of users; per affected user: op failed " +
          num(comp.cost_op_failed) + ", data lost " + num(comp.cost_data_lost) + ", stale data " +
          num(comp.cost_stale_data) + ", forced re-login " + num(comp.cost_forced_relogin));

  heading(out, "Cost. Op latency floor at the users' home DC (median links, no queues)");
  out << "  " << pad_right("business", 20) << pad_right("at", 10) << pad_left("local", 10)
      << pad_left("floor", 10) << "\n";
  row(out, "  ", 2, "below each: +round trip on its path, when it is paid, the other DC: why");
  for (const models::LatencyFloor& f : models::latency_floors(s)) {
    out << "  " << pad_right(s.workload.businesses[f.business.value].name, 20)
        << pad_right(dc_name(s, f.dc), 10) << pad_left(format_short_duration(f.local_ns), 10)
        << pad_left(format_short_duration(f.floor_ns), 10) << "\n";
    for (const models::RoundTrip& t : f.trips) {
      row(out, "      ", 6,
          "+" + format_short_duration(t.rtt_ns) + " " + models::when_text(t) + ", " +
              dc_name(s, t.to) + ": " + t.what);
    }
  }

  heading(out, "Faults");
  if (s.faults.empty()) out << "  none\n";
  for (const models::FaultSpec& f : s.faults) {
    std::string when = f.random ? "random" : sim::format(f.at);
    std::string what = std::string(models::to_string(f.type)) + " " + fault_target(s, f);
    if (f.random) {
      what += ", mean time between failures " + format_short_duration(f.mtbf.mean()) +
              ", to repair " + format_short_duration(f.mttr.mean());
    } else {
      what += f.duration == sim::Duration::max() ? std::string(", never heals")
                                                 : " for " + sim::format(f.duration);
    }
    if (f.type == FaultType::kLinkDegrade) {
      what += ", latency x" + num(f.latency_factor) + ", extra loss " + percent(f.extra_loss);
    }
    row(out, "  " + pad_right(when, 10), 12, what);
  }

  const models::ResourceEstimate r = models::estimate_resources(s);
  heading(out, "Resources (estimated before the run)");
  row(out, "  peak memory", 16,
      models::format_bytes(r.peak_bytes) + ", " + format_count(llround_count(r.events)) +
          " events");
  for (const models::ResourceItem& i : r.largest()) {
    row(out, "  " + i.what, 16,
        models::format_bytes(i.bytes) + ": " + i.detail +
            (i.keys.empty() ? "" : " (" + i.keys + ")"));
  }

  heading(out, "Findings: " + std::to_string(report.errors()) +
                   (report.errors() == 1 ? " error, " : " errors, ") +
                   std::to_string(report.warnings()) +
                   (report.warnings() == 1 ? " warning" : " warnings"));
  for (const CheckFinding& f : report.findings) {
    const std::string head = std::string(f.severity == Severity::kError ? "ERROR" : "warning") +
                             " [" + f.rule + "] " + f.subject + ":";
    row(out, "  ", 2, head);
    row(out, "    ", 4, f.message);
  }
}

std::string check_json(const LoadedScenario& scenario, const CheckReport& report) {
  const ScenarioSpec& s = scenario.spec;
  Json j;
  j["scenario"] = s.name;
  j["origin"] = scenario.origin;
  j["description"] = s.description;
  j["ok"] = report.errors() == 0;
  j["errors"] = report.errors();
  j["warnings"] = report.warnings();
  j["run"] = {{"duration_s", s.run.duration.seconds()},
              {"warmup_s", s.run.warmup.seconds()},
              {"drain_s", s.run.drain.seconds()},
              {"seed", s.seed}};
  Json dcs = Json::array();
  for (std::uint32_t i = 0; i < s.topology.datacenter_count(); ++i) {
    const auto& d = s.topology.datacenter(DcId{i});
    dcs.push_back({{"name", d.name}, {"city", d.city}});
  }
  j["datacenters"] = dcs;
  Json links = Json::array();
  for (std::uint32_t i = 0; i < s.topology.link_count(); ++i) {
    const auto& l = s.topology.link(models::LinkId{i});
    links.push_back({{"name", l.name},
                     {"between", {dc_name(s, l.a), dc_name(s, l.b)}},
                     {"latency", l.latency.to_string(sim::Unit::kTime)},
                     {"latency_median_ms", l.latency.quantile(0.5) / 1e6},
                     {"bandwidth_bytes_per_s", l.bandwidth_bytes_per_s},
                     {"loss", l.loss}});
  }
  j["links"] = links;
  Json businesses = Json::array();
  for (std::size_t b : by_tier(s)) {
    const models::BusinessParams& bp = s.workload.businesses[b];
    const models::BusinessSpec extra =
        b < s.businesses.size() ? s.businesses[b] : models::BusinessSpec{};
    Json steps = Json::array();
    for (const models::Step& st : bp.steps) steps.push_back(step_text(s, st));
    businesses.push_back({{"name", bp.name},
                          {"tier", bp.tier},
                          {"rate_per_s", effective_rate(s, b)},
                          {"share", bp.share},
                          {"value_per_op", extra.value_per_op},
                          {"target", extra.target_success},
                          {"registers_users", models::registers_users(bp)},
                          {"steps", steps}});
  }
  j["businesses"] = businesses;
  const std::vector<bool> updated = updated_classes(s);
  Json data = Json::array();
  for (std::size_t c = 0; c < s.data.size(); ++c) {
    const models::DataClassSpec& d = s.data[c];
    data.push_back(
        {{"name", d.name},
         {"row_bytes", d.row_bytes},
         {"rows", d.rows},
         {"unique", d.unique},
         {"id_strategy",
          d.id_strategy ? Json(models::to_string(d.id_strategy->kind)) : Json(nullptr)},
         {"bound_s", d.bound == sim::Duration::max() ? Json(nullptr) : Json(d.bound.seconds())},
         {"ttl_s", d.ttl == sim::Duration::max() ? Json(nullptr) : Json(d.ttl.seconds())},
         {"lossable", d.lossable},
         {"recoverable", d.recoverable},
         {"updated", static_cast<bool>(updated[c])},
         {"read_time", d.read_time.to_string(sim::Unit::kTime)},
         {"write_time", d.write_time.to_string(sim::Unit::kTime)}});
  }
  j["data"] = data;
  Json channels = Json::array();
  for (const models::ChannelSpec& c : s.channels) {
    channels.push_back(
        {{"name", c.name}, {"type", models::to_string(c.type)}, {"summary", channel_text(c, s)}});
  }
  j["channels"] = channels;
  Json sync = Json::array();
  for (std::size_t c = 0; c < s.data.size(); ++c) {
    Json uses = Json::array();
    for (const models::ChannelUse& u : s.sync[c].channels) {
      Json pinned = Json::array();
      for (auto l : u.links) pinned.push_back(link_name(s, l));
      uses.push_back({{"channel", s.channels[u.channel].name}, {"links", pinned}});
    }
    std::string v = verdict(report, s.data[c].name);
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    sync.push_back({{"class", s.data[c].name},
                    {"mode", models::to_string(s.sync[c].mode)},
                    {"channels", uses},
                    {"verdict", v}});
  }
  j["sync"] = sync;
  Json fallbacks = Json::array();
  for (const auto& f : s.exceptions.access_fallback) {
    Json pinned = Json::array();
    for (auto l : f.links) pinned.push_back(link_name(s, l));
    fallbacks.push_back(
        {{"class", s.data[f.data_class.value].name},
         {"owner", f.owner == models::AccessFallbackSpec::Owner::kHome ? std::string("home")
                                                                       : dc_name(s, f.owner_dc)},
         {"links", pinned},
         {"timeout_s", f.timeout.seconds()}});
  }
  Json oplogs = Json::array();
  for (const auto& o : s.exceptions.oplogs) {
    oplogs.push_back(
        {{"class", s.data[o.data_class.value].name},
         {"placement", models::to_string(o.placement)},
         {"remote_dc", o.remote_dc ? Json(dc_name(s, *o.remote_dc)) : Json(nullptr)},
         {"survives", survives_list(o.placement)},
         {"reconcile_delay_s", o.reconcile_delay.seconds()},
         {"reconcile_rate_per_s", o.reconcile_rate_per_s},
         {"write", models::to_string(o.write)},
         {"timeout_s",
          o.write == models::OplogWrite::kSync ? Json(o.timeout.seconds()) : Json(nullptr)},
         {"on_timeout", o.write == models::OplogWrite::kSync ? Json(models::to_string(o.on_timeout))
                                                             : Json(nullptr)}});
  }
  const models::CompensationSpec& comp = s.exceptions.compensation;
  j["exceptions"] = {{"access_fallback", fallbacks},
                     {"oplog", oplogs},
                     {"compensation",
                      {{"target", comp.target_ratio},
                       {"op_failed", comp.cost_op_failed},
                       {"data_lost", comp.cost_data_lost},
                       {"stale_data", comp.cost_stale_data},
                       {"forced_relogin", comp.cost_forced_relogin}}}};
  Json latency = Json::array();
  for (const models::LatencyFloor& f : models::latency_floors(s)) {
    Json trips = Json::array();
    for (const models::RoundTrip& t : f.trips) {
      trips.push_back({{"what", t.what},
                       {"to", dc_name(s, t.to)},
                       {"rtt_ms", t.rtt_ns / 1e6},
                       {"when", models::when_text(t)},
                       {"per_op", t.per_op}});
    }
    latency.push_back({{"business", s.workload.businesses[f.business.value].name},
                       {"dc", dc_name(s, f.dc)},
                       {"local_ms", f.local_ns / 1e6},
                       {"floor_ms", f.floor_ns / 1e6},
                       {"round_trips", trips}});
  }
  j["latency"] = latency;
  Json faults = Json::array();
  for (const models::FaultSpec& f : s.faults) {
    Json x = {
        {"type", models::to_string(f.type)}, {"target", fault_target(s, f)}, {"random", f.random}};
    if (f.random) {
      x["mtbf"] = f.mtbf.to_string(sim::Unit::kTime);
      x["mttr"] = f.mttr.to_string(sim::Unit::kTime);
    } else {
      x["at_s"] = f.at.seconds();
      x["duration_s"] =
          f.duration == sim::Duration::max() ? Json(nullptr) : Json(f.duration.seconds());
    }
    faults.push_back(x);
  }
  j["faults"] = faults;
  const models::ResourceEstimate r = models::estimate_resources(s);
  Json items = Json::array();
  for (const models::ResourceItem& i : r.items) {
    items.push_back({{"what", i.what}, {"detail", i.detail}, {"keys", i.keys}, {"bytes", i.bytes}});
  }
  j["resources"] = {{"peak_bytes", r.peak_bytes}, {"events", r.events}, {"items", items}};
  Json findings = Json::array();
  for (const CheckFinding& f : report.findings) {
    findings.push_back({{"severity", to_string(f.severity)},
                        {"rule", f.rule},
                        {"subject", f.subject},
                        {"message", f.message}});
  }
  j["findings"] = findings;
  return j.dump(2) + "\n";
}

std::string diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  Json list = Json::array();
  for (const Diagnostic& d : diagnostics) {
    list.push_back({{"file", d.file},
                    {"line", d.line},
                    {"column", d.column},
                    {"key_path", d.key_path},
                    {"message", d.message}});
  }
  Json j;
  j["ok"] = false;
  j["errors"] = diagnostics.size();
  j["warnings"] = 0;
  j["diagnostics"] = list;
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

int run_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::optional<std::string> file;
  std::vector<std::string> overrides;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--set") {
      if (i + 1 == args.size()) {
        err << "geodes check: --set needs key.path=value\n";
        return kExitBadInput;
      }
      overrides.push_back(args[++i]);
    } else if (a.rfind("--set=", 0) == 0) {
      overrides.push_back(a.substr(6));
    } else if (a == "-h" || a == "--help") {
      out << "usage: geodes check [SCENARIO] [--set key.path=value]... [--json]\n";
      return kExitOk;
    } else if (!a.empty() && a[0] == '-') {
      const std::vector<std::string_view> options = {"--set", "--json", "--help"};
      err << "geodes check: unknown option '" << a << "'" << sim::did_you_mean(a, options)
          << "; allowed: --set key.path=value, --json\n";
      return kExitBadInput;
    } else if (file) {
      err << "geodes check: one scenario at a time; got '" << *file << "' and '" << a << "'\n";
      return kExitBadInput;
    } else {
      file = a;
    }
  }
  LoadedScenario scenario;
  try {
    scenario = file ? load_scenario_file(*file, overrides)
                    : load_scenario_text(std::string(default_scenario_text()),
                                         std::string(kDefaultScenarioOrigin), overrides);
  } catch (const ScenarioError& e) {
    if (json) {
      out << diagnostics_json(e.diagnostics());
    } else {
      for (const Diagnostic& d : e.diagnostics()) err << format_diagnostic(d) << "\n";
      err << "geodes check: " << e.diagnostics().size()
          << (e.diagnostics().size() == 1 ? " error" : " errors") << " in "
          << (file ? *file : std::string(kDefaultScenarioOrigin)) << "\n";
    }
    return kExitBadInput;
  }
  const CheckReport report = check_scenario(scenario.spec);
  if (json) {
    out << check_json(scenario, report);
  } else {
    write_check_text(scenario, report, out);
  }
  if (report.errors() > 0) {
    if (!json) {
      err << "geodes check: " << report.errors() << (report.errors() == 1 ? " error" : " errors")
          << " in the design (see Findings)\n";
    }
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace geodes::app
