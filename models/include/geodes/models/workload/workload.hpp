// The workload: users, businesses and their arrivals, run against the data through DataAccess
// (DESIGN.md "Workload"; DOMAIN.md steps 1 and 4).
//
// Users. User ids are dense, 0, 1, 2, ...: users 0 to `users.initial` - 1 exist before the run
// (their rows preloaded at every DC), and businesses with an allocate_id step register more, each
// register taking the next id when it starts (or the id of a register that failed), up to
// `users.max`. A user's home DC comes from the routing rule applied to the user id; their account
// id (the key of their rows) from the id strategy (or the user id itself when no id class is
// named). A business that acts for existing users picks one by Zipf popularity over the
// registered users, rank r being the r-th user to complete registration (the initial users first,
// in id order; see BusinessParams::zipf_exponent).
//
// An op, from its arrival:
//   1. attempt: the serving DC is the GSLB's route for the user's home DC (or, for a roaming op,
//      the DC it roams to). If it is down, the attempt fails dc_down at once. Otherwise the
//      business's steps run there (business.hpp). The attempt's deadline is its start +
//      client.timeout: a wait that would end later, or never (a DC down or unreachable, an ack
//      that never comes), fails the attempt `timeout` at the deadline. Effects already made stay
//      made (a timed-out register may have used an id).
//   2. retry: an attempt that failed dc_down or timeout is retried after
//      backoff * backoff_multiplier^(k-1) (k = the failed attempt's number), at most max_retries
//      times, routed afresh each time (so a retry may reach the failover DC).
//   3. outcome: the op's final result goes to the built-in counters (per business, per serving
//      DC), the engine's fingerprint, and the OutcomeSink, with its start (arrival) and end (when
//      the client learnt the result): for a succeeded op, end - start is its *latency*.
//
// Time: what an op waits for (DESIGN.md "Op latency"), as it happens in the simulation.
//   * Local service: a read costs the data class's read_time, a write, an upsert or a decrement
//     its write_time, a session check its read_time (plus write_time when the session must be
//     created), an id allocation nothing locally. An attempt pays the service time of a run of
//     local steps (up to the next allocate_id) in one wait; the steps then take effect in order at
//     its end, so a run of k local steps costs one engine event, not k. Latency is the same as
//     paying each step in turn; only the instants at which reads look and writes commit move to
//     the end of the run.
//   * Acknowledgement: a commit the DataAccess does not acknowledge at once (a semi-sync channel
//     waiting for its replica's ack, a synchronous oplog waiting for the log) holds the op until
//     it is settled (CommitWaiter), or fails it at the deadline; a failed settlement (a sync oplog
//     that timed out with on_timeout = fail) fails the attempt `timeout`.
//   * Remote calls: a central id allocator or a segment refill in another DC, a stock lender (its
//     round trip plus the lender's write_time), an access-fallback call (its round trip plus the
//     owner's read_time, bounded by the fallback's timeout).
//   * Off home: an attempt served at a DC other than the user's home (roaming, or after a GSLB
//     failover) pays the user's one-way access latency to that DC before its first step and
//     back after its last (DataAccess::access_latency).
//   * Failed attempts, their timeouts and the backoff before a retry are part of the op's time.
//
// A register op takes the next unused user id on arrival (a new person, homed by the routing
// rule); it becomes a registered user (with the new id as account) if the op succeeds. A failed
// register's id is never used again (that person gave up; reusing it would pile every retry onto
// one home DC). An arrival that finds no unused user id (users.max reached) or, for other
// businesses, no registered user, is dropped and counted (stats().dropped_arrivals).
//
// Truth. The workload remembers, per data class and key it wrote, the versions it committed
// anywhere (truth_log.hpp): a read fails `stale` (fail_if_stale) when the row is older than the
// latest of them, and counts as a stale read (DESIGN.md) when it is older than one committed
// before now - the class's bound; forced re-logins are judged against it too.
//
// Access fallback. A read of a class with FallbackParams that finds no live row where the user is
// served asks the owner DC (the user's home, or a fixed DC) through DataAccess::fallback_call: an
// owner that is down refuses at once; a call that is cut or slower than the fallback's timeout
// fails after the timeout; otherwise the owner's row is judged like a local one, after the round
// trip and the owner's read (its read_time); a call taking longer than the timeout in all fails
// at the timeout. Either way a failed fallback is a `missing` read (when fail_if_missing).
//
// Determinism: draws come from named streams: "workload/<business>/arrivals" (arrival times),
// "workload/<business>/users" (Zipf picks), "workload/ids/<class>" (random ids),
// "workload/service/<class>" (service times; a constant draws nothing). Hash maps are
// only probed, never iterated. Memory: per user (their account id), per key written (its latest
// version), per id handed out (the uniqueness registry), and per op in flight (a pooled record);
// nothing grows with the number of ops finished.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "geodes/models/data/truth_log.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/models/workload/arrival_process.hpp"
#include "geodes/models/workload/business.hpp"
#include "geodes/models/workload/data_access.hpp"
#include "geodes/models/workload/gslb.hpp"
#include "geodes/models/workload/id_strategy.hpp"
#include "geodes/models/workload/op_outcome.hpp"
#include "geodes/models/workload/user_routing.hpp"
#include "geodes/models/workload/zipf.hpp"
#include "geodes/sim/distribution.hpp"
#include "geodes/sim/engine.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/rng.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

/// What the workload needs to know of a data class (index = its DataClassId).
struct WorkloadDataClass {
  std::string name;
  /// How new ids of this class are drawn; required for a class named by an allocate_id step or
  /// by users.id_class.
  std::optional<IdStrategyParams> id_strategy;
  /// The real-time bound reads are judged against (stale_reads); Duration::max() = none.
  sim::Duration bound = sim::Duration::zero();
  /// Local service time of one read and one write of this class at the serving DC, in ns.
  /// Defaults from REFERENCE.md "Local service times": an InnoDB primary-key read in the same DC
  /// 0.1-0.5 ms, a durable single-row commit (sync_binlog=1, innodb_flush_log_at_trx_commit=1,
  /// SSD) 0.5-2 ms.
  sim::Distribution read_time = sim::Distribution::constant(300'000);     // 0.3 ms
  sim::Distribution write_time = sim::Distribution::constant(1'000'000);  // 1 ms
  /// How the truth log's table of this class is sized up front (key_table.hpp).
  KeySizing keys = {};
};

/// Access fallback (DOMAIN.md step 4.2, "sync + access"): a read step of `data_class` that finds
/// no live row where the user is served asks the owner DC's API instead.
struct FallbackParams {
  DataClassId data_class;
  /// false: the owner is the user's home DC (the routing rule); true: always `owner`.
  bool fixed_owner = false;
  DcId owner;
  /// A call not answered within this (round trip plus the owner's read time) fails the read as
  /// a miss.
  sim::Duration timeout{1'000'000'000};  // 1 s
};

struct UserParams {
  /// The most user ids a run can hand out (a user's registration rank is kept in 32 bits).
  static constexpr std::uint64_t kMaxUsers = 0xFFFF'FFFF;

  /// Users registered before the run.
  std::uint64_t initial = 1000;
  /// User ids that can ever be handed out, failed registers included (registrations beyond are
  /// dropped). >= initial, <= kMaxUsers.
  std::uint64_t max = 100'000;
  UserRoutingParams routing;
  /// The class whose id strategy gives the initial users their account ids (drawn at their home
  /// DC, or the central allocator, at time 0); none: account id = user id.
  std::optional<DataClassId> id_class;
  /// Classes holding one row per initial user, keyed by account id, preloaded at every DC.
  std::vector<DataClassId> preload;
};

struct ClientParams {
  /// Deadline of one attempt.
  sim::Duration timeout{3'000'000'000};  // 3 s
  /// Retries after the first attempt (0: none).
  int max_retries = 2;
  /// Wait before the first retry; later ones wait backoff_multiplier times longer each.
  sim::Duration backoff{1'000'000'000};  // 1 s
  double backoff_multiplier = 2;
};

struct WorkloadParams {
  std::vector<WorkloadDataClass> data_classes;  ///< index = DataClassId
  std::vector<BusinessParams> businesses;       ///< index = BusinessId
  /// When > 0, the total rate per second, split over businesses by their `share`.
  double total_rate_per_s = 0;
  UserParams users;
  ClientParams client;
  GslbParams gslb;
  /// At most one per data class.
  std::vector<FallbackParams> fallback;
  /// No op arrives after this time, so a run can drain (with the default, arrivals never stop and
  /// Engine::run() never returns: use run_until()).
  sim::Time end = sim::Time::max();
};

/// Per data class, what the workload's reads and commits met.
struct DataClassCounts {
  std::uint64_t reads = 0;
  std::uint64_t missing_reads = 0;     ///< no live row where read
  std::uint64_t stale_reads = 0;       ///< a row older than a version committed before now - bound
  std::uint64_t commits = 0;           ///< applied client writes
  std::uint64_t rejected_commits = 0;  ///< duplicate key or missing row
  std::uint64_t regenerated = 0;       ///< session rows re-created after a forced re-login
};

/// Per data class, what access fallback did.
struct FallbackCounts {
  std::uint64_t calls = 0;        ///< local misses that asked the owner DC
  std::uint64_t found = 0;        ///< the owner had a live row
  std::uint64_t not_found = 0;    ///< the owner had none either
  std::uint64_t owner_down = 0;   ///< the owner DC was down (refused at once)
  std::uint64_t unreachable = 0;  ///< the path was cut or the answer later than the timeout
  sim::Histogram latency_ns;      ///< answered calls: round trip plus the owner's read time
};

struct WorkloadStats {
  std::uint64_t arrivals = 0;          ///< ops that arrived (dropped ones included)
  std::uint64_t dropped_arrivals = 0;  ///< no free user id, or no registered user
  std::uint64_t in_flight = 0;         ///< ops started and not finished
  std::uint64_t peak_in_flight = 0;
};

class Workload final : public CommitWaiter {
 public:
  /// Throws InvalidArgument naming the parameter (and the business by name) on: no businesses;
  /// an empty or duplicate business name; a business without steps; a zipf_exponent < 0; a step
  /// naming an unknown data class; allocate_id on a class without id_strategy, or twice in one
  /// business; a new_id key with no allocate_id before it; an account key in a business that
  /// registers users; borrow or initial_per_dc on anything but a decrement with key per_dc;
  /// initial_per_dc without one entry per DC; a negative or non-finite rate or share; a business
  /// rate_per_s together with total_rate_per_s, a share without total_rate_per_s, or all shares 0
  /// with it; users.initial > users.max; users.id_class without id_strategy; users.preload naming
  /// an unknown class; an id_range routing that leaves a user id in [0, users.max) without home;
  /// client.timeout <= 0, max_retries < 0, backoff < 0, backoff_multiplier < 1; and whatever
  /// UserRouting, Gslb, IdAllocator and ArrivalProcess reject.
  /// REQUIRES: engine and access outlive the workload.
  Workload(sim::Engine& engine, DataAccess& access, const WorkloadParams& params,
           std::size_t dc_count, std::uint64_t seed);
  ~Workload() override;
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  /// Where outcomes go (nullptr: only the built-in counters). Not owned.
  void set_sink(OutcomeSink* sink) { sink_ = sink; }

  /// Registers the initial users (ids drawn, rows preloaded), preloads stock, and schedules each
  /// business's first arrival. Call once, before running the engine.
  void start();

  /// Starts one op of `business` now, outside the arrival process (tests, drills). For a
  /// business acting for existing users, `user` picks the user (default: a Zipf draw); a
  /// registering business ignores it. Returns false if the op was dropped (see the file comment).
  bool submit(BusinessId business, std::optional<std::uint64_t> user = std::nullopt);

  /// A commit that was not acknowledged at once is settled (CommitWaiter): the op waiting for it
  /// goes on (or fails `timeout` when `acknowledged` is false) in an event of its own, now.
  void commit_settled(std::uint64_t ticket, bool acknowledged) override;

  /// Fault notifications for the GSLB (the System calls these when a DC outage starts / ends).
  void dc_down(DcId dc) { gslb_.dc_down(dc); }
  void dc_up(DcId dc) { gslb_.dc_up(dc); }
  /// A row of `cls` with key `id` was replicated into `dc` (lets auto_increment move its
  /// counter past it, as MySQL does). No-op for classes without an id strategy.
  void observe_replicated(DataClassId cls, DcId dc, std::uint64_t id);

  [[nodiscard]] const Gslb& gslb() const { return gslb_; }
  [[nodiscard]] const UserRouting& routing() const { return routing_; }
  /// The home DC of `user`.
  [[nodiscard]] DcId home(std::uint64_t user) const { return routing_.home(user); }
  /// The account id of registered user `user`. REQUIRES: user < registered_users().
  [[nodiscard]] std::uint64_t account(std::uint64_t user) const;
  /// The user id of the `rank`-th user to complete registration (0-based). REQUIRES:
  /// rank < registered_users().
  [[nodiscard]] std::uint64_t registered_user(std::uint64_t rank) const {
    return by_rank_.at(rank).user;
  }
  /// Users registered so far (the initial ones included).
  [[nodiscard]] std::uint64_t registered_users() const { return by_rank_.size(); }

  /// Bytes the workload keeps per user id: its rank (rank_of_) and its entry in the rank list
  /// (by_rank_: user and account ids). Both are reserved up front for up to kReservedUsers ids,
  /// so that registering copies nothing; beyond that they grow like vectors.
  static constexpr std::size_t kBytesPerUser = sizeof(std::uint32_t) + 2 * sizeof(std::uint64_t);
  static constexpr std::uint64_t kReservedUsers = std::uint64_t{1} << 27;
  /// The allocator of `cls`, or nullptr if it has no id strategy.
  [[nodiscard]] const IdAllocator* allocator(DataClassId cls) const;
  /// The latest version of (cls, key) this workload committed anywhere, or an invalid version.
  [[nodiscard]] Version latest_commit(DataClassId cls, std::uint64_t key) const;
  /// Every version this workload committed (for loss and staleness checks).
  [[nodiscard]] const TruthLog& truth() const { return truth_; }
  /// What access fallback did for `cls` (zeros when it has none).
  [[nodiscard]] const FallbackCounts& fallback_counts(DataClassId cls) const;

  [[nodiscard]] const OutcomeCounts& business_counts(BusinessId b) const;
  [[nodiscard]] const OutcomeCounts& dc_counts(DcId dc) const;
  [[nodiscard]] const DataClassCounts& data_class_counts(DataClassId cls) const;
  [[nodiscard]] const WorkloadStats& stats() const { return stats_; }
  /// The arrival rate each business ended up with (after total_rate_per_s and shares).
  [[nodiscard]] const ArrivalProcess& arrivals(BusinessId b) const;

 private:
  struct Business;
  // A registered user as the Zipf draw finds it: the account beside the user id, so that picking
  // a user and keying its steps costs one random access (into by_rank_), not two.
  struct Ranked {
    std::uint64_t user = 0;
    std::uint64_t account = 0;
  };
  struct Op {
    BusinessId business;
    std::uint64_t user = 0;
    std::uint64_t account = 0;  // the user's account id (0 while registering)
    DcId home;
    DcId dc;
    sim::Time start;
    sim::Time deadline;
    std::uint32_t attempts = 0;
    std::uint32_t step = 0;
    std::uint32_t paid = 0;  // steps [step, paid) have had their local service time paid
    std::uint32_t self = 0;  // this op's index in ops_
    // Identifies the acknowledgement being waited for; bumped when a wait ends and kept when the
    // slot is reused, so a late settlement never reaches a later wait.
    std::uint32_t wait_serial = 0;
    std::uint64_t new_id = 0;
    bool roaming = false;
    DcId roam_dc;                     // where a roaming op asks to be served
    bool inbound = false;             // the off-home access leg to the serving DC is still to pay
    bool returned = false;            // the off-home reply leg has been paid
    bool creating_session = false;    // a session step is re-entered to create the session
    bool waiting = false;             // waiting for a commit to be acknowledged
    sim::EventHandle deadline_timer;  // while waiting
    sim::Time not_before;             // while waiting: the op goes on no earlier than this
  };
  // What one step did: continue now, continue after `wait`, or fail with `cause` (after `wait`).
  // `no_answer`: a call that will never return; the attempt times out at its deadline.
  // `await_ack`: a commit not acknowledged yet; the op continues when it is settled.
  // `repeat`: run the same step again after `wait` (a session step creating the session).
  struct StepResult {
    FailureCause cause = FailureCause::kNone;
    sim::Duration wait;
    bool no_answer = false;
    bool await_ack = false;
    bool repeat = false;
    /// Fails (or, with kNone, goes on) after `wait`.
    static StepResult after(FailureCause cause, sim::Duration wait = sim::Duration::zero()) {
      StepResult r;
      r.cause = cause;
      r.wait = wait;
      return r;
    }
    /// A call that will never be answered.
    static StepResult never() {
      StepResult r;
      r.no_answer = true;
      return r;
    }
  };

  void on_arrival(BusinessId b);
  void schedule_arrival(BusinessId b, sim::Time after);
  bool begin_op(BusinessId b, std::optional<std::uint64_t> user);
  // The next arrival's Zipf rank, drawn early (and its by_rank_ entry prefetched); draw_rank()
  // returns it, or draws afresh if the number of users `n` has changed since. Either way the
  // result is the draw with `n` users from user_rng's next state.
  void draw_ahead(Business& bus);
  std::uint64_t draw_rank(Business& bus, std::uint64_t n);
  // The business's Zipf sampler over `n` users, rebuilt if it was over another number.
  static const ZipfSampler& sampler(Business& bus, std::uint64_t n);
  void start_attempt(std::uint32_t op);
  void run_steps(std::uint32_t op);
  void resume(std::uint32_t op);
  void reply(std::uint32_t op);
  void wait_then(std::uint32_t op, sim::Duration wait, FailureCause cause);
  void await_ack(std::uint32_t op);
  void ack_deadline(std::uint32_t op);
  [[nodiscard]] sim::Duration local_time(const Step& step);
  [[nodiscard]] sim::Duration draw(const sim::Distribution& d, DataClassId cls);
  [[nodiscard]] sim::Duration access_latency(DcId home, DcId dc) const;
  StepResult run_step(Op& op, const Step& step);
  StepResult allocate_id(Op& op, const Step& step);
  StepResult read(Op& op, const Step& step);
  StepResult fallback_read(const Op& op, const Step& step, std::uint64_t key);
  StepResult judge_read(const Step& step, std::uint64_t key, const Row& row);
  StepResult write(Op& op, const Step& step);
  StepResult session(Op& op, const Step& step);
  StepResult decrement(Op& op, const Step& step);
  void fail_attempt(std::uint32_t op, FailureCause cause);
  void finish(std::uint32_t op, FailureCause cause);
  // Prefetches the rows and truth-log entries steps [from, to) of `op` will touch (a hint only).
  void prefetch_steps(const Op& op, std::uint32_t from, std::uint32_t to) const;
  // True iff user id `user` has completed registration.
  [[nodiscard]] bool registered(std::uint64_t user) const {
    return user < rank_of_.size() && rank_of_[user] != 0;
  }
  [[nodiscard]] std::uint64_t key_of(const Op& op, const Step& step, DcId dc) const;
  CommitResult commit(const Op& op, DcId dc, DataClassId cls, WriteKind kind, std::uint64_t key,
                      std::uint64_t value);
  [[nodiscard]] OpOutcome outcome(const Op& op, FailureCause cause) const;
  std::uint64_t register_user(std::uint64_t account);

  sim::Engine& engine_;
  DataAccess& access_;
  WorkloadParams params_;
  std::size_t dc_count_;
  UserRouting routing_;
  Gslb gslb_;
  std::vector<std::unique_ptr<IdAllocator>> allocators_;  // per data class; null without strategy
  std::vector<sim::Rng> service_rngs_;                    // per data class: service time draws
  std::vector<sim::Duration> access_latency_;             // [home * dc_count + dc], one way
  std::vector<Business> businesses_;
  // By user id, up to the highest id handed out: 1 + the user's index in by_rank_, 0 while not
  // registered (4 bytes a user; fits because users.max <= UserParams::kMaxUsers).
  std::vector<std::uint32_t> rank_of_;
  std::vector<Ranked> by_rank_;  // registered users in registration order
  TruthLog truth_;
  std::vector<int> fallback_of_;                 // per class: index into params_.fallback, or -1
  std::vector<FallbackCounts> fallback_counts_;  // per class
  std::vector<Op> ops_;                          // pool of ops in flight
  std::vector<std::uint32_t> free_ops_;
  std::vector<OutcomeCounts> business_counts_;
  std::vector<OutcomeCounts> dc_counts_;
  std::vector<DataClassCounts> class_counts_;
  WorkloadStats stats_;
  std::uint64_t next_value_ = 0;
  bool started_ = false;
  OutcomeSink* sink_ = nullptr;
};

}  // namespace geodes::models
