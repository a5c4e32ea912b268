// MySQL binlog replication from one source DC to one replica DC, as MySQL does it
// (DOMAIN.md step 3; REFERENCE.md "MySQL replication"):
//
//   source commit -> binlog (commit order, with sizes) -> dump thread -> Connection over the pinned
//   path -> replica I/O thread -> relay log -> applier (1 thread, or N workers `by_key` or
//   `writeset`) -> replica store, under the channel's apply rule.
//
// * async (default): the client's commit returns at once. semi_sync: it returns when the replica
//   has written the event to its relay log and its ack has come back; if no ack arrives within
//   `semi_sync_timeout` (MySQL: rpl_semi_sync_source_timeout, 10 s) the source falls back to async,
//   releasing every waiting commit, and returns to semi-sync when the replica acks the binlog's end
//   (it has caught up). AFTER_SYNC semantics: an acknowledged write is in the replica's relay log.
// * Link loss: the connection breaks; the I/O thread tries to reconnect every `retry_interval`
//   (MySQL's MASTER_CONNECT_RETRY, 60 s) and resumes from the end of its relay log, so nothing is
//   skipped and nothing is received twice.
// * Duplicate key (error 1062) or missing row (error 1032) under the `strict` rule: `stop` halts
//   the applier (Slave_SQL_Running: No) until an operator skips the event `operator_fix_time`
//   later; `skip` drops the event (slave_skip_errors=1062); `overwrite` applies it as REPLACE INTO
//   (slave_exec_mode=IDEMPOTENT).
// * Master-master: build one channel per direction. A channel ships every write its source store
//   takes (local commits and, like log_replica_updates, writes replicated into it), except writes
//   that originated at its replica: loop prevention by origin (server id / GTID).
//
// Memory: the binlog keeps only events not yet in the replica's relay log, the relay log only
// events not yet applied; statistics are histograms and per-interval series. Nothing grows with
// the number of writes that have been applied.
//
// Determinism: draws come from the stream "mysql/<name>/apply"; ties between workers go to the
// lowest-numbered free worker.
//
// Speed: an async channel with one applier holds its connection while the applier is busy
// (Connection::hold), so a write that arrives during an apply costs no delivery event: the
// applier takes every write that has arrived, with its arrival time, when it finishes, and the
// channel does so too before any fault acts on it and whenever its relay-side state is read
// (stats(), relay_backlog(), unshipped(), backlog_series()). What happens is what delivery by
// event gives, to the nanosecond; only the run's event count and fingerprint differ. (A fault at
// the very instant of an arrival acts first, as it does when its event was scheduled before the
// delivery's.)
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "geodes/models/data/store.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/sim/distribution.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/time_series.hpp"

namespace geodes::models {

enum class ReplicationMode : std::uint8_t { kAsync, kSemiSync };
enum class ApplierParallelism : std::uint8_t { kByKey, kWriteset };
enum class OnDuplicate : std::uint8_t { kStop, kSkip, kOverwrite };

struct MysqlChannelParams {
  std::string name = "mysql";
  ReplicationMode mode = ReplicationMode::kAsync;
  /// rpl_semi_sync_source_timeout (MySQL default 10 s).
  sim::Duration semi_sync_timeout{10'000'000'000};
  /// Applier threads: 1 applies in strict commit order; N > 1 uses `parallelism`.
  int threads = 1;
  ApplierParallelism parallelism = ApplierParallelism::kByKey;
  /// Time one worker takes to apply one write, in ns.
  sim::Distribution apply_time = sim::Distribution::exponential(100'000);  // 0.1 ms
  /// MASTER_CONNECT_RETRY (MySQL default 60 s).
  sim::Duration retry_interval{60'000'000'000};
  /// How the replica applies writes; errors 1062/1032 arise only under kStrict.
  ApplyRule apply_rule = ApplyRule::kStrict;
  OnDuplicate on_duplicate = OnDuplicate::kStop;
  /// With on_duplicate = stop: time until an operator skips the failing event and restarts.
  sim::Duration operator_fix_time{1'800'000'000'000};  // 30 min
  /// Bytes of a semi-sync ack on the wire.
  std::uint32_t ack_bytes = 64;
  /// Interval of the lag and backlog time series.
  sim::Duration series_interval{1'000'000'000};
};

/// What a channel measured (DESIGN.md metrics for this slice).
struct MysqlChannelStats {
  std::uint64_t shipped = 0;              ///< writes put in the binlog for this replica
  std::uint64_t loop_filtered = 0;        ///< writes not shipped: they came from the replica
  std::uint64_t received = 0;             ///< writes written to the relay log
  std::uint64_t delivered = 0;            ///< writes applied to the replica store
  std::uint64_t errors_1062 = 0;          ///< duplicate-key errors met (strict rule)
  std::uint64_t errors_1032 = 0;          ///< missing-row errors met (strict rule)
  std::uint64_t skipped = 0;              ///< writes the rule or on_duplicate dropped
  std::uint64_t stale = 0;                ///< writes last-writer-wins found older than the row
  std::uint64_t operator_fixes = 0;       ///< times an operator restarted a stopped applier
  std::uint64_t reconnects = 0;           ///< successful reconnections of the I/O thread
  std::uint64_t repositioned = 0;         ///< writes skipped by reposition_to_end()
  std::uint64_t semi_sync_fallbacks = 0;  ///< switches from semi-sync to async
  std::uint64_t semi_sync_returns = 0;    ///< switches back to semi-sync
  sim::Duration stopped;                  ///< total time the applier was halted by an error
  sim::Duration replication_stopped;      ///< total time stopped by STOP REPLICA (channel_stop)
  sim::Duration disconnected;             ///< total time the I/O thread had no connection
};

class MysqlChannel : private Connection::Receiver {
 public:
  /// A channel from `source` to `replica` over `path` (path.from must be source.dc() and path.to
  /// replica.dc()). REQUIRES: network, stores outlive the channel. Throws InvalidArgument on bad
  /// parameters or a path that does not join the two stores' DCs. Connects at once.
  MysqlChannel(Network& network, Path path, Store& source, Store& replica,
               const MysqlChannelParams& params, std::uint64_t seed);
  ~MysqlChannel() override;
  MysqlChannel(const MysqlChannel&) = delete;
  MysqlChannel& operator=(const MysqlChannel&) = delete;

  /// A write the source store has just taken (local commit or replicated in). Ships it unless it
  /// originated at the replica. Under semi-sync, the client's commit is acknowledged later (see
  /// set_ack_listener); under async at once.
  void ship(const Write& w);

  /// Called when a shipped write's commit is acknowledged to its client, with the time.
  void set_ack_listener(std::function<void(const Write&, sim::Time)> listener);
  /// Called after each write applied to the replica store (to chain channels: log_replica_updates).
  void set_apply_listener(std::function<void(const Write&)> listener);
  /// Called for every write the applier finishes with, applied or not, with the store's verdict
  /// (kApplied, or the error/skip it met; a write that halts the applier reports kDuplicateKey or
  /// kMissingRow once, when it fails). Multi-channel tracking counts arrivals with it.
  void set_arrival_listener(std::function<void(const Write&, ApplyResult)> listener);

  /// Writes of data class `cls` go to `replica` (a store of that class in the replica DC); writes
  /// of classes never added go to the constructor's replica store. One MySQL replication channel
  /// carries every table of its databases in one binlog: an error that halts the applier halts
  /// all of them. Throws InvalidArgument if `replica` is in another DC.
  void add_data_class(DataClassId cls, Store& replica);

  // --- faults (called by the System at a fault's start and end) ---------------------------------
  /// The source DC stops (false: the dump thread dies with it, clients waiting for a semi-sync ack
  /// are never acknowledged, the binlog is kept) or comes back (true: the replica's I/O thread
  /// reconnects at once and resumes from its position, so the unshipped tail ships now).
  void set_source_up(bool up);
  /// The replica DC stops (false: I/O and SQL threads stop; the relay log is kept; writes being
  /// applied finish) or comes back (true: both threads start again).
  void set_replica_up(bool up);
  /// STOP REPLICA (false) / START REPLICA (true): the I/O and SQL threads stop or start.
  void set_replicating(bool on);
  /// The source DC's storage is destroyed now: the binlog with it. Returns the writes that never
  /// reached the relay log (lost unless another copy exists), in commit order. Shipping resumes
  /// with new writes once set_source_up(true) is called (a rebuilt DC).
  std::vector<Write> lose_source();
  /// CHANGE REPLICATION SOURCE TO the source's current binlog position, for a replica rebuilt
  /// from a snapshot that already holds every write the source has committed: the writes not
  /// yet in the relay log are skipped (counted in stats().repositioned) and commits waiting for
  /// their semi-sync ack are released. Returns how many were skipped.
  std::uint64_t reposition_to_end();
  /// The replica DC's storage is destroyed now: the relay log with it. Returns the writes that
  /// were received but not applied. The I/O thread resumes after the received ones.
  std::vector<Write> lose_replica();

  [[nodiscard]] const std::string& name() const { return params_.name; }
  [[nodiscard]] const Path& path() const { return connection_.path(); }
  [[nodiscard]] const MysqlChannelParams& params() const { return params_; }
  /// Not const, like the relay-side accessors below: they first take what the connection holds
  /// (see "Speed" above), which changes nothing the channel does.
  [[nodiscard]] const MysqlChannelStats& stats();
  /// True while semi-sync is configured and not fallen back to async.
  [[nodiscard]] bool semi_sync_active() const { return semi_sync_active_; }
  /// True while the applier is halted by an error.
  [[nodiscard]] bool applier_stopped() const { return halted_; }
  /// True while the SQL (applier) thread may run: replica up, replicating, not halted.
  [[nodiscard]] bool applier_running() const { return replica_up_ && replicating_ && !halted_; }
  [[nodiscard]] bool connected() const { return connection_.is_open(); }
  /// Writes in the relay log not yet applied (including those being applied).
  [[nodiscard]] std::uint64_t relay_backlog() {
    settle();
    return in_relay();
  }
  /// Writes committed at the source but not yet in the relay log.
  [[nodiscard]] std::uint64_t unshipped() {
    settle();
    return stats_.shipped - stats_.received;
  }

  /// Lag of each applied write: replica apply time minus origin commit time, ns.
  [[nodiscard]] const sim::Histogram& lag() const { return lag_; }
  /// Time each write spent in the relay log (arrival to applied), ns.
  [[nodiscard]] const sim::Histogram& relay_residence() const { return relay_residence_; }
  /// Semi-sync (and async, ~0) commit latency seen by clients, ns.
  [[nodiscard]] const sim::Histogram& commit_latency() const { return commit_latency_; }
  [[nodiscard]] const sim::SampleSeries& lag_series() const { return lag_series_; }
  /// Relay-log backlog (writes) over time.
  [[nodiscard]] const sim::GaugeSeries& backlog_series() {
    settle();
    return backlog_series_;
  }

 private:
  struct Relayed {
    Write write;
    sim::Time arrived;
  };
  struct Worker {
    bool busy = false;
    std::uint64_t key = 0;
    DataClassId data_class;
    Relayed item;
    std::deque<Relayed> queue;  // by_key only
  };

  // Connection::Receiver
  void on_deliver(std::uint64_t position, sim::Time arrival) override;
  void on_connected() override;
  void on_broken() override;

  // The relay log receives `position`, which arrived at `arrival` (<= now).
  void receive(std::uint64_t position, sim::Time arrival);
  // Takes, in order, what the held connection has received by `upto` (see "Speed").
  void take_arrived(sim::Time upto);
  // Everything that arrived by now: the state as delivery by event has it after this instant.
  void settle() { take_arrived(engine_.now()); }
  // What arrived strictly before now: the state a fault acting now finds.
  void settle_before_now();
  [[nodiscard]] bool holds_while_busy() const {
    return params_.threads == 1 && params_.mode == ReplicationMode::kAsync;
  }
  [[nodiscard]] std::uint64_t in_relay() const { return stats_.received - processed_; }
  void apply_finished(std::size_t worker);
  void acknowledge(const Write& w);
  void send_pending();
  void arm_semi_sync_timer();
  void semi_sync_timeout(std::uint64_t position);
  void on_ack(std::uint64_t position);
  void send_ack(std::uint64_t position);
  void dispatch();
  void start(std::size_t worker, const Relayed& item);
  void finish(std::size_t worker);
  void halt();
  void operator_fix();
  void record_applied(const Relayed& item);
  void set_backlog_gauge() { backlog_series_.set(engine_.now(), static_cast<double>(in_relay())); }
  void restart_threads(bool io_was_running);
  void stop_io_thread();
  void mark_disconnected();
  void schedule_reconnect();
  void reconnect_at_next_retry();
  void reconnect();
  [[nodiscard]] bool io_should_run() const { return source_up_ && replica_up_ && replicating_; }
  [[nodiscard]] Store& replica_for(DataClassId cls) const {
    return cls.value < replicas_.size() && replicas_[cls.value] != nullptr ? *replicas_[cls.value]
                                                                           : replica_;
  }
  [[nodiscard]] std::size_t worker_for(const Write& w) const;

  Network& network_;
  sim::Engine& engine_;
  Store& replica_;
  MysqlChannelParams params_;
  sim::Rng apply_rng_;
  Connection connection_;
  Path ack_path_;  // replica -> source, for semi-sync acks on the same TCP connection
  std::uint64_t link_epoch_ = 0;  // bumped when the connection breaks: acks in flight are lost
  sim::Time last_ack_arrival_;
  sim::EventHandle reconnect_event_;
  sim::Time retry_origin_;  // when the I/O thread started retrying a source that is down
  bool ever_connected_ = false;
  bool disconnected_ = false;
  sim::Time disconnected_since_;
  sim::Duration disconnected_total_;

  // Binlog positions are 1, 2, 3 ... in ship order. binlog_ holds positions
  // [binlog_base_, binlog_base_ + binlog_.size()): those not yet in the relay log.
  std::deque<Write> binlog_;
  std::uint64_t binlog_base_ = 1;
  std::uint64_t next_to_send_ = 1;  // next position the dump thread sends
  bool source_up_ = true;
  bool replica_up_ = true;
  bool replicating_ = true;
  sim::Time replicating_stopped_since_;
  sim::Duration replicating_stopped_total_;
  std::vector<Store*> replicas_;  // by data class id; null: replica_

  // Replica side.
  std::deque<Relayed> relay_;  // writeset / single thread: shared queue
  std::vector<Worker> workers_;
  std::uint64_t processed_ = 0;  // relay entries finished (applied, skipped or dropped)
  bool halted_ = false;
  sim::Time halted_since_;
  sim::Duration stopped_total_;

  // Semi-sync: commits waiting for an ack, in position order.
  struct Waiting {
    std::uint64_t position = 0;
    Write write;
  };
  std::deque<Waiting> waiting_;
  bool semi_sync_active_ = false;
  std::uint64_t acked_upto_ = 0;
  sim::EventHandle semi_sync_timer_;

  std::function<void(const Write&, sim::Time)> ack_listener_;
  std::function<void(const Write&)> apply_listener_;
  std::function<void(const Write&, ApplyResult)> arrival_listener_;

  mutable MysqlChannelStats stats_;
  sim::Histogram lag_;
  sim::Histogram relay_residence_;
  sim::Histogram commit_latency_;
  sim::SampleSeries lag_series_;
  sim::GaugeSeries backlog_series_;
};

const char* to_string(ReplicationMode mode);            ///< "async", "semi_sync"
const char* to_string(ApplierParallelism parallelism);  ///< "by_key", "writeset"
const char* to_string(OnDuplicate on_duplicate);        ///< "stop", "skip", "overwrite"
/// Parsers for the names above. Throw InvalidArgument naming the bad value and the allowed ones.
ReplicationMode parse_replication_mode(const std::string& name);
ApplierParallelism parse_applier_parallelism(const std::string& name);
OnDuplicate parse_on_duplicate(const std::string& name);

}  // namespace geodes::models
