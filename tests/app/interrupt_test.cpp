#include "geodes/app/interrupt.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <csignal>

#include "geodes/sim/engine.hpp"

namespace geodes::app {
namespace {

std::atomic<int> g_previous_handler_calls{0};
void previous_handler(int) { g_previous_handler_calls.fetch_add(1); }

// Installs `previous_handler` for the test's duration, and the default action afterwards.
class WithPreviousHandler {
 public:
  WithPreviousHandler() {
    g_previous_handler_calls = 0;
    std::signal(SIGINT, &previous_handler);
  }
  ~WithPreviousHandler() { std::signal(SIGINT, SIG_DFL); }
};

TEST(Interrupt, NoInterruptIsRequestedAtFirst) {
  const InterruptGuard guard;
  EXPECT_FALSE(InterruptGuard::requested());
}

TEST(Interrupt, CtrlCSetsTheFlagInsteadOfKillingTheProcess) {
  const WithPreviousHandler previous;
  const InterruptGuard guard;
  ASSERT_EQ(std::raise(SIGINT), 0);
  EXPECT_TRUE(InterruptGuard::requested());
  EXPECT_EQ(g_previous_handler_calls, 0);
}

TEST(Interrupt, ANewGuardStartsWithAClearFlag) {
  const WithPreviousHandler previous;
  {
    const InterruptGuard guard;
    std::raise(SIGINT);
  }
  const InterruptGuard guard;
  EXPECT_FALSE(InterruptGuard::requested());
}

TEST(Interrupt, ThePreviousHandlerIsBackAfterTheGuard) {
  const WithPreviousHandler previous;
  { const InterruptGuard guard; }
  std::raise(SIGINT);
  EXPECT_EQ(g_previous_handler_calls, 1);
}

TEST(InterruptDeathTest, ASecondCtrlCKillsTheProcessAsUsual) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const InterruptGuard guard;
        std::raise(SIGINT);
        std::raise(SIGINT);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

TEST(Interrupt, SigtermSetsTheFlagLikeCtrlCAndSaysWhichSignalItWas) {
  const WithPreviousHandler previous;
  std::signal(SIGTERM, &previous_handler);
  {
    const InterruptGuard guard;
    EXPECT_EQ(InterruptGuard::reason(), "");
    ASSERT_EQ(std::raise(SIGTERM), 0);
    EXPECT_TRUE(InterruptGuard::requested());
    EXPECT_EQ(InterruptGuard::reason(), "interrupted (SIGTERM)");
    EXPECT_EQ(g_previous_handler_calls, 0);
  }
  std::raise(SIGTERM);  // the previous handler is back
  EXPECT_EQ(g_previous_handler_calls, 1);
  std::signal(SIGTERM, SIG_DFL);
}

TEST(Interrupt, CtrlCIsNamedInTheReason) {
  const WithPreviousHandler previous;
  const InterruptGuard guard;
  std::raise(SIGINT);
  EXPECT_EQ(InterruptGuard::reason(), "interrupted (SIGINT, Ctrl-C)");
}

TEST(InterruptDeathTest, ASigtermAfterCtrlCKillsTheProcessAtOnceBySigterm) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const InterruptGuard guard;
        std::raise(SIGINT);
        std::raise(SIGTERM);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "");
}

TEST(InterruptDeathTest, ASecondSigtermKillsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const InterruptGuard guard;
        std::raise(SIGTERM);
        std::raise(SIGTERM);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "");
}

TEST(Interrupt, TheProgressHookStopsTheEngineWhenInterrupted) {
  const WithPreviousHandler previous;
  const InterruptGuard guard;
  sim::Engine engine;
  engine.set_progress_hook(
      [&](const sim::Progress&) {
        if (InterruptGuard::requested()) engine.stop();
      },
      1);
  std::uint64_t ran = 0;
  for (int i = 0; i < 100; ++i) {
    engine.schedule_at(sim::Time(i), [&ran] {
      if (++ran == 10) std::raise(SIGINT);
    });
  }
  EXPECT_EQ(engine.run(), sim::RunOutcome::kStopped);
  EXPECT_EQ(ran, 10u);
}

}  // namespace
}  // namespace geodes::app
