// ZipfSampler against the closed-form probabilities k^-s / H(n, s).
#include "geodes/models/workload/zipf.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

// k^-s / H(n, s) for k = 1..n (index 0 unused).
std::vector<double> zipf_pmf(std::uint64_t n, double s) {
  std::vector<double> p(n + 1, 0.0);
  double h = 0;
  for (std::uint64_t k = 1; k <= n; ++k) h += std::pow(static_cast<double>(k), -s);
  for (std::uint64_t k = 1; k <= n; ++k) p[k] = std::pow(static_cast<double>(k), -s) / h;
  return p;
}

// The 1 - 1e-4 quantile of chi-square with `df` degrees of freedom, by Wilson-Hilferty (accurate
// to about 1% from df = 5 on). A correct sampler fails one such check in 10,000 seeds.
double chi_square_critical(int df) {
  const double z = 3.719;  // standard normal 1 - 1e-4 quantile
  const double k = df;
  const double c = 2.0 / (9.0 * k);
  return k * std::pow(1 - c + z * std::sqrt(c), 3);
}

// Pearson's statistic of `draws` samples: ranks 1..cells-1 alone, the rest pooled in one cell
// (so every cell expects well over 5).
void expect_fits(std::uint64_t n, double s, int cells, int draws, std::uint64_t seed) {
  const ZipfSampler zipf(n, s);
  const std::vector<double> p = zipf_pmf(n, s);
  std::vector<double> observed(cells, 0);
  sim::Rng rng(seed, "zipf-test");
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t k = zipf.sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ++observed[std::min<std::uint64_t>(k, cells) - 1];
  }
  std::vector<double> expected(cells, 0);
  for (std::uint64_t k = 1; k <= n; ++k) expected[std::min<std::uint64_t>(k, cells) - 1] += p[k];
  double chi2 = 0;
  for (int c = 0; c < cells; ++c) {
    const double e = expected[c] * draws;
    ASSERT_GT(e, 5) << "cell " << c << " is too small for the chi-square test";
    chi2 += (observed[c] - e) * (observed[c] - e) / e;
  }
  EXPECT_LT(chi2, chi_square_critical(cells - 1)) << "n=" << n << " s=" << s;
}

TEST(ZipfTest, SmallPopulationMatchesTheClosedFormByChiSquare) {
  expect_fits(10, 1.2, 10, 200'000, 1);
}

TEST(ZipfTest, ExponentOneUsesTheLogarithmicHatAndStillFits) {
  expect_fits(100, 1.0, 30, 300'000, 2);
}

TEST(ZipfTest, MildAndSteepExponentsFit) {
  expect_fits(1000, 0.6, 40, 300'000, 3);
  expect_fits(50, 2.5, 8, 300'000, 4);
}

TEST(ZipfTest, LargePopulationHeadAndTailMatchTheClosedForm) {
  // n = 10^6 without a table: the first 50 ranks alone and the 999,950 others pooled.
  expect_fits(1'000'000, 1.1, 51, 400'000, 5);
}

TEST(ZipfTest, ExponentZeroIsUniform) {
  const ZipfSampler zipf(5, 0);
  sim::Rng rng(6, "zipf-test");
  std::vector<int> counts(6, 0);
  const int draws = 100'000;
  for (int i = 0; i < draws; ++i) ++counts[zipf.sample(rng)];
  // Binomial(100000, 0.2): sd = 126; five sd.
  for (int k = 1; k <= 5; ++k) EXPECT_NEAR(counts[k], draws / 5, 5 * 126.5) << k;
}

TEST(ZipfTest, OneRankIsAlwaysDrawn) {
  const ZipfSampler zipf(1, 1.5);
  sim::Rng rng(7, "zipf-test");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(zipf.sample(rng), 1u);
}

// The one-rank shortcut is part of the determinism contract: it consumes exactly the one uniform
// the general path would, so the stream after it (every later draw of the run) is unchanged.
TEST(ZipfTest, OneRankConsumesOneUniformPerDraw) {
  for (const double s : {0.0, 0.7, 1.0, 1.5}) {
    const ZipfSampler zipf(1, s);
    sim::Rng sampled(9, "zipf-test");
    sim::Rng counted(9, "zipf-test");
    for (int i = 0; i < 50; ++i) {
      static_cast<void>(zipf.sample(sampled));
      static_cast<void>(counted.uniform01());
    }
    EXPECT_EQ(sampled.uniform01(), counted.uniform01()) << "s = " << s;
  }
}

TEST(ZipfTest, SameStreamGivesTheSameRanks) {
  const ZipfSampler zipf(1000, 0.9);
  sim::Rng a(8, "zipf-test");
  sim::Rng b(8, "zipf-test");
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(zipf.sample(a), zipf.sample(b));
}

TEST(ZipfTest, RejectsBadParameters) {
  EXPECT_THROW(ZipfSampler(0, 1), InvalidArgument);
  EXPECT_THROW(ZipfSampler(10, -0.5), InvalidArgument);
  EXPECT_THROW(ZipfSampler(10, std::nan("")), InvalidArgument);
  try {
    const ZipfSampler z(10, -1);
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("exponent s"), std::string::npos);
  }
}

}  // namespace
}  // namespace geodes::models
