// Store: rows, local commits, the apply rules of replicated writes, divergence.
//
// Determinism: rows_ is a hash map, used only for lookups; keys() and divergent_keys() sort.
#include "geodes/models/data/store.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geodes/sim/error.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::models {
namespace {

// In the order of the enum, so a name's index is its rule.
constexpr std::array<std::string_view, 5> kRuleNames = {"strict", "skip", "overwrite",
                                                        "last_writer_wins", "insert_if_absent"};

bool is_live(const Row* row) { return row != nullptr && !row->deleted; }

}  // namespace

Store::Store(DcId dc, std::string data_class) : dc_(dc), data_class_(std::move(data_class)) {}

const Row* Store::find(std::uint64_t key) const {
  const auto it = rows_.find(key);
  return it == rows_.end() ? nullptr : &it->second;
}

bool Store::contains(std::uint64_t key) const { return is_live(find(key)); }

std::vector<std::uint64_t> Store::keys() const {
  std::vector<std::uint64_t> out;
  out.reserve(rows_.size());
  for (const auto& [key, row] : rows_) out.push_back(key);
  std::sort(out.begin(), out.end());
  return out;
}

void Store::clear() {
  rows_.clear();
  live_ = 0;
}

void Store::put(Row& row, bool existed, const Write& w, sim::Time now) {
  const bool deleted = w.kind == WriteKind::kDelete;
  if (existed) {
    if (newer(row.version, w.version)) ++stats_.order_violations;
    if (!row.deleted) --live_;
  }
  row.version = w.version;
  row.value = w.value;
  row.deleted = deleted;
  row.commit_time = w.commit_time;
  row.apply_time = now;
  if (!deleted) ++live_;
}

ApplyResult Store::commit(const Write& w, sim::Time now) {
  // One lookup on the common paths (a new row inserted, an existing one updated).
  auto [it, inserted] = rows_.try_emplace(w.key);
  const bool live = !inserted && !it->second.deleted;
  if (w.kind == WriteKind::kInsert && live) return ApplyResult::kDuplicateKey;
  if (w.kind != WriteKind::kInsert && !live) {
    if (inserted) rows_.erase(it);
    return ApplyResult::kMissingRow;
  }
  put(it->second, !inserted, w, now);
  ++stats_.commits;
  return ApplyResult::kApplied;
}

ApplyResult Store::decide(const Write& w, ApplyRule rule, const Row* row) {
  if (rule == ApplyRule::kLastWriterWins) {
    // Every case (insert over a row, upsert of a missing row, write over a row or tombstone)
    // reduces to "the newest version wins"; only an absent key has nothing to compare with.
    // An exact redelivery (equal version) is not newer, hence stale.
    return row == nullptr || newer(w.version, row->version) ? ApplyResult::kApplied
                                                            : ApplyResult::kStale;
  }
  const bool live = is_live(row);
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
  // One hash lookup: the slot is made up front and removed again if the write is not applied.
  auto [it, inserted] = rows_.try_emplace(w.key);
  const ApplyResult result = decide(w, rule, inserted ? nullptr : &it->second);
  if (inserted && result != ApplyResult::kApplied) rows_.erase(it);
  switch (result) {
    case ApplyResult::kApplied:
      put(it->second, !inserted, w, now);
      ++stats_.applied;
      break;
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
  std::vector<std::uint64_t> all = a.keys();
  const std::vector<std::uint64_t> kb = b.keys();
  std::vector<std::uint64_t> merged;
  merged.reserve(all.size() + kb.size());
  std::set_union(all.begin(), all.end(), kb.begin(), kb.end(), std::back_inserter(merged));
  std::vector<std::uint64_t> out;
  for (const std::uint64_t key : merged) {
    const Row* ra = a.find(key);
    const Row* rb = b.find(key);
    const bool la = is_live(ra);
    const bool lb = is_live(rb);
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
