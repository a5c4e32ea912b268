// An M/M/1 queue built on the engine and RNG alone must reproduce queueing theory: the sojourn
// time of FCFS M/M/1 is exponential with rate mu - lambda (mean 1/(mu - lambda), p-quantile
// -ln(1 - p)/(mu - lambda)). This checks the engine's ordering, the clock and the exponential
// draws together.
//
// Tolerances: sojourn times within one run are strongly autocorrelated, so a naive standard error
// is wrong. We run R independent replications (separate seeds) and use the spread of their means:
// the grand mean's standard error is s/sqrt(R), and with R = 30 the two-sided t quantile for
// alpha = 1e-4 is about 4.5. The same holds for the fraction of customers below the theoretical
// p99, whose expectation is exactly 0.99.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <numeric>
#include <vector>

#include "geodes/sim/engine.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::sim {
namespace {

constexpr double kLambda = 700.0;  // per second
constexpr double kMu = 1000.0;     // per second

struct Replication {
  double mean_sojourn_s;
  double fraction_below_p99;
};

Replication run_replication(std::uint64_t seed, int customers, int warmup) {
  Engine engine;
  Rng arrivals(seed, "arrivals");
  Rng service(seed, "service");
  const double p99 = -std::log(0.01) / (kMu - kLambda);
  std::deque<Time> queue;
  bool busy = false;
  int arrived = 0;
  int departed = 0;
  double sum = 0;
  int below = 0;

  struct Model {
    Engine& engine;
    Rng& arrivals;
    Rng& service;
    std::deque<Time>& queue;
    bool& busy;
    int& arrived;
    int& departed;
    double& sum;
    int& below;
    int customers;
    int warmup;
    double p99;

    static Duration exp_draw(Rng& rng, double rate) {
      return Duration::from_seconds(-std::log(rng.uniform_open0()) / rate);
    }
    void arrive() {
      queue.push_back(engine.now());
      if (!busy) start();
      if (++arrived < customers + warmup) {
        engine.schedule_in(exp_draw(arrivals, kLambda), [this] { arrive(); });
      }
    }
    void start() {
      busy = true;
      engine.schedule_in(exp_draw(service, kMu), [this] { depart(); });
    }
    void depart() {
      const double sojourn = (engine.now() - queue.front()).seconds();
      queue.pop_front();
      if (++departed > warmup) {
        sum += sojourn;
        if (sojourn <= p99) ++below;
      }
      busy = false;
      if (!queue.empty()) start();
    }
  } model{engine,   arrivals, service, queue,     busy,   arrived,
          departed, sum,      below,   customers, warmup, p99};

  engine.schedule_in(Model::exp_draw(arrivals, kLambda), [&model] { model.arrive(); });
  engine.run();
  EXPECT_EQ(departed, customers + warmup);
  return {sum / customers, static_cast<double>(below) / customers};
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sd_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double ss = 0;
  for (const double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

TEST(Mm1Queue, MeanAndP99SojournMatchTheoryAcrossReplications) {
  constexpr int kReplications = 30;
  std::vector<double> means;
  std::vector<double> fractions;
  for (int r = 0; r < kReplications; ++r) {
    const Replication rep = run_replication(1000 + static_cast<std::uint64_t>(r), 40'000, 2'000);
    means.push_back(rep.mean_sojourn_s);
    fractions.push_back(rep.fraction_below_p99);
  }
  const double t = 4.5;  // two-sided t(29) quantile for alpha = 1e-4
  const double theory_mean = 1.0 / (kMu - kLambda);
  const double se_mean = sd_of(means) / std::sqrt(kReplications);
  EXPECT_NEAR(mean_of(means), theory_mean, t * se_mean)
      << "mean sojourn " << mean_of(means) << " s vs theory " << theory_mean << " s";
  // Sanity on the tolerance itself: the check must be tighter than 5% to mean anything.
  EXPECT_LT(t * se_mean, 0.05 * theory_mean);

  const double se_frac = sd_of(fractions) / std::sqrt(kReplications);
  EXPECT_NEAR(mean_of(fractions), 0.99, t * se_frac);
  EXPECT_LT(t * se_frac, 0.005);
}

}  // namespace
}  // namespace geodes::sim
