#include "geodes/sim/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::sim {

namespace {

constexpr std::uint64_t kS = static_cast<std::uint64_t>(Histogram::kSubBuckets);
constexpr int kLog2S = std::countr_zero(kS);
static_assert(std::has_single_bit(kS), "kSubBuckets must be a power of two");
static_assert(Histogram::kBucketCount == static_cast<std::size_t>((64 - kLog2S) * kS));
// The midpoint error is below 1/(2S); keep that inside the advertised bound.
static_assert(1.0 / (2.0 * static_cast<double>(kS)) <= Histogram::kMaxRelativeError);

// The inverse of Histogram::bucket_of: the inclusive value range of bucket `index`.
struct Range {
  std::uint64_t lower;
  std::uint64_t upper;
};
constexpr Range range_of(std::size_t index) {
  const std::uint64_t i = index;
  const std::uint64_t shift = i < 2 * kS ? 0 : i / kS - 1;
  const std::uint64_t lower = (i - shift * kS) << shift;
  return {lower, lower + ((std::uint64_t{1} << shift) - 1)};
}

static_assert(Histogram::bucket_of(0) == 0 && Histogram::bucket_of(2 * kS - 1) == 2 * kS - 1);
static_assert(Histogram::bucket_of(2 * kS) == 2 * kS && Histogram::bucket_of(2 * kS + 1) == 2 * kS);
static_assert(Histogram::bucket_of(std::numeric_limits<std::int64_t>::max()) ==
              Histogram::kBucketCount - 1);
static_assert(range_of(Histogram::kBucketCount - 1).upper ==
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));

double midpoint(const Range& r) {
  return static_cast<double>(r.lower) + static_cast<double>(r.upper - r.lower) / 2.0;
}

}  // namespace

void Histogram::grow(std::size_t index) { counts_.resize(index + 1); }

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size());
  for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  negatives_ += other.negatives_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  negatives_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<std::int64_t>::max();
  max_ = 0;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum() / static_cast<long double>(count_));
}

double Histogram::quantile(double p) const {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw InvalidArgument("Histogram::quantile: p must be in [0, 1], got " + std::to_string(p));
  }
  if (count_ == 0) return 0.0;
  // The product is taken in double on purpose: p = 0.1 is stored slightly above 1/10, and a wider
  // product would round 0.1 * 1e6 up to rank 100001 where every reader expects 100000.
  const double product = std::ceil(p * static_cast<double>(count_));
  const std::uint64_t rank =
      std::clamp<std::uint64_t>(static_cast<std::uint64_t>(product), 1, count_);
  // The extreme ranks are known exactly; no reason to report a bucket midpoint for them.
  if (rank == 1) return static_cast<double>(min_);
  if (rank == count_) return static_cast<double>(max_);
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) break;
  }
  // rank <= count_ = sum of counts_, so the loop always breaks.
  return std::clamp(midpoint(range_of(i)), static_cast<double>(min_), static_cast<double>(max_));
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const Range r = range_of(i);
    out.push_back(
        {static_cast<std::int64_t>(r.lower), static_cast<std::int64_t>(r.upper), counts_[i]});
  }
  return out;
}

}  // namespace geodes::sim
