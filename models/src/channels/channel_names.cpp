// Names of the channels' enumerations, as scenarios and reports spell them.
#include "geodes/models/channels/mq_channel.hpp"
#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::models {

const char* to_string(ReplicationMode mode) {
  switch (mode) {
    case ReplicationMode::kAsync:
      return "async";
    case ReplicationMode::kSemiSync:
      return "semi_sync";
  }
  return "?";
}

const char* to_string(ApplierParallelism parallelism) {
  switch (parallelism) {
    case ApplierParallelism::kByKey:
      return "by_key";
    case ApplierParallelism::kWriteset:
      return "writeset";
  }
  return "?";
}

const char* to_string(OnDuplicate on_duplicate) {
  switch (on_duplicate) {
    case OnDuplicate::kStop:
      return "stop";
    case OnDuplicate::kSkip:
      return "skip";
    case OnDuplicate::kOverwrite:
      return "overwrite";
  }
  return "?";
}

const char* to_string(MqAcks acks) {
  switch (acks) {
    case MqAcks::k0:
      return "0";
    case MqAcks::k1:
      return "1";
    case MqAcks::kAll:
      return "all";
  }
  return "?";
}

const char* to_string(MqPartitioning partitioning) {
  switch (partitioning) {
    case MqPartitioning::kByKey:
      return "by_key";
    case MqPartitioning::kRoundRobin:
      return "round_robin";
  }
  return "?";
}

const char* to_string(MqAssignment assignment) {
  switch (assignment) {
    case MqAssignment::kRange:
      return "range";
    case MqAssignment::kRoundRobin:
      return "round_robin";
  }
  return "?";
}

ReplicationMode parse_replication_mode(const std::string& name) {
  static constexpr ReplicationMode kAll[] = {ReplicationMode::kAsync, ReplicationMode::kSemiSync};
  return sim::parse_name(name, kAll, "replication mode");
}

ApplierParallelism parse_applier_parallelism(const std::string& name) {
  static constexpr ApplierParallelism kAll[] = {ApplierParallelism::kByKey,
                                                ApplierParallelism::kWriteset};
  return sim::parse_name(name, kAll, "applier parallelism");
}

OnDuplicate parse_on_duplicate(const std::string& name) {
  static constexpr OnDuplicate kAll[] = {OnDuplicate::kStop, OnDuplicate::kSkip,
                                         OnDuplicate::kOverwrite};
  return sim::parse_name(name, kAll, "on_duplicate");
}

MqAcks parse_mq_acks(const std::string& text) {
  static constexpr MqAcks kAll[] = {MqAcks::k0, MqAcks::k1, MqAcks::kAll};
  return sim::parse_name(text, kAll, "acks");
}

MqPartitioning parse_mq_partitioning(const std::string& text) {
  static constexpr MqPartitioning kAll[] = {MqPartitioning::kByKey, MqPartitioning::kRoundRobin};
  return sim::parse_name(text, kAll, "partitioning");
}

MqAssignment parse_mq_assignment(const std::string& text) {
  static constexpr MqAssignment kAll[] = {MqAssignment::kRange, MqAssignment::kRoundRobin};
  return sim::parse_name(text, kAll, "assignment");
}

}  // namespace geodes::models
