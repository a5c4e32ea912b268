// Differential tests of EventQueue against a sorted reference model (std::map keyed by
// (time, sequence)). The queue is monotone: every push is at or after the last popped time, with a
// fresh, increasing sequence number, exactly as the engine uses it.
#include "geodes/sim/event_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <utility>

namespace geodes::sim {
namespace {

using Key = std::pair<std::int64_t, std::uint32_t>;

class Harness {
 public:
  explicit Harness(std::uint64_t seed) : rng_(seed) {}

  void push_at(std::int64_t time) {
    ASSERT_GE(time, floor_);
    if (next_seq_ == 0xffffffffu) renumber();
    const std::uint32_t seq = next_seq_++;
    const std::uint32_t slot = next_slot_++;
    queue_.push(QueueEntry{time, seq, slot});
    model_.emplace(Key{time, seq}, slot);
    ASSERT_EQ(queue_.size(), model_.size());
  }

  void check_top() {
    ASSERT_FALSE(queue_.empty());
    const QueueEntry& top = queue_.top();
    const auto& [key, slot] = *model_.begin();
    ASSERT_EQ(top.time, key.first);
    ASSERT_EQ(top.seq, key.second);
    ASSERT_EQ(top.slot, slot);
  }

  void pop() {
    check_top();
    floor_ = model_.begin()->first.first;
    model_.erase(model_.begin());
    queue_.pop();
    ASSERT_EQ(queue_.size(), model_.size());
    ASSERT_EQ(queue_.empty(), model_.empty());
  }

  // As the engine does: rewrite sequence numbers as ranks in key order.
  void renumber() {
    std::map<Key, std::uint32_t> renumbered;
    std::uint32_t rank = 0;
    for (const auto& [key, slot] : model_) renumbered.emplace(Key{key.first, rank++}, slot);
    model_ = std::move(renumbered);
    next_seq_ = queue_.renumber();
    ASSERT_EQ(next_seq_, rank);
  }

  // A time at or after the floor, drawn so that ties and all magnitudes of gaps are common.
  std::int64_t random_time() {
    switch (rng_() % 6) {
      case 0:
        return floor_;
      case 1:
        return floor_ + static_cast<std::int64_t>(rng_() % 4);
      case 2:
        return floor_ + 10 * static_cast<std::int64_t>(rng_() % 8);
      case 3:
        return floor_ + static_cast<std::int64_t>(rng_() % 100'000);
      case 4:
        return floor_ + static_cast<std::int64_t>(rng_() >> (rng_() % 40 + 20));
      default:
        // A tie with something pending, if possible.
        if (!model_.empty()) {
          auto it = model_.lower_bound(Key{floor_ + static_cast<std::int64_t>(rng_() % 1000), 0});
          if (it != model_.end()) return it->first.first;
        }
        return floor_;
    }
  }

  std::mt19937_64& rng() { return rng_; }
  [[nodiscard]] std::size_t size() const { return model_.size(); }
  [[nodiscard]] std::int64_t floor() const { return floor_; }
  void set_next_sequence(std::uint32_t next) { next_seq_ = next; }

 private:
  std::mt19937_64 rng_;
  EventQueue queue_;
  std::map<Key, std::uint32_t> model_;
  std::int64_t floor_ = 0;
  std::uint32_t next_seq_ = 0;
  std::uint32_t next_slot_ = 0;
};

TEST(EventQueue, MatchesSortedModelUnderRandomPushPop) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Harness h(seed);
    // Alternate phases that grow and shrink the queue, so it empties and refills repeatedly.
    for (int phase = 0; phase < 12; ++phase) {
      const int target = static_cast<int>(h.rng()() % 2000);
      for (int step = 0; step < 3000; ++step) {
        const bool grow = static_cast<int>(h.size()) < target;
        if (h.size() == 0 || (h.rng()() % 100) < (grow ? 70u : 30u)) {
          ASSERT_NO_FATAL_FAILURE(h.push_at(h.random_time()));
        } else {
          ASSERT_NO_FATAL_FAILURE(h.pop());
        }
      }
    }
    while (h.size() > 0) ASSERT_NO_FATAL_FAILURE(h.pop());
  }
}

TEST(EventQueue, HoldPatternWithManyTies) {
  // The engine's steady state: pop the minimum, push one successor; coarse times make ties common.
  Harness h(7);
  for (int i = 0; i < 500; ++i) ASSERT_NO_FATAL_FAILURE(h.push_at(10 * (i % 13)));
  for (int i = 0; i < 200'000; ++i) {
    ASSERT_NO_FATAL_FAILURE(h.pop());
    ASSERT_NO_FATAL_FAILURE(h.push_at(h.floor() + 10 * static_cast<std::int64_t>(h.rng()() % 5)));
  }
  while (h.size() > 0) ASSERT_NO_FATAL_FAILURE(h.pop());
}

TEST(EventQueue, PushBelowAPeekedMinimum) {
  // run_until() peeks at the next event and stops before it; later pushes may precede it (but not
  // the last popped key). Interleave peeks with such pushes.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Harness h(seed);
    for (int i = 0; i < 300; ++i) ASSERT_NO_FATAL_FAILURE(h.push_at(h.random_time()));
    for (int step = 0; step < 20'000; ++step) {
      const auto r = h.rng()() % 10;
      if (h.size() > 0 && r < 4) {
        ASSERT_NO_FATAL_FAILURE(h.pop());
      } else if (h.size() > 0 && r < 6) {
        ASSERT_NO_FATAL_FAILURE(h.check_top());
      } else {
        // Often at the floor itself, i.e. before the peeked minimum.
        const std::int64_t t = (r % 2 == 0) ? h.floor() : h.random_time();
        ASSERT_NO_FATAL_FAILURE(h.push_at(t));
      }
    }
    while (h.size() > 0) ASSERT_NO_FATAL_FAILURE(h.pop());
  }
}

TEST(EventQueue, CrossesBetweenSortedArrayAndRadixHeap) {
  // Below 8 pending the queue is a sorted array, above 32 a radix heap (with hysteresis between);
  // sizes swinging across both thresholds, with peeks and pushes below a peeked minimum at every
  // size, exercise each switch with entries in every part: the array, the held minimum, the
  // buckets and the below-`last` heap.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Harness h(seed);
    for (int swing = 0; swing < 200; ++swing) {
      const std::size_t high = 20 + h.rng()() % 40;  // sometimes never reaches 32
      while (h.size() < high) {
        ASSERT_NO_FATAL_FAILURE(h.push_at(h.rng()() % 3 == 0 ? h.floor() : h.random_time()));
        if (h.rng()() % 4 == 0) {
          ASSERT_NO_FATAL_FAILURE(h.check_top());
        }
      }
      const std::size_t low = h.rng()() % 12;  // sometimes stays above 8
      while (h.size() > low) {
        ASSERT_NO_FATAL_FAILURE(h.pop());
        if (h.size() > 0 && h.rng()() % 3 == 0) {
          ASSERT_NO_FATAL_FAILURE(h.check_top());
          ASSERT_NO_FATAL_FAILURE(h.push_at(h.floor()));
          ASSERT_NO_FATAL_FAILURE(h.pop());
        }
      }
    }
    while (h.size() > 0) ASSERT_NO_FATAL_FAILURE(h.pop());
  }
}

TEST(EventQueue, OrderSurvivesSequenceRenumbering) {
  // Start close to the 32-bit limit so that renumbering happens (repeatedly) mid-run, including
  // while entries sit below a peeked minimum.
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Harness h(seed);
    h.set_next_sequence(0xffffffffu - 700);
    for (int step = 0; step < 30'000; ++step) {
      const auto r = h.rng()() % 10;
      if (h.size() > 0 && r < 4) {
        ASSERT_NO_FATAL_FAILURE(h.pop());
      } else if (h.size() > 0 && r < 5) {
        ASSERT_NO_FATAL_FAILURE(h.check_top());
      } else {
        ASSERT_NO_FATAL_FAILURE(h.push_at(h.random_time()));
      }
      if (step % 5000 == 4999) h.set_next_sequence(0xffffffffu - 300);
    }
    while (h.size() > 0) ASSERT_NO_FATAL_FAILURE(h.pop());
  }
}

TEST(EventQueue, ExplicitRenumberKeepsOrder) {
  Harness h(3);
  for (int i = 0; i < 1000; ++i) ASSERT_NO_FATAL_FAILURE(h.push_at(h.random_time()));
  for (int i = 0; i < 300; ++i) ASSERT_NO_FATAL_FAILURE(h.pop());
  ASSERT_NO_FATAL_FAILURE(h.check_top());
  ASSERT_NO_FATAL_FAILURE(h.renumber());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_NO_FATAL_FAILURE(h.push_at(h.random_time()));
    ASSERT_NO_FATAL_FAILURE(h.pop());
  }
  while (h.size() > 0) ASSERT_NO_FATAL_FAILURE(h.pop());
}

}  // namespace
}  // namespace geodes::sim
