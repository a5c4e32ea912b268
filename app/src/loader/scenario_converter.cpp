#include "scenario_converter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "geodes/models/workload/arrival_process.hpp"
#include "geodes/models/workload/business.hpp"
#include "geodes/models/workload/id_strategy.hpp"
#include "geodes/models/workload/user_routing.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::app {

namespace {

using models::DataClassId;
using models::DcId;
using models::LinkId;
using sim::Unit;

// Business templates: the lesson's user-management businesses (business.hpp) plus flash sales.
enum class Template : std::uint8_t { kRegister, kLogin, kChangePassword, kProfile, kFlashSale };

const char* to_string(Template t) {
  switch (t) {
    case Template::kRegister:
      return "register";
    case Template::kLogin:
      return "login";
    case Template::kChangePassword:
      return "change_password";
    case Template::kProfile:
      return "profile";
    case Template::kFlashSale:
      return "flash_sale";
  }
  return "?";
}

Template parse_template(const std::string& name) {
  static constexpr Template kAll[] = {Template::kRegister, Template::kLogin,
                                      Template::kChangePassword, Template::kProfile,
                                      Template::kFlashSale};
  return sim::parse_name(name, kAll, "business template");
}

// The data roles each template needs, in the order the template's factory takes them.
std::vector<std::string> template_roles(Template t) {
  switch (t) {
    case Template::kRegister:
      return {"account", "password"};
    case Template::kLogin:
      return {"account", "password", "session"};
    case Template::kChangePassword:
      return {"password", "session"};
    case Template::kProfile:
      return {"profile", "session"};
    case Template::kFlashSale:
      return {"stock"};
  }
  return {};
}

constexpr std::size_t kMaxDatacenters = 256;

constexpr std::string_view kMysqlKeys[] = {
    "mode",           "semi_sync_timeout", "threads",      "parallelism",       "apply_time",
    "retry_interval", "apply_rule",        "on_duplicate", "operator_fix_time", "ack_bytes"};
constexpr std::string_view kMqKeys[] = {"partitions",
                                        "partitioning",
                                        "acks",
                                        "idempotent",
                                        "replication_time",
                                        "append_time",
                                        "request_timeout",
                                        "delivery_timeout",
                                        "consumers",
                                        "max_poll_records",
                                        "fetch_max_wait",
                                        "apply_time",
                                        "session_timeout",
                                        "retry_interval",
                                        "apply_rule",
                                        "overhead_bytes",
                                        "broker"};

template <std::size_t N>
bool contains(const std::string_view (&keys)[N], std::string_view s) {
  return std::find(std::begin(keys), std::end(keys), s) != std::end(keys);
}

class Converter {
 public:
  Converter(Diagnostics& d, SpecMarks& marks) : d_(d), marks_(marks) {}

  models::ScenarioSpec run(const YamlNode& root) {
    marks_.root = root.mark;
    if (root.is_null()) {
      d_.error(root, "",
               "the scenario is empty; it needs at least the sections topology, data and "
               "businesses (see docs/scenario.md)");
      return std::move(spec_);
    }
    if (root.kind != YamlNode::Kind::kMap) {
      d_.error(root, "",
               "a scenario must be a map of sections (name, topology, data, businesses, ...); "
               "got " +
                   root.describe());
      return std::move(spec_);
    }
    MapReader top(d_, &root, "", "the scenario's sections");
    read_run(top);
    read_topology(top);
    read_data(top);
    read_channels(top);
    read_metrics(top);
    read_workload(top);
    read_businesses(top);
    read_sync(top);
    read_exceptions(top);
    read_faults(top);
    top.finish();
    finish_spec();
    return std::move(spec_);
  }

 private:
  // --- helpers --------------------------------------------------------------------------------
  [[nodiscard]] std::size_t dc_count() const { return dcs_.size(); }

  const YamlNode* required(MapReader& m, std::string_view key, const std::string& what) {
    const YamlNode* n = m.get(key);
    // Inside a section that is itself missing, the section's absence was reported already.
    if (n == nullptr && m.ok() && m.present()) {
      d_.error(m.key_mark(key), m.path(key), "the key " + quoted(key) + " is required: " + what);
    }
    return n;
  }

  // Per-DC values: a map keyed by DC name (DCs left out get `missing`, or are an error when
  // `missing` is none) or a list in DC order with one entry per DC.
  template <typename T, typename Read>
  std::optional<std::vector<T>> read_per_dc(const YamlNode& n, const std::string& path,
                                            std::optional<T> missing, Read&& read_one) {
    if (dc_count() == 0) {
      d_.error(n, path, "per-datacenter values need datacenters, and there are none");
      return std::nullopt;
    }
    std::vector<std::optional<T>> values(dc_count());
    bool ok = true;
    if (n.kind == YamlNode::Kind::kSequence) {
      if (n.items.size() != dc_count()) {
        d_.error(n, path,
                 "the list has " + std::to_string(n.items.size()) +
                     " entries; it needs one per datacenter, in order (" + names_text(dcs_) +
                     "), or write a map keyed by datacenter name");
        return std::nullopt;
      }
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        values[i] = read_one(*n.items[i], join_path(path, i));
        ok = ok && values[i].has_value();
      }
    } else if (n.kind == YamlNode::Kind::kMap) {
      MapReader m(d_, &n, path, "values keyed by datacenter name");
      for (const YamlNode::Entry* e : m.entries()) {
        m.allow({e->key});
        const auto dc = find(dcs_, e->key);
        if (!dc) {
          d_.error(e->key_mark, m.path(e->key), unknown_reference(e->key, dcs_, "a datacenter"));
          ok = false;
          continue;
        }
        values[*dc] = read_one(*e->value, m.path(e->key));
        if (!values[*dc]) ok = false;
      }
      for (std::size_t i = 0; i < values.size() && ok; ++i) {
        if (values[i]) continue;
        if (missing) {
          values[i] = missing;
        } else {
          d_.error(n, path,
                   "datacenter " + quoted(dcs_[i]) +
                       " has no value; give one for every datacenter (" + names_text(dcs_) + ")");
          ok = false;
        }
      }
    } else {
      d_.error(n, path,
               "expected a map keyed by datacenter name (or a list in datacenter order); got " +
                   n.describe());
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    std::vector<T> out;
    out.reserve(values.size());
    for (auto& v : values) out.push_back(*v);
    return out;
  }

  std::optional<std::vector<std::uint64_t>> per_dc_counts(const YamlNode& n,
                                                          const std::string& path,
                                                          std::optional<std::uint64_t> missing,
                                                          std::uint64_t min = 0,
                                                          std::uint64_t max = UINT64_MAX) {
    return read_per_dc<std::uint64_t>(
        n, path, missing,
        [&](const YamlNode& v, const std::string& p) { return read_count(d_, v, p, min, max); });
  }

  static std::optional<std::size_t> find(const std::vector<std::string>& names,
                                         const std::string& name) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return i;
    }
    return std::nullopt;
  }

  static std::string names_text(const std::vector<std::string>& names) {
    std::vector<std::string_view> v(names.begin(), names.end());
    return sim::join_names(v);
  }

  // Checks that `links` join every DC to every other (a pinned channel or API must be able to
  // route every pair it serves); reports the first DC left out.
  void check_links_join_all(const std::vector<LinkId>& links, const YamlNode& at,
                            const std::string& path) {
    if (links.empty() || dc_count() < 2) return;
    std::vector<std::size_t> parent(dc_count());
    std::iota(parent.begin(), parent.end(), 0);
    const auto root = [&](std::size_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (LinkId l : links) {
      const models::LinkSpec& s = spec_.topology.link(l);
      parent[root(s.a.value)] = root(s.b.value);
    }
    for (std::size_t i = 1; i < dc_count(); ++i) {
      if (root(i) != root(0)) {
        std::vector<std::string> names;
        names.reserve(links.size());
        for (LinkId l : links) names.push_back(links_[l.value]);
        d_.error(at, path,
                 "the links [" + names_text(names) + "] do not join " + quoted(dcs_[0]) + " and " +
                     quoted(dcs_[i]) +
                     "; pinned links must connect every datacenter (add links or drop the pin)");
        return;
      }
    }
  }

  // A link by name. A link whose own definition was rejected is not reported again here.
  std::optional<LinkId> read_link_ref(const YamlNode& n, const std::string& path) {
    if (n.kind == YamlNode::Kind::kScalar && find(failed_links_, n.scalar)) return std::nullopt;
    const auto r = read_reference(d_, n, path, links_, "a link");
    if (!r) return std::nullopt;
    return LinkId{static_cast<std::uint32_t>(*r)};
  }

  std::optional<std::vector<LinkId>> read_links(const YamlNode& n, const std::string& path) {
    std::vector<const YamlNode*> items;
    if (n.kind == YamlNode::Kind::kScalar) {
      items.push_back(&n);
    } else if (n.kind == YamlNode::Kind::kSequence) {
      for (const auto& i : n.items) items.push_back(i.get());
    } else {
      d_.error(n, path, "expected a list of link names; got " + n.describe());
      return std::nullopt;
    }
    std::vector<LinkId> out;
    bool ok = true;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string ip = n.kind == YamlNode::Kind::kScalar ? path : join_path(path, i);
      const auto l = read_link_ref(*items[i], ip);
      if (!l) {
        ok = false;
        continue;
      }
      if (std::find(out.begin(), out.end(), *l) != out.end()) {
        d_.error(*items[i], ip,
                 quoted(links_[l->value]) + " is listed twice; each may appear once");
        ok = false;
        continue;
      }
      out.push_back(*l);
    }
    if (!ok) return std::nullopt;
    check_links_join_all(out, n, path);
    return out;
  }

  // --- run control ----------------------------------------------------------------------------
  void read_run(MapReader& top) {
    if (const YamlNode* n = top.get("name")) {
      if (auto v = read_name(d_, *n, "name")) spec_.name = *v;
    }
    top.string("description", spec_.description);
    top.count("seed", spec_.seed);
    models::RunControl& r = spec_.run;
    top.duration("duration", r.duration, true);
    const bool warmup = top.duration("warmup", r.warmup);
    top.duration("drain", r.drain);
    if (warmup && r.warmup >= r.duration) {
      d_.error(*top.get("warmup"), "warmup",
               "warmup (" + sim::format(r.warmup) + ") must be shorter than duration (" +
                   sim::format(r.duration) + ")");
    }
    if (r.duration.ns() > std::numeric_limits<std::int64_t>::max() - r.drain.ns()) {
      d_.error(top.key_mark("drain"), "drain",
               "duration + drain is too long for the simulated clock (about 292 years)");
    }
  }

  // --- topology -------------------------------------------------------------------------------
  void read_topology(MapReader& top) {
    const YamlNode* tn = required(top, "topology", "the datacenters and the links between them");
    MapReader t(d_, tn, "topology", "datacenters and links");
    if (tn != nullptr) marks_.topology = tn->mark;
    const YamlNode* dn = required(t, "datacenters", "at least one datacenter");
    MapReader dm(d_, dn, "topology.datacenters", "datacenters keyed by name");
    for (const YamlNode::Entry* e : dm.entries()) {
      dm.allow({e->key});
      const std::string path = dm.path(e->key);
      // A badly named DC is still added (unless unnamed), so references to it do not cascade.
      if (!check_name(d_, e->key_mark, path, e->key) && e->key.empty()) continue;
      if (dcs_.size() == kMaxDatacenters) {
        d_.error(e->key_mark, path,
                 "more than " + std::to_string(kMaxDatacenters) +
                     " datacenters; geodes models at most that many");
        break;
      }
      std::string city = e->key;
      if (e->value->kind == YamlNode::Kind::kScalar && !e->value->is_null()) {
        city = e->value->scalar;  // shorthand: `bj: Beijing`
      } else {
        MapReader c(d_, e->value.get(), path, "a datacenter: {city: ...}");
        c.string("city", city);
        c.finish();
      }
      spec_.topology.add_datacenter(e->key, city);
      dcs_.push_back(e->key);
    }
    if (dm.ok() && dn != nullptr && dcs_.empty() && dm.entries().empty()) {
      d_.error(*dn, "topology.datacenters", "at least one datacenter is needed");
    }
    dm.finish();

    MapReader lm(d_, t.get("links"), "topology.links", "links keyed by name");
    for (const YamlNode::Entry* e : lm.entries()) {
      lm.allow({e->key});
      read_link(*e, lm.path(e->key));
    }
    lm.finish();
    t.finish();
  }

  void read_link(const YamlNode::Entry& e, const std::string& path) {
    bool ok = check_name(d_, e.key_mark, path, e.key) || !e.key.empty();
    MapReader m(d_, e.value.get(), path, "a link: {between: [a, b], latency: ...}");
    models::LinkSpec s;
    s.name = e.key;
    if (!m.ok()) ok = false;
    const YamlNode* between = required(m, "between", "the two datacenters it joins, [a, b]");
    if (between != nullptr) {
      const auto ends =
          read_references(d_, *between, m.path("between"), dcs_, "a datacenter", false);
      if (!ends) {
        ok = false;
      } else if (ends->size() != 2) {
        d_.error(*between, m.path("between"),
                 "a link joins exactly two different datacenters, [a, b]; got " +
                     std::to_string(ends->size()));
        ok = false;
      } else {
        s.a = DcId{static_cast<std::uint32_t>((*ends)[0])};
        s.b = DcId{static_cast<std::uint32_t>((*ends)[1])};
      }
    } else {
      ok = false;
    }
    if (m.get("latency") == nullptr) {
      required(m, "latency", "a one-way latency, e.g. lognormal(median=14ms, p99=25ms) or 14ms");
      ok = false;
    } else if (!m.distribution("latency", s.latency, Unit::kTime)) {
      ok = false;
    }
    if (m.has("bandwidth") && !m.quantity("bandwidth", s.bandwidth_bytes_per_s, Unit::kBandwidth)) {
      ok = false;
    }
    if (m.has("loss") && !m.ratio("loss", s.loss, {0, 1, false, true})) ok = false;
    m.finish();
    if (ok) {
      try {
        spec_.topology.add_link(s);
        links_.push_back(e.key);
        return;
      } catch (const InvalidArgument& err) {
        d_.error(*e.value, path, err.what());
      }
    }
    failed_links_.push_back(e.key);
  }

  // --- data classes ---------------------------------------------------------------------------
  void read_data(MapReader& top) {
    const YamlNode* dn = required(top, "data", "the data classes (step 2 of the lesson)");
    MapReader dm(d_, dn, "data", "data classes keyed by name");
    for (const YamlNode::Entry* e : dm.entries()) {
      dm.allow({e->key});
      const std::string path = dm.path(e->key);
      models::DataClassSpec c;
      c.name = e->key;
      check_name(d_, e->key_mark, path, e->key);
      MapReader m(d_, e->value.get(), path, "a data class");
      double size = c.row_bytes;
      if (m.quantity("size", size, Unit::kBytes, {1, 4294967295.0})) {
        c.row_bytes = static_cast<std::uint32_t>(size);
      }
      m.count("rows", c.rows);
      m.boolean("unique", c.unique);
      YamlMark strategy_mark = e->value->mark;
      bool strategy_failed = false;
      std::string strategy_path = path;
      if (const YamlNode* s = m.get("id_strategy")) {
        c.id_strategy = read_id_strategy(*s, m.path("id_strategy"));
        strategy_failed = !c.id_strategy.has_value();
        strategy_mark = s->mark;
        strategy_path = m.path("id_strategy");
      }
      if (const YamlNode* b = m.get("bound")) {
        if (b->kind == YamlNode::Kind::kScalar && b->scalar == "none") {
          c.bound = sim::Duration::max();
        } else if (auto v = read_duration(d_, *b, m.path("bound"), true)) {
          c.bound = *v;
        }
      }
      m.boolean("lossable", c.lossable);
      m.boolean("recoverable", c.recoverable);
      if (const YamlNode* t = m.get("ttl")) {
        if (t->kind == YamlNode::Kind::kScalar && t->scalar == "none") {
          c.ttl = sim::Duration::max();
        } else if (auto v = read_duration(d_, *t, m.path("ttl"), true)) {
          c.ttl = *v;
        }
      }
      m.distribution("read_time", c.read_time, Unit::kTime);
      m.distribution("write_time", c.write_time, Unit::kTime);
      m.finish();
      spec_.data.push_back(c);
      data_.push_back(e->key);
      marks_.id_strategies.push_back(strategy_mark);
      strategy_failed_.push_back(strategy_failed);
      marks_.id_strategy_paths.push_back(strategy_path);
    }
    if (dm.ok() && dn != nullptr && dm.entries().empty()) {
      d_.error(*dn, "data", "at least one data class is needed");
    }
    dm.finish();
  }

  std::optional<models::IdStrategyParams> read_id_strategy(const YamlNode& n,
                                                           const std::string& path) {
    models::IdStrategyParams p;
    if (n.kind == YamlNode::Kind::kScalar) {
      const auto kind = read_enum(d_, n, path, &models::parse_id_strategy, "an id strategy name");
      if (!kind) return std::nullopt;
      p.kind = *kind;
      return p;
    }
    MapReader m(d_, &n, path, "an id strategy: {kind: ..., ...}");
    if (!m.ok()) return std::nullopt;
    const YamlNode* kn =
        required(m, "kind", "central, segments, snowflake, auto_increment or random");
    if (kn == nullptr) {
      m.allow({"dc", "segment_size", "time_bits", "dc_bits", "sequence_bits", "tick", "worker_ids",
               "increment", "offsets", "space"});
      m.finish();
      return std::nullopt;
    }
    const auto kind =
        read_enum(d_, *kn, m.path("kind"), &models::parse_id_strategy, "an id strategy name");
    if (!kind) {
      m.allow({"dc", "segment_size", "time_bits", "dc_bits", "sequence_bits", "tick", "worker_ids",
               "increment", "offsets", "space"});
      m.finish();
      return std::nullopt;
    }
    p.kind = *kind;
    bool ok = true;
    switch (p.kind) {
      case models::IdStrategyKind::kCentral:
        if (const YamlNode* dc = m.get("dc")) {
          const auto r = read_reference(d_, *dc, m.path("dc"), dcs_, "a datacenter");
          if (r) p.central_dc = DcId{static_cast<std::uint32_t>(*r)};
          ok = ok && r.has_value();
        }
        break;
      case models::IdStrategyKind::kSegments:
        m.count("segment_size", p.segment_size, 1);
        if (const YamlNode* dc = m.get("dc")) {  // the DC whose segment table hands them out
          const auto r = read_reference(d_, *dc, m.path("dc"), dcs_, "a datacenter");
          if (r) p.segment_dc = DcId{static_cast<std::uint32_t>(*r)};
          ok = ok && r.has_value();
        }
        break;
      case models::IdStrategyKind::kSnowflake: {
        m.integer("time_bits", p.time_bits, 1, 63);
        m.integer("dc_bits", p.dc_bits, 0, 62);
        m.integer("sequence_bits", p.sequence_bits, 0, 62);
        m.duration("tick", p.tick, true);
        if (const YamlNode* w = m.get("worker_ids")) {
          auto v = per_dc_counts(*w, m.path("worker_ids"), std::nullopt);
          if (v) p.worker_ids = *v;
          ok = ok && v.has_value();
        }
        if (p.time_bits + p.dc_bits + p.sequence_bits > 63) {
          d_.error(n, path,
                   "time_bits + dc_bits + sequence_bits is " +
                       std::to_string(p.time_bits + p.dc_bits + p.sequence_bits) +
                       "; allowed: at most 63 (ids stay positive 64-bit integers)");
          ok = false;
        }
        break;
      }
      case models::IdStrategyKind::kAutoIncrement:
        m.count("increment", p.increment, 0, 65535);
        if (const YamlNode* o = m.get("offsets")) {
          auto v = per_dc_counts(*o, m.path("offsets"), std::nullopt, 1, 65535);
          if (v) p.offsets = *v;
          ok = ok && v.has_value();
        }
        break;
      case models::IdStrategyKind::kRandom:
        m.count("space", p.space, 1);
        break;
    }
    const std::vector<std::pair<std::string_view, models::IdStrategyKind>> owner = {
        {"dc", models::IdStrategyKind::kCentral},  // and segments
        {"segment_size", models::IdStrategyKind::kSegments},
        {"time_bits", models::IdStrategyKind::kSnowflake},
        {"dc_bits", models::IdStrategyKind::kSnowflake},
        {"sequence_bits", models::IdStrategyKind::kSnowflake},
        {"tick", models::IdStrategyKind::kSnowflake},
        {"worker_ids", models::IdStrategyKind::kSnowflake},
        {"increment", models::IdStrategyKind::kAutoIncrement},
        {"offsets", models::IdStrategyKind::kAutoIncrement},
        {"space", models::IdStrategyKind::kRandom}};
    m.finish([&](const std::string& key) -> std::string {
      for (const auto& [k, kind] : owner) {
        if (k == key)
          return std::string(" (") + key + " applies to id strategy " + models::to_string(kind) +
                 " only)";
      }
      return "";
    });
    if (!ok) return std::nullopt;
    return p;
  }

  // --- channels -------------------------------------------------------------------------------
  void read_channels(MapReader& top) {
    MapReader cm(d_, top.get("channels"), "channels", "sync channels keyed by name");
    for (const YamlNode::Entry* e : cm.entries()) {
      cm.allow({e->key});
      const std::string path = cm.path(e->key);
      models::ChannelSpec c;
      c.name = e->key;
      c.mysql.name = e->key;
      c.mq.name = e->key;
      check_name(d_, e->key_mark, path, e->key);
      channel_failed_.push_back(!read_channel(*e->value, path, c));
      spec_.channels.push_back(c);
      channels_.push_back(e->key);
    }
    cm.finish();
  }

  // Returns false when the channel's type is unknown (its other keys cannot be judged).
  bool read_channel(const YamlNode& n, const std::string& path, models::ChannelSpec& c) {
    MapReader m(d_, &n, path, "a channel: {type: mysql_replication | mq, ...}");
    if (!m.ok()) return false;
    const YamlNode* tn = required(m, "type", "mysql_replication or mq");
    std::optional<models::ChannelType> type;
    if (tn != nullptr) {
      type = read_enum(d_, *tn, m.path("type"), &models::parse_channel_type, "a channel type");
    }
    if (!type) {
      for (auto k : kMysqlKeys) m.allow({k});
      for (auto k : kMqKeys) m.allow({k});
      m.finish();
      return false;
    }
    c.type = *type;
    if (c.type == models::ChannelType::kMysqlReplication) {
      models::MysqlChannelParams& p = c.mysql;
      m.enumeration("mode", p.mode, &models::parse_replication_mode, "a replication mode");
      m.duration("semi_sync_timeout", p.semi_sync_timeout, true);
      m.integer("threads", p.threads, 1, 1024);
      m.enumeration("parallelism", p.parallelism, &models::parse_applier_parallelism,
                    "an applier parallelism");
      m.distribution("apply_time", p.apply_time, Unit::kTime);
      m.duration("retry_interval", p.retry_interval, true);
      m.enumeration("apply_rule", p.apply_rule, &models::parse_apply_rule, "an apply rule");
      m.enumeration("on_duplicate", p.on_duplicate, &models::parse_on_duplicate,
                    "an on_duplicate action");
      m.duration("operator_fix_time", p.operator_fix_time);
      double ack = p.ack_bytes;
      if (m.quantity("ack_bytes", ack, Unit::kBytes, {1, 65536})) {
        p.ack_bytes = static_cast<std::uint32_t>(ack);
      }
      m.finish([](const std::string& key) -> std::string {
        return contains(kMqKeys, key) ? " (" + key + " belongs to channels of type mq)" : "";
      });
      return true;
    }
    models::MqChannelParams& p = c.mq;
    m.integer("partitions", p.partitions, 1, 4096);
    m.enumeration("partitioning", p.partitioning, &models::parse_mq_partitioning, "a partitioning");
    m.enumeration("acks", p.acks, &models::parse_mq_acks, "producer acks");
    m.boolean("idempotent", p.idempotent);
    m.distribution("replication_time", p.replication_time, Unit::kTime);
    m.distribution("append_time", p.append_time, Unit::kTime);
    const bool request = m.duration("request_timeout", p.request_timeout, true);
    const bool delivery = m.duration("delivery_timeout", p.delivery_timeout, true);
    if ((request || delivery) && p.delivery_timeout < p.request_timeout) {
      const std::string key = delivery ? "delivery_timeout" : "request_timeout";
      d_.error(*m.get(key), m.path(key),
               "delivery_timeout (" + sim::format(p.delivery_timeout) +
                   ") must be at least request_timeout (" + sim::format(p.request_timeout) +
                   "), as Kafka requires");
    }
    m.integer("consumers", p.consumers, 1, 4096);
    m.integer("max_poll_records", p.max_poll_records, 1, 1'000'000);
    m.duration("fetch_max_wait", p.fetch_max_wait);
    m.distribution("apply_time", p.apply_time, Unit::kTime);
    m.duration("session_timeout", p.session_timeout, true);
    m.duration("retry_interval", p.retry_interval, true);
    m.enumeration("apply_rule", p.apply_rule, &models::parse_apply_rule, "an apply rule");
    double overhead = p.overhead_bytes;
    if (m.quantity("overhead_bytes", overhead, Unit::kBytes, {0, 1048576})) {
      p.overhead_bytes = static_cast<std::uint32_t>(overhead);
    }
    if (const YamlNode* b = m.get("broker")) {
      if (b->kind == YamlNode::Kind::kScalar && b->scalar == "source") {
        c.broker_dc.reset();
      } else if (b->kind == YamlNode::Kind::kScalar && !find(dcs_, b->scalar)) {
        d_.error(*b, m.path("broker"),
                 unknown_reference(b->scalar, dcs_, "a datacenter") +
                     " (or 'source': each pair's source datacenter)");
      } else if (auto r = read_reference(d_, *b, m.path("broker"), dcs_, "a datacenter")) {
        c.broker_dc = DcId{static_cast<std::uint32_t>(*r)};
      }
    }
    m.finish([](const std::string& key) -> std::string {
      return contains(kMysqlKeys, key)
                 ? " (" + key + " belongs to channels of type mysql_replication)"
                 : "";
    });
    return true;
  }

  // --- metrics --------------------------------------------------------------------------------
  void read_metrics(MapReader& top) {
    MapReader m(d_, top.get("metrics"), "metrics", "how metrics are gathered");
    models::MetricsSpec& s = spec_.metrics;
    m.duration("series_interval", s.series_interval, true);
    m.duration("rto_window", s.rto_window, true);
    m.count("divergence_sample", s.divergence_sample, 0, 1'000'000);
    m.finish();
  }

  // --- arrivals -------------------------------------------------------------------------------
  std::optional<models::DiurnalParams> read_diurnal(const YamlNode& n, const std::string& path) {
    models::DiurnalParams p;
    if (n.kind == YamlNode::Kind::kScalar) {
      const auto shape = read_enum(d_, n, path, &models::parse_diurnal_shape, "a diurnal shape");
      if (!shape) return std::nullopt;
      p.shape = *shape;
      if (p.shape == models::DiurnalShape::kPiecewise) {
        d_.error(n, path,
                 "a piecewise curve needs its factors: write {shape: piecewise, factors: [...]}");
        return std::nullopt;
      }
      return p;
    }
    MapReader m(d_, &n, path, "a diurnal curve: {shape: flat | sinusoidal | piecewise, ...}");
    if (!m.ok()) return std::nullopt;
    const YamlNode* sn = required(m, "shape", "flat, sinusoidal or piecewise");
    std::optional<models::DiurnalShape> shape;
    if (sn != nullptr) {
      shape = read_enum(d_, *sn, m.path("shape"), &models::parse_diurnal_shape, "a diurnal shape");
    }
    if (!shape) {
      m.allow({"amplitude", "peak", "period", "factors"});
      m.finish();
      return std::nullopt;
    }
    p.shape = *shape;
    bool ok = true;
    m.duration("period", p.period, true);
    if (p.shape == models::DiurnalShape::kSinusoidal) {
      m.ratio("amplitude", p.amplitude);
      if (m.duration("peak", p.peak) && p.peak >= p.period) {
        d_.error(*m.get("peak"), m.path("peak"),
                 "the peak (" + sim::format(p.peak) + ") must be a time of day within the " +
                     "period (" + sim::format(p.period) + ")");
        ok = false;
      }
    }
    if (p.shape == models::DiurnalShape::kPiecewise) {
      const YamlNode* f = required(m, "factors", "a list of rate factors over equal pieces");
      if (f != nullptr) {
        if (f->kind != YamlNode::Kind::kSequence || f->items.empty()) {
          d_.error(
              *f, m.path("factors"),
              "expected a non-empty list of factors >= 0 (24 for hourly); got " + f->describe());
          ok = false;
        } else {
          for (std::size_t i = 0; i < f->items.size(); ++i) {
            const auto v =
                read_number(d_, *f->items[i], join_path(m.path("factors"), i), Bounds::at_least(0));
            if (v) p.factors.push_back(*v);
            ok = ok && v.has_value();
          }
        }
      } else {
        ok = false;
      }
    }
    m.finish([](const std::string& key) -> std::string {
      if (key == "amplitude" || key == "peak") return " (" + key + " applies to sinusoidal only)";
      if (key == "factors") return std::string(" (factors apply to piecewise only)");
      return "";
    });
    if (!ok) return std::nullopt;
    return p;
  }

  std::vector<models::Burst> read_bursts(const YamlNode& n, const std::string& path) {
    std::vector<models::Burst> out;
    if (n.kind != YamlNode::Kind::kSequence) {
      d_.error(n, path,
               "expected a list of bursts, each {at: 5m, duration: 1m, multiplier: 3}; got " +
                   n.describe());
      return out;
    }
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const std::string p = join_path(path, i);
      MapReader m(d_, n.items[i].get(), p, "a burst: {at, duration, multiplier}");
      if (!m.ok()) continue;
      models::Burst b;
      bool ok = required(m, "at", "when the burst starts") != nullptr && m.time("at", b.start);
      ok = required(m, "duration", "how long it lasts") != nullptr &&
           m.duration("duration", b.length, true) && ok;
      ok = required(m, "multiplier", "the factor on the rate") != nullptr &&
           m.number("multiplier", b.multiplier, Bounds::at_least(0)) && ok;
      m.finish();
      if (ok) out.push_back(b);
    }
    return out;
  }

  // --- workload -------------------------------------------------------------------------------
  void read_workload(MapReader& top) {
    const YamlNode* wn = top.get("workload");
    MapReader w(d_, wn, "workload", "the workload");
    marks_.workload = wn != nullptr ? wn->mark : marks_.root;
    models::WorkloadParams& p = spec_.workload;
    w.quantity("rate", p.total_rate_per_s, Unit::kRate);
    if (const YamlNode* dn = w.get("diurnal")) {
      if (auto v = read_diurnal(*dn, "workload.diurnal")) default_diurnal_ = *v;
    }
    if (const YamlNode* bn = w.get("bursts")) default_bursts_ = read_bursts(*bn, "workload.bursts");
    read_users(w);
    read_client(w);
    read_gslb(w);
    w.finish();
  }

  void read_users(MapReader& w) {
    const YamlNode* un = w.get("users");
    MapReader u(d_, un, "workload.users", "the users");
    models::UserParams& p = spec_.workload.users;
    const bool initial = u.count("initial", p.initial);
    const bool max = u.count("max", p.max, 0, models::UserParams::kMaxUsers);
    if ((initial || max) && p.initial > p.max) {
      const char* key = initial ? "initial" : "max";
      d_.error(*u.get(key), u.path(key),
               "initial (" + std::to_string(p.initial) + ") is larger than max (" +
                   std::to_string(p.max) + "); users that can ever exist include the initial ones");
    }
    marks_.routing = un != nullptr ? un->mark : marks_.workload;
    if (const YamlNode* r = u.get("routing")) {
      marks_.routing = r->mark;
      read_routing(*r, u.path("routing"));
    }
    if (const YamlNode* c = u.get("id_class")) {
      if (auto r = read_reference(d_, *c, u.path("id_class"), data_, "a data class")) {
        if (!spec_.data[*r].id_strategy && !strategy_failed_[*r]) {
          d_.error(*c, u.path("id_class"),
                   "data class " + quoted(data_[*r]) +
                       " has no id_strategy, so it cannot give the initial users their ids");
        } else {
          p.id_class = DataClassId{static_cast<std::uint32_t>(*r)};
        }
      }
    }
    if (const YamlNode* pl = u.get("preload")) {
      if (auto refs = read_references(d_, *pl, u.path("preload"), data_, "a data class", true)) {
        for (std::size_t r : *refs) {
          p.preload.push_back(DataClassId{static_cast<std::uint32_t>(r)});
        }
      }
    }
    u.finish();
  }

  void read_routing(const YamlNode& n, const std::string& path) {
    models::UserRoutingParams& p = spec_.workload.users.routing;
    if (n.kind == YamlNode::Kind::kScalar) {
      const auto rule = read_enum(d_, n, path, &models::parse_routing_rule, "a routing rule");
      if (!rule) return;
      if (*rule != models::RoutingRule::kHash) {
        d_.error(n, path,
                 std::string("routing rule ") + models::to_string(*rule) +
                     " needs parameters: write {rule: share, shares: {...}} or {rule: id_range, "
                     "ranges: [...]}");
        return;
      }
      p.rule = *rule;
      return;
    }
    MapReader m(d_, &n, path, "a routing rule: {rule: hash | share | id_range, ...}");
    if (!m.ok()) return;
    const YamlNode* rn = required(m, "rule", "hash, share or id_range");
    std::optional<models::RoutingRule> rule;
    if (rn != nullptr) {
      rule = read_enum(d_, *rn, m.path("rule"), &models::parse_routing_rule, "a routing rule");
    }
    if (!rule) {
      m.allow({"shares", "ranges"});
      m.finish();
      return;
    }
    p.rule = *rule;
    if (p.rule == models::RoutingRule::kShare) {
      if (const YamlNode* s = required(m, "shares", "the share of users per datacenter")) {
        auto v = read_per_dc<double>(*s, m.path("shares"), 0.0,
                                     [&](const YamlNode& x, const std::string& xp) {
                                       return read_ratio(d_, x, xp, Bounds::at_least(0));
                                     });
        if (v) {
          if (std::all_of(v->begin(), v->end(), [](double x) { return x == 0; })) {
            d_.error(*s, m.path("shares"), "every share is 0; at least one must be > 0");
          } else {
            p.shares = *v;
          }
        }
      }
    }
    if (p.rule == models::RoutingRule::kIdRange) {
      if (const YamlNode* r = required(m, "ranges", "[{first, last, dc}, ...] covering user ids")) {
        read_ranges(*r, m.path("ranges"));
      }
    }
    m.finish([](const std::string& key) -> std::string {
      if (key == "shares") return std::string(" (shares apply to rule share only)");
      if (key == "ranges") return std::string(" (ranges apply to rule id_range only)");
      return "";
    });
  }

  void read_ranges(const YamlNode& n, const std::string& path) {
    models::UserRoutingParams& p = spec_.workload.users.routing;
    if (n.kind != YamlNode::Kind::kSequence || n.items.empty()) {
      d_.error(n, path,
               "expected a non-empty list of ranges, each {first: 0, last: 49999, dc: bj}; got " +
                   n.describe());
      return;
    }
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const std::string ip = join_path(path, i);
      MapReader m(d_, n.items[i].get(), ip, "an id range: {first, last, dc}");
      if (!m.ok()) continue;
      models::IdRange r;
      bool ok = required(m, "first", "the first user id") != nullptr && m.count("first", r.first);
      ok = required(m, "last", "the last user id (inclusive)") != nullptr &&
           m.count("last", r.last) && ok;
      if (const YamlNode* dc = required(m, "dc", "the datacenter of these users")) {
        const auto ref = read_reference(d_, *dc, m.path("dc"), dcs_, "a datacenter");
        if (ref) r.dc = DcId{static_cast<std::uint32_t>(*ref)};
        ok = ok && ref.has_value();
      } else {
        ok = false;
      }
      if (ok && r.first > r.last) {
        d_.error(*n.items[i], ip,
                 "first (" + std::to_string(r.first) + ") is larger than last (" +
                     std::to_string(r.last) + ")");
        ok = false;
      }
      if (ok) {
        for (const models::IdRange& o : p.ranges) {
          if (r.first <= o.last && o.first <= r.last) {
            d_.error(*n.items[i], ip,
                     "the range " + std::to_string(r.first) + ".." + std::to_string(r.last) +
                         " overlaps " + std::to_string(o.first) + ".." + std::to_string(o.last) +
                         "; ranges must be disjoint");
            ok = false;
            break;
          }
        }
      }
      m.finish();
      if (ok) p.ranges.push_back(r);
    }
  }

  void read_client(MapReader& w) {
    MapReader c(d_, w.get("client"), "workload.client", "client behaviour");
    models::ClientParams& p = spec_.workload.client;
    c.duration("timeout", p.timeout, true);
    c.integer("retries", p.max_retries, 0, 100);
    c.duration("backoff", p.backoff);
    c.number("backoff_multiplier", p.backoff_multiplier, Bounds::between(1, 1000));
    c.finish();
  }

  void read_gslb(MapReader& w) {
    const YamlNode* gn = w.get("gslb");
    marks_.gslb = gn != nullptr ? gn->mark : marks_.workload;
    MapReader g(d_, gn, "workload.gslb", "GSLB failover");
    models::GslbParams& p = spec_.workload.gslb;
    g.duration("detection_delay", p.detection_delay);
    g.duration("failback_delay", p.failback_delay);
    if (const YamlNode* f = g.get("failover")) {
      MapReader fm(d_, f, g.path("failover"), "failover order keyed by datacenter");
      std::vector<std::optional<std::vector<DcId>>> order(dc_count());
      bool ok = fm.ok();
      for (const YamlNode::Entry* e : fm.entries()) {
        fm.allow({e->key});
        const std::string ep = fm.path(e->key);
        const auto home = find(dcs_, e->key);
        if (!home) {
          d_.error(e->key_mark, ep, unknown_reference(e->key, dcs_, "a datacenter"));
          ok = false;
          continue;
        }
        const auto refs = read_references(d_, *e->value, ep, dcs_, "a datacenter", true);
        if (!refs) {
          ok = false;
          continue;
        }
        std::vector<DcId> list;
        for (std::size_t r : *refs) {
          if (r == *home) {
            d_.error(*e->value, ep,
                     "the failover list of " + quoted(e->key) +
                         " names the datacenter itself; list the others, in order of preference");
            ok = false;
          }
          list.push_back(DcId{static_cast<std::uint32_t>(r)});
        }
        order[*home] = list;
      }
      fm.finish();
      if (ok) {
        // DCs not listed keep the default: the next DCs by id, cyclically.
        for (std::size_t h = 0; h < order.size(); ++h) {
          std::vector<DcId> list;
          if (order[h]) {
            list = *order[h];
          } else {
            for (std::size_t k = 1; k < dc_count(); ++k) {
              list.push_back(DcId{static_cast<std::uint32_t>((h + k) % dc_count())});
            }
          }
          p.failover_order.push_back(list);
        }
      }
    }
    g.finish();
  }

  // --- businesses -----------------------------------------------------------------------------
  void read_businesses(MapReader& top) {
    const YamlNode* bn = required(top, "businesses", "what the users do (step 1 of the lesson)");
    MapReader bm(d_, bn, "businesses", "businesses keyed by name");
    for (const YamlNode::Entry* e : bm.entries()) {
      bm.allow({e->key});
      const std::string path = bm.path(e->key);
      check_name(d_, e->key_mark, path, e->key);
      read_business(*e, path);
    }
    if (bm.ok() && bn != nullptr && bm.entries().empty()) {
      d_.error(*bn, "businesses", "at least one business is needed");
    }
    bm.finish();

    const double total = spec_.workload.total_rate_per_s;
    bool any_share = false;
    for (std::size_t i = 0; i < rate_given_.size(); ++i) {
      const std::string& path = marks_.business_paths[i];
      if (rate_given_[i] && share_given_[i]) continue;  // reported as a contradiction already
      if (total > 0 && rate_given_[i]) {
        d_.error(rate_marks_[i], join_path(path, "rate"),
                 "rate is set while workload.rate is set; give either per-business rates, or "
                 "workload.rate with a share for each business");
      }
      if (total == 0 && share_given_[i]) {
        d_.error(share_marks_[i], join_path(path, "share"),
                 "share is a share of workload.rate, which is not set; set workload.rate "
                 "(e.g. 1k/s), or give this business a rate instead");
      }
      if (!rate_given_[i] && !share_given_[i]) {
        d_.error(marks_.businesses[i], path,
                 total > 0 ? "the business needs a share of workload.rate (e.g. share: 20%)"
                           : "the business needs a rate (e.g. rate: 100/s), or a share of "
                             "workload.rate");
      }
      any_share = any_share || (share_given_[i] && spec_.workload.businesses[i].share > 0);
    }
    if (total > 0 && !any_share && !rate_given_.empty() &&
        std::any_of(share_given_.begin(), share_given_.end(), [](bool b) { return b; })) {
      d_.error(marks_.workload, "workload.rate",
               "workload.rate is set but every business's share is 0");
    }
  }

  void read_business(const YamlNode::Entry& e, const std::string& path) {
    MapReader m(d_, e.value.get(), path, "a business");
    models::BusinessParams b;
    models::BusinessSpec extra;
    b.name = e.key;
    m.integer("tier", b.tier, 1, 100);
    const bool rate = m.quantity("rate", b.arrivals.rate_per_s, Unit::kRate);
    const bool share = m.ratio("share", b.share, Bounds::at_least(0));
    const YamlMark rate_mark = m.has("rate") ? m.get("rate")->mark : e.value->mark;
    const YamlMark share_mark = m.has("share") ? m.get("share")->mark : e.value->mark;
    if (m.has("rate") && m.has("share")) {
      d_.error(*m.get("share"), m.path("share"),
               "rate and share are both set; give a rate (per second) or a share of "
               "workload.rate, not both");
    }
    m.number("value_per_op", extra.value_per_op, Bounds::at_least(0));
    m.ratio("target", extra.target_success, {0, 1, true, false});
    m.number("zipf", b.zipf_exponent, Bounds::between(0, 100));
    m.ratio("roaming", b.roaming, {0, 1, false, false});
    b.arrivals.diurnal = default_diurnal_;
    if (const YamlNode* dn = m.get("diurnal")) {
      if (auto v = read_diurnal(*dn, m.path("diurnal"))) b.arrivals.diurnal = *v;
    }
    b.arrivals.bursts = default_bursts_;
    if (const YamlNode* bn = m.get("bursts")) {
      for (const models::Burst& x : read_bursts(*bn, m.path("bursts"))) {
        b.arrivals.bursts.push_back(x);
      }
    }
    const YamlNode* tn = m.get("template");
    const YamlNode* sn = m.get("steps");
    if (tn != nullptr && sn != nullptr) {
      d_.error(*sn, m.path("steps"),
               "template and steps are both set; use a template, or spell the steps out");
    } else if (tn == nullptr && sn == nullptr && m.ok()) {
      d_.error(*e.value, path,
               "the business needs a template (register, login, change_password, profile, "
               "flash_sale) or explicit steps");
    }
    if (tn != nullptr) {
      read_template(m, *tn, b);
    } else {
      m.allow({"data", "item", "quota", "borrow"});
      for (const char* key : {"data", "item", "quota", "borrow"}) {
        if (m.has(key)) {
          d_.error(m.key_mark(key), m.path(key),
                   std::string(key) + " applies to a business with a template only");
        }
      }
      if (sn != nullptr) read_steps(*sn, m.path("steps"), b);
    }
    m.finish();
    spec_.workload.businesses.push_back(std::move(b));
    spec_.businesses.push_back(extra);
    businesses_.push_back(e.key);
    marks_.businesses.push_back(e.value->mark);
    marks_.business_paths.push_back(path);
    rate_given_.push_back(rate || m.has("rate"));
    share_given_.push_back(share || m.has("share"));
    rate_marks_.push_back(rate_mark);
    share_marks_.push_back(share_mark);
  }

  void read_template(MapReader& m, const YamlNode& tn, models::BusinessParams& b) {
    const auto t = read_enum(d_, tn, m.path("template"), &parse_template, "a business template");
    if (!t) {
      m.allow({"data", "item", "quota", "borrow"});
      return;
    }
    const std::vector<std::string> roles = template_roles(*t);
    std::vector<std::optional<DataClassId>> classes(roles.size());
    bool ok = true;
    const YamlNode* dn = m.get("data");
    MapReader dm(d_, dn, m.path("data"), "data classes keyed by role");
    for (const YamlNode::Entry* e : dm.entries()) {
      dm.allow({e->key});
      const auto role = find(roles, e->key);
      if (!role) {
        d_.error(
            e->key_mark, dm.path(e->key),
            unknown_reference(e->key, roles, std::string("a role of template ") + to_string(*t)));
        ok = false;
        continue;
      }
      const auto r = read_reference(d_, *e->value, dm.path(e->key), data_, "a data class");
      if (r) classes[*role] = DataClassId{static_cast<std::uint32_t>(*r)};
      ok = ok && r.has_value();
    }
    dm.finish();
    if (!dm.ok()) ok = false;
    for (std::size_t i = 0; i < roles.size() && ok; ++i) {
      if (classes[i]) continue;
      // Default: the data class named like the role.
      if (const auto same = find(data_, roles[i])) {
        classes[i] = DataClassId{static_cast<std::uint32_t>(*same)};
        continue;
      }
      d_.error(dn != nullptr ? dn->mark : tn.mark, m.path("data"),
               std::string("template ") + to_string(*t) + " needs data." + roles[i] +
                   ": the data class of its " + roles[i] + " role (none is named " +
                   quoted(roles[i]) + ")");
      ok = false;
    }
    std::uint64_t item = 1;
    std::vector<std::uint64_t> quota;
    bool borrow = false;
    if (*t == Template::kFlashSale) {
      m.count("item", item);
      m.boolean("borrow", borrow);
      if (const YamlNode* q = required(m, "quota", "the stock of each city, {dc: count, ...}")) {
        auto v = per_dc_counts(*q, m.path("quota"), 0);
        if (v) quota = *v;
        ok = ok && v.has_value();
      } else {
        ok = false;
      }
    } else {
      m.allow({"item", "quota", "borrow"});
      for (const char* key : {"item", "quota", "borrow"}) {
        if (m.has(key)) {
          d_.error(m.key_mark(key), m.path(key),
                   std::string(key) + " applies to template flash_sale only");
        }
      }
    }
    if (!ok) return;
    models::BusinessParams made;
    switch (*t) {
      case Template::kRegister:
        made = models::register_business(b.name, *classes[0], *classes[1]);
        if (!spec_.data[classes[0]->value].id_strategy && !strategy_failed_[classes[0]->value]) {
          d_.error(tn, m.path("template"),
                   "template register draws new ids from data class " +
                       quoted(data_[classes[0]->value]) +
                       ", which has no id_strategy; give that class one (e.g. segments)");
        }
        break;
      case Template::kLogin:
        made = models::login_business(b.name, *classes[0], *classes[1], *classes[2]);
        break;
      case Template::kChangePassword:
        made = models::change_password_business(b.name, *classes[0], *classes[1]);
        break;
      case Template::kProfile:
        made = models::profile_business(b.name, *classes[0], *classes[1]);
        break;
      case Template::kFlashSale:
        made = models::flash_sale_business(b.name, *classes[0], item, quota, borrow);
        break;
    }
    b.steps = std::move(made.steps);
  }

  void read_steps(const YamlNode& n, const std::string& path, models::BusinessParams& b) {
    if (n.kind != YamlNode::Kind::kSequence || n.items.empty()) {
      d_.error(n, path,
               "expected a non-empty list of steps, e.g. [{read: accounts}, {write: sessions, "
               "mode: upsert}]; got " +
                   n.describe());
      return;
    }
    constexpr std::string_view kKinds[] = {"allocate_id", "read", "write", "session", "decrement"};
    // A business that allocates an id anywhere registers users: its steps act on the new id.
    bool registers = false;
    for (const auto& item : n.items) {
      if (item->kind != YamlNode::Kind::kMap) continue;
      for (const auto& e : item->entries) registers = registers || e.key == "allocate_id";
    }
    bool allocated = false;
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const std::string sp = join_path(path, i);
      const YamlNode& item = *n.items[i];
      MapReader m(d_, &item, sp, "a step: {read: <data class>, ...}");
      if (!m.ok()) continue;
      std::vector<std::string> kinds;
      for (std::string_view k : kKinds) {
        if (m.get(k) != nullptr) kinds.emplace_back(k);
      }
      if (kinds.size() != 1) {
        d_.error(item, sp,
                 kinds.empty()
                     ? "a step names its kind with the data class it acts on, one of: "
                       "allocate_id, read, write, session, decrement (e.g. {read: accounts})"
                     : "a step has exactly one kind; this one has " + names_text(kinds));
        m.allow(
            {"key", "fixed_key", "mode", "fail_if_missing", "fail_if_stale", "borrow", "initial"});
        m.finish();
        continue;
      }
      models::Step s;
      s.kind = models::parse_step_kind(kinds[0]);
      bool ok = true;
      const auto cls =
          read_reference(d_, *m.get(kinds[0]), m.path(kinds[0]), data_, "a data class");
      if (cls) {
        s.data_class = DataClassId{static_cast<std::uint32_t>(*cls)};
      } else {
        ok = false;
      }
      const std::string which = "step " + std::to_string(i) + " (" + kinds[0] + ")";
      if (s.kind == models::StepKind::kAllocateId) {
        s.key = models::KeyChoice::kNewId;
        if (allocated) {
          d_.error(item, sp,
                   which + " is a second allocate_id; a business allocates at most one id");
          ok = false;
        }
        allocated = true;
        if (cls && !spec_.data[*cls].id_strategy && !strategy_failed_[*cls]) {
          d_.error(*m.get(kinds[0]), m.path(kinds[0]),
                   which + " draws ids from data class " + quoted(data_[*cls]) +
                       ", which has no id_strategy; give that class one (e.g. segments)");
          ok = false;
        }
        m.finish([](const std::string&) { return std::string(" (allocate_id takes no options)"); });
        if (ok) b.steps.push_back(s);
        continue;
      }
      s.key = s.kind == models::StepKind::kDecrement ? models::KeyChoice::kPerDc
              : registers                            ? models::KeyChoice::kNewId
                                                     : models::KeyChoice::kAccount;
      m.enumeration("key", s.key, &models::parse_key_choice, "a key choice");
      const bool fixed = s.key == models::KeyChoice::kFixed || s.key == models::KeyChoice::kPerDc;
      if (m.has("fixed_key")) {
        if (!fixed) {
          d_.error(m.key_mark("fixed_key"), m.path("fixed_key"),
                   "fixed_key applies to key fixed or per_dc only");
          ok = false;
        } else {
          ok = m.count("fixed_key", s.fixed_key) && ok;
        }
      }
      if (s.key == models::KeyChoice::kNewId && !allocated) {
        d_.error(item, sp, which + " uses key new_id with no allocate_id step before it");
        ok = false;
      }
      if (s.key == models::KeyChoice::kAccount && registers) {
        d_.error(item, sp,
                 which +
                     " uses key account in a business that registers users (the user has no "
                     "account yet); use new_id");
        ok = false;
      }
      const auto only = [&](const char* key, bool applies, const char* where) {
        if (m.has(key) && !applies) {
          d_.error(m.key_mark(key), m.path(key), std::string(key) + " applies to " + where);
          ok = false;
          return false;
        }
        return applies;
      };
      if (only("mode", s.kind == models::StepKind::kWrite, "write steps only")) {
        s.write = s.key == models::KeyChoice::kNewId ? models::WriteMode::kInsert
                                                     : models::WriteMode::kUpdate;
        m.enumeration("mode", s.write, &models::parse_write_mode, "a write mode");
      }
      if (only("fail_if_missing", s.kind == models::StepKind::kRead, "read steps only")) {
        m.boolean("fail_if_missing", s.fail_if_missing);
      }
      if (only("fail_if_stale", s.kind == models::StepKind::kRead, "read steps only")) {
        m.boolean("fail_if_stale", s.fail_if_stale);
      }
      const bool per_dc_decrement =
          s.kind == models::StepKind::kDecrement && s.key == models::KeyChoice::kPerDc;
      if (only("borrow", per_dc_decrement, "decrement steps with key per_dc only")) {
        m.boolean("borrow", s.borrow);
      }
      if (only("initial", per_dc_decrement, "decrement steps with key per_dc only")) {
        if (const YamlNode* in = m.get("initial")) {
          auto v = per_dc_counts(*in, m.path("initial"), 0);
          if (v) s.initial_per_dc = *v;
          ok = ok && v.has_value();
        }
      }
      m.finish();
      if (ok) b.steps.push_back(s);
    }
  }

  // --- sync -----------------------------------------------------------------------------------
  void read_sync(MapReader& top) {
    spec_.sync.assign(spec_.data.size(), models::SyncSpec{});
    MapReader sm(d_, top.get("sync"), "sync", "the sync of each data class, keyed by class");
    for (const YamlNode::Entry* e : sm.entries()) {
      sm.allow({e->key});
      const std::string path = sm.path(e->key);
      const auto cls = find(data_, e->key);
      if (!cls) {
        d_.error(e->key_mark, path, unknown_reference(e->key, data_, "a data class"));
        continue;
      }
      read_class_sync(*e->value, path, spec_.sync[*cls]);
    }
    sm.finish();
  }

  std::string sync_choices() const {
    std::string out = "regenerate, local, or channels (";
    out += channels_.empty() ? std::string("none defined") : names_text(channels_);
    return out + ")";
  }

  void read_class_sync(const YamlNode& n, const std::string& path, models::SyncSpec& s) {
    if (n.kind == YamlNode::Kind::kScalar) {
      if (n.scalar == "regenerate") {
        s.mode = models::SyncMode::kRegenerate;
        return;
      }
      if (n.scalar == "local") {
        s.mode = models::SyncMode::kLocal;
        return;
      }
      if (find(channels_, n.scalar)) {
        read_channel_uses_list({&n}, n, path, s, true);
        return;
      }
      std::vector<std::string> all = {"regenerate", "local"};
      all.insert(all.end(), channels_.begin(), channels_.end());
      std::vector<std::string_view> views(all.begin(), all.end());
      d_.error(n, path,
               quoted(n.scalar) + " is not a sync choice; allowed: " + sync_choices() +
                   sim::did_you_mean(n.scalar, views));
      return;
    }
    if (n.kind == YamlNode::Kind::kSequence) {
      std::vector<const YamlNode*> items;
      for (const auto& i : n.items) items.push_back(i.get());
      read_channel_uses_list(items, n, path, s, false);
      return;
    }
    MapReader m(d_, &n, path, "a sync choice: regenerate, local, a channel or a list of them");
    if (!m.ok()) return;
    const YamlNode* cn = required(m, "channels", "the list of channels");
    if (cn != nullptr) {
      if (cn->kind != YamlNode::Kind::kSequence) {
        d_.error(*cn, m.path("channels"), "expected a list of channels; got " + cn->describe());
      } else {
        std::vector<const YamlNode*> items;
        for (const auto& i : cn->items) items.push_back(i.get());
        read_channel_uses_list(items, *cn, m.path("channels"), s, false);
      }
    }
    m.finish();
  }

  void read_channel_uses_list(const std::vector<const YamlNode*>& items, const YamlNode& at,
                              const std::string& path, models::SyncSpec& s, bool single) {
    s.mode = models::SyncMode::kChannels;
    if (items.empty()) {
      d_.error(at, path, "the list of channels is empty; allowed: " + sync_choices());
      return;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const YamlNode& item = *items[i];
      const std::string ip = single ? path : join_path(path, i);
      models::ChannelUse use;
      std::optional<std::size_t> ch;
      if (item.kind == YamlNode::Kind::kMap) {
        MapReader m(d_, &item, ip, "a channel use: {channel: name, links: [...]}");
        if (const YamlNode* c = required(m, "channel", "the channel's name")) {
          ch = read_reference(d_, *c, m.path("channel"), channels_, "a channel");
        }
        if (const YamlNode* l = m.get("links")) {
          if (auto v = read_links(*l, m.path("links"))) use.links = *v;
        }
        m.finish();
      } else {
        ch = read_reference(d_, item, ip, channels_, "a channel");
      }
      if (!ch) continue;
      use.channel = *ch;
      bool repeated = false;
      for (const models::ChannelUse& u : s.channels) repeated = repeated || u.channel == *ch;
      if (repeated) {
        d_.error(item, ip,
                 "channel " + quoted(channels_[*ch]) +
                     " is listed twice for this class; a class uses each channel once");
        continue;
      }
      s.channels.push_back(use);
    }
  }

  // --- exception handling ---------------------------------------------------------------------
  void read_exceptions(MapReader& top) {
    MapReader e(d_, top.get("exceptions"), "exceptions", "exception handling (step 4)");
    read_fallbacks(e);
    read_oplogs(e);
    read_compensation(e);
    e.finish();
  }

  // Calls `read(entry, key path, class)` for each entry of a map keyed by data class, after
  // reporting (and skipping) keys that name no data class.
  template <typename Read>
  void for_each_class_entry(MapReader& m, Read read) {
    for (const YamlNode::Entry* x : m.entries()) {
      m.allow({x->key});
      const std::string path = m.path(x->key);
      const auto cls = find(data_, x->key);
      if (!cls) {
        d_.error(x->key_mark, path, unknown_reference(x->key, data_, "a data class"));
        continue;
      }
      read(x, path, DataClassId{static_cast<std::uint32_t>(*cls)});
    }
  }

  void read_fallbacks(MapReader& e) {
    MapReader fm(d_, e.get("access_fallback"), "exceptions.access_fallback",
                 "access fallback keyed by data class");
    for_each_class_entry(
        fm, [&](const YamlNode::Entry* x, const std::string& path, DataClassId cls) {
          models::AccessFallbackSpec f;
          f.data_class = cls;
          bool ok = true;
          const YamlNode* owner = nullptr;
          std::string owner_path = path;
          if (x->value->kind == YamlNode::Kind::kScalar && !x->value->is_null()) {
            owner = x->value.get();  // shorthand: `accounts: home`
          } else {
            MapReader m(d_, x->value.get(), path, "an access fallback: {owner, links, timeout}");
            owner = m.get("owner");
            owner_path = m.path("owner");
            if (const YamlNode* l = m.get("links")) {
              auto v = read_links(*l, m.path("links"));
              if (v) f.links = *v;
              ok = ok && v.has_value();
            }
            m.duration("timeout", f.timeout, true);
            double bytes = f.request_bytes;
            if (m.quantity("request_size", bytes, Unit::kBytes, {1, 1e9})) {
              f.request_bytes = static_cast<std::uint32_t>(bytes);
            }
            m.finish();
            ok = ok && m.ok();
          }
          if (owner != nullptr) {
            if (owner->kind == YamlNode::Kind::kScalar && owner->scalar == "home") {
              f.owner = models::AccessFallbackSpec::Owner::kHome;
            } else if (owner->kind == YamlNode::Kind::kScalar && !find(dcs_, owner->scalar)) {
              d_.error(*owner, owner_path,
                       unknown_reference(owner->scalar, dcs_, "a datacenter") +
                           " (or 'home': the user's home datacenter by the routing rule)");
              ok = false;
            } else if (auto r = read_reference(d_, *owner, owner_path, dcs_, "a datacenter")) {
              f.owner = models::AccessFallbackSpec::Owner::kFixed;
              f.owner_dc = DcId{static_cast<std::uint32_t>(*r)};
            } else {
              ok = false;
            }
          }
          if (ok) spec_.exceptions.access_fallback.push_back(f);
        });
    fm.finish();
  }

  void read_oplogs(MapReader& e) {
    MapReader om(d_, e.get("oplog"), "exceptions.oplog", "operation logs keyed by data class");
    for_each_class_entry(
        om, [&](const YamlNode::Entry* x, const std::string& path, DataClassId cls) {
          models::OplogSpec o;
          o.data_class = cls;
          bool ok = true;
          const YamlNode* placement_node = nullptr;
          if (x->value->kind == YamlNode::Kind::kScalar && !x->value->is_null()) {
            placement_node = x->value.get();  // shorthand: `accounts: remote`
            const auto p = read_enum(d_, *x->value, path, &models::parse_oplog_placement,
                                     "an oplog placement");
            if (p) o.placement = *p;
            ok = p.has_value();
          } else {
            MapReader m(d_, x->value.get(), path, "an oplog: {placement, dc, reconcile_delay}");
            placement_node = m.get("placement");
            ok = m.enumeration("placement", o.placement, &models::parse_oplog_placement,
                               "an oplog placement") ||
                 placement_node == nullptr;
            if (const YamlNode* dc = m.get("dc")) {
              if (o.placement != models::OplogPlacement::kRemote) {
                d_.error(m.key_mark("dc"), m.path("dc"),
                         std::string("dc applies to placement remote only (this oplog is at ") +
                             models::to_string(o.placement) + ")");
                ok = false;
              } else if (auto r = read_reference(d_, *dc, m.path("dc"), dcs_, "a datacenter")) {
                o.remote_dc = DcId{static_cast<std::uint32_t>(*r)};
              } else {
                ok = false;
              }
            }
            m.duration("reconcile_delay", o.reconcile_delay);
            m.quantity("reconcile_rate", o.reconcile_rate_per_s, Unit::kRate, Bounds::above(0));
            m.enumeration("write", o.write, &models::parse_oplog_write,
                          "an oplog write mode (async: the op does not wait for the log; sync: it "
                          "waits for the log's ack)");
            m.duration("timeout", o.timeout, true);
            m.enumeration("on_timeout", o.on_timeout, &models::parse_oplog_timeout,
                          "what a sync oplog does when the log misses its timeout (fail: the op "
                          "fails; async: the write is acknowledged and logged later)");
            double ack = o.ack_bytes;
            if (m.quantity("ack_size", ack, Unit::kBytes, {1, 4294967295.0})) {
              o.ack_bytes = static_cast<std::uint32_t>(ack);
            }
            if (o.write != models::OplogWrite::kSync) {
              for (const char* key : {"timeout", "on_timeout", "ack_size"}) {
                if (m.get(key) != nullptr) {
                  d_.error(m.key_mark(key), m.path(key),
                           std::string(key) + " applies to write: sync only (this oplog is async)");
                  ok = false;
                }
              }
            }
            m.finish();
            ok = ok && m.ok();
          }
          if (ok && o.placement == models::OplogPlacement::kRemote && dc_count() < 2) {
            d_.error(placement_node != nullptr ? *placement_node : *x->value, path,
                     "placement remote keeps the log in another datacenter, and there is only one");
            ok = false;
          }
          if (ok) spec_.exceptions.oplogs.push_back(o);
        });
    om.finish();
  }

  void read_compensation(MapReader& e) {
    MapReader c(d_, e.get("compensation"), "exceptions.compensation",
                "user compensation: {target, op_failed, data_lost, stale_data, forced_relogin}");
    models::CompensationSpec& s = spec_.exceptions.compensation;
    c.ratio("target", s.target_ratio, {0, 1, true, false});
    c.number("op_failed", s.cost_op_failed, Bounds::at_least(0));
    c.number("data_lost", s.cost_data_lost, Bounds::at_least(0));
    c.number("stale_data", s.cost_stale_data, Bounds::at_least(0));
    c.number("forced_relogin", s.cost_forced_relogin, Bounds::at_least(0));
    c.finish();
  }

  // --- faults ---------------------------------------------------------------------------------
  void read_faults(MapReader& top) {
    const YamlNode* fn = top.get("faults");
    if (fn == nullptr) return;
    if (fn->kind != YamlNode::Kind::kSequence) {
      d_.error(*fn, "faults",
               "expected a list of faults, each {type: ..., target: ..., at: ..., duration: ...}; "
               "got " +
                   fn->describe());
      return;
    }
    for (std::size_t i = 0; i < fn->items.size(); ++i) {
      read_fault(*fn->items[i], join_path(std::string("faults"), i));
    }
  }

  void read_fault(const YamlNode& n, const std::string& path) {
    MapReader m(d_, &n, path, "a fault: {type, target, at, duration}");
    if (!m.ok()) return;
    models::FaultSpec f;
    bool ok = true;
    const YamlNode* tn = required(m, "type",
                                  "dc_outage, dc_loss, db_loss, link_down, link_degrade, "
                                  "partition, channel_stop, broker_crash or consumer_crash");
    std::optional<models::FaultType> type;
    if (tn != nullptr) {
      type = read_enum(d_, *tn, m.path("type"), &models::parse_fault_type, "a fault type");
    }
    m.allow(
        {"target", "at", "duration", "mtbf", "mttr", "latency_factor", "extra_loss", "consumer"});
    if (!type) {
      m.finish();
      return;
    }
    f.type = *type;
    using FT = models::FaultType;
    const YamlNode* target = required(m, "target", target_help(f.type));
    if (target != nullptr) {
      switch (f.type) {
        case FT::kDcOutage:
        case FT::kDcLoss:
        case FT::kDbLoss:
          if (auto r = read_reference(d_, *target, m.path("target"), dcs_, "a datacenter")) {
            f.dc = DcId{static_cast<std::uint32_t>(*r)};
          } else {
            ok = false;
          }
          break;
        case FT::kLinkDown:
        case FT::kLinkDegrade:
          if (auto r = read_link_ref(*target, m.path("target"))) {
            f.link = *r;
          } else {
            ok = false;
          }
          break;
        case FT::kPartition:
          if (auto refs =
                  read_references(d_, *target, m.path("target"), dcs_, "a datacenter", true)) {
            if (refs->size() >= dc_count()) {
              d_.error(*target, m.path("target"),
                       "a partition cuts some datacenters off from the others; it cannot hold "
                       "every datacenter");
              ok = false;
            }
            for (std::size_t r : *refs) f.dcs.push_back(DcId{static_cast<std::uint32_t>(r)});
          } else {
            ok = false;
          }
          break;
        case FT::kChannelStop:
        case FT::kBrokerCrash:
        case FT::kConsumerCrash:
          if (auto r = read_reference(d_, *target, m.path("target"), channels_, "a channel")) {
            f.channel = *r;
            if (f.type != FT::kChannelStop && !channel_failed_[*r] &&
                spec_.channels[*r].type != models::ChannelType::kMq) {
              d_.error(*target, m.path("target"),
                       std::string(models::to_string(f.type)) + " needs an mq channel; " +
                           quoted(channels_[*r]) + " is of type mysql_replication");
              ok = false;
            }
          } else {
            ok = false;
          }
          break;
      }
    } else {
      ok = false;
    }
    const auto only = [&](const char* key, bool applies, const char* where) {
      if (m.has(key) && !applies) {
        d_.error(m.key_mark(key), m.path(key), std::string(key) + " applies to " + where);
        ok = false;
        return false;
      }
      return applies;
    };
    if (only("latency_factor", f.type == FT::kLinkDegrade, "link_degrade faults only")) {
      ok = (m.number("latency_factor", f.latency_factor, Bounds::between(1, 1e6)) ||
            !m.has("latency_factor")) &&
           ok;
    }
    if (only("extra_loss", f.type == FT::kLinkDegrade, "link_degrade faults only")) {
      ok = (m.ratio("extra_loss", f.extra_loss, {0, 1, false, true}) || !m.has("extra_loss")) && ok;
    }
    if (only("consumer", f.type == FT::kConsumerCrash, "consumer_crash faults only")) {
      if (const YamlNode* c = m.get("consumer")) {
        const int consumers = spec_.channels.empty() || f.channel >= spec_.channels.size()
                                  ? 1
                                  : spec_.channels[f.channel].mq.consumers;
        const auto v = read_int(d_, *c, m.path("consumer"), 0, consumers - 1);
        if (v) f.consumer = static_cast<int>(*v);
        ok = ok && v.has_value();
      }
    }
    const bool at = m.has("at");
    const bool mtbf = m.has("mtbf");
    if (at && mtbf) {
      d_.error(m.key_mark("mtbf"), m.path("mtbf"),
               "at and mtbf are both set; a fault is scheduled (at, duration) or random (mtbf, "
               "mttr), not both");
      ok = false;
    } else if (!at && !mtbf) {
      d_.error(n, path,
               "the fault needs at (a scheduled fault, e.g. at: 5m) or mtbf (random faults, e.g. "
               "mtbf: exp(1h))");
      ok = false;
    }
    if (at) {
      ok = m.time("at", f.at) && ok;
      if (m.has("duration")) ok = m.duration("duration", f.duration, true) && ok;
      if (m.has("mttr")) {
        d_.error(m.key_mark("mttr"), m.path("mttr"),
                 "mttr applies to random faults (with mtbf); a scheduled fault has a duration");
        ok = false;
      }
      if (ok && f.duration != sim::Duration::max() &&
          f.at.ns() > std::numeric_limits<std::int64_t>::max() - f.duration.ns()) {
        d_.error(*m.get("duration"), m.path("duration"),
                 "the fault would end beyond the simulated clock's range");
        ok = false;
      }
    }
    if (mtbf) {
      f.random = true;
      ok = read_positive_mean(m, "mtbf", f.mtbf) && ok;
      if (m.has("mttr")) ok = read_positive_mean(m, "mttr", f.mttr) && ok;
      if (m.has("duration")) {
        d_.error(m.key_mark("duration"), m.path("duration"),
                 "duration applies to scheduled faults (with at); a random fault lasts an mttr "
                 "draw");
        ok = false;
      }
    }
    m.finish();
    if (ok) spec_.faults.push_back(f);
  }

  bool read_positive_mean(MapReader& m, const char* key, sim::Distribution& out) {
    sim::Distribution d = out;
    if (!m.distribution(key, d, Unit::kTime)) return false;
    if (!(d.mean() > 0)) {
      d_.error(*m.get(key), m.path(key),
               std::string(key) + " must have a mean > 0 (a failure every 0s never ends)");
      return false;
    }
    out = d;
    return true;
  }

  static std::string target_help(models::FaultType t) {
    using FT = models::FaultType;
    switch (t) {
      case FT::kDcOutage:
      case FT::kDcLoss:
      case FT::kDbLoss:
        return "the datacenter it hits";
      case FT::kLinkDown:
      case FT::kLinkDegrade:
        return "the link it hits";
      case FT::kPartition:
        return "the datacenters cut off from the others, [a, ...]";
      case FT::kChannelStop:
        return "the channel it stops";
      case FT::kBrokerCrash:
      case FT::kConsumerCrash:
        return "the mq channel it hits";
    }
    return "what it hits";
  }

  // --- derived fields -------------------------------------------------------------------------
  void finish_spec() {
    for (models::ChannelSpec& c : spec_.channels) {
      c.mysql.series_interval = spec_.metrics.series_interval;
      c.mq.series_interval = spec_.metrics.series_interval;
    }
    spec_.workload.data_classes.clear();
    for (const models::DataClassSpec& c : spec_.data) {
      spec_.workload.data_classes.push_back({c.name, c.id_strategy});
    }
    spec_.workload.end = sim::Time::zero() + spec_.run.duration;
  }

  Diagnostics& d_;
  SpecMarks& marks_;
  models::ScenarioSpec spec_;
  std::vector<std::string> dcs_;
  std::vector<std::string> links_;         // index = LinkId
  std::vector<std::string> failed_links_;  // links whose definition was rejected
  std::vector<std::string> data_;
  std::vector<std::string> channels_;
  std::vector<bool> channel_failed_;   // index = channel; its type was not understood
  std::vector<bool> strategy_failed_;  // index = data class; its id_strategy was rejected
  std::vector<std::string> businesses_;
  std::vector<bool> rate_given_;
  std::vector<bool> share_given_;
  std::vector<YamlMark> rate_marks_;
  std::vector<YamlMark> share_marks_;
  models::DiurnalParams default_diurnal_;
  std::vector<models::Burst> default_bursts_;
};

}  // namespace

models::ScenarioSpec convert_scenario(const YamlNode& root, Diagnostics& d, SpecMarks& marks) {
  return Converter(d, marks).run(root);
}

}  // namespace geodes::app
