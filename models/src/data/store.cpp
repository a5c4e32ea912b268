// Store: rows, local commits, the apply rules of replicated writes, divergence.
//
// Determinism: rows_ is probed by key; keys() and divergent_keys() are in key order.
#include "geodes/models/data/store.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/names.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {
namespace {

// In the order of the enum, so a name's index is its rule.
constexpr std::array<std::string_view, 5> kRuleNames = {"strict", "skip", "overwrite",
                                                        "last_writer_wins", "insert_if_absent"};

// The version a stored row holds.
Version version_of(std::uint32_t origin, std::uint64_t seq, std::int64_t hlc) {
  return Version{DcId{origin}, seq, hlc};
}

}  // namespace

Store::Store(DcId dc, std::string data_class, KeySizing sizing, sim::Duration ttl)
    : dc_(dc), data_class_(std::move(data_class)), ttl_(ttl), rows_(sizing) {
  if (ttl <= sim::Duration::zero()) {
    throw InvalidArgument("store of '" + data_class_ + "': ttl must be > 0, got " +
                          sim::format(ttl));
  }
  if (ttl_ != sim::Duration::max()) next_sweep_ = sim::Time::zero() + sweep_interval();
}

sim::Duration Store::sweep_interval() const {
  return std::max(sim::Duration(1), sim::Duration(ttl_.ns() / 16));
}

std::size_t Store::expire(sim::Time now) {
  if (ttl_ == sim::Duration::max()) return 0;
  return rows_.erase_if([&](std::uint64_t key, const Stored& s) {
    if (!expired(commit_time_of(key, s), now)) return false;
    forget(key, s);
    ++stats_.expired;
    return true;
  });
}

void Store::forget(std::uint64_t key, const Stored& s) {
  if ((s.meta & kDeleted) == 0) --live_;
  if ((s.meta & kFarCommit) != 0) far_commit_.erase(key);
}

Store::Stored* Store::live_slot(std::uint64_t key, sim::Time now) {
  Stored* row = rows_.find(key);
  if (ttl_ == sim::Duration::max()) return row;
  if (now >= next_sweep_) {
    expire(now);
    next_sweep_ = now + sweep_interval();
    row = rows_.find(key);
  }
  if (row != nullptr && expired(commit_time_of(key, *row), now)) {
    forget(key, *row);
    ++stats_.expired;
    rows_.erase(key);
    row = nullptr;
  }
  return row;
}

std::vector<std::uint64_t> Store::keys() const { return rows_.keys(); }

void Store::clear() {
  rows_.clear();
  absl::flat_hash_map<std::uint64_t, sim::Time>().swap(far_commit_);
  live_ = 0;
}

std::size_t Store::used_bytes() const {
  return rows_.used_bytes() +
         far_commit_.capacity() * (sizeof(std::pair<std::uint64_t, sim::Time>) + 1);
}

void Store::put(Stored& row, bool existed, const Write& w) {
  const bool deleted = w.kind == WriteKind::kDelete;
  if (existed) {
    if (newer(version_of(row.origin, row.seq, row.hlc), w.version)) ++stats_.order_violations;
    forget(w.key, row);
  }
  row.seq = w.version.seq;
  row.hlc = w.version.hlc;
  row.value = w.value;
  row.origin = w.version.origin.value;
  // The commit time as its distance below the hybrid timestamp (see Stored).
  constexpr std::int64_t kLimit = std::int64_t{1} << 29;
  std::int64_t distance = 0;
  const bool near = !__builtin_sub_overflow(w.version.hlc, w.commit_time.ns(), &distance) &&
                    distance >= -kLimit && distance < kLimit;
  row.meta = deleted ? kDeleted : 0;
  if (near) {
    row.meta |= static_cast<std::int32_t>(distance * 4);
  } else {
    row.meta |= kFarCommit;
    far_commit_[w.key] = w.commit_time;
  }
  if (!deleted) ++live_;
}

ApplyResult Store::commit(const Write& w, sim::Time now) {
  if (ttl_ != sim::Duration::max()) live_slot(w.key, now);  // an expired row is gone first
  auto [row, inserted] = rows_.try_emplace(w.key);
  const bool live = !inserted && (row->meta & kDeleted) == 0;
  if (w.kind == WriteKind::kInsert && live) return ApplyResult::kDuplicateKey;
  if (w.kind != WriteKind::kInsert && !live) {
    if (inserted) rows_.erase(w.key);
    return ApplyResult::kMissingRow;
  }
  put(*row, !inserted, w);
  ++stats_.commits;
  return ApplyResult::kApplied;
}

ApplyResult Store::decide(const Write& w, ApplyRule rule, const Stored* row) {
  if (rule == ApplyRule::kLastWriterWins) {
    // Every case (insert over a row, upsert of a missing row, write over a row or tombstone)
    // reduces to "the newest version wins"; only an absent key has nothing to compare with.
    // An exact redelivery (equal version) is not newer, hence stale.
    return row == nullptr || newer(w.version, version_of(row->origin, row->seq, row->hlc))
               ? ApplyResult::kApplied
               : ApplyResult::kStale;
  }
  const bool live = row != nullptr && (row->meta & kDeleted) == 0;
  if (w.kind == WriteKind::kInsert) {
    if (!live) return ApplyResult::kApplied;  // missing or a tombstone
    switch (rule) {
      case ApplyRule::kStrict:
        return ApplyResult::kDuplicateKey;
      case ApplyRule::kOverwrite:
        return ApplyResult::kApplied;  // REPLACE INTO
      case ApplyRule::kSkip:
      case ApplyRule::kInsertIfAbsent:
      case ApplyRule::kLastWriterWins:
        break;
    }
    return ApplyResult::kSkipped;
  }
  // Update or delete.
  if (live) return ApplyResult::kApplied;
  return rule == ApplyRule::kStrict ? ApplyResult::kMissingRow : ApplyResult::kSkipped;
}

ApplyResult Store::apply(const Write& w, ApplyRule rule, sim::Time now) {
  Stored* row = live_slot(w.key, now);
  const ApplyResult result = decide(w, rule, row);
  switch (result) {
    case ApplyResult::kApplied: {
      const bool existed = row != nullptr;
      if (!existed) row = rows_.try_emplace(w.key).first;
      put(*row, existed, w);
      ++stats_.applied;
      break;
    }
    case ApplyResult::kDuplicateKey:
      ++stats_.duplicate_key;
      break;
    case ApplyResult::kMissingRow:
      ++stats_.missing_row;
      break;
    case ApplyResult::kSkipped:
      ++stats_.skipped;
      break;
    case ApplyResult::kStale:
      ++stats_.stale;
      break;
  }
  return result;
}

std::vector<std::uint64_t> divergent_keys(const Store& a, const Store& b) {
  // A merge of the two key lists, in key order, without building their union.
  const std::vector<std::uint64_t> ka = a.keys();
  const std::vector<std::uint64_t> kb = b.keys();
  std::vector<std::uint64_t> out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < ka.size() || j < kb.size()) {
    std::uint64_t key = 0;
    if (j == kb.size() || (i < ka.size() && ka[i] < kb[j])) {
      key = ka[i++];
    } else if (i == ka.size() || kb[j] < ka[i]) {
      key = kb[j++];
    } else {
      key = ka[i++];
      ++j;
    }
    const std::optional<Row> ra = a.find(key);
    const std::optional<Row> rb = b.find(key);
    const bool la = ra && !ra->deleted;
    const bool lb = rb && !rb->deleted;
    if (la != lb || (la && ra->value != rb->value)) out.push_back(key);
  }
  return out;
}

const char* to_string(ApplyRule rule) {
  const auto i = static_cast<std::size_t>(rule);
  return i < kRuleNames.size() ? kRuleNames[i].data() : "unknown";
}

const char* to_string(ApplyResult result) {
  switch (result) {
    case ApplyResult::kApplied:
      return "applied";
    case ApplyResult::kDuplicateKey:
      return "duplicate_key";
    case ApplyResult::kMissingRow:
      return "missing_row";
    case ApplyResult::kSkipped:
      return "skipped";
    case ApplyResult::kStale:
      return "stale";
  }
  return "unknown";
}

const char* to_string(WriteKind kind) {
  switch (kind) {
    case WriteKind::kInsert:
      return "insert";
    case WriteKind::kUpdate:
      return "update";
    case WriteKind::kDelete:
      return "delete";
  }
  return "unknown";
}

ApplyRule parse_apply_rule(const std::string& name) {
  static constexpr ApplyRule kAll[] = {ApplyRule::kStrict, ApplyRule::kSkip, ApplyRule::kOverwrite,
                                       ApplyRule::kLastWriterWins, ApplyRule::kInsertIfAbsent};
  return sim::parse_name(name, kAll, "apply rule");
}

}  // namespace geodes::models
