// Gslb: failover after the detection delay, failback after the recovery delay, exact times.
#include "geodes/models/workload/gslb.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Duration;
using sim::Time;
using namespace sim::literals;  // NOLINT(google-build-using-namespace)

struct Change {
  Time at;
  DcId home;
  DcId from;
  DcId to;
  friend bool operator==(const Change&, const Change&) = default;
};

std::ostream& operator<<(std::ostream& os, const Change& c) {
  return os << sim::format(c.at) << " home " << c.home.value << ": " << c.from.value << " -> "
            << c.to.value;
}

class GslbTest : public ::testing::Test {
 protected:
  void make(const GslbParams& p, std::size_t dcs) {
    gslb_ = std::make_unique<Gslb>(engine_, p, dcs);
    gslb_->set_route_listener([this](Time at, DcId home, DcId from, DcId to) {
      changes_.push_back({at, home, from, to});
    });
  }
  // Runs `f` at time t.
  template <typename F>
  void at(Duration t, F f) {
    actions_.push_back(f);
    const std::size_t i = actions_.size() - 1;
    engine_.schedule_at(Time::zero() + t, [this, i] { actions_[i](); });
  }

  sim::Engine engine_;
  std::unique_ptr<Gslb> gslb_;
  std::vector<Change> changes_;
  std::vector<std::function<void()>> actions_;
};

GslbParams delays(Duration detect, Duration failback) {
  GslbParams p;
  p.detection_delay = detect;
  p.failback_delay = failback;
  return p;
}

TEST_F(GslbTest, MovesADownDcsUsersAfterTheDetectionDelayAndBackAfterTheFailbackDelay) {
  make(delays(30_s, 60_s), 3);
  at(10_s, [this] { gslb_->dc_down(DcId{0}); });
  at(39_s, [this] { EXPECT_EQ(gslb_->route(DcId{0}), DcId{0}) << "moved before detection"; });
  at(100_s, [this] { gslb_->dc_up(DcId{0}); });
  at(159_s, [this] { EXPECT_EQ(gslb_->route(DcId{0}), DcId{1}) << "moved back too early"; });
  engine_.run();
  const Time t40 = Time::zero() + 40_s;
  const Time t160 = Time::zero() + 160_s;
  EXPECT_EQ(changes_, (std::vector<Change>{{t40, DcId{0}, DcId{0}, DcId{1}},
                                           {t160, DcId{0}, DcId{1}, DcId{0}}}));
  EXPECT_EQ(gslb_->route(DcId{0}), DcId{0});
  EXPECT_EQ(gslb_->route(DcId{1}), DcId{1});
  EXPECT_EQ(gslb_->stats().detections, 1u);
  EXPECT_EQ(gslb_->stats().failbacks, 1u);
}

TEST_F(GslbTest, ABlipShorterThanTheDetectionDelayIsNeverNoticed) {
  make(delays(30_s, 60_s), 2);
  at(10_s, [this] { gslb_->dc_down(DcId{1}); });
  at(25_s, [this] { gslb_->dc_up(DcId{1}); });
  engine_.run();
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(gslb_->stats().detections, 0u);
  EXPECT_EQ(engine_.now(), Time::zero() + 25_s) << "the cancelled detection still ran";
}

TEST_F(GslbTest, FailingAgainDuringTheFailbackDelayKeepsUsersAway) {
  make(delays(10_s, 60_s), 2);
  at(0_s, [this] { gslb_->dc_down(DcId{0}); });   // moved at 10 s
  at(20_s, [this] { gslb_->dc_up(DcId{0}); });    // would move back at 80 s
  at(50_s, [this] { gslb_->dc_down(DcId{0}); });  // ...but fails again
  at(100_s, [this] { gslb_->dc_up(DcId{0}); });   // back at 160 s
  engine_.run();
  EXPECT_EQ(changes_, (std::vector<Change>{{Time::zero() + 10_s, DcId{0}, DcId{0}, DcId{1}},
                                           {Time::zero() + 160_s, DcId{0}, DcId{1}, DcId{0}}}));
}

TEST_F(GslbTest, UsersFollowTheFailoverOrderAndMoveOnWhenTheTargetFailsToo) {
  GslbParams p = delays(5_s, 5_s);
  p.failover_order = {{DcId{2}, DcId{1}}, {DcId{0}}, {DcId{0}, DcId{1}}};
  make(p, 3);
  at(0_s, [this] { gslb_->dc_down(DcId{0}); });   // home 0 -> 2 at 5 s
  at(10_s, [this] { gslb_->dc_down(DcId{2}); });  // home 0 -> 1, home 2 -> 1 at 15 s
  engine_.run();
  EXPECT_EQ(changes_, (std::vector<Change>{{Time::zero() + 5_s, DcId{0}, DcId{0}, DcId{2}},
                                           {Time::zero() + 15_s, DcId{0}, DcId{2}, DcId{1}},
                                           {Time::zero() + 15_s, DcId{2}, DcId{2}, DcId{1}}}));
}

TEST_F(GslbTest, WithEveryTargetDownUsersStayHome) {
  GslbParams p = delays(1_s, 1_s);
  p.failover_order = {{DcId{1}}, {}};
  make(p, 2);
  at(0_s, [this] { gslb_->dc_down(DcId{1}); });
  at(0_s, [this] { gslb_->dc_down(DcId{0}); });
  engine_.run();
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(gslb_->route(DcId{0}), DcId{0});
  EXPECT_FALSE(gslb_->believed_up(DcId{0}));
}

TEST_F(GslbTest, ZeroDelaysActAtTheSameInstant) {
  make(delays(0_s, 0_s), 2);
  at(7_s, [this] { gslb_->dc_down(DcId{1}); });
  at(9_s, [this] { gslb_->dc_up(DcId{1}); });
  engine_.run();
  EXPECT_EQ(changes_, (std::vector<Change>{{Time::zero() + 7_s, DcId{1}, DcId{1}, DcId{0}},
                                           {Time::zero() + 9_s, DcId{1}, DcId{0}, DcId{1}}}));
}

TEST_F(GslbTest, RejectsBadParametersNamingThem) {
  const auto message = [this](const GslbParams& p, std::size_t dcs) -> std::string {
    try {
      const Gslb g(engine_, p, dcs);
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(delays(-1_s, 0_s), 2).find("detection_delay"), std::string::npos);
  EXPECT_NE(message(delays(0_s, -1_s), 2).find("failback_delay"), std::string::npos);
  GslbParams p;
  p.failover_order = {{DcId{1}}};
  EXPECT_NE(message(p, 2).find("one per DC (2)"), std::string::npos);
  p.failover_order = {{DcId{0}}, {DcId{0}}};
  EXPECT_NE(message(p, 2).find("failover_order[0] names DC 0, its own home DC"), std::string::npos);
  p.failover_order = {{DcId{5}}, {DcId{0}}};
  EXPECT_NE(message(p, 2).find("names DC 5"), std::string::npos);
  p.failover_order = {{DcId{1}, DcId{1}}, {DcId{0}}};
  EXPECT_NE(message(p, 2).find("twice"), std::string::npos);
}

}  // namespace
}  // namespace geodes::models
