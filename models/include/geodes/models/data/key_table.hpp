// A table of values by 64-bit key, built for keys that are mostly dense integers (user ids,
// account ids and the ids the id strategies hand out: 1, 2, 3, ...), while staying correct and
// bounded for sparse ones (snowflake or random ids).
//
// Layouts. Keys below the table's dense range end live in one of two flat layouts; keys above it
// go to an open-addressing absl::flat_hash_map from key to a slot of a value pool (a vector whose
// erased slots are reused through a free list):
//   kIndexed  a flat index (a vector of 32-bit slot numbers indexed by the key itself) into the
//             pool: an entry costs its value plus 4 bytes of index, wherever the keys fall;
//   kDirect   the values themselves indexed by key, with a presence bitmap: one memory access per
//             lookup instead of two, but every key of the range costs a value, so it is for keys
//             known to be dense (every user's row).
// Nothing is allocated per entry, and destroying a table frees a few large blocks, not millions
// of nodes.
//
// Dense range: it grows to cover a new key k when k < F * max(expected entries, entries) + 4096
// (F = 4 indexed, 2 direct), so the flat part is bounded by a small multiple of the entries
// however the keys are spread; keys it does not cover go to the hash map, and move into the flat
// part when the range grows past them. `expected` (the data class's rows, users.max) reserves the
// memory up front: the flat arrays are zero-filled by calloc, so reserved room no key has touched
// costs address space, not RSS.
//
// Pointers to values stay valid until the next insertion, erase or clear.
// Determinism: keys() and for_each() visit keys in ascending order (flat keys are all below the
// hash map's); erase_if() removes the same set whatever the hash map's order.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "geodes/models/data/huge_pages.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::models {

enum class KeyLayout : std::uint8_t { kIndexed, kDirect };

/// How a table is sized up front: the entries expected (0: unknown) and the layout.
struct KeySizing {
  std::uint64_t expected = 0;
  KeyLayout layout = KeyLayout::kIndexed;
};

namespace key_table_detail {

// Entries start on a cache line (malloc aligns to 16 bytes only): a 32-byte row or truth entry
// then never straddles two lines, which would make a random lookup two misses, not one.
inline constexpr std::size_t kLineBytes = 64;

// A zero-filled array of trivially copyable T from calloc, so that memory no key has touched yet
// stays untouched (fresh calloc'd pages are not resident): growing it writes nothing. Its first
// element is aligned to kLineBytes.
template <typename T>
class ZeroedArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  ZeroedArray() = default;
  ZeroedArray(const ZeroedArray& o) { *this = o; }
  ZeroedArray& operator=(const ZeroedArray& o) {
    if (this != &o) {
      release();
      grow_to(o.capacity_);
      if (o.capacity_ > 0) std::memcpy(data_, o.data_, o.capacity_ * sizeof(T));
    }
    return *this;
  }
  ZeroedArray(ZeroedArray&& o) noexcept
      : raw_(std::move(o.raw_)),
        data_(std::exchange(o.data_, nullptr)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  ZeroedArray& operator=(ZeroedArray&& o) noexcept {
    raw_ = std::move(o.raw_);
    data_ = std::exchange(o.data_, nullptr);
    capacity_ = std::exchange(o.capacity_, 0);
    return *this;
  }
  ~ZeroedArray() = default;

  T& operator[](std::uint64_t i) { return data_[i]; }
  const T& operator[](std::uint64_t i) const { return data_[i]; }
  [[nodiscard]] std::uint64_t capacity() const { return capacity_; }

  // Makes [0, n) addressable; new elements are zero.
  void grow_to(std::uint64_t n) {
    if (n <= capacity_) return;
    if (n > (std::numeric_limits<std::size_t>::max() - kLineBytes) / sizeof(T)) {
      throw std::bad_alloc();
    }
    void* raw = std::calloc(n * sizeof(T) + kLineBytes, 1);
    if (raw == nullptr) throw std::bad_alloc();
    const auto at = reinterpret_cast<std::uintptr_t>(raw);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the first line boundary inside the block
    T* data = reinterpret_cast<T*>((at + kLineBytes - 1) & ~std::uintptr_t{kLineBytes - 1});
    advise_huge_pages(data, n * sizeof(T));  // before the copy touches it
    if (capacity_ > 0) std::memcpy(data, data_, capacity_ * sizeof(T));
    raw_.reset(raw);
    data_ = data;
    capacity_ = n;
  }
  void release() {
    raw_.reset();
    data_ = nullptr;
    capacity_ = 0;
  }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> raw_;  // the block calloc returned
  T* data_ = nullptr;                // its first line boundary
  std::uint64_t capacity_ = 0;
};

// Loads the byte at `p` now and discards it: a volatile read, which the compiler must keep.
inline void touch(const void* p) { (void)*static_cast<const volatile unsigned char*>(p); }

// A std::allocator that aligns to kLineBytes, for the value pool.
template <typename T>
struct LineAllocator {
  using value_type = T;
  LineAllocator() = default;
  template <typename U>
  explicit LineAllocator(const LineAllocator<U>& /*other*/) {}
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kLineBytes}));
  }
  void deallocate(T* p, std::size_t /*n*/) { ::operator delete (p, std::align_val_t{kLineBytes}); }
  friend bool operator==(const LineAllocator& /*a*/, const LineAllocator& /*b*/) { return true; }
  friend bool operator!=(const LineAllocator& /*a*/, const LineAllocator& /*b*/) { return false; }
};

}  // namespace key_table_detail

template <typename T>
class KeyTable {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  /// A table expecting about `sizing.expected` entries (0: unknown; it grows as needed).
  explicit KeyTable(KeySizing sizing = {}) : expected_(sizing.expected), layout_(sizing.layout) {
    reserve();
  }

  /// The value of `key`, or nullptr.
  [[nodiscard]] T* find(std::uint64_t key) {
    return const_cast<T*>(std::as_const(*this).find(key));
  }
  [[nodiscard]] const T* find(std::uint64_t key) const {
    if (key < range_) {
      if (layout_ == KeyLayout::kDirect) return present(key) ? &direct_[key] : nullptr;
      const std::uint32_t s = index_[key];
      return s == 0 ? nullptr : &pool_[s - 1];
    }
    if (sparse_.empty()) return nullptr;
    const auto it = sparse_.find(key);
    return it == sparse_.end() ? nullptr : &pool_[it->second];
  }
  [[nodiscard]] bool contains(std::uint64_t key) const { return find(key) != nullptr; }

  /// A hint that find(key) or try_emplace(key) comes soon: loads the value's cache line now (the
  /// indexed layout reads the slot number, then the value), so that the caller's loads of several
  /// tables overlap their misses and the later find() hits. Changes nothing.
  ///
  /// Why plain loads, not prefetch instructions: on the development machines (2 vCPUs under
  /// Firecracker, AMD EPYC and Intel Xeon) `__builtin_prefetch` of these random rows hid none of
  /// their misses; loads issued here, with the entries on cache lines, cut the production-size
  /// run's CPU time by 7% to 19% (docs/performance.md, stop 29).
  void prefetch(std::uint64_t key) const {
    if (key >= range_) return;
    if (layout_ == KeyLayout::kDirect) {
      key_table_detail::touch(&direct_[key]);
      key_table_detail::touch(&present_[key / 64]);
    } else if (const std::uint32_t s = index_[key]; s != 0) {
      key_table_detail::touch(&pool_[s - 1]);
    }
  }

  /// The value of `key`, inserted as T{} if absent; the flag is true iff it was inserted.
  std::pair<T*, bool> try_emplace(std::uint64_t key) {
    if (key >= range_ && key < range_limit()) grow(key);
    if (key < range_) {
      if (layout_ == KeyLayout::kDirect) {
        if (present(key)) return {&direct_[key], false};
        set_present(key, true);
        direct_[key] = T{};
        ++size_;
        return {&direct_[key], true};
      }
      std::uint32_t& s = index_[key];
      if (s != 0) return {&pool_[s - 1], false};
      s = take_slot() + 1;
      return {&pool_[s - 1], true};
    }
    const auto [it, inserted] = sparse_.try_emplace(key, 0);
    if (!inserted) return {&pool_[it->second], false};
    it->second = take_slot();
    return {&pool_[it->second], true};
  }

  /// Removes `key`; returns true iff it was there.
  bool erase(std::uint64_t key) {
    if (key < range_) {
      if (layout_ == KeyLayout::kDirect) {
        if (!present(key)) return false;
        set_present(key, false);
        --size_;
        return true;
      }
      const std::uint32_t s = std::exchange(index_[key], 0);
      if (s == 0) return false;
      release_slot(s - 1);
      return true;
    }
    const auto it = sparse_.find(key);
    if (it == sparse_.end()) return false;
    release_slot(it->second);
    sparse_.erase(it);
    return true;
  }

  /// Removes every entry for which pred(key, value) is true; returns how many.
  template <typename Pred>
  std::size_t erase_if(Pred pred) {
    std::size_t erased = 0;
    for (std::uint64_t key = 0; key < range_; ++key) {
      const T* v = find(key);
      if (v != nullptr && pred(key, *v)) {
        erase(key);
        ++erased;
      }
    }
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (pred(it->first, std::as_const(pool_[it->second]))) {
        release_slot(it->second);
        sparse_.erase(it++);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

  /// Calls f(key, value) for every entry, in ascending key order.
  template <typename F>
  void for_each(F f) const {
    for (std::uint64_t key = 0; key < range_; ++key) {
      if (const T* v = find(key); v != nullptr) f(key, *v);
    }
    for (const std::uint64_t key : sorted_sparse_keys()) f(key, pool_[sparse_.at(key)]);
  }

  /// Every key, ascending.
  [[nodiscard]] std::vector<std::uint64_t> keys() const {
    std::vector<std::uint64_t> out;
    out.reserve(size_);
    for_each([&](std::uint64_t key, const T&) { out.push_back(key); });
    return out;
  }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] KeyLayout layout() const { return layout_; }
  /// Keys the flat part covers now (keys below it never go to the hash map).
  [[nodiscard]] std::uint64_t dense_keys() const { return range_; }

  /// Removes every entry and gives the memory back (the up-front reservation is made again).
  void clear() {
    index_.release();
    direct_.release();
    present_.release();
    absl::flat_hash_map<std::uint64_t, std::uint32_t>().swap(sparse_);
    std::vector<T, key_table_detail::LineAllocator<T>>().swap(pool_);
    std::vector<std::uint32_t>().swap(free_);
    range_ = 0;
    size_ = 0;
    reserve();
  }

  /// Bytes in use: what the flat part covers plus the entries above it (an estimate of resident
  /// memory: reserved but untouched room is excluded, keys of the range no entry ever had are
  /// counted).
  [[nodiscard]] std::size_t used_bytes() const {
    const std::size_t flat = layout_ == KeyLayout::kDirect ? range_ * sizeof(T) + range_ / 8
                                                           : range_ * sizeof(std::uint32_t);
    return flat + pool_.size() * sizeof(T) + free_.size() * sizeof(std::uint32_t) +
           sparse_.capacity() * (sizeof(std::pair<std::uint64_t, std::uint32_t>) + 1);
  }

  /// Bytes per entry of a full dense range: kIndexed, the value and its index slot; kDirect, the
  /// value and its presence bit (rounded up), for estimates.
  static constexpr std::size_t kIndexedBytesPerEntry = sizeof(T) + sizeof(std::uint32_t);
  static constexpr std::size_t kDirectBytesPerEntry = sizeof(T) + 1;

 private:
  // Keys below this may join the flat part (see the file comment).
  [[nodiscard]] std::uint64_t range_limit() const {
    const std::uint64_t factor = layout_ == KeyLayout::kDirect ? 2 : 4;
    return factor * std::max<std::uint64_t>(expected_, size_ + 1) + 4096;
  }

  void reserve() {
    // Address space only; a silly `expected` must not make the reservation itself fail. Ids run
    // a little past the entries (segments and offsets leave gaps): 1/8 more room.
    constexpr std::uint64_t kMaxReserved = std::uint64_t{1} << 27;
    const std::uint64_t expected = std::min(expected_, kMaxReserved) * 9 / 8;
    if (expected == 0) return;
    if (layout_ == KeyLayout::kDirect) {
      direct_.grow_to(expected + 4096);
      present_.grow_to((expected + 4096) / 64 + 1);
    } else {
      pool_.reserve(expected);
      advise_huge_pages(pool_.data(), pool_.capacity() * sizeof(T));
      index_.grow_to(expected + 4096);
    }
  }

  [[nodiscard]] bool present(std::uint64_t key) const {
    return ((present_[key / 64] >> (key % 64)) & 1) != 0;
  }
  void set_present(std::uint64_t key, bool on) {
    const std::uint64_t bit = std::uint64_t{1} << (key % 64);
    present_[key / 64] = on ? present_[key / 64] | bit : present_[key / 64] & ~bit;
  }

  // Makes the flat part cover `key` (REQUIRES: range_ <= key < range_limit()), moving the hash
  // map's keys it now covers into it. Within reserved room only the range moves (memory is
  // touched as keys arrive); beyond it, the room doubles.
  void grow(std::uint64_t key) {
    const std::uint64_t capacity =
        layout_ == KeyLayout::kDirect ? direct_.capacity() : index_.capacity();
    std::uint64_t want = key + 1;
    if (want > capacity) want = std::max<std::uint64_t>({want, 2 * capacity, 1024});
    want = std::min(want, range_limit());
    if (layout_ == KeyLayout::kDirect) {
      direct_.grow_to(want);
      present_.grow_to(want / 64 + 1);
    } else {
      index_.grow_to(want);
    }
    range_ = std::max(
        range_,
        std::min<std::uint64_t>(
            layout_ == KeyLayout::kDirect ? direct_.capacity() : index_.capacity(), range_limit()));
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (it->first >= range_) {
        ++it;
        continue;
      }
      if (layout_ == KeyLayout::kDirect) {
        direct_[it->first] = pool_[it->second];
        set_present(it->first, true);
        free_.push_back(it->second);  // the entry is still counted, now in the flat part
      } else {
        index_[it->first] = it->second + 1;
      }
      sparse_.erase(it++);
    }
  }

  std::uint32_t take_slot() {
    ++size_;
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      pool_[s] = T{};
      return s;
    }
    if (pool_.size() >= std::numeric_limits<std::uint32_t>::max() - 1) {
      throw InvalidArgument("key table: more than 2^32 - 2 entries");
    }
    pool_.emplace_back();
    return static_cast<std::uint32_t>(pool_.size() - 1);
  }

  void release_slot(std::uint32_t s) {
    --size_;
    free_.push_back(s);
  }

  [[nodiscard]] std::vector<std::uint64_t> sorted_sparse_keys() const {
    std::vector<std::uint64_t> out;
    out.reserve(sparse_.size());
    for (const auto& [key, s] : sparse_) out.push_back(key);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::uint64_t expected_;
  KeyLayout layout_;
  std::uint64_t range_ = 0;                                   // keys [0, range_) are flat
  key_table_detail::ZeroedArray<std::uint32_t> index_;        // kIndexed: key -> slot + 1
  key_table_detail::ZeroedArray<T> direct_;                   // kDirect: key -> value
  key_table_detail::ZeroedArray<std::uint64_t> present_;      // kDirect: a bit per key
  absl::flat_hash_map<std::uint64_t, std::uint32_t> sparse_;  // keys >= range_ -> slot
  std::vector<T, key_table_detail::LineAllocator<T>> pool_;   // values of indexed/sparse keys
  std::vector<std::uint32_t> free_;                           // pool slots to reuse
  std::size_t size_ = 0;
};

}  // namespace geodes::models
