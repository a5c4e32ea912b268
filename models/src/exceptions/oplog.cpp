#include "geodes/models/exceptions/oplog.hpp"

#include <algorithm>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

Oplog::Oplog(const OplogSpec& spec, std::size_t dc_count) : spec_(spec), dc_count_(dc_count) {
  if (dc_count == 0) throw InvalidArgument("oplog: no DCs");
  if (spec.remote_dc && spec.remote_dc->value >= dc_count) {
    throw InvalidArgument("oplog: remote_dc " + std::to_string(spec.remote_dc->value) +
                          " is unknown; there are " + std::to_string(dc_count) + " DCs");
  }
  if (spec.placement == OplogPlacement::kRemote && dc_count < 2) {
    throw InvalidArgument("oplog: a remote log needs a second DC");
  }
}

DcId Oplog::holder(DcId writer) const {
  if (spec_.placement != OplogPlacement::kRemote) return writer;
  if (spec_.remote_dc && *spec_.remote_dc != writer) return *spec_.remote_dc;
  // The next DC after the writer (also for the remote DC's own writes, which must leave it).
  return DcId{static_cast<std::uint32_t>((writer.value + 1) % dc_count_)};
}

void Oplog::record(const Write& w, DcId writer, sim::Time durable_at) {
  ++stats_.logged;
  const DcId at = holder(writer);
  if (at != writer) stats_.bytes_remote += w.bytes;
  OplogEntry entry{w, writer, at, durable_at};
  auto [it, inserted] = entries_.try_emplace(w.key, entry);
  if (!inserted && !newer(it->second.write.version, w.version)) it->second = entry;
}

void Oplog::set_durable(const Write& w, sim::Time at) {
  const auto it = entries_.find(w.key);
  if (it != entries_.end() && it->second.write.version == w.version) it->second.durable_at = at;
}

template <typename Doomed>
void Oplog::destroy(Doomed doomed) {
  // Erasing by a predicate leaves the same set whatever the map's iteration order.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (doomed(it->second)) {
      it = entries_.erase(it);
      ++stats_.destroyed;
    } else {
      ++it;
    }
  }
}

void Oplog::lose_db(DcId dc, sim::Time /*now*/) {
  if (spec_.placement != OplogPlacement::kServer) return;
  destroy([dc](const OplogEntry& e) { return e.held_at == dc; });
}

void Oplog::lose_dc(DcId dc, sim::Time now) {
  destroy([dc, now](const OplogEntry& e) {
    return e.held_at == dc || (e.writer == dc && e.durable_at > now);
  });
}

std::vector<OplogEntry> Oplog::entries(sim::Time now) const {
  std::vector<OplogEntry> out;
  out.reserve(entries_.size());
  for (const auto& [key, e] : entries_) {
    if (e.durable_at <= now) out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const OplogEntry& a, const OplogEntry& b) { return a.write.key < b.write.key; });
  return out;
}

const OplogEntry* Oplog::find(std::uint64_t key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace geodes::models
