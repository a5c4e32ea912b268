// The pending-event set: a monotone priority queue of (time, sequence, slot) entries, built as a
// radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) with 4-bit digits.
//
// Ordering rule (this is what makes runs reproducible): entries are ordered by time, then by
// sequence number, which the engine assigns in insertion order. Two events at the same time
// therefore run in the order they were scheduled, on every machine and standard library. The
// radix key is the whole 96-bit pair (time, sequence), so every key is distinct and ties need no
// special rule.
//
// Why a radix heap: the engine never schedules into the past, so every key pushed is greater than
// the last key popped (a *monotone* queue). A radix heap keeps a reference key `last` (the last
// minimum) and files each entry under the most significant 4-bit digit where it differs from
// `last`, and that digit's value: 24 levels x 16 values. Buckets are ordered, so the minimum lives
// in the lowest non-empty bucket (found with two count-trailing-zeros over a bitmap). Extracting it
// makes it the new `last` and re-files that one bucket's entries into strictly lower buckets, so an
// entry moves at most 24 times and in practice ~3 times (measured: 1.5 / 3.1 / 4.7 moves per event
// at 100 / 10k / 1M pending on the hold model), each move a sequential read and an append, against
// ~7 levels of data-dependent, cache-missing comparisons in a heap.
//
// Measured (bench/engine_hold_bench.cpp, medians of 5 repetitions, several interleaved rounds on a
// busy 2-core AMD EPYC, so +-10%), events/s:
//                                    100 pending   10k pending   1M pending
//   4-ary heap + replace_top (old)     ~20.2 M       ~10.7 M      ~2.6 M
//   radix, 1-bit digits (97 buckets)   ~17.5 M       ~13.6 M      ~3.9 M
//   radix, 4-bit digits                ~19.3 M       ~16.5 M      ~3.8 M   <- this
//   radix, 8-bit digits                ~18.6 M       ~12.3 M      ~3.5 M   (3072 buckets: cache)
// (The 100-pending case is bound by the engine and the model, not the queue.)
//
// Few pending events: a sorted array. A channel-only run (bench/mm1_channel.yaml: one arrival,
// one delivery and one applier event pending) keeps ~3 events, where every pop of a radix heap
// re-files its few, far-apart entries level by level. Below kSmallMax entries the queue is
// instead an array sorted in descending order (minimum last: pop is pop_back; a push shifts the
// entries before which it goes, scanning from the minimum's end, where new events mostly land).
// It switches to the radix heap when a push finds kSmallMax entries and back when a pop leaves
// fewer than kSmallMin, so a switch (O(kSmallMax)) is separated from the next by at least
// kSmallMax - kSmallMin operations: amortised O(1). The order is the same (time, sequence) order
// in both forms, so results do not depend on which form holds the entries.
// Measured (idle Intel Xeon, medians of 3), hold model events/s, radix only -> with the array:
// 4 pending 20.5 M -> 31.6 M, 100 and more pending unchanged (radix in both); the M/M/1 channel
// run (1 M writes, 3 M events) 0.37 -> 0.29 s user CPU (medians of 5, old and new alternated).
//
// Details:
//   * Buckets are chains of fixed-size chunks from one shared free list, not a vector each: a
//     vector per bucket keeps the capacity of the largest crowd that ever passed through it, which
//     measured 20-70x the pending count. With chunks, memory is ~(pending / 32 + 384) chunks.
//   * The current minimum is held apart (`min_`) once found; its key is `last`.
//   * The queue only requires pushed keys to be above the last *popped* key, but top() may already
//     have made a larger minimum the reference (e.g. run_until() peeks at an event past its end,
//     and later the model schedules something earlier). Such rare keys go to a small binary heap,
//     `low_`, whose entries all precede every radix entry and are drained first.
//   * Sequence numbers are 32 bits to keep entries small. Before they would wrap, renumber()
//     rewrites them as ranks 0..n-1 in (time, sequence) order and rebuilds the buckets, which
//     preserves every tie order, so behaviour is exactly as with unbounded numbers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

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

  /// The smallest entry. REQUIRES: !empty(). Not const: it may re-file entries to find it.
  const QueueEntry& top() {
    if (small_) return near_.back();
    if (!low_.empty()) [[unlikely]] {
      return low_.front();
    }
    if (!has_min_) refill();
    return min_;
  }

  /// Inserts `e`. REQUIRES: `e` is greater, in (time, seq) order, than every entry popped so far.
  void push(const QueueEntry& e) {
    ++size_;
    if (small_) {
      if (near_.size() < kSmallMax) [[likely]] {
        push_near(e);
        return;
      }
      to_radix();
    }
    const std::uint64_t t = ukey(e.time);
    if ((t < last_time_) | ((t == last_time_) & (e.seq < last_seq_))) [[unlikely]] {
      push_low(e);
      return;
    }
    const unsigned b = bucket_of(t, e.seq);
    if (b == 0) {  // equal to the reference key: only possible when no minimum is held
      min_ = e;
      has_min_ = true;
      return;
    }
    insert(b, e);
  }

  /// Removes the smallest entry. REQUIRES: !empty().
  void pop() {
    --size_;
    if (small_) {
      near_.pop_back();
      return;
    }
    if (!low_.empty()) [[unlikely]] {
      pop_low();
    } else {
      if (!has_min_) refill();
      has_min_ = false;  // `last` keeps the popped key: the floor for later pushes
    }
    if (size_ < kSmallMin) [[unlikely]]
      to_small();
  }

  /// Rewrites sequence numbers as ranks 0..size()-1 in (time, seq) order and returns size(), the
  /// next free sequence number. The order of entries is unchanged.
  std::uint32_t renumber();

 private:
  static constexpr unsigned kDigitBits = 4;
  static constexpr unsigned kRadix = 1u << kDigitBits;
  static constexpr unsigned kLevels = 96 / kDigitBits;
  static constexpr unsigned kBuckets = kLevels * kRadix;
  static constexpr unsigned kWords = (kBuckets + 63) / 64;
  static constexpr std::uint32_t kChunkEntries = 32;
  static constexpr std::size_t kSmallMax = 32;
  static constexpr std::size_t kSmallMin = 8;

  struct Chunk {
    QueueEntry entries[kChunkEntries];
    Chunk* next;
  };
  // Entries fill head, head->next, ..., tail; all chunks but the tail are full.
  struct Bucket {
    Chunk* head = nullptr;
    Chunk* tail = nullptr;
    std::uint32_t tail_count = 0;
  };

  // Time as an unsigned number with the same order.
  static std::uint64_t ukey(std::int64_t time) {
    return static_cast<std::uint64_t>(time) ^ (std::uint64_t{1} << 63);
  }
  static bool before(const QueueEntry& a, const QueueEntry& b) {
    return (a.time < b.time) | ((a.time == b.time) & (a.seq < b.seq));
  }

  // Bucket of key (t, s) >= last: level of the highest differing digit, then that digit of the key
  // (always above last's digit, so never 0 at level 0). 0 means the key equals last.
  [[nodiscard]] unsigned bucket_of(std::uint64_t t, std::uint32_t s) const {
    const std::uint64_t dt = t ^ last_time_;
    if (dt != 0) [[likely]] {
      const unsigned p = (63 - static_cast<unsigned>(__builtin_clzll(dt))) / kDigitBits;
      const unsigned digit = static_cast<unsigned>(t >> (p * kDigitBits)) & (kRadix - 1);
      return (32 / kDigitBits + p) * kRadix + digit;
    }
    const std::uint32_t ds = s ^ last_seq_;
    if (ds == 0) return 0;
    const unsigned p = (31 - static_cast<unsigned>(__builtin_clz(ds))) / kDigitBits;
    const unsigned digit = (s >> (p * kDigitBits)) & (kRadix - 1);
    return p * kRadix + digit;
  }

  void insert(unsigned b, const QueueEntry& e) {
    Bucket& bucket = buckets_[b];
    if (bucket.tail_count == kChunkEntries || bucket.tail == nullptr) [[unlikely]] {
      add_chunk(b);
    }
    bucket.tail->entries[bucket.tail_count++] = e;
  }
  void add_chunk(unsigned b);
  void refill();
  void push_low(const QueueEntry& e);
  void pop_low();
  // Small mode: near_ is sorted in descending order, the minimum last; an insertion scans from
  // the back, where most new events land.
  void push_near(const QueueEntry& e) {
    near_.push_back(e);
    QueueEntry* p = near_.data() + near_.size() - 1;
    while (p != near_.data() && before(p[-1], e)) {
      *p = p[-1];
      --p;
    }
    *p = e;
  }
  void to_radix();  // moves near_ into the radix heap, its minimum the reference key
  void to_small();  // moves every entry into near_, sorted
  // Appends the radix part's entries (the held minimum, low_, the buckets) to `out` in no
  // particular order and empties it; size_ is the caller's.
  void take_radix(std::vector<QueueEntry>& out);

  bool small_ = true;            // every entry is in near_; the radix part and low_ are empty
  std::uint64_t last_time_ = 0;  // the reference key `last`: ukey() of its time, and its sequence
  std::uint32_t last_seq_ = 0;
  bool has_min_ = false;  // min_ holds the minimum, whose key is `last`
  QueueEntry min_{};
  std::size_t size_ = 0;
  std::uint64_t summary_ = 0;        // bit w: mask_[w] != 0
  std::uint64_t mask_[kWords] = {};  // bit b: buckets_[b] is non-empty
  std::array<Bucket, kBuckets> buckets_{};
  Chunk* free_chunks_ = nullptr;
  std::vector<std::unique_ptr<Chunk>> chunks_;  // owns every chunk
  std::vector<QueueEntry> low_;                 // binary min-heap of entries below `last`
  std::vector<QueueEntry> near_;                // small mode: every entry, descending
};

}  // namespace geodes::sim
