// Network and Connection: latency, serialisation and queueing, saturation, loss, degradation,
// link failure, in-order delivery and determinism of the draws.
#include "geodes/models/net/network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "geodes/models/net/topology.hpp"
#include "geodes/sim/distribution.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Distribution;
using sim::Duration;
using sim::Time;
using namespace sim::literals;

LinkSpec spec(const std::string& name, DcId a, DcId b, Distribution latency, double bandwidth = 0,
              double loss = 0) {
  LinkSpec s;
  s.name = name;
  s.a = a;
  s.b = b;
  s.latency = std::move(latency);
  s.bandwidth_bytes_per_s = bandwidth;
  s.loss = loss;
  return s;
}

Distribution constant(Duration d) { return Distribution::constant(static_cast<double>(d.ns())); }

// Ordinary least-squares slope of y on x.
double ols_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  double mx = 0;
  double my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0;
  double sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxy / sxx;
}

// Two DCs, Beijing and Shanghai, joined by one link.
struct TwoDcs {
  explicit TwoDcs(LinkSpec s, std::uint64_t seed = 1) {
    s.a = bj;
    s.b = sh;
    link = topology.add_link(s);
    network = std::make_unique<Network>(engine, topology, seed);
    there = topology.make_path(bj, {link});
    back = topology.make_path(sh, {link});
  }
  sim::Engine engine;
  Topology topology;
  DcId bj = topology.add_datacenter("bj", "Beijing");
  DcId sh = topology.add_datacenter("sh", "Shanghai");
  LinkId link;
  std::unique_ptr<Network> network;
  Path there;
  Path back;
};

// Sends one message of `bytes` every `interval` from the current time, `count` times, recording
// each send time and its delay (arrival - send) in seconds.
struct PeriodicSender {
  sim::Engine* engine;
  Network* network;
  const Path* path;
  std::uint64_t bytes;
  Duration interval;
  int left;
  std::vector<double> sent_s;
  std::vector<double> delay_s;

  void start() {
    engine->schedule_in(Duration::zero(), [this] { fire(); });
  }
  void fire() {
    const Time now = engine->now();
    const Time arrival = network->transmit(*path, bytes);
    sent_s.push_back(now.seconds());
    delay_s.push_back((arrival - now).seconds());
    if (--left > 0) engine->schedule_in(interval, [this] { fire(); });
  }
};

TEST(Network, WithConstantLatencyAMessageArrivesOneLatencyPerHopLater) {
  sim::Engine engine;
  Topology t;
  const DcId a = t.add_datacenter("a", "A");
  const DcId b = t.add_datacenter("b", "B");
  const DcId c = t.add_datacenter("c", "C");
  const LinkId ab = t.add_link(spec("a-b", a, b, constant(10_ms)));
  const LinkId bc = t.add_link(spec("b-c", b, c, constant(7_ms)));
  Network network(engine, t, 1);
  engine.run_until(Time(5'000'000));
  const Time now = engine.now();
  EXPECT_EQ(network.transmit(t.make_path(a, {ab}), 1000), now + 10_ms);
  EXPECT_EQ(network.transmit(t.make_path(c, {bc}), 1000), now + 7_ms);
  EXPECT_EQ(network.transmit(t.make_path(a, {ab, bc}), 1000), now + 17_ms);
  EXPECT_EQ(network.transmit(t.make_path(c, {bc, ab}), 1000), now + 17_ms);
  EXPECT_EQ(network.transmit(t.make_path(b, {}), 1000), now);  // same DC: no network
  EXPECT_EQ(network.stats(ab, a).messages, 2u);
  EXPECT_EQ(network.stats(ab, b).messages, 1u);
  EXPECT_EQ(network.stats(ab, a).busy, Duration::zero());  // unlimited bandwidth
}

TEST(Network, AMessageTakesLatencyPlusBytesOverBandwidthAndBackToBackMessagesQueueFifo) {
  // 5000 B at 1 MB/s: 5 ms on the wire.
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms), 1e6));
  Network& n = *h.network;
  EXPECT_EQ(n.transmit(h.there, 5000), Time(0) + 15_ms);
  // The next two wait for the serialiser in send order.
  EXPECT_EQ(n.transmit(h.there, 5000), Time(0) + 20_ms);
  EXPECT_EQ(n.transmit(h.there, 1000), Time(0) + 21_ms);
  // The other direction has its own serialiser.
  EXPECT_EQ(n.transmit(h.back, 5000), Time(0) + 15_ms);
  const LinkDirectionStats& s = n.stats(h.link, h.bj);
  EXPECT_EQ(s.messages, 3u);
  EXPECT_EQ(s.bytes, 11000u);
  EXPECT_EQ(s.retransmissions, 0u);
  EXPECT_EQ(s.busy, 11_ms);
  // Once the serialiser is idle again, a message does not wait.
  h.engine.run_until(Time(0) + 1_s);
  EXPECT_EQ(n.transmit(h.there, 5000), Time(0) + 1_s + 15_ms);
}

TEST(Network, SerialisationTimeIsRoundedToTheNearestNanosecond) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(Duration::zero()), 3));
  EXPECT_EQ(h.network->transmit(h.there, 1), Time(333'333'333));  // 1/3 s
  EXPECT_EQ(h.network->transmit(h.there, 2), Time(333'333'333 + 666'666'667));
}

TEST(Network, ASaturatedLinkBuildsDelayLinearlyWithSlopeServiceTimeOverIntervalMinusOne) {
  // Offered load above capacity: S = B/R = 1 ms of serialisation per message, one message every
  // I = 0.8 ms for 10 s. The serialiser never idles, so message k (sent at kI) leaves at (k+1)S and
  // its delay is k(S - I) + S + latency: linear in the send time t = kI with slope S/I - 1 = 0.25.
  // A uniform latency adds noise the fit must see through.
  TwoDcs h(spec("bj-sh", {}, {}, Distribution::uniform(10e6, 20e6), 1.25e6));
  constexpr Duration kInterval = 800_us;
  PeriodicSender s{&h.engine, h.network.get(), &h.there, 1250, kInterval, 12'500, {}, {}};
  s.start();
  h.engine.run();
  const double expected = (1e-3 / 0.8e-3) - 1;
  EXPECT_NEAR(ols_slope(s.sent_s, s.delay_s), expected, 0.01 * expected);
  EXPECT_GT(s.delay_s.back(), 2.4);  // about 12'500 * 0.2 ms of queueing by the end

  // Below capacity (one message every 1.25 ms) the delay does not grow.
  TwoDcs calm(spec("bj-sh", {}, {}, Distribution::uniform(10e6, 20e6), 1.25e6));
  PeriodicSender c{&calm.engine, calm.network.get(), &calm.there, 1250, 1250_us, 8'000, {}, {}};
  c.start();
  calm.engine.run();
  EXPECT_NEAR(ols_slope(c.sent_s, c.delay_s), 0.0, 1e-3);
  EXPECT_LT(*std::max_element(c.delay_s.begin(), c.delay_s.end()), 21e-3 + 1e-12);
}

TEST(Network, LossAddsRetransmitTimeoutTimesPOverOneMinusPOnAverage) {
  // Each copy is lost independently with probability p, so the number N of lost copies before the
  // first that gets through is geometric: P(N = k) = p^k (1 - p), k = 0, 1, ...
  //   E[N]   = sum_k k p^k (1 - p) = p / (1 - p),
  //   E[N^2] = p (1 + p) / (1 - p)^2, so Var[N] = E[N^2] - E[N]^2 = p / (1 - p)^2.
  // With constant latency and no bandwidth limit the extra delay is exactly rto * N, so the mean
  // over n messages has expectation rto p / (1 - p) and standard error rto sqrt(p) / (1 - p) /
  // sqrt(n). (The 64-loss bound changes the law by p^64 ~ 1e-45: invisible.)
  // Checked at a lossy-line rate, a bad rate and a terrible one.
  constexpr int kMessages = 100'000;
  for (const double p : {0.01, 0.2, 0.5}) {
    SCOPED_TRACE(p);
    TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms), 0, p), 2024);
    h.network->set_retransmit_timeout(200_ms);
    double sum_extra_ns = 0;
    for (int i = 0; i < kMessages; ++i) {
      const Duration extra = h.network->transmit(h.there, 100) - Time(0) - 10_ms;
      ASSERT_EQ(extra % 200_ms, Duration::zero()) << "extra delay is a whole number of timeouts";
      sum_extra_ns += static_cast<double>(extra.ns());
    }
    const double rto_ns = 200e6;
    const double mean = sum_extra_ns / kMessages;
    const double expected = rto_ns * p / (1 - p);
    const double se = rto_ns * std::sqrt(p) / (1 - p) / std::sqrt(static_cast<double>(kMessages));
    EXPECT_NEAR(mean, expected, 5 * se);
    if (p >= 0.2) {
      EXPECT_LT(5 * se, 0.05 * expected) << "tolerance too loose to mean much";
    }
    const LinkDirectionStats& s = h.network->stats(h.link, h.bj);
    EXPECT_EQ(s.messages, static_cast<std::uint64_t>(kMessages));
    EXPECT_DOUBLE_EQ(static_cast<double>(s.retransmissions) * rto_ns, sum_extra_ns);
  }
}

TEST(Network, ALinkThatLosesEverythingStillDeliversAfterTheRetransmissionBound) {
  // loss 0.5 plus extra_loss 0.9: every draw says "lost"; the bound ends the loop.
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms), 0, 0.5));
  h.network->set_retransmit_timeout(100_ms);
  h.network->set_state(h.link, LinkState{LinkCondition::kDegraded, 1.0, 0.9});
  EXPECT_EQ(h.network->transmit(h.there, 1), Time(0) + 10_ms + 100_ms * 64);
  EXPECT_EQ(h.network->stats(h.link, h.bj).retransmissions,
            static_cast<std::uint64_t>(Network::kMaxConsecutiveLosses));
}

TEST(Network, ALostCopyIsResentAfterTheTimeoutAndChargesTheSerialiserAgain) {
  // Loss is drawn per copy, so force it: loss 0.5 + extra 0.9 with the bound of 64 losses.
  // Each copy takes 1 ms on the wire; the next copy leaves rto = 5 ms after the lost one finished.
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms), 1e6, 0.5));
  h.network->set_retransmit_timeout(5_ms);
  h.network->set_state(h.link, LinkState{LinkCondition::kDegraded, 1.0, 0.9});
  const int n = Network::kMaxConsecutiveLosses;
  EXPECT_EQ(h.network->transmit(h.there, 1000), Time(0) + (1_ms + 5_ms) * n + 1_ms + 10_ms);
  EXPECT_EQ(h.network->stats(h.link, h.bj).busy, 1_ms * (n + 1));
  // A message sent meanwhile waits for the 65 ms of serialisation charged so far, not for the
  // resent copies' send times (the link does not idle between them).
  h.network->set_state(h.link, LinkState{});
  h.network->set_retransmit_timeout(Duration::zero());
  const Time next = h.network->transmit(h.there, 1000);
  EXPECT_GE(next, Time(0) + 1_ms * (n + 1) + 1_ms + 10_ms);  // plus any resends of its own
  EXPECT_LT(next, Time(0) + (1_ms + 5_ms) * n);
}

TEST(Network, DegradationMultipliesLatencyWhileDegradedOnly) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms)));
  Network& n = *h.network;
  n.set_state(h.link, LinkState{LinkCondition::kDegraded, 3.0, 0.0});
  EXPECT_EQ(n.state(h.link).latency_factor, 3.0);
  EXPECT_TRUE(n.is_up(h.there));
  EXPECT_EQ(n.transmit(h.there, 1), Time(0) + 30_ms);
  EXPECT_EQ(n.transmit(h.back, 1), Time(0) + 30_ms);
  n.set_state(h.link, LinkState{LinkCondition::kUp, 3.0, 0.5});  // factors apply when degraded
  EXPECT_EQ(n.transmit(h.there, 1), Time(0) + 10_ms);
  n.set_state(h.link, LinkState{});
  EXPECT_EQ(n.transmit(h.there, 1), Time(0) + 10_ms);
}

TEST(Network, SetStateRejectsBadDegradationAndUnknownLinks) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms)));
  Network& n = *h.network;
  EXPECT_THROW(n.set_state(h.link, LinkState{LinkCondition::kDegraded, 0.5, 0}), InvalidArgument);
  EXPECT_THROW(n.set_state(h.link, LinkState{LinkCondition::kDegraded, 2, 1.0}), InvalidArgument);
  EXPECT_THROW(n.set_state(h.link, LinkState{LinkCondition::kDegraded, 2, -0.1}), InvalidArgument);
  EXPECT_THROW(n.set_state(LinkId{5}, LinkState{}), InvalidArgument);
  EXPECT_THROW((void)n.stats(h.link, DcId{7}), InvalidArgument);
  EXPECT_THROW(n.set_retransmit_timeout(Duration(-1)), InvalidArgument);
  EXPECT_EQ(n.retransmit_timeout(), Network::kDefaultRetransmitTimeout);
}

TEST(Network, TransmittingOverADownLinkThrows) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms)));
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  EXPECT_FALSE(h.network->is_up(h.there));
  EXPECT_TRUE(h.network->is_up(h.topology.make_path(h.bj, {})));
  EXPECT_THROW((void)h.network->transmit(h.there, 1), InvalidArgument);
}

TEST(Network, ALinkGoingDownEmptiesItsSerialiser) {
  // 10 messages of 10 ms each queue 100 ms of work; the cut discards it.
  TwoDcs h(spec("bj-sh", {}, {}, constant(1_ms), 1e5));
  for (int i = 0; i < 10; ++i) (void)h.network->transmit(h.there, 1000);
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  h.network->set_state(h.link, LinkState{});
  EXPECT_EQ(h.network->transmit(h.there, 1000), Time(0) + 11_ms);
}

struct RecordingObserver : LinkObserver {
  RecordingObserver(std::vector<std::string>* l, std::string n) : log(l), name(std::move(n)) {}
  std::vector<std::string>* log;
  std::string name;
  Network* network = nullptr;
  LinkObserver* victim = nullptr;  // unsubscribed from inside the callback
  void on_link_state(LinkId link, const LinkState& state) override {
    log->push_back(name + ":" + std::to_string(link.value) + ":" +
                   std::to_string(static_cast<int>(state.condition)));
    if (victim != nullptr) network->unsubscribe(victim);
  }
};

TEST(Network, ObserversAreToldInSubscriptionOrderAndMayUnsubscribeOthersMidway) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms)));
  std::vector<std::string> log;
  RecordingObserver first(&log, "first");
  RecordingObserver second(&log, "second");
  RecordingObserver third(&log, "third");
  h.network->subscribe(&first);
  h.network->subscribe(&second);
  h.network->subscribe(&third);
  h.network->subscribe(&second);  // no-op
  first.network = h.network.get();
  first.victim = &second;
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  EXPECT_EQ(log, (std::vector<std::string>{"first:0:1", "third:0:1"}));
  log.clear();
  first.victim = nullptr;
  h.network->unsubscribe(&first);
  h.network->set_state(h.link, LinkState{});
  EXPECT_EQ(log, (std::vector<std::string>{"third:0:0"}));
  h.network->unsubscribe(&third);
}

TEST(Network, TheSameSeedGivesTheSameArrivalsAndAnotherSeedDoesNot) {
  const auto arrivals = [](std::uint64_t seed) {
    TwoDcs h(spec("bj-sh", {}, {}, Distribution::lognormal_median_p99(14e6, 25e6), 1e7, 0.01),
             seed);
    std::vector<std::int64_t> out;
    out.reserve(1000);
    for (int i = 0; i < 1000; ++i) out.push_back(h.network->transmit(h.there, 3000).ns());
    return out;
  };
  EXPECT_EQ(arrivals(5), arrivals(5));
  EXPECT_NE(arrivals(5), arrivals(6));
}

TEST(Network, AddingALinkLeavesTheDrawsOfAnExistingLinkDirectionUnchanged) {
  const LinkSpec bj_sh =
      spec("bj-sh", DcId{0}, DcId{1}, Distribution::lognormal_median_p99(14e6, 25e6), 0, 0.05);
  sim::Engine e1;
  Topology t1;
  t1.add_datacenter("bj", "Beijing");
  t1.add_datacenter("sh", "Shanghai");
  const LinkId l1 = t1.add_link(bj_sh);
  Network n1(e1, t1, 77);

  // The same link, but now after a new DC and link that take the lower ids.
  sim::Engine e2;
  Topology t2;
  const DcId sz = t2.add_datacenter("sz", "Shenzhen");
  const DcId bj = t2.add_datacenter("bj", "Beijing");
  const DcId sh = t2.add_datacenter("sh", "Shanghai");
  const LinkId other = t2.add_link(spec("bj-sz", bj, sz, Distribution::exponential(20e6)));
  LinkSpec moved = bj_sh;
  moved.a = bj;
  moved.b = sh;
  const LinkId l2 = t2.add_link(moved);
  Network n2(e2, t2, 77);
  ASSERT_NE(l1, l2);

  const Path p1 = t1.make_path(DcId{0}, {l1});
  const Path p2 = t2.make_path(bj, {l2});
  const Path busy = t2.make_path(sz, {other});
  for (int i = 0; i < 1000; ++i) {
    (void)n2.transmit(busy, 10);  // traffic on the new link draws from its own stream
    ASSERT_EQ(n1.transmit(p1, 10), n2.transmit(p2, 10)) << "message " << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Connection

struct Recorder : Connection::Receiver {
  explicit Recorder(sim::Engine& e) : engine(e) {}
  void on_deliver(std::uint64_t message, Time arrival) override {
    delivered.push_back(message);
    delivered_at.push_back(engine.now());
    arrived_at.push_back(arrival);
  }
  void on_connected() override { connected_at.push_back(engine.now()); }
  void on_broken() override { broken_at.push_back(engine.now()); }

  sim::Engine& engine;
  std::vector<std::uint64_t> delivered;
  std::vector<Time> delivered_at;
  std::vector<Time> arrived_at;
  std::vector<Time> connected_at;
  std::vector<Time> broken_at;
};

// Uniform latency 10-50 ms (median 30 ms, so the handshake takes 60 ms).
LinkSpec jittery() { return spec("bj-sh", {}, {}, Distribution::uniform(10e6, 50e6)); }

// Calls connection.send(next++) every `interval` while the connection is open, `left` times.
struct StreamSender {
  sim::Engine* engine;
  Connection* connection;
  Duration interval;
  int left;
  std::uint64_t next = 0;
  std::vector<Time> sent_at;
  void start() {
    engine->schedule_in(Duration::zero(), [this] { fire(); });
  }
  void fire() {
    if (!connection->is_open()) return;
    sent_at.push_back(engine->now());
    connection->send(next++, 100);
    if (--left > 0) engine->schedule_in(interval, [this] { fire(); });
  }
};

// An open connection over jittery() latencies and its recorder.
struct OpenConnection {
  explicit OpenConnection(std::uint64_t seed = 1)
      : h(jittery(), seed), r(h.engine), c(*h.network, h.there, r) {
    c.connect();
    h.engine.run();
  }
  // Takes the connection's link down `after` from now.
  void cut_in(Duration after) {
    Network* n = h.network.get();
    const LinkId link = h.link;
    h.engine.schedule_in(after, [n, link] { n->set_state(link, LinkState{LinkCondition::kDown}); });
  }
  // Starts a stream of `count` messages, one every millisecond from now.
  StreamSender& stream(int count) {
    sender = StreamSender{&h.engine, &c, 1_ms, count, 0, {}};
    sender.start();
    return sender;
  }
  TwoDcs h;
  Recorder r;
  Connection c;
  StreamSender sender{};
};

TEST(Connection, ConnectTakesOneRoundTripOfMedianLatencies) {
  TwoDcs h(jittery());
  Recorder r(h.engine);
  Connection c(*h.network, h.there, r);
  EXPECT_FALSE(c.is_open());
  EXPECT_THROW(c.send(1, 10), InvalidArgument);
  c.connect();
  c.connect();  // no-op while opening
  h.engine.run();
  EXPECT_EQ(r.connected_at, (std::vector<Time>{Time(0) + 60_ms}));
  EXPECT_TRUE(c.is_open());
  EXPECT_TRUE(r.broken_at.empty());
  c.connect();  // no-op while open
  h.engine.run();
  EXPECT_EQ(r.connected_at.size(), 1u);
}

TEST(Connection, DeliversInSendOrderEvenWhenLatencyDrawsWouldReorder) {
  TwoDcs h(jittery(), 11);
  Recorder r(h.engine);
  Connection c(*h.network, h.there, r);
  c.connect();
  h.engine.run();
  ASSERT_TRUE(c.is_open());
  StreamSender s{&h.engine, &c, 1_ms, 500, 0, {}};
  s.start();
  h.engine.run();

  // A twin network with the same seed draws the same raw latencies (connect() draws nothing).
  TwoDcs twin(jittery(), 11);
  std::vector<Duration> raw;
  raw.reserve(500);
  for (int i = 0; i < 500; ++i) raw.push_back(twin.network->transmit(twin.there, 100) - Time(0));

  ASSERT_EQ(r.delivered.size(), 500u);
  bool would_reorder = false;
  Time expected;
  for (std::size_t i = 0; i < 500; ++i) {
    EXPECT_EQ(r.delivered[i], i);
    const Time own = s.sent_at[i] + raw[i];
    if (i > 0 && own < s.sent_at[i - 1] + raw[i - 1]) would_reorder = true;
    expected = std::max(expected, own);  // head of line: waits for every earlier message
    EXPECT_EQ(r.delivered_at[i], expected) << "message " << i;
    EXPECT_EQ(r.arrived_at[i], expected) << "message " << i;
  }
  EXPECT_TRUE(would_reorder) << "the test needs latency draws that would reorder";
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(Connection, BreaksWhenALinkOfItsPathGoesDownAndDropsWhatIsInFlight) {
  OpenConnection o;
  const Time t0 = o.h.engine.now();
  const StreamSender& s = o.stream(100);
  o.cut_in(50_ms);
  o.h.engine.run_until(t0 + 50_ms);
  EXPECT_EQ(o.r.broken_at, (std::vector<Time>{t0 + 50_ms}));
  EXPECT_FALSE(o.c.is_open());
  EXPECT_EQ(o.c.in_flight(), 0u);
  const std::size_t before = o.r.delivered.size();
  EXPECT_GT(before, 0u);
  EXPECT_LT(before, s.sent_at.size()) << "some messages must have been in flight";
  o.h.engine.run();
  EXPECT_EQ(o.r.delivered.size(), before) << "no old message arrives after the break";
  for (std::size_t i = 0; i < o.r.delivered.size(); ++i) {
    EXPECT_EQ(o.r.delivered[i], i);
    EXPECT_LE(o.r.delivered_at[i], t0 + 50_ms);
  }
  EXPECT_EQ(o.r.broken_at.size(), 1u);
}

TEST(Connection, ReconnectsAfterTheLinkIsUpAgain) {
  TwoDcs h(jittery());
  Recorder r(h.engine);
  Connection c(*h.network, h.there, r);
  c.connect();
  h.engine.run();
  for (std::uint64_t m = 0; m < 5; ++m) c.send(m, 100);
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  ASSERT_EQ(r.broken_at.size(), 1u);
  h.engine.run_until(h.engine.now() + 1_s);
  h.network->set_state(h.link, LinkState{});
  const Time up = h.engine.now();
  c.connect();
  h.engine.run();
  EXPECT_EQ(r.connected_at.back(), up + 60_ms);
  ASSERT_TRUE(c.is_open());
  EXPECT_TRUE(r.delivered.empty());
  c.send(100, 100);
  const Time sent = h.engine.now();
  h.engine.run();
  ASSERT_EQ(r.delivered, (std::vector<std::uint64_t>{100}));
  // Not held back behind the messages lost in the break.
  EXPECT_GE(r.delivered_at[0], sent + 10_ms);
  EXPECT_LE(r.delivered_at[0], sent + 50_ms);
}

TEST(Connection, ConnectWhileThePathIsDownReportsBrokenAfterTheHandshake) {
  TwoDcs h(jittery());
  Recorder r(h.engine);
  Connection c(*h.network, h.there, r);
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  c.connect();
  h.engine.run();
  EXPECT_EQ(r.broken_at, (std::vector<Time>{Time(0) + 60_ms}));
  EXPECT_TRUE(r.connected_at.empty());
  EXPECT_FALSE(c.is_open());
}

TEST(Connection, ALinkGoingDownDuringTheHandshakeFailsItAtOnce) {
  TwoDcs h(jittery());
  Recorder r(h.engine);
  Connection c(*h.network, h.there, r);
  c.connect();
  h.engine.run_until(Time(0) + 20_ms);
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  h.engine.run_until(Time(0) + 30_ms);
  h.network->set_state(h.link, LinkState{});
  h.engine.run();
  EXPECT_EQ(r.broken_at, (std::vector<Time>{Time(0) + 20_ms}));
  EXPECT_TRUE(r.connected_at.empty());
  EXPECT_FALSE(c.is_open());
}

TEST(Connection, DegradationAndOtherLinksDoNotBreakIt) {
  sim::Engine engine;
  Topology t;
  const DcId a = t.add_datacenter("a", "A");
  const DcId b = t.add_datacenter("b", "B");
  const DcId x = t.add_datacenter("x", "X");
  const LinkId ab = t.add_link(spec("a-b", a, b, constant(10_ms)));
  const LinkId ax = t.add_link(spec("a-x", a, x, constant(10_ms)));
  Network network(engine, t, 3);
  Recorder r(engine);
  Connection c(network, t.make_path(a, {ab}), r);
  c.connect();
  engine.run();
  ASSERT_TRUE(c.is_open());
  network.set_state(ax, LinkState{LinkCondition::kDown});
  network.set_state(ab, LinkState{LinkCondition::kDegraded, 2.0, 0});
  EXPECT_TRUE(c.is_open());
  const Time sent = engine.now();
  c.send(1, 10);
  engine.run();
  EXPECT_EQ(r.delivered_at, (std::vector<Time>{sent + 20_ms}));
  EXPECT_TRUE(r.broken_at.empty());
}

TEST(Connection, CloseDropsUndeliveredMessagesWithoutTellingTheReceiver) {
  TwoDcs h(jittery());
  Recorder r(h.engine);
  Connection c(*h.network, h.there, r);
  c.connect();
  h.engine.run();
  c.send(1, 10);
  c.send(2, 10);
  EXPECT_EQ(c.in_flight(), 2u);
  c.close();
  EXPECT_EQ(c.in_flight(), 0u);
  h.engine.run();
  EXPECT_TRUE(r.delivered.empty());
  EXPECT_TRUE(r.broken_at.empty());
  // close() also abandons a handshake.
  c.connect();
  c.close();
  h.engine.run();
  EXPECT_EQ(r.connected_at.size(), 1u);
}

// A held connection schedules no deliveries; take_arrived() hands out, in order, exactly what
// arrived by the time asked, with the arrival times delivery by event has (the twin stream,
// never held). Released, it delivers the rest by event again.
TEST(Connection, WhileHeldTheReceiverTakesWhatArrivedWithItsArrivalTime) {
  OpenConnection eager_o(5);
  OpenConnection held_o(5);
  TwoDcs& eager_h = eager_o.h;
  TwoDcs& held_h = held_o.h;
  const Recorder& eager = eager_o.r;
  const Recorder& held = held_o.r;
  Connection& e = eager_o.c;
  Connection& c = held_o.c;
  StreamSender es{&eager_h.engine, &e, 1_ms, 200, 0, {}};
  StreamSender hs{&held_h.engine, &c, 1_ms, 200, 0, {}};
  es.start();
  hs.start();
  c.hold();
  EXPECT_TRUE(c.held());
  eager_h.engine.run();
  const Time t0 = held_h.engine.now();
  std::vector<std::uint64_t> taken;
  std::vector<Time> taken_at;
  std::uint64_t m = 0;
  Time at;
  EXPECT_FALSE(c.take_arrived(t0, m, at)) << "nothing sent yet";
  // Take in steps of 7 ms while the stream runs, then once everything has been sent.
  for (Time t = t0 + 7_ms; t < t0 + 150_ms; t += 7_ms) {
    held_h.engine.run_until(t);
    while (c.take_arrived(t, m, at)) {
      EXPECT_LE(at, t);
      taken.push_back(m);
      taken_at.push_back(at);
    }
  }
  EXPECT_TRUE(held.delivered.empty()) << "no delivery by event while held";
  ASSERT_GT(taken.size(), 50u);
  ASSERT_LT(taken.size(), 200u) << "some must still be on the way when released";
  c.release();
  EXPECT_FALSE(c.take_arrived(Time::max(), m, at)) << "only while held";
  held_h.engine.run();
  ASSERT_EQ(taken.size() + held.delivered.size(), 200u);
  ASSERT_EQ(eager.delivered.size(), 200u);
  for (std::size_t i = 0; i < 200; ++i) {
    const bool was_taken = i < taken.size();
    EXPECT_EQ(was_taken ? taken[i] : held.delivered[i - taken.size()], i);
    EXPECT_EQ(was_taken ? taken_at[i] : held.arrived_at[i - taken.size()], eager.delivered_at[i])
        << "message " << i;
  }
  for (std::size_t i = 0; i < held.delivered.size(); ++i)
    EXPECT_EQ(held.delivered_at[i], held.arrived_at[i]);
}

// A link break while held hands the receiver what arrived before the break (with its arrival
// times), then drops the rest and reports the break, as delivery by event would have had it.
TEST(Connection, ABreakWhileHeldHandsOverWhatArrivedBeforeItAndDropsTheRest) {
  OpenConnection o(3);
  const Time t0 = o.h.engine.now();
  const StreamSender& s = o.stream(100);
  o.c.hold();
  o.cut_in(60_ms);
  o.h.engine.run();
  EXPECT_EQ(o.r.broken_at, (std::vector<Time>{t0 + 60_ms}));
  EXPECT_EQ(o.c.in_flight(), 0u);
  ASSERT_GT(o.r.delivered.size(), 0u);
  ASSERT_LT(o.r.delivered.size(), 60u);
  for (std::size_t i = 0; i < o.r.delivered.size(); ++i) {
    EXPECT_EQ(o.r.delivered[i], i);
    EXPECT_EQ(o.r.delivered_at[i], t0 + 60_ms) << "handed over at the break";
    EXPECT_LT(o.r.arrived_at[i], t0 + 60_ms);
  }
  // The first message dropped had not arrived: its arrival, by the same draws, is at or after
  // the break (the twin network draws the same raw latencies; connect() draws nothing).
  TwoDcs twin(jittery(), 3);
  Time arrival;
  for (std::size_t i = 0; i <= o.r.delivered.size(); ++i)
    arrival = std::max(arrival, s.sent_at[i] + (twin.network->transmit(twin.there, 100) - Time(0)));
  EXPECT_GE(arrival, t0 + 60_ms);
}

// Re-entrant receivers: send and close from on_deliver, reconnect from on_broken.
struct Chatty : Connection::Receiver {
  sim::Engine* engine = nullptr;
  Connection* connection = nullptr;
  std::uint64_t close_on = 0;
  bool reconnect = false;
  std::vector<std::uint64_t> delivered;
  std::vector<Time> connected_at;
  std::vector<Time> broken_at;
  void on_deliver(std::uint64_t m, Time /*arrival*/) override {
    delivered.push_back(m);
    if (m == close_on) {
      connection->close();
    } else if (m < 1000) {
      connection->send(m + 1, 10);  // the next message of a chain, sent from inside the delivery
    }
  }
  void on_connected() override { connected_at.push_back(engine->now()); }
  void on_broken() override {
    broken_at.push_back(engine->now());
    if (reconnect) connection->connect();
  }
};

TEST(Connection, AReceiverMaySendAndCloseFromInsideADelivery) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms)));
  Chatty r;
  Connection c(*h.network, h.there, r);
  r.engine = &h.engine;
  r.connection = &c;
  r.close_on = 5;
  c.connect();
  h.engine.run();
  c.send(0, 10);
  c.send(1000, 10);  // arrives together with 0, queued behind it
  h.engine.run();
  // 0 and 1000 arrive at +10 ms (0 sends 1), then one link each 10 ms until 5 closes the stream.
  EXPECT_EQ(r.delivered, (std::vector<std::uint64_t>{0, 1000, 1, 2, 3, 4, 5}));
  EXPECT_FALSE(c.is_open());
  EXPECT_EQ(c.in_flight(), 0u);
  EXPECT_TRUE(r.broken_at.empty());
}

TEST(Connection, AReceiverMayReconnectFromOnBrokenUntilThePathIsBack) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(30_ms)));  // handshake: 60 ms
  Chatty r;
  Connection c(*h.network, h.there, r);
  r.engine = &h.engine;
  r.connection = &c;
  r.close_on = 1'000'000;
  r.reconnect = true;
  c.connect();
  h.engine.run();
  const Time down = h.engine.now();
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  h.engine.run_until(down + 200_ms);
  h.network->set_state(h.link, LinkState{});
  h.engine.run();
  // Broken at the cut, then three failed handshakes (60, 120, 180 ms); the one started at 180 ms
  // ends at 240 ms with the link back up.
  EXPECT_EQ(r.broken_at, (std::vector<Time>{down, down + 60_ms, down + 120_ms, down + 180_ms}));
  EXPECT_EQ(r.connected_at, (std::vector<Time>{Time(0) + 60_ms, down + 240_ms}));
  EXPECT_TRUE(c.is_open());
}

// Destroys its connection when told it broke.
struct SelfDestructing : Connection::Receiver {
  std::unique_ptr<Connection>* owner = nullptr;
  int broken = 0;
  void on_deliver(std::uint64_t /*message*/, Time /*arrival*/) override {}
  void on_connected() override {}
  void on_broken() override {
    ++broken;
    owner->reset();
  }
};

TEST(Connection, AReceiverMayDestroyItsConnectionFromOnBrokenAndOthersAreStillTold) {
  TwoDcs h(spec("bj-sh", {}, {}, constant(10_ms)));
  SelfDestructing first;
  SelfDestructing second;
  std::unique_ptr<Connection> c1 = std::make_unique<Connection>(*h.network, h.there, first);
  std::unique_ptr<Connection> c2 = std::make_unique<Connection>(*h.network, h.back, second);
  first.owner = &c1;
  second.owner = &c2;
  c1->connect();
  c2->connect();
  h.engine.run();
  c1->send(1, 10);
  c2->send(2, 10);
  h.network->set_state(h.link, LinkState{LinkCondition::kDown});
  EXPECT_EQ(c1, nullptr);
  EXPECT_EQ(c2, nullptr);
  EXPECT_EQ(first.broken, 1);
  EXPECT_EQ(second.broken, 1);
  h.engine.run();  // the cancelled deliveries never run
  h.network->set_state(h.link, LinkState{});
}

}  // namespace
}  // namespace geodes::models
