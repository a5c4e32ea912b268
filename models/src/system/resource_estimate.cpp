#include "geodes/models/system/resource_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "geodes/models/data/store.hpp"
#include "geodes/models/data/truth_log.hpp"
#include "geodes/models/exceptions/oplog.hpp"
#include "geodes/models/workload/arrival_process.hpp"
#include "geodes/models/workload/workload.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/time_series.hpp"

namespace geodes::models {

namespace {

// ------------------------------------------------------------------------------------------------
// Bytes per element of each structure that grows with the scenario. When a layout changes, change
// its line here; resource_estimate_test.cpp compares the total with measured peak RSS.

// A std::vector or std::deque grown by push_back holds up to twice its size; a growing vector
// briefly holds its old buffer beside the new one. The peak of such a structure, per element.
constexpr double kGrowth = 1.5;

// The process before the run grows: code, libraries, the loaded scenario, the engine's queue and
// fixed tables. Measured: `geodes run` of the built-in scenario at 10 ops/s for a minute peaks at
// 15-16 MiB.
constexpr double kBaseBytes = 16.0 * 1024 * 1024;

// The data layer keeps rows, truth-log keys, oplog keys, ids and hurt users in flat KeyTables
// (models/data/key_table.hpp): a value pool grown like a vector plus a 4-byte index slot per
// entry (kIndexed), or the values indexed by key (kDirect, preloaded dense rows), reserved from
// the expected count. Per entry, the indexed cost times the pool's growth.
// Store: a row per key.
constexpr double kBytesPerRow = kGrowth * Store::kBytesPerRowIndexed;
// The workload's per-user tables: Workload::kBytesPerUser, reserved up front for up to
// Workload::kReservedUsers ids (see user_bytes()).
// IdAllocator's uniqueness registry: id -> number of entities given it (a KeyTable).
constexpr double kBytesPerId = kGrowth * (sizeof(std::uint32_t) + sizeof(std::uint32_t));
// TruthLog: the newest Committed per key written.
constexpr double kBytesPerTruthKey = kGrowth * TruthLog::kBytesPerKeyIndexed;
// A table over users' dense ids (a per-user class, truth_key_sizing() direct) is sized up front
// from users.max as address space only (key_sizing() in models/system/scenario.hpp): its flat
// array (the direct layout's entries with their presence bit, the indexed layout's 4-byte slot
// numbers) is indexed by the id itself. Keys of preloaded and registered users are consecutive
// ids, but keys the ops of other businesses write fall anywhere among all users' ids, and each
// makes the page it falls on resident. The arrays are advised onto transparent huge pages
// (models/data/huge_pages.hpp), so a page is counted as 2 MiB: a few thousand scattered writes
// among 10 M users make a 320 MiB truth-log table wholly resident (measured: 6,000 password
// changes among 10 M users, 60 s, peak RSS 1.84 -> 2.47 GiB against 60 changes). Nothing grows
// but the indexed layout's value pool.
constexpr double kPageBytes = 2.0 * 1024 * 1024;
constexpr double kBytesPerSlot = sizeof(std::uint32_t);
// An older version kept for the staleness bound (in an absl::flat_hash_map of vectors).
constexpr double kBytesPerTruthVersion = kGrowth * sizeof(Committed) + 8;
// Oplog: the newest entry per key.
constexpr double kBytesPerOplogKey = kGrowth * Oplog::kBytesPerKey;
// FirstArrivalTracker: a write waiting for a channel has an absl::flat_hash_map slot (key,
// delivered bits, a control byte) at a load between 7/16 and 7/8; a completed one a 16-byte FIFO
// entry plus its share of the window's bits (8 bytes when the class has 1/64 of its origin's
// writes). The larger of the two.
constexpr double kBytesPerRememberedWrite = (8 + 8 + 1) / 0.6;
// How long a tracker remembers a completed write (FirstArrivalTracker's default retention).
constexpr double kTrackerRetentionS = 600;
// A write waiting in a channel: a Write in the binlog/relay log deque (MySQL), a message in the
// broker's log plus the producer's ledger entry (MQ), and the first-arrival entry of a
// multi-channel class waiting for the stalled channel.
constexpr double kBytesPerQueuedWrite = sizeof(Write) + 8;
constexpr double kBytesPerQueuedMessage = sizeof(Write) + 48;
// Compensation: a user hurt (id -> causes, a KeyTable).
constexpr double kBytesPerHurtUser = kGrowth * (1 + sizeof(std::uint32_t));
// A series' interval, in the engine (grown like a vector) and in the results (mean and max).
constexpr double kBytesPerSampleInterval = kGrowth * sim::SampleSeries::kBytesPerInterval;
constexpr double kBytesPerGaugeInterval = kGrowth * sim::GaugeSeries::kBytesPerInterval;
constexpr double kBytesPerResultInterval = kGrowth * 2 * sizeof(double);
// A histogram whose values reach about 1e12 ns (sim/histogram.hpp: 2229 counters).
constexpr double kBytesPerHistogram = 2229.0 * 8 + 128;

// Events (measured on the shipped scenarios with every part switched off but one): an op takes
// about two, its arrival and the wait for its steps' service times (op latency: the steps run
// until they must wait, then resume once; retries and calls add a few more); measured 2.0 to 2.05
// per op on resource_estimate_test.cpp's scenarios and on the built-in one at 10k ops/s for an
// hour (89.3 M events). A write delivered over a MySQL channel takes two (the network arrival and
// the apply), except that an async channel with one applier takes no arrival event for a write
// that finds the applier busy (MysqlChannel, "Speed"): Poisson arrivals find it busy with
// probability rho, its utilisation, so 2 - rho (bench/mm1_channel.yaml, rho 0.8: 2.20 M events for
// 1 M ops and 1 M writes, of which 0.20 M deliveries); a message over an MQ channel about two
// (produce, fetch, commit are batched); each MQ consumer polls every fetch_max_wait when idle, a
// few events each.
constexpr double kEventsPerOp = 2.0;
constexpr double kEventsPerMysqlDelivery = 2;
constexpr double kEventsPerMqMessage = 2;
constexpr double kEventsPerIdlePoll = 3;

// ------------------------------------------------------------------------------------------------

std::string count_text(double n) {
  char buf[32];
  if (n < 100000) {
    std::snprintf(buf, sizeof buf, "%.0f", n);
    return buf;
  }
  const char* suffix[] = {"k", "M", "G", "T", "P", "E"};
  std::size_t u = 0;
  n /= 1000;
  while (n >= 999.5 && u + 1 < std::size(suffix)) {
    n /= 1000;
    ++u;
  }
  std::snprintf(buf, sizeof buf, "%.3g%s", n, suffix[u]);
  return buf;
}

std::string rate_text(double per_s) { return count_text(per_s) + "/s"; }

// The scenario keys behind one item, each group with the amount of the item it accounts for.
// Only the groups that weigh (a tenth of the item or more) are named, the heaviest first, so that
// a refusal points at what to change: workload.users.initial for a billion preloaded users, not
// workload.rate, which only adds the rows the run writes.
class Drivers {
 public:
  void add(std::string keys, double amount) {
    if (amount > 0 && std::isfinite(amount)) terms_.emplace_back(std::move(keys), amount);
  }

  /// The keys of the dominant groups ("a=1, b=2"), each key once; `otherwise` when none weighs.
  [[nodiscard]] std::string text(const std::string& otherwise) const {
    double total = 0;
    for (const auto& t : terms_) total += t.second;
    std::vector<std::pair<std::string, double>> sorted = terms_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> keys;
    for (const auto& [group, amount] : sorted) {
      if (amount < total / 10) break;
      std::size_t from = 0;
      while (from < group.size()) {
        std::size_t to = group.find(", ", from);
        if (to == std::string::npos) to = group.size();
        std::string key = group.substr(from, to - from);
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
        from = to + 2;
      }
    }
    if (keys.empty()) return otherwise;
    std::string out;
    for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out;
  }

 private:
  std::vector<std::pair<std::string, double>> terms_;
};

double seconds(sim::Duration d) { return static_cast<double>(d.ns()) / 1e9; }

// The resident bytes of a flat array of `per_id` bytes per id over `range` dense ids, holding
// `consecutive` keys that are ids in a row and `scattered` ones anywhere in the range (each
// making its page resident), never less than the keys themselves.
double flat_bytes(double consecutive, double scattered, double range, double per_id) {
  const double span = std::min(consecutive + scattered * (kPageBytes / per_id), range);
  return std::max(span, consecutive + scattered) * per_id;
}

// The resident bytes of a KeyTable over `range` dense users' ids (see kPageBytes) of `layout`
// whose entries take `indexed_bytes` in the indexed layout (value + slot, the structures'
// kBytesPer...Indexed) and `direct_bytes` in the direct one (value + presence bit).
double dense_table_bytes(KeyLayout layout, double indexed_bytes, double direct_bytes,
                         double consecutive, double scattered, double range) {
  if (layout == KeyLayout::kDirect) return flat_bytes(consecutive, scattered, range, direct_bytes);
  return (consecutive + scattered) * kGrowth * (indexed_bytes - kBytesPerSlot) +
         flat_bytes(consecutive, scattered, range, kBytesPerSlot);
}

// What the workload does to each data class, per second and in total.
struct ClassLoad {
  double writes_per_s = 0;  // commits of this class (all DCs)
  double keys = 0;          // distinct keys that will exist (rows per DC holding them all)
  double written_keys = 0;  // keys the workload writes (truth log, oplog)
  bool preloaded = false;
  // Where `keys` comes from (they add up to it): preloaded users, registrations, per-user keys
  // written by other businesses (instead of the first two when more), fixed and per-DC keys.
  double preload_keys = 0;
  double created_keys = 0;
  double touched_keys = 0;
  double fixed_keys = 0;
  bool touched_by_users = false;  // touched_keys is every user, not the ops writing them
  bool dense_users = false;  // keyed by users' dense account ids (flat arrays over their range)
  KeyLayout store_layout = KeyLayout::kIndexed;  // key_sizing()
  KeyLayout truth_layout = KeyLayout::kIndexed;  // truth_key_sizing()

  // Of the written keys (truth log, oplog), those that are ids in a row (registrations, fixed).
  [[nodiscard]] double written_consecutive() const {
    return std::min(written_keys, created_keys + fixed_keys);
  }
};

class Estimator {
 public:
  explicit Estimator(const ScenarioSpec& s)
      : s_(s),
        dcs_(static_cast<double>(s.topology.datacenter_count())),
        duration_s_(seconds(s.run.duration)),
        span_s_(seconds(s.run.duration) + seconds(s.run.drain)) {}

  ResourceEstimate run() {
    ops();
    classes();
    rows_and_users();
    truth_and_oplog();
    channels();
    compensation();
    series();
    histograms();
    add("base", "the process, libraries and engine", "", kBaseBytes);
    for (const ResourceItem& i : e_.items) e_.peak_bytes += i.bytes;
    return std::move(e_);
  }

 private:
  void add(std::string what, std::string detail, std::string keys, double bytes) {
    e_.items.push_back({std::move(what), std::move(detail), std::move(keys), bytes});
  }

  [[nodiscard]] std::string users_keys() const {
    return "workload.users.initial=" + count_text(static_cast<double>(s_.workload.users.initial)) +
           ", workload.users.max=" + count_text(static_cast<double>(s_.workload.users.max));
  }
  [[nodiscard]] std::string initial_keys() const {
    return "workload.users.initial=" + count_text(static_cast<double>(s_.workload.users.initial));
  }
  // What bounds the registrations: users.max when the run would register more than it allows,
  // the rate and duration otherwise.
  [[nodiscard]] std::string registration_keys() const {
    return registrations_capped_
               ? "workload.users.max=" + count_text(static_cast<double>(s_.workload.users.max))
               : load_keys();
  }
  // What bounds the per-user keys other businesses write: every user, or the ops writing them.
  [[nodiscard]] std::string touched_keys(const ClassLoad& l) const {
    return l.touched_by_users ? user_count_keys() : load_keys();
  }
  // What the number of users comes from: the initial ones, the registrations, or both.
  [[nodiscard]] std::string user_count_keys() const {
    Drivers d;
    d.add(initial_keys(), static_cast<double>(s_.workload.users.initial));
    d.add(registration_keys(), registrations_);
    return d.text(users_keys());
  }
  [[nodiscard]] std::string load_keys() const {
    return "workload.rate" +
           (s_.workload.total_rate_per_s > 0 ? "=" + rate_text(s_.workload.total_rate_per_s)
                                             : std::string(" (per business)")) +
           ", duration=" + sim::format(s_.run.duration);
  }

  // Expected arrivals of each business over the run, and who registers.
  void ops() {
    const WorkloadParams& w = s_.workload;
    double shares = 0;
    for (const BusinessParams& b : w.businesses) shares += b.share;
    for (const BusinessParams& b : w.businesses) {
      ArrivalParams a = b.arrivals;
      if (w.total_rate_per_s > 0) {
        a.rate_per_s = shares > 0 ? w.total_rate_per_s * b.share / shares : 0;
      }
      double n = a.rate_per_s * duration_s_;
      try {
        n = ArrivalProcess(a).expected_count(sim::Time::zero(),
                                             sim::Time::zero() + s_.run.duration);
      } catch (const InvalidArgument&) {
        // A spec System would refuse; the flat rate is estimate enough.
      }
      if (!std::isfinite(n) || n < 0) n = 0;
      ops_.push_back(n);
      total_ops_ += n;
      if (registers_users(b)) registrations_ += n;
    }
    const double initial = static_cast<double>(w.users.initial);
    const double max = static_cast<double>(w.users.max);
    registrations_capped_ = registrations_ > std::max(0.0, max - initial);
    registrations_ = std::min(registrations_, std::max(0.0, max - initial));
    users_ = initial + registrations_;
    e_.events += kEventsPerOp * total_ops_;
  }

  void classes() {
    const WorkloadParams& w = s_.workload;
    load_.assign(s_.data.size(), ClassLoad{});
    const double initial = static_cast<double>(w.users.initial);
    for (const DataClassId c : w.users.preload) {
      if (c.value < load_.size()) load_[c.value].preloaded = true;
    }
    // Keys per class: preloaded users, plus what businesses write.
    std::vector<double> account_writes(s_.data.size(), 0);  // ops writing per-user keys
    std::vector<double> new_keys(s_.data.size(), 0);        // keys created per registration
    std::vector<double> fixed_keys(s_.data.size(), 0);
    for (std::size_t b = 0; b < w.businesses.size(); ++b) {
      const BusinessParams& bp = w.businesses[b];
      const bool registers = registers_users(bp);
      const double reg_share = registers && ops_[b] > 0 ? registrations_ / ops_[b] : 1;
      for (const Step& st : bp.steps) {
        const std::size_t c = st.data_class.value;
        if (c >= load_.size()) continue;
        const bool writes = st.kind == StepKind::kWrite || st.kind == StepKind::kSession ||
                            st.kind == StepKind::kDecrement;
        if (!writes) continue;
        load_[c].writes_per_s += duration_s_ > 0 ? ops_[b] * reg_share / duration_s_ : 0;
        if (st.key == KeyChoice::kFixed) {
          fixed_keys[c] = std::max(fixed_keys[c], 1.0);
        } else if (st.key == KeyChoice::kPerDc) {
          fixed_keys[c] = std::max(fixed_keys[c], dcs_);
        } else if (registers) {
          new_keys[c] = 1;  // one key per registration (new_id, or the new user's account)
        } else {
          account_writes[c] += ops_[b];
        }
      }
      for (const Step& st : bp.steps) {
        const std::size_t c = st.data_class.value;
        if (c < load_.size() && st.kind == StepKind::kDecrement && !st.initial_per_dc.empty()) {
          load_[c].preloaded = true;
          fixed_keys[c] = std::max(fixed_keys[c], dcs_);
        }
      }
    }
    for (std::size_t c = 0; c < load_.size(); ++c) {
      ClassLoad& l = load_[c];
      const bool per_user =
          std::find(w.users.preload.begin(), w.users.preload.end(),
                    DataClassId{static_cast<std::uint32_t>(c)}) != w.users.preload.end();
      const double preload = per_user ? initial : 0;
      const double created = new_keys[c] * registrations_;
      // Per-user keys written by other businesses: at most one per user, at most one per op.
      const double touched = std::min(users_, account_writes[c]);
      l.keys = std::max(preload + created, touched) + fixed_keys[c];
      l.written_keys = std::min(l.keys, std::max(created, touched) + fixed_keys[c]);
      if (touched > preload + created) {
        l.touched_keys = touched;
      } else {
        l.preload_keys = preload;
        l.created_keys = created;
      }
      l.fixed_keys = fixed_keys[c];
      l.touched_by_users = users_ < account_writes[c];
      const DataClassId id{static_cast<std::uint32_t>(c)};
      l.store_layout = key_sizing(s_, id).layout;
      l.truth_layout = truth_key_sizing(s_, id).layout;
      l.dense_users = l.truth_layout == KeyLayout::kDirect;
    }
  }

  void rows_and_users() {
    double rows = 0;
    double row_bytes = 0;
    std::size_t stores = 0;
    Drivers drivers;
    for (std::size_t c = 0; c < load_.size(); ++c) {
      const ClassLoad& l = load_[c];
      // Synced and preloaded classes end up with every key in every DC; others hold what was
      // written where it was served (one DC per key, more after failovers: counted as two).
      const bool everywhere = l.preloaded || s_.sync[c].mode == SyncMode::kChannels;
      const double copies = everywhere ? dcs_ : std::min(dcs_, 2.0);
      rows += l.keys * copies;
      // Rows of registered or preloaded users are ids in a row; those other businesses write
      // (touched_keys) fall anywhere among the users' ids.
      const double consecutive = l.preload_keys + l.created_keys + l.fixed_keys;
      const double scattered = std::max(0.0, l.keys - consecutive);
      const double store = l.dense_users
                               ? dense_table_bytes(l.store_layout, Store::kBytesPerRowIndexed,
                                                   Store::kBytesPerRowDirect, consecutive,
                                                   scattered, users_ + l.fixed_keys)
                               : l.keys * kBytesPerRow;
      row_bytes += copies * store;
      if (l.keys > 0) stores += static_cast<std::size_t>(copies);
      drivers.add(initial_keys(), l.preload_keys * copies);
      drivers.add(registration_keys(), l.created_keys * copies);
      drivers.add(touched_keys(l), l.touched_keys * copies);
      drivers.add("workload.businesses (fixed and per-DC keys)", l.fixed_keys * copies);
    }
    add("rows", count_text(rows) + " rows in " + std::to_string(stores) + " stores",
        drivers.text(users_keys() + ", " + load_keys()), row_bytes);
    double ids = 0;
    for (const DataClassSpec& d : s_.data) {
      if (d.id_strategy) ids += users_;  // each user's account id, or each registration's
    }
    add("users",
        count_text(users_) + " users (" + count_text(registrations_) + " registered in the run)" +
            (ids > 0 ? ", " + count_text(ids) + " ids" : std::string()),
        user_count_keys(), user_bytes() + ids * kBytesPerId);
  }

  // The workload's per-user tables: reserved up to Workload::kReservedUsers, grown beyond.
  [[nodiscard]] double user_bytes() const {
    const auto reserved = static_cast<double>(Workload::kReservedUsers);
    const auto per_user = static_cast<double>(Workload::kBytesPerUser);
    return users_ * per_user * (users_ <= reserved ? 1 : kGrowth);
  }

  void truth_and_oplog() {
    double keys = 0;
    double key_bytes = 0;
    double versions = 0;
    Drivers drivers;
    for (std::size_t c = 0; c < load_.size(); ++c) {
      const ClassLoad& l = load_[c];
      keys += l.written_keys;
      const double bytes =
          l.dense_users
              ? dense_table_bytes(l.truth_layout, TruthLog::kBytesPerKeyIndexed,
                                  TruthLog::kBytesPerKeyDirect, l.written_consecutive(),
                                  l.written_keys - l.written_consecutive(), users_ + l.fixed_keys)
              : l.written_keys * kBytesPerTruthKey;
      key_bytes += bytes;
      drivers.add(flat_keys(l, bytes, kBytesPerTruthKey), bytes);
      const sim::Duration bound = s_.data[c].bound;
      if (bound != sim::Duration::max()) {
        const double kept = load_[c].writes_per_s * std::min(seconds(bound), span_s_);
        versions += kept;
        drivers.add(load_keys() + ", data.<class>.bound", kept * kBytesPerTruthVersion);
      }
    }
    add("truth log", count_text(keys) + " keys written, " + count_text(versions) + " versions kept",
        drivers.text(load_keys() + ", data.<class>.bound"),
        key_bytes + versions * kBytesPerTruthVersion);
    double logged = 0;
    double logged_bytes = 0;
    Drivers oplog_drivers;
    for (const OplogSpec& o : s_.exceptions.oplogs) {
      if (o.data_class.value < load_.size()) {
        const ClassLoad& l = load_[o.data_class.value];
        logged += l.written_keys;
        // An oplog's table is always indexed (models/exceptions/oplog.hpp).
        const double bytes =
            l.dense_users
                ? dense_table_bytes(KeyLayout::kIndexed, Oplog::kBytesPerKey, Oplog::kBytesPerKey,
                                    l.written_consecutive(),
                                    l.written_keys - l.written_consecutive(), users_ + l.fixed_keys)
                : l.written_keys * kBytesPerOplogKey;
        logged_bytes += bytes;
        oplog_drivers.add("exceptions.oplog, " + flat_keys(l, bytes, kBytesPerOplogKey), bytes);
      }
    }
    if (logged > 0) {
      add("oplog", count_text(logged) + " keys logged",
          oplog_drivers.text("exceptions.oplog, " + load_keys()), logged_bytes);
    }
  }

  // What drives `bytes` of a table of `l`'s written keys at about `per_key` bytes each: the keys
  // (written_keys()), or the users' id range when the pages that scattered keys make resident
  // cost more than twice the keys themselves.
  [[nodiscard]] std::string flat_keys(const ClassLoad& l, double bytes, double per_key) const {
    return bytes > 2 * l.written_keys * per_key ? user_count_keys() : written_keys(l);
  }

  // What the keys a class's workload writes come from: registrations, or the ops writing per-user
  // keys (bounded by the users).
  [[nodiscard]] std::string written_keys(const ClassLoad& l) const {
    return l.created_keys >= l.touched_keys ? registration_keys() : touched_keys(l);
  }

  // The longest time a fault keeps the path (or the ends) of a channel instance from `src` to
  // `dst` over `path` stalled, in seconds; 0 when none does.
  [[nodiscard]] double stall_s(const Path& path, std::size_t config) const {
    double longest = 0;
    for (const FaultSpec& f : s_.faults) {
      bool hits = false;
      switch (f.type) {
        case FaultType::kDcOutage:
        case FaultType::kDcLoss:
        case FaultType::kDbLoss:
          hits = std::find(path.dcs.begin(), path.dcs.end(), f.dc) != path.dcs.end();
          break;
        case FaultType::kLinkDown:
          hits = std::find(path.links.begin(), path.links.end(), f.link) != path.links.end();
          break;
        case FaultType::kPartition:
          for (const DcId d : path.dcs) {
            hits = hits || std::find(f.dcs.begin(), f.dcs.end(), d) != f.dcs.end();
          }
          break;
        case FaultType::kLinkDegrade:
          break;  // slower, not stopped
        case FaultType::kChannelStop:
        case FaultType::kBrokerCrash:
        case FaultType::kConsumerCrash:
          hits = f.channel == config;
          break;
      }
      if (!hits) continue;
      double d = 0;
      if (f.random) {
        d = f.mttr.quantile(0.99) / 1e9;
      } else {
        const double start = static_cast<double>(f.at.ns()) / 1e9;
        d = f.duration == sim::Duration::max() ? span_s_ - start : seconds(f.duration);
        d = std::min(d, span_s_ - start);
      }
      if (f.type == FaultType::kConsumerCrash) {
        d += seconds(s_.channels[config].mq.session_timeout);  // the rebalance waits for it
      }
      longest = std::max(longest, std::isfinite(d) ? d : span_s_);
    }
    return std::max(0.0, longest);
  }

  [[nodiscard]] std::optional<Path> route(DcId from, DcId to,
                                          const std::vector<LinkId>& links) const {
    try {
      return s_.topology.shortest_path(from, to, links);
    } catch (const InvalidArgument&) {
      return std::nullopt;
    }
  }

  void channels() {
    const std::size_t n = s_.topology.datacenter_count();
    double queued = 0;
    double remembered = 0;
    double mysql_events = 0;
    double messages_mq = 0;
    double consumers = 0;
    std::string drivers;
    std::set<std::tuple<std::size_t, std::vector<LinkId>, std::uint32_t, std::uint32_t>> mysql;
    instances_ = 0;
    for (std::size_t c = 0; c < load_.size(); ++c) {
      const SyncSpec& sync = s_.sync[c];
      if (sync.mode != SyncMode::kChannels) continue;
      // A source DC commits its share of the class's writes; each goes to every other DC.
      const double per_source = load_[c].writes_per_s / dcs_;
      double longest_stall = 0;
      for (const ChannelUse& use : sync.channels) {
        if (use.channel >= s_.channels.size()) continue;
        const ChannelSpec& ch = s_.channels[use.channel];
        for (std::uint32_t a = 0; a < n; ++a) {
          for (std::uint32_t b = 0; b < n; ++b) {
            if (a == b) continue;
            std::optional<Path> p;
            if (ch.type == ChannelType::kMq && ch.broker_dc && *ch.broker_dc != DcId{a}) {
              auto produce = route(DcId{a}, *ch.broker_dc, use.links);
              auto consume = route(*ch.broker_dc, DcId{b}, use.links);
              if (produce && consume) {
                p = *produce;
                p->links.insert(p->links.end(), consume->links.begin(), consume->links.end());
                p->dcs.insert(p->dcs.end(), consume->dcs.begin(), consume->dcs.end());
              }
            } else {
              p = route(DcId{a}, DcId{b}, use.links);
            }
            if (!p) continue;
            double stall = stall_s(*p, use.channel);
            if (ch.type == ChannelType::kMysqlReplication) {
              mysql.insert({use.channel, use.links, a, b});
              double events = kEventsPerMysqlDelivery * per_source * duration_s_;
              if (ch.mysql.threads == 1 && ch.mysql.mode == ReplicationMode::kAsync) {
                // Its other classes' writes keep it busy too: leaving them out errs high. The
                // writes a stall holds back arrive behind each other once it ends, and find the
                // applier busy with the ones before them.
                const double rho = std::min(per_source * ch.mysql.apply_time.mean() / 1e9, 1.0);
                const double held_back = std::min(stall, duration_s_);
                events -= per_source * (rho * (duration_s_ - held_back) + held_back);
              }
              mysql_events += events;
              // An applier slower than the writes falls behind for the whole run.
              const double capacity =
                  ch.mysql.threads / std::max(ch.mysql.apply_time.mean() / 1e9, 1e-12);
              if (per_source > capacity) {
                queued += (per_source - capacity) * duration_s_;
                drivers += ", channels." + ch.name + ".apply_time";
              }
              queued += per_source * stall;
            } else {
              ++instances_;
              messages_mq += per_source * duration_s_;
              consumers += ch.mq.consumers;
              queued += per_source * stall * (kBytesPerQueuedMessage / kBytesPerQueuedWrite);
              const double wait = std::max(seconds(ch.mq.fetch_max_wait), 1e-3);
              e_.events += kEventsPerIdlePoll * ch.mq.consumers * span_s_ / wait;
            }
            longest_stall = std::max(longest_stall, stall);
          }
        }
      }
      if (!sync.channels.empty()) {
        // Each replica remembers the writes of the others (to tell a first arrival from a
        // duplicate) until every channel has brought them, then for the retention: a class on
        // one channel too.
        remembered += per_source * (dcs_ - 1) * dcs_ *
                      (std::min(kTrackerRetentionS, span_s_) + longest_stall);
      }
    }
    instances_ += mysql.size();
    mysql_instances_ = mysql.size();
    e_.events += mysql_events + kEventsPerMqMessage * messages_mq;
    add("queues", count_text(queued) + " writes waiting in stalled or slow channels",
        "faults" + drivers + ", " + load_keys(), queued * kBytesPerQueuedWrite);
    if (remembered > 0) {
      add("trackers", count_text(remembered) + " writes remembered by first-arrival trackers",
          "sync (classes replicated by channels), " + load_keys(),
          remembered * kBytesPerRememberedWrite);
    }
    consumers_ = consumers;
  }

  void compensation() {
    // Users hurt: at most one per op during faults (and their detection), at most every user.
    double fault_s = 0;
    for (const FaultSpec& f : s_.faults) {
      if (f.random) {
        const double up = f.mtbf.mean() / 1e9;
        const double down = f.mttr.mean() / 1e9;
        fault_s += up + down > 0 ? duration_s_ * down / (up + down) : 0;
      } else {
        fault_s += f.duration == sim::Duration::max() ? duration_s_ : seconds(f.duration);
      }
      fault_s += seconds(s_.workload.gslb.detection_delay);
    }
    const double rate = duration_s_ > 0 ? total_ops_ / duration_s_ : 0;
    const double during = rate * std::min(fault_s, duration_s_);
    const double hurt = std::min(users_, during);
    if (hurt > 0) {
      // Every user when the faults last long enough to hurt them all; the ops during faults else.
      add("compensation", count_text(hurt) + " users hurt during faults",
          "faults, " + (users_ < during ? user_count_keys() : load_keys()),
          hurt * kBytesPerHurtUser);
    }
  }

  void series() {
    const std::size_t n = s_.topology.datacenter_count();
    double samples = static_cast<double>(s_.workload.businesses.size() + n);  // availability
    double gauges = 0;
    for (const SyncSpec& sync : s_.sync) {
      if (sync.mode == SyncMode::kChannels) samples += static_cast<double>(n);  // class lag
    }
    samples += static_cast<double>(mysql_instances_);  // lag
    gauges += static_cast<double>(mysql_instances_);   // backlog
    const double mq_instances = static_cast<double>(instances_ - mysql_instances_);
    samples += mq_instances + consumers_;  // lag, consumer lag time
    gauges += consumers_;                  // consumer lag in messages
    const double interval_s = seconds(s_.metrics.series_interval);
    const double intervals = interval_s > 0 ? std::ceil(span_s_ / interval_s) : span_s_ * 1e9;
    const double bytes =
        intervals * (samples * kBytesPerSampleInterval + gauges * kBytesPerGaugeInterval +
                     (samples + gauges) * kBytesPerResultInterval);
    add("time series",
        count_text(samples + gauges) + " series x " + count_text(intervals) + " intervals",
        "metrics.series_interval=" + sim::format(s_.metrics.series_interval) +
            ", duration=" + sim::format(s_.run.duration) + ", drain=" + sim::format(s_.run.drain),
        bytes);
  }

  void histograms() {
    // Per MySQL instance 3, per MQ instance 4, per synced class and replica 2, per business and
    // DC 2 (op latency), per fallback 1.
    const double n = dcs_;
    double count = 3.0 * static_cast<double>(mysql_instances_) +
                   4.0 * static_cast<double>(instances_ - mysql_instances_) +
                   2.0 * static_cast<double>(s_.workload.businesses.size()) * n +
                   static_cast<double>(s_.exceptions.access_fallback.size());
    for (const SyncSpec& sync : s_.sync) {
      if (sync.mode == SyncMode::kChannels) count += 2 * n;
    }
    add("histograms", count_text(count) + " histograms", "channels, data, businesses",
        count * kBytesPerHistogram);
  }

  const ScenarioSpec& s_;
  double dcs_;
  double duration_s_;
  double span_s_;
  std::vector<double> ops_;  // per business, over the run
  double total_ops_ = 0;
  double registrations_ = 0;
  bool registrations_capped_ = false;  // the run would register more than users.max allows
  double users_ = 0;
  std::vector<ClassLoad> load_;
  std::size_t instances_ = 0;  // channel instances (MySQL ones shared by classes counted once)
  std::size_t mysql_instances_ = 0;
  double consumers_ = 0;
  ResourceEstimate e_;
};

}  // namespace

std::vector<ResourceItem> ResourceEstimate::largest() const {
  std::vector<ResourceItem> out = items;
  std::stable_sort(out.begin(), out.end(),
                   [](const ResourceItem& a, const ResourceItem& b) { return a.bytes > b.bytes; });
  return out;
}

ResourceEstimate estimate_resources(const ScenarioSpec& spec) {
  if (spec.topology.datacenter_count() == 0 || spec.sync.size() != spec.data.size()) {
    throw InvalidArgument(
        "estimate_resources: the scenario has no datacenters or its sync does "
        "not match its data classes");
  }
  return Estimator(spec).run();
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t u = 0;
  if (!std::isfinite(bytes)) return "inf";
  while (bytes >= 1023.5 && u + 1 < std::size(units)) {
    bytes /= 1024;
    ++u;
  }
  char buf[48];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%.0fB", bytes);
  } else {
    std::snprintf(buf, sizeof buf,
                  bytes < 9.995   ? "%.2f%s"
                  : bytes < 99.95 ? "%.1f%s"
                                  : "%.0f%s",
                  bytes, units[u]);
  }
  return buf;
}

}  // namespace geodes::models
