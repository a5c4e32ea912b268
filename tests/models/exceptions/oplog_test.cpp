#include "geodes/models/exceptions/oplog.hpp"

#include <gtest/gtest.h>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Time;

constexpr DcId kBj{0};
constexpr DcId kSh{1};
constexpr DcId kSz{2};

Write write(std::uint64_t key, DcId origin, std::uint64_t seq) {
  Write w;
  w.key = key;
  w.version = Version{origin, seq, static_cast<std::int64_t>(seq)};
  w.value = seq;
  w.bytes = 100;
  return w;
}

Oplog make(OplogPlacement placement) {
  OplogSpec spec;
  spec.placement = placement;
  return Oplog(spec, 3);
}

TEST(Oplog, AServerLogDiesWithTheDbServerAndTheDc) {
  Oplog log = make(OplogPlacement::kServer);
  log.record(write(1, kBj, 1), kBj, Time(0));
  log.record(write(2, kSh, 1), kSh, Time(0));
  EXPECT_EQ(log.holder(kBj), kBj);
  log.lose_db(kBj, Time(10));
  EXPECT_FALSE(log.find(1).has_value());
  EXPECT_TRUE(log.find(2).has_value());
  log.lose_dc(kSh, Time(10));
  EXPECT_FALSE(log.find(2).has_value());
  EXPECT_EQ(log.stats().destroyed, 2u);
}

TEST(Oplog, ALocalIndependentLogSurvivesTheDbServerButNotTheDc) {
  Oplog log = make(OplogPlacement::kLocalIndependent);
  log.record(write(1, kBj, 1), kBj, Time(0));
  log.lose_db(kBj, Time(10));
  EXPECT_TRUE(log.find(1).has_value());
  log.lose_dc(kBj, Time(10));
  EXPECT_FALSE(log.find(1).has_value());
}

TEST(Oplog, ARemoteLogSurvivesTheWritersLossOnceDurableAndDiesWithItsOwnDc) {
  Oplog log = make(OplogPlacement::kRemote);
  EXPECT_EQ(log.holder(kBj), kSh);
  EXPECT_EQ(log.holder(kSz), kBj) << "the next DC, cyclically";
  log.record(write(1, kBj, 1), kBj, Time(100));  // durable at 100
  log.record(write(2, kBj, 2), kBj, Time(300));  // still crossing the link at 200
  log.lose_dc(kBj, Time(200));
  EXPECT_TRUE(log.find(1).has_value());
  EXPECT_FALSE(log.find(2).has_value()) << "the last moments before the loss are lost";
  EXPECT_EQ(log.stats().bytes_remote, 200u);
  log.lose_dc(kSh, Time(400));
  EXPECT_FALSE(log.find(1).has_value());
}

TEST(Oplog, TheLogKeepsTheNewestEntryPerKeyAndListsDurableOnesSortedByKey) {
  Oplog log = make(OplogPlacement::kLocalIndependent);
  log.record(write(5, kBj, 2), kBj, Time(0));
  log.record(write(5, kBj, 1), kBj, Time(0));  // older: ignored
  log.record(write(3, kSh, 1), kSh, Time(0));
  log.record(write(9, kSh, 2), kSh, Time(50));
  const std::vector<OplogEntry> e = log.entries(Time(10));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].write.key, 3u);
  EXPECT_EQ(e[1].write.key, 5u);
  EXPECT_EQ(e[1].write.version.seq, 2u);
  EXPECT_EQ(log.stats().logged, 4u);
}

TEST(Oplog, ARemoteLogNeedsAnotherKnownDc) {
  OplogSpec spec;
  spec.placement = OplogPlacement::kRemote;
  EXPECT_THROW(Oplog(spec, 1), InvalidArgument);
  spec.remote_dc = DcId{7};
  EXPECT_THROW(Oplog(spec, 3), InvalidArgument);
}

TEST(Oplog, SpansAtMostItsDcLimitAndRefusesWritesOfUnknownDcs) {
  OplogSpec spec;
  spec.placement = OplogPlacement::kLocalIndependent;
  EXPECT_THROW(Oplog(spec, Oplog::kMaxDcs + 1), InvalidArgument);
  Oplog log(spec, Oplog::kMaxDcs);
  // The last DC's ids survive the entry's packing.
  const DcId last{static_cast<std::uint32_t>(Oplog::kMaxDcs - 1)};
  Write w = write(5, last, 9);
  w.kind = WriteKind::kDelete;
  log.record(w, last, Time::zero());
  const std::optional<OplogEntry> e = log.find(5);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->writer, last);
  EXPECT_EQ(e->write.version, w.version);
  EXPECT_EQ(e->write.kind, WriteKind::kDelete);
  EXPECT_EQ(e->write.bytes, 100u);
  EXPECT_THROW(
      log.record(write(6, DcId{static_cast<std::uint32_t>(Oplog::kMaxDcs)}, 1), kBj, Time::zero()),
      InvalidArgument);
  EXPECT_THROW(
      log.record(write(6, kBj, 1), DcId{static_cast<std::uint32_t>(Oplog::kMaxDcs)}, Time::zero()),
      InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
