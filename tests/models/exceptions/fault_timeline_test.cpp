// The fault timeline: scheduled faults at their times, and random faults as an alternating renewal
// process checked against its closed forms: a component up for Exp(mean U) and down for Exp(mean
// D) is down a fraction D / (U + D) of the time, and two independent ones are both down
// (D / (U + D))^2 of the time (REFERENCE.md, "Oracles").
//
// Tolerances: R independent replications (separate seeds); the grand mean must lie within
// t(R-1, alpha = 1e-4) ~ 4.9 standard errors of theory, and the test also asserts that this
// tolerance is tight (a few percent of the value), so a pass means something.
#include "geodes/models/exceptions/fault_timeline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "geodes/sim/engine.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;  // NOLINT(google-build-using-namespace)

// Records the state of each fault over time.
struct Recorder : FaultHandler {
  explicit Recorder(sim::Engine& e, std::size_t faults) : engine(e), down(faults, false) {}
  void fault_started(std::size_t fault, std::size_t, Duration d) override {
    advance();
    down[fault] = true;
    durations.push_back(d);
    starts.push_back(engine.now());
  }
  void fault_ended(std::size_t fault, std::size_t) override {
    advance();
    down[fault] = false;
    ends.push_back(engine.now());
  }
  // Accumulates the time spent in the current state up to now (or up to `until`).
  void advance(Time until = Time::max()) {
    const Time t = std::min(engine.now(), until);
    if (t <= last) return;
    const double span = (t - last).seconds();
    bool all = true;
    for (std::size_t i = 0; i < down.size(); ++i) {
      if (down[i]) down_s[i] += span;
      all = all && down[i];
    }
    if (all) all_down_s += span;
    last = t;
  }
  sim::Engine& engine;
  std::vector<bool> down;
  std::vector<double> down_s = std::vector<double>(4, 0.0);
  double all_down_s = 0;
  Time last;
  std::vector<Duration> durations;
  std::vector<Time> starts;
  std::vector<Time> ends;
};

FaultSpec random_fault(double mtbf_s, double mttr_s) {
  FaultSpec f;
  f.type = FaultType::kLinkDown;
  f.random = true;
  f.mtbf = sim::Distribution::exponential(mtbf_s * 1e9);
  f.mttr = sim::Distribution::exponential(mttr_s * 1e9);
  return f;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
double se_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  const auto n = static_cast<double>(v.size());
  return std::sqrt(ss / (n - 1) / n);
}

TEST(FaultTimeline, ScheduledFaultsStartAndEndAtTheirTimes) {
  sim::Engine engine;
  FaultSpec a;
  a.type = FaultType::kDcOutage;
  a.at = Time(5'000'000'000);
  a.duration = 2_min;
  FaultSpec forever;
  forever.type = FaultType::kLinkDown;
  forever.at = Time(1'000'000'000);
  const std::vector<FaultSpec> faults{a, forever};
  Recorder rec(engine, 2);
  FaultTimeline t(engine, faults, rec, Time(3'600'000'000'000), 1);
  t.start();
  engine.run();
  ASSERT_EQ(rec.starts.size(), 2u);
  EXPECT_EQ(rec.starts[0], Time(1'000'000'000));
  EXPECT_EQ(rec.starts[1], Time(5'000'000'000));
  EXPECT_EQ(rec.durations[0], Duration::max());
  ASSERT_EQ(rec.ends.size(), 1u) << "a fault without a duration never ends";
  EXPECT_EQ(rec.ends[0], Time(5'000'000'000) + 2_min);
  ASSERT_EQ(t.occurrences().size(), 2u);
  EXPECT_EQ(t.occurrences()[0].fault, 1u);
  EXPECT_EQ(t.occurrences()[0].end, Time::max());
  EXPECT_EQ(t.occurrences()[1].end, Time(5'000'000'000) + 2_min);
}

TEST(FaultTimeline, ARandomFaultIsDownAFractionMttrOverMtbfPlusMttrOfTheTime) {
  const double mtbf = 3600;
  const double mttr = 600;
  const Time horizon(2000LL * 3'600'000'000'000);  // ~1700 cycles per replication
  std::vector<double> fractions;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Engine engine;
    const std::vector<FaultSpec> faults{random_fault(mtbf, mttr)};
    Recorder rec(engine, 1);
    FaultTimeline t(engine, faults, rec, horizon, seed);
    t.start();
    engine.run_until(horizon);
    rec.advance(horizon);
    fractions.push_back(rec.down_s[0] / horizon.seconds());
    // Occurrences never overlap and each lasts what it was told.
    for (std::size_t i = 0; i < rec.ends.size(); ++i) {
      EXPECT_EQ(rec.ends[i] - rec.starts[i], rec.durations[i]);
      if (i + 1 < rec.starts.size()) {
        EXPECT_GT(rec.starts[i + 1], rec.ends[i]);
      }
    }
  }
  const double theory = mttr / (mtbf + mttr);
  const double tolerance = 4.9 * se_of(fractions);
  EXPECT_NEAR(mean_of(fractions), theory, tolerance);
  EXPECT_LT(tolerance, 0.03 * theory) << "the test must be able to tell a wrong model";
}

TEST(FaultTimeline, TwoIndependentRandomFaultsAreBothDownTheSquareOfTheFractionOfTime) {
  const double mtbf = 1800;
  const double mttr = 600;
  const Time horizon(2000LL * 3'600'000'000'000);
  std::vector<double> both;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Engine engine;
    const std::vector<FaultSpec> faults{random_fault(mtbf, mttr), random_fault(mtbf, mttr)};
    Recorder rec(engine, 2);
    FaultTimeline t(engine, faults, rec, horizon, seed);
    t.start();
    engine.run_until(horizon);
    rec.advance(horizon);
    both.push_back(rec.all_down_s / horizon.seconds());
  }
  const double p = mttr / (mtbf + mttr);
  const double tolerance = 4.9 * se_of(both);
  EXPECT_NEAR(mean_of(both), p * p, tolerance);
  EXPECT_LT(tolerance, 0.06 * p * p);
}

TEST(FaultTimeline, RandomFaultsStopStartingAtTheEndOfInjectionButStillHeal) {
  sim::Engine engine;
  const std::vector<FaultSpec> faults{random_fault(60, 30)};
  Recorder rec(engine, 1);
  const Time until(3'600'000'000'000);
  FaultTimeline t(engine, faults, rec, until, 3);
  t.start();
  engine.run();  // finite: no failure is drawn after `until`
  ASSERT_GT(rec.starts.size(), 10u);
  EXPECT_LE(rec.starts.back(), until);
  EXPECT_EQ(rec.ends.size(), rec.starts.size()) << "every occurrence healed";
}

TEST(FaultTimeline, TheSameSeedGivesTheSameTimelineAndAnotherSeedAnother) {
  const auto starts = [](std::uint64_t seed) {
    sim::Engine engine;
    const std::vector<FaultSpec> faults{random_fault(600, 60), random_fault(300, 30)};
    Recorder rec(engine, 2);
    FaultTimeline t(engine, faults, rec, Time(36'000'000'000'000), seed);
    t.start();
    engine.run();
    return rec.starts;
  };
  EXPECT_EQ(starts(7), starts(7));
  EXPECT_NE(starts(7), starts(8));
}

TEST(FaultTimeline, BadTimesAndDistributionsAreRejectedNamingTheFault) {
  sim::Engine engine;
  Recorder rec(engine, 1);
  FaultSpec f;
  f.type = FaultType::kLinkDown;
  f.duration = Duration::zero();
  std::vector<FaultSpec> faults{f};
  try {
    FaultTimeline t(engine, faults, rec, Time(1), 1);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("faults[0] (link_down): duration"), std::string::npos)
        << e.what();
  }
  faults[0] = random_fault(60, 30);
  faults[0].mttr = sim::Distribution::normal(1e9, 1e9);
  EXPECT_THROW(FaultTimeline(engine, faults, rec, Time(1), 1), InvalidArgument);
}

}  // namespace
}  // namespace geodes::models
