#include "geodes/models/data/key_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "geodes/sim/rng.hpp"

namespace geodes::models {
namespace {

struct Value {
  std::uint64_t a = 0;
  std::uint32_t b = 0;
};

const KeyLayout kLayouts[] = {KeyLayout::kIndexed, KeyLayout::kDirect};

std::string name(KeyLayout l) { return l == KeyLayout::kDirect ? "direct" : "indexed"; }

// Everything the table holds, in the order for_each() visits it.
std::vector<std::pair<std::uint64_t, std::uint64_t>> contents(const KeyTable<Value>& t) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  t.for_each([&](std::uint64_t key, const Value& v) { out.emplace_back(key, v.a); });
  return out;
}

TEST(KeyTable, DenseKeysAreFoundInsertedOnceAndErased) {
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{1000, layout});
    for (std::uint64_t k = 1; k <= 1000; ++k) {
      auto [v, inserted] = t.try_emplace(k);
      ASSERT_TRUE(inserted);
      v->a = k * 10;
    }
    EXPECT_EQ(t.size(), 1000u);
    EXPECT_FALSE(t.try_emplace(7).second) << "a second insert finds the first";
    EXPECT_EQ(t.find(7)->a, 70u);
    EXPECT_EQ(t.find(0), nullptr);
    EXPECT_EQ(t.find(1001), nullptr);
    EXPECT_TRUE(t.erase(7));
    EXPECT_FALSE(t.erase(7));
    EXPECT_EQ(t.find(7), nullptr);
    EXPECT_EQ(t.size(), 999u);
    auto [again, inserted] = t.try_emplace(7);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(again->a, 0u) << "a reinserted key starts from T{}";
  }
}

TEST(KeyTable, SparseKeysGoToTheHashMapAndKeysComeOutAscending) {
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{100, layout});
    const std::vector<std::uint64_t> keys = {
        std::uint64_t{1} << 62, 5, (std::uint64_t{1} << 40) + 3, 2, ~std::uint64_t{0}, 99};
    for (const std::uint64_t k : keys) t.try_emplace(k).first->a = k;
    EXPECT_LT(t.dense_keys(), std::uint64_t{1} << 40) << "huge ids do not stretch the flat part";
    for (const std::uint64_t k : keys) {
      ASSERT_NE(t.find(k), nullptr) << k;
      EXPECT_EQ(t.find(k)->a, k);
    }
    EXPECT_EQ(t.keys(), (std::vector<std::uint64_t>{2, 5, 99, (std::uint64_t{1} << 40) + 3,
                                                    std::uint64_t{1} << 62, ~std::uint64_t{0}}));
  }
}

TEST(KeyTable, KeysAboveTheRangeMoveIntoItWhenItGrowsPastThem) {
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{0, layout});  // no reservation: the range grows with the entries
    const std::uint64_t far = 30'000;         // beyond the limit of an almost empty table
    t.try_emplace(far).first->a = 1;
    EXPECT_LE(t.dense_keys(), far);
    for (std::uint64_t k = 0; k < 20'000; ++k) t.try_emplace(k).first->a = k + 2;
    t.try_emplace(40'000).first->a = 0;  // within the limit the entries allow now: the range grows
    EXPECT_GT(t.dense_keys(), far) << "the range grew past the sparse key";
    ASSERT_NE(t.find(far), nullptr);
    EXPECT_EQ(t.find(far)->a, 1u);
    EXPECT_EQ(t.size(), 20'002u);
    const auto c = contents(t);
    ASSERT_EQ(c.size(), 20'002u);
    EXPECT_EQ(c[c.size() - 2], std::make_pair(far, std::uint64_t{1})) << "in key order";
    EXPECT_TRUE(t.erase(far));
    EXPECT_EQ(t.find(far), nullptr);
  }
}

TEST(KeyTable, BehavesLikeAnOrderedMapUnderRandomOperations) {
  // Keys from three spreads: dense, a little sparse, and huge (snowflake-like).
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{2000, layout});
    std::map<std::uint64_t, std::uint64_t> model;
    sim::Rng rng(7, "key_table_test");
    for (int i = 0; i < 200'000; ++i) {
      const std::uint64_t spread = rng.below(3);
      const std::uint64_t key = spread == 0   ? rng.below(3000)
                                : spread == 1 ? rng.below(60'000)
                                              : (rng.below(1000) << 41) + 7;
      switch (rng.below(4)) {
        case 0:
        case 1: {
          auto [v, inserted] = t.try_emplace(key);
          ASSERT_EQ(inserted, model.count(key) == 0) << key;
          v->a = static_cast<std::uint64_t>(i);
          model[key] = static_cast<std::uint64_t>(i);
          break;
        }
        case 2:
          ASSERT_EQ(t.erase(key), model.erase(key) == 1) << key;
          break;
        default: {
          const Value* v = t.find(key);
          const auto it = model.find(key);
          ASSERT_EQ(v != nullptr, it != model.end()) << key;
          if (v != nullptr) {
            ASSERT_EQ(v->a, it->second);
          }
        }
      }
      ASSERT_EQ(t.size(), model.size());
    }
    const auto c = contents(t);
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> want(model.begin(), model.end());
    EXPECT_EQ(c, want);
  }
}

TEST(KeyTable, EraseIfRemovesExactlyTheEntriesThePredicateNames) {
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{100, layout});
    for (std::uint64_t k = 0; k < 100; ++k) t.try_emplace(k).first->a = k;
    t.try_emplace(std::uint64_t{1} << 50).first->a = 3;
    const std::size_t erased =
        t.erase_if([](std::uint64_t, const Value& v) { return v.a % 3 == 0; });
    EXPECT_EQ(erased, 35u);  // 0, 3, ..., 99 and the sparse one
    EXPECT_EQ(t.size(), 66u);
    EXPECT_EQ(t.find(std::uint64_t{1} << 50), nullptr);
    EXPECT_EQ(t.find(3), nullptr);
    EXPECT_NE(t.find(4), nullptr);
  }
}

TEST(KeyTable, AnEntryCostsItsValueAndAFewBytesNotANode) {
  // A million dense keys: the indexed layout holds the value and a 4-byte slot, the direct one the
  // value and a presence bit. (A node-based hash map costs about 3 times the value here.)
  constexpr std::uint64_t kN = 1'000'000;
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{kN, layout});
    for (std::uint64_t k = 1; k <= kN; ++k) t.try_emplace(k);
    const double per_entry = static_cast<double>(t.used_bytes()) / kN;
    const double bound = layout == KeyLayout::kDirect
                             ? KeyTable<Value>::kDirectBytesPerEntry * 1.2
                             : KeyTable<Value>::kIndexedBytesPerEntry * 1.2;
    EXPECT_LT(per_entry, bound);
    EXPECT_GE(per_entry, static_cast<double>(sizeof(Value)));
  }
}

TEST(KeyTable, ClearEmptiesTheTableAndItCanBeFilledAgain) {
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    KeyTable<Value> t(KeySizing{10, layout});
    for (const std::uint64_t k : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{1} << 30}) {
      t.try_emplace(k);
    }
    t.clear();
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.find(1), nullptr);
    EXPECT_EQ(t.find(1u << 30), nullptr);
    EXPECT_TRUE(t.try_emplace(1).second);
    EXPECT_EQ(t.keys(), (std::vector<std::uint64_t>{1}));
  }
}

TEST(KeyTable, ACopyIsIndependentOfTheOriginal) {
  KeyTable<Value> a;
  a.try_emplace(5).first->a = 1;
  a.try_emplace(std::uint64_t{1} << 45).first->a = 2;
  KeyTable<Value> b = a;
  b.find(5)->a = 9;
  b.erase(std::uint64_t{1} << 45);
  EXPECT_EQ(a.find(5)->a, 1u);
  ASSERT_NE(a.find(std::uint64_t{1} << 45), nullptr);
  EXPECT_EQ(b.size(), 1u);
}

TEST(KeyTable, PrefetchChangesNothingWhereverTheKeyFalls) {
  for (KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    // Sized for a million entries: reservations large enough to be advised huge pages.
    KeyTable<Value> t(KeySizing{1'000'000, layout});
    for (std::uint64_t k = 1; k < 2'000; k += 3) t.try_emplace(k).first->a = k * 7;
    t.try_emplace(std::uint64_t{1} << 60).first->a = 5;  // sparse, in the hash map
    const auto before = contents(t);
    const std::size_t size = t.size();
    // Present, absent, erased, beyond the flat range and in the hash map.
    t.erase(4);
    const auto after_erase = contents(t);
    for (const std::uint64_t k :
         {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{4}, std::uint64_t{1'999},
          std::uint64_t{50'000'000}, std::uint64_t{1} << 60, ~std::uint64_t{0}}) {
      t.prefetch(k);
    }
    EXPECT_EQ(contents(t), after_erase);
    EXPECT_EQ(t.size(), size - 1);
    EXPECT_EQ(before.size(), size);
    ASSERT_NE(t.find(1'999), nullptr);
    EXPECT_EQ(t.find(1'999)->a, 1'999U * 7);
    EXPECT_EQ(t.find(4), nullptr);
  }
}

// Rows start on a cache line, so that a 32-byte row never straddles two (two misses for one probe).
bool on_a_line(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

TEST(KeyTable, EntriesStartOnACacheLineInBothLayouts) {
  struct Row {
    std::uint64_t w[4];
  };
  static_assert(sizeof(Row) == 32);
  for (const KeyLayout layout : kLayouts) {
    SCOPED_TRACE(name(layout));
    for (const std::uint64_t expected : {std::uint64_t{3}, std::uint64_t{100'000}}) {
      KeyTable<Row> t(KeySizing{expected, layout});
      // The first value of the pool (indexed) or of the array (direct: key 0, then every second).
      EXPECT_TRUE(on_a_line(t.try_emplace(0).first));
      if (layout == KeyLayout::kDirect) {
        EXPECT_TRUE(on_a_line(t.try_emplace(2).first));
      }
      // Still so after the pool outgrows its reservation (expected * 9 / 8) and the range grows
      // past its reserved room (expected * 9 / 8 + 4096): both move, and after a copy.
      const std::uint64_t reserved = expected * 9 / 8;
      for (std::uint64_t k = 1; k <= reserved + 10; ++k) t.try_emplace(k);
      t.try_emplace(reserved + 4097);
      ASSERT_EQ(t.size(), reserved + 12);
      EXPECT_TRUE(on_a_line(t.find(0)));
      const KeyTable<Row> copy = t;
      EXPECT_TRUE(on_a_line(copy.find(0)));
    }
  }
}

TEST(ZeroedArray, GrowsZeroFilledKeepsItsContentsAndStaysAligned) {
  key_table_detail::ZeroedArray<std::uint32_t> a;
  EXPECT_EQ(a.capacity(), 0u);
  a.grow_to(5);
  EXPECT_TRUE(on_a_line(&a[0]));
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a[i], 0u);
    a[i] = i + 1;
  }
  a.grow_to(3);  // never shrinks
  EXPECT_EQ(a.capacity(), 5u);
  a.grow_to(100'000);
  EXPECT_TRUE(on_a_line(&a[0]));
  EXPECT_EQ(a[4], 5u);
  EXPECT_EQ(a[5], 0u);
  EXPECT_EQ(a[99'999], 0u);

  key_table_detail::ZeroedArray<std::uint32_t> copy;
  copy = a;
  copy[0] = 42;
  EXPECT_EQ(a[0], 1u);
  EXPECT_TRUE(on_a_line(&copy[0]));

  key_table_detail::ZeroedArray<std::uint32_t> moved(std::move(copy));
  EXPECT_EQ(moved[0], 42u);
  EXPECT_EQ(moved.capacity(), 100'000u);
  EXPECT_EQ(copy.capacity(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  key_table_detail::ZeroedArray<std::uint32_t> assigned;
  assigned.grow_to(2);
  assigned = std::move(moved);
  EXPECT_EQ(assigned[4], 5u);
  EXPECT_EQ(assigned.capacity(), 100'000u);
  assigned.release();
  EXPECT_EQ(assigned.capacity(), 0u);
}

}  // namespace
}  // namespace geodes::models
