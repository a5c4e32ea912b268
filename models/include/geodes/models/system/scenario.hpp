// A whole scenario as plain data: the lesson's four steps (businesses, data classes, sync,
// exception handling; DOMAIN.md) plus the topology, workload, faults and run control.
//
// Who fills it: the YAML loader (app/scenario_loader.hpp) from a file, Python through the same
// loader, tests by hand. Who reads it: System (system.hpp), which runs it, and `geodes check`,
// which explains it. Names are already resolved to ids (DcId, LinkId, DataClassId, indexes into
// `channels`); System validates everything again, so a hand-built spec gets the same checks.
//
// Conventions: times are sim::Duration / sim::Time (integer ns); rates are per second; sizes are
// bytes; probabilities and ratios are in [0, 1]. Every list is in scenario order, which is the
// order of every report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geodes/models/channels/mq_channel.hpp"
#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/models/data/key_table.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/models/net/topology.hpp"
#include "geodes/models/workload/id_strategy.hpp"
#include "geodes/models/workload/workload.hpp"
#include "geodes/sim/distribution.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

/// How long the run lasts. Ops arrive during [0, duration); metrics of ops and writes count from
/// `warmup` on; after `duration` the run goes on for `drain` with no new ops, so that faults heal
/// and channels catch up before the end-of-run checks (loss, divergence).
struct RunControl {
  sim::Duration duration{600'000'000'000};  // 10 min
  sim::Duration warmup{0};
  sim::Duration drain{60'000'000'000};  // 1 min
};

/// Step 2: one kind of data and the properties the simulator checks.
struct DataClassSpec {
  std::string name;
  /// Bytes of one row on the wire and in logs.
  std::uint32_t row_bytes = 200;
  /// Expected rows (the lesson's "volume"); informational, shown by `geodes check`. 0 = unknown.
  std::uint64_t rows = 0;
  /// Values created in different DCs must never collide (user ids).
  bool unique = false;
  /// How new ids are drawn (required when unique, or when a business allocates ids here).
  std::optional<IdStrategyParams> id_strategy;
  /// How soon a change must be visible everywhere; Duration::max() means no bound.
  sim::Duration bound = sim::Duration::max();
  /// May it be lost (sessions: yes)?
  bool lossable = false;
  /// Can it be rebuilt after loss (a password can be reset)?
  bool recoverable = false;
  /// Rows expire this long after their last write's commit (sessions, caches; store.hpp);
  /// Duration::max() = never. An expired row is gone, not lost.
  sim::Duration ttl = sim::Duration::max();
  /// Local service time of one read / one write at a DC (op latency; WorkloadDataClass has the
  /// defaults' sources).
  sim::Distribution read_time = sim::Distribution::constant(300'000);     // 0.3 ms
  sim::Distribution write_time = sim::Distribution::constant(1'000'000);  // 1 ms
};

enum class ChannelType : std::uint8_t { kMysqlReplication, kMq };

/// A named channel configuration from the scenario's `channels` section. One configuration is
/// instantiated once per (source DC, replica DC) pair of each data class that uses it; MySQL
/// instances with the same configuration and path carry every such class in one binlog stream
/// (as one MySQL replication channel carries every table).
struct ChannelSpec {
  std::string name;
  ChannelType type = ChannelType::kMysqlReplication;
  /// kMysqlReplication: the parameters (mysql.name is set to `name`).
  MysqlChannelParams mysql;
  /// kMq: the parameters (mq.name is set to `name`).
  MqChannelParams mq;
  /// kMq: the DC hosting the broker; none = each pair's source DC (remote consumption).
  std::optional<DcId> broker_dc;
};

/// One channel used by a data class.
struct ChannelUse {
  std::size_t channel = 0;  ///< index into ScenarioSpec::channels
  /// Routes of this use may only cross these links (shortest by median latency among them);
  /// empty: shortest over the whole topology. With two DCs and one link listed, the path is
  /// pinned to that link.
  std::vector<LinkId> links;
};

enum class SyncMode : std::uint8_t {
  kLocal,       ///< not synchronised: each DC keeps what it writes (per-city stock)
  kChannels,    ///< replicated over one or more channels (step 3, multi-channel: step 4.1)
  kRegenerate,  ///< never synced, re-created where missing (sessions)
};

/// Step 3 for one data class.
struct SyncSpec {
  SyncMode mode = SyncMode::kLocal;
  /// kChannels: one or more.
  std::vector<ChannelUse> channels;
};

/// Step 1 extras of a business beyond what the workload needs (index = BusinessId).
struct BusinessSpec {
  /// Revenue lost (or cost) per failed op, in the scenario's currency.
  double value_per_op = 0;
  /// Availability target: RTO ends when the success ratio over the RTO window is back here.
  double target_success = 0.999;
};

/// Step 4.2, sync + access: on a local miss of `data_class`, ask its owner DC's API.
struct AccessFallbackSpec {
  enum class Owner : std::uint8_t {
    kHome,   ///< the user's home DC by the workload's routing rule
    kFixed,  ///< always `owner_dc` (a central store)
  };
  DataClassId data_class;
  Owner owner = Owner::kHome;
  DcId owner_dc;
  /// The API's path may only cross these links (a path other than the sync channels'); empty:
  /// shortest over the whole topology.
  std::vector<LinkId> links;
  /// The caller gives up after this (the op then fails as a miss).
  sim::Duration timeout{1'000'000'000};  // 1 s
  std::uint32_t request_bytes = 512;
};

enum class OplogPlacement : std::uint8_t {
  kServer,            ///< on the DB server: lost with the DB server (db_loss) and the DC (dc_loss)
  kLocalIndependent,  ///< an independent log system in the DC: survives db_loss, not dc_loss
  kRemote,            ///< in another city: survives losing the DC
};

enum class OplogWrite : std::uint8_t {
  kAsync,  ///< the op does not wait for the log
  kSync,   ///< the op's commit is acknowledged once the log has acknowledged the entry
};
enum class OplogTimeout : std::uint8_t {
  kFail,   ///< the op fails (nothing acknowledged is missing from the log)
  kAsync,  ///< the write is acknowledged now and logged when the path allows (counted)
};

/// Step 4.3, operation logging: every committed write of `data_class` is logged at `placement`;
/// `reconcile_delay` after a destructive fault heals, reconciliation replays the surviving logs
/// into the stores (missing or divergent rows), at `reconcile_rate_per_s` rows per second.
///
/// `write = sync`: the client's commit is acknowledged only once the log has stored the entry and
/// said so: for a local placement after the log's write (the class's write_time), for a remote one
/// after the entry's trip to the log's DC, the log's write there and the ack's trip back. A log
/// that has not acknowledged within `timeout` (its path cut, a queue on the link) fails the op or
/// degrades the write to async, as `on_timeout` says (counted either way).
struct OplogSpec {
  DataClassId data_class;
  OplogPlacement placement = OplogPlacement::kRemote;
  /// kRemote: where the log lives; none = the next DC (by id) after the writing one.
  std::optional<DcId> remote_dc;
  OplogWrite write = OplogWrite::kAsync;
  sim::Duration timeout{1'000'000'000};  // 1 s
  OplogTimeout on_timeout = OplogTimeout::kFail;
  /// Bytes of the log's ack on the wire (sync, remote).
  std::uint32_t ack_bytes = 64;
  sim::Duration reconcile_delay{300'000'000'000};  // 5 min
  double reconcile_rate_per_s = 1000;
};

/// Step 4.4, user compensation: cost per affected user, by cause (each user counted once per
/// cause), and the share of users the design aims to protect.
struct CompensationSpec {
  double target_ratio = 0.9999;
  double cost_op_failed = 0;       ///< an op failed after its retries
  double cost_data_lost = 0;       ///< a write of theirs was lost
  double cost_stale_data = 0;      ///< stale data made an op fail (login with an old password)
  double cost_forced_relogin = 0;  ///< had to log in again (session regenerated)
};

struct ExceptionSpec {
  std::vector<AccessFallbackSpec> access_fallback;
  std::vector<OplogSpec> oplogs;
  CompensationSpec compensation;
};

enum class FaultType : std::uint8_t {
  kDcOutage,       ///< apps and DB stop; storage kept; unshipped data ships after recovery
  kDcLoss,         ///< the DC's storage is destroyed: what was not shipped is gone
  kDbLoss,         ///< the DB server's storage is destroyed; the DC's other systems survive
  kLinkDown,       ///< a link carries nothing
  kLinkDegrade,    ///< a link's latency is multiplied and its loss raised
  kPartition,      ///< every link between `dcs` and the other DCs is down
  kChannelStop,    ///< a channel stops (STOP REPLICA / consumers stopped)
  kBrokerCrash,    ///< an MQ channel's broker crashes
  kConsumerCrash,  ///< one consumer of an MQ channel crashes
};

/// One fault: scheduled (`at`, `duration`) or random (`mtbf`, `mttr`: repeated failures, each
/// lasting an MTTR draw, separated by MTBF draws, from the start of the run).
struct FaultSpec {
  FaultType type = FaultType::kDcOutage;
  /// kDcOutage, kDcLoss, kDbLoss: the DC.
  DcId dc;
  /// kLinkDown, kLinkDegrade: the link.
  LinkId link;
  /// kPartition: the DCs cut off from the rest.
  std::vector<DcId> dcs;
  /// kChannelStop, kBrokerCrash, kConsumerCrash: index into ScenarioSpec::channels (every
  /// instance of that configuration is hit).
  std::size_t channel = 0;
  /// kConsumerCrash: which consumer of each instance.
  int consumer = 0;
  /// kLinkDegrade.
  double latency_factor = 1;
  double extra_loss = 0;

  bool random = false;
  /// Scheduled: start and length (Duration::max(): never ends).
  sim::Time at;
  sim::Duration duration = sim::Duration::max();
  /// Random: time between failures and time to repair, ns.
  sim::Distribution mtbf = sim::Distribution::exponential(3'600e9);
  sim::Distribution mttr = sim::Distribution::exponential(300e9);
};

/// How metrics are gathered.
struct MetricsSpec {
  /// Interval of every time series (lag, backlog, availability, consumer lag).
  sim::Duration series_interval{1'000'000'000};
  /// Sliding window over which RTO judges the success ratio.
  sim::Duration rto_window{10'000'000'000};
  /// Divergent keys kept with their versions per DC for the results file.
  std::size_t divergence_sample = 100;
};

struct ScenarioSpec {
  std::string name = "scenario";
  std::string description;
  std::uint64_t seed = 1;
  RunControl run;
  Topology topology;
  std::vector<DataClassSpec> data;  ///< index = DataClassId
  std::vector<ChannelSpec> channels;
  std::vector<SyncSpec> sync;  ///< index = DataClassId; same size as `data`
  /// Businesses, users, client behaviour and GSLB. workload.data_classes is derived from `data`
  /// by System (names and id strategies), so it may be left empty.
  WorkloadParams workload;
  std::vector<BusinessSpec> businesses;  ///< index = BusinessId; empty = defaults for all
  ExceptionSpec exceptions;
  std::vector<FaultSpec> faults;
  MetricsSpec metrics;
};

/// How the tables of data class `cls` (its stores, truth log, oplog) are sized up front: the rows
/// it is expected to hold at one DC, its declared `rows` or users.max when it is keyed by users'
/// account ids (named by users.preload or users.id_class, or by a step with key account or new_id),
/// whichever is larger (0 = unknown); and the direct layout for a class preloaded with a row per
/// user whose account ids are dense (no id class, or one drawn centrally, by segments or by
/// auto_increment), the indexed one otherwise.
KeySizing key_sizing(const ScenarioSpec& spec, DataClassId cls);
/// How the truth log's table of `cls` is sized: as key_sizing() says, but the direct layout for
/// every class keyed by account ids that are dense, preloaded or not. Why: the truth log keeps a
/// key for ever once written (no ttl, no delete removes it), so a per-user class's table fills
/// towards one entry per user, where the direct layout takes no more memory than the indexed one
/// (32 bytes per id against 4 per id plus 32 per entry) and saves a dependent cache miss on every
/// record() and stale(): measured at 1 M / 2 M users, 10k ops/s, 1 h, 1.09x to 1.19x less CPU,
/// +51 MiB of peak RSS (sessions and profiles, not all of whose users write within the hour).
KeySizing truth_key_sizing(const ScenarioSpec& spec, DataClassId cls);

const char* to_string(ChannelType type);  ///< "mysql_replication", "mq"
const char* to_string(SyncMode mode);     ///< "local", "channels", "regenerate"
const char* to_string(OplogPlacement p);  ///< "server", "local_independent", "remote"
const char* to_string(OplogWrite w);      ///< "async", "sync"
const char* to_string(OplogTimeout t);    ///< "fail", "async"
const char* to_string(FaultType type);    ///< "dc_outage", "dc_loss", "db_loss", "link_down",
                                          ///< "link_degrade", "partition", "channel_stop",
                                          ///< "broker_crash", "consumer_crash"
/// Parsers for the names above. Throw InvalidArgument naming the bad value and the allowed ones.
ChannelType parse_channel_type(const std::string& name);
OplogPlacement parse_oplog_placement(const std::string& name);
OplogWrite parse_oplog_write(const std::string& name);
OplogTimeout parse_oplog_timeout(const std::string& name);
FaultType parse_fault_type(const std::string& name);

}  // namespace geodes::models
