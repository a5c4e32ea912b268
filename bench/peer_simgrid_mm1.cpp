// The M/M/1 replication channel in SimGrid (s4u actors), the peer of bench/mm1_channel.yaml in
// geodes and of the SimPy model in bench/peers.py (issue 13, `make bench-peers`).
//
// Model: writes committed at host "source" as a Poisson process (800/s) are sent, 1 byte each, over
// one link (30 ms latency, 1 GBps) to host "replica", where one applier applies them in arrival
// order, each taking Exp(1 ms). Lag = applied - committed; theory: 30 ms + M/M/1 sojourn
// W ~ Exp(1000 - 800 /s), mean 35 ms, p99 30 ms + ln(100) / 200 = 53.0 ms.
//
// SimGrid's default network model (LV08) multiplies latency by about 13 (TCP slow start) and
// scales bandwidth; CM02 with latency and bandwidth factors 1 gives latency + size / bandwidth.
// The replica's mailbox has a permanent receiver, so transfers start when sent (the applier does
// not have to be waiting), as over a replication connection.
//
// Prints one JSON line: writes, wall_s (the simulation, platform included), lag mean and p99 (ms).
// Usage: peer_simgrid_mm1 [writes] [seed]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <simgrid/s4u.hpp>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

constexpr double kRate = 800;          // writes per second
constexpr double kServiceRate = 1000;  // applies per second
constexpr double kLatency = 0.030;     // one way, s

struct Run {
  std::uint64_t writes = 0;
  std::mt19937_64 rng;
  std::vector<double> lags;
};

void source(Run* run, sg4::Mailbox* link) {
  std::exponential_distribution<double> gap(kRate);
  for (std::uint64_t i = 0; i < run->writes; ++i) {
    sg4::this_actor::sleep_for(gap(run->rng));
    link->put_init(new double(sg4::Engine::get_clock()), 1)->detach();
  }
}

void applier(Run* run, sg4::Mailbox* link) {
  std::exponential_distribution<double> service(kServiceRate);
  for (std::uint64_t i = 0; i < run->writes; ++i) {
    const double* committed = link->get<double>();
    sg4::this_actor::sleep_for(service(run->rng));
    run->lags.push_back(sg4::Engine::get_clock() - *committed);
    delete committed;
  }
  link->set_receiver(nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.writes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  run.rng.seed(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1);
  run.lags.reserve(run.writes);

  const auto start = std::chrono::steady_clock::now();
  int sg_argc = 1;
  sg4::Engine engine(&sg_argc, argv);
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/latency-factor:1");
  sg4::Engine::set_config("network/bandwidth-factor:1");
  sg4::Engine::set_config("network/crosstraffic:0");

  sg4::NetZone* zone = sg4::create_full_zone("world");
  sg4::Host* a = zone->create_host("source", 1e9);
  sg4::Host* b = zone->create_host("replica", 1e9);
  sg4::Link* link = zone->create_link("line", 1e9)->set_latency(kLatency)->seal();
  zone->add_route(a->get_netpoint(), b->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(link)},
                  true);
  zone->seal();

  sg4::Mailbox* mailbox = sg4::Mailbox::by_name("relay");
  sg4::ActorPtr replica = sg4::Actor::create("applier", b, applier, &run, mailbox);
  mailbox->set_receiver(replica);
  sg4::Actor::create("source", a, source, &run, mailbox);
  engine.run();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  double sum = 0;
  for (const double l : run.lags) sum += l;
  std::vector<double> sorted = run.lags;
  const std::size_t k = sorted.empty() ? 0 : (sorted.size() * 99) / 100;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
  std::printf("{\"writes\": %zu, \"wall_s\": %.6f, \"mean_ms\": %.4f, \"p99_ms\": %.4f}\n",
              run.lags.size(), wall, 1e3 * sum / static_cast<double>(run.lags.size()),
              sorted.empty() ? 0.0 : 1e3 * sorted[k]);
  return 0;
}
