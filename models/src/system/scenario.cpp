#include "geodes/models/system/scenario.hpp"

#include <algorithm>

#include "geodes/sim/names.hpp"

namespace geodes::models {

namespace {

// What decides the sizing and layout of a data class's tables (key_sizing()).
struct KeyShape {
  bool preloaded = false;  // users.preload names it: a row per user before the run
  bool per_user = false;   // keyed by users' account ids
  bool dense_ids = true;   // account ids are dense (not snowflake or random)
};

KeyShape key_shape(const ScenarioSpec& spec, DataClassId cls) {
  const UserParams& users = spec.workload.users;
  KeyShape k;
  k.preloaded = std::find(users.preload.begin(), users.preload.end(), cls) != users.preload.end();
  k.per_user = k.preloaded || users.id_class == cls;
  for (const BusinessParams& b : spec.workload.businesses) {
    for (const Step& step : b.steps) {
      if (step.data_class == cls &&
          (step.key == KeyChoice::kAccount || step.key == KeyChoice::kNewId)) {
        k.per_user = true;
      }
    }
  }
  if (users.id_class && users.id_class->value < spec.data.size()) {
    const std::optional<IdStrategyParams>& ids = spec.data[users.id_class->value].id_strategy;
    k.dense_ids =
        !ids || (ids->kind != IdStrategyKind::kSnowflake && ids->kind != IdStrategyKind::kRandom);
  }
  return k;
}

}  // namespace

KeySizing key_sizing(const ScenarioSpec& spec, DataClassId cls) {
  if (cls.value >= spec.data.size()) return {};
  const KeyShape k = key_shape(spec, cls);
  const std::uint64_t rows = spec.data[cls.value].rows;
  KeySizing s;
  s.expected = k.per_user ? std::max(rows, spec.workload.users.max) : rows;
  s.layout = k.preloaded && k.dense_ids ? KeyLayout::kDirect : KeyLayout::kIndexed;
  return s;
}

KeySizing truth_key_sizing(const ScenarioSpec& spec, DataClassId cls) {
  KeySizing s = key_sizing(spec, cls);
  if (cls.value >= spec.data.size()) return s;
  const KeyShape k = key_shape(spec, cls);
  if (k.per_user && k.dense_ids) s.layout = KeyLayout::kDirect;
  return s;
}

const char* to_string(ChannelType type) {
  switch (type) {
    case ChannelType::kMysqlReplication:
      return "mysql_replication";
    case ChannelType::kMq:
      return "mq";
  }
  return "?";
}

const char* to_string(SyncMode mode) {
  switch (mode) {
    case SyncMode::kLocal:
      return "local";
    case SyncMode::kChannels:
      return "channels";
    case SyncMode::kRegenerate:
      return "regenerate";
  }
  return "?";
}

const char* to_string(OplogPlacement p) {
  switch (p) {
    case OplogPlacement::kServer:
      return "server";
    case OplogPlacement::kLocalIndependent:
      return "local_independent";
    case OplogPlacement::kRemote:
      return "remote";
  }
  return "?";
}

const char* to_string(OplogWrite w) {
  switch (w) {
    case OplogWrite::kAsync:
      return "async";
    case OplogWrite::kSync:
      return "sync";
  }
  return "?";
}

const char* to_string(OplogTimeout t) {
  switch (t) {
    case OplogTimeout::kFail:
      return "fail";
    case OplogTimeout::kAsync:
      return "async";
  }
  return "?";
}

const char* to_string(FaultType type) {
  switch (type) {
    case FaultType::kDcOutage:
      return "dc_outage";
    case FaultType::kDcLoss:
      return "dc_loss";
    case FaultType::kDbLoss:
      return "db_loss";
    case FaultType::kLinkDown:
      return "link_down";
    case FaultType::kLinkDegrade:
      return "link_degrade";
    case FaultType::kPartition:
      return "partition";
    case FaultType::kChannelStop:
      return "channel_stop";
    case FaultType::kBrokerCrash:
      return "broker_crash";
    case FaultType::kConsumerCrash:
      return "consumer_crash";
  }
  return "?";
}

ChannelType parse_channel_type(const std::string& name) {
  static constexpr ChannelType kAll[] = {ChannelType::kMysqlReplication, ChannelType::kMq};
  return sim::parse_name(name, kAll, "channel type");
}

OplogPlacement parse_oplog_placement(const std::string& name) {
  static constexpr OplogPlacement kAll[] = {
      OplogPlacement::kServer, OplogPlacement::kLocalIndependent, OplogPlacement::kRemote};
  return sim::parse_name(name, kAll, "oplog placement");
}

OplogWrite parse_oplog_write(const std::string& name) {
  static constexpr OplogWrite kAll[] = {OplogWrite::kAsync, OplogWrite::kSync};
  return sim::parse_name(name, kAll, "oplog write mode");
}

OplogTimeout parse_oplog_timeout(const std::string& name) {
  static constexpr OplogTimeout kAll[] = {OplogTimeout::kFail, OplogTimeout::kAsync};
  return sim::parse_name(name, kAll, "oplog on_timeout");
}

FaultType parse_fault_type(const std::string& name) {
  static constexpr FaultType kAll[] = {
      FaultType::kDcOutage,    FaultType::kDcLoss,      FaultType::kDbLoss,
      FaultType::kLinkDown,    FaultType::kLinkDegrade, FaultType::kPartition,
      FaultType::kChannelStop, FaultType::kBrokerCrash, FaultType::kConsumerCrash};
  return sim::parse_name(name, kAll, "fault type");
}

}  // namespace geodes::models
