#include "geodes/sim/engine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::sim {
namespace {

using namespace literals;

TEST(Engine, EventsRunInTimeOrder) {
  Engine engine;
  std::vector<int> order;
  engine.schedule_at(Time(30), [&order] { order.push_back(3); });
  engine.schedule_at(Time(10), [&order] { order.push_back(1); });
  engine.schedule_at(Time(20), [&order] { order.push_back(2); });
  EXPECT_EQ(engine.run(), RunOutcome::kEmpty);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(engine.now(), Time(30));
  EXPECT_EQ(engine.events_executed(), 3u);
}

TEST(Engine, EventsAtTheSameTimeRunInInsertionOrder) {
  Engine engine;
  std::vector<int> order;
  for (int i = 0; i < 1000; ++i) {
    // Interleave two times so the heap really has to keep the ties apart.
    const Time t = (i % 2 == 0) ? Time(5) : Time(7);
    engine.schedule_at(t, [&order, i] { order.push_back(i); });
  }
  engine.run();
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], 2 * i);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(order[static_cast<std::size_t>(500 + i)], 2 * i + 1);
}

TEST(Engine, AnEventScheduledForNowFromACallbackRunsAfterThoseAlreadyPending) {
  Engine engine;
  std::vector<int> order;
  engine.schedule_at(Time(1), [&] {
    order.push_back(1);
    engine.schedule_in(Duration::zero(), [&order] { order.push_back(3); });
  });
  engine.schedule_at(Time(1), [&order] { order.push_back(2); });
  engine.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Engine, ACancelledEventNeverRuns) {
  Engine engine;
  int ran = 0;
  const EventHandle h = engine.schedule_in(5_ms, [&ran] { ran += 1; });
  engine.schedule_in(10_ms, [&ran] { ran += 10; });
  EXPECT_TRUE(engine.is_pending(h));
  EXPECT_EQ(engine.pending(), 2u);
  EXPECT_TRUE(engine.cancel(h));
  EXPECT_FALSE(engine.is_pending(h));
  EXPECT_EQ(engine.pending(), 1u);
  EXPECT_FALSE(engine.cancel(h)) << "cancelling twice reports false";
  engine.run();
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(engine.events_executed(), 1u);
}

TEST(Engine, CancellingAnEventThatAlreadyRanReportsFalseAndDoesNotHitItsSlotsNextUser) {
  Engine engine;
  int ran = 0;
  const EventHandle first = engine.schedule_in(1_ms, [&ran] { ran += 1; });
  engine.run();
  // The slot of `first` is free now and will be reused by the next event.
  const EventHandle second = engine.schedule_in(1_ms, [&ran] { ran += 10; });
  EXPECT_FALSE(engine.cancel(first));
  EXPECT_TRUE(engine.is_pending(second));
  engine.run();
  EXPECT_EQ(ran, 11);
}

TEST(Engine, AnEventCanCancelAnotherAtTheSameTime) {
  Engine engine;
  int ran = 0;
  EventHandle victim;
  engine.schedule_at(Time(1), [&] { EXPECT_TRUE(engine.cancel(victim)); });
  victim = engine.schedule_at(Time(1), [&ran] { ++ran; });
  engine.run();
  EXPECT_EQ(ran, 0);
}

TEST(Engine, EmptyHandlesAreNeverPending) {
  Engine engine;
  EventHandle h;
  EXPECT_FALSE(h.valid());
  EXPECT_FALSE(engine.is_pending(h));
  EXPECT_FALSE(engine.cancel(h));
}

TEST(Engine, RunUntilStopsAtTheEndTimeAndCanContinue) {
  Engine engine;
  std::vector<std::int64_t> times;
  for (int i = 1; i <= 10; ++i) {
    engine.schedule_at(Time(i * 100), [&] { times.push_back(engine.now().ns()); });
  }
  EXPECT_EQ(engine.run_until(Time(500)), RunOutcome::kReached);
  EXPECT_EQ(times.size(), 5u) << "events at exactly the end time run";
  EXPECT_EQ(engine.now(), Time(500));
  EXPECT_EQ(engine.pending(), 5u);
  EXPECT_EQ(engine.run_until(Time(550)), RunOutcome::kReached);
  EXPECT_EQ(engine.now(), Time(550)) << "the clock advances to the end time even with no event";
  EXPECT_EQ(engine.run(), RunOutcome::kEmpty);
  EXPECT_EQ(times.size(), 10u);
  EXPECT_EQ(engine.now(), Time(1000));
}

TEST(Engine, StopReturnsAfterTheCurrentEvent) {
  Engine engine;
  int ran = 0;
  for (int i = 0; i < 10; ++i) {
    engine.schedule_at(Time(i), [&] {
      if (++ran == 3) engine.stop();
    });
  }
  EXPECT_EQ(engine.run(), RunOutcome::kStopped);
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(engine.run(), RunOutcome::kEmpty) << "a stopped run can be resumed";
  EXPECT_EQ(ran, 10);
}

TEST(Engine, SchedulingInThePastThrows) {
  Engine engine;
  engine.schedule_at(Time(100), [] {});
  engine.run();
  EXPECT_THROW(engine.schedule_at(Time(99), [] {}), InvalidArgument);
  EXPECT_THROW(engine.schedule_in(Duration(-1), [] {}), InvalidArgument);
  EXPECT_NO_THROW(engine.schedule_at(Time(100), [] {}));
}

TEST(Engine, APreparedCallbackAndALambdaScheduleAlike) {
  // Two ways in: a lambda is built in the event's slot, a Callback is copied into it. A slot
  // reused by a smaller lambda keeps stale bytes past the lambda; they must never matter.
  Engine engine;
  std::vector<int> order;
  std::uint64_t a = 1;
  std::uint64_t b = 2;
  engine.schedule_at(Time(1), [&order, a, b] { order.push_back(static_cast<int>(a + b)); });
  engine.run();
  const Callback prepared = [&order] { order.push_back(7); };
  engine.schedule_at(Time(3), prepared);
  engine.schedule_in(Duration(1), [&order] { order.push_back(5); });
  engine.schedule_in(Duration(3), prepared);
  EXPECT_THROW(engine.schedule_at(Time(5), Callback()), InvalidArgument);
  engine.run();
  EXPECT_EQ(order, (std::vector<int>{3, 5, 7, 7}));
}

TEST(Engine, AnExceptionFromACallbackLeavesTheEngineUsable) {
  Engine engine;
  int ran = 0;
  engine.schedule_at(Time(1), [] { throw Error("model failure"); });
  engine.schedule_at(Time(2), [&ran] { ++ran; });
  EXPECT_THROW(engine.run(), Error);
  EXPECT_EQ(engine.pending(), 1u);
  engine.run();
  EXPECT_EQ(ran, 1);
}

TEST(Engine, TheProgressHookIsCalledEveryNEvents) {
  Engine engine;
  std::vector<std::uint64_t> seen;
  engine.set_progress_hook([&seen](const Progress& p) { seen.push_back(p.events_executed); }, 10);
  for (int i = 0; i < 35; ++i) engine.schedule_at(Time(i), [] {});
  engine.run();
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{10, 20, 30}));
  EXPECT_THROW(engine.set_progress_hook([](const Progress&) {}, 0), InvalidArgument);
}

TEST(Engine, AProgressHookCanStopTheRun) {
  Engine engine;
  engine.set_progress_hook([&engine](const Progress&) { engine.stop(); }, 4);
  for (int i = 0; i < 10; ++i) engine.schedule_at(Time(i), [] {});
  EXPECT_EQ(engine.run(), RunOutcome::kStopped);
  EXPECT_EQ(engine.events_executed(), 4u);
}

// A little random model: each event draws a delay and reschedules itself, sometimes cancelling a
// timer. Used to compare trajectories.
std::uint64_t random_model_fingerprint(std::uint64_t seed, int perturb_at = -1) {
  Engine engine;
  Rng rng(seed, "fingerprint-model");
  int steps = 0;
  EventHandle timer;
  struct State {
    Engine* engine;
    Rng* rng;
    int* steps;
    EventHandle* timer;
    int perturb_at;
  } state{&engine, &rng, &steps, &timer, perturb_at};
  struct Step {
    static void run(State* s) {
      if (++*s->steps > 5000) return;
      const auto delay = Duration(static_cast<std::int64_t>(s->rng->below(1000)) +
                                  (*s->steps == s->perturb_at ? 1 : 0));
      s->engine->schedule_in(delay, [s] { run(s); });
      if (s->rng->below(3) == 0) {
        s->engine->cancel(*s->timer);
        *s->timer = s->engine->schedule_in(Duration(500), [] {});
      }
    }
  };
  for (int i = 0; i < 8; ++i) engine.schedule_in(Duration(i), [&state] { Step::run(&state); });
  engine.run();
  return engine.fingerprint();
}

TEST(Engine, TwoRunsOfTheSameModelAndSeedHaveTheSameFingerprint) {
  EXPECT_EQ(random_model_fingerprint(7), random_model_fingerprint(7));
  EXPECT_NE(random_model_fingerprint(7), random_model_fingerprint(8));
}

TEST(Engine, AOneNanosecondChangeInTheTrajectoryChangesTheFingerprint) {
  EXPECT_NE(random_model_fingerprint(7), random_model_fingerprint(7, 2500));
}

TEST(Engine, ModelValuesMixedIntoTheFingerprintChangeIt) {
  Engine a;
  Engine b;
  a.mix_fingerprint(1);
  b.mix_fingerprint(2);
  EXPECT_NE(a.fingerprint(), b.fingerprint());
}

TEST(Engine, SlotsAreReusedSoMemoryDoesNotGrowWithEventsRun) {
  // A hold model with 100 pending events runs 100k events; pending never exceeds 100.
  Engine engine;
  Rng rng(3);
  struct Hold {
    Engine* engine;
    Rng* rng;
    void fire() {
      auto self = this;
      engine->schedule_in(Duration(1 + static_cast<std::int64_t>(rng->below(1000))),
                          [self] { self->fire(); });
    }
  } hold{&engine, &rng};
  for (int i = 0; i < 100; ++i) engine.schedule_in(Duration(i), [&hold] { hold.fire(); });
  engine.set_progress_hook(
      [&engine](const Progress& p) {
        EXPECT_EQ(p.pending, 100u);
        if (p.events_executed >= 100'000) engine.stop();
      },
      1000);
  EXPECT_EQ(engine.run(), RunOutcome::kStopped);
  EXPECT_EQ(engine.pending(), 100u);
}

}  // namespace
}  // namespace geodes::sim

namespace geodes::sim {
namespace {

TEST(Engine, TieOrderSurvivesSequenceNumberRenumbering) {
  // Schedule ties on both sides of the 32-bit sequence limit; insertion order must still hold.
  Engine engine;
  std::vector<int> order;
  engine.schedule_at(Time(50), [&order] { order.push_back(-1); });
  engine.set_next_sequence_for_testing(0xffffffffu - 10);
  for (int i = 0; i < 40; ++i) {
    engine.schedule_at(Time(100 + (i % 3)), [&order, i] { order.push_back(i); });
  }
  engine.run();
  std::vector<int> expected{-1};
  for (int t = 0; t < 3; ++t) {
    for (int i = t; i < 40; i += 3) expected.push_back(i);
  }
  EXPECT_EQ(order, expected);
}

TEST(Engine, RenumberingDoesNotChangeTheTrajectory) {
  auto run = [](bool near_wrap) {
    Engine engine;
    Rng rng(5);
    if (near_wrap) engine.set_next_sequence_for_testing(0xffffffffu - 500);
    std::vector<std::int64_t> seen;
    struct Ctx {
      Engine* e;
      Rng* r;
      std::vector<std::int64_t>* seen;
    } ctx{&engine, &rng, &seen};
    struct Tick {
      static void fire(Ctx* c) {
        c->seen->push_back(c->e->now().ns());
        if (c->seen->size() < 3000) {
          // Coarse times (multiples of 10) so ties are common.
          c->e->schedule_in(Duration(10 * static_cast<std::int64_t>(c->r->below(5))),
                            [c] { fire(c); });
        }
      }
    };
    for (int i = 0; i < 20; ++i) engine.schedule_at(Time(0), [&ctx] { Tick::fire(&ctx); });
    engine.run();
    return seen;
  };
  EXPECT_EQ(run(false), run(true));
}

}  // namespace
}  // namespace geodes::sim
