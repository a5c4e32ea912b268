#include "geodes/models/system/availability.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;  // NOLINT(google-build-using-namespace)

constexpr BusinessId kLogin{0};
constexpr DcId kBj{0};

Time at(double s) { return Time(static_cast<std::int64_t>(s * 1e9)); }

// Ten ops a second for `seconds`, failing during [fail_from, fail_to).
Availability with_outage(double seconds, double fail_from, double fail_to) {
  Availability a(1, 1, 1_s, Time::zero());
  for (int i = 0; i < static_cast<int>(seconds * 10); ++i) {
    const double t = i * 0.1;
    a.record(kLogin, kBj, at(t), at(t), !(t >= fail_from && t < fail_to));
  }
  return a;
}

TEST(Availability, TheSeriesHoldTheSuccessRatioPerInterval) {
  const Availability a = with_outage(10, 3, 5);
  const sim::SampleSeries& s = a.business(kLogin);
  ASSERT_EQ(s.size(), 10u);
  EXPECT_DOUBLE_EQ(s.mean(2), 1.0);
  EXPECT_DOUBLE_EQ(s.mean(3), 0.0);
  EXPECT_EQ(s.count(3), 10u);
  EXPECT_DOUBLE_EQ(a.dc(kBj).mean(5), 1.0);
}

TEST(Availability, RtoRunsFromTheFaultUntilTheWindowRatioIsBackAtTarget) {
  // Failing 30 s to 60 s; a 10 s window needs 10 clean seconds after 60 s: back at 70 s.
  const Availability a = with_outage(200, 30, 60);
  const double rto = a.rto_s(kLogin, at(30), at(60), 0.999, 10_s, at(200));
  EXPECT_NEAR(rto, 40.0, 1e-9);
  // A 1 s window is back one second after the failures stop.
  EXPECT_NEAR(a.rto_s(kLogin, at(30), at(60), 0.999, 1_s, at(200)), 31.0, 1e-9);
}

TEST(Availability, AFaultThatHurtNobodyHasNoRtoAndOneThatNeverHealsHasAnInfiniteOne) {
  const Availability clean = with_outage(100, 1000, 1000);
  EXPECT_EQ(clean.rto_s(kLogin, at(30), at(60), 0.999, 10_s, at(100)), -1);
  const Availability broken = with_outage(100, 30, 1000);
  EXPECT_TRUE(std::isinf(broken.rto_s(kLogin, at(30), Time::max(), 0.999, 10_s, at(100))));
  // A later dip, after the fault's end plus the window, is not this fault's doing.
  const Availability late = with_outage(200, 150, 160);
  EXPECT_EQ(late.rto_s(kLogin, at(30), at(60), 0.999, 10_s, at(200)), -1);
}

TEST(Availability, OpsThatArrivedDuringWarmUpAreNotCounted) {
  Availability a(1, 1, 1_s, at(10));
  a.record(kLogin, kBj, at(5), at(11), false);
  a.record(kLogin, kBj, at(10), at(11), true);
  EXPECT_EQ(a.business(kLogin).count(11), 1u);
  EXPECT_DOUBLE_EQ(a.business(kLogin).mean(11), 1.0);
}

}  // namespace
}  // namespace geodes::models
