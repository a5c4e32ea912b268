#include "geodes/models/data/truth_log.hpp"

#include <algorithm>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

TruthLog::TruthLog(const std::vector<sim::Duration>& bounds) {
  classes_.reserve(bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (bounds[i] < sim::Duration::zero()) {
      throw InvalidArgument("truth log: the bound of data class " + std::to_string(i) +
                            " is negative");
    }
    classes_.push_back(Class{bounds[i], {}});
  }
}

void TruthLog::record(DataClassId cls, std::uint64_t key, const Version& version,
                      sim::Time commit_time, bool deleted) {
  Class& c = classes_.at(cls.value);
  const Committed next{version, commit_time, deleted};
  auto [it, inserted] = c.keys.try_emplace(key, Entry{next, {}});
  if (inserted) return;
  Entry& e = it->second;
  if (c.bound != sim::Duration::max()) {
    e.older.push_back(e.newest);
    prune(c, e, commit_time);
  }
  e.newest = next;
}

void TruthLog::prune(const Class& c, Entry& e, sim::Time now) const {
  if (e.older.empty()) return;
  // Keep the newest entry committed at or before the horizon and everything after it: older
  // entries can never again be the reference version of a staleness judgement.
  const sim::Time horizon = now - c.bound;
  std::size_t keep_from = 0;
  for (std::size_t i = 0; i < e.older.size(); ++i) {
    if (e.older[i].commit_time <= horizon) keep_from = i;
  }
  if (e.newest.commit_time <= horizon) keep_from = e.older.size();
  if (keep_from > 0) {
    e.older.erase(e.older.begin(), e.older.begin() + static_cast<std::ptrdiff_t>(keep_from));
  }
}

const Committed* TruthLog::latest(DataClassId cls, std::uint64_t key) const {
  const Class& c = classes_.at(cls.value);
  const auto it = c.keys.find(key);
  return it == c.keys.end() ? nullptr : &it->second.newest;
}

bool TruthLog::stale(DataClassId cls, std::uint64_t key, const Version& seen, sim::Time now) {
  Class& c = classes_.at(cls.value);
  if (c.bound == sim::Duration::max()) return false;
  const auto it = c.keys.find(key);
  if (it == c.keys.end()) return false;
  Entry& e = it->second;
  prune(c, e, now);
  const sim::Time horizon = now - c.bound;
  const Committed* reference = nullptr;
  if (e.newest.commit_time <= horizon) {
    reference = &e.newest;
  } else {
    for (const Committed& old : e.older) {
      if (old.commit_time <= horizon) reference = &old;
    }
  }
  return reference != nullptr && newer(reference->version, seen);
}

std::vector<std::uint64_t> TruthLog::keys(DataClassId cls) const {
  const Class& c = classes_.at(cls.value);
  std::vector<std::uint64_t> out;
  out.reserve(c.keys.size());
  for (const auto& [key, entry] : c.keys) out.push_back(key);
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t TruthLog::key_count(DataClassId cls) const {
  return classes_.at(cls.value).keys.size();
}

}  // namespace geodes::models
