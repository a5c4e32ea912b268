// Zipf popularity: rank k in 1..n is drawn with probability k^-s / H(n, s), where
// H(n, s) = sum_{i=1..n} i^-s. Chooses which user logs in or updates (a few users are very
// active, most rarely are).
//
// Algorithm (part of the determinism contract): rejection-inversion of Hörmann and Derflinger,
// "Rejection-inversion to generate variates from monotone discrete distributions" (ACM TOMACS
// 6(3), 1996), in the form of Apache Commons RNG's RejectionInversionZipfSampler. The hat is the
// integral of x^-s; a uniform u on the hat's area is inverted to x, rounded to k, and accepted
// when u lies under the bar of k. Setup is O(1) (so a sampler can be rebuilt whenever n changes),
// a draw is O(1) expected with fewer than 1.1 iterations on average for any s, and each
// iteration consumes one uniform01() draw. No table: n may be as large as 2^53.
#pragma once

#include <cstdint>

#include "geodes/sim/rng.hpp"

namespace geodes::models {

class ZipfSampler {
 public:
  /// Ranks 1..n with exponent s (s = 0 is uniform). Throws InvalidArgument unless
  /// 1 <= n <= 2^53 and s is finite and >= 0.
  ZipfSampler(std::uint64_t n, double s);

  /// A rank in [1, n].
  std::uint64_t sample(sim::Rng& rng) const;

  [[nodiscard]] std::uint64_t n() const { return n_; }
  [[nodiscard]] double exponent() const { return s_; }

 private:
  // x^-s.
  [[nodiscard]] double h(double x) const;
  // The integral of h from 1 to x: (x^(1-s) - 1) / (1 - s), or ln x when s = 1.
  [[nodiscard]] double h_integral(double x) const;
  // The inverse of h_integral.
  [[nodiscard]] double h_integral_inverse(double x) const;

  std::uint64_t n_;
  double s_;
  double h_integral_x1_;  // h_integral(1.5) - 1
  double h_integral_n_;   // h_integral(n + 0.5)
  double threshold_;      // 2 - h_integral_inverse(h_integral(2.5) - h(2)): accept k = x's rank
};

}  // namespace geodes::models
