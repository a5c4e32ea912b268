// A DataAccess for workload tests: real Stores and VersionClocks per DC, no network. Writes
// committed at a DC reach the other DCs only when the test calls replicate() (last-writer-wins),
// so a test decides exactly what is stale or missing where.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "geodes/models/data/store.hpp"
#include "geodes/models/data/version.hpp"
#include "geodes/models/workload/data_access.hpp"
#include "geodes/sim/engine.hpp"

namespace geodes::models::testing {

class FakeDataAccess : public DataAccess {
 public:
  FakeDataAccess(sim::Engine& engine, std::size_t dcs, std::size_t classes)
      : engine_(engine), up_(dcs, true) {
    for (std::size_t d = 0; d < dcs; ++d) {
      clocks_.emplace_back(DcId{static_cast<std::uint32_t>(d)});
      stores_.emplace_back();
      for (std::size_t c = 0; c < classes; ++c) {
        stores_.back().emplace_back(DcId{static_cast<std::uint32_t>(d)},
                                    "class" + std::to_string(c));
      }
    }
  }

  bool dc_up(DcId dc) const override { return up_[dc.value]; }

  CommitResult commit(DcId dc, DataClassId cls, WriteKind kind, std::uint64_t key,
                      std::uint64_t value, std::uint64_t ticket) override {
    ++commits_;
    Write w;
    w.key = key;
    w.kind = kind;
    w.value = value;
    w.commit_time = engine_.now();
    w.bytes = 100;
    // Only take a version if the commit can succeed, like a DB that rejects before logging.
    const std::optional<Row> row = stores_[dc.value][cls.value].find(key);
    const bool exists = row && !row->deleted;
    if (kind == WriteKind::kInsert && exists) return {ApplyResult::kDuplicateKey, {}};
    if (kind != WriteKind::kInsert && !exists) return {ApplyResult::kMissingRow, {}};
    w.version = clocks_[dc.value].next(engine_.now());
    const ApplyResult r = stores_[dc.value][cls.value].commit(w, engine_.now());
    if (r == ApplyResult::kApplied) pending_.push_back({dc, cls, w});
    CommitResult out{r, w.version};
    if (r == ApplyResult::kApplied && hold_acks_) {
      out.acknowledged = false;
      tickets_.push_back(ticket);
    }
    return out;
  }

  void set_commit_waiter(CommitWaiter* waiter) override { waiter_ = waiter; }
  [[nodiscard]] sim::Duration access_latency(DcId home, DcId dc) const override {
    return home == dc ? sim::Duration::zero() : access_latency_;
  }

  std::optional<Row> read(DcId dc, DataClassId cls, std::uint64_t key) const override {
    return stores_[dc.value][cls.value].find(key);
  }

  std::optional<sim::Duration> call(DcId from, DcId to) override {
    ++calls_;
    if (cut_.count({from.value, to.value}) != 0) return std::nullopt;
    return rtt_;
  }

  void preload(DataClassId cls, std::uint64_t key, std::uint64_t value) override {
    Write w;
    w.key = key;
    w.kind = WriteKind::kInsert;
    w.value = value;
    w.version = Version{DcId{0}, ++preload_seq_, 0};
    for (auto& dc : stores_) dc[cls.value].apply(w, ApplyRule::kOverwrite, engine_.now());
  }

  // Applies at every other DC (last-writer-wins) each write committed at or before `cutoff`
  // (default: all of them) at a DC that is up now; the others stay pending, in commit order.
  void replicate(sim::Time cutoff = sim::Time::max()) {
    std::vector<Pending> kept;
    for (const Pending& p : pending_) {
      if (p.write.commit_time > cutoff || !up_[p.dc.value]) {
        kept.push_back(p);
        continue;
      }
      for (std::size_t d = 0; d < stores_.size(); ++d) {
        if (d == p.dc.value) continue;
        stores_[d][p.cls.value].apply(p.write, ApplyRule::kLastWriterWins, engine_.now());
        clocks_[d].observe(p.write.version);
      }
    }
    pending_ = std::move(kept);
  }

  void set_up(DcId dc, bool up) { up_[dc.value] = up; }
  // Commits are acknowledged only when the test settles them (a semi-sync replica, a sync log).
  void hold_acks(bool hold) { hold_acks_ = hold; }
  [[nodiscard]] const std::vector<std::uint64_t>& held_tickets() const { return tickets_; }
  void settle(std::size_t i, bool acknowledged) {
    waiter_->commit_settled(tickets_.at(i), acknowledged);
  }
  void set_access_latency(sim::Duration d) { access_latency_ = d; }
  void set_rtt(sim::Duration rtt) { rtt_ = rtt; }
  void cut(DcId from, DcId to) { cut_.insert({from.value, to.value}); }
  Store& store(DcId dc, DataClassId cls) { return stores_[dc.value][cls.value]; }
  [[nodiscard]] std::uint64_t commits() const { return commits_; }
  [[nodiscard]] std::uint64_t calls() const { return calls_; }
  [[nodiscard]] std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    DcId dc;
    DataClassId cls;
    Write write;
  };
  sim::Engine& engine_;
  std::vector<bool> up_;
  std::vector<VersionClock> clocks_;
  std::vector<std::vector<Store>> stores_;
  std::vector<Pending> pending_;
  std::set<std::pair<std::uint32_t, std::uint32_t>> cut_;
  sim::Duration rtt_{40'000'000};  // 40 ms
  sim::Duration access_latency_;   // one way between two DCs; tests set it
  bool hold_acks_ = false;
  std::vector<std::uint64_t> tickets_;
  CommitWaiter* waiter_ = nullptr;
  std::uint64_t preload_seq_ = 0;
  std::uint64_t commits_ = 0;
  std::uint64_t calls_ = 0;
};

}  // namespace geodes::models::testing
