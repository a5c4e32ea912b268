#include "geodes/sim/distribution.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::sim {
namespace {

// Statistical checks, shared by every distribution. All draws come from fixed seeds, so a test
// either always passes or always fails; the tolerances below are chosen so that a correct
// implementation would fail with probability of order 1e-6 for a random seed, i.e. a failure means
// a wrong algorithm, not bad luck.
constexpr int kDraws = 200'000;

// DKW inequality: P(sup_x |F_n(x) - F(x)| > eps) <= 2 exp(-2 n eps^2). Solving for a failure
// probability alpha = 1e-6 gives eps = sqrt(ln(2 / alpha) / (2n)), about 0.0060 for n = 200,000.
double dkw_epsilon(int n) {
  constexpr double kAlpha = 1e-6;
  return std::sqrt(std::log(2.0 / kAlpha) / (2.0 * n));
}

std::vector<double> sample_many(const Distribution& d, const char* stream, int n = kDraws) {
  Rng rng(2024, stream);
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (double& x : xs) x = d.sample(rng);
  return xs;
}

double sample_mean(const std::vector<double>& xs) {
  double sum = 0;
  for (const double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

// Unbiased sample variance, two-pass for accuracy.
double sample_variance(const std::vector<double>& xs) {
  const double m = sample_mean(xs);
  double sum = 0;
  for (const double x : xs) sum += (x - m) * (x - m);
  return sum / static_cast<double>(xs.size() - 1);
}

// The sample mean is within 5 standard errors of the true mean; SE = sqrt(var / n). A normal
// deviate exceeds 5 in absolute value with probability 5.7e-7 (the CLT applies: variance finite).
void expect_mean_within_five_se(const std::vector<double>& xs, double mean, double variance) {
  const double se = std::sqrt(variance / static_cast<double>(xs.size()));
  EXPECT_NEAR(sample_mean(xs), mean, 5 * se) << "SE " << se;
}

// The sample variance s^2 has variance (mu4 - sigma^4 (n-3)/(n-1)) / n <= (mu4 - sigma^4 + 2
// sigma^4 / (n-1)) / n, where mu4 is the 4th central moment. With a finite 4th moment s^2 is
// asymptotically normal, so 5 of its standard deviations bound it as for the mean. Callers pass
// mu4 in closed form.
void expect_variance_within_five_sd(const std::vector<double>& xs, double variance, double mu4) {
  const double n = static_cast<double>(xs.size());
  const double s4 = variance * variance;
  const double sd_of_s2 = std::sqrt((mu4 - s4 + 2 * s4 / (n - 1)) / n);
  EXPECT_NEAR(sample_variance(xs), variance, 5 * sd_of_s2) << "sd(s^2) " << sd_of_s2;
}

// Empirical CDF at x: fraction of samples <= x.
double ecdf(const std::vector<double>& xs, double x) {
  const auto count = std::count_if(xs.begin(), xs.end(), [x](double v) { return v <= x; });
  return static_cast<double>(count) / static_cast<double>(xs.size());
}

// For a continuous distribution F(quantile(p)) = p, so DKW bounds |F_n(quantile(p)) - p|.
void expect_quantiles_by_dkw(const Distribution& d, const std::vector<double>& xs,
                             std::initializer_list<double> ps) {
  const double eps = dkw_epsilon(static_cast<int>(xs.size()));
  for (const double p : ps) {
    EXPECT_NEAR(ecdf(xs, d.quantile(p)), p, eps) << "p = " << p;
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling matches the closed forms.

TEST(Distribution, ConstantAlwaysReturnsItsValueAndConsumesNoDraws) {
  const auto d = Distribution::constant(30e6);
  Rng rng(1, "const");
  Rng untouched(1, "const");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(d.sample(rng), 30e6);
  EXPECT_EQ(rng.next_u64(), untouched.next_u64());
  EXPECT_EQ(d.mean(), 30e6);
  EXPECT_EQ(d.variance(), 0.0);
  EXPECT_EQ(d.quantile(0.0), 30e6);
  EXPECT_EQ(d.quantile(1.0), 30e6);
}

TEST(Distribution, UniformMeanVarianceAndQuantilesMatchClosedForms) {
  const double lo = 10e6;
  const double hi = 20e6;
  const auto d = Distribution::uniform(lo, hi);
  EXPECT_DOUBLE_EQ(d.mean(), 15e6);
  EXPECT_DOUBLE_EQ(d.variance(), (hi - lo) * (hi - lo) / 12);
  const auto xs = sample_many(d, "uniform");
  for (const double x : xs) {
    ASSERT_GE(x, lo);
    ASSERT_LT(x, hi);
  }
  expect_mean_within_five_se(xs, d.mean(), d.variance());
  // Uniform on a width w: mu4 = w^4 / 80.
  const double w = hi - lo;
  expect_variance_within_five_sd(xs, d.variance(), w * w * w * w / 80);
  expect_quantiles_by_dkw(d, xs, {0.1, 0.5, 0.9});
}

TEST(Distribution, ExponentialMeanMatchesClosedFormWithinFiveStandardErrors) {
  const double m = 1e6;  // 1 ms
  const auto d = Distribution::exponential(m);
  EXPECT_EQ(d.mean(), m);
  EXPECT_EQ(d.variance(), m * m);
  const auto xs = sample_many(d, "exp");
  for (const double x : xs) ASSERT_GE(x, 0.0);
  expect_mean_within_five_se(xs, m, m * m);
  // Exponential: mu4 = 9 m^4.
  expect_variance_within_five_sd(xs, m * m, 9 * m * m * m * m);
  expect_quantiles_by_dkw(d, xs, {0.5, 0.9, 0.99});
}

TEST(Distribution, NormalMeanVarianceAndQuantilesMatchClosedForms) {
  const double mean = 10e6;
  const double sd = 2e6;
  const auto d = Distribution::normal(mean, sd);
  EXPECT_EQ(d.mean(), mean);
  EXPECT_EQ(d.variance(), sd * sd);
  const auto xs = sample_many(d, "normal");
  expect_mean_within_five_se(xs, mean, sd * sd);
  // Normal: mu4 = 3 sd^4.
  expect_variance_within_five_sd(xs, sd * sd, 3 * sd * sd * sd * sd);
  expect_quantiles_by_dkw(d, xs, {0.1, 0.5, 0.99});
}

TEST(Distribution, LognormalMeanVarianceAndQuantilesMatchClosedForms) {
  const auto d = Distribution::lognormal_median_p99(14e6, 25e6);
  const double mu = std::log(14e6);
  const double s2 = std::pow(std::log(25.0 / 14.0) / 2.3263478740408408, 2);
  EXPECT_NEAR(d.mean(), std::exp(mu + s2 / 2), 1e-9 * d.mean());
  EXPECT_NEAR(d.variance(), (std::exp(s2) - 1) * std::exp(2 * mu + s2), 1e-9 * d.variance());
  const auto xs = sample_many(d, "lognormal");
  for (const double x : xs) ASSERT_GT(x, 0.0);
  expect_mean_within_five_se(xs, d.mean(), d.variance());
  // Lognormal: excess kurtosis e^{4s2} + 2e^{3s2} + 3e^{2s2} - 6, so mu4 = (that + 3) sigma^4.
  const double kurt = std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 3;
  expect_variance_within_five_sd(xs, d.variance(), kurt * d.variance() * d.variance());
  expect_quantiles_by_dkw(d, xs, {0.5, 0.9, 0.99});
}

// Raw moment E[X^k] of Pareto(scale, shape) for shape > k.
double pareto_raw_moment(double scale, double shape, int k) {
  return shape * std::pow(scale, k) / (shape - k);
}

TEST(Distribution, ParetoWithFiniteFourthMomentMatchesMeanAndVariance) {
  const double scale = 1e6;
  const double shape = 6;
  const auto d = Distribution::pareto(scale, shape);
  EXPECT_DOUBLE_EQ(d.mean(), shape * scale / (shape - 1));
  EXPECT_DOUBLE_EQ(d.variance(), scale * scale * shape / ((shape - 1) * (shape - 1) * (shape - 2)));
  const auto xs = sample_many(d, "pareto6");
  for (const double x : xs) ASSERT_GE(x, scale);
  expect_mean_within_five_se(xs, d.mean(), d.variance());
  // Central 4th moment from raw moments: E4 - 4 m E3 + 6 m^2 E2 - 3 m^4 (finite for shape > 4).
  const double m = d.mean();
  const double mu4 = pareto_raw_moment(scale, shape, 4) -
                     4 * m * pareto_raw_moment(scale, shape, 3) +
                     6 * m * m * pareto_raw_moment(scale, shape, 2) - 3 * m * m * m * m;
  expect_variance_within_five_sd(xs, d.variance(), mu4);
  expect_quantiles_by_dkw(d, xs, {0.5, 0.9, 0.99});
}

TEST(Distribution, ParetoWithInfiniteFourthMomentChecksOnlyMeanAndQuantiles) {
  // shape 2.5: finite variance, so the mean test holds; the 4th moment is infinite, so the sample
  // variance has no usable error bound and is not checked.
  const auto d = Distribution::pareto(1e6, 2.5);
  const auto xs = sample_many(d, "pareto2.5");
  expect_mean_within_five_se(xs, d.mean(), d.variance());
  expect_quantiles_by_dkw(d, xs, {0.5, 0.9, 0.99});
}

TEST(Distribution, ParetoWithInfiniteVarianceChecksOnlyQuantiles) {
  const auto d = Distribution::pareto(1e6, 1.5);
  EXPECT_EQ(d.variance(), std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(d.mean(), 3e6);
  const auto xs = sample_many(d, "pareto1.5");
  expect_quantiles_by_dkw(d, xs, {0.5, 0.9, 0.99});
  const auto heavy = Distribution::pareto(1e6, 0.8);
  EXPECT_EQ(heavy.mean(), std::numeric_limits<double>::infinity());
  expect_quantiles_by_dkw(heavy, sample_many(heavy, "pareto0.8"), {0.5, 0.9, 0.99});
}

TEST(Distribution, EmpiricalDrawsEachSampleEquallyOften) {
  const std::vector<double> values{5e6, 1e6, 2e6, 1e6, 40e6};
  const auto d = Distribution::empirical(values);
  double mean = 0;
  for (const double v : values) mean += v / 5;
  double var = 0;
  double mu4 = 0;
  for (const double v : values) {
    var += (v - mean) * (v - mean) / 5;
    mu4 += std::pow(v - mean, 4) / 5;
  }
  EXPECT_DOUBLE_EQ(d.mean(), mean);
  EXPECT_DOUBLE_EQ(d.variance(), var);
  const auto xs = sample_many(d, "empirical");
  for (const double x : xs) {
    ASSERT_NE(std::find(values.begin(), values.end(), x), values.end()) << x;
  }
  expect_mean_within_five_se(xs, mean, var);
  expect_variance_within_five_sd(xs, var, mu4);
  // A discrete law: compare F_n with the true F at the quantiles (DKW holds for any F).
  const double eps = dkw_epsilon(kDraws);
  for (const double p : {0.3, 0.5, 0.9}) {
    const double q = d.quantile(p);
    const double true_cdf = ecdf(values, q);
    EXPECT_NEAR(ecdf(xs, q), true_cdf, eps) << "p = " << p;
  }
}

// ---------------------------------------------------------------------------------------------
// The sampling algorithms are part of the determinism contract: check each against its formula
// and its exact draw count, using a copy of the stream as the reference.

TEST(Distribution, EachKindConsumesItsDocumentedNumberOfDraws) {
  struct Case {
    Distribution d;
    int draws;
  };
  const std::vector<Case> cases{
      {Distribution::constant(1), 0},          {Distribution::uniform(0, 1), 1},
      {Distribution::normal(0, 1), 2},         {Distribution::normal(5, 0), 2},
      {Distribution::lognormal(0, 1), 2},      {Distribution::pareto(1, 2), 1},
      {Distribution::empirical({1, 2, 3}), 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.d.to_string(Unit::kNone));
    Rng rng(9, "count");
    Rng reference(9, "count");
    for (int i = 0; i < 100; ++i) {
      c.d.sample(rng);
      for (int k = 0; k < c.draws; ++k) reference.next_u64();
      ASSERT_EQ(rng.next_u64(), reference.next_u64());
    }
  }
}

TEST(Distribution, TheZigguratExponentialPassesAKolmogorovSmirnovTestAndReachesItsTail) {
  // n = 10^6 draws; the KS statistic D = sup |F_n - F| exceeds 1.95 / sqrt(n) with probability
  // 0.001 under the null. The tail beyond R = 7.697 (where the ziggurat switches to ln) holds
  // exp(-R) = 4.5e-4 of the mass: 454 expected draws, checked within 5 standard deviations.
  constexpr int kN = 1'000'000;
  Rng rng(21, "ks");
  const Distribution d = Distribution::exponential(1);
  std::vector<double> v(kN);
  for (double& x : v) x = d.sample(rng);
  std::sort(v.begin(), v.end());
  double worst = 0;
  for (int i = 0; i < kN; ++i) {
    const double f = 1 - std::exp(-v[static_cast<std::size_t>(i)]);
    worst = std::max({worst, std::abs(f - static_cast<double>(i) / kN),
                      std::abs(static_cast<double>(i + 1) / kN - f)});
  }
  EXPECT_LT(worst, 1.95 / std::sqrt(static_cast<double>(kN)));
  const double tail_p = std::exp(-7.69711747013104972);
  const auto tail =
      static_cast<double>(v.end() - std::upper_bound(v.begin(), v.end(), 7.69711747013104972));
  EXPECT_NEAR(tail, kN * tail_p, 5 * std::sqrt(kN * tail_p));
  EXPECT_GT(v.back(), 10.0) << "the tail is unbounded";
  EXPECT_GE(v.front(), 0.0);
}

TEST(Distribution, TheZigguratExponentialMostlyTakesOneDraw) {
  // 98.9% of draws take the fast path (one draw); the rest take one or two more.
  Rng rng(22, "count");
  Rng probe(22, "count");
  const Distribution d = Distribution::exponential(1);
  constexpr int kN = 100'000;
  for (int i = 0; i < kN; ++i) d.sample(rng);
  const std::uint64_t target = rng.next_u64();
  int used = 0;
  while (probe.next_u64() != target) ++used;
  EXPECT_GE(used, kN);
  EXPECT_LT(used, kN + kN / 25) << "at most a few percent extra draws";
}

TEST(Distribution, StandardExponentialIsTheExponentialOfMeanOneDrawForDraw) {
  // Arrival gaps (models/workload/arrival_process) draw it directly; it must be the same
  // algorithm, consuming the same draws, as Distribution::exponential(mean) divided by its mean.
  Rng a(23, "gaps");
  Rng b(23, "gaps");
  const Distribution d = Distribution::exponential(1);
  for (int i = 0; i < 100'000; ++i) ASSERT_EQ(standard_exponential(a), d.sample(b)) << i;
  EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(Distribution, SamplesFollowTheDocumentedFormulasExactly) {
  Rng rng(10, "formulas");
  for (int i = 0; i < 1000; ++i) {
    {
      Rng ref = rng;
      const double u = ref.uniform01();
      ASSERT_EQ(Distribution::uniform(2, 7).sample(rng), 2 + 5 * u);
    }
    {
      // The ziggurat draws a standard exponential; the mean only scales it.
      Rng ref = rng;
      ASSERT_EQ(Distribution::exponential(3).sample(rng),
                3 * Distribution::exponential(1).sample(ref));
      ASSERT_EQ(rng.next_u64(), ref.next_u64()) << "both consumed the same draws";
    }
    {
      Rng ref = rng;
      const double u1 = ref.uniform_open0();
      const double u2 = ref.uniform01();
      const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
      ASSERT_EQ(Distribution::normal(1, 2).sample(rng), 1 + 2 * z);
    }
    {
      Rng ref = rng;
      const double u1 = ref.uniform_open0();
      const double u2 = ref.uniform01();
      const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
      ASSERT_EQ(Distribution::lognormal(0.5, 0.25).sample(rng), std::exp(0.5 + 0.25 * z));
    }
    {
      Rng ref = rng;
      const double u = ref.uniform_open0();
      ASSERT_EQ(Distribution::pareto(4, 2.5).sample(rng), 4 * std::pow(u, -1 / 2.5));
    }
    {
      Rng ref = rng;
      const std::vector<double> values{9, 8, 7, 6};
      const auto index = ref.below(values.size());
      ASSERT_EQ(Distribution::empirical(values).sample(rng), values[index]);
    }
  }
}

TEST(Distribution, TheSameStreamGivesTheSameDraws) {
  const auto d = Distribution::lognormal_median_p99(14e6, 25e6);
  Rng a(77, "channel/orders");
  Rng b(77, "channel/orders");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(d.sample(a), d.sample(b));
}

// ---------------------------------------------------------------------------------------------
// Closed forms.

TEST(Distribution, NormalQuantileMatchesPublishedValues) {
  const auto n = Distribution::normal(0, 1);
  const auto rel = [](double expected) { return 1e-9 * std::fabs(expected); };
  EXPECT_NEAR(n.quantile(0.975), 1.959963984540054, rel(1.959963984540054));
  EXPECT_NEAR(n.quantile(0.025), -1.959963984540054, rel(1.959963984540054));
  EXPECT_NEAR(n.quantile(0.99), 2.3263478740408408, rel(2.3263478740408408));
  EXPECT_NEAR(n.quantile(0.9), 1.2815515655446004, rel(1.2815515655446004));
  EXPECT_NEAR(n.quantile(0.8413447460685429), 1.0, 1e-9);
  EXPECT_NEAR(n.quantile(1e-10), -6.361340902404056, rel(6.361340902404056));
  EXPECT_EQ(n.quantile(0.5), 0.0);
  EXPECT_EQ(n.quantile(0.0), -std::numeric_limits<double>::infinity());
  const auto shifted = Distribution::normal(10, 2);
  EXPECT_NEAR(shifted.quantile(0.975), 10 + 2 * 1.959963984540054, 1e-9 * 14);
}

TEST(Distribution, NormalQuantileInvertsTheCdfToNearDoublePrecisionAcrossTheRange) {
  // The refined Acklam inverse should satisfy Phi(q(p)) = p to about machine precision times the
  // condition number |x phi(x) / Phi(x)| (about x^2 in the tail); 1e-12 relative covers p down to
  // 1e-300 with margin, while Acklam's unrefined 1.15e-9 error would fail it.
  const auto n = Distribution::normal(0, 1);
  for (double p = 1e-300; p < 1; p = p < 0.01 ? p * 7.3 : p + 0.0137) {
    const double x = n.quantile(p);
    const double phi = p <= 0.5 ? 0.5 * std::erfc(-x / std::numbers::sqrt2)
                                : 1 - 0.5 * std::erfc(x / std::numbers::sqrt2);
    const double tol = p <= 0.5 ? 1e-12 * p : 1e-15;
    ASSERT_NEAR(phi, p, tol) << "p = " << p;
  }
}

TEST(Distribution, LognormalMedianP99HitsBothQuantiles) {
  for (const auto& [median, p99] :
       std::vector<std::pair<double, double>>{{14e6, 25e6}, {1.0, 1.0}, {0.003, 0.5}, {1e6, 1e9}}) {
    const auto d = Distribution::lognormal_median_p99(median, p99);
    EXPECT_NEAR(d.quantile(0.5), median, 1e-9 * median);
    EXPECT_NEAR(d.quantile(0.99), p99, 1e-9 * p99);
  }
}

TEST(Distribution, QuantilesOfTheOtherKindsMatchClosedForms) {
  EXPECT_DOUBLE_EQ(Distribution::exponential(2).quantile(0.5), 2 * std::numbers::ln2);
  EXPECT_DOUBLE_EQ(Distribution::exponential(2).quantile(0.99), -2 * std::log(0.01));
  EXPECT_EQ(Distribution::exponential(2).quantile(0), 0.0);
  EXPECT_DOUBLE_EQ(Distribution::uniform(10, 20).quantile(0.25), 12.5);
  EXPECT_EQ(Distribution::uniform(10, 20).quantile(1), 20.0);
  EXPECT_DOUBLE_EQ(Distribution::pareto(3, 2).quantile(0.75), 6.0);
  EXPECT_EQ(Distribution::pareto(3, 2).quantile(0), 3.0);
  EXPECT_DOUBLE_EQ(Distribution::lognormal(1, 0.5).quantile(0.5), std::exp(1.0));
  EXPECT_EQ(Distribution::lognormal(1, 0.5).quantile(0), 0.0);
}

TEST(Distribution, EmpiricalQuantileIsTheNearestRankOfTheSortedSamples) {
  const auto d = Distribution::empirical({5, 1, 3, 2, 4});
  EXPECT_EQ(d.quantile(0.0), 1);
  EXPECT_EQ(d.quantile(0.2), 1);
  EXPECT_EQ(d.quantile(0.21), 2);
  EXPECT_EQ(d.quantile(0.5), 3);
  EXPECT_EQ(d.quantile(0.8), 4);
  EXPECT_EQ(d.quantile(0.81), 5);
  EXPECT_EQ(d.quantile(1.0), 5);
  EXPECT_EQ(d.mean(), 3);
  EXPECT_EQ(d.variance(), 2);
}

TEST(Distribution, ParetoMomentsAreInfiniteWhereTheyDoNotExist) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Distribution::pareto(1, 1).mean(), kInf);
  EXPECT_EQ(Distribution::pareto(1, 2).variance(), kInf);
  EXPECT_DOUBLE_EQ(Distribution::pareto(1, 2).mean(), 2.0);
  EXPECT_DOUBLE_EQ(Distribution::pareto(2, 3).variance(), 4.0 * 3 / (4 * 1));
}

TEST(Distribution, QuantileRejectsProbabilitiesOutsideItsDomain) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW((void)Distribution::exponential(1).quantile(-0.1), InvalidArgument);
  EXPECT_THROW((void)Distribution::exponential(1).quantile(1.0), InvalidArgument);
  EXPECT_THROW((void)Distribution::normal(0, 1).quantile(1.0), InvalidArgument);
  EXPECT_THROW((void)Distribution::uniform(0, 1).quantile(1.5), InvalidArgument);
  EXPECT_THROW((void)Distribution::constant(1).quantile(kNan), InvalidArgument);
  EXPECT_NO_THROW((void)Distribution::empirical({1}).quantile(1.0));
}

TEST(Distribution, FactoriesRejectInvalidArgumentsWithAClearMessage) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  const auto expect_error = [](auto make, const std::string& part) {
    try {
      make();
      ADD_FAILURE() << "no exception, expected one mentioning '" << part << "'";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error([] { Distribution::uniform(2, 1); }, "low (2) must be <= high (1)");
  expect_error([] { Distribution::uniform(-1e308, 1e308); }, "overflows");
  expect_error([] { Distribution::exponential(0); }, "mean must be finite and > 0, got 0");
  expect_error([] { Distribution::exponential(-1); }, "got -1");
  expect_error([&] { Distribution::exponential(kInf); }, "got inf");
  expect_error([] { Distribution::normal(0, -1); }, "sd must be finite and >= 0");
  expect_error([&] { Distribution::normal(kNan, 1); }, "mean must be finite");
  expect_error([] { Distribution::lognormal(0, -1); }, "sigma must be finite and >= 0");
  expect_error([] { Distribution::lognormal_median_p99(0, 1); }, "median must be finite and > 0");
  expect_error([] { Distribution::lognormal_median_p99(2, 1); }, "p99 (1) must be finite and >=");
  expect_error([] { Distribution::pareto(0, 1); }, "scale must be finite and > 0");
  expect_error([] { Distribution::pareto(1, 0); }, "shape must be finite and > 0");
  expect_error([] { Distribution::empirical({}); }, "at least one sample");
  expect_error([&] { Distribution::empirical({1, kNan}); }, "samples must be finite");
  expect_error([&] { Distribution::constant(kInf); }, "value must be finite");
}

TEST(Distribution, KindReportsWhichFactoryMadeTheDistribution) {
  using K = Distribution::Kind;
  EXPECT_EQ(Distribution::constant(1).kind(), K::kConstant);
  EXPECT_EQ(Distribution::uniform(1, 2).kind(), K::kUniform);
  EXPECT_EQ(Distribution::exponential(1).kind(), K::kExponential);
  EXPECT_EQ(Distribution::normal(1, 2).kind(), K::kNormal);
  EXPECT_EQ(Distribution::lognormal(1, 2).kind(), K::kLognormal);
  EXPECT_EQ(Distribution::lognormal_median_p99(1, 2).kind(), K::kLognormal);
  EXPECT_EQ(Distribution::pareto(1, 2).kind(), K::kPareto);
  EXPECT_EQ(Distribution::empirical({1}).kind(), K::kEmpirical);
}

}  // namespace
}  // namespace geodes::sim
