#include "geodes/app/progress_bar.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "geodes/app/text_format.hpp"

namespace geodes::app {
namespace {

using sim::Progress;
using sim::Time;

constexpr std::int64_t kSecond = 1'000'000'000;

Progress at(std::int64_t now_s, std::uint64_t events) {
  return Progress{Time(now_s * kSecond), events, 0};
}

// A wall clock the test moves by hand.
struct FakeClock {
  double now = 100;
  ProgressBar::Clock clock() {
    return [this] { return now; };
  }
};

TEST(ProgressBar, ALineShowsTheBarPercentSimulatedTimeSpeedAndEta) {
  // A quarter of an hour simulated in 10 s of wall time: 30 s more to go.
  EXPECT_EQ(ProgressBar::format_line(at(900, 5'000'000), Time(3600 * kSecond), 10.0),
            "[####............]  25.0%  sim 15m00s of 1h00m  500k ev/s  ETA 30.0s");
}

TEST(ProgressBar, WithoutAKnownEndThereIsNoBarAndNoEta) {
  EXPECT_EQ(ProgressBar::format_line(at(90, 1'234'567), Time::max(), 2.0),
            "sim 1m30s  1.2M events  617k ev/s");
}

TEST(ProgressBar, TheStartAndTheEndAreFormattedSensibly) {
  const Time end(60 * kSecond);
  EXPECT_EQ(ProgressBar::format_line(at(0, 0), end, 0.0),
            "[................]   0.0%  sim 0 of 1m00s  ETA ?");
  EXPECT_EQ(ProgressBar::format_line(at(60, 1000), end, 1.0),
            "[################] 100.0%  sim 1m00s of 1m00s  1000 ev/s  ETA 0");
}

TEST(ProgressBar, ALineNeverExceedsSeventyNineColumns) {
  const Time end(Time::max().ns() - 1);
  EXPECT_LE(display_width(ProgressBar::format_line(at(1'000'000'000, ~0ULL), end, 1e-9)), 79u);
}

TEST(ProgressBar, NothingIsDrawnBeforeTheFirstInterval) {
  FakeClock c;
  std::ostringstream out;
  ProgressBar bar(out, Time(3600 * kSecond), true, c.clock());
  c.now += 0.1;
  bar.update(at(10, 100));
  bar.finish();
  EXPECT_EQ(out.str(), "") << "a short run prints nothing, not even a clearing line";
}

TEST(ProgressBar, RedrawsAreRateLimitedByTheWallClock) {
  FakeClock c;
  std::ostringstream out;
  ProgressBar bar(out, Time(100 * kSecond), true, c.clock());
  c.now += 0.25;
  bar.update(at(10, 1000));
  const std::string first = out.str();
  EXPECT_EQ(first.rfind("\r[#...............]  10.0%", 0), 0u) << first;
  c.now += 0.1;  // too soon
  bar.update(at(20, 2000));
  EXPECT_EQ(out.str(), first);
  c.now += 0.15;
  bar.update(at(50, 5000));
  EXPECT_NE(out.str(), first);
  EXPECT_NE(out.str().find("\r[########........]  50.0%", first.size()), std::string::npos);
}

TEST(ProgressBar, AShorterLineOverwritesTheRestOfTheLongerOne) {
  FakeClock c;
  std::ostringstream out;
  ProgressBar bar(out, Time(100 * kSecond), true, c.clock());
  c.now += 1;
  bar.update(at(10, 123'456'789));
  const std::size_t first_width = out.str().size() - 1;  // without the '\r'
  out.str("");
  c.now += 100;
  bar.update(at(11, 1));
  const std::string second = out.str();
  EXPECT_EQ(second.size() - 1, first_width) << "'" << second << "'";
  EXPECT_EQ(second.back(), ' ');
}

TEST(ProgressBar, FinishErasesTheLineOnce) {
  FakeClock c;
  std::ostringstream out;
  {
    ProgressBar bar(out, Time(100 * kSecond), true, c.clock());
    c.now += 1;
    bar.update(at(10, 1000));
    const std::size_t width = out.str().size() - 1;
    out.str("");
    bar.finish();
    EXPECT_EQ(out.str(), "\r" + std::string(width, ' ') + "\r");
    out.str("");
    bar.finish();
    c.now += 1;
    bar.update(at(20, 2000));
  }  // the destructor finishes too
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressBar, ADisabledBarPrintsNothingAndNeverReadsTheClock) {
  std::ostringstream out;
  int reads = 0;
  ProgressBar bar(out, Time(100 * kSecond), false, [&] {
    ++reads;
    return 1e9;
  });
  EXPECT_FALSE(bar.enabled());
  bar.update(at(10, 1000));
  bar.finish();
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(reads, 0);
}

TEST(ProgressBar, AFileOrAPipeIsNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(is_terminal(file));
  std::fclose(file);
  EXPECT_FALSE(is_terminal(nullptr));
}

TEST(ProgressBar, ItPlugsIntoTheEngineHook) {
  FakeClock c;
  std::ostringstream out;
  sim::Engine engine;
  ProgressBar bar(out, Time(1000), true, c.clock());
  engine.set_progress_hook(
      [&](const Progress& p) {
        c.now += 1;
        bar.update(p);
      },
      10);
  for (int i = 0; i < 100; ++i) engine.schedule_at(Time(std::int64_t{i} * 10), [] {});
  engine.run_until(Time(1000));
  bar.finish();
  EXPECT_NE(out.str().find("ETA"), std::string::npos);
  EXPECT_EQ(out.str().back(), '\r');
}

}  // namespace
}  // namespace geodes::app
