// Message-queue sync (Kafka / RocketMQ) of one data class from one source DC to one replica DC
// (DOMAIN.md step 3; REFERENCE.md "Message queues"):
//
//   source commit -> producer (source DC) -> produce path -> broker (a DC; one topic for the data
//   class, `partitions` partitions) -> consume path -> consumer group at the replica DC (N
//   consumers, partitions assigned to them) -> apply rule -> replica store
//
// Behaviour that must *emerge* from the model, not be scripted:
//   * Partitioning: `by_key` hashes the key (a key's messages stay in one partition, in order);
//     `round_robin` spreads consecutive messages over partitions, so updates of one key can be
//     applied out of order by different consumers: order violations under `overwrite`.
//   * Order only within a partition: each partition is consumed by one consumer at a time, in
//     offset order; different partitions are consumed in parallel.
//   * Producer acks: `0` (fire and forget: acknowledged when sent), `1` (when the leader has
//     appended), `all` (when the followers have copied it too, `replication_time` after the
//     append). A broker crash loses what its followers had not copied: under acks 0 and 1 those
//     messages are gone; under `all` they were never acknowledged, so the producer retries them.
//   * Producer retries: a publish without an ack within `request_timeout` is sent again, and so
//     is every unacknowledged publish when the producer's connection breaks (a cut link, a broker
//     crash or outage: the producer reconnects every `retry_interval` and resends them in publish
//     order); if the first copy was in fact appended (its ack was lost, e.g. by a crash between
//     append and ack), the log holds it twice: a duplicate. Unless `idempotent`
//     (enable.idempotence, which Kafka allows only with acks=all), which lets the broker drop the
//     second copy by its per-partition producer sequence number.
//   * Responses on the producer's connection come back in request order (Kafka's rule), so a slow
//     replication holds back the acks behind it. Consumers read only replicated messages (below
//     the high watermark), whatever `acks` is.
//   * Consumers poll up to `max_poll_records` messages of a partition, apply them one by one
//     (`apply_time` each), then commit the offset (at-least-once: commit after apply; the commit
//     is a request to the broker, lost if the consumer's session breaks first). Each consumer
//     keeps one fetch ahead (Kafka's fetcher prefetches while the application processes), and a
//     fetch finding nothing waits at the broker up to `fetch_max_wait`. A cut consume path breaks
//     the fetch sessions; consumers retry after `retry_interval`. A consumer
//     that crashes, or loses its partitions in a rebalance, before committing leaves the
//     uncommitted window to be redelivered from the last committed offset: duplicates.
//   * Rebalance: when a consumer dies, its partitions stay unconsumed for `session_timeout`
//     (Kafka's session.timeout.ms, 45 s) and are then reassigned to the live consumers; a consumer
//     that comes back triggers another (immediate) reassignment. Only partitions that change
//     owner are revoked (cooperative rebalancing); the others keep flowing. Assignment is `range`
//     or `round_robin` over the live consumers in index order.
//
// "Duplicate" (stats().duplicates): a message processed by a consumer whose write this channel
// had already processed once (a redelivery or a producer retry copy). Duplicates are harmless
// only under an idempotent apply rule (insert_if_absent, last_writer_wins).
//
// Lag of a write: replica apply time of its first processing minus its origin commit time.
// Consumer lag of a partition: messages appended and not yet committed by the group (messages),
// and the age of the oldest such message (time).
//
// A message's fate is sealed when the producer is done with it (acknowledged, given up, or its
// source lost) and no copy of it is left on the wire or in the log; a sealed message that no
// consumer ever processed is counted lost, once, in the lost_* counter of its cause.
//
// Events: consumers poll forever (an empty fetch returns every `fetch_max_wait`), so a run with an
// MQ channel never runs out of events: drive it with Engine::run_until(), and call a channel
// caught up when backlog() and unacknowledged() are 0.
//
// Determinism: draws come from streams "mq/<name>/<source>-><replica>/..." under the seed; ties
// are broken by partition and consumer index; nothing iterates an unordered container.
// Memory: the log keeps only messages not yet committed by the consumer group; the producer's
// ledger spans from the oldest message whose fate is not sealed to the newest; statistics are
// histograms and per-interval series.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "geodes/models/data/store.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/sim/distribution.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/time_series.hpp"

namespace geodes::models {

enum class MqAcks : std::uint8_t { k0, k1, kAll };
enum class MqPartitioning : std::uint8_t { kByKey, kRoundRobin };
/// How the group spreads partitions over its live consumers (Kafka's RangeAssignor and
/// RoundRobinAssignor): `range` gives each consumer a contiguous block, `round_robin` deals them.
enum class MqAssignment : std::uint8_t { kRange, kRoundRobin };

struct MqChannelParams {
  std::string name = "mq";
  /// Partitions of the topic (1 to 4096).
  int partitions = 8;
  MqPartitioning partitioning = MqPartitioning::kByKey;
  /// Kafka's default since 3.0 (REFERENCE.md).
  MqAcks acks = MqAcks::kAll;
  /// enable.idempotence: the broker drops a retried copy of a message it already holds.
  /// REQUIRES acks = all (as Kafka does).
  bool idempotent = false;
  /// Time for the followers to copy an appended message, in ns (in-DC replication).
  sim::Distribution replication_time = sim::Distribution::constant(1e6);  // 1 ms
  /// Broker time to append one message, in ns.
  sim::Distribution append_time = sim::Distribution::constant(2e5);  // 0.2 ms
  /// A publish not acknowledged within this is sent again (request.timeout.ms is 30 s; a
  /// smaller figure keeps retries visible in short runs).
  sim::Duration request_timeout{5'000'000'000};  // 5 s
  /// A publish not acknowledged within this of its first send is given up: lost unless a copy
  /// had reached the log (delivery.timeout.ms, 120 s). REQUIRES >= request_timeout. Publishes that
  /// wait unsent (no connection, source down) are not timed out; the clock stops while the source
  /// is down and a publish past its deadline is given up once it runs again.
  sim::Duration delivery_timeout{120'000'000'000};
  /// Consumers in the replica DC's group (1 to 4096); more than `partitions` leaves some idle.
  int consumers = 1;
  MqAssignment assignment = MqAssignment::kRange;
  /// max.poll.records (500); at least 1.
  int max_poll_records = 500;
  /// A fetch finding nothing waits this long at the broker for data (fetch.max.wait.ms, 500 ms);
  /// > 0.
  sim::Duration fetch_max_wait{500'000'000};
  /// Time one consumer takes to apply one message, in ns.
  sim::Distribution apply_time = sim::Distribution::exponential(100'000);  // 0.1 ms
  /// session.timeout.ms (45 s since Kafka 3.0): the rebalance pause after a consumer dies.
  sim::Duration session_timeout{45'000'000'000};
  /// Wait before a consumer or producer retries a broken connection.
  sim::Duration retry_interval{1'000'000'000};  // 1 s
  /// How the replica applies messages.
  ApplyRule apply_rule = ApplyRule::kInsertIfAbsent;
  /// Bytes a message adds to the write's own size (headers, offsets); also the size of a fetch
  /// request, an empty fetch response, an offset commit and a produce ack.
  std::uint32_t overhead_bytes = 64;
  /// Interval of the lag and consumer-lag time series.
  sim::Duration series_interval{1'000'000'000};
};

/// What an MQ channel measured (DESIGN.md metrics; issue "Message-queue sync").
struct MqChannelStats {
  std::uint64_t published = 0;         ///< writes handed to the producer
  std::uint64_t producer_retries = 0;  ///< publishes sent again after no ack
  std::uint64_t appended = 0;          ///< messages in the log, retry copies included
  std::uint64_t acknowledged = 0;      ///< publishes the producer saw acknowledged
  std::uint64_t processed = 0;         ///< messages consumers finished, redeliveries included
  std::uint64_t delivered = 0;         ///< messages applied to the replica store (kApplied)
  std::uint64_t duplicates = 0;        ///< see the file comment
  std::uint64_t redelivered = 0;       ///< messages processed again after a crash/rebalance
  std::uint64_t skipped = 0;           ///< the apply rule skipped it (kSkipped, errors)
  std::uint64_t stale = 0;             ///< last_writer_wins found it older than the row
  /// Dropped by a broker crash before followers had them, and not sent again (the producer had
  /// its ack: acks 0/1).
  std::uint64_t lost_unreplicated = 0;
  std::uint64_t lost_producer = 0;    ///< never appended (source lost, delivery timeout, acks 0)
  std::uint64_t lost_broker = 0;      ///< in the log, unprocessed, when the broker DC was lost
  std::uint64_t lost_in_transit = 0;  ///< lost_unreplicated + lost_producer + lost_broker
  std::uint64_t broker_crashes = 0;
  std::uint64_t consumer_crashes = 0;
  std::uint64_t rebalances = 0;
  sim::Duration stopped;  ///< total time consumption was stopped (channel_stop)
};

class MqChannel {
 public:
  /// One channel of data class `replica.data_class()`: the producer at produce_path.from (the
  /// source DC), the broker at produce_path.to == consume_path.from, the consumer group at
  /// consume_path.to == replica.dc(). A path with from == to is local (no links). REQUIRES:
  /// network and replica outlive the channel. Throws InvalidArgument on bad parameters (naming
  /// the channel and the parameter) or paths that do not join up. Consumers start at once.
  MqChannel(Network& network, Path produce_path, Path consume_path, Store& replica,
            const MqChannelParams& params, std::uint64_t seed);
  ~MqChannel();
  MqChannel(const MqChannel&) = delete;
  MqChannel& operator=(const MqChannel&) = delete;

  /// A write just committed at the source DC: publish it (unless it originated at the replica
  /// DC: loop prevention by origin, counted nowhere).
  void publish(const Write& w);

  /// Called when the producer sees a publish acknowledged (per `acks`), with the time; from inside
  /// publish() when that is at once (acks 0, or a broker in the source DC with nothing to wait
  /// for). Setting a listener costs one event per ack; without one, acks are taken in lazily.
  void set_ack_listener(std::function<void(const Write&, sim::Time)> listener);
  /// Called for every message a consumer finishes, redeliveries and duplicates included, with
  /// the store's verdict. Multi-channel tracking counts arrivals with it.
  void set_arrival_listener(std::function<void(const Write&, ApplyResult)> listener);

  // --- faults (called by the System at a fault's start and end) ---------------------------------
  /// The broker process crashes now and is unavailable for `down`: messages its followers had
  /// not copied are lost (acks 0/1) or were never acknowledged (all: the producer retries).
  /// Fetches and publishes fail until it is back.
  void crash_broker(sim::Duration down);
  /// Consumer `consumer` (0-based) dies now and restarts after `down`; its uncommitted window
  /// is redelivered after the rebalance. Throws InvalidArgument on a bad index.
  void crash_consumer(int consumer, sim::Duration down);
  /// The source DC's applications stop (false) or resume (true): unsent publishes wait.
  void set_source_up(bool up);
  /// The broker's DC is down (false) or back (true): like a crash, but its storage is kept.
  void set_broker_up(bool up);
  /// The replica DC is down (false) or back (true): consumers stop; on return they resume from
  /// the committed offsets (the uncommitted window is redelivered).
  void set_replica_up(bool up);
  /// channel_stop: consumption stops (false) or resumes (true); publishing goes on. A graceful
  /// stop: each consumer finishes the message it is applying and commits; fetched, unapplied
  /// messages are fetched again on resume.
  void set_consuming(bool on);
  /// The source DC is destroyed now: publishes not yet appended (or whose copies a broker crash
  /// dropped) and never processed are lost for good (returned, in publish order) and the producer
  /// stops; publish() calls until the DC is rebuilt count as published and lost. A later
  /// set_source_up(true) is the rebuilt DC: a new producer with an empty buffer.
  std::vector<Write> lose_source();
  /// The broker's DC is destroyed now: every message not yet committed by the group is lost for
  /// good (returned count) and the channel stops (publishes not yet appended are lost too;
  /// batches the consumers had fetched are dropped with their sessions). A later
  /// set_broker_up(true) is the rebuilt DC: an empty broker, continuing the offsets; the group
  /// rejoins.
  std::uint64_t lose_broker();

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] const MqChannelParams& params() const;
  [[nodiscard]] const Path& produce_path() const;
  [[nodiscard]] const Path& consume_path() const;
  [[nodiscard]] const MqChannelStats& stats() const;

  /// End-to-end lag of each write's first processing, ns.
  [[nodiscard]] const sim::Histogram& lag() const;
  [[nodiscard]] const sim::SampleSeries& lag_series() const;
  /// Per partition: messages appended and not committed by the group, over time.
  [[nodiscard]] const std::vector<sim::GaugeSeries>& consumer_lag_messages() const;
  /// Per partition: the age of the oldest uncommitted message (ns), sampled at each commit and
  /// fetch.
  [[nodiscard]] const std::vector<sim::SampleSeries>& consumer_lag_time() const;
  /// Messages in the log not yet committed by the group, over all partitions.
  [[nodiscard]] std::uint64_t backlog() const;
  /// Publishes handed to the producer and not yet acknowledged, given up or lost.
  [[nodiscard]] std::uint64_t unacknowledged() const;

  // --- the group's and the log's state, for tests and reports -----------------------------------
  // Offsets are per partition, 0-based; `partition` must be in [0, partitions) and `consumer` in
  // [0, consumers), else InvalidArgument.
  /// Time each message copy spent in the log, from reaching the broker to its commit, ns (Little's
  /// law: its mean times the commit rate is the mean of consumer_lag_messages()).
  [[nodiscard]] const sim::Histogram& log_residence() const;
  /// Messages in the log not yet copied by the followers: a broker crash now would drop them.
  [[nodiscard]] std::uint64_t unreplicated() const;
  /// One past the last offset appended.
  [[nodiscard]] std::uint64_t log_end_offset(int partition) const;
  /// The group's committed offset, as the broker holds it (messages below it are gone).
  [[nodiscard]] std::uint64_t committed_offset(int partition) const;
  /// One past the highest offset any consumer has finished processing: a crash now redelivers
  /// [committed_offset, processed_offset) as duplicates.
  [[nodiscard]] std::uint64_t processed_offset(int partition) const;
  /// The partitions `consumer` owns now, ascending (a dead consumer keeps them until its session
  /// times out).
  [[nodiscard]] std::vector<int> assignment(int consumer) const;
  /// False while `consumer` is crashed.
  [[nodiscard]] bool consumer_alive(int consumer) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* to_string(MqAcks acks);
const char* to_string(MqPartitioning partitioning);
/// "0", "1", "all". Throws InvalidArgument naming the bad value and the allowed ones.
MqAcks parse_mq_acks(const std::string& text);
/// "by_key", "round_robin". Throws InvalidArgument naming the bad value and the allowed ones.
MqPartitioning parse_mq_partitioning(const std::string& text);
const char* to_string(MqAssignment assignment);
/// "range", "round_robin". Throws InvalidArgument naming the bad value and the allowed ones.
MqAssignment parse_mq_assignment(const std::string& text);

}  // namespace geodes::models
