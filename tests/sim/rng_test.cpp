#include "geodes/sim/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace geodes::sim {
namespace {

std::vector<std::uint64_t> draws(Rng& rng, int n) {
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(rng.next_u64());
  return out;
}

// Pearson's chi-square statistic of observed counts against equal expected counts.
double chi_square_uniform(const std::vector<std::uint64_t>& counts, std::uint64_t total) {
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi2 = 0;
  for (const std::uint64_t c : counts) {
    const double d = static_cast<double>(c) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

// Upper critical value of chi-square with `df` degrees of freedom at tail probability 1e-6, by the
// Wilson-Hilferty cube-root normal approximation (relative error well under 1% for df >= 30 in the
// tail used here). z = 4.753424 is the standard normal upper 1e-6 point. Using alpha = 1e-6 keeps
// the chance that a correct generator fails the test negligible even though the seed is fixed and
// would be changed only by a change of algorithm.
double chi_square_critical_1e6(double df) {
  constexpr double kZ = 4.753424;
  const double k = 2.0 / (9.0 * df);
  const double t = 1.0 - k + kZ * std::sqrt(k);
  return df * t * t * t;
}

TEST(Rng, SameSeedAndNameGiveTheSameSequence) {
  Rng a(42, "link/bj-sh");
  Rng b(42, "link/bj-sh");
  EXPECT_EQ(draws(a, 1000), draws(b, 1000));
}

TEST(Rng, ANamedStreamStartsFromItsStreamKey) {
  Rng a(42, "channel/orders");
  Rng b(Rng::stream_key(42, "channel/orders"));
  EXPECT_EQ(draws(a, 100), draws(b, 100));
}

TEST(Rng, DifferentNamesGiveDifferentSequences) {
  Rng a(42, "link/bj-sh");
  Rng b(42, "link/sh-bj");
  Rng c(42, "link/bj-sh ");
  const auto da = draws(a, 1000);
  const auto db = draws(b, 1000);
  const auto dc = draws(c, 1000);
  int same_ab = 0;
  int same_ac = 0;
  for (std::size_t i = 0; i < da.size(); ++i) {
    same_ab += da[i] == db[i] ? 1 : 0;
    same_ac += da[i] == dc[i] ? 1 : 0;
  }
  // Independent 64-bit draws coincide with probability 2^-64 each.
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(Rng, DifferentSeedsGiveDifferentSequences) {
  Rng a(1, "x");
  Rng b(2, "x");
  EXPECT_NE(draws(a, 100), draws(b, 100));
  EXPECT_NE(Rng::stream_key(1, "x"), Rng::stream_key(2, "x"));
}

TEST(Rng, CreatingAndDrawingFromOtherStreamsNeverChangesAnExistingStream) {
  Rng alone(7, "channel/a");
  const auto expected = draws(alone, 500);

  // Same stream, now among others that are created before, between and after its draws.
  Rng before(7, "link/x");
  Rng a(7, "channel/a");
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 500; ++i) {
    Rng fresh(7, "link/y" + std::to_string(i));
    fresh.next_u64();
    before.next_u64();
    got.push_back(a.next_u64());
  }
  EXPECT_EQ(got, expected);
}

TEST(Rng, BelowStaysInRange) {
  Rng rng(3, "below");
  const std::vector<std::uint64_t> bounds{1,
                                          2,
                                          3,
                                          7,
                                          10,
                                          1000,
                                          (std::uint64_t{1} << 63) + 1,
                                          std::numeric_limits<std::uint64_t>::max()};
  for (const std::uint64_t n : bounds) {
    for (int i = 0; i < 10'000; ++i) ASSERT_LT(rng.below(n), n) << "n = " << n;
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.below(1), 0U);
}

TEST(Rng, BelowIsUniformByAChiSquareTestOverOneHundredValues) {
  // 100 categories, 1,000,000 draws: 10,000 expected per cell, far above the usual >= 5 rule, so
  // the statistic is chi-square with 99 degrees of freedom. Critical value at 1e-6 is about 181.
  constexpr std::uint64_t kN = 100;
  constexpr std::uint64_t kDraws = 1'000'000;
  Rng rng(11, "chi-square");
  std::vector<std::uint64_t> counts(kN, 0);
  for (std::uint64_t i = 0; i < kDraws; ++i) ++counts[rng.below(kN)];
  const double chi2 = chi_square_uniform(counts, kDraws);
  EXPECT_LT(chi2, chi_square_critical_1e6(static_cast<double>(kN - 1))) << "chi2 = " << chi2;
}

TEST(Rng, BelowIsUnbiasedWhereNaiveModuloWouldBeBadlySkewed) {
  // n = 3 * 2^62: "next_u64() % n" would put half of all draws in the first third of [0, n).
  // Bucket by thirds; chi-square with 2 degrees of freedom is exponential with mean 2, so its
  // upper 1e-6 critical value is exactly -2 ln(1e-6) = 27.63.
  constexpr std::uint64_t kN = std::uint64_t{3} << 62;
  constexpr std::uint64_t kDraws = 300'000;
  Rng rng(12, "lemire");
  std::vector<std::uint64_t> counts(3, 0);
  for (std::uint64_t i = 0; i < kDraws; ++i) ++counts[rng.below(kN) >> 62];
  const double chi2 = chi_square_uniform(counts, kDraws);
  EXPECT_LT(chi2, -2.0 * std::log(1e-6)) << counts[0] << " " << counts[1] << " " << counts[2];
}

TEST(Rng, Uniform01IsTheTop53BitsScaledIntoZeroInclusiveOneExclusive) {
  Rng rng(5, "u01");
  double sum = 0;
  constexpr int kDraws = 200'000;
  for (int i = 0; i < kDraws; ++i) {
    Rng copy = rng;
    const double expected = static_cast<double>(copy.next_u64() >> 11) * 0x1.0p-53;
    const double u = rng.uniform01();
    ASSERT_EQ(u, expected);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // The largest value (2^53 - 1) / 2^53 is below 1 and the smallest is exactly 0.
  EXPECT_LT(static_cast<double>((~std::uint64_t{0}) >> 11) * 0x1.0p-53, 1.0);
  // Mean 1/2, sd 1/sqrt(12): within 5 standard errors.
  EXPECT_NEAR(sum / kDraws, 0.5, 5.0 / std::sqrt(12.0 * kDraws));
}

TEST(Rng, UniformOpen0IsInZeroExclusiveOneInclusive) {
  Rng rng(6, "u-open0");
  for (int i = 0; i < 200'000; ++i) {
    Rng copy = rng;
    const double expected = static_cast<double>((copy.next_u64() >> 11) + 1) * 0x1.0p-53;
    const double u = rng.uniform_open0();
    ASSERT_EQ(u, expected);
    ASSERT_GT(u, 0.0);
    ASSERT_LE(u, 1.0);
    ASSERT_TRUE(std::isfinite(std::log(u)));
  }
  // The extremes: 2^-53 (never 0) and exactly 1.
  EXPECT_EQ(static_cast<double>((0 >> 11) + 1) * 0x1.0p-53, 0x1.0p-53);
  EXPECT_EQ(static_cast<double>(((~std::uint64_t{0}) >> 11) + 1) * 0x1.0p-53, 1.0);
}

TEST(Rng, BernoulliHitsItsProbabilityWithinFiveStandardErrors) {
  Rng rng(8, "coin");
  constexpr int kDraws = 200'000;
  constexpr double kP = 0.3;
  int hits = 0;
  for (int i = 0; i < kDraws; ++i) hits += rng.bernoulli(kP) ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(hits) / kDraws, kP, 5 * std::sqrt(kP * (1 - kP) / kDraws));
}

}  // namespace
}  // namespace geodes::sim
