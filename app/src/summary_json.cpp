#include "geodes/app/summary_json.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "geodes/app/lag_summary.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::app {

namespace {

// ordered_json keeps insertion order, which is what makes the key order a contract.
using Json = nlohmann::ordered_json;

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json lag_ms(const sim::Histogram& h) {
  const LagSummary s = summarize_lag(h);
  Json j = Json::object();
  j["mean"] = number(s.mean_ns / 1e6);
  j["p50"] = number(s.p50_ns / 1e6);
  j["p99"] = number(s.p99_ns / 1e6);
  j["p999"] = number(s.p999_ns / 1e6);
  j["max"] = number(s.max_ns / 1e6);
  return j;
}

// Adds an empty object under `name` to `parent`, refusing a second entry with the same name.
Json& new_entry(Json& parent, const std::string& name, const char* what) {
  if (parent.contains(name)) {
    throw InvalidArgument("summary: two " + std::string(what) + " are named '" + name + "'");
  }
  Json& j = parent[name];
  j = Json::object();
  return j;
}

Json counts_by_name(const std::vector<std::pair<std::string, std::uint64_t>>& counts) {
  Json j = Json::object();
  for (const auto& [name, n] : counts) {
    j[name] = (j.contains(name) ? j[name].get<std::uint64_t>() : 0) + n;
  }
  return j;
}

const char* rto_status(double rto_s) {
  if (std::isnan(rto_s)) return "unknown";
  if (rto_s < 0) return "not_hurt";
  return std::isfinite(rto_s) ? "recovered" : "never_recovered";
}

Json businesses(const std::vector<models::BusinessResult>& list) {
  Json out = Json::object();
  for (const models::BusinessResult& b : list) {
    Json& j = new_entry(out, b.name, "businesses");
    j["attempted"] = b.attempted;
    j["succeeded"] = b.succeeded;
    j["success_ratio"] = number(b.success_ratio());
    j["rto_s"] = b.rto_s >= 0 ? number(b.rto_s) : Json(nullptr);
    j["rto_status"] = rto_status(b.rto_s);
    j["tier"] = b.tier;
    j["failures"] = counts_by_name(b.failures);
    j["cost"] = number(b.cost);
    j["revenue_lost"] = number(b.revenue_lost);
    j["latency_ms"] = lag_ms(b.latency_ns);
    Json by_dc = Json::object();
    for (const models::DcLatencyResult& dc : b.by_dc) {
      Json& dj = new_entry(by_dc, dc.dc, ("serving DCs of business '" + b.name + "'").c_str());
      dj["latency_ms"] = lag_ms(dc.latency_ns);
    }
    j["by_dc"] = std::move(by_dc);
  }
  return out;
}

Json data_classes(const std::vector<models::DataClassResult>& list) {
  Json out = Json::object();
  for (const models::DataClassResult& d : list) {
    Json& j = new_entry(out, d.name, "data classes");
    j["writes"] = d.writes;
    j["lag_ms"] = lag_ms(d.lag_ns);
    j["bound_violations"] = d.bound_violations;
    j["stale_reads"] = d.stale_reads;
    j["lost"] = d.lost;
    j["recovered"] = d.recovered;
    j["divergent_keys"] = d.divergent_keys;
    j["order_violations"] = d.order_violations;
    j["uniqueness_conflicts"] = d.uniqueness_conflicts;
    j["regenerated"] = d.regenerated;
    j["expired"] = d.expired;
    j["rpo_s"] = number(d.rpo_s);
    j["undelivered"] = d.undelivered;
    Json fb = Json::object();
    fb["calls"] = d.fallback.calls;
    fb["found"] = d.fallback.found;
    fb["not_found"] = d.fallback.not_found;
    fb["owner_down"] = d.fallback.owner_down;
    fb["unreachable"] = d.fallback.unreachable;
    fb["latency_ms"] = lag_ms(d.fallback.latency_ns);
    j["fallback"] = std::move(fb);
    j["oplog_timeouts"] = d.oplog_timeouts;
    Json replicas = Json::object();
    for (const models::ReplicaLagResult& r : d.replicas) {
      Json& rj = new_entry(replicas, r.dc, ("replicas of data class '" + d.name + "'").c_str());
      rj["lag_ms"] = lag_ms(r.lag_ns);
    }
    j["replicas"] = std::move(replicas);
  }
  return out;
}

Json channels(const std::vector<models::ChannelResult>& list) {
  Json out = Json::object();
  for (const models::ChannelResult& c : list) {
    Json& j = new_entry(out, c.name, "channels");
    j["delivered"] = c.delivered;
    j["duplicates"] = c.duplicates;
    j["lost_in_transit"] = c.lost_in_transit;
    j["lag_ms"] = lag_ms(c.lag_ns);
    j["stopped_s"] = number(c.stopped_s);
    j["type"] = c.type;
    j["data_class"] = c.data_class;
    j["source"] = c.source;
    j["replica"] = c.replica;
    j["path"] = c.path;
    j["errors_1062"] = c.errors_1062;
    j["disconnected_s"] = number(c.disconnected_s);
    j["commit_latency_ms"] = lag_ms(c.commit_latency_ns);
  }
  return out;
}

Json compensation(const models::CompensationResult& c) {
  Json j = Json::object();
  j["affected_users"] = c.affected_users;
  j["affected_ratio"] = number(c.affected_ratio());
  j["cost"] = number(c.cost);
  j["by_cause"] = counts_by_name(c.by_cause);
  Json costs = Json::object();
  for (const auto& [name, cost] : c.cost_by_cause) costs[name] = number(cost);
  j["cost_by_cause"] = std::move(costs);
  j["users"] = c.users;
  j["target_ratio"] = number(c.target_ratio);
  return j;
}

Json faults(const std::vector<models::FaultRecord>& list) {
  Json out = Json::array();
  for (const models::FaultRecord& f : list) {
    Json j = Json::object();
    j["type"] = f.type;
    j["target"] = f.target;
    j["start_s"] = number(f.start_s);
    j["end_s"] = f.end_s >= 0 ? number(f.end_s) : Json(nullptr);
    j["detail"] = f.detail;
    out.push_back(std::move(j));
  }
  return out;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace

std::string summary_json(const models::RunResults& results, const SummaryOptions& options) {
  Json j = Json::object();
  j["scenario"] = results.scenario;
  j["seed"] = results.seed;
  j["sim_time_s"] = number(results.sim_time_s);
  j["events"] = results.events;
  if (options.include_wall_time) j["wall_s"] = number(results.wall_s);
  if (!options.command_line.empty()) j["command_line"] = options.command_line;
  j["businesses"] = businesses(results.businesses);
  j["data"] = data_classes(results.data);
  j["channels"] = channels(results.channels);
  j["compensation"] = compensation(results.compensation);
  j["complete"] = results.complete;
  if (!results.complete) j["stopped_by"] = results.stopped_by;
  j["fingerprint"] = hex(results.fingerprint);
  j["faults"] = faults(results.faults);
  // Invalid UTF-8 in a name is replaced (U+FFFD) rather than failing the whole summary.
  return j.dump(options.indent, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace geodes::app
