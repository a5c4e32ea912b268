#include "geodes/sim/event_queue.hpp"

#include <algorithm>
#include <utility>

namespace geodes::sim {

namespace {
struct After {
  bool operator()(const QueueEntry& a, const QueueEntry& b) const {
    return (a.time > b.time) | ((a.time == b.time) & (a.seq > b.seq));
  }
};
}  // namespace

void EventQueue::add_chunk(unsigned b) {
  Chunk* c = free_chunks_;
  if (c != nullptr) {
    free_chunks_ = c->next;
  } else {
    chunks_.push_back(std::make_unique<Chunk>());
    c = chunks_.back().get();
  }
  c->next = nullptr;
  Bucket& bucket = buckets_[b];
  if (bucket.tail == nullptr) {
    bucket.head = c;
    mask_[b >> 6] |= std::uint64_t{1} << (b & 63);
    summary_ |= std::uint64_t{1} << (b >> 6);
  } else {
    bucket.tail->next = c;
  }
  bucket.tail = c;
  bucket.tail_count = 0;
}

void EventQueue::refill() {
  const unsigned w = static_cast<unsigned>(__builtin_ctzll(summary_));
  const unsigned i = w * 64 + static_cast<unsigned>(__builtin_ctzll(mask_[w]));
  // Detach bucket i; its entries all go to lower buckets.
  Bucket& bucket = buckets_[i];
  Chunk* const head = bucket.head;
  Chunk* const tail = bucket.tail;
  const std::uint32_t tail_count = bucket.tail_count;
  bucket = Bucket{};
  mask_[w] &= ~(std::uint64_t{1} << (i & 63));
  if (mask_[w] == 0) summary_ &= ~(std::uint64_t{1} << w);

  const QueueEntry* best = &head->entries[0];
  for (const Chunk* c = head;; c = c->next) {
    const std::uint32_t n = c == tail ? tail_count : kChunkEntries;
    for (std::uint32_t j = 0; j < n; ++j) {
      if (before(c->entries[j], *best)) best = &c->entries[j];
    }
    if (c == tail) break;
  }
  min_ = *best;
  has_min_ = true;
  last_time_ = ukey(min_.time);
  last_seq_ = min_.seq;

  // Re-file the others, returning each chunk to the free list once read (the inserts of the next
  // chunk may then reuse it).
  for (Chunk* c = head; c != nullptr;) {
    const std::uint32_t n = c == tail ? tail_count : kChunkEntries;
    Chunk* const next = c == tail ? nullptr : c->next;
    for (std::uint32_t j = 0; j < n; ++j) {
      const QueueEntry& e = c->entries[j];
      const unsigned b = bucket_of(ukey(e.time), e.seq);
      if (b != 0) insert(b, e);  // b == 0 is the minimum itself
    }
    c->next = free_chunks_;
    free_chunks_ = c;
    c = next;
  }
}

void EventQueue::push_low(const QueueEntry& e) {
  low_.push_back(e);
  std::push_heap(low_.begin(), low_.end(), After{});
}

void EventQueue::pop_low() {
  std::pop_heap(low_.begin(), low_.end(), After{});
  low_.pop_back();
}

void EventQueue::to_radix() {
  small_ = false;
  // The minimum becomes the reference key: every entry is at or above it.
  const QueueEntry& m = near_.back();
  last_time_ = ukey(m.time);
  last_seq_ = m.seq;
  has_min_ = false;
  size_ -= near_.size();
  for (const QueueEntry& e : near_) push(e);
  near_.clear();
}

void EventQueue::take_radix(std::vector<QueueEntry>& out) {
  if (has_min_) out.push_back(min_);
  has_min_ = false;
  out.insert(out.end(), low_.begin(), low_.end());
  low_.clear();
  while (summary_ != 0) {
    const unsigned w = static_cast<unsigned>(__builtin_ctzll(summary_));
    const unsigned b = w * 64 + static_cast<unsigned>(__builtin_ctzll(mask_[w]));
    Bucket& bucket = buckets_[b];
    for (Chunk* c = bucket.head; c != nullptr;) {
      const std::uint32_t n = c == bucket.tail ? bucket.tail_count : kChunkEntries;
      out.insert(out.end(), c->entries, c->entries + n);
      Chunk* const next = c == bucket.tail ? nullptr : c->next;
      c->next = free_chunks_;
      free_chunks_ = c;
      c = next;
    }
    bucket = Bucket{};
    mask_[w] &= ~(std::uint64_t{1} << (b & 63));
    if (mask_[w] == 0) summary_ &= ~(std::uint64_t{1} << w);
  }
}

void EventQueue::to_small() {
  take_radix(near_);  // near_ is empty in radix mode
  std::sort(near_.begin(), near_.end(),
            [](const QueueEntry& a, const QueueEntry& b) { return before(b, a); });
  small_ = true;
}

std::uint32_t EventQueue::renumber() {
  std::vector<QueueEntry> all = std::move(near_);
  near_.clear();
  all.reserve(size_);
  take_radix(all);
  small_ = true;
  std::sort(all.begin(), all.end(),
            [](const QueueEntry& a, const QueueEntry& b) { return before(a, b); });
  // Rebuild around the smallest possible reference key: every present and future key is above it.
  last_time_ = 0;
  last_seq_ = 0;
  size_ = 0;
  const std::size_t n = all.size();
  for (std::size_t rank = 0; rank < n; ++rank) {
    all[rank].seq = static_cast<std::uint32_t>(rank);
    push(all[rank]);
  }
  return static_cast<std::uint32_t>(n);
}

}  // namespace geodes::sim
