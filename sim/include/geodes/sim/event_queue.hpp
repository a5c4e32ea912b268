// The pending-event set: a 4-ary min-heap of (time, sequence, slot) entries.
//
// Ordering rule (this is what makes runs reproducible): entries are ordered by time, then by
// sequence number, which the engine assigns in insertion order. Two events at the same time
// therefore run in the order they were scheduled, on every machine and standard library.
//
// Why this shape (measured with bench/engine_hold_bench.cpp; see the foundation issue's notes):
//   * 4-ary: half the depth of a binary heap. Entries are 16 bytes and the array is offset so that
//     each family of four children fills exactly one 64-byte cache line: one line per level.
//   * Entries hold no callback (that lives in the engine's slot pool), so sifting moves little.
//   * The smallest of four children is picked without branches (those comparisons are
//     data-dependent and mispredict half the time), and removal walks the hole down to a leaf
//     first, then sifts the displaced entry back up (Wegener's bottom-up trick): one comparison and
//     one mispredicted branch fewer per level.
//   * replace_top() pops and pushes in one pass: the engine uses it when an event schedules a
//     successor, the commonest pattern in every model.
//   * Sequence numbers are 32 bits to keep entries small. Before they would wrap, renumber()
//     rewrites them as ranks 0..n-1 in (time, sequence) order, which preserves both the heap
//     invariant and every tie order, so behaviour is exactly as with unbounded numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace geodes::sim {

struct QueueEntry {
  std::int64_t time;
  std::uint32_t seq;
  std::uint32_t slot;
};
static_assert(sizeof(QueueEntry) == 16);

class EventQueue {
 public:
  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  /// REQUIRES: !empty().
  [[nodiscard]] const QueueEntry& top() const { return at(0); }

  void push(const QueueEntry& e) {
    if (size_ == capacity_) grow();
    ++size_;
    sift_up(size_ - 1, e);
  }

  /// Removes the smallest entry. REQUIRES: !empty().
  void pop() {
    --size_;
    if (size_ > 0) fill_root_hole(at(size_));
  }

  /// Removes the smallest entry and inserts `e`, in one pass. REQUIRES: !empty().
  void replace_top(const QueueEntry& e) { fill_root_hole(e); }

  /// Rewrites sequence numbers as ranks 0..size()-1 in (time, seq) order and returns size(), the
  /// next free sequence number. Order and heap shape are unchanged.
  std::uint32_t renumber();

 private:
  // Element k lives at buffer_[k + kOffset]: the children of k (4k+1 .. 4k+4) then start at
  // buffer index 4k+4, a multiple of four entries, i.e. a 64-byte boundary.
  static constexpr std::size_t kOffset = 3;

  struct AlignedFree {
    void operator()(QueueEntry* p) const;
  };

  QueueEntry& at(std::size_t k) { return buffer_.get()[k + kOffset]; }
  [[nodiscard]] const QueueEntry& at(std::size_t k) const { return buffer_.get()[k + kOffset]; }

  static bool before(const QueueEntry& a, const QueueEntry& b) {
    // Non-short-circuit form so the compiler can emit flag arithmetic instead of branches.
    return (a.time < b.time) | ((a.time == b.time) & (a.seq < b.seq));
  }

  void sift_up(std::size_t i, const QueueEntry& e) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!before(e, at(parent))) break;
      at(i) = at(parent);
      i = parent;
    }
    at(i) = e;
  }

  // The root is a hole; place `e` so that the heap property holds.
  void fill_root_hole(const QueueEntry& e) {
    const std::size_t n = size_;
    std::size_t i = 0;
    // Walk the hole down along smallest children while all four exist.
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first + 3 >= n) break;
      // The next level's candidates are the four families of these children: 4 consecutive
      // cache lines. Fetch them while this level's comparisons run (the walk is latency-bound).
      const std::size_t grandchildren = 4 * first + 1;
      if (grandchildren < n) {
        const char* line = reinterpret_cast<const char*>(&at(grandchildren));
        __builtin_prefetch(line);
        __builtin_prefetch(line + 64);
        __builtin_prefetch(line + 128);
        __builtin_prefetch(line + 192);
      }
      const std::size_t a = first + static_cast<std::size_t>(before(at(first + 1), at(first)));
      const std::size_t b =
          first + 2 + static_cast<std::size_t>(before(at(first + 3), at(first + 2)));
      const std::size_t best = before(at(b), at(a)) ? b : a;
      at(i) = at(best);
      i = best;
    }
    // A last, partial family of children.
    const std::size_t first = 4 * i + 1;
    if (first < n) {
      std::size_t best = first;
      for (std::size_t c = first + 1; c < n; ++c) {
        if (before(at(c), at(best))) best = c;
      }
      at(i) = at(best);
      i = best;
    }
    // `e` usually belongs near the bottom: sift it up from the hole.
    sift_up(i, e);
  }

  void grow();

  std::unique_ptr<QueueEntry[], AlignedFree> buffer_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace geodes::sim
