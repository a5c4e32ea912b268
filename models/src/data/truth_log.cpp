#include "geodes/models/data/truth_log.hpp"

#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

TruthLog::TruthLog(const std::vector<sim::Duration>& bounds, const std::vector<KeySizing>& sizing) {
  if (!sizing.empty() && sizing.size() != bounds.size()) {
    throw InvalidArgument("truth log: " + std::to_string(sizing.size()) + " sizings for " +
                          std::to_string(bounds.size()) + " data classes");
  }
  classes_.reserve(bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (bounds[i] < sim::Duration::zero()) {
      throw InvalidArgument("truth log: the bound of data class " + std::to_string(i) +
                            " is negative");
    }
    classes_.push_back(
        Class{bounds[i], KeyTable<Committed>(sizing.empty() ? KeySizing{} : sizing[i]), {}, {}});
  }
}

void TruthLog::record(DataClassId cls, std::uint64_t key, const Version& version,
                      sim::Time commit_time, bool deleted) {
  Class& c = classes_.at(cls.value);
  const Committed next{version, commit_time, deleted};
  auto [newest, inserted] = c.newest.try_emplace(key);
  const Committed replaced = *newest;
  *newest = next;
  if (inserted || c.bound == sim::Duration::max()) return;
  forget_older(c, commit_time);
  // The replaced version joins the older ones, pruned as of this commit against the new newest:
  // it stays the reference of reads for `bound` after this commit if it was committed before.
  Older& older = c.older[key];
  older.push_back(replaced);
  prune(c, next, older, commit_time);
  if (older.empty()) {
    c.older.erase(key);
  } else {
    c.rewrites.push_back(Rewrite{commit_time, key});
  }
}

void TruthLog::forget_older(Class& c, sim::Time now) {
  // A key's older versions are needed only while its newest is within the bound; once it is not,
  // the newest itself is the reference of every later read.
  while (!c.rewrites.empty() && c.rewrites.front().at <= now - c.bound) {
    const std::uint64_t key = c.rewrites.front().key;
    c.rewrites.pop_front();
    const Committed* newest = c.newest.find(key);
    if (newest != nullptr && newest->commit_time <= now - c.bound) c.older.erase(key);
  }
}

void TruthLog::prune(const Class& c, const Committed& newest, Older& older, sim::Time now) {
  // Keep the newest entry committed at or before the horizon and everything after it: older
  // entries can never again be the reference version of a staleness judgement.
  const sim::Time horizon = now - c.bound;
  std::size_t keep_from = 0;
  for (std::size_t i = 0; i < older.size(); ++i) {
    if (older[i].commit_time <= horizon) keep_from = i;
  }
  if (newest.commit_time <= horizon) keep_from = older.size();
  if (keep_from > 0) {
    older.erase(older.begin(), older.begin() + static_cast<std::ptrdiff_t>(keep_from));
  }
}

bool TruthLog::stale(DataClassId cls, std::uint64_t key, const Version& seen, sim::Time now) {
  Class& c = classes_.at(cls.value);
  if (c.bound == sim::Duration::max()) return false;
  forget_older(c, now);
  const Committed* newest = c.newest.find(key);
  if (newest == nullptr) return false;
  const sim::Time horizon = now - c.bound;
  const Committed* reference = nullptr;
  if (newest->commit_time <= horizon) {
    reference = newest;
  } else if (!c.older.empty()) {
    if (const auto it = c.older.find(key); it != c.older.end()) {
      prune(c, *newest, it->second, now);
      for (const Committed& old : it->second) {
        if (old.commit_time <= horizon) reference = &old;
      }
    }
  }
  return reference != nullptr && newer(reference->version(), seen);
}

std::vector<std::uint64_t> TruthLog::keys(DataClassId cls) const {
  return classes_.at(cls.value).newest.keys();
}

std::size_t TruthLog::key_count(DataClassId cls) const {
  return classes_.at(cls.value).newest.size();
}

std::size_t TruthLog::used_bytes() const {
  std::size_t n = 0;
  for (const Class& c : classes_) {
    n += c.newest.used_bytes() +
         c.older.capacity() * (sizeof(std::pair<std::uint64_t, Older>) + 1) +
         c.rewrites.size() * sizeof(Rewrite);
  }
  return n;
}

}  // namespace geodes::models
