#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/rounding.hpp"
#include "system_impl.hpp"

namespace geodes::models {

// ================================================================================================
// Construction

System::Impl::Impl(const ScenarioSpec& s, std::uint64_t master_seed)
    : spec(s),
      seed(master_seed),
      dc_count(s.topology.datacenter_count()),
      class_count(s.data.size()) {
  validate();
  network = std::make_unique<Network>(engine, spec.topology, seed);
  dc_down_count.assign(dc_count, 0);
  dc_destroyed.assign(dc_count, 0);
  link_down_count.assign(spec.topology.link_count(), 0);
  link_degrade.assign(spec.topology.link_count(), nullptr);
  channel_stop_count.assign(spec.channels.size(), 0);
  build_stores();
  build_channels();
  build_exceptions();
  build_workload();
  const sim::Time until = sim::Time::zero() + spec.run.duration;
  timeline = std::make_unique<FaultTimeline>(engine, spec.faults, *this, until, seed);
  workload->start();
  timeline->start();
}

void System::Impl::validate() const {
  if (dc_count == 0) throw InvalidArgument("scenario: the topology has no datacenters");
  if (spec.sync.size() != class_count) {
    throw InvalidArgument("scenario: sync has " + str(spec.sync.size()) + " entries for " +
                          str(class_count) + " data classes");
  }
  if (spec.run.duration <= sim::Duration::zero()) {
    throw InvalidArgument("scenario: duration must be > 0");
  }
  if (spec.run.warmup < sim::Duration::zero() || spec.run.warmup >= spec.run.duration) {
    throw InvalidArgument("scenario: warmup must be >= 0 and shorter than the duration");
  }
  if (spec.run.drain < sim::Duration::zero()) throw InvalidArgument("scenario: drain is negative");
  if (!spec.businesses.empty() && spec.businesses.size() != spec.workload.businesses.size()) {
    throw InvalidArgument("scenario: " + str(spec.businesses.size()) + " business specs for " +
                          str(spec.workload.businesses.size()) + " businesses");
  }
  for (std::size_t c = 0; c < class_count; ++c) {
    const SyncSpec& sync = spec.sync[c];
    const std::string where = "data class '" + spec.data[c].name + "': ";
    if (sync.mode == SyncMode::kChannels && sync.channels.empty()) {
      throw InvalidArgument(where + "sync over channels names no channel");
    }
    if (sync.mode != SyncMode::kChannels && !sync.channels.empty()) {
      throw InvalidArgument(where + "channels are given but the sync mode is " +
                            to_string(sync.mode));
    }
    if (sync.channels.size() > 64) throw InvalidArgument(where + "more than 64 channels");
    for (const ChannelUse& u : sync.channels) {
      if (u.channel >= spec.channels.size()) {
        throw InvalidArgument(where + "uses channel " + str(u.channel) + "; there are " +
                              str(spec.channels.size()));
      }
    }
  }
  for (const ChannelSpec& ch : spec.channels) {
    if (ch.broker_dc && ch.broker_dc->value >= dc_count) {
      throw InvalidArgument("channel '" + ch.name + "': the broker DC is unknown");
    }
  }
  for (std::size_t i = 0; i < spec.faults.size(); ++i) {
    const FaultSpec& f = spec.faults[i];
    const std::string where = "faults[" + str(i) + "] (" + to_string(f.type) + "): ";
    switch (f.type) {
      case FaultType::kDcOutage:
      case FaultType::kDcLoss:
      case FaultType::kDbLoss:
        if (f.dc.value >= dc_count) throw InvalidArgument(where + "unknown DC");
        break;
      case FaultType::kLinkDown:
      case FaultType::kLinkDegrade:
        if (f.link.value >= spec.topology.link_count()) {
          throw InvalidArgument(where + "unknown link");
        }
        if (f.type == FaultType::kLinkDegrade &&
            (!(f.latency_factor >= 1) || !(f.extra_loss >= 0 && f.extra_loss < 1))) {
          throw InvalidArgument(where + "latency_factor must be >= 1, extra_loss in [0, 1)");
        }
        break;
      case FaultType::kPartition:
        if (f.dcs.empty()) throw InvalidArgument(where + "no DCs to cut off");
        for (DcId d : f.dcs) {
          if (d.value >= dc_count) throw InvalidArgument(where + "unknown DC");
        }
        break;
      case FaultType::kChannelStop:
      case FaultType::kBrokerCrash:
      case FaultType::kConsumerCrash:
        if (f.channel >= spec.channels.size()) throw InvalidArgument(where + "unknown channel");
        if (f.type != FaultType::kChannelStop &&
            spec.channels[f.channel].type != ChannelType::kMq) {
          throw InvalidArgument(where + "channel '" + spec.channels[f.channel].name +
                                "' is not an mq channel");
        }
        if (f.type == FaultType::kConsumerCrash &&
            (f.consumer < 0 || f.consumer >= spec.channels[f.channel].mq.consumers)) {
          throw InvalidArgument(where + "consumer " + std::to_string(f.consumer) +
                                " does not exist (the group has " +
                                std::to_string(spec.channels[f.channel].mq.consumers) + ")");
        }
        break;
    }
  }
}

void System::Impl::build_stores() {
  stores.resize(dc_count);
  outgoing.assign(dc_count, std::vector<std::vector<Outgoing>>(class_count));
  for (std::uint32_t d = 0; d < dc_count; ++d) {
    clocks.emplace_back(DcId{d});
    for (std::uint32_t c = 0; c < class_count; ++c) {
      stores[d].push_back(std::make_unique<Store>(
          DcId{d}, spec.data[c].name, key_sizing(spec, DataClassId{c}), spec.data[c].ttl));
    }
  }
}

const Path& System::Impl::path(DcId from, DcId to, const std::vector<LinkId>& links) {
  const auto key = std::make_tuple(from.value, to.value, links);
  auto it = pinned.find(key);
  if (it == pinned.end()) {
    it = pinned.emplace(key, spec.topology.shortest_path(from, to, links)).first;
  }
  return it->second;
}

const Path& System::Impl::route(DcId from, DcId to, const std::vector<LinkId>& links) {
  const Path& best = path(from, to, links);
  if (network->is_up(best)) return best;
  // IP routing around a cut: the shortest path over the allowed links that are up now. Worked
  // out again only after a link changed state (link_epoch).
  Detour& d = detours[std::make_tuple(from.value, to.value, links)];
  if (d.epoch == link_epoch) return d.found ? d.path : best;
  d.epoch = link_epoch;
  d.found = false;
  std::vector<LinkId> up;
  for (std::uint32_t l = 0; l < spec.topology.link_count(); ++l) {
    const LinkId id{l};
    const bool allowed = links.empty() || std::find(links.begin(), links.end(), id) != links.end();
    if (allowed && network->state(id).condition != LinkCondition::kDown) up.push_back(id);
  }
  if (up.empty()) return best;
  try {
    d.path = spec.topology.shortest_path(from, to, up);
    d.found = true;
  } catch (const InvalidArgument&) {
    return best;  // the links that are up do not join the two DCs
  }
  return d.path;
}

void System::Impl::build_channels() {
  trackers.resize(class_count);
  class_lag_series.resize(class_count);
  bound_violations.assign(class_count, 0);
  tracked_commits.assign(class_count, std::vector<std::uint64_t>(dc_count, 0));
  snapshot_arrivals.assign(class_count, std::vector<std::uint64_t>(dc_count, 0));
  semi_sync_class.assign(class_count, 0);
  std::vector<std::size_t> classes_per_channel(spec.channels.size(), 0);
  for (const SyncSpec& sync : spec.sync) {
    for (const ChannelUse& u : sync.channels) ++classes_per_channel[u.channel];
  }
  // MySQL instances are shared by the classes that use one configuration over the same links.
  std::map<std::tuple<std::size_t, std::vector<LinkId>, std::uint32_t, std::uint32_t>, std::size_t>
      mysql_index;
  for (std::uint32_t c = 0; c < class_count; ++c) {
    const SyncSpec& sync = spec.sync[c];
    if (sync.mode != SyncMode::kChannels) continue;
    const DataClassId cls{c};
    for (std::uint32_t r = 0; r < dc_count; ++r) {
      trackers[c].push_back(
          std::make_unique<FirstArrivalTracker>(static_cast<int>(sync.channels.size())));
      class_lag_series[c].emplace_back(spec.metrics.series_interval);
    }
    for (std::size_t u = 0; u < sync.channels.size(); ++u) {
      const ChannelUse& use = sync.channels[u];
      const ChannelSpec& config = spec.channels[use.channel];
      const int use_index = static_cast<int>(u);
      for (std::uint32_t s = 0; s < dc_count; ++s) {
        for (std::uint32_t r = 0; r < dc_count; ++r) {
          if (s == r) continue;
          const DcId source{s};
          const DcId replica{r};
          const std::string pair =
              spec.topology.datacenter(source).name + "->" + spec.topology.datacenter(replica).name;
          if (config.type == ChannelType::kMysqlReplication) {
            if (config.mysql.mode == ReplicationMode::kSemiSync) semi_sync_class[c] = 1;
            const auto key = std::make_tuple(use.channel, use.links, s, r);
            auto it = mysql_index.find(key);
            if (it == mysql_index.end()) {
              MysqlChannelParams params = config.mysql;
              params.name = config.name;
              params.series_interval = spec.metrics.series_interval;
              MysqlInstance inst;
              inst.config = use.channel;
              inst.links = use.links;
              inst.source = source;
              inst.replica = replica;
              inst.use_of_class.assign(class_count, -1);
              inst.name = config.name + ":" + pair;
              // Each instance draws from its own stream: the name is unique per instance.
              params.name = inst.name;
              inst.channel =
                  std::make_unique<MysqlChannel>(*network, path(source, replica, use.links),
                                                 *stores[s][c], *stores[r][c], params, seed);
              const std::size_t index = mysql.size();
              mysql.push_back(std::move(inst));
              it = mysql_index.emplace(key, index).first;
              MysqlChannel& ch = *mysql[index].channel;
              ch.set_arrival_listener([this, index](const Write& w, ApplyResult) {
                const MysqlInstance& m = mysql[index];
                on_arrival(w, m.replica, m.use_of_class[w.data_class.value]);
              });
              ch.set_apply_listener(
                  [this, index](const Write& w) { on_applied(w, mysql[index].replica); });
              // Only a semi-sync channel's ack releases a waiting client (an async one acks every
              // commit at once; MySQL waits for the first semi-sync replica).
              if (params.mode == ReplicationMode::kSemiSync) {
                ch.set_ack_listener([this](const Write& w, sim::Time) {
                  settle(VersionKey{w.version.origin.value, w.version.seq}, kAwaitReplica);
                });
              }
            }
            MysqlInstance& inst = mysql[it->second];
            inst.use_of_class[c] = use_index;
            inst.channel->add_data_class(cls, *stores[r][c]);
            outgoing[s][c].push_back(Outgoing{true, it->second});
          } else {
            MqChannelParams params = config.mq;
            const DcId broker = config.broker_dc.value_or(source);
            MqInstance inst;
            inst.config = use.channel;
            inst.cls = cls;
            inst.use = use_index;
            inst.source = source;
            inst.replica = replica;
            inst.broker = broker;
            // One topic per class: the class is in the name only when the configuration
            // carries several (names must be unique; short ones fit the summary's table).
            inst.name = classes_per_channel[use.channel] > 1
                            ? config.name + ":" + spec.data[c].name + ":" + pair
                            : config.name + ":" + pair;
            params.name = inst.name;
            params.series_interval = spec.metrics.series_interval;
            inst.channel = std::make_unique<MqChannel>(*network, path(source, broker, use.links),
                                                       path(broker, replica, use.links),
                                                       *stores[r][c], params, seed);
            const std::size_t index = mq.size();
            mq.push_back(std::move(inst));
            mq[index].channel->set_arrival_listener([this, index](const Write& w, ApplyResult v) {
              const MqInstance& m = mq[index];
              on_arrival(w, m.replica, m.use);
              if (v == ApplyResult::kApplied) on_applied(w, m.replica);
            });
            outgoing[s][c].push_back(Outgoing{false, index});
          }
        }
      }
    }
  }
  name_channels_uniquely();
}

void System::Impl::name_channels_uniquely() {
  // One configuration used twice by a class over different links gives two instances per pair:
  // they are told apart by their links (results are keyed by name).
  std::map<std::string, int> uses;
  for (const MysqlInstance& m : mysql) ++uses[m.name];
  for (const MqInstance& m : mq) ++uses[m.name];
  const auto via = [&](const Path& p) {
    std::string text = " via";
    for (const LinkId l : p.links) text += " " + spec.topology.link(l).name;
    return text;
  };
  for (MysqlInstance& m : mysql) {
    if (uses[m.name] > 1) m.name += via(m.channel->path());
  }
  for (MqInstance& m : mq) {
    if (uses[m.name] > 1) m.name += via(m.channel->consume_path());
  }
  std::map<std::string, int> seen;
  for (MysqlInstance& m : mysql) {
    if (seen[m.name]++ > 0) m.name += " #" + std::to_string(seen[m.name]);
  }
  for (MqInstance& m : mq) {
    if (seen[m.name]++ > 0) m.name += " #" + std::to_string(seen[m.name]);
  }
}

void System::Impl::build_exceptions() {
  oplog_of_class.assign(class_count, -1);
  for (const OplogSpec& o : spec.exceptions.oplogs) {
    if (o.data_class.value >= class_count) throw InvalidArgument("oplog: unknown data class");
    if (oplog_of_class[o.data_class.value] >= 0) {
      throw InvalidArgument("oplog: a second oplog for data class '" +
                            spec.data[o.data_class.value].name + "'");
    }
    if (o.reconcile_delay < sim::Duration::zero() || !(o.reconcile_rate_per_s > 0)) {
      throw InvalidArgument("oplog of '" + spec.data[o.data_class.value].name +
                            "': reconcile_delay must be >= 0 and reconcile_rate > 0");
    }
    if (o.write == OplogWrite::kSync && o.timeout <= sim::Duration::zero()) {
      throw InvalidArgument("oplog of '" + spec.data[o.data_class.value].name +
                            "': a sync oplog's timeout must be > 0");
    }
    oplog_of_class[o.data_class.value] = static_cast<int>(oplogs.size());
    oplogs.push_back(std::make_unique<Oplog>(o, dc_count, key_sizing(spec, o.data_class)));
    oplog_pending.emplace_back(dc_count);
    oplog_rngs.emplace_back(seed, "oplog/" + spec.data[o.data_class.value].name + "/write");
    oplog_sync_timeouts.push_back(0);
  }
  fallback_links.assign(class_count, {});
  for (const AccessFallbackSpec& f : spec.exceptions.access_fallback) {
    if (f.data_class.value >= class_count) {
      throw InvalidArgument("access_fallback: unknown data class");
    }
    fallback_links[f.data_class.value] = f.links;
  }
  const std::size_t businesses = spec.workload.businesses.size();
  availability = std::make_unique<Availability>(businesses, dc_count, spec.metrics.series_interval,
                                                sim::Time::zero() + spec.run.warmup);
  latency_by_dc.assign(businesses, std::vector<sim::Histogram>(dc_count));
  latency_series.assign(businesses, sim::SampleSeries(spec.metrics.series_interval));
  compensation = std::make_unique<Compensation>(spec.exceptions.compensation, businesses);
}

void System::Impl::build_workload() {
  WorkloadParams params = spec.workload;
  params.data_classes.clear();
  for (std::uint32_t c = 0; c < class_count; ++c) {
    WorkloadDataClass w;
    w.name = spec.data[c].name;
    w.id_strategy = spec.data[c].id_strategy;
    w.bound = spec.data[c].bound;
    w.read_time = spec.data[c].read_time;
    w.write_time = spec.data[c].write_time;
    w.keys = truth_key_sizing(spec, DataClassId{c});
    params.data_classes.push_back(w);
  }
  for (const AccessFallbackSpec& f : spec.exceptions.access_fallback) {
    FallbackParams p;
    p.data_class = f.data_class;
    p.fixed_owner = f.owner == AccessFallbackSpec::Owner::kFixed;
    p.owner = f.owner_dc;
    p.timeout = f.timeout;
    params.fallback.push_back(p);
  }
  params.end = sim::Time::zero() + spec.run.duration;
  workload = std::make_unique<Workload>(engine, *this, params, dc_count, seed);
  workload->set_sink(this);
}

// ================================================================================================
// DataAccess

CommitResult System::Impl::commit(DcId dc, DataClassId cls, WriteKind kind, std::uint64_t key,
                                  std::uint64_t value, std::uint64_t ticket) {
  Store& store = *stores[dc.value][cls.value];
  const sim::Time now = engine.now();
  Write w;
  w.key = key;
  w.kind = kind;
  w.data_class = cls;
  // A DB rejects a bad statement before it takes a version (GTID) or writes the binlog.
  w.version = clocks[dc.value].peek(now);
  w.value = value;
  w.commit_time = now;
  w.bytes = spec.data[cls.value].row_bytes;
  const ApplyResult r = store.commit(w, now);
  if (r != ApplyResult::kApplied) return {r, {}};
  clocks[dc.value].take(w.version);
  const VersionKey vk{w.version.origin.value, w.version.seq};
  const int oplog = oplog_of_class[cls.value];
  const bool sync_log =
      oplog >= 0 && oplogs[static_cast<std::size_t>(oplog)]->spec().write == OplogWrite::kSync;
  std::uint8_t waits = 0;
  if (semi_sync_class[cls.value]) waits |= kAwaitReplica;
  if (sync_log) waits |= kAwaitLog;
  if (waits != 0) {
    const sim::Duration log_timeout =
        sync_log ? oplogs[static_cast<std::size_t>(oplog)]->spec().timeout : sim::Duration::zero();
    unacked[vk] = PendingAck{ticket, now + log_timeout, waits};
  }
  committing = true;
  if (oplog >= 0) {
    const auto index = static_cast<std::size_t>(oplog);
    Oplog& log = *oplogs[index];
    if (log.holder(dc) == dc) {
      log.record(w, dc, now);
      if (sync_log) {
        // The independent log system's own write, then its ack within the DC.
        const auto took = sim::Duration(sim::round_half_away(
            std::max(0.0, spec.data[cls.value].write_time.sample(oplog_rngs[index]))));
        const auto i = static_cast<std::uint32_t>(index);
        const std::uint64_t seq = w.version.seq;
        if (took > log.spec().timeout) {
          engine.schedule_in(log.spec().timeout, [this, i, dc, seq] { log_timeout(i, dc, seq); });
        } else {
          engine.schedule_in(took, [this, dc, seq] { settle({dc.value, seq}, kAwaitLog); });
        }
      }
    } else {
      log_remotely(log, index, w, dc);
    }
  }
  if (now >= sim::Time::zero() + spec.run.warmup) ++tracked_commits[cls.value][dc.value];
  for (const Outgoing& o : outgoing[dc.value][cls.value]) {
    if (o.mysql) {
      mysql[o.index].channel->ship(w);
    } else {
      mq[o.index].channel->publish(w);
    }
  }
  committing = false;
  CommitResult out{r, w.version};
  out.acknowledged = waits == 0 || unacked.find(vk) == unacked.end();
  return out;
}

void System::Impl::settle(const VersionKey& key, std::uint8_t part) {
  const auto it = unacked.find(key);
  if (it == unacked.end()) return;
  PendingAck& p = it->second;
  if ((p.waiting & kNeverAnswered) != 0 || (p.waiting & part) == 0) return;
  p.waiting = static_cast<std::uint8_t>(p.waiting & ~part);
  if (p.waiting != 0) return;
  if (!committing && !dc_up(DcId{key.origin})) {
    // The client waited in an app server that died meanwhile: it never learns of the commit.
    p.waiting = kNeverAnswered;
    return;
  }
  const std::uint64_t ticket = p.ticket;
  unacked.erase(it);
  if (!committing && commit_waiter != nullptr) commit_waiter->commit_settled(ticket, true);
}

void System::Impl::refuse(const VersionKey& key) {
  const auto it = unacked.find(key);
  if (it == unacked.end() || (it->second.waiting & kNeverAnswered) != 0) return;
  it->second.waiting = kNeverAnswered;
  if (dc_up(DcId{key.origin}) && commit_waiter != nullptr) {
    commit_waiter->commit_settled(it->second.ticket, false);
  }
}

bool System::Impl::awaiting(const VersionKey& key, std::uint8_t part) const {
  const auto it = unacked.find(key);
  return it != unacked.end() && (it->second.waiting & kNeverAnswered) == 0 &&
         (it->second.waiting & part) != 0;
}

sim::Duration System::Impl::access_latency(DcId home, DcId dc) const {
  if (home == dc) return sim::Duration::zero();
  const Path p = spec.topology.shortest_path(home, dc);
  return sim::Duration(std::llround(spec.topology.median_latency_ns(p)));
}

std::optional<sim::Duration> System::Impl::round_trip(const Path& there) {
  if (!network->is_up(there)) return std::nullopt;
  const sim::Time now = engine.now();
  constexpr std::uint64_t kRequestBytes = 512;
  const sim::Time out = network->transmit(there, kRequestBytes);
  const sim::Time back = network->transmit(reversed(there), kRequestBytes);
  return (out - now) + (back - now);
}

std::optional<sim::Duration> System::Impl::call(DcId from, DcId to) {
  return round_trip(route(from, to, {}));
}

std::optional<sim::Duration> System::Impl::fallback_call(DataClassId cls, DcId from, DcId to) {
  return round_trip(route(from, to, fallback_links[cls.value]));
}

void System::Impl::preload(DataClassId cls, std::uint64_t key, std::uint64_t value) {
  Write w;
  w.key = key;
  w.kind = WriteKind::kInsert;
  w.data_class = cls;
  w.version = Version{kPreloadOrigin, ++preload_seq, 0};
  w.value = value;
  w.bytes = spec.data[cls.value].row_bytes;
  for (std::size_t d = 0; d < dc_count; ++d) {
    stores[d][cls.value]->apply(w, ApplyRule::kOverwrite, engine.now());
  }
}

// ================================================================================================
// Arrivals and outcomes

void System::Impl::on_arrival(const Write& w, DcId replica, int use) {
  const std::uint32_t c = w.data_class.value;
  if (use < 0 || trackers[c].empty()) return;
  if (w.commit_time < sim::Time::zero() + spec.run.warmup) return;
  FirstArrivalTracker& t = *trackers[c][replica.value];
  const std::uint64_t before = t.stats().first_arrivals;
  const sim::Time now = engine.now();
  t.on_arrival(w, use, now);
  if (t.stats().first_arrivals == before) return;
  const sim::Duration lag = now - w.commit_time;
  class_lag_series[c][replica.value].record(now, static_cast<double>(lag.ns()));
  if (lag > spec.data[c].bound) ++bound_violations[c];
}

void System::Impl::on_out_of_band_arrival(const Write& w, DcId replica) {
  // A rebuild snapshot or a repair applies the row now: a first arrival like any other (what it
  // brings must not count again when a channel brings it later).
  const std::uint32_t c = w.data_class.value;
  if (w.commit_time < sim::Time::zero() + spec.run.warmup) return;
  const sim::Time now = engine.now();
  if (trackers[c].empty() || !trackers[c][replica.value]->arrive_out_of_band(w, now)) return;
  const sim::Duration lag = now - w.commit_time;
  class_lag_series[c][replica.value].record(now, static_cast<double>(lag.ns()));
  if (lag > spec.data[c].bound) ++bound_violations[c];
}

void System::Impl::on_applied(const Write& w, DcId replica) {
  clocks[replica.value].observe(w.version);
  workload->observe_replicated(w.data_class, replica, w.key);
}

void System::Impl::on_op(const OpOutcome& op) {
  availability->record(op.business, op.dc, op.start, op.end, op.succeeded());
  if (op.succeeded() && op.start >= sim::Time::zero() + spec.run.warmup) {
    const std::int64_t ns = (op.end - op.start).ns();
    latency_by_dc[op.business.value][op.dc.value].record(ns);
    latency_series[op.business.value].record(op.end, static_cast<double>(ns));
  }
  if (op.succeeded() || op.start < sim::Time::zero() + spec.run.warmup) return;
  compensation->affect(op.user, CompensationCause::kOpFailed, op.business);
  if (op.cause == FailureCause::kStale) {
    compensation->affect(op.user, CompensationCause::kStaleData, op.business);
  }
}

void System::Impl::on_forced_relogin(BusinessId business, std::uint64_t user, DcId /*dc*/,
                                     sim::Time at) {
  if (at < sim::Time::zero() + spec.run.warmup) return;
  compensation->affect(user, CompensationCause::kForcedRelogin, business);
}

// ================================================================================================
// Faults

void System::Impl::fault_started(std::size_t fault, std::size_t occurrence,
                                 sim::Duration duration) {
  const FaultSpec& f = spec.faults[fault];
  switch (f.type) {
    case FaultType::kDcOutage:
      set_dc(f.dc, false);
      break;
    case FaultType::kDcLoss:
    case FaultType::kDbLoss:
      set_dc(f.dc, false);
      destroy_storage(f.dc, f.type == FaultType::kDcLoss);
      destructions.push_back(Destruction{occurrence, f.dc, engine.now()});
      if (duration == sim::Duration::max()) {
        // Never rebuilt: reconcile what the logs hold into the survivors.
        schedule_reconciliations(f.dc);
      }
      break;
    case FaultType::kLinkDown:
      set_link_down(f.link, true);
      break;
    case FaultType::kLinkDegrade:
      set_link_degraded(f.link, &f);
      break;
    case FaultType::kPartition:
      for (const LinkId l : partition_links(f.dcs)) set_link_down(l, true);
      break;
    case FaultType::kChannelStop:
      set_channel_stopped(f.channel, true);
      break;
    case FaultType::kBrokerCrash:
      for (MqInstance& m : mq) {
        if (m.config == f.channel) m.channel->crash_broker(duration);
      }
      break;
    case FaultType::kConsumerCrash:
      for (MqInstance& m : mq) {
        if (m.config == f.channel) m.channel->crash_consumer(f.consumer, duration);
      }
      break;
  }
}

void System::Impl::fault_ended(std::size_t fault, std::size_t /*occurrence*/) {
  const FaultSpec& f = spec.faults[fault];
  switch (f.type) {
    case FaultType::kDcOutage:
      set_dc(f.dc, true);
      break;
    case FaultType::kDcLoss:
    case FaultType::kDbLoss:
      rebuild(f.dc, f.type == FaultType::kDcLoss);
      set_dc(f.dc, true);
      schedule_reconciliations(f.dc);
      break;
    case FaultType::kLinkDown:
      set_link_down(f.link, false);
      break;
    case FaultType::kLinkDegrade:
      set_link_degraded(f.link, nullptr);
      break;
    case FaultType::kPartition:
      for (const LinkId l : partition_links(f.dcs)) set_link_down(l, false);
      break;
    case FaultType::kChannelStop:
      set_channel_stopped(f.channel, false);
      break;
    case FaultType::kBrokerCrash:
    case FaultType::kConsumerCrash:
      break;  // the channel brought itself back after the duration it was given
  }
}

void System::Impl::set_dc(DcId dc, bool up) {
  int& count = dc_down_count[dc.value];
  if (!up) {
    if (count++ > 0) return;
    // Channels first, so they stop cleanly, then the DC's network gear.
    for (MysqlInstance& m : mysql) {
      if (m.source == dc) m.channel->set_source_up(false);
      if (m.replica == dc) m.channel->set_replica_up(false);
    }
    for (MqInstance& m : mq) {
      if (m.source == dc) m.channel->set_source_up(false);
      if (m.broker == dc) m.channel->set_broker_up(false);
      if (m.replica == dc) m.channel->set_replica_up(false);
    }
    for (std::uint32_t l = 0; l < spec.topology.link_count(); ++l) {
      const LinkSpec& link = spec.topology.link(LinkId{l});
      if (link.a == dc || link.b == dc) set_link_down(LinkId{l}, true);
    }
    workload->dc_down(dc);
    return;
  }
  if (--count > 0) return;
  for (std::uint32_t l = 0; l < spec.topology.link_count(); ++l) {
    const LinkSpec& link = spec.topology.link(LinkId{l});
    if (link.a == dc || link.b == dc) set_link_down(LinkId{l}, false);
  }
  for (MysqlInstance& m : mysql) {
    if (m.source == dc) m.channel->set_source_up(true);
    if (m.replica == dc) m.channel->set_replica_up(true);
  }
  for (MqInstance& m : mq) {
    if (m.source == dc) m.channel->set_source_up(true);
    if (m.broker == dc) m.channel->set_broker_up(true);
    if (m.replica == dc) m.channel->set_replica_up(true);
  }
  workload->dc_up(dc);
}

void System::Impl::destroy_storage(DcId dc, bool whole_dc) {
  const sim::Time now = engine.now();
  for (std::size_t c = 0; c < class_count; ++c) {
    // Regenerated data lives in caches and app servers, which a DB loss spares.
    if (!whole_dc && spec.sync[c].mode == SyncMode::kRegenerate) continue;
    stores[dc.value][c]->clear();
  }
  for (MysqlInstance& m : mysql) {
    if (m.source == dc) m.lost_in_transit += m.channel->lose_source().size();
    if (m.replica == dc) m.channel->lose_replica();
  }
  // Clients waiting for a semi-sync ack from this DC's binlog never get one: those writes stay
  // in `unacked` for good, so they can never count as lost.
  if (whole_dc) {
    for (MqInstance& m : mq) {
      if (m.source == dc) m.channel->lose_source();
      if (m.broker == dc) m.channel->lose_broker();
    }
  }
  for (std::size_t i = 0; i < oplogs.size(); ++i) {
    if (whole_dc) {
      oplogs[i]->lose_dc(dc, now);
      oplog_pending[i][dc.value].clear();  // the shipper's buffer burnt with the DC
    } else {
      oplogs[i]->lose_db(dc, now);
    }
  }
  dc_destroyed[dc.value] = 1;
}

void System::Impl::rebuild(DcId dc, bool /*whole_dc*/) {
  // The DC comes back with its replicated data restored from the surviving DCs (a snapshot of
  // each, merged newest-wins); what only it held is gone. Replication into it restarts from the
  // sources' current positions, since the snapshot holds everything they had committed.
  const sim::Time now = engine.now();
  for (std::size_t c = 0; c < class_count; ++c) {
    if (spec.sync[c].mode != SyncMode::kChannels) continue;
    Store& target = *stores[dc.value][c];
    for (std::size_t d = 0; d < dc_count; ++d) {
      if (d == dc.value || dc_destroyed[d]) continue;
      Store& peer = *stores[d][c];
      peer.expire(now);  // the snapshot holds what the peer holds now
      for (const std::uint64_t key : peer.keys()) {
        const std::optional<Row> row = peer.find(key);
        Write w;
        w.key = key;
        w.kind = row->deleted ? WriteKind::kDelete : WriteKind::kInsert;
        w.data_class = DataClassId{static_cast<std::uint32_t>(c)};
        w.version = row->version;
        w.value = row->value;
        w.commit_time = row->commit_time;
        target.apply(w, ApplyRule::kLastWriterWins, now);
        clocks[dc.value].observe(row->version);
        if (!trackers[c].empty() && row->version.origin != kPreloadOrigin &&
            row->version.origin != dc) {
          on_out_of_band_arrival(w, dc);
        }
      }
    }
  }
  for (MysqlInstance& m : mysql) {
    if (m.replica == dc) m.channel->reposition_to_end();
  }
  // Whatever had not arrived yet came with the snapshot (an MQ copy arriving later then counts
  // twice, so undelivered writes may be undercounted after a rebuild; see run_results.hpp).
  for (std::size_t c = 0; c < class_count; ++c) {
    if (trackers[c].empty()) continue;
    const std::uint64_t expected = expected_arrivals(c, dc);
    const std::uint64_t arrived =
        trackers[c][dc.value]->stats().first_arrivals + snapshot_arrivals[c][dc.value];
    if (expected > arrived) snapshot_arrivals[c][dc.value] += expected - arrived;
  }
  dc_destroyed[dc.value] = 0;
}

void System::Impl::log_remotely(Oplog& log, std::size_t index, const Write& w, DcId writer) {
  // The entry crosses the network like any message (and takes its share of the bandwidth: the
  // cost of logging far away); while the path is cut it waits in the writer's shipper.
  const Path& to_log = route(writer, log.holder(writer), {});
  std::vector<Write>& pending = oplog_pending[index][writer.value];
  const auto i = static_cast<std::uint32_t>(index);
  const std::uint64_t seq = w.version.seq;
  if (log.spec().write == OplogWrite::kSync) {
    // Whatever happens on the way, the client gives up waiting for the log at the timeout.
    engine.schedule_in(log.spec().timeout, [this, i, writer, seq] { log_timeout(i, writer, seq); });
  }
  if (!pending.empty() || !network->is_up(to_log)) {
    log.record(w, writer, sim::Time::max());
    pending.push_back(w);
    return;
  }
  send_to_log(index, w, writer, false);
}

void System::Impl::send_to_log(std::size_t index, const Write& w, DcId writer, bool recorded) {
  Oplog& log = *oplogs[index];
  const sim::Time arrival = network->transmit(route(writer, log.holder(writer), {}), w.bytes);
  if (recorded) {
    log.set_durable(w, arrival);
  } else {
    log.record(w, writer, arrival);
  }
  const VersionKey vk{writer.value, w.version.seq};
  if (log.spec().write != OplogWrite::kSync || !awaiting(vk, kAwaitLog)) return;
  // The remote log stores the entry (its own write time), then acks over the reverse path.
  const auto took = sim::Duration(std::llround(
      std::max(0.0, spec.data[w.data_class.value].write_time.sample(oplog_rngs[index]))));
  const auto i = static_cast<std::uint32_t>(index);
  const std::uint64_t seq = w.version.seq;
  engine.schedule_at(arrival + took, [this, i, writer, seq] { log_stored(i, writer, seq); });
}

void System::Impl::log_stored(std::uint32_t index, DcId writer, std::uint64_t seq) {
  const VersionKey vk{writer.value, seq};
  if (!awaiting(vk, kAwaitLog)) return;
  const Oplog& log = *oplogs[index];
  const Path& back = route(log.holder(writer), writer, {});
  if (!network->is_up(back)) return;  // the ack is lost; the timeout decides
  const sim::Time at = network->transmit(back, log.spec().ack_bytes);
  if (at > unacked.at(vk).log_deadline) return;  // too late; the timeout decides
  engine.schedule_at(at, [this, writer, seq] { settle({writer.value, seq}, kAwaitLog); });
}

void System::Impl::log_timeout(std::uint32_t index, DcId writer, std::uint64_t seq) {
  const VersionKey vk{writer.value, seq};
  if (!awaiting(vk, kAwaitLog)) return;
  ++oplog_sync_timeouts[index];
  if (oplogs[index]->spec().on_timeout == OplogTimeout::kFail) {
    refuse(vk);
  } else {
    settle(vk, kAwaitLog);  // degraded to async: acknowledged now, logged when it gets there
  }
}

void System::Impl::flush_oplogs() {
  for (std::size_t i = 0; i < oplogs.size(); ++i) {
    for (std::uint32_t d = 0; d < dc_count; ++d) {
      std::vector<Write>& pending = oplog_pending[i][d];
      if (pending.empty()) continue;
      const DcId writer{d};
      if (!network->is_up(route(writer, oplogs[i]->holder(writer), {}))) continue;
      for (const Write& w : pending) send_to_log(i, w, writer, true);
      pending.clear();
    }
  }
}

std::uint64_t System::Impl::expected_arrivals(std::size_t cls, DcId replica) const {
  std::uint64_t n = 0;
  for (std::size_t d = 0; d < dc_count; ++d) {
    if (d != replica.value) n += tracked_commits[cls][d];
  }
  return n;
}

void System::Impl::set_link_down(LinkId link, bool down) {
  link_down_count[link.value] += down ? 1 : -1;
  apply_link_state(link);
}

void System::Impl::set_link_degraded(LinkId link, const FaultSpec* degrade) {
  link_degrade[link.value] = degrade;
  apply_link_state(link);
}

void System::Impl::apply_link_state(LinkId link) {
  LinkState s;
  if (link_down_count[link.value] > 0) {
    s.condition = LinkCondition::kDown;
  } else if (const FaultSpec* d = link_degrade[link.value]; d != nullptr) {
    s.condition = LinkCondition::kDegraded;
    s.latency_factor = d->latency_factor;
    s.extra_loss = d->extra_loss;
  }
  const LinkState& now = network->state(link);
  if (now.condition == s.condition && now.latency_factor == s.latency_factor &&
      now.extra_loss == s.extra_loss) {
    return;
  }
  network->set_state(link, s);
  ++link_epoch;
  if (s.condition != LinkCondition::kDown) flush_oplogs();
}

std::vector<LinkId> System::Impl::partition_links(const std::vector<DcId>& side) const {
  std::vector<char> in(dc_count, 0);
  for (DcId d : side) in[d.value] = 1;
  std::vector<LinkId> cut;
  for (std::uint32_t l = 0; l < spec.topology.link_count(); ++l) {
    const LinkSpec& link = spec.topology.link(LinkId{l});
    if (in[link.a.value] != in[link.b.value]) cut.push_back(LinkId{l});
  }
  return cut;
}

void System::Impl::set_channel_stopped(std::size_t config, bool stopped) {
  int& count = channel_stop_count[config];
  if (stopped ? count++ > 0 : --count > 0) return;
  for (MysqlInstance& m : mysql) {
    if (m.config == config) m.channel->set_replicating(!stopped);
  }
  for (MqInstance& m : mq) {
    if (m.config == config) m.channel->set_consuming(!stopped);
  }
}

void System::Impl::schedule_reconciliations(DcId faulted) {
  for (std::size_t i = 0; i < oplogs.size(); ++i) {
    const auto log = static_cast<std::uint32_t>(i);
    engine.schedule_in(oplogs[i]->spec().reconcile_delay,
                       [this, log, faulted] { start_reconciliation(log, faulted); });
  }
}

void System::Impl::start_reconciliation(std::size_t oplog, DcId faulted) {
  const auto job = static_cast<std::uint32_t>(reconciliations.size());
  reconciliations.push_back(Reconciliation{oplog, faulted, engine.now()});
  reconcile(job, 0);
}

void System::Impl::reconcile(std::uint32_t job_index, std::size_t first) {
  // Replays the surviving log entries written by the faulted DC into every DC with storage,
  // newest-wins, at the log's reconciliation rate (one batch a second).
  Reconciliation& job = reconciliations[job_index];
  const Oplog& log = *oplogs[job.oplog];
  const std::vector<OplogEntry> entries = log.entries(engine.now());
  const auto batch = static_cast<std::size_t>(std::max(1.0, log.spec().reconcile_rate_per_s));
  const DataClassId cls = log.spec().data_class;
  std::size_t i = first;
  std::size_t done = 0;
  for (; i < entries.size() && done < batch; ++i) {
    const OplogEntry& e = entries[i];
    if (e.writer != job.faulted) continue;
    // An entry of a class with a ttl that has expired is gone everywhere: nothing to replay.
    if (engine.now() - e.write.commit_time >= spec.data[cls.value].ttl) continue;
    ++done;
    bool anywhere = false;
    for (std::size_t d = 0; d < dc_count; ++d) {
      if (!dc_destroyed[d] && holds(stores[d][cls.value]->find(e.write.key), e.write.version)) {
        anywhere = true;
      }
    }
    bool repaired = false;
    for (std::size_t d = 0; d < dc_count; ++d) {
      if (dc_destroyed[d]) continue;
      Store& st = *stores[d][cls.value];
      if (holds(st.find(e.write.key), e.write.version)) continue;
      st.apply(e.write, ApplyRule::kLastWriterWins, engine.now());
      const DcId at{static_cast<std::uint32_t>(d)};
      if (e.write.version.origin != at) on_out_of_band_arrival(e.write, at);
      repaired = true;
    }
    if (repaired) ++(anywhere ? job.repaired : job.recovered);
  }
  if (i >= entries.size()) {
    job.finished = engine.now();
    return;
  }
  engine.schedule_in(sim::Duration(1'000'000'000),
                     [this, job_index, i] { reconcile(job_index, i); });
}

// ================================================================================================
// System

System::System(const ScenarioSpec& spec, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(spec, seed)) {}

System::~System() = default;

sim::Engine& System::engine() { return impl_->engine; }

sim::Time System::end_time() const {
  return sim::Time::zero() + impl_->spec.run.duration + impl_->spec.run.drain;
}

bool System::run() {
  const sim::Time end = end_time();
  const sim::RunOutcome outcome = impl_->engine.run_until(end);
  // The end-of-run checks see the stores as of now: rows whose ttl has passed are gone.
  for (auto& dc : impl_->stores) {
    for (auto& store : dc) store->expire(impl_->engine.now());
  }
  return outcome != sim::RunOutcome::kStopped || impl_->engine.now() >= end;
}

RunResults System::results() const { return impl_->results(); }

}  // namespace geodes::models
