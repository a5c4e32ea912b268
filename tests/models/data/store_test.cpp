// Store: the apply-rule table, local commits, versions, divergence and convergence.
#include "geodes/models/data/store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "geodes/models/data/version.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {
namespace {

using sim::Time;

constexpr std::uint64_t kKey = 7;
constexpr DcId kDc0{0};
constexpr DcId kDc1{1};

// The versions of the table test, oldest first. kHeld is the version of the row (or tombstone)
// the store holds before the write under test; kOlder and kNewer are the incoming versions.
constexpr Version kBase{kDc0, 1, 50};  // the insert under a tombstone
constexpr Version kOlder{kDc0, 2, 100};
constexpr Version kHeld{kDc1, 1, 200};
constexpr Version kNewer{kDc0, 3, 300};

Write make_write(WriteKind kind, Version v, std::uint64_t value, std::uint64_t key = kKey) {
  Write w;
  w.key = key;
  w.kind = kind;
  w.version = v;
  w.value = value;
  w.commit_time = Time(v.hlc);
  w.bytes = 100;
  return w;
}

// What the store holds for kKey before the write under test.
enum class Before : std::uint8_t { kMissing, kLive, kTombstone };

// What it holds after.
enum class After : std::uint8_t {
  kNone,       // no row at all
  kUnchanged,  // exactly what it held before
  kIncoming,   // the incoming write (a tombstone if it is a delete)
};

struct Outcome {
  ApplyResult result;
  After after;
  std::uint64_t order_violations;
};

struct Cell {
  const char* name;
  Before before;
  WriteKind kind;
  Version version;
  // Indexed by ApplyRule: strict, skip, overwrite, last_writer_wins, insert_if_absent.
  std::array<Outcome, 5> outcomes;
};

constexpr auto kA = ApplyResult::kApplied;
constexpr auto kDup = ApplyResult::kDuplicateKey;
constexpr auto kMiss = ApplyResult::kMissingRow;
constexpr auto kSkip = ApplyResult::kSkipped;
constexpr auto kStale = ApplyResult::kStale;
constexpr auto kNone = After::kNone;
constexpr auto kSame = After::kUnchanged;
constexpr auto kNew = After::kIncoming;

// The header's table, cell by cell. Columns: strict, skip, overwrite, last_writer_wins,
// insert_if_absent.
const std::vector<Cell>& table() {
  using enum Before;
  using enum WriteKind;
  static const std::vector<Cell> cells = {
      {"insert existing, newer",
       kLive,
       kInsert,
       kNewer,
       {{{kDup, kSame, 0}, {kSkip, kSame, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kSkip, kSame, 0}}}},
      {"insert existing, older",
       kLive,
       kInsert,
       kOlder,
       {{{kDup, kSame, 0},
         {kSkip, kSame, 0},
         {kA, kNew, 1},
         {kStale, kSame, 0},
         {kSkip, kSame, 0}}}},
      {"insert missing",
       kMissing,
       kInsert,
       kNewer,
       {{{kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}}}},
      {"insert over tombstone, older (late insert)",
       kTombstone,
       kInsert,
       kOlder,
       {{{kA, kNew, 1}, {kA, kNew, 1}, {kA, kNew, 1}, {kStale, kSame, 0}, {kA, kNew, 1}}}},
      {"insert over tombstone, newer",
       kTombstone,
       kInsert,
       kNewer,
       {{{kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}}}},
      {"update missing",
       kMissing,
       kUpdate,
       kNewer,
       {{{kMiss, kNone, 0},
         {kSkip, kNone, 0},
         {kSkip, kNone, 0},
         {kA, kNew, 0},
         {kSkip, kNone, 0}}}},
      {"update over tombstone, older",
       kTombstone,
       kUpdate,
       kOlder,
       {{{kMiss, kSame, 0},
         {kSkip, kSame, 0},
         {kSkip, kSame, 0},
         {kStale, kSame, 0},
         {kSkip, kSame, 0}}}},
      {"update over tombstone, newer",
       kTombstone,
       kUpdate,
       kNewer,
       {{{kMiss, kSame, 0},
         {kSkip, kSame, 0},
         {kSkip, kSame, 0},
         {kA, kNew, 0},
         {kSkip, kSame, 0}}}},
      {"update existing, older",
       kLive,
       kUpdate,
       kOlder,
       {{{kA, kNew, 1}, {kA, kNew, 1}, {kA, kNew, 1}, {kStale, kSame, 0}, {kA, kNew, 1}}}},
      {"update existing, newer",
       kLive,
       kUpdate,
       kNewer,
       {{{kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}}}},
      {"delete missing",
       kMissing,
       kDelete,
       kNewer,
       {{{kMiss, kNone, 0},
         {kSkip, kNone, 0},
         {kSkip, kNone, 0},
         {kA, kNew, 0},
         {kSkip, kNone, 0}}}},
      {"delete existing, newer",
       kLive,
       kDelete,
       kNewer,
       {{{kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}, {kA, kNew, 0}}}},
      {"delete existing, older",
       kLive,
       kDelete,
       kOlder,
       {{{kA, kNew, 1}, {kA, kNew, 1}, {kA, kNew, 1}, {kStale, kSame, 0}, {kA, kNew, 1}}}},
  };
  return cells;
}

void prepare(Store& s, Before before) {
  switch (before) {
    case Before::kMissing:
      break;
    case Before::kLive:
      ASSERT_EQ(s.commit(make_write(WriteKind::kInsert, kHeld, 10), Time(kHeld.hlc)),
                ApplyResult::kApplied);
      break;
    case Before::kTombstone:
      ASSERT_EQ(s.commit(make_write(WriteKind::kInsert, kBase, 10), Time(kBase.hlc)),
                ApplyResult::kApplied);
      ASSERT_EQ(s.commit(make_write(WriteKind::kDelete, kHeld, 0), Time(kHeld.hlc)),
                ApplyResult::kApplied);
      break;
  }
}

TEST(StoreApply, FollowsEveryCellOfTheRuleTable) {
  constexpr std::array<ApplyRule, 5> kRules = {ApplyRule::kStrict, ApplyRule::kSkip,
                                               ApplyRule::kOverwrite, ApplyRule::kLastWriterWins,
                                               ApplyRule::kInsertIfAbsent};
  for (const Cell& cell : table()) {
    for (std::size_t r = 0; r < kRules.size(); ++r) {
      const ApplyRule rule = kRules[r];
      const Outcome& want = cell.outcomes[r];
      SCOPED_TRACE(std::string(cell.name) + " under " + to_string(rule));

      Store s(kDc1, "account");
      prepare(s, cell.before);
      const std::optional<Row> held = s.find(kKey);
      const Row before = held.value_or(Row{});
      const bool had_row = held.has_value();
      const StoreStats stats_before = s.stats();

      const Write w = make_write(cell.kind, cell.version, 20);
      const Time now(1'000'000);
      const ApplyResult got = s.apply(w, rule, now);
      EXPECT_EQ(got, want.result) << "got " << to_string(got) << ", want "
                                  << to_string(want.result);

      // The resulting row.
      const std::optional<Row> row = s.find(kKey);
      switch (want.after) {
        case After::kNone:
          EXPECT_FALSE(row.has_value());
          break;
        case After::kUnchanged:
          ASSERT_TRUE(had_row);
          ASSERT_TRUE(row.has_value());
          EXPECT_EQ(row->version, before.version);
          EXPECT_EQ(row->value, before.value);
          EXPECT_EQ(row->deleted, before.deleted);
          EXPECT_EQ(row->commit_time, before.commit_time);
          break;
        case After::kIncoming:
          ASSERT_TRUE(row.has_value());
          EXPECT_EQ(row->version, w.version);
          EXPECT_EQ(row->value, w.value);
          EXPECT_EQ(row->deleted, w.kind == WriteKind::kDelete);
          EXPECT_EQ(row->commit_time, w.commit_time);
          break;
      }
      EXPECT_EQ(s.contains(kKey), row && !row->deleted);
      EXPECT_EQ(s.size(), s.contains(kKey) ? 1u : 0u);

      // The counters: exactly one result counter moves; local commits are not touched.
      const StoreStats& st = s.stats();
      EXPECT_EQ(st.commits, stats_before.commits);
      EXPECT_EQ(st.applied, want.result == kA ? 1u : 0u);
      EXPECT_EQ(st.duplicate_key, want.result == kDup ? 1u : 0u);
      EXPECT_EQ(st.missing_row, want.result == kMiss ? 1u : 0u);
      EXPECT_EQ(st.skipped, want.result == kSkip ? 1u : 0u);
      EXPECT_EQ(st.stale, want.result == kStale ? 1u : 0u);
      EXPECT_EQ(st.order_violations, want.order_violations);
    }
  }
}

TEST(StoreApply, CountsEveryOrderViolationAndEveryResult) {
  Store s(kDc1, "password");
  EXPECT_EQ(s.apply(make_write(WriteKind::kInsert, kNewer, 1), ApplyRule::kOverwrite, Time(1)),
            ApplyResult::kApplied);
  EXPECT_EQ(s.apply(make_write(WriteKind::kUpdate, kHeld, 2), ApplyRule::kOverwrite, Time(2)),
            ApplyResult::kApplied);
  EXPECT_EQ(s.apply(make_write(WriteKind::kUpdate, kOlder, 3), ApplyRule::kOverwrite, Time(3)),
            ApplyResult::kApplied);
  // The password regressed twice: the replica ends with the oldest value.
  EXPECT_EQ(s.find(kKey)->value, 3u);
  EXPECT_EQ(s.stats().order_violations, 2u);
  EXPECT_EQ(s.stats().applied, 3u);
  EXPECT_EQ(s.apply(make_write(WriteKind::kInsert, kBase, 4), ApplyRule::kStrict, Time(4)),
            ApplyResult::kDuplicateKey);
  EXPECT_EQ(s.apply(make_write(WriteKind::kUpdate, kNewer, 5, 99), ApplyRule::kStrict, Time(5)),
            ApplyResult::kMissingRow);
  EXPECT_EQ(s.stats().duplicate_key, 1u);
  EXPECT_EQ(s.stats().missing_row, 1u);
  EXPECT_FALSE(s.find(99).has_value());
}

TEST(StoreApply, LastWriterWinsTreatsARedeliveryOfTheHeldVersionAsStale) {
  Store s(kDc1, "account");
  const Write w = make_write(WriteKind::kInsert, kHeld, 5);
  EXPECT_EQ(s.apply(w, ApplyRule::kLastWriterWins, Time(1)), ApplyResult::kApplied);
  EXPECT_EQ(s.apply(w, ApplyRule::kLastWriterWins, Time(2)), ApplyResult::kStale);
  EXPECT_EQ(s.stats().applied, 1u) << "the redelivery was not applied again";
  EXPECT_EQ(s.stats().order_violations, 0u);
}

TEST(StoreCommit, AppliesLocalWritesAndRejectsWhatTheClientGetsAnErrorFor) {
  Store s(kDc0, "account");
  VersionClock clock(kDc0);
  const auto w = [&](WriteKind kind, std::uint64_t key, std::uint64_t value, std::int64_t t) {
    Write x = make_write(kind, clock.next(Time(t)), value, key);
    x.commit_time = Time(t);
    return x;
  };

  EXPECT_EQ(s.commit(w(WriteKind::kInsert, 1, 11, 10), Time(10)), ApplyResult::kApplied);
  EXPECT_TRUE(s.contains(1));
  EXPECT_EQ(s.find(1)->value, 11u);
  EXPECT_EQ(s.find(1)->commit_time, Time(10));

  // Insert of a live row: duplicate key, unchanged.
  EXPECT_EQ(s.commit(w(WriteKind::kInsert, 1, 12, 20), Time(20)), ApplyResult::kDuplicateKey);
  EXPECT_EQ(s.find(1)->value, 11u);

  // Update/delete of a missing row: missing row, nothing created.
  EXPECT_EQ(s.commit(w(WriteKind::kUpdate, 2, 21, 30), Time(30)), ApplyResult::kMissingRow);
  EXPECT_EQ(s.commit(w(WriteKind::kDelete, 2, 0, 31), Time(31)), ApplyResult::kMissingRow);
  EXPECT_FALSE(s.find(2).has_value());

  EXPECT_EQ(s.commit(w(WriteKind::kUpdate, 1, 13, 40), Time(40)), ApplyResult::kApplied);
  EXPECT_EQ(s.find(1)->value, 13u);

  // Delete leaves a tombstone carrying the delete's version.
  const Write del = w(WriteKind::kDelete, 1, 0, 50);
  EXPECT_EQ(s.commit(del, Time(50)), ApplyResult::kApplied);
  EXPECT_FALSE(s.contains(1));
  ASSERT_TRUE(s.find(1).has_value());
  EXPECT_TRUE(s.find(1)->deleted);
  EXPECT_EQ(s.find(1)->version, del.version);
  EXPECT_EQ(s.size(), 0u);

  // A deleted row is missing for update/delete, and can be inserted again.
  EXPECT_EQ(s.commit(w(WriteKind::kUpdate, 1, 14, 60), Time(60)), ApplyResult::kMissingRow);
  EXPECT_EQ(s.commit(w(WriteKind::kDelete, 1, 0, 61), Time(61)), ApplyResult::kMissingRow);
  EXPECT_EQ(s.commit(w(WriteKind::kInsert, 1, 15, 70), Time(70)), ApplyResult::kApplied);
  EXPECT_TRUE(s.contains(1));
  EXPECT_EQ(s.find(1)->value, 15u);
  EXPECT_EQ(s.size(), 1u);

  // Only applied local writes count, and only as commits.
  const StoreStats& st = s.stats();
  EXPECT_EQ(st.commits, 4u);
  EXPECT_EQ(st.applied, 0u);
  EXPECT_EQ(st.duplicate_key, 0u);
  EXPECT_EQ(st.missing_row, 0u);
  EXPECT_EQ(st.order_violations, 0u);
}

TEST(StoreCommit, CountsAnOrderViolationWhenALocalWriteIsOlderThanTheRowItReplaces) {
  Store s(kDc0, "account");
  ASSERT_EQ(s.apply(make_write(WriteKind::kInsert, kNewer, 1), ApplyRule::kStrict, Time(1)),
            ApplyResult::kApplied);
  EXPECT_EQ(s.commit(make_write(WriteKind::kUpdate, kOlder, 2), Time(2)), ApplyResult::kApplied);
  EXPECT_EQ(s.stats().order_violations, 1u);
}

TEST(Store, ListsKeysSortedWithTombstonesAndClearKeepsTheCounters) {
  Store s(DcId{3}, "profile");
  EXPECT_EQ(s.dc(), DcId{3});
  EXPECT_EQ(s.data_class(), "profile");
  for (const std::uint64_t key : {42u, 7u, 1000u, 3u}) {
    ASSERT_EQ(s.commit(make_write(WriteKind::kInsert, Version{kDc0, key, 1}, key, key), Time(1)),
              ApplyResult::kApplied);
  }
  ASSERT_EQ(s.commit(make_write(WriteKind::kDelete, Version{kDc0, 99, 2}, 0, 42), Time(2)),
            ApplyResult::kApplied);
  EXPECT_EQ(s.keys(), (std::vector<std::uint64_t>{3, 7, 42, 1000}));
  EXPECT_EQ(s.size(), 3u);

  s.clear();
  EXPECT_TRUE(s.keys().empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.find(7).has_value());
  EXPECT_EQ(s.stats().commits, 5u);
  // After a DC loss nothing is there to conflict with.
  EXPECT_EQ(s.apply(make_write(WriteKind::kInsert, kOlder, 1, 7), ApplyRule::kStrict, Time(3)),
            ApplyResult::kApplied);
}

TEST(VersionClock, IsMonotoneEvenWhenTimeStandsStillOrGoesBack) {
  VersionClock clock(kDc1);
  EXPECT_EQ(clock.origin(), kDc1);
  const Version a = clock.next(Time(1000));
  const Version b = clock.next(Time(1000));
  const Version c = clock.next(Time(1000));
  const Version d = clock.next(Time(500));
  EXPECT_EQ(a.origin, kDc1);
  EXPECT_EQ(a.seq, 1u);
  EXPECT_EQ(b.seq, 2u);
  EXPECT_EQ(a.hlc, 1000);
  EXPECT_EQ(b.hlc, 1001);
  EXPECT_EQ(c.hlc, 1002);
  EXPECT_EQ(d.hlc, 1003);
  EXPECT_TRUE(a.valid());
  EXPECT_FALSE(Version{}.valid());
  EXPECT_TRUE(newer(b, a));
  EXPECT_TRUE(newer(d, c));
  // Physical time ahead of the clock wins again.
  EXPECT_EQ(clock.next(Time(5000)).hlc, 5000);
}

TEST(VersionClock, ObservePushesTheClockPastWhatItSaw) {
  VersionClock here(kDc0);
  const Version remote{kDc1, 1, 9000};
  EXPECT_EQ(here.next(Time(100)).hlc, 100);
  here.observe(remote);
  const Version after = here.next(Time(200));
  EXPECT_EQ(after.hlc, 9001);
  EXPECT_TRUE(newer(after, remote));
  // An older observation never moves it back.
  here.observe(Version{kDc1, 2, 10});
  EXPECT_EQ(here.next(Time(200)).hlc, 9002);
}

TEST(Version, NewerIsAStrictTotalOrderByHlcThenOriginThenSequence) {
  EXPECT_TRUE(newer(Version{kDc0, 1, 2}, Version{kDc1, 9, 1}));  // hlc first
  EXPECT_TRUE(newer(Version{kDc1, 1, 5}, Version{kDc0, 9, 5}));  // then origin
  EXPECT_TRUE(newer(Version{kDc0, 3, 5}, Version{kDc0, 2, 5}));  // then sequence

  std::vector<Version> vs;
  for (std::uint32_t origin = 0; origin < 3; ++origin) {
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      for (std::int64_t hlc = 10; hlc <= 12; ++hlc) vs.push_back(Version{DcId{origin}, seq, hlc});
    }
  }
  for (const Version& a : vs) {
    EXPECT_FALSE(newer(a, a));
    for (const Version& b : vs) {
      // Exactly one of: a newer, b newer, equal.
      const int n = (newer(a, b) ? 1 : 0) + (newer(b, a) ? 1 : 0) + (a == b ? 1 : 0);
      EXPECT_EQ(n, 1);
      for (const Version& c : vs) {
        if (newer(a, b) && newer(b, c)) {
          EXPECT_TRUE(newer(a, c));
        }
      }
    }
  }
}

TEST(DivergentKeys, ListsKeysWhoseLiveStateDiffersSorted) {
  Store a(kDc0, "account");
  Store b(kDc1, "account");
  const auto ins = [](Store& s, std::uint64_t key, std::uint64_t value, Version v) {
    ASSERT_EQ(s.commit(make_write(WriteKind::kInsert, v, value, key), Time(1)),
              ApplyResult::kApplied);
  };
  const auto del = [](Store& s, std::uint64_t key, Version v) {
    ASSERT_EQ(s.commit(make_write(WriteKind::kDelete, v, 0, key), Time(2)), ApplyResult::kApplied);
  };
  EXPECT_TRUE(divergent_keys(a, b).empty());

  ins(a, 1, 100, kOlder);  // same value, different versions: not divergent
  ins(b, 1, 100, kNewer);
  ins(a, 2, 200, kOlder);  // different values: divergent
  ins(b, 2, 201, kOlder);
  ins(a, 30, 300, kOlder);  // only in a: divergent
  ins(b, 40, 400, kOlder);  // only in b: divergent
  ins(a, 5, 500, kOlder);   // tombstone vs missing: not divergent
  del(a, 5, kHeld);
  ins(a, 6, 600, kOlder);  // tombstone vs live: divergent
  del(a, 6, kHeld);
  ins(b, 6, 600, kOlder);
  ins(a, 7, 700, kOlder);  // tombstones on both sides: not divergent
  del(a, 7, kHeld);
  ins(b, 7, 701, kOlder);
  del(b, 7, kNewer);

  const std::vector<std::uint64_t> want = {2, 6, 30, 40};
  EXPECT_EQ(divergent_keys(a, b), want);
  EXPECT_EQ(divergent_keys(b, a), want);
  EXPECT_TRUE(divergent_keys(a, a).empty());
}

// 1000 concurrent writes over 20 keys from 2 origins, as two replicas would receive them in
// different orders (e.g. over two channels, or one channel each way plus an MQ).
std::vector<Write> concurrent_writes(sim::Rng& rng) {
  std::array<VersionClock, 2> clocks = {VersionClock(kDc0), VersionClock(kDc1)};
  std::vector<Write> writes;
  std::int64_t t = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    t += static_cast<std::int64_t>(rng.below(3));  // often the same instant: HLC ties by origin
    const std::size_t origin = rng.below(2);
    const std::uint64_t draw = rng.below(10);
    const WriteKind kind = draw < 3   ? WriteKind::kInsert
                           : draw < 9 ? WriteKind::kUpdate
                                      : WriteKind::kDelete;
    Write w = make_write(kind, clocks[origin].next(Time(t)), i + 1, rng.below(20));
    w.commit_time = Time(t);
    writes.push_back(w);
  }
  return writes;
}

void shuffle(std::vector<Write>& v, sim::Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

// Two replicas applying `writes` in two different shuffled orders under `rule`.
std::pair<Store, Store> replay(const std::vector<Write>& writes, ApplyRule rule) {
  std::pair<Store, Store> out{Store(kDc0, "account"), Store(kDc1, "account")};
  std::vector<Write> first = writes;
  std::vector<Write> second = writes;
  sim::Rng r1(7, "store_test.shuffle.first");
  sim::Rng r2(7, "store_test.shuffle.second");
  shuffle(first, r1);
  shuffle(second, r2);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    out.first.apply(first[i], rule, Time(static_cast<std::int64_t>(i)));
    out.second.apply(second[i], rule, Time(static_cast<std::int64_t>(i)));
  }
  return out;
}

TEST(StoreConvergence, LastWriterWinsConvergesWhateverTheOrderOfDelivery) {
  sim::Rng rng(42, "store_test.writes");
  const std::vector<Write> writes = concurrent_writes(rng);
  const auto [a, b] = replay(writes, ApplyRule::kLastWriterWins);
  EXPECT_TRUE(divergent_keys(a, b).empty());
  EXPECT_EQ(a.keys(), b.keys());
  EXPECT_EQ(a.stats().order_violations, 0u);
  EXPECT_EQ(b.stats().order_violations, 0u);
  EXPECT_GT(a.stats().stale, 0u);

  // Both hold, for every key, the newest write to it.
  std::map<std::uint64_t, Write> newest;
  for (const Write& w : writes) {
    const auto it = newest.find(w.key);
    if (it == newest.end() || newer(w.version, it->second.version)) newest[w.key] = w;
  }
  ASSERT_EQ(a.keys().size(), newest.size());
  for (const auto& [key, w] : newest) {
    for (const Store* s : {&a, &b}) {
      const std::optional<Row> row = s->find(key);
      ASSERT_TRUE(row.has_value()) << key;
      EXPECT_EQ(row->version, w.version) << key;
      EXPECT_EQ(row->deleted, w.kind == WriteKind::kDelete) << key;
      EXPECT_EQ(row->value, w.value) << key;
    }
  }
}

TEST(StoreConvergence, OverwriteDivergesWhenDeliveryOrdersDiffer) {
  sim::Rng rng(42, "store_test.writes");
  const std::vector<Write> writes = concurrent_writes(rng);
  const auto [a, b] = replay(writes, ApplyRule::kOverwrite);
  EXPECT_FALSE(divergent_keys(a, b).empty());
  EXPECT_GT(a.stats().order_violations, 0u);
  EXPECT_GT(b.stats().order_violations, 0u);
}

TEST(ApplyRule, NamesRoundTrip) {
  for (const ApplyRule rule : {ApplyRule::kStrict, ApplyRule::kSkip, ApplyRule::kOverwrite,
                               ApplyRule::kLastWriterWins, ApplyRule::kInsertIfAbsent}) {
    EXPECT_EQ(parse_apply_rule(to_string(rule)), rule) << to_string(rule);
  }
  EXPECT_STREQ(to_string(ApplyRule::kLastWriterWins), "last_writer_wins");
  EXPECT_STREQ(to_string(ApplyRule::kInsertIfAbsent), "insert_if_absent");
  EXPECT_STREQ(to_string(ApplyResult::kDuplicateKey), "duplicate_key");
  EXPECT_STREQ(to_string(WriteKind::kDelete), "delete");
}

// The message of the InvalidArgument that parse_apply_rule(name) throws.
TEST(Store, ARejectedCommitLeavesNoTraceOfItsKey) {
  Store s(DcId{0}, "passwords");
  Write update;
  update.key = 42;
  update.kind = WriteKind::kUpdate;
  update.version = Version{DcId{0}, 1, 1};
  EXPECT_EQ(s.commit(update, sim::Time(1)), ApplyResult::kMissingRow);
  EXPECT_FALSE(s.find(42).has_value());
  EXPECT_TRUE(s.keys().empty());
  EXPECT_EQ(s.stats().commits, 0u);
}

TEST(Store, KeepsACommitTimeFarFromItsVersionsTimestampExactly) {
  // Rows keep their commit time as a short distance below the hybrid timestamp; one that does not
  // fit (or a replica's write built by hand) must come back exactly all the same.
  constexpr std::int64_t kFar = std::int64_t{1} << 29;
  const std::int64_t hlcs[] = {0, 1'000'000'000, std::numeric_limits<std::int64_t>::max()};
  const std::int64_t distances[] = {
      0, 1, -1, kFar - 1, -kFar, kFar, -kFar - 1, 10 * kFar, -(std::int64_t{1} << 62)};
  Store s(kDc0, "account");
  std::uint64_t key = 0;
  for (const std::int64_t hlc : hlcs) {
    for (const std::int64_t d : distances) {
      std::int64_t commit = 0;
      if (__builtin_sub_overflow(hlc, d, &commit)) continue;  // not a time: skipped
      Write w = make_write(WriteKind::kInsert, Version{kDc0, ++key, hlc}, key, key);
      w.commit_time = Time(commit);
      ASSERT_EQ(s.apply(w, ApplyRule::kOverwrite, Time(0)), ApplyResult::kApplied);
      ASSERT_EQ(s.find(key)->commit_time, Time(commit)) << "hlc " << hlc << " distance " << d;
      // Overwritten by a near row, then by a far one again: each time exactly what was written.
      Write near = w;
      near.kind = WriteKind::kUpdate;
      near.version.seq += 1000;
      near.commit_time = Time(hlc);
      ASSERT_EQ(s.apply(near, ApplyRule::kOverwrite, Time(0)), ApplyResult::kApplied);
      EXPECT_EQ(s.find(key)->commit_time, Time(hlc));
      ASSERT_EQ(s.apply(w, ApplyRule::kOverwrite, Time(0)), ApplyResult::kApplied);
      EXPECT_EQ(s.find(key)->commit_time, Time(commit));
      EXPECT_EQ(s.find(key)->version, w.version);
    }
  }
}

TEST(Store, TheDirectLayoutHoldsExactlyWhatTheIndexedOneHolds) {
  // The same writes under every rule into a direct store and an indexed one: the same results,
  // rows, keys and counters.
  sim::Rng rng(3, "store_test.layouts");
  const std::vector<Write> writes = concurrent_writes(rng);
  for (const ApplyRule rule : {ApplyRule::kStrict, ApplyRule::kSkip, ApplyRule::kOverwrite,
                               ApplyRule::kLastWriterWins, ApplyRule::kInsertIfAbsent}) {
    SCOPED_TRACE(to_string(rule));
    Store direct(kDc1, "account", KeySizing{20, KeyLayout::kDirect});
    Store indexed(kDc1, "account", KeySizing{20, KeyLayout::kIndexed});
    for (const Write& w : writes) {
      Write x = w;
      x.key = w.key * 1000;  // spread past the direct range too
      ASSERT_EQ(direct.apply(x, rule, Time(0)), indexed.apply(x, rule, Time(0)));
    }
    ASSERT_EQ(direct.keys(), indexed.keys());
    for (const std::uint64_t key : direct.keys()) {
      const std::optional<Row> a = direct.find(key);
      const std::optional<Row> b = indexed.find(key);
      ASSERT_TRUE(a && b);
      EXPECT_EQ(a->version, b->version);
      EXPECT_EQ(a->value, b->value);
      EXPECT_EQ(a->deleted, b->deleted);
      EXPECT_EQ(a->commit_time, b->commit_time);
    }
    EXPECT_EQ(direct.size(), indexed.size());
    EXPECT_EQ(direct.stats().applied, indexed.stats().applied);
    EXPECT_EQ(direct.stats().order_violations, indexed.stats().order_violations);
    EXPECT_TRUE(divergent_keys(direct, indexed).empty());
  }
}

Write at(WriteKind kind, std::uint64_t key, std::uint64_t seq, std::int64_t t_ns) {
  Write w = make_write(kind, Version{kDc0, seq, t_ns}, seq, key);
  w.commit_time = Time(t_ns);
  return w;
}

TEST(StoreTtl, ARowIsGoneTtlAfterItsCommitAndItsKeyIsFreeAgain) {
  constexpr std::int64_t kS = 1'000'000'000;
  Store s(kDc0, "sessions", {}, sim::Duration(10 * kS));
  ASSERT_EQ(s.commit(at(WriteKind::kInsert, 1, 1, 0), Time(0)), ApplyResult::kApplied);
  EXPECT_TRUE(s.find(1, Time(10 * kS - 1)).has_value());
  EXPECT_FALSE(s.find(1, Time(10 * kS)).has_value()) << "gone exactly ttl after its commit";
  EXPECT_TRUE(s.find(1).has_value()) << "until a sweep, the slot is still there";
  // An insert over the expired row is no duplicate; an update of an expired row finds none.
  EXPECT_EQ(s.commit(at(WriteKind::kInsert, 1, 2, 10 * kS), Time(10 * kS)), ApplyResult::kApplied);
  EXPECT_EQ(s.stats().expired, 1u);
  EXPECT_EQ(s.commit(at(WriteKind::kUpdate, 1, 3, 25 * kS), Time(25 * kS)),
            ApplyResult::kMissingRow);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.stats().expired, 2u);
}

TEST(StoreTtl, ARewriteRestartsTheClockAndReplicasExpireWithTheOrigin) {
  constexpr std::int64_t kS = 1'000'000'000;
  const sim::Duration ttl(10 * kS);
  Store origin(kDc0, "cache", {}, ttl);
  Store replica(kDc1, "cache", {}, ttl);
  const Write first = at(WriteKind::kInsert, 5, 1, 0);
  const Write again = at(WriteKind::kUpdate, 5, 2, 6 * kS);
  origin.commit(first, Time(0));
  origin.commit(again, Time(6 * kS));
  EXPECT_TRUE(origin.find(5, Time(15 * kS)).has_value()) << "the rewrite at 6 s lives to 16 s";
  EXPECT_FALSE(origin.find(5, Time(16 * kS)).has_value());
  // The replica gets both late (at 8 s and 9 s): its copy still expires at 16 s, not 19 s.
  replica.apply(first, ApplyRule::kStrict, Time(8 * kS));
  replica.apply(again, ApplyRule::kStrict, Time(9 * kS));
  EXPECT_TRUE(replica.find(5, Time(15 * kS)).has_value());
  EXPECT_FALSE(replica.find(5, Time(16 * kS)).has_value());
  // A strict update that arrives after the expiry meets a missing row (error 1032).
  EXPECT_EQ(replica.apply(at(WriteKind::kUpdate, 5, 3, 12 * kS), ApplyRule::kStrict, Time(17 * kS)),
            ApplyResult::kMissingRow);
  EXPECT_EQ(replica.stats().order_violations, 0u);
}

TEST(StoreTtl, MemoryHoldsOnlyWhatWasWrittenWithinTheTtlWhateverTheRunLength) {
  // A session per user, rewritten whenever the user comes back: 100 k users, one write a
  // millisecond for 20 min, ttl 10 s. The rows held are those written within the last ttl (plus
  // at most one sweep interval, ttl / 16, of expired ones); the rows a reader sees, exactly them.
  constexpr std::int64_t kMs = 1'000'000;
  const sim::Duration ttl(10'000 * kMs);
  Store s(kDc0, "sessions", KeySizing{100'000, KeyLayout::kIndexed}, ttl);
  sim::Rng rng(9, "store_test.ttl");
  std::vector<std::int64_t> last(100'000, -1);
  std::size_t peak_bytes = 0;
  for (std::int64_t t = 0; t < 1'200'000; ++t) {
    const std::uint64_t user = rng.below(rng.below(2) == 0 ? 1000 : 100'000);  // a hot tenth
    const WriteKind kind = s.find(user, Time(t * kMs)) ? WriteKind::kUpdate : WriteKind::kInsert;
    ASSERT_EQ(s.commit(at(kind, user, static_cast<std::uint64_t>(t + 1), t * kMs), Time(t * kMs)),
              ApplyResult::kApplied);
    last[user] = t;
    if (t % 100'000 == 99'999) {
      std::size_t within = 0;
      std::size_t within_sweep = 0;
      for (const std::int64_t l : last) {
        within += l >= 0 && (t - l) * kMs < ttl.ns() ? 1 : 0;
        within_sweep += l >= 0 && (t - l) * kMs < ttl.ns() + ttl.ns() / 16 + kMs ? 1 : 0;
      }
      EXPECT_GE(s.size(), within);
      EXPECT_LE(s.size(), within_sweep);
      const std::uint64_t probe = rng.below(100'000);
      EXPECT_EQ(s.find(probe, Time(t * kMs)).has_value(),
                last[probe] >= 0 && (t - last[probe]) * kMs < ttl.ns());
      if (t > 200'000) peak_bytes = std::max(peak_bytes, s.used_bytes());
    }
  }
  s.expire(Time(1'200'000 * kMs));
  EXPECT_LT(peak_bytes, 100'000 * sizeof(std::uint32_t) + 12'000 * 48)
      << "the pool reuses the slots of expired rows";
  EXPECT_GT(s.stats().expired, 100'000u);
}

TEST(StoreTtl, ANonPositiveTtlIsRejected) {
  EXPECT_THROW(Store(kDc0, "x", {}, sim::Duration::zero()), InvalidArgument);
}

TEST(VersionClock, APeekedVersionIsTakenOnlyWhenTheCommitSucceeds) {
  VersionClock c(DcId{3});
  const Version first = c.peek(sim::Time(100));
  EXPECT_EQ(c.peek(sim::Time(100)), first) << "peeking takes nothing";
  c.take(first);
  const Version second = c.next(sim::Time(100));
  EXPECT_EQ(second.seq, first.seq + 1);
  EXPECT_TRUE(newer(second, first)) << "the same instant still gives a newer version";
}

std::string parse_error(const std::string& name) {
  try {
    parse_apply_rule(name);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  ADD_FAILURE() << "'" << name << "' parsed without an error";
  return {};
}

TEST(ApplyRule, ParseErrorsNameTheValueListTheRulesAndSuggestACloseOne) {
  const std::string all = "strict, skip, overwrite, last_writer_wins, insert_if_absent";
  const std::vector<std::pair<std::string, std::string>> typos = {
      {"skipp", "skip"},          {"last_writer_win", "last_writer_wins"}, {"Strict", "strict"},
      {"overwirte", "overwrite"}, {"insert_if_absnt", "insert_if_absent"},
  };
  for (const auto& [typo, guess] : typos) {
    const std::string msg = parse_error(typo);
    EXPECT_NE(msg.find("'" + typo + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(all), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean '" + guess + "'?"), std::string::npos) << msg;
  }
  for (const std::string name : {"banana", "", "lww", "replace"}) {
    const std::string msg = parse_error(name);
    EXPECT_NE(msg.find("'" + name + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(all), std::string::npos) << msg;
    EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace geodes::models
