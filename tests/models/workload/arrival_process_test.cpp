// ArrivalProcess: Poisson counts, diurnal thinning against the integrated rate, bursts.
#include "geodes/models/workload/arrival_process.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;  // NOLINT(google-build-using-namespace)

constexpr Duration kHour = 1_h;
constexpr Duration kDay = 24_h;

// Counts of arrivals in [from + i * width, from + (i + 1) * width) for i < bins.
std::vector<double> histogram_of_arrivals(const ArrivalProcess& p, Time from, Duration width,
                                          int bins, std::uint64_t seed) {
  std::vector<double> counts(bins, 0);
  sim::Rng rng(seed, "arrivals-test");
  const Time end = from + width * bins;
  for (Time t = p.next(from, rng); t < end; t = p.next(t, rng)) {
    ++counts[static_cast<std::size_t>((t - from) / width)];
  }
  return counts;
}

TEST(ArrivalProcessTest, PoissonCountsHaveMeanAndVarianceRateTimesT) {
  // 1000 windows of T = 10 s at 50/s: each count is Poisson(500). The mean of the counts has
  // sd sqrt(500 / 1000) = 0.71 (bound 4 sd = 2.9); their sample variance has sd
  // sqrt((lambda + 2 lambda^2) / 1000) = 22.4 (bound 4 sd = 90), which a process that is too
  // regular (variance 0) or too bursty fails.
  ArrivalParams params;
  params.rate_per_s = 50;
  const ArrivalProcess p(params);
  const int windows = 1000;
  const auto counts = histogram_of_arrivals(p, Time::zero(), 10_s, windows, 1);
  double sum = 0;
  double sum_sq = 0;
  for (double c : counts) {
    sum += c;
    sum_sq += c * c;
  }
  const double mean = sum / windows;
  const double variance = (sum_sq - windows * mean * mean) / (windows - 1);
  EXPECT_NEAR(mean, 500, 2.9);
  EXPECT_NEAR(variance, 500, 90);
  EXPECT_DOUBLE_EQ(p.expected_count(Time::zero(), Time::zero() + 10_s), 500);
}

TEST(ArrivalProcessTest, SinusoidalThinningReproducesTheIntegratedRateHourByHour) {
  ArrivalParams params;
  params.rate_per_s = 5;
  params.diurnal.shape = DiurnalShape::kSinusoidal;
  params.diurnal.amplitude = 0.8;
  params.diurnal.peak = 20_h;
  const ArrivalProcess p(params);
  // The closed-form integral agrees with a 1 s Riemann sum of rate_at (an independent check of
  // expected_count itself): relative error of the midpoint rule here is below 1e-8.
  double riemann = 0;
  for (std::int64_t s = 0; s < 86'400; ++s) riemann += p.rate_at(Time((2 * s + 1) * 500'000'000));
  EXPECT_NEAR(p.expected_count(Time::zero(), Time::zero() + kDay), riemann, 1e-6 * riemann);
  EXPECT_NEAR(p.expected_count(Time::zero(), Time::zero() + kDay), 5 * 86'400.0, 1e-6);

  // Two days, hour by hour: each count is Poisson(expected), sd below 170; five sd.
  const auto counts = histogram_of_arrivals(p, Time::zero(), kHour, 48, 2);
  double total = 0;
  for (int h = 0; h < 48; ++h) {
    const Time from = Time::zero() + kHour * h;
    const double expected = p.expected_count(from, from + kHour);
    EXPECT_NEAR(counts[h], expected, 5 * std::sqrt(expected)) << "hour " << h;
    total += counts[h];
  }
  // The peak hour (20:00-21:00) sees about nine times the trough hour (08:00-09:00).
  EXPECT_GT(counts[20], 5 * counts[8]);
  EXPECT_NEAR(total, 2 * 5 * 86'400.0, 5 * std::sqrt(2 * 5 * 86'400.0));
}

TEST(ArrivalProcessTest, PiecewiseCurveFollowsItsHourlyFactorsAndIsSilentAtZero) {
  ArrivalParams params;
  params.rate_per_s = 2;
  params.diurnal.shape = DiurnalShape::kPiecewise;
  params.diurnal.factors.assign(24, 1.0);
  params.diurnal.factors[3] = 0;   // 03:00-04:00: nobody
  params.diurnal.factors[12] = 4;  // lunch
  params.diurnal.factors[21] = 0.25;
  const ArrivalProcess p(params);
  const auto counts = histogram_of_arrivals(p, Time::zero(), kHour, 72, 3);
  for (int h = 0; h < 72; ++h) {
    const double expected = 2 * 3600 * params.diurnal.factors[h % 24];
    EXPECT_DOUBLE_EQ(p.expected_count(Time::zero() + kHour * h, Time::zero() + kHour * (h + 1)),
                     expected);
    if (expected == 0) {
      EXPECT_EQ(counts[h], 0) << "hour " << h;
    } else {
      EXPECT_NEAR(counts[h], expected, 5 * std::sqrt(expected)) << "hour " << h;
    }
  }
}

TEST(ArrivalProcessTest, BurstsMultiplyTheRateInTheirIntervalAndOverlapsMultiply) {
  ArrivalParams params;
  params.rate_per_s = 100;
  params.bursts = {{Time::zero() + 100_s, 60_s, 5}, {Time::zero() + 150_s, 50_s, 2}};
  const ArrivalProcess p(params);
  EXPECT_DOUBLE_EQ(p.rate_at(Time::zero() + 99_s), 100);
  EXPECT_DOUBLE_EQ(p.rate_at(Time::zero() + 100_s), 500);
  EXPECT_DOUBLE_EQ(p.rate_at(Time::zero() + 155_s), 1000);
  EXPECT_DOUBLE_EQ(p.rate_at(Time::zero() + 160_s), 200);
  EXPECT_DOUBLE_EQ(p.rate_at(Time::zero() + 200_s), 100);
  // Stretches with constant rate: [0,100) x1, [100,150) x5, [150,160) x10, [160,200) x2,
  // [200,300) x1. Counts are Poisson; five sd.
  const std::vector<std::pair<int, int>> stretches = {
      {0, 100}, {100, 150}, {150, 160}, {160, 200}, {200, 300}};
  const std::vector<double> multipliers = {1, 5, 10, 2, 1};
  const auto per_second = histogram_of_arrivals(p, Time::zero(), 1_s, 300, 4);
  double total_expected = 0;
  for (std::size_t i = 0; i < stretches.size(); ++i) {
    const auto [a, b] = stretches[i];
    double count = 0;
    for (int s = a; s < b; ++s) count += per_second[s];
    const double expected = 100 * multipliers[i] * (b - a);
    EXPECT_DOUBLE_EQ(p.expected_count(Time::zero() + 1_s * a, Time::zero() + 1_s * b), expected);
    EXPECT_NEAR(count, expected, 5 * std::sqrt(expected)) << "[" << a << ", " << b << ")";
    total_expected += expected;
  }
  EXPECT_DOUBLE_EQ(p.expected_count(Time::zero(), Time::zero() + 300_s), total_expected);
}

TEST(ArrivalProcessTest, AZeroMultiplierBurstSilencesItsIntervalExactly) {
  ArrivalParams params;
  params.rate_per_s = 1000;
  params.bursts = {{Time::zero() + 1_s, 2_s, 0}};
  const ArrivalProcess p(params);
  const auto counts = histogram_of_arrivals(p, Time::zero(), 1_s, 4, 5);
  EXPECT_GT(counts[0], 0);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[2], 0);
  EXPECT_GT(counts[3], 0);
}

TEST(ArrivalProcessTest, ZeroRateNeverArrives) {
  const ArrivalProcess p({});
  sim::Rng rng(1, "x");
  EXPECT_EQ(p.next(Time::zero(), rng), Time::max());
  ArrivalParams silent;
  silent.rate_per_s = 1;
  silent.diurnal.shape = DiurnalShape::kPiecewise;
  silent.diurnal.factors = {0};
  EXPECT_EQ(ArrivalProcess(silent).next(Time::zero(), rng), Time::max());
}

TEST(ArrivalProcessTest, SameSeedGivesTheSameArrivalTimes) {
  ArrivalParams params;
  params.rate_per_s = 30;
  params.diurnal.shape = DiurnalShape::kSinusoidal;
  const ArrivalProcess p(params);
  sim::Rng a(11, "workload/login/arrivals");
  sim::Rng b(11, "workload/login/arrivals");
  Time ta = Time::zero();
  Time tb = Time::zero();
  for (int i = 0; i < 1000; ++i) {
    ta = p.next(ta, a);
    tb = p.next(tb, b);
    ASSERT_EQ(ta, tb);
  }
}

TEST(ArrivalProcessTest, RejectsBadParametersNamingThem) {
  const auto message = [](const ArrivalParams& p) -> std::string {
    try {
      const ArrivalProcess a(p, "business 'login': ");
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "";
  };
  ArrivalParams p;
  p.rate_per_s = -1;
  EXPECT_NE(message(p).find("business 'login': rate is -1"), std::string::npos);
  p = {};
  p.diurnal.shape = DiurnalShape::kSinusoidal;
  p.diurnal.amplitude = 1.5;
  EXPECT_NE(message(p).find("amplitude is 1.5"), std::string::npos);
  p.diurnal.amplitude = 0.5;
  p.diurnal.peak = 25_h;
  EXPECT_NE(message(p).find("peak"), std::string::npos);
  p = {};
  p.diurnal.shape = DiurnalShape::kPiecewise;
  EXPECT_NE(message(p).find("factors is empty"), std::string::npos);
  p.diurnal.factors = {1, -2};
  EXPECT_NE(message(p).find("factors[1] is -2"), std::string::npos);
  p = {};
  p.diurnal.period = Duration(0);
  EXPECT_NE(message(p).find("period"), std::string::npos);
  p = {};
  p.bursts = {{Time::zero(), Duration(0), 2}};
  EXPECT_NE(message(p).find("bursts[0] has length"), std::string::npos);
  p.bursts = {{Time::zero(), 1_s, -2}};
  EXPECT_NE(message(p).find("bursts[0] has multiplier -2"), std::string::npos);
  EXPECT_EQ(parse_diurnal_shape("sinusoidal"), DiurnalShape::kSinusoidal);
  EXPECT_THROW((void)parse_diurnal_shape("sine"), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
