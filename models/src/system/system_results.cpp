// System::results(): the end-of-run metrics, exactly as DESIGN.md "Metrics" defines them.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "system_impl.hpp"

namespace geodes::models {

namespace {

SeriesResult sample_series(std::string name, std::string unit, const sim::SampleSeries& s) {
  SeriesResult r{std::move(name), std::move(unit), s.interval(), {}, {}};
  for (std::size_t i = 0; i < s.size(); ++i) {
    r.mean.push_back(s.mean(i));
    r.max.push_back(s.max(i));
  }
  return r;
}

SeriesResult gauge_series(std::string name, std::string unit, const sim::GaugeSeries& s) {
  SeriesResult r{std::move(name), std::move(unit), s.interval(), {}, {}};
  for (std::size_t i = 0; i < s.size(); ++i) {
    r.mean.push_back(s.mean(i));
    r.max.push_back(s.max(i));
  }
  return r;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3gs", s);
  return buf;
}

}  // namespace

std::vector<DcId> System::Impl::surviving_dcs() const {
  std::vector<DcId> out;
  for (std::uint32_t d = 0; d < dc_count; ++d) {
    if (!dc_destroyed[d]) out.push_back(DcId{d});
  }
  return out;
}

RunResults System::Impl::results() const {
  RunResults r;
  r.scenario = spec.name;
  r.seed = seed;
  r.sim_time_s = engine.now().seconds();
  r.events = engine.events_executed();
  r.fingerprint = engine.fingerprint();
  r.complete = engine.now() >= sim::Time::zero() + spec.run.duration + spec.run.drain;
  const sim::Time now = engine.now();
  const std::vector<DcId> alive = surviving_dcs();
  const auto dc_name = [&](DcId d) { return spec.topology.datacenter(d).name; };

  // Which user owns a row keyed by an account id (for compensation of lost data): (account,
  // user) pairs sorted by account, the first registered user of an account first.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> user_of_account;
  user_of_account.reserve(workload->registered_users());
  for (std::uint64_t rank = 0; rank < workload->registered_users(); ++rank) {
    const std::uint64_t user = workload->registered_user(rank);
    user_of_account.emplace_back(workload->account(user), rank);
  }
  std::sort(user_of_account.begin(), user_of_account.end());
  for (auto& [account, rank] : user_of_account) rank = workload->registered_user(rank);
  const auto owner_of = [&](std::uint64_t account) -> std::optional<std::uint64_t> {
    const auto it = std::lower_bound(user_of_account.begin(), user_of_account.end(),
                                     std::make_pair(account, std::uint64_t{0}));
    if (it == user_of_account.end() || it->first != account) return std::nullopt;
    return it->second;
  };
  const std::uint64_t registered = workload->registered_users();
  Compensation comp = *compensation;

  // --- data classes -----------------------------------------------------------------------------
  std::vector<double> rpo_by_destruction(destructions.size(), 0);
  std::vector<std::uint64_t> lost_by_destruction(destructions.size(), 0);
  std::size_t divergence_left = spec.metrics.divergence_sample;
  for (std::uint32_t c = 0; c < class_count; ++c) {
    const DataClassId cls{c};
    const DataClassSpec& ds = spec.data[c];
    const SyncMode mode = spec.sync[c].mode;
    const DataClassCounts& counts = workload->data_class_counts(cls);
    DataClassResult d;
    d.name = ds.name;
    for (const std::uint64_t n : tracked_commits[c]) d.writes += n;
    d.stale_reads = counts.stale_reads;
    d.bound_violations = bound_violations[c];
    d.regenerated = counts.regenerated;
    for (std::size_t dc = 0; dc < dc_count; ++dc) d.expired += stores[dc][c]->stats().expired;
    if (!trackers[c].empty()) {
      for (std::uint32_t rep = 0; rep < dc_count; ++rep) {
        const sim::Histogram& h = trackers[c][rep]->lag();
        d.lag_ns.merge(h);
        d.replicas.push_back(ReplicaLagResult{dc_name(DcId{rep}), h});
        // Every write committed elsewhere (after the warm-up) should have arrived here once, over
        // a channel or with a rebuild snapshot. A DC destroyed for good expects nothing.
        if (dc_destroyed[rep]) continue;
        const std::uint64_t expected = expected_arrivals(c, DcId{rep});
        const std::uint64_t arrived =
            trackers[c][rep]->stats().first_arrivals + snapshot_arrivals[c][rep];
        if (expected > arrived) d.undelivered += expected - arrived;
      }
      if (spec.run.drain >= ds.bound) d.bound_violations += d.undelivered;
    }
    for (std::size_t dc = 0; dc < dc_count; ++dc) {
      d.order_violations += stores[dc][c]->stats().order_violations;
    }
    if (const IdAllocator* a = workload->allocator(cls); a != nullptr) {
      d.uniqueness_conflicts = a->conflicts();
    }
    for (const Reconciliation& job : reconciliations) {
      if (oplogs[job.oplog]->spec().data_class == cls) d.recovered += job.recovered;
    }
    if (oplog_of_class[c] >= 0) d.oplog_timeouts = oplog_sync_timeouts[oplog_of_class[c]];
    const FallbackCounts& fb = workload->fallback_counts(cls);
    d.fallback = FallbackResult{fb.calls,      fb.found,       fb.not_found,
                                fb.owner_down, fb.unreachable, fb.latency_ns};

    // Lost: acknowledged, the newest version of its key, and held by no DC that should hold it
    // and by no surviving oplog. Regenerated data is never lost, only re-created.
    if (mode != SyncMode::kRegenerate) {
      const Oplog* log = oplog_of_class[c] >= 0 ? oplogs[oplog_of_class[c]].get() : nullptr;
      for (const std::uint64_t key : workload->truth().keys(cls)) {
        const Committed* latest = workload->truth().latest(cls, key);
        if (latest->deleted || !acknowledged(latest->version())) continue;
        if (now - latest->commit_time >= ds.ttl) continue;  // expired: gone by design, not lost
        bool held = false;
        if (mode == SyncMode::kChannels) {
          for (DcId dc : alive)
            held = held || holds(stores[dc.value][c]->find(key), latest->version());
        } else {
          const DcId origin = latest->version().origin;
          held = !dc_destroyed[origin.value] &&
                 holds(stores[origin.value][c]->find(key), latest->version());
        }
        if (!held && log != nullptr) {
          const std::optional<OplogEntry> e = log->find(key);
          held =
              e && e->durable_at <= now &&
              (e->write.version == latest->version() || newer(e->write.version, latest->version()));
        }
        if (held) continue;
        ++d.lost;
        // Lossable data (a password: the user resets it) hurts nobody when lost.
        if (const std::optional<std::uint64_t> owner = owner_of(key); !ds.lossable && owner) {
          comp.affect(*owner, CompensationCause::kDataLost);
        }
        for (std::size_t i = 0; i < destructions.size(); ++i) {
          const Destruction& x = destructions[i];
          if (x.dc != latest->version().origin || x.at < latest->commit_time) continue;
          const double span = (x.at - latest->commit_time).seconds();
          d.rpo_s = std::max(d.rpo_s, span);
          rpo_by_destruction[i] = std::max(rpo_by_destruction[i], span);
          ++lost_by_destruction[i];
          break;
        }
      }
    }

    // Divergent keys between the DCs that still have storage.
    if (mode == SyncMode::kChannels && alive.size() >= 2) {
      std::set<std::uint64_t> keys;
      const Store& first = *stores[alive[0].value][c];
      for (std::size_t j = 1; j < alive.size(); ++j) {
        for (const std::uint64_t k : divergent_keys(first, *stores[alive[j].value][c])) {
          keys.insert(k);
        }
      }
      d.divergent_keys = keys.size();
      for (const std::uint64_t k : keys) {
        if (divergence_left == 0) break;
        --divergence_left;
        DivergentKey dk;
        dk.data_class = ds.name;
        dk.key = k;
        for (DcId dc : alive) {
          const std::optional<Row> row = stores[dc.value][c]->find(k);
          DivergentKey::Copy copy;
          copy.dc = dc_name(dc);
          copy.present = live(row);
          if (row) {
            copy.origin = row->version.origin.value;
            copy.seq = row->version.seq;
            copy.hlc = row->version.hlc;
            copy.value = row->value;
          }
          dk.copies.push_back(copy);
        }
        r.divergence.push_back(std::move(dk));
      }
    }
    r.data.push_back(std::move(d));
  }

  // --- businesses -------------------------------------------------------------------------------
  const std::vector<FaultOccurrence>& occurrences = timeline->occurrences();
  std::vector<std::vector<double>> rto_by_occurrence(occurrences.size());
  for (std::uint32_t b = 0; b < spec.workload.businesses.size(); ++b) {
    const BusinessId id{b};
    const BusinessParams& bp = spec.workload.businesses[b];
    const OutcomeCounts& counts = workload->business_counts(id);
    BusinessResult br;
    br.name = bp.name;
    br.tier = bp.tier;
    br.attempted = counts.attempted;
    br.succeeded = counts.succeeded;
    for (std::size_t cause = 1; cause < kFailureCauseCount; ++cause) {
      if (counts.by_cause[cause] > 0) {
        br.failures.emplace_back(to_string(static_cast<FailureCause>(cause)),
                                 counts.by_cause[cause]);
      }
    }
    const double target =
        spec.businesses.empty() ? BusinessSpec{}.target_success : spec.businesses[b].target_success;
    const double value =
        spec.businesses.empty() ? BusinessSpec{}.value_per_op : spec.businesses[b].value_per_op;
    br.revenue_lost = static_cast<double>(counts.failed) * value;
    for (std::uint32_t d = 0; d < dc_count; ++d) {
      br.latency_ns.merge(latency_by_dc[b][d]);
      br.by_dc.push_back(DcLatencyResult{dc_name(DcId{d}), latency_by_dc[b][d]});
    }
    br.rto_s = -1;
    for (std::size_t i = 0; i < occurrences.size(); ++i) {
      const double rto = availability->rto_s(id, occurrences[i].start, occurrences[i].end, target,
                                             spec.metrics.rto_window, now);
      rto_by_occurrence[i].push_back(rto);
      br.rto_s = std::max(br.rto_s, rto);
    }
    r.businesses.push_back(std::move(br));
  }
  for (std::uint32_t b = 0; b < r.businesses.size(); ++b)
    r.businesses[b].cost = comp.cost(BusinessId{b});
  r.compensation = comp.result(registered);

  // --- channels ---------------------------------------------------------------------------------
  const auto link_names = [&](const Path& p) {
    std::vector<std::string> names;
    for (const LinkId l : p.links) names.push_back(spec.topology.link(l).name);
    return names;
  };
  for (const MysqlInstance& m : mysql) {
    const MysqlChannelStats& s = m.channel->stats();
    ChannelResult ch;
    ch.name = m.name;
    ch.type = "mysql_replication";
    std::vector<std::string> classes;
    for (std::size_t c = 0; c < class_count; ++c) {
      if (m.use_of_class[c] >= 0) classes.push_back(spec.data[c].name);
    }
    ch.data_class = join(classes, ",");
    ch.source = dc_name(m.source);
    ch.replica = dc_name(m.replica);
    ch.path = link_names(m.channel->path());
    ch.delivered = s.delivered;
    ch.duplicates = s.errors_1062;
    ch.lost_in_transit = m.lost_in_transit;
    ch.errors_1062 = s.errors_1062;
    ch.stopped_s = (s.stopped + s.replication_stopped).seconds();
    ch.disconnected_s = s.disconnected.seconds();
    ch.lag_ns = m.channel->lag();
    ch.commit_latency_ns = m.channel->commit_latency();
    r.channels.push_back(std::move(ch));
    r.series.push_back(gauge_series("backlog/" + m.name, "writes", m.channel->backlog_series()));
    r.series.push_back(sample_series("channel_lag/" + m.name, "ns", m.channel->lag_series()));
  }
  for (const MqInstance& m : mq) {
    const MqChannelStats& s = m.channel->stats();
    ChannelResult ch;
    ch.name = m.name;
    ch.type = "mq";
    ch.data_class = spec.data[m.cls.value].name;
    ch.source = dc_name(m.source);
    ch.replica = dc_name(m.replica);
    std::vector<std::string> path = link_names(m.channel->produce_path());
    for (const std::string& l : link_names(m.channel->consume_path())) path.push_back(l);
    ch.path = path;
    ch.delivered = s.delivered;
    ch.duplicates = s.duplicates;
    ch.lost_in_transit = s.lost_in_transit;
    ch.stopped_s = s.stopped.seconds();
    ch.lag_ns = m.channel->lag();
    r.channels.push_back(std::move(ch));
    r.series.push_back(sample_series("channel_lag/" + m.name, "ns", m.channel->lag_series()));
    const auto& partitions = m.channel->consumer_lag_messages();
    for (std::size_t p = 0; p < partitions.size(); ++p) {
      r.series.push_back(gauge_series("consumer_lag/" + m.name + "/p" + std::to_string(p),
                                      "messages", partitions[p]));
    }
  }

  // --- series -----------------------------------------------------------------------------------
  for (std::uint32_t c = 0; c < class_count; ++c) {
    for (std::uint32_t rep = 0; rep < class_lag_series[c].size(); ++rep) {
      r.series.push_back(sample_series("lag/" + spec.data[c].name + "/" + dc_name(DcId{rep}), "ns",
                                       class_lag_series[c][rep]));
    }
  }
  for (std::uint32_t b = 0; b < spec.workload.businesses.size(); ++b) {
    r.series.push_back(sample_series("availability/" + spec.workload.businesses[b].name, "ratio",
                                     availability->business(BusinessId{b})));
  }
  for (std::uint32_t d = 0; d < dc_count; ++d) {
    r.series.push_back(
        sample_series("availability_dc/" + dc_name(DcId{d}), "ratio", availability->dc(DcId{d})));
  }
  for (std::uint32_t b = 0; b < spec.workload.businesses.size(); ++b) {
    r.series.push_back(
        sample_series("latency/" + spec.workload.businesses[b].name, "ns", latency_series[b]));
  }

  // --- faults -----------------------------------------------------------------------------------
  for (std::size_t i = 0; i < occurrences.size(); ++i) {
    const FaultOccurrence& o = occurrences[i];
    const FaultSpec& f = spec.faults[o.fault];
    FaultRecord rec;
    rec.type = to_string(f.type);
    switch (f.type) {
      case FaultType::kDcOutage:
      case FaultType::kDcLoss:
      case FaultType::kDbLoss:
        rec.target = dc_name(f.dc);
        break;
      case FaultType::kLinkDown:
      case FaultType::kLinkDegrade:
        rec.target = spec.topology.link(f.link).name;
        break;
      case FaultType::kPartition: {
        std::vector<std::string> names;
        for (DcId d : f.dcs) names.push_back(dc_name(d));
        rec.target = join(names, ",");
        break;
      }
      case FaultType::kChannelStop:
      case FaultType::kBrokerCrash:
        rec.target = spec.channels[f.channel].name;
        break;
      case FaultType::kConsumerCrash:
        rec.target = spec.channels[f.channel].name + "#" + std::to_string(f.consumer);
        break;
    }
    rec.start_s = o.start.seconds();
    rec.end_s = o.end == sim::Time::max() ? -1 : o.end.seconds();
    std::vector<std::string> detail;
    for (std::size_t x = 0; x < destructions.size(); ++x) {
      if (destructions[x].occurrence != i) continue;
      detail.push_back("lost " + std::to_string(lost_by_destruction[x]) + " writes, RPO " +
                       seconds_text(rpo_by_destruction[x]));
      for (const Reconciliation& job : reconciliations) {
        if (job.faulted != destructions[x].dc || job.started < o.start ||
            (i + 1 < occurrences.size() && job.started > occurrences[i + 1].start &&
             occurrences[i + 1].fault == o.fault)) {
          continue;
        }
        const std::string what = spec.data[oplogs[job.oplog]->spec().data_class.value].name;
        detail.push_back("oplog " + what + ": recovered " + std::to_string(job.recovered) +
                         ", repaired " + std::to_string(job.repaired) +
                         (job.finished == sim::Time::max()
                              ? std::string(", unfinished")
                              : ", done at " + seconds_text(job.finished.seconds())));
      }
    }
    for (std::size_t b = 0; b < rto_by_occurrence[i].size(); ++b) {
      const double rto = rto_by_occurrence[i][b];
      if (rto < 0) continue;
      detail.push_back("RTO " + spec.workload.businesses[b].name + " " +
                       (std::isfinite(rto) ? seconds_text(rto) : std::string("never")));
    }
    rec.detail = join(detail, "; ");
    r.faults.push_back(std::move(rec));
  }
  return r;
}

}  // namespace geodes::models
