// The run-time network: the state of each link (up, down, degraded) and the cost of moving bytes
// over a path, plus Connection, an ordered reliable message stream over a path (a TCP connection:
// a MySQL binlog dump, a Kafka fetch session).
//
// Model, per link direction (REFERENCE.md for default figures):
//   * FIFO serialisation: a message of B bytes occupies the direction for B / bandwidth seconds,
//     after the messages before it, so a saturated link builds delay;
//   * propagation: one draw of the link's latency distribution per transmission, times the
//     degradation factor;
//   * loss: each transmission is lost with probability loss + extra_loss; a reliable sender
//     retransmits `retransmit_timeout` after the lost copy finished serialising, so loss adds
//     delay and never drops data. A resent copy goes ahead of queued new data (as TCP sends
//     retransmissions first) but its serialisation time is charged to the direction, so later
//     messages lose that capacity. After kMaxConsecutiveLosses losses in a row the next copy
//     gets through regardless, so a loss probability near (or, with extra_loss, above) 1 cannot
//     loop forever.
// Degradation (latency_factor, extra_loss) applies only while the condition is kDegraded.
// A link going down empties both of its serialisers (what was queued on it is lost).
// Store-and-forward across multi-hop paths: a message crosses links in order. Arrival times are
// computed when the message is sent (one event per delivered message, not per hop); serialisation
// on later hops is therefore reserved in send order, an approximation that is exact for one-hop
// paths and for paths whose links carry one stream.
//
// Link down: every Connection whose path crosses the link breaks at once; messages in flight on
// it are lost to that attempt (the sender resends from its own position after reconnecting).
//
// Determinism: each link direction draws from its own stream ("link/<name>/<from>-><to>", with the
// link's and the DCs' names, under the network's seed); observers are notified in subscription
// order.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "geodes/models/net/topology.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::models {

enum class LinkCondition { kUp, kDown, kDegraded };

struct LinkState {
  LinkCondition condition = LinkCondition::kUp;
  double latency_factor = 1.0;  ///< multiplies propagation latency when degraded (>= 1)
  double extra_loss = 0.0;      ///< added to the link's loss probability when degraded
};

/// Told about every link state change.
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  virtual void on_link_state(LinkId link, const LinkState& state) = 0;
};

/// Traffic counters of one link direction.
struct LinkDirectionStats {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t retransmissions = 0;
  sim::Duration busy;  ///< total serialisation time
};

class Network {
 public:
  /// Default wait before a lost transmission is sent again (TCP's minimum RTO on Linux, 200 ms).
  static constexpr sim::Duration kDefaultRetransmitTimeout{200'000'000};
  /// Losses in a row after which a transmission is delivered anyway (see the file comment).
  static constexpr int kMaxConsecutiveLosses = 64;

  /// All links start up. REQUIRES: engine and topology outlive the network, and the topology gains
  /// no links afterwards (their ids would be unknown here: InvalidArgument).
  Network(sim::Engine& engine, const Topology& topology, std::uint64_t seed);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  [[nodiscard]] sim::Engine& engine() const;
  [[nodiscard]] const Topology& topology() const;

  [[nodiscard]] const LinkState& state(LinkId link) const;
  /// Changes a link's state and notifies observers (in subscription order; observers may
  /// subscribe, unsubscribe or change states from the callback). Throws InvalidArgument on an
  /// unknown link, latency_factor < 1 or extra_loss outside [0, 1).
  void set_state(LinkId link, const LinkState& state);
  /// True iff no link of `path` is down (degraded links carry traffic).
  [[nodiscard]] bool is_up(const Path& path) const;

  /// Adds `observer` (no-op if already subscribed). REQUIRES: it unsubscribes before it dies.
  void subscribe(LinkObserver* observer);
  /// Removes `observer`; no-op if it is not subscribed.
  void unsubscribe(LinkObserver* observer);

  /// Sends `bytes` from path.from now and returns when they arrive at path.to, reserving each
  /// link direction's serialiser on the way and retransmitting lost transmissions. An empty path
  /// (same DC) arrives now. REQUIRES: is_up(path); throws InvalidArgument otherwise.
  /// Draws per hop and transmission: one loss draw if the loss probability is positive, then one
  /// latency draw for the copy that gets through. Negative latency draws count as 0.
  sim::Time transmit(const Path& path, std::uint64_t bytes);

  [[nodiscard]] sim::Duration retransmit_timeout() const;
  void set_retransmit_timeout(sim::Duration timeout);

  /// Counters for the direction of `link` leaving `from`: messages and bytes count each message
  /// once, retransmissions the extra copies; busy includes the copies' serialisation.
  /// Throws InvalidArgument unless `from` is an end of `link`.
  [[nodiscard]] const LinkDirectionStats& stats(LinkId link, DcId from) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// An ordered, reliable stream of messages over one path. Messages are delivered in send order
/// (head-of-line: a message never overtakes an earlier one), each at or after its own arrival time.
/// If any link of the path goes down, the connection breaks: undelivered messages are dropped and
/// the receiver is told; the owner reconnects with connect() and resends what it needs.
/// Receiver callbacks may call back into the connection (send, close, connect) and on_broken() may
/// destroy it.
class Connection : private LinkObserver {
 public:
  /// The owner's side of a connection.
  class Receiver {
   public:
    virtual ~Receiver() = default;
    /// `message` (the owner's own id) has arrived at the far end, at `arrival`: now for a
    /// delivery by event, earlier for one that arrived while the connection was held (hold()) and
    /// is handed over as a link break drops the rest.
    virtual void on_deliver(std::uint64_t message, sim::Time arrival) = 0;
    /// connect() succeeded: the connection is open from now on.
    virtual void on_connected() = 0;
    /// The connection broke (a link went down) or connect() failed (path down). Undelivered
    /// messages are gone.
    virtual void on_broken() = 0;
  };

  /// A closed connection over `path`. REQUIRES: network and receiver outlive it.
  Connection(Network& network, Path path, Receiver& receiver);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Opens the connection: after one round trip of median latencies (the handshake), calls
  /// on_connected() if the path is still up, else on_broken(). A link of the path going down
  /// during the handshake fails it at once (on_broken()). No-op if open or opening.
  void connect();
  /// Closes the connection now, dropping undelivered messages and any handshake in progress,
  /// without calling the receiver.
  void close();
  [[nodiscard]] bool is_open() const { return open_; }
  [[nodiscard]] const Path& path() const { return path_; }

  /// Sends `message` of `bytes`. REQUIRES: is_open(); throws InvalidArgument otherwise.
  void send(std::uint64_t message, std::uint64_t bytes);
  /// Messages sent and not yet delivered.
  [[nodiscard]] std::size_t in_flight() const { return queue_.size(); }

  /// Holding, for a receiver that cannot act on a message before it asks for the next one (a
  /// busy single applier): while held, arrivals schedule no delivery events; the receiver takes
  /// them in order with take_arrived(), each with its arrival time. That saves an event per
  /// message that arrives while the receiver is busy, and changes nothing the receiver sees as
  /// long as it takes, before acting on anything, every message that arrived before the moment it
  /// acts. If a link break drops the queue while held, the messages that arrived strictly before
  /// the break are first handed to on_deliver() (a break at the very instant of an arrival
  /// counts as first, as it does for a delivery by event scheduled after the break's event).
  void hold();
  /// Ends holding: delivery by events resumes from the head. REQUIRES (for unchanged delivery
  /// times): every message that arrived before now has been taken.
  void release();
  [[nodiscard]] bool held() const { return held_; }
  /// While held: pops the head if it arrived at or before `upto`, sets `message` and `arrival`,
  /// and returns true; returns false otherwise (nothing arrived by then, or not held).
  bool take_arrived(sim::Time upto, std::uint64_t& message, sim::Time& arrival);

 private:
  void on_link_state(LinkId link, const LinkState& state) override;
  void deliver_head();
  void finish_connect(std::uint64_t epoch);
  void break_connection();

  struct InFlight {
    sim::Time arrival;
    std::uint64_t message = 0;
  };

  Network& network_;
  Path path_;
  Receiver& receiver_;
  bool open_ = false;
  bool opening_ = false;
  bool held_ = false;
  std::uint64_t epoch_ = 0;  // bumped on every break, so stale events are ignored
  std::deque<InFlight> queue_;
  sim::Time last_arrival_;
  sim::EventHandle head_event_;     // delivery of queue_.front(); one pending event at most
  sim::EventHandle connect_event_;  // the handshake's end, while opening_
};

}  // namespace geodes::models
