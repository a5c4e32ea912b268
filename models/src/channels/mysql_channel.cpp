#include "geodes/models/channels/mysql_channel.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "geodes/sim/error.hpp"
#include "geodes/sim/mix.hpp"
#include "geodes/sim/rounding.hpp"

namespace geodes::models {

namespace {

void validate(const MysqlChannelParams& p, const Path& path, const Store& source,
              const Store& replica) {
  const std::string where = "mysql_replication channel '" + p.name + "': ";
  if (p.threads < 1 || p.threads > 1024) {
    throw InvalidArgument(where + "threads must be between 1 and 1024, got " +
                          std::to_string(p.threads));
  }
  if (p.semi_sync_timeout <= sim::Duration::zero()) {
    throw InvalidArgument(where + "semi_sync timeout must be > 0");
  }
  if (p.retry_interval <= sim::Duration::zero()) {
    throw InvalidArgument(where + "retry_interval must be > 0");
  }
  if (p.operator_fix_time < sim::Duration::zero()) {
    throw InvalidArgument(where + "operator fix time must be >= 0");
  }
  if (p.series_interval <= sim::Duration::zero()) {
    throw InvalidArgument(where + "series interval must be > 0");
  }
  if (p.apply_time.kind() != sim::Distribution::Kind::kNormal && p.apply_time.quantile(0) < 0) {
    throw InvalidArgument(where + "apply time can be negative");
  }
  if (source.dc() == replica.dc()) {
    throw InvalidArgument(where + "source and replica are in the same DC");
  }
  if (path.from != source.dc() || path.to != replica.dc()) {
    throw InvalidArgument(where + "the path does not run from the source DC to the replica DC");
  }
  if (source.data_class() != replica.data_class()) {
    throw InvalidArgument(where + "source and replica stores hold different data classes ('" +
                          source.data_class() + "' and '" + replica.data_class() + "')");
  }
}

}  // namespace

MysqlChannel::MysqlChannel(Network& network, Path path, Store& source, Store& replica,
                           const MysqlChannelParams& params, std::uint64_t seed)
    : network_(network),
      engine_(network.engine()),
      replica_(replica),
      params_(params),
      apply_rng_(seed, "mysql/" + params.name + "/apply"),
      connection_(network, (validate(params, path, source, replica), std::move(path)), *this),
      ack_path_(reversed(connection_.path())),
      workers_(static_cast<std::size_t>(params.threads)),
      semi_sync_active_(params.mode == ReplicationMode::kSemiSync),
      lag_series_(params.series_interval),
      backlog_series_(params.series_interval) {
  backlog_series_.set(engine_.now(), 0);
  connection_.connect();
}

MysqlChannel::~MysqlChannel() = default;

void MysqlChannel::set_ack_listener(std::function<void(const Write&, sim::Time)> listener) {
  ack_listener_ = std::move(listener);
}

void MysqlChannel::set_apply_listener(std::function<void(const Write&)> listener) {
  apply_listener_ = std::move(listener);
}

void MysqlChannel::set_arrival_listener(std::function<void(const Write&, ApplyResult)> listener) {
  arrival_listener_ = std::move(listener);
}

const MysqlChannelStats& MysqlChannel::stats() {
  settle();
  stats_.stopped = stopped_total_;
  if (halted_) stats_.stopped += engine_.now() - halted_since_;
  stats_.replication_stopped = replicating_stopped_total_;
  if (!replicating_) stats_.replication_stopped += engine_.now() - replicating_stopped_since_;
  stats_.disconnected = disconnected_total_;
  if (disconnected_) stats_.disconnected += engine_.now() - disconnected_since_;
  return stats_;
}

// --- source side --------------------------------------------------------------------------------

void MysqlChannel::add_data_class(DataClassId cls, Store& replica) {
  if (replica.dc() != replica_.dc()) {
    throw InvalidArgument("mysql_replication channel '" + params_.name + "': the store of '" +
                          replica.data_class() + "' is not in the replica DC");
  }
  if (replicas_.size() <= cls.value) replicas_.resize(cls.value + 1, nullptr);
  replicas_[cls.value] = &replica;
}

void MysqlChannel::ship(const Write& w) {
  if (w.version.origin == replica_.dc()) {
    ++stats_.loop_filtered;
    return;
  }
  const std::uint64_t position = binlog_base_ + binlog_.size();
  binlog_.push_back(w);
  ++stats_.shipped;
  if (semi_sync_active_) {
    waiting_.push_back(Waiting{position, w});
    if (waiting_.size() == 1) arm_semi_sync_timer();
  } else {
    acknowledge(w);
  }
  send_pending();
}

void MysqlChannel::acknowledge(const Write& w) {
  commit_latency_.record((engine_.now() - w.commit_time).ns());
  if (ack_listener_) ack_listener_(w, engine_.now());
}

void MysqlChannel::send_pending() {
  if (!connection_.is_open()) return;
  const std::uint64_t end = binlog_base_ + binlog_.size();
  while (next_to_send_ < end) {
    connection_.send(next_to_send_, binlog_[next_to_send_ - binlog_base_].bytes);
    ++next_to_send_;
  }
}

void MysqlChannel::arm_semi_sync_timer() {
  engine_.cancel(semi_sync_timer_);
  if (waiting_.empty()) return;
  const Waiting& head = waiting_.front();
  const sim::Time deadline = head.write.commit_time + params_.semi_sync_timeout;
  const std::uint64_t position = head.position;
  semi_sync_timer_ = engine_.schedule_at(std::max(deadline, engine_.now()),
                                         [this, position] { semi_sync_timeout(position); });
}

void MysqlChannel::semi_sync_timeout(std::uint64_t position) {
  if (waiting_.empty() || waiting_.front().position != position) return;
  // No ack in time: fall back to async and release every waiting commit.
  semi_sync_active_ = false;
  ++stats_.semi_sync_fallbacks;
  while (!waiting_.empty()) {
    const Write w = waiting_.front().write;
    waiting_.pop_front();
    acknowledge(w);
  }
}

void MysqlChannel::on_ack(std::uint64_t position) {
  acked_upto_ = std::max(acked_upto_, position);
  bool released = false;
  while (!waiting_.empty() && waiting_.front().position <= position) {
    const Write w = waiting_.front().write;
    waiting_.pop_front();
    acknowledge(w);
    released = true;
  }
  if (released) arm_semi_sync_timer();
  // Back to semi-sync once the replica has everything the source has binlogged.
  if (params_.mode == ReplicationMode::kSemiSync && !semi_sync_active_ && source_up_ &&
      position + 1 >= binlog_base_ + binlog_.size()) {
    semi_sync_active_ = true;
    ++stats_.semi_sync_returns;
  }
}

std::vector<Write> MysqlChannel::lose_source() {
  settle_before_now();
  std::vector<Write> lost(binlog_.begin(), binlog_.end());
  binlog_base_ += binlog_.size();
  binlog_.clear();
  next_to_send_ = binlog_base_;
  set_source_up(false);
  return lost;
}

// --- faults -------------------------------------------------------------------------------------

void MysqlChannel::set_source_up(bool up) {
  settle_before_now();
  if (up == source_up_) return;
  source_up_ = up;
  if (up) {
    // A restarted source enables semi-sync again (rpl_semi_sync_source_enabled persists).
    semi_sync_active_ = params_.mode == ReplicationMode::kSemiSync;
    if (replica_up_ && replicating_) reconnect_at_next_retry();
    return;
  }
  // Clients waiting for a semi-sync ack lost their connection with the DC: never acknowledged.
  waiting_.clear();
  engine_.cancel(semi_sync_timer_);
  if (replica_up_ && replicating_) {
    stop_io_thread();
    retry_origin_ = engine_.now();
  }
}

void MysqlChannel::reconnect_at_next_retry() {
  // The I/O thread has been retrying every retry_interval since it lost the source; the first
  // retry after the source is back succeeds. Computed instead of simulated, so a source that
  // never returns costs no events.
  engine_.cancel(reconnect_event_);
  const std::int64_t interval = params_.retry_interval.ns();
  const std::int64_t into = (engine_.now() - retry_origin_).ns() % interval;
  const sim::Duration wait(into == 0 ? 0 : interval - into);
  reconnect_event_ = engine_.schedule_in(wait, [this] { reconnect(); });
}

void MysqlChannel::set_replica_up(bool up) {
  settle_before_now();
  if (up == replica_up_) return;
  const bool was_running = io_should_run();
  replica_up_ = up;
  restart_threads(was_running);
}

void MysqlChannel::set_replicating(bool on) {
  settle_before_now();
  if (on == replicating_) return;
  const bool was_running = io_should_run();
  replicating_ = on;
  if (on) {
    replicating_stopped_total_ += engine_.now() - replicating_stopped_since_;
  } else {
    replicating_stopped_since_ = engine_.now();
  }
  restart_threads(was_running);
}

void MysqlChannel::restart_threads(bool io_was_running) {
  if (!replica_up_ || !replicating_) {
    engine_.cancel(reconnect_event_);
    stop_io_thread();
    return;
  }
  if (!io_was_running) {
    // START REPLICA: the I/O thread connects at once (and keeps retrying if the source is down).
    if (source_up_) {
      connection_.connect();
    } else {
      retry_origin_ = engine_.now();
    }
  }
  dispatch();
}

std::uint64_t MysqlChannel::reposition_to_end() {
  settle_before_now();
  const bool running = io_should_run() && connection_.is_open();
  if (running) stop_io_thread();  // nothing may be in flight across the jump
  const std::uint64_t skipped = binlog_.size();
  binlog_base_ += skipped;
  binlog_.clear();
  next_to_send_ = binlog_base_;
  // The skipped writes count as received and finished, so the backlog stays consistent.
  stats_.received += skipped;
  processed_ += skipped;
  stats_.repositioned += skipped;
  if (skipped > 0) on_ack(binlog_base_ - 1);
  if (running) connection_.connect();
  set_backlog_gauge();
  return skipped;
}

std::vector<Write> MysqlChannel::lose_replica() {
  settle_before_now();
  std::vector<Write> lost;
  for (const Relayed& r : relay_) lost.push_back(r.write);
  relay_.clear();
  for (Worker& w : workers_) {
    for (const Relayed& r : w.queue) lost.push_back(r.write);
    w.queue.clear();
  }
  processed_ += lost.size();
  set_backlog_gauge();
  return lost;
}

void MysqlChannel::stop_io_thread() {
  settle_before_now();  // what arrived is in the relay log; the rest is dropped
  connection_.close();
  ++link_epoch_;  // acks in flight go nowhere
  next_to_send_ = binlog_base_;
  mark_disconnected();
}

void MysqlChannel::mark_disconnected() {
  if (!disconnected_) {
    disconnected_ = true;
    disconnected_since_ = engine_.now();
  }
}

void MysqlChannel::schedule_reconnect() {
  if (engine_.is_pending(reconnect_event_)) return;
  reconnect_event_ = engine_.schedule_in(params_.retry_interval, [this] { reconnect(); });
}

void MysqlChannel::reconnect() {
  // A source that is down again will call reconnect_at_next_retry() when it is back.
  if (io_should_run()) connection_.connect();
}

// --- connection ---------------------------------------------------------------------------------

void MysqlChannel::on_connected() {
  if (disconnected_) {
    disconnected_total_ += engine_.now() - disconnected_since_;
    disconnected_ = false;
    if (ever_connected_) ++stats_.reconnects;
  }
  ever_connected_ = true;
  send_pending();
}

void MysqlChannel::on_broken() {
  if (!replica_up_ || !replicating_) return;
  // Called when an open connection breaks and when a reconnection attempt fails; only the first
  // starts a disconnected period.
  mark_disconnected();
  ++link_epoch_;
  // The I/O thread resumes from the end of its relay log: resend what did not arrive.
  next_to_send_ = binlog_base_;
  schedule_reconnect();
}

// --- replica side -------------------------------------------------------------------------------

void MysqlChannel::on_deliver(std::uint64_t position, sim::Time arrival) {
  receive(position, arrival);
}

void MysqlChannel::take_arrived(sim::Time upto) {
  std::uint64_t position = 0;
  sim::Time arrival;
  while (connection_.take_arrived(upto, position, arrival)) receive(position, arrival);
}

void MysqlChannel::settle_before_now() {
  const sim::Time now = engine_.now();
  if (now > sim::Time::zero()) take_arrived(now - sim::Duration(1));
}

void MysqlChannel::receive(std::uint64_t position, sim::Time arrival) {
  // The connection is ordered and resumes at the relay log's end, so `position` is always the
  // binlog's oldest unreceived event.
  if (position != binlog_base_ || binlog_.empty()) {
    throw Error("mysql channel '" + params_.name + "': received binlog position " +
                std::to_string(position) + ", expected " + std::to_string(binlog_base_));
  }
  Relayed item{binlog_.front(), arrival};
  binlog_.pop_front();
  ++binlog_base_;
  ++stats_.received;
  if (params_.mode == ReplicationMode::kSemiSync) send_ack(position);  // never held: arrival is now
  // Not set_backlog_gauge(): a write taken from a held connection counts from its arrival.
  backlog_series_.set(arrival, static_cast<double>(in_relay()));

  if (params_.threads > 1 && params_.parallelism == ApplierParallelism::kByKey) {
    const std::size_t w = worker_for(item.write);
    if (!workers_[w].busy && applier_running()) {
      start(w, item);
    } else {
      workers_[w].queue.push_back(item);
    }
  } else if (params_.threads == 1 && relay_.empty() && !workers_[0].busy && applier_running()) {
    start(0, item);  // what dispatch() would do, without the trip through the relay queue
  } else {
    relay_.push_back(item);
    dispatch();
  }
}

void MysqlChannel::send_ack(std::uint64_t position) {
  if (!network_.is_up(ack_path_)) return;
  sim::Time arrival = network_.transmit(ack_path_, params_.ack_bytes);
  // Acks travel on the same TCP connection: in order.
  arrival = std::max(arrival, last_ack_arrival_);
  last_ack_arrival_ = arrival;
  const std::uint64_t epoch = link_epoch_;
  engine_.schedule_at(arrival, [this, position, epoch] {
    if (epoch == link_epoch_) on_ack(position);
  });
}

std::size_t MysqlChannel::worker_for(const Write& w) const {
  // Rows of different tables with the same id are different rows: mix the class in.
  const std::uint64_t row = w.key ^ (std::uint64_t{w.data_class.value} * 0x9e3779b97f4a7c15ULL);
  return static_cast<std::size_t>(sim::mix64(row) % workers_.size());
}

void MysqlChannel::dispatch() {
  if (!applier_running()) return;
  if (params_.threads > 1 && params_.parallelism == ApplierParallelism::kByKey) {
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      if (!workers_[w].busy && !workers_[w].queue.empty()) {
        const Relayed item = workers_[w].queue.front();
        workers_[w].queue.pop_front();
        start(w, item);
      }
    }
    return;
  }
  // Single thread or WRITESET: the head goes to the lowest free worker unless a write to the same
  // key is still being applied (then the head, and everything behind it, waits).
  while (!relay_.empty()) {
    const std::uint64_t key = relay_.front().write.key;
    const DataClassId cls = relay_.front().write.data_class;
    std::size_t free = workers_.size();
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      if (workers_[w].busy) {
        if (workers_[w].key == key && workers_[w].data_class == cls) return;
      } else if (free == workers_.size()) {
        free = w;
      }
    }
    if (free == workers_.size()) return;
    const Relayed item = relay_.front();
    relay_.pop_front();
    start(free, item);
  }
}

void MysqlChannel::start(std::size_t w, const Relayed& item) {
  Worker& worker = workers_[w];
  worker.busy = true;
  worker.key = item.write.key;
  worker.data_class = item.write.data_class;
  worker.item = item;
  const double ns = params_.apply_time.sample(apply_rng_);
  const sim::Duration d(ns > 0 ? sim::round_half_away(ns) : 0);
  engine_.schedule_in(d, [this, w] { finish(w); });
  if (holds_while_busy()) connection_.hold();
}

void MysqlChannel::finish(std::size_t w) {
  // What arrived during the apply is in the relay log first, as delivery by event had it (at this
  // very instant the order does not matter: the next write starts now either way).
  take_arrived(engine_.now());
  apply_finished(w);
  if (holds_while_busy() && !workers_[0].busy) connection_.release();
}

void MysqlChannel::apply_finished(std::size_t w) {
  Worker& worker = workers_[w];
  const Relayed& item = worker.item;  // stays valid: start() on this worker comes last
  worker.busy = false;
  const sim::Time now = engine_.now();
  Store& replica = replica_for(item.write.data_class);
  const ApplyResult result = replica.apply(item.write, params_.apply_rule, now);
  ApplyResult verdict = result;
  switch (result) {
    case ApplyResult::kApplied:
      record_applied(item);
      break;
    case ApplyResult::kDuplicateKey:
    case ApplyResult::kMissingRow: {
      const bool duplicate = item.write.kind == WriteKind::kInsert;
      ++(duplicate ? stats_.errors_1062 : stats_.errors_1032);
      if (params_.on_duplicate == OnDuplicate::kStop) {
        if (arrival_listener_) arrival_listener_(item.write, result);
        halt();
        return;
      }
      if (params_.on_duplicate == OnDuplicate::kOverwrite &&
          replica.apply(item.write, ApplyRule::kOverwrite, now) == ApplyResult::kApplied) {
        verdict = ApplyResult::kApplied;
        record_applied(item);
      } else {
        verdict = ApplyResult::kSkipped;
        ++stats_.skipped;
      }
      break;
    }
    case ApplyResult::kSkipped:
      ++stats_.skipped;
      break;
    case ApplyResult::kStale:
      ++stats_.stale;
      break;
  }
  if (arrival_listener_) arrival_listener_(item.write, verdict);
  ++processed_;
  set_backlog_gauge();
  if (params_.threads > 1 && params_.parallelism == ApplierParallelism::kByKey) {
    if (applier_running() && !worker.queue.empty()) {
      const Relayed next = worker.queue.front();
      worker.queue.pop_front();
      start(w, next);
    }
  } else {
    dispatch();
  }
}

void MysqlChannel::record_applied(const Relayed& item) {
  ++stats_.delivered;
  const sim::Time now = engine_.now();
  const std::int64_t lag = (now - item.write.commit_time).ns();
  lag_.record(lag);
  relay_residence_.record((now - item.arrived).ns());
  lag_series_.record(now, static_cast<double>(lag));
  if (apply_listener_) apply_listener_(item.write);
}

void MysqlChannel::halt() {
  // Slave_SQL_Running: No. In-flight workers finish; nothing new starts until the operator fix.
  halted_ = true;
  halted_since_ = engine_.now();
  engine_.schedule_in(params_.operator_fix_time, [this] { operator_fix(); });
}

void MysqlChannel::operator_fix() {
  // The operator skips the failing event (sql_replica_skip_counter = 1) and restarts the applier.
  ++stats_.operator_fixes;
  ++stats_.skipped;
  ++processed_;
  stopped_total_ += engine_.now() - halted_since_;
  halted_ = false;
  set_backlog_gauge();
  dispatch();
}

}  // namespace geodes::models
