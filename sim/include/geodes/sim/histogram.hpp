// A log-bucketed histogram of non-negative integers (HDR-style), for lags and latencies in ns.
//
// Layout (S = kSubBuckets = 64, s = log2 S = 6): values 0 .. 2S-1 (0 .. 127) have a bucket each,
// so they are exact. Above, each power of two [2^k, 2^(k+1)), k >= s+1, is cut into S buckets of
// width 2^(k-s). With shift = bit_width(v | S) - (s+1) (0 in the exact region), a value v goes to
// bucket shift*S + (v >> shift): one bit_width and one shift, no floating point, no loop. A
// bucket's width is at most 1/S of its lower bound, so its midpoint is within
// (width-1)/2 / lower < 1/(2S) = 0.78% of any value in it, inside kMaxRelativeError (1%).
//
// Memory: counters are grown lazily up to the bucket of the largest value seen, at most
// kBucketCount = (64 - s) * S = 3712 counters (29.7 KB) for values up to INT64_MAX; values up to
// 1e12 ns (16.7 min) need 2229. Memory never depends on the number of samples.
//
// Count, sum, min and max are exact. Histograms with the same layout merge by adding counts, so
// per-replica or per-seed histograms combine without loss.
//
// Thread safety: none; one histogram belongs to one engine (or is merged after the runs).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace geodes::sim {

class Histogram {
 public:
  /// Bound on |reported quantile - true sample quantile| / true value, for values >= 1.
  static constexpr double kMaxRelativeError = 0.01;
  /// Buckets per power of two (S); values below 2*S are exact.
  static constexpr std::int64_t kSubBuckets = 64;
  /// Counters needed to cover every value up to INT64_MAX; allocated_buckets() never exceeds it.
  static constexpr std::size_t kBucketCount = static_cast<std::size_t>(
      (64 - (std::bit_width(std::uint64_t{kSubBuckets}) - 1)) * kSubBuckets);

  /// Adds one value. Negative values are recorded as 0 and counted in negatives().
  void record(std::int64_t value) { record_n(value, 1); }
  /// Adds `count` copies of `value` (nothing when count == 0). O(1) except when `value` is the
  /// largest seen so far, which may grow the counters once.
  ///
  /// Defined here so that it inlines: a write in a replication run records six values (op and
  /// commit latency, channel and first-arrival lag, relay residence), and the call was a tenth of
  /// the cost of the histogram.
  void record_n(std::int64_t value, std::uint64_t count) {
    if (count == 0) return;
    if (value < 0) [[unlikely]] {
      negatives_ += count;
      value = 0;
    }
    const std::size_t index = bucket_of(static_cast<std::uint64_t>(value));
    // Grows only when a new largest bucket is reached: at most kBucketCount times in total, so
    // the hot path is the increment below.
    if (index >= counts_.size()) [[unlikely]]
      grow(index);
    counts_[index] += count;
    count_ += count;
    // value < 2^63 and count < 2^64, so the product fits in 128 bits.
    sum_ += static_cast<Sum>(value) * count;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  /// The counter a value goes to: shift * S + (v >> shift) with shift = bit_width(v | S) - (s+1),
  /// which is 0 in the exact region (OR-ing in S makes v < 2S give shift 0 without a branch;
  /// above it the OR does not change the bit width).
  static constexpr std::size_t bucket_of(std::uint64_t v) {
    constexpr auto kS = static_cast<std::uint64_t>(kSubBuckets);
    constexpr int kLog2S = std::countr_zero(kS);
    const int shift = static_cast<int>(std::bit_width(v | kS)) - (kLog2S + 1);
    return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * kS + (v >> shift));
  }
  /// Adds every sample of `other`.
  void merge(const Histogram& other);
  /// Forgets every sample; keeps the counters allocated so a reset after warm-up does not
  /// reallocate.
  void clear();

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  /// Sum of recorded values, kept exactly as a 128-bit integer (no overflow on any run) and
  /// returned as long double, which is exact while the sum is below 2^64 (584 years of ns).
  [[nodiscard]] long double sum() const { return static_cast<long double>(sum_); }
  /// Exact mean; 0 when empty.
  [[nodiscard]] double mean() const;
  /// Exact minimum and maximum; 0 when empty.
  [[nodiscard]] std::int64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::int64_t max() const { return count_ ? max_ : 0; }
  /// Values that were negative (recorded as 0).
  [[nodiscard]] std::uint64_t negatives() const { return negatives_; }

  /// The p-quantile (0 <= p <= 1) by the nearest-rank rule: the bucket holding the
  /// ceil(p * count())-th smallest sample (the first for p = 0), reported as that bucket's
  /// midpoint clamped to [min(), max()]. Exact for values below 2*kSubBuckets and for the first
  /// and last rank (min() and max()). 0 when empty.
  /// Throws InvalidArgument if p is NaN or outside [0, 1].
  [[nodiscard]] double quantile(double p) const;

  /// One non-empty bucket, for export: values in [lower, upper] were counted `count` times.
  struct Bucket {
    std::int64_t lower;
    std::int64_t upper;
    std::uint64_t count;

    friend bool operator==(const Bucket&, const Bucket&) = default;
  };
  /// The non-empty buckets in increasing order of value.
  [[nodiscard]] std::vector<Bucket> buckets() const;

  /// Number of counters currently allocated (for memory-bound tests); <= kBucketCount.
  [[nodiscard]] std::size_t allocated_buckets() const { return counts_.size(); }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t negatives_ = 0;
  // An integer sum is exact and halves the cost of record() against an x87 long double sum
  // (measured 3.4 vs 7 ns per call). `__extension__` keeps -Wpedantic quiet; GCC and Clang
  // support __int128 on every 64-bit target.
  __extension__ typedef unsigned __int128 Sum;
  // Grows counts_ to hold `index` (out of line: it runs at most kBucketCount times).
  void grow(std::size_t index);
  Sum sum_ = 0;
  // Start at the identities of min/max so record_n needs no "first sample" branch; the accessors
  // hide them while empty.
  std::int64_t min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ = 0;
};

}  // namespace geodes::sim
