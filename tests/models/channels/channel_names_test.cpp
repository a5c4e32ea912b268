#include <gtest/gtest.h>

#include <string>

#include "geodes/models/channels/mq_channel.hpp"
#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/models/system/scenario.hpp"

namespace geodes::models {
namespace {

template <typename Enum, typename Parse>
void expect_round_trip(std::initializer_list<Enum> all, Parse parse) {
  for (Enum e : all) EXPECT_EQ(parse(to_string(e)), e) << to_string(e);
}

TEST(ChannelNames, EveryNameReadsBackToItsEnumerator) {
  expect_round_trip({ReplicationMode::kAsync, ReplicationMode::kSemiSync}, parse_replication_mode);
  expect_round_trip({ApplierParallelism::kByKey, ApplierParallelism::kWriteset},
                    parse_applier_parallelism);
  expect_round_trip({OnDuplicate::kStop, OnDuplicate::kSkip, OnDuplicate::kOverwrite},
                    parse_on_duplicate);
  expect_round_trip({MqAcks::k0, MqAcks::k1, MqAcks::kAll}, parse_mq_acks);
  expect_round_trip({MqPartitioning::kByKey, MqPartitioning::kRoundRobin}, parse_mq_partitioning);
  expect_round_trip({MqAssignment::kRange, MqAssignment::kRoundRobin}, parse_mq_assignment);
  expect_round_trip({ChannelType::kMysqlReplication, ChannelType::kMq}, parse_channel_type);
  expect_round_trip(
      {OplogPlacement::kServer, OplogPlacement::kLocalIndependent, OplogPlacement::kRemote},
      parse_oplog_placement);
  expect_round_trip({FaultType::kDcOutage, FaultType::kDcLoss, FaultType::kDbLoss,
                     FaultType::kLinkDown, FaultType::kLinkDegrade, FaultType::kPartition,
                     FaultType::kChannelStop, FaultType::kBrokerCrash, FaultType::kConsumerCrash},
                    parse_fault_type);
}

TEST(ChannelNames, AnUnknownNameIsRejectedWithTheAllowedOnesAndAGuess) {
  try {
    (void)parse_mq_partitioning("round-robin");
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "partitioning 'round-robin' is unknown; allowed: by_key, round_robin (did you mean "
              "'round_robin'?)");
  }
  EXPECT_THROW((void)parse_fault_type("dc_crash"), InvalidArgument);
  EXPECT_THROW((void)parse_on_duplicate(""), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
