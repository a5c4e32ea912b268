#include "geodes/models/net/network.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "geodes/sim/error.hpp"
#include "geodes/sim/rounding.hpp"

namespace geodes::models {

namespace {

std::string link_label(const Topology& t, LinkId l) {
  return "link '" + t.link(l).name + "' (#" + std::to_string(l.value) + ")";
}

}  // namespace

struct Network::Impl {
  // One direction of a link: its serialiser, its random stream and its counters.
  struct Direction {
    Direction(std::uint64_t seed, const std::string& name) : rng(seed, name) {}
    sim::Rng rng;
    sim::Time free_at;  // when the serialiser finishes the last reserved transmission
    LinkDirectionStats stats;
  };

  Impl(sim::Engine& e, const Topology& t) : engine(e), topology(t) {}

  // Index of the direction of `link` leaving `from`: 2 * link for a -> b, 2 * link + 1 for b -> a.
  // Every message goes through here, so the checks are inline and the messages out of line.
  [[nodiscard]] std::size_t direction_index(LinkId link, DcId from, const char* where) const {
    check_link(link, where);
    const LinkSpec& spec = specs[link.value];
    if (from == spec.a) [[likely]]
      return 2 * std::size_t{link.value};
    if (from == spec.b) [[likely]]
      return 2 * std::size_t{link.value} + 1;
    not_an_end(link, from, where);
  }

  void check_link(LinkId link, const char* where) const {
    if (link.value >= states.size()) [[unlikely]]
      unknown_link(link, where);
  }

  [[noreturn]] __attribute__((noinline, cold)) void not_an_end(LinkId link, DcId from,
                                                               const char* where) const {
    throw InvalidArgument(std::string(where) + ": datacenter #" + std::to_string(from.value) +
                          " is not an end of " + link_label(topology, link));
  }

  [[noreturn]] __attribute__((noinline, cold)) void unknown_link(LinkId link,
                                                                 const char* where) const {
    throw InvalidArgument(std::string(where) + ": unknown link id " + std::to_string(link.value) +
                          " (the network was built with " + std::to_string(states.size()) +
                          " links)");
  }

  // One hop: returns when a message of `bytes` leaving `from` over `link` at `t` reaches the far
  // end, after any retransmissions.
  sim::Time hop(LinkId link, DcId from, sim::Time t, std::uint64_t bytes) {
    const LinkSpec& spec = specs[link.value];
    const LinkState& st = states[link.value];
    Direction& d = directions[direction_index(link, from, "Network::transmit")];
    const bool degraded = st.condition == LinkCondition::kDegraded;
    const double loss = spec.loss + (degraded ? st.extra_loss : 0.0);
    const double factor = degraded ? st.latency_factor : 1.0;
    const sim::Duration serialise =
        spec.bandwidth_bytes_per_s > 0
            ? sim::Duration(sim::round_half_away(static_cast<double>(bytes) * 1e9 /
                                                 spec.bandwidth_bytes_per_s))
            : sim::Duration::zero();
    ++d.stats.messages;
    d.stats.bytes += bytes;
    // The first copy queues FIFO behind what the direction already carries.
    const sim::Time start = std::max(t, d.free_at);
    d.free_at = start + serialise;
    d.stats.busy += serialise;
    sim::Time left = start + serialise;  // when the current copy finished serialising
    // Draw order per transmission (part of the determinism contract): one loss draw when the loss
    // probability is positive, then one latency draw for the copy that gets through.
    for (int lost = 0; loss > 0 && lost < kMaxConsecutiveLosses && d.rng.bernoulli(loss); ++lost) {
      // A resent copy leaves `retransmit_timeout` after the lost one, ahead of queued new data (TCP
      // sends retransmissions first), so it never waits behind the FIFO; but its bytes still take
      // the direction's capacity from later messages. Reserving the serialiser at the resend time
      // instead would block every message sent meanwhile, as if the link idled until then.
      ++d.stats.retransmissions;
      d.stats.busy += serialise;
      d.free_at += serialise;
      left = left + retransmit_timeout + serialise;
    }
    const double latency = std::max(0.0, spec.latency.sample(d.rng)) * factor;
    return left + sim::Duration(sim::round_half_away(latency));
  }

  sim::Engine& engine;
  const Topology& topology;
  std::vector<LinkSpec> specs;           // by link id; a copy, read on every hop
  std::vector<LinkState> states;         // by link id
  std::vector<Direction> directions;     // by direction_index()
  std::vector<LinkObserver*> observers;  // subscription order; nullptr = unsubscribed mid-notify
  int notifying = 0;                     // depth of set_state() notification loops
  sim::Duration retransmit_timeout = kDefaultRetransmitTimeout;
};

Network::Network(sim::Engine& engine, const Topology& topology, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(engine, topology)) {
  const std::size_t n = topology.link_count();
  impl_->states.resize(n);
  impl_->specs.reserve(n);
  impl_->directions.reserve(2 * n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const LinkSpec& spec = impl_->specs.emplace_back(topology.link(LinkId{i}));
    const std::string& a = topology.datacenter(spec.a).name;
    const std::string& b = topology.datacenter(spec.b).name;
    // Streams are named, not numbered, so adding a link leaves every other link's draws alone.
    std::string prefix = "link/";
    prefix += spec.name;
    prefix += '/';
    std::string forward = prefix;
    forward += a;
    forward += "->";
    forward += b;
    std::string backward = prefix;
    backward += b;
    backward += "->";
    backward += a;
    impl_->directions.emplace_back(seed, forward);
    impl_->directions.emplace_back(seed, backward);
  }
}

Network::~Network() = default;

sim::Engine& Network::engine() const { return impl_->engine; }
const Topology& Network::topology() const { return impl_->topology; }

const LinkState& Network::state(LinkId link) const {
  impl_->check_link(link, "Network::state");
  return impl_->states[link.value];
}

void Network::set_state(LinkId link, const LinkState& state) {
  Impl& m = *impl_;
  m.check_link(link, "Network::set_state");
  if (!(state.latency_factor >= 1) || std::isinf(state.latency_factor)) {
    throw InvalidArgument("Network::set_state(" + link_label(m.topology, link) +
                          "): latency_factor must be finite and >= 1, got " +
                          std::to_string(state.latency_factor));
  }
  if (!(state.extra_loss >= 0 && state.extra_loss < 1)) {
    throw InvalidArgument("Network::set_state(" + link_label(m.topology, link) +
                          "): extra_loss must be in [0, 1), got " +
                          std::to_string(state.extra_loss));
  }
  const bool goes_down = state.condition == LinkCondition::kDown &&
                         m.states[link.value].condition != LinkCondition::kDown;
  m.states[link.value] = state;
  if (goes_down) {
    // Whatever was queued on the link is lost with it; when it comes back its serialisers are idle.
    const sim::Time now = m.engine.now();
    for (std::size_t d = 2 * std::size_t{link.value}; d < 2 * std::size_t{link.value} + 2; ++d) {
      m.directions[d].free_at = std::min(m.directions[d].free_at, now);
    }
  }

  // Observers may subscribe, unsubscribe (even themselves, e.g. by destroying a Connection) or
  // change link states from inside the callback. New subscribers are not told of this change;
  // unsubscribed ones are nulled out rather than erased, so indexes stay valid, and compacted once
  // the outermost loop ends.
  ++m.notifying;
  const std::size_t count = m.observers.size();
  for (std::size_t i = 0; i < count; ++i) {
    LinkObserver* o = m.observers[i];
    if (o != nullptr) o->on_link_state(link, m.states[link.value]);
  }
  if (--m.notifying == 0) std::erase(m.observers, nullptr);
}

bool Network::is_up(const Path& path) const {
  for (const LinkId l : path.links) {
    if (state(l).condition == LinkCondition::kDown) return false;
  }
  return true;
}

void Network::subscribe(LinkObserver* observer) {
  if (observer == nullptr) throw InvalidArgument("Network::subscribe: null observer");
  if (std::find(impl_->observers.begin(), impl_->observers.end(), observer) !=
      impl_->observers.end()) {
    return;
  }
  impl_->observers.push_back(observer);
}

void Network::unsubscribe(LinkObserver* observer) {
  auto& obs = impl_->observers;
  const auto it = std::find(obs.begin(), obs.end(), observer);
  if (it == obs.end() || observer == nullptr) return;
  if (impl_->notifying > 0) {
    *it = nullptr;
  } else {
    obs.erase(it);
  }
}

sim::Time Network::transmit(const Path& path, std::uint64_t bytes) {
  Impl& m = *impl_;
  if (path.dcs.size() != path.links.size() + 1) {
    throw InvalidArgument("Network::transmit: malformed path (" +
                          std::to_string(path.links.size()) + " links, " +
                          std::to_string(path.dcs.size()) + " datacenters)");
  }
  for (const LinkId l : path.links) {
    m.check_link(l, "Network::transmit");
    if (m.states[l.value].condition == LinkCondition::kDown) {
      throw InvalidArgument("Network::transmit: " + link_label(m.topology, l) + " is down");
    }
  }
  sim::Time t = m.engine.now();
  for (std::size_t i = 0; i < path.links.size(); ++i)
    t = m.hop(path.links[i], path.dcs[i], t, bytes);
  return t;
}

sim::Duration Network::retransmit_timeout() const { return impl_->retransmit_timeout; }

void Network::set_retransmit_timeout(sim::Duration timeout) {
  if (timeout < sim::Duration::zero()) {
    throw InvalidArgument("Network::set_retransmit_timeout: timeout must be >= 0, got " +
                          sim::format(timeout));
  }
  impl_->retransmit_timeout = timeout;
}

const LinkDirectionStats& Network::stats(LinkId link, DcId from) const {
  return impl_->directions[impl_->direction_index(link, from, "Network::stats")].stats;
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(Network& network, Path path, Receiver& receiver)
    : network_(network), path_(std::move(path)), receiver_(receiver) {
  if (path_.dcs.size() != path_.links.size() + 1) {
    throw InvalidArgument("Connection: malformed path (" + std::to_string(path_.links.size()) +
                          " links, " + std::to_string(path_.dcs.size()) + " datacenters)");
  }
  network_.subscribe(this);
}

Connection::~Connection() {
  network_.unsubscribe(this);
  network_.engine().cancel(head_event_);
  network_.engine().cancel(connect_event_);
}

void Connection::connect() {
  if (open_ || opening_) return;
  opening_ = true;
  const sim::Duration rtt(std::llround(2 * network_.topology().median_latency_ns(path_)));
  connect_event_ = network_.engine().schedule_in(rtt, [this, e = epoch_] { finish_connect(e); });
}

void Connection::finish_connect(std::uint64_t epoch) {
  if (epoch != epoch_) return;  // close() or a break since; cancellation makes this unreachable
  connect_event_ = sim::EventHandle();
  opening_ = false;
  if (network_.is_up(path_)) {
    open_ = true;
    receiver_.on_connected();
  } else {
    ++epoch_;
    receiver_.on_broken();
  }
}

void Connection::close() {
  queue_.clear();
  ++epoch_;
  network_.engine().cancel(head_event_);
  network_.engine().cancel(connect_event_);
  head_event_ = sim::EventHandle();
  connect_event_ = sim::EventHandle();
  open_ = false;
  opening_ = false;
  last_arrival_ = sim::Time();
}

void Connection::send(std::uint64_t message, std::uint64_t bytes) {
  if (!open_) {
    throw InvalidArgument("Connection::send: the connection is not open (message " +
                          std::to_string(message) + ")");
  }
  // Head-of-line order: a message is never delivered before the ones sent earlier.
  const sim::Time arrival = std::max(network_.transmit(path_, bytes), last_arrival_);
  last_arrival_ = arrival;
  queue_.push_back(InFlight{arrival, message});
  if (queue_.size() == 1 && !held_) {
    head_event_ = network_.engine().schedule_at(arrival, [this] { deliver_head(); });
  }
}

void Connection::hold() {
  if (held_) return;
  held_ = true;
  network_.engine().cancel(head_event_);
  head_event_ = sim::EventHandle();
}

void Connection::release() {
  if (!held_) return;
  held_ = false;
  if (!queue_.empty()) {
    const sim::Time at = std::max(queue_.front().arrival, network_.engine().now());
    head_event_ = network_.engine().schedule_at(at, [this] { deliver_head(); });
  }
}

bool Connection::take_arrived(sim::Time upto, std::uint64_t& message, sim::Time& arrival) {
  if (!held_ || queue_.empty() || queue_.front().arrival > upto) return false;
  message = queue_.front().message;
  arrival = queue_.front().arrival;
  queue_.pop_front();
  return true;
}

void Connection::deliver_head() {
  head_event_ = sim::EventHandle();
  const InFlight head = queue_.front();
  queue_.pop_front();
  // Settle our own state before the callback: the receiver may send, close, reconnect or hold
  // (which cancels this event again).
  if (!queue_.empty()) {
    head_event_ = network_.engine().schedule_at(queue_.front().arrival, [this] { deliver_head(); });
  }
  receiver_.on_deliver(head.message, head.arrival);
}

void Connection::on_link_state(LinkId link, const LinkState& state) {
  if (state.condition != LinkCondition::kDown) return;  // degraded or up: the stream carries on
  if (std::find(path_.links.begin(), path_.links.end(), link) == path_.links.end()) return;
  break_connection();
}

void Connection::break_connection() {
  const bool active = open_ || opening_;
  // While held, what arrived before this instant was delivered in all but the event; the receiver
  // takes it now, before the rest is dropped. It may not close or destroy the connection here.
  const sim::Time now = network_.engine().now();
  while (held_ && !queue_.empty() && queue_.front().arrival < now) {
    const InFlight head = queue_.front();
    queue_.pop_front();
    receiver_.on_deliver(head.message, head.arrival);
  }
  close();
  // Last: the receiver may reconnect, or even destroy this connection.
  if (active) receiver_.on_broken();
}

}  // namespace geodes::models
