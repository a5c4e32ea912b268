// The MQ channel's mechanism (the model is described in mq_channel.hpp). This file holds, in order:
// the producer (ledger of publishes, its connection, acks, retries, give-up), the broker
// (partition logs, replication, crashes), the consumer group (assignment, fetch sessions, apply,
// commit), the faults and the accessors.
//
// Identities: every publish gets a publish id (pid, 1, 2, 3 ...), the index of its Msg in the
// ledger. A message copy in a partition log refers to its pid; a copy on the producer's connection
// is the connection message `pid`. A Msg leaves the ledger (in pid order) once its fate is sealed.
//
// Epochs: consumer events that outlive a session carry the epoch they were scheduled in and do
// nothing if it has moved on: a consumer's `session` (its commits in flight die with its TCP
// session), `fetch_epoch` (an abandoned fetch) and `apply_epoch` (an aborted batch). Produce acks
// in flight wait in acks_, which the producer's connection empties when it goes.
#include "geodes/models/channels/mq_channel.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "geodes/sim/error.hpp"
#include "geodes/sim/mix.hpp"
#include "geodes/sim/rng.hpp"
#include "geodes/sim/rounding.hpp"

namespace geodes::models {

namespace {

sim::Duration draw(const sim::Distribution& d, sim::Rng& rng) {
  const double ns = d.sample(rng);
  return sim::Duration(ns > 0 ? sim::round_half_away(ns) : 0);
}

// t + d, saturating at Time::max() (a fault "for ever" must not overflow the clock).
sim::Time later(sim::Time t, sim::Duration d) {
  if (d.ns() > sim::Time::max().ns() - t.ns()) return sim::Time::max();
  return t + d;
}

// A FIFO on a power-of-two ring: no allocation once it has grown to the run's peak, unlike
// std::deque, which allocates a block every few hundred pushes.
template <typename T>
class Ring {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return buf_[(head_ + i) & mask_]; }
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & mask_]; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }
  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & mask_] = v;
    ++size_;
  }
  void pop_front() {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void pop_back() { --size_; }
  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  void grow() {
    std::vector<T> next(std::max<std::size_t>(16, 2 * buf_.size()));
    for (std::size_t i = 0; i < size_; ++i) next[i] = (*this)[i];
    buf_.swap(next);
    head_ = 0;
    mask_ = buf_.size() - 1;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

void check_distribution(const std::string& where, const char* what, const sim::Distribution& d) {
  // Normal draws are clamped at 0 (draw()); other laws must not reach below it.
  if (d.kind() != sim::Distribution::Kind::kNormal && d.quantile(0) < 0) {
    throw InvalidArgument(where + what + " can be negative");
  }
}

void validate(const MqChannelParams& p, const Network& network, const Path& produce,
              const Path& consume, const Store& replica) {
  const std::string where = "mq channel '" + p.name + "': ";
  const Topology& topology = network.topology();
  auto dc = [&topology](DcId id) { return "'" + topology.datacenter(id).name + "'"; };
  if (p.partitions < 1 || p.partitions > 4096) {
    throw InvalidArgument(where + "partitions must be between 1 and 4096, got " +
                          std::to_string(p.partitions));
  }
  if (p.consumers < 1 || p.consumers > 4096) {
    throw InvalidArgument(where + "consumers must be between 1 and 4096, got " +
                          std::to_string(p.consumers));
  }
  if (p.max_poll_records < 1) {
    throw InvalidArgument(where + "max_poll_records must be >= 1, got " +
                          std::to_string(p.max_poll_records));
  }
  if (p.request_timeout <= sim::Duration::zero()) {
    throw InvalidArgument(where + "request_timeout must be > 0");
  }
  if (p.delivery_timeout < p.request_timeout) {
    throw InvalidArgument(where + "delivery_timeout (" + sim::format(p.delivery_timeout) +
                          ") must be >= request_timeout (" + sim::format(p.request_timeout) + ")");
  }
  if (p.fetch_max_wait <= sim::Duration::zero()) {
    throw InvalidArgument(where + "fetch_max_wait must be > 0");
  }
  if (p.session_timeout <= sim::Duration::zero()) {
    throw InvalidArgument(where + "session_timeout must be > 0");
  }
  if (p.retry_interval <= sim::Duration::zero()) {
    throw InvalidArgument(where + "retry_interval must be > 0");
  }
  if (p.series_interval <= sim::Duration::zero()) {
    throw InvalidArgument(where + "series_interval must be > 0");
  }
  if (p.idempotent && p.acks != MqAcks::kAll) {
    throw InvalidArgument(where + "idempotent requires acks: all (got acks: " + to_string(p.acks) +
                          "), as Kafka's enable.idempotence does");
  }
  check_distribution(where, "replication_time", p.replication_time);
  check_distribution(where, "append_time", p.append_time);
  check_distribution(where, "apply_time", p.apply_time);
  if (produce.to != consume.from) {
    throw InvalidArgument(where + "the produce path ends at " + dc(produce.to) +
                          " but the consume path starts at " + dc(consume.from) +
                          " (both must be the broker's DC)");
  }
  if (consume.to != replica.dc()) {
    throw InvalidArgument(where + "the consume path ends at " + dc(consume.to) +
                          " but the replica store is at " + dc(replica.dc()));
  }
  if (produce.from == replica.dc()) {
    throw InvalidArgument(where + "source and replica are the same DC " + dc(replica.dc()));
  }
}

}  // namespace

struct MqChannel::Impl final : private Connection::Receiver, private LinkObserver {
  // --- state ------------------------------------------------------------------------------------

  enum class PubState : std::uint8_t {
    kQueued,    // waiting to be sent (no connection yet, or sent before and to be sent again)
    kInFlight,  // sent, waiting for its ack
    kDone,      // the producer is done with it: acknowledged, given up, or its source lost
  };
  enum class Loss : std::uint8_t { kNone, kCrash, kBrokerLost };

  // One publish, from publish() until its fate is sealed (see the header's file comment).
  struct Msg {
    Write write;
    sim::Time first_sent;
    std::uint64_t producer_seq = 0;  // per partition, for idempotence
    std::uint64_t offset = 0;        // of its latest appended copy
    std::uint32_t partition = 0;
    std::uint32_t attempt = 0;  // sends so far
    std::uint32_t wire = 0;     // copies on the producer's connection
    std::uint32_t copies = 0;   // copies in the log
    PubState state = PubState::kQueued;
    Loss loss = Loss::kNone;  // why its last copy left the log unprocessed
    bool appended = false;
    bool processed = false;
    bool sealed = false;
  };

  // One message copy in a partition log.
  struct Entry {
    std::uint64_t pid = 0;
    sim::Time arrived;  // reached the broker (the copy is in the log from here on)
    sim::Time visible;  // copied by the followers: below the high watermark, readable, durable
  };

  // An ack on its way to the producer (arrival times are monotone: acks come back in order).
  struct PendingAck {
    sim::Time at;
    std::uint64_t pid = 0;
  };

  // A send waiting for its ack, in send order (all sends share one timeout, so this is also
  // deadline order).
  struct Sent {
    std::uint64_t pid = 0;
    std::uint32_t attempt = 0;
    sim::Time at;
  };

  struct Partition {
    Ring<Entry> log;             // offsets [base, base + log.size())
    std::uint64_t base = 0;      // the group's committed offset: what is below is gone
    sim::Time append_free;       // the leader appends one message at a time
    sim::Time high_watermark;    // visible time of the newest entry (monotone)
    std::uint64_t next_seq = 1;  // broker, idempotence: the producer sequence expected next
    std::uint64_t last_seq = 0;  // producer: the last sequence handed out
    // Group side.
    int owner = -1;                  // consumer index, -1 while unassigned
    std::uint64_t position = 0;      // next offset the owner fetches
    std::uint64_t processed_hw = 0;  // one past the highest offset ever processed
  };

  struct Batch {
    int partition = -1;
    std::uint64_t from = 0;
    std::uint64_t end = 0;
    [[nodiscard]] bool valid() const { return partition >= 0; }
  };

  enum class Fetch : std::uint8_t {
    kNone,      // no fetch outstanding
    kRequest,   // request travelling to the broker
    kPolling,   // waiting at the broker for data (long poll)
    kResponse,  // response travelling back (`inflight`, possibly empty)
    kBackoff,   // the last attempt failed; retrying after retry_interval
  };

  struct Consumer {
    bool alive = true;
    bool stopping = false;  // graceful stop: end the batch after the message being applied
    Fetch fetch = Fetch::kNone;
    std::uint32_t session = 0;
    std::uint32_t fetch_epoch = 0;
    std::uint32_t apply_epoch = 0;
    // A fetch brings a batch of each partition that has data; poll() hands them to the applier
    // one by one. The next fetch leaves when the applier takes the last buffered batch, so one
    // fetch is under way while it works. At most one batch per partition in each list.
    std::vector<Batch> inflight;  // served by the broker, response on its way
    std::vector<Batch> buffered;  // arrived; [buffered_next, size) wait for the applier
    std::size_t buffered_next = 0;
    Batch applying;
    std::uint64_t next = 0;       // offset being applied
    std::vector<int> partitions;  // owned, ascending
    std::size_t rotation = 0;     // where the next fetch starts looking
    sim::Time poll_deadline;
    sim::Time wake_at;
    sim::EventHandle wake_event;
    sim::EventHandle session_event;
    sim::EventHandle restart_event;
  };

  Network& network_;
  sim::Engine& engine_;
  Store& replica_;
  MqChannelParams params_;
  Path produce_path_;
  Path consume_path_;
  Path ack_path_;    // broker -> source, for produce acks
  Path fetch_path_;  // replica -> broker, for fetch requests and offset commits
  sim::Rng append_rng_;
  sim::Rng replication_rng_;
  sim::Rng apply_rng_;
  Connection conn_;  // the producer's connection to the broker

  // Producer.
  Ring<Msg> ledger_;
  std::uint64_t ledger_base_ = 1;  // pid of ledger_[0]
  Ring<std::uint64_t> to_send_;    // pids; entries whose Msg is no longer kQueued are skipped
  Ring<std::uint64_t> wire_;       // pids on the connection, in send order
  Ring<Sent> awaiting_;
  std::uint64_t outstanding_ = 0;
  std::uint64_t giveup_cursor_ = 1;  // no pid below it is waiting for its ack
  Ring<PendingAck> acks_;
  bool settling_ = false;
  sim::EventHandle ack_event_;
  std::uint64_t round_robin_ = 0;
  sim::Time last_ack_departure_;
  sim::Time last_ack_arrival_;
  sim::EventHandle reconnect_event_;
  sim::EventHandle timeout_event_;
  sim::EventHandle giveup_event_;
  bool source_up_ = true;
  bool source_lost_ = false;
  bool producer_stopped_ = false;

  // Broker.
  std::vector<Partition> partitions_;
  std::uint64_t backlog_ = 0;
  bool broker_process_up_ = true;
  bool broker_dc_up_ = true;
  bool broker_lost_ = false;
  sim::EventHandle broker_restart_event_;

  // Group.
  std::vector<Consumer> consumers_;
  std::uint32_t generation_ = 0;  // bumped by every rebalance; commits of older ones are rejected
  bool replica_up_ = true;
  bool consuming_ = true;
  sim::Time stopped_since_;
  sim::Duration stopped_total_;

  std::function<void(const Write&, sim::Time)> ack_listener_;
  std::function<void(const Write&, ApplyResult)> arrival_listener_;

  mutable MqChannelStats stats_;
  sim::Histogram lag_;
  sim::Histogram residence_;
  sim::SampleSeries lag_series_;
  std::vector<sim::GaugeSeries> consumer_lag_messages_;
  std::vector<sim::SampleSeries> consumer_lag_time_;

  static std::string stream(const Network& network, const MqChannelParams& params,
                            const Path& produce, const Path& consume, const char* what) {
    const Topology& t = network.topology();
    return "mq/" + params.name + "/" + t.datacenter(produce.from).name + "->" +
           t.datacenter(consume.to).name + "/" + what;
  }

  Impl(Network& network, Path produce, Path consume, Store& replica, const MqChannelParams& params,
       std::uint64_t seed)
      : network_(network),
        engine_(network.engine()),
        replica_(replica),
        params_(params),
        produce_path_(std::move(produce)),
        consume_path_(std::move(consume)),
        ack_path_(reversed(produce_path_)),
        fetch_path_(reversed(consume_path_)),
        append_rng_(seed, stream(network, params, produce_path_, consume_path_, "append")),
        replication_rng_(seed,
                         stream(network, params, produce_path_, consume_path_, "replication")),
        apply_rng_(seed, stream(network, params, produce_path_, consume_path_, "apply")),
        conn_(network, produce_path_, *this),
        partitions_(static_cast<std::size_t>(params.partitions)),
        consumers_(static_cast<std::size_t>(params.consumers)),
        lag_series_(params.series_interval),
        consumer_lag_messages_(static_cast<std::size_t>(params.partitions),
                               sim::GaugeSeries(params.series_interval)),
        consumer_lag_time_(static_cast<std::size_t>(params.partitions),
                           sim::SampleSeries(params.series_interval)) {
    network_.subscribe(this);
    for (auto& g : consumer_lag_messages_) g.set(engine_.now(), 0);
    rebalance(/*count=*/false);  // the group forms; consumers start fetching
    conn_.connect();
  }

  ~Impl() override { network_.unsubscribe(this); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  [[nodiscard]] bool broker_up() const {
    return broker_process_up_ && broker_dc_up_ && !broker_lost_;
  }
  [[nodiscard]] bool producer_should_run() const { return source_up_ && !producer_stopped_; }

  Msg* find(std::uint64_t pid) {
    return pid >= ledger_base_ && pid - ledger_base_ < ledger_.size() ? &ledger_[pid - ledger_base_]
                                                                      : nullptr;
  }
  const Msg* find(std::uint64_t pid) const {
    return pid >= ledger_base_ && pid - ledger_base_ < ledger_.size() ? &ledger_[pid - ledger_base_]
                                                                      : nullptr;
  }
  // REQUIRES: pid is in the ledger (a copy on the wire or in the log keeps it there).
  Msg& msg(std::uint64_t pid) { return ledger_[pid - ledger_base_]; }

  // --- producer ---------------------------------------------------------------------------------

  void publish(const Write& w) {
    if (w.version.origin == replica_.dc()) return;  // loop prevention by origin
    settle_acks();
    ++stats_.published;
    if (producer_stopped_) {  // source or broker destroyed: nowhere to go
      ++stats_.lost_producer;
      ++stats_.lost_in_transit;
      return;
    }
    const std::uint64_t pid = ledger_base_ + ledger_.size();
    Msg m;
    m.write = w;
    m.partition = choose_partition(w);
    m.producer_seq = ++partitions_[m.partition].last_seq;
    ledger_.push_back(m);
    ++outstanding_;
    // Behind anything already queued, so the connection carries publishes in order.
    if (source_up_ && conn_.is_open() && to_send_.empty()) {
      send(pid);
    } else {
      to_send_.push_back(pid);
    }
  }

  std::uint32_t choose_partition(const Write& w) {
    const auto n = static_cast<std::uint64_t>(params_.partitions);
    if (params_.partitioning == MqPartitioning::kRoundRobin) {
      return static_cast<std::uint32_t>(round_robin_++ % n);
    }
    // Rows of different tables with the same id are different rows: mix the class in.
    const std::uint64_t row = w.key ^ (std::uint64_t{w.data_class.value} * 0x9e3779b97f4a7c15ULL);
    return static_cast<std::uint32_t>(sim::mix64(row) % n);
  }

  // REQUIRES: the connection is open and the source up.
  void send(std::uint64_t pid) {
    Msg& m = msg(pid);
    const sim::Time now = engine_.now();
    m.state = PubState::kInFlight;
    if (m.attempt++ == 0) {
      m.first_sent = now;
    } else {
      ++stats_.producer_retries;
    }
    const bool local = produce_path_.links.empty();
    if (!local) {
      ++m.wire;
      wire_.push_back(pid);
    }
    const std::uint64_t bytes = std::uint64_t{m.write.bytes} + params_.overhead_bytes;
    const bool fire_and_forget = params_.acks == MqAcks::k0;
    const bool first = m.attempt == 1;
    const Write w = m.write;
    if (fire_and_forget) {  // acknowledged now, never sent again
      m.state = PubState::kDone;
      --outstanding_;
      ++stats_.acknowledged;
    } else {
      awaiting_.push_back(Sent{pid, m.attempt, now});
    }
    // `m` is not used below: the broker's ack may reach listeners, which may publish and so move
    // the ledger.
    if (local) {
      // A broker in the source DC takes the publish now (the connection would deliver it now too,
      // one event later).
      receive(pid);
      if (Msg* mm = find(pid)) seal_if_done(*mm);
      trim_ledger();
    } else {
      conn_.send(pid, bytes);
    }
    if (fire_and_forget) {
      if (ack_listener_) ack_listener_(w, now);
      return;
    }
    if (!engine_.is_pending(timeout_event_)) arm_timeout();
    if (first && !engine_.is_pending(giveup_event_)) arm_giveup();
  }

  void flush() {
    while (!to_send_.empty() && conn_.is_open() && source_up_) {
      const std::uint64_t pid = to_send_.front();
      to_send_.pop_front();
      const Msg* m = find(pid);
      if (m != nullptr && m->state == PubState::kQueued) send(pid);
    }
  }

  [[nodiscard]] bool stale(const Sent& s) const {
    const Msg* m = find(s.pid);
    return m == nullptr || m->state != PubState::kInFlight || m->attempt != s.attempt;
  }

  void arm_timeout() {
    while (!awaiting_.empty() && stale(awaiting_.front())) awaiting_.pop_front();
    if (awaiting_.empty()) return;
    engine_.cancel(timeout_event_);
    timeout_event_ = engine_.schedule_at(later(awaiting_.front().at, params_.request_timeout),
                                         [this] { on_timeout(); });
  }

  void on_timeout() {
    settle_acks();
    const sim::Time now = engine_.now();
    while (!awaiting_.empty()) {
      const Sent s = awaiting_.front();
      if (stale(s)) {
        awaiting_.pop_front();
        continue;
      }
      if (later(s.at, params_.request_timeout) > now) break;
      awaiting_.pop_front();
      // No ack in time: send it again. If the first copy is in the log (its ack is slow or was
      // lost), the log will hold it twice unless the broker de-duplicates (idempotent).
      if (conn_.is_open() && source_up_) {
        send(s.pid);
      } else {  // (a closed connection has emptied awaiting_ already)
        msg(s.pid).state = PubState::kQueued;
        to_send_.push_back(s.pid);
      }
    }
    arm_timeout();
  }

  void advance_giveup_cursor() {
    giveup_cursor_ = std::max(giveup_cursor_, ledger_base_);
    const std::uint64_t end = ledger_base_ + ledger_.size();
    while (giveup_cursor_ < end && msg(giveup_cursor_).state == PubState::kDone) ++giveup_cursor_;
  }

  // First sends happen in pid order, so the oldest publish not done, if it was sent, has the
  // earliest delivery deadline of all.
  void arm_giveup() {
    if (!producer_should_run()) return;
    advance_giveup_cursor();
    const Msg* m = find(giveup_cursor_);
    if (m == nullptr || m->attempt == 0) return;  // nothing sent is waiting
    engine_.cancel(giveup_event_);
    giveup_event_ =
        engine_.schedule_at(std::max(engine_.now(), later(m->first_sent, params_.delivery_timeout)),
                            [this] { on_giveup(); });
  }

  void on_giveup() {
    if (!producer_should_run()) return;  // armed again when the source is back
    settle_acks();
    const sim::Time now = engine_.now();
    for (;;) {
      advance_giveup_cursor();
      Msg* m = find(giveup_cursor_);
      if (m == nullptr || m->attempt == 0 || later(m->first_sent, params_.delivery_timeout) > now) {
        break;
      }
      m->state = PubState::kDone;  // delivery.timeout.ms: reported failed; a copy may still land
      --outstanding_;
      seal_if_done(*m);
    }
    trim_ledger();
    arm_giveup();
  }

  void on_ack(std::uint64_t pid) {
    Msg* m = find(pid);
    if (m == nullptr || m->state != PubState::kInFlight) return;  // a second copy's ack
    m->state = PubState::kDone;
    --outstanding_;
    ++stats_.acknowledged;
    const Write w = m->write;
    seal_if_done(*m);
    while (!awaiting_.empty() && stale(awaiting_.front())) awaiting_.pop_front();
    trim_ledger();
    if (ack_listener_) ack_listener_(w, engine_.now());
  }

  void seal_if_done(Msg& m) {
    if (m.sealed || m.state != PubState::kDone || m.wire != 0 || m.copies != 0) return;
    m.sealed = true;
    if (m.processed) return;
    if (!m.appended) {
      ++stats_.lost_producer;
    } else if (m.loss == Loss::kBrokerLost) {
      ++stats_.lost_broker;
    } else {
      ++stats_.lost_unreplicated;
    }
    ++stats_.lost_in_transit;
  }

  void trim_ledger() {
    while (!ledger_.empty() && ledger_.front().sealed) {
      ledger_.pop_front();
      ++ledger_base_;
    }
  }

  // The producer's connection is gone (broken, or closed by a fault): copies on it are lost, acks
  // in flight too, and every publish waiting for an ack is queued to be sent again, in publish
  // order, once a new connection is up.
  void drop_producer_session() {
    settle_acks();  // what arrived before the break counts; the rest is lost with the connection
    acks_.clear();
    engine_.cancel(ack_event_);
    conn_.close();
    last_ack_departure_ = sim::Time();
    last_ack_arrival_ = sim::Time();
    while (!wire_.empty()) {
      if (Msg* m = find(wire_.front())) --m->wire;
      wire_.pop_front();
    }
    to_send_.clear();
    for (std::size_t i = 0; i < ledger_.size(); ++i) {
      Msg& m = ledger_[i];
      if (m.state == PubState::kInFlight) m.state = PubState::kQueued;
      if (m.state == PubState::kQueued) to_send_.push_back(ledger_base_ + i);
      seal_if_done(m);
    }
    awaiting_.clear();
    engine_.cancel(timeout_event_);
    trim_ledger();
  }

  void schedule_reconnect() {
    if (!producer_should_run() || engine_.is_pending(reconnect_event_)) return;
    reconnect_event_ = engine_.schedule_in(params_.retry_interval, [this] { try_connect(); });
  }

  void try_connect() {
    if (!producer_should_run()) return;
    if (!broker_up()) {  // connection refused: try again later
      schedule_reconnect();
      return;
    }
    conn_.connect();
  }

  // Connection::Receiver
  void on_connected() override {
    if (!producer_should_run() || !broker_up()) {
      drop_producer_session();
      schedule_reconnect();
      return;
    }
    flush();
  }

  void on_broken() override {
    drop_producer_session();
    schedule_reconnect();
  }

  void on_deliver(std::uint64_t pid, sim::Time /*arrival*/) override {  // never held: now
    if (wire_.empty() || wire_.front() != pid) {
      throw Error("mq channel '" + params_.name + "': the producer connection delivered publish " +
                  std::to_string(pid) + " out of order");
    }
    wire_.pop_front();
    --msg(pid).wire;
    if (broker_up()) receive(pid);  // (a broker that is down has closed the connection)
    if (Msg* m = find(pid)) seal_if_done(*m);
    trim_ledger();
  }

  // --- broker -----------------------------------------------------------------------------------

  void receive(std::uint64_t pid) {
    Msg& m = msg(pid);
    const int q = static_cast<int>(m.partition);
    Partition& p = partitions_[m.partition];
    const sim::Time now = engine_.now();
    if (params_.idempotent) {
      if (m.producer_seq < p.next_seq) {
        // A copy of a message the partition holds: acknowledged like the original, not appended.
        sim::Time ready = now;
        if (m.offset >= p.base && m.offset - p.base < p.log.size() &&
            p.log[m.offset - p.base].pid == pid) {
          ready = std::max(now, p.log[m.offset - p.base].visible);
        }
        send_ack(pid, ready);
        return;
      }
      // Out of sequence (an earlier one missing): Kafka rejects it. Unreachable here, because the
      // producer resends everything unacknowledged, in order, whenever copies can have been lost.
      if (m.producer_seq > p.next_seq) return;
      ++p.next_seq;
    }
    const sim::Time appended =
        std::max(now, p.append_free) + draw(params_.append_time, append_rng_);
    p.append_free = appended;
    // Followers copy in offset order: the high watermark never goes back.
    const sim::Time visible =
        std::max(p.high_watermark, appended + draw(params_.replication_time, replication_rng_));
    p.high_watermark = visible;
    const std::uint64_t offset = p.base + p.log.size();
    p.log.push_back(Entry{pid, now, visible});
    m.appended = true;
    m.offset = offset;
    ++m.copies;
    ++stats_.appended;
    ++backlog_;
    set_lag_gauge(q);
    wake_owner(q, offset, visible);
    send_ack(pid, params_.acks == MqAcks::k1 ? appended : visible);
  }

  void send_ack(std::uint64_t pid, sim::Time ready) {
    const sim::Time now = engine_.now();
    // Kafka answers the requests of one connection in order: a slow ack holds back later ones.
    const sim::Time departure = std::max(ready, last_ack_departure_);
    last_ack_departure_ = departure;
    sim::Time arrival = departure;
    if (!ack_path_.links.empty()) {
      if (!network_.is_up(ack_path_)) return;  // (the connection breaks at once; never reached)
      // Latency drawn now for an ack that leaves at `departure`: acks are small, so reserving the
      // serialiser a little early changes nothing measurable.
      arrival = departure + (network_.transmit(ack_path_, params_.overhead_bytes) - now);
    }
    arrival = std::max(arrival, last_ack_arrival_);
    last_ack_arrival_ = arrival;
    if (arrival == now && acks_.empty()) {
      on_ack(pid);
      return;
    }
    acks_.push_back(PendingAck{arrival, pid});
    if (ack_listener_ && !engine_.is_pending(ack_event_)) arm_ack_event();
  }

  // Acks arrive in order at known times. With no ack listener nothing outside the channel sees
  // the instant one is taken in, so they are taken in lazily, by settle_acks() before anything
  // that depends on the producer's state (a publish, a timer, a fault, an accessor), instead of
  // costing an event each. With a listener, an event at the head's arrival keeps them on time.
  void settle_acks() {
    if (settling_) return;  // a listener publishing from inside on_ack()
    settling_ = true;
    const sim::Time now = engine_.now();
    while (!acks_.empty() && acks_.front().at <= now) {
      const std::uint64_t pid = acks_.front().pid;
      acks_.pop_front();
      on_ack(pid);
    }
    settling_ = false;
  }

  void arm_ack_event() {
    if (acks_.empty()) return;
    ack_event_ = engine_.schedule_at(acks_.front().at, [this] {
      settle_acks();
      if (ack_listener_) arm_ack_event();
    });
  }

  void set_ack_listener(std::function<void(const Write&, sim::Time)> listener) {
    settle_acks();
    ack_listener_ = std::move(listener);
    engine_.cancel(ack_event_);
    if (ack_listener_) arm_ack_event();
  }

  void set_lag_gauge(int q) {
    consumer_lag_messages_[static_cast<std::size_t>(q)].set(
        engine_.now(), static_cast<double>(partitions_[static_cast<std::size_t>(q)].log.size()));
  }

  void sample_lag_time(int q) {
    const Partition& p = partitions_[static_cast<std::size_t>(q)];
    const sim::Time now = engine_.now();
    consumer_lag_time_[static_cast<std::size_t>(q)].record(
        now, p.log.empty() ? 0.0 : static_cast<double>((now - p.log.front().arrived).ns()));
  }

  // The broker loses what its followers had not copied. Those copies are a suffix of each log
  // (visible times grow with the offset).
  void drop_unreplicated() {
    const sim::Time now = engine_.now();
    for (std::size_t q = 0; q < partitions_.size(); ++q) {
      Partition& p = partitions_[q];
      bool dropped = false;
      std::uint64_t first_seq = 0;
      while (!p.log.empty() && p.log.back().visible > now) {
        const Entry e = p.log.back();
        p.log.pop_back();
        --backlog_;
        Msg& m = msg(e.pid);
        --m.copies;
        m.loss = Loss::kCrash;
        first_seq = m.producer_seq;
        dropped = true;
        seal_if_done(m);
      }
      if (dropped) {
        // The new leader's producer state is what survived (idempotent sequences are contiguous).
        p.next_seq = first_seq;
        set_lag_gauge(static_cast<int>(q));
      }
      p.append_free = std::min(p.append_free, now);
      p.high_watermark = std::min(p.high_watermark, now);
    }
    trim_ledger();
  }

  void commit(int q, std::uint64_t offset) {
    Partition& p = partitions_[static_cast<std::size_t>(q)];
    const sim::Time now = engine_.now();
    if (offset > p.base) {
      while (p.base < offset) {
        const Entry e = p.log.front();
        p.log.pop_front();
        ++p.base;
        --backlog_;
        residence_.record((now - e.arrived).ns());
        Msg& m = msg(e.pid);
        --m.copies;
        seal_if_done(m);
      }
      trim_ledger();
      set_lag_gauge(q);
    }
    sample_lag_time(q);
  }

  // --- consumer group ---------------------------------------------------------------------------

  void rebalance(bool count) {
    if (count) ++stats_.rebalances;
    ++generation_;
    const auto n_partitions = static_cast<int>(partitions_.size());
    std::vector<int> live;
    for (int c = 0; c < static_cast<int>(consumers_.size()); ++c) {
      if (consumers_[static_cast<std::size_t>(c)].alive && replica_up_) live.push_back(c);
    }
    std::vector<int> owner(partitions_.size(), -1);
    const auto n = static_cast<int>(live.size());
    if (n > 0 && params_.assignment == MqAssignment::kRange) {
      const int per = n_partitions / n;
      const int extra = n_partitions % n;
      int q = 0;
      for (int i = 0; i < n; ++i) {
        for (int k = 0; k < per + (i < extra ? 1 : 0); ++k)
          owner[static_cast<std::size_t>(q++)] = live[static_cast<std::size_t>(i)];
      }
    } else if (n > 0) {
      for (int q = 0; q < n_partitions; ++q) {
        owner[static_cast<std::size_t>(q)] = live[static_cast<std::size_t>(q % n)];
      }
    }
    for (int q = 0; q < n_partitions; ++q) {
      Partition& p = partitions_[static_cast<std::size_t>(q)];
      const int next = owner[static_cast<std::size_t>(q)];
      if (next == p.owner) continue;
      if (p.owner >= 0) revoke(p.owner, q);
      p.owner = next;
      p.position = p.base;  // the new owner starts at the committed offset
    }
    for (std::size_t c = 0; c < consumers_.size(); ++c) {
      std::vector<int> mine;
      for (int q = 0; q < n_partitions; ++q) {
        if (owner[static_cast<std::size_t>(q)] == static_cast<int>(c)) mine.push_back(q);
      }
      Consumer& k = consumers_[c];
      if (mine == k.partitions) continue;
      k.partitions = std::move(mine);
      k.rotation = 0;
      if (k.fetch == Fetch::kPolling) serve(static_cast<int>(c));  // the broker sees it at once
    }
    for (std::size_t c = 0; c < consumers_.size(); ++c) kick(static_cast<int>(c));
  }

  // Consumer `c` loses partition `q`: what it holds of q is dropped uncommitted.
  void revoke(int c, int q) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    auto of_q = [q](const Batch& b) { return b.partition == q; };
    std::erase_if(k.inflight, of_q);
    k.buffered.erase(
        std::remove_if(k.buffered.begin() + static_cast<std::ptrdiff_t>(k.buffered_next),
                       k.buffered.end(), of_q),
        k.buffered.end());
    if (k.applying.partition == q) abort_apply(c);
  }

  // Starts whatever consumer `c` can do now.
  void kick(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    if (!k.applying.valid() && has_buffered(k) && k.alive && replica_up_ && consuming_) {
      start_batch(c);
    }
    maybe_fetch(c);
  }

  void maybe_fetch(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    if (k.fetch != Fetch::kNone || has_buffered(k) || k.partitions.empty()) return;
    if (!k.alive || !replica_up_ || !consuming_ || broker_lost_) return;
    send_fetch(c);
  }

  void send_fetch(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    if (!network_.is_up(fetch_path_)) {
      backoff(c);
      return;
    }
    k.fetch = Fetch::kRequest;
    const sim::Time at = network_.transmit(fetch_path_, params_.overhead_bytes);
    engine_.schedule_at(at, [this, c, e = k.fetch_epoch] { on_fetch_request(c, e); });
  }

  void backoff(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    k.fetch = Fetch::kBackoff;
    engine_.schedule_in(params_.retry_interval, [this, c, e = k.fetch_epoch] {
      Consumer& kk = consumers_[static_cast<std::size_t>(c)];
      if (kk.fetch_epoch != e || kk.fetch != Fetch::kBackoff) return;
      kk.fetch = Fetch::kNone;
      maybe_fetch(c);
    });
  }

  void on_fetch_request(int c, std::uint32_t epoch) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    if (k.fetch_epoch != epoch) return;
    if (!broker_up()) {  // connection refused
      backoff(c);
      return;
    }
    k.poll_deadline = engine_.now() + params_.fetch_max_wait;
    serve(c);
  }

  // The broker answers consumer c's fetch with up to max_poll_records visible messages of each of
  // its partitions that has any (starting one partition further each time, so that the applier
  // serves them in turn); if none has, it waits until one does or the deadline passes.
  void serve(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    const sim::Time now = engine_.now();
    const std::size_t n = k.partitions.size();
    k.inflight.clear();
    std::uint64_t bytes = params_.overhead_bytes;
    for (std::size_t i = 0; i < n; ++i) {
      const int q = k.partitions[(k.rotation + i) % n];
      Partition& p = partitions_[static_cast<std::size_t>(q)];
      const std::uint64_t end = p.base + p.log.size();
      if (p.position >= end || p.log[p.position - p.base].visible > now) continue;
      const std::uint64_t limit = std::min<std::uint64_t>(
          end, p.position + static_cast<std::uint64_t>(params_.max_poll_records));
      std::uint64_t last = p.position;
      while (last < limit) {
        const Entry& e = p.log[last - p.base];
        if (e.visible > now) break;
        bytes += std::uint64_t{msg(e.pid).write.bytes} + params_.overhead_bytes;
        ++last;
      }
      k.inflight.push_back(Batch{q, p.position, last});
      p.position = last;
      sample_lag_time(q);
    }
    if (!k.inflight.empty() || n == 0 || now >= k.poll_deadline) {
      if (n > 0) k.rotation = (k.rotation + 1) % n;
      respond(c, bytes);  // empty at the deadline: the consumer fetches again
      return;
    }
    sim::Time wake = k.poll_deadline;
    for (const int q : k.partitions) {
      const Partition& p = partitions_[static_cast<std::size_t>(q)];
      if (p.position < p.base + p.log.size()) {
        wake = std::min(wake, p.log[p.position - p.base].visible);
      }
    }
    k.fetch = Fetch::kPolling;
    arm_wake(c, wake);
  }

  void arm_wake(int c, sim::Time at) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    engine_.cancel(k.wake_event);
    k.wake_at = at;
    k.wake_event = engine_.schedule_at(at, [this, c, e = k.fetch_epoch] {
      Consumer& kk = consumers_[static_cast<std::size_t>(c)];
      if (kk.fetch_epoch != e || kk.fetch != Fetch::kPolling) return;
      kk.wake_event = sim::EventHandle();
      serve(c);
    });
  }

  // A message just appended at `offset` of q, readable from `visible`: a long-polling owner
  // waiting for exactly that offset answers then.
  void wake_owner(int q, std::uint64_t offset, sim::Time visible) {
    const Partition& p = partitions_[static_cast<std::size_t>(q)];
    if (p.owner < 0) return;
    const Consumer& k = consumers_[static_cast<std::size_t>(p.owner)];
    if (k.fetch == Fetch::kPolling && offset == p.position && visible < k.wake_at) {
      arm_wake(p.owner, visible);
    }
  }

  void respond(int c, std::uint64_t bytes) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    engine_.cancel(k.wake_event);
    if (!network_.is_up(consume_path_)) {  // (a cut breaks the session at once; never reached)
      discard_fetch(c);
      backoff(c);
      return;
    }
    k.fetch = Fetch::kResponse;
    const sim::Time at = network_.transmit(consume_path_, bytes);
    engine_.schedule_at(at, [this, c, e = k.fetch_epoch] { on_fetch_response(c, e); });
  }

  void on_fetch_response(int c, std::uint32_t epoch) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    if (k.fetch_epoch != epoch) return;
    k.fetch = Fetch::kNone;
    if (!k.inflight.empty()) {
      k.buffered.swap(k.inflight);  // the buffer was empty: fetches leave only then
      k.buffered_next = 0;
      k.inflight.clear();
      if (!k.applying.valid()) start_batch(c);
    }
    maybe_fetch(c);  // one fetch ahead while the batch is applied
  }

  void start_batch(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    k.applying = k.buffered[k.buffered_next++];
    if (k.buffered_next == k.buffered.size()) {
      k.buffered.clear();
      k.buffered_next = 0;
    }
    k.next = k.applying.from;
    apply_next(c);
  }

  void apply_next(int c) {
    const Consumer& k = consumers_[static_cast<std::size_t>(c)];
    // The message was published a fetch round trip ago and its ledger entry is cold by now: start
    // loading it while other events run.
    const Partition& p = partitions_[static_cast<std::size_t>(k.applying.partition)];
    __builtin_prefetch(find(p.log[k.next - p.base].pid));
    engine_.schedule_in(draw(params_.apply_time, apply_rng_),
                        [this, c, e = k.apply_epoch] { on_applied(c, e); });
  }

  void on_applied(int c, std::uint32_t epoch) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    if (k.apply_epoch != epoch) return;
    Partition& p = partitions_[static_cast<std::size_t>(k.applying.partition)];
    const std::uint64_t offset = k.next;
    if (offset < p.base || offset - p.base >= p.log.size()) {
      throw Error("mq channel '" + params_.name + "': consumer " + std::to_string(c) +
                  " applies offset " + std::to_string(offset) + " outside the log of partition " +
                  std::to_string(k.applying.partition));
    }
    Msg& m = msg(p.log[offset - p.base].pid);
    const bool first = !m.processed;
    m.processed = true;
    const Write w = m.write;  // listeners may publish, which may move the ledger
    ++stats_.processed;
    if (offset < p.processed_hw) {
      ++stats_.redelivered;
    } else {
      p.processed_hw = offset + 1;
    }
    if (!first) ++stats_.duplicates;
    const sim::Time now = engine_.now();
    const ApplyResult result = replica_.apply(w, params_.apply_rule, now);
    switch (result) {
      case ApplyResult::kApplied:
        ++stats_.delivered;
        break;
      case ApplyResult::kDuplicateKey:
      case ApplyResult::kMissingRow:
      case ApplyResult::kSkipped:
        ++stats_.skipped;  // a consumer logs the error and moves on; it does not halt
        break;
      case ApplyResult::kStale:
        ++stats_.stale;
        break;
    }
    if (first) {
      const std::int64_t lag = (now - w.commit_time).ns();
      lag_.record(lag);
      lag_series_.record(now, static_cast<double>(lag));
    }
    k.next = offset + 1;
    if (arrival_listener_) {
      arrival_listener_(w, result);
      if (k.apply_epoch != epoch) return;  // the listener injected a fault
    }
    if (k.next != k.applying.end && !k.stopping) {
      apply_next(c);
      return;
    }
    // At-least-once: commit after the batch is applied, then take the prefetched batch.
    const int q = k.applying.partition;
    const std::uint64_t upto = k.next;
    if (upto != k.applying.end && p.owner == c) {
      // A graceful stop cut the batch short (and dropped what was fetched after it): fetch the
      // rest again on resume.
      p.position = upto;
    }
    k.applying = Batch{};
    k.stopping = false;
    send_commit(c, q, upto);
    kick(c);
  }

  void send_commit(int c, int q, std::uint64_t offset) {
    if (!network_.is_up(fetch_path_)) return;  // commitAsync fails; a later commit covers it
    const sim::Time at = network_.transmit(fetch_path_, params_.overhead_bytes);
    engine_.schedule_at(at, [this, tag = commit_tag(c, q), offset] { on_commit(tag, offset); });
  }

  // What a commit carries besides its offset, in 64 bits so the event stays inline: consumer and
  // partition (below 4096) and the low 16 bits of the consumer's session and of the group
  // generation (65,536 of either during one commit's flight cannot happen).
  [[nodiscard]] std::uint64_t commit_tag(int c, int q) const {
    const Consumer& k = consumers_[static_cast<std::size_t>(c)];
    return (std::uint64_t{k.session & 0xffffu} << 48) |
           (std::uint64_t{generation_ & 0xffffu} << 32) | (static_cast<std::uint64_t>(c) << 16) |
           static_cast<std::uint64_t>(q);
  }

  void on_commit(std::uint64_t tag, std::uint64_t offset) {
    const auto c = static_cast<int>((tag >> 16) & 0xffff);
    const auto q = static_cast<int>(tag & 0xffff);
    // Lost with a broken session; rejected from an older generation (Kafka's ILLEGAL_GENERATION:
    // the partition may have changed hands since) or by a broker that is down.
    if ((commit_tag(c, q) >> 32) != (tag >> 32) || !broker_up()) return;
    commit(q, offset);
  }

  // The consumer's TCP session to the broker broke: its fetch and its commits in flight are lost;
  // it retries after retry_interval. A batch being applied goes on (the data is in the consumer).
  void break_session(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    ++k.session;
    if (k.fetch == Fetch::kRequest || k.fetch == Fetch::kPolling || k.fetch == Fetch::kResponse) {
      discard_fetch(c);
      backoff(c);
    }
  }

  // Abandons the fetch in progress; a batch served but not received is fetched again.
  void discard_fetch(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    ++k.fetch_epoch;
    engine_.cancel(k.wake_event);
    for (const Batch& b : k.inflight) {
      Partition& p = partitions_[static_cast<std::size_t>(b.partition)];
      if (p.owner == c) p.position = b.from;
    }
    k.inflight.clear();
    k.fetch = Fetch::kNone;
  }

  static bool has_buffered(const Consumer& k) { return k.buffered_next < k.buffered.size(); }

  void drop_buffered(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    for (std::size_t i = k.buffered_next; i < k.buffered.size(); ++i) {
      Partition& p = partitions_[static_cast<std::size_t>(k.buffered[i].partition)];
      if (p.owner == c) p.position = k.buffered[i].from;
    }
    k.buffered.clear();
    k.buffered_next = 0;
  }

  void abort_apply(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    ++k.apply_epoch;
    k.applying = Batch{};
    k.stopping = false;
  }

  // Consumer c stops dead (crash, its DC down): everything it held is dropped uncommitted.
  void stop_consumer(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    ++k.session;
    discard_fetch(c);
    k.buffered.clear();
    k.buffered_next = 0;
    abort_apply(c);
  }

  void break_all_sessions() {
    for (std::size_t c = 0; c < consumers_.size(); ++c) break_session(static_cast<int>(c));
  }

  // LinkObserver: a cut on the consume path breaks every consumer's session (the producer's
  // Connection watches the produce path itself).
  void on_link_state(LinkId link, const LinkState& state) override {
    if (state.condition != LinkCondition::kDown) return;
    if (std::find(consume_path_.links.begin(), consume_path_.links.end(), link) ==
        consume_path_.links.end()) {
      return;
    }
    break_all_sessions();
  }

  // --- faults -----------------------------------------------------------------------------------

  void crash_broker(sim::Duration down) {
    if (down < sim::Duration::zero()) {
      throw InvalidArgument("mq channel '" + params_.name + "': crash_broker: down must be >= 0");
    }
    if (broker_lost_) return;
    settle_acks();  // acks that reached the producer before the crash make their messages done
    ++stats_.broker_crashes;
    broker_process_up_ = false;
    drop_unreplicated();
    // The broker's connections reset: the producer resends what it has no ack for.
    drop_producer_session();
    schedule_reconnect();
    break_all_sessions();
    engine_.cancel(broker_restart_event_);
    const sim::Time back = later(engine_.now(), down);
    if (back != sim::Time::max()) {
      broker_restart_event_ = engine_.schedule_at(back, [this] { broker_process_up_ = true; });
    }
  }

  void crash_consumer(int c, sim::Duration down) {
    if (c < 0 || c >= static_cast<int>(consumers_.size())) {
      throw InvalidArgument("mq channel '" + params_.name + "': crash_consumer: consumer " +
                            std::to_string(c) + " out of range [0, " +
                            std::to_string(consumers_.size()) + ")");
    }
    if (down < sim::Duration::zero()) {
      throw InvalidArgument("mq channel '" + params_.name + "': crash_consumer: down must be >= 0");
    }
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    const sim::Time now = engine_.now();
    if (k.alive) {
      ++stats_.consumer_crashes;
      k.alive = false;
      stop_consumer(c);
      // Its partitions wait until the coordinator misses its heartbeats for session_timeout.
      engine_.cancel(k.session_event);
      const sim::Time expiry = later(now, params_.session_timeout);
      if (expiry != sim::Time::max()) {
        k.session_event = engine_.schedule_at(expiry, [this, c] {
          const Consumer& kk = consumers_[static_cast<std::size_t>(c)];
          if (!kk.alive && !kk.partitions.empty()) rebalance(true);
        });
      }
    }
    engine_.cancel(k.restart_event);
    const sim::Time back = later(now, down);
    if (back != sim::Time::max()) {
      k.restart_event = engine_.schedule_at(back, [this, c] { restart_consumer(c); });
    }
  }

  void restart_consumer(int c) {
    Consumer& k = consumers_[static_cast<std::size_t>(c)];
    k.alive = true;
    engine_.cancel(k.session_event);
    // A new process: it knows only the committed offsets.
    for (const int q : k.partitions) {
      Partition& p = partitions_[static_cast<std::size_t>(q)];
      p.position = p.base;
    }
    rebalance(true);  // it joins the group
  }

  void set_source_up(bool up) {
    if (up == source_up_) return;
    source_up_ = up;
    if (!up) {
      drop_producer_session();
      engine_.cancel(reconnect_event_);
      return;
    }
    if (source_lost_) {
      // A rebuilt source DC: a new producer with an empty buffer (it needs a broker too).
      source_lost_ = false;
      producer_stopped_ = broker_lost_;
    }
    if (producer_stopped_) return;
    try_connect();
    arm_giveup();
  }

  void set_broker_up(bool up) {
    if (up == broker_dc_up_) return;
    broker_dc_up_ = up;
    if (up && broker_lost_) {
      // A rebuilt broker DC: an empty broker at the old offsets; the group rejoins.
      broker_lost_ = false;
      producer_stopped_ = source_lost_;
      for (Partition& p : partitions_) p.position = p.base;
      if (replica_up_) rebalance(true);
      if (!producer_stopped_ && source_up_) {
        try_connect();
        arm_giveup();
      }
      return;
    }
    if (up || broker_lost_) return;  // the producer and consumers reconnect at their next retry
    // Storage is kept: nothing is lost, but every connection to the broker breaks.
    drop_producer_session();
    schedule_reconnect();
    break_all_sessions();
  }

  void set_replica_up(bool up) {
    if (up == replica_up_) return;
    replica_up_ = up;
    if (!up) {
      for (std::size_t c = 0; c < consumers_.size(); ++c) stop_consumer(static_cast<int>(c));
      return;
    }
    // The consumers rejoin and resume from the committed offsets.
    for (Partition& p : partitions_) p.position = p.base;
    rebalance(true);
  }

  void set_consuming(bool on) {
    if (on == consuming_) return;
    consuming_ = on;
    if (!on) {
      stopped_since_ = engine_.now();
      for (std::size_t c = 0; c < consumers_.size(); ++c) {
        const int ci = static_cast<int>(c);
        Consumer& k = consumers_[c];
        if (k.fetch != Fetch::kNone) discard_fetch(ci);
        drop_buffered(ci);
        if (k.applying.valid()) k.stopping = true;
      }
      return;
    }
    stopped_total_ += engine_.now() - stopped_since_;
    for (std::size_t c = 0; c < consumers_.size(); ++c) kick(static_cast<int>(c));
  }

  void stop_producer_for_good() {
    producer_stopped_ = true;
    drop_producer_session();
    engine_.cancel(reconnect_event_);
    engine_.cancel(giveup_event_);
    to_send_.clear();
  }

  std::vector<Write> lose_source() {
    std::vector<Write> lost;
    if (source_lost_) return lost;
    source_lost_ = true;
    stop_producer_for_good();
    for (std::size_t i = 0; i < ledger_.size(); ++i) {
      Msg& m = ledger_[i];
      if (m.state == PubState::kDone) continue;
      m.state = PubState::kDone;
      --outstanding_;
      // What has no copy anywhere is gone; the rest is the broker's now.
      if (m.copies == 0 && !m.processed) lost.push_back(m.write);
      seal_if_done(m);
    }
    trim_ledger();
    return lost;
  }

  std::uint64_t lose_broker() {
    if (broker_lost_) return 0;
    settle_acks();
    broker_lost_ = true;
    std::uint64_t count = 0;
    for (std::size_t q = 0; q < partitions_.size(); ++q) {
      Partition& p = partitions_[q];
      while (!p.log.empty()) {
        const Entry e = p.log.back();
        p.log.pop_back();
        Msg& m = msg(e.pid);
        --m.copies;
        m.loss = Loss::kBrokerLost;
        ++count;
      }
      set_lag_gauge(static_cast<int>(q));
    }
    backlog_ = 0;
    for (std::size_t c = 0; c < consumers_.size(); ++c) stop_consumer(static_cast<int>(c));
    stop_producer_for_good();
    for (std::size_t i = 0; i < ledger_.size(); ++i) {
      Msg& m = ledger_[i];
      if (m.state != PubState::kDone) {
        m.state = PubState::kDone;
        --outstanding_;
      }
      seal_if_done(m);
    }
    trim_ledger();
    return count;
  }

  // --- accessors --------------------------------------------------------------------------------

  const Partition& partition(int q, const char* what) const {
    if (q < 0 || q >= static_cast<int>(partitions_.size())) {
      throw InvalidArgument("mq channel '" + params_.name + "': " + what + ": partition " +
                            std::to_string(q) + " out of range [0, " +
                            std::to_string(partitions_.size()) + ")");
    }
    return partitions_[static_cast<std::size_t>(q)];
  }

  const Consumer& consumer(int c, const char* what) const {
    if (c < 0 || c >= static_cast<int>(consumers_.size())) {
      throw InvalidArgument("mq channel '" + params_.name + "': " + what + ": consumer " +
                            std::to_string(c) + " out of range [0, " +
                            std::to_string(consumers_.size()) + ")");
    }
    return consumers_[static_cast<std::size_t>(c)];
  }

  [[nodiscard]] std::uint64_t unreplicated() const {
    const sim::Time now = engine_.now();
    std::uint64_t n = 0;
    for (const Partition& p : partitions_) {
      for (std::size_t i = p.log.size(); i > 0 && p.log[i - 1].visible > now; --i) ++n;
    }
    return n;
  }

  // Accessors settle pending acks first: that only does now what is already due (see
  // settle_acks()), so the channel is logically unchanged.
  void settle() const { const_cast<Impl*>(this)->settle_acks(); }

  const MqChannelStats& stats() const {
    settle();
    stats_.stopped = stopped_total_;
    if (!consuming_) stats_.stopped += engine_.now() - stopped_since_;
    return stats_;
  }
};

// --- MqChannel
// ------------------------------------------------------------------------------------

MqChannel::MqChannel(Network& network, Path produce_path, Path consume_path, Store& replica,
                     const MqChannelParams& params, std::uint64_t seed) {
  validate(params, network, produce_path, consume_path, replica);
  impl_ = std::make_unique<Impl>(network, std::move(produce_path), std::move(consume_path), replica,
                                 params, seed);
}

MqChannel::~MqChannel() = default;

void MqChannel::publish(const Write& w) { impl_->publish(w); }

void MqChannel::set_ack_listener(std::function<void(const Write&, sim::Time)> listener) {
  impl_->set_ack_listener(std::move(listener));
}

void MqChannel::set_arrival_listener(std::function<void(const Write&, ApplyResult)> listener) {
  impl_->arrival_listener_ = std::move(listener);
}

void MqChannel::crash_broker(sim::Duration down) { impl_->crash_broker(down); }
void MqChannel::crash_consumer(int consumer, sim::Duration down) {
  impl_->crash_consumer(consumer, down);
}
void MqChannel::set_source_up(bool up) { impl_->set_source_up(up); }
void MqChannel::set_broker_up(bool up) { impl_->set_broker_up(up); }
void MqChannel::set_replica_up(bool up) { impl_->set_replica_up(up); }
void MqChannel::set_consuming(bool on) { impl_->set_consuming(on); }
std::vector<Write> MqChannel::lose_source() { return impl_->lose_source(); }
std::uint64_t MqChannel::lose_broker() { return impl_->lose_broker(); }

const std::string& MqChannel::name() const { return impl_->params_.name; }
const MqChannelParams& MqChannel::params() const { return impl_->params_; }
const Path& MqChannel::produce_path() const { return impl_->produce_path_; }
const Path& MqChannel::consume_path() const { return impl_->consume_path_; }
const MqChannelStats& MqChannel::stats() const { return impl_->stats(); }
const sim::Histogram& MqChannel::lag() const { return impl_->lag_; }
const sim::SampleSeries& MqChannel::lag_series() const { return impl_->lag_series_; }
const std::vector<sim::GaugeSeries>& MqChannel::consumer_lag_messages() const {
  return impl_->consumer_lag_messages_;
}
const std::vector<sim::SampleSeries>& MqChannel::consumer_lag_time() const {
  return impl_->consumer_lag_time_;
}
std::uint64_t MqChannel::backlog() const { return impl_->backlog_; }
std::uint64_t MqChannel::unacknowledged() const {
  impl_->settle();
  return impl_->outstanding_;
}
const sim::Histogram& MqChannel::log_residence() const { return impl_->residence_; }
std::uint64_t MqChannel::unreplicated() const { return impl_->unreplicated(); }

std::uint64_t MqChannel::log_end_offset(int partition) const {
  const auto& p = impl_->partition(partition, "log_end_offset");
  return p.base + p.log.size();
}
std::uint64_t MqChannel::committed_offset(int partition) const {
  return impl_->partition(partition, "committed_offset").base;
}
std::uint64_t MqChannel::processed_offset(int partition) const {
  return impl_->partition(partition, "processed_offset").processed_hw;
}
std::vector<int> MqChannel::assignment(int consumer) const {
  return impl_->consumer(consumer, "assignment").partitions;
}
bool MqChannel::consumer_alive(int consumer) const {
  return impl_->consumer(consumer, "consumer_alive").alive;
}

}  // namespace geodes::models
