// The teaching M/M/1 replication channel against its closed form: lag = L + W with
// W ~ Exp(mu - lambda). Tolerances use R independent replications (see tests/sim/mm1_queue_test.cpp
// for why): t(R-1) at alpha = 1e-4 times the standard error of the replication means, plus, for
// quantiles, the histogram's documented 1% relative error.
#include "geodes/models/channels/mm1_replication.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double se_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double ss = 0;
  for (const double x : v) ss += (x - m) * (x - m);
  const auto n = static_cast<double>(v.size());
  return std::sqrt(ss / (n - 1) / n);
}

TEST(Mm1Replication, LagIsLinkLatencyPlusMm1SojournInMeanAndP99) {
  constexpr int kReplications = 20;
  constexpr double kT = 4.9;  // two-sided t(19) quantile for alpha = 1e-4
  std::vector<double> means;
  std::vector<double> p99s;
  Mm1ReplicationResult last;
  for (int r = 0; r < kReplications; ++r) {
    Mm1ReplicationParams p;
    p.write_rate_per_s = 700;
    p.apply_rate_per_s = 1000;
    p.link_latency = sim::Duration(15'000'000);
    p.writes = 30'000;
    p.warmup_writes = 2'000;
    p.seed = 100 + static_cast<std::uint64_t>(r);
    last = run_mm1_replication(p);
    ASSERT_EQ(last.lag_ns.count(), p.writes);
    means.push_back(last.lag_ns.mean());
    p99s.push_back(last.lag_ns.quantile(0.99));
  }
  EXPECT_NEAR(mean_of(means), last.theory_mean_ns, kT * se_of(means));
  const double p99 = last.theory_quantile_ns(0.99);
  EXPECT_NEAR(mean_of(p99s), p99, kT * se_of(p99s) + 0.01 * p99);
  EXPECT_LT(kT * se_of(means), 0.03 * last.theory_mean_ns) << "tolerance too loose to mean much";
}

TEST(Mm1Replication, NoWriteIsFasterThanTheLink) {
  Mm1ReplicationParams p;
  p.writes = 5'000;
  const Mm1ReplicationResult r = run_mm1_replication(p);
  EXPECT_GE(r.lag_ns.min(), p.link_latency.ns());
}

TEST(Mm1Replication, SameSeedGivesTheSameRunAndAnotherSeedDoesNot) {
  Mm1ReplicationParams p;
  p.writes = 5'000;
  const auto a = run_mm1_replication(p);
  const auto b = run_mm1_replication(p);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.lag_ns.sum(), b.lag_ns.sum());
  p.seed = 2;
  EXPECT_NE(run_mm1_replication(p).fingerprint, a.fingerprint);
}

TEST(Mm1Replication, AnOverloadedOrEmptyChannelIsRejected) {
  Mm1ReplicationParams p;
  p.write_rate_per_s = 1000;
  p.apply_rate_per_s = 1000;
  EXPECT_THROW(run_mm1_replication(p), InvalidArgument);
  p.apply_rate_per_s = 2000;
  p.writes = 0;
  EXPECT_THROW(run_mm1_replication(p), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
