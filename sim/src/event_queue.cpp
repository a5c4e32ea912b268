#include "geodes/sim/event_queue.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <numeric>
#include <vector>

namespace geodes::sim {

namespace {
constexpr std::align_val_t kLine{64};
}  // namespace

void EventQueue::AlignedFree::operator()(QueueEntry* p) const { ::operator delete[](p, kLine); }

void EventQueue::grow() {
  const std::size_t capacity = capacity_ == 0 ? 1024 : capacity_ * 2;
  auto* raw =
      static_cast<QueueEntry*>(::operator new[]((capacity + kOffset) * sizeof(QueueEntry), kLine));
  if (size_ > 0) std::memcpy(raw + kOffset, &at(0), size_ * sizeof(QueueEntry));
  buffer_.reset(raw);
  capacity_ = capacity;
}

std::uint32_t EventQueue::renumber() {
  std::vector<std::uint32_t> order(size_);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [this](std::uint32_t a, std::uint32_t b) { return before(at(a), at(b)); });
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    at(order[rank]).seq = static_cast<std::uint32_t>(rank);
  }
  return static_cast<std::uint32_t>(size_);
}

}  // namespace geodes::sim
