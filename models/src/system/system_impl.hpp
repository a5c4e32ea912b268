// The insides of System (system.hpp), shared by its source files: construction, data access and
// faults (system.cpp) and the end-of-run metrics (system_results.cpp). Private to models/src.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "geodes/models/channels/mq_channel.hpp"
#include "geodes/models/channels/mysql_channel.hpp"
#include "geodes/models/data/first_arrival.hpp"
#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/exceptions/compensation.hpp"
#include "geodes/models/exceptions/fault_timeline.hpp"
#include "geodes/models/exceptions/oplog.hpp"
#include "geodes/models/net/network.hpp"
#include "geodes/models/system/availability.hpp"
#include "geodes/models/system/system.hpp"
#include "geodes/models/workload/data_access.hpp"
#include "geodes/models/workload/workload.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/rng.hpp"
#include "geodes/sim/time_series.hpp"

namespace geodes::models {

namespace system_detail {

inline std::string str(std::uint64_t v) { return std::to_string(v); }

inline bool live(const std::optional<Row>& row) { return row && !row->deleted; }

// True iff `row` holds `v` or a version newer than it.
inline bool holds(const std::optional<Row>& row, const Version& v) {
  return row && (row->version == v || newer(row->version, v));
}

struct VersionKey {
  std::uint32_t origin;
  std::uint64_t seq;
  friend bool operator==(const VersionKey&, const VersionKey&) = default;
};
struct VersionKeyHash {
  std::size_t operator()(const VersionKey& k) const {
    return std::hash<std::uint64_t>()(k.seq * 0x9e3779b97f4a7c15ULL ^ k.origin);
  }
};

// Preloaded rows (initial users, stock) carry versions from no DC and older than every write.
constexpr DcId kPreloadOrigin{0xffffffffu};

}  // namespace system_detail

using namespace system_detail;  // NOLINT(google-build-using-namespace): private header

struct System::Impl final : DataAccess, OutcomeSink, FaultHandler {
  // --- construction ---------------------------------------------------------------------------
  Impl(const ScenarioSpec& s, std::uint64_t master_seed);
  void validate() const;
  void build_stores();
  void build_channels();
  void name_channels_uniquely();
  void build_workload();
  void build_exceptions();

  // --- DataAccess -----------------------------------------------------------------------------
  [[nodiscard]] bool dc_up(DcId dc) const override { return dc_down_count[dc.value] == 0; }
  CommitResult commit(DcId dc, DataClassId cls, WriteKind kind, std::uint64_t key,
                      std::uint64_t value, std::uint64_t ticket) override;
  void set_commit_waiter(CommitWaiter* waiter) override { commit_waiter = waiter; }
  [[nodiscard]] sim::Duration access_latency(DcId home, DcId dc) const override;
  [[nodiscard]] std::optional<Row> read(DcId dc, DataClassId cls,
                                        std::uint64_t key) const override {
    return stores[dc.value][cls.value]->find(key, engine.now());
  }
  void prefetch(DcId dc, DataClassId cls, std::uint64_t key) const override {
    stores[dc.value][cls.value]->prefetch(key);
  }
  std::optional<sim::Duration> call(DcId from, DcId to) override;
  std::optional<sim::Duration> fallback_call(DataClassId cls, DcId from, DcId to) override;
  void preload(DataClassId cls, std::uint64_t key, std::uint64_t value) override;
  std::optional<sim::Duration> round_trip(const Path& there);

  // --- OutcomeSink ----------------------------------------------------------------------------
  void on_op(const OpOutcome& op) override;
  void on_forced_relogin(BusinessId business, std::uint64_t user, DcId dc, sim::Time at) override;

  // --- FaultHandler ---------------------------------------------------------------------------
  void fault_started(std::size_t fault, std::size_t occurrence, sim::Duration duration) override;
  void fault_ended(std::size_t fault, std::size_t occurrence) override;
  void set_dc(DcId dc, bool up);
  void destroy_storage(DcId dc, bool whole_dc);
  void rebuild(DcId dc, bool whole_dc);
  void set_link_down(LinkId link, bool down);
  void set_link_degraded(LinkId link, const FaultSpec* degrade);
  void apply_link_state(LinkId link);
  std::vector<LinkId> partition_links(const std::vector<DcId>& side) const;
  void set_channel_stopped(std::size_t config, bool stopped);
  void log_remotely(Oplog& log, std::size_t index, const Write& w, DcId writer);
  void send_to_log(std::size_t index, const Write& w, DcId writer, bool recorded);
  void log_stored(std::uint32_t index, DcId writer, std::uint64_t seq);
  void log_timeout(std::uint32_t index, DcId writer, std::uint64_t seq);
  void flush_oplogs();
  void schedule_reconciliations(DcId faulted);
  void start_reconciliation(std::size_t oplog, DcId faulted);
  void reconcile(std::uint32_t job, std::size_t first);

  // --- arrivals -------------------------------------------------------------------------------
  void on_arrival(const Write& w, DcId replica, int use);
  void on_applied(const Write& w, DcId replica);
  void on_out_of_band_arrival(const Write& w, DcId replica);
  [[nodiscard]] bool acknowledged(const Version& v) const {
    return unacked.count(VersionKey{v.origin.value, v.seq}) == 0;
  }
  // Commits not yet acknowledged to their client (see PendingAck); settle() clears one part.
  void settle(const VersionKey& key, std::uint8_t part);
  void refuse(const VersionKey& key);
  [[nodiscard]] bool awaiting(const VersionKey& key, std::uint8_t part) const;

  // --- results --------------------------------------------------------------------------------
  [[nodiscard]] RunResults results() const;
  [[nodiscard]] std::vector<DcId> surviving_dcs() const;
  [[nodiscard]] const Path& path(DcId from, DcId to, const std::vector<LinkId>& links);
  /// The route of an API call or an oplog entry sent now: path() while it is up, else the
  /// shortest path over the allowed links that are up (routing around a cut), else path().
  [[nodiscard]] const Path& route(DcId from, DcId to, const std::vector<LinkId>& links);

  struct MysqlInstance {
    std::size_t config = 0;
    std::vector<LinkId> links;
    DcId source;
    DcId replica;
    std::vector<int> use_of_class;  // per class: the class's channel-use index, or -1
    std::unique_ptr<MysqlChannel> channel;
    std::uint64_t lost_in_transit = 0;
    std::string name;
  };
  struct MqInstance {
    std::size_t config = 0;
    DataClassId cls;
    int use = 0;
    DcId source;
    DcId replica;
    DcId broker;
    std::unique_ptr<MqChannel> channel;
    std::string name;
  };
  struct Outgoing {
    bool mysql = true;
    std::size_t index = 0;
  };
  // A destructive fault (dc_loss, db_loss) as the loss metrics need it.
  struct Destruction {
    std::size_t occurrence = 0;
    DcId dc;
    sim::Time at;
  };
  struct Reconciliation {
    std::size_t oplog = 0;
    DcId faulted;
    sim::Time started;
    sim::Time finished = sim::Time::max();
    std::uint64_t recovered = 0;
    std::uint64_t repaired = 0;
  };

  ScenarioSpec spec;
  std::uint64_t seed;
  sim::Engine engine;
  std::size_t dc_count;
  std::size_t class_count;
  std::unique_ptr<Network> network;
  std::vector<VersionClock> clocks;
  std::vector<std::vector<std::unique_ptr<Store>>> stores;  // [dc][class]
  std::vector<int> dc_down_count;
  std::vector<char> dc_destroyed;                                    // storage gone and not rebuilt
  std::map<std::pair<std::uint32_t, std::uint32_t>, Path> shortest;  // call() routes
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::vector<LinkId>>, Path> pinned;
  struct Detour {
    std::uint64_t epoch = ~std::uint64_t{0};
    bool found = false;
    Path path;
  };
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::vector<LinkId>>, Detour> detours;
  std::uint64_t link_epoch = 0;  // bumped at every link state change
  std::uint64_t preload_seq = 0;

  std::vector<MysqlInstance> mysql;
  std::vector<MqInstance> mq;
  std::vector<std::vector<std::vector<Outgoing>>> outgoing;                 // [dc][class]
  std::vector<std::vector<std::unique_ptr<FirstArrivalTracker>>> trackers;  // [class][dc]
  std::vector<std::vector<sim::SampleSeries>> class_lag_series;             // [class][dc]
  std::vector<std::uint64_t> bound_violations;                              // [class]
  std::vector<std::vector<std::uint64_t>> tracked_commits;  // [class][dc], after the warm-up
  // Writes a rebuilt DC got from its rebuild snapshot rather than a channel: [class][dc].
  std::vector<std::vector<std::uint64_t>> snapshot_arrivals;
  [[nodiscard]] std::uint64_t expected_arrivals(std::size_t cls, DcId replica) const;
  std::vector<char> semi_sync_class;
  // A commit acknowledged to its client only later: what it still waits for (bits), the
  // workload's ticket, and the deadline of a synchronous oplog write. An entry whose client was
  // never answered, or was refused, stays for good, so that write can never count as lost.
  static constexpr std::uint8_t kAwaitReplica = 1;  // a semi-sync replica's ack
  static constexpr std::uint8_t kAwaitLog = 2;      // a synchronous oplog's ack
  static constexpr std::uint8_t kNeverAnswered = 4;
  struct PendingAck {
    std::uint64_t ticket = 0;
    sim::Time log_deadline;
    std::uint8_t waiting = 0;
  };
  std::unordered_map<VersionKey, PendingAck, VersionKeyHash> unacked;
  CommitWaiter* commit_waiter = nullptr;
  bool committing = false;  // inside commit(): settlements are not told to the waiter

  // Op latency of succeeded ops after the warm-up: [business][dc], and per interval. A
  // business's histogram over all DCs is their merge (exact), taken for the results rather than
  // recorded on every op.
  std::vector<std::vector<sim::Histogram>> latency_by_dc;
  std::vector<sim::SampleSeries> latency_series;

  std::unique_ptr<Workload> workload;
  std::unique_ptr<FaultTimeline> timeline;
  std::vector<std::unique_ptr<Oplog>> oplogs;
  std::vector<int> oplog_of_class;
  std::vector<sim::Rng> oplog_rngs;                // [oplog]: the log's write time draws
  std::vector<std::uint64_t> oplog_sync_timeouts;  // [oplog]: sync writes the log missed
  // Remote oplog entries waiting for their path to the log's DC: [oplog][writer DC].
  std::vector<std::vector<std::vector<Write>>> oplog_pending;
  std::vector<std::vector<LinkId>> fallback_links;  // [class]
  std::unique_ptr<Availability> availability;
  std::unique_ptr<Compensation> compensation;

  std::vector<int> link_down_count;
  std::vector<const FaultSpec*> link_degrade;
  std::vector<int> channel_stop_count;
  std::vector<Destruction> destructions;
  std::vector<Reconciliation> reconciliations;
};

}  // namespace geodes::models
