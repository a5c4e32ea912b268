#include "geodes/models/exceptions/oplog.hpp"

#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::models {

Oplog::Oplog(const OplogSpec& spec, std::size_t dc_count, KeySizing sizing)
    : spec_(spec), dc_count_(dc_count), entries_(KeySizing{sizing.expected, KeyLayout::kIndexed}) {
  if (dc_count == 0) throw InvalidArgument("oplog: no DCs");
  if (dc_count > kMaxDcs) {
    throw InvalidArgument("oplog: " + std::to_string(dc_count) + " DCs; a log spans at most " +
                          std::to_string(kMaxDcs));
  }
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
  if (w.data_class != spec_.data_class) {
    throw InvalidArgument("oplog of data class " + std::to_string(spec_.data_class.value) +
                          ": a write of data class " + std::to_string(w.data_class.value));
  }
  if (writer.value >= dc_count_ || w.version.origin.value >= dc_count_) {
    throw InvalidArgument("oplog: a write by DC " + std::to_string(writer.value) + " of origin " +
                          std::to_string(w.version.origin.value) + "; there are " +
                          std::to_string(dc_count_) + " DCs");
  }
  ++stats_.logged;
  const DcId at = holder(writer);
  if (at != writer) stats_.bytes_remote += w.bytes;
  auto [e, inserted] = entries_.try_emplace(w.key);
  if (!inserted && newer(Version{DcId{e->origin}, e->seq, e->hlc}, w.version)) return;
  // Both DC ids are < dc_count_ <= kMaxDcs (checked above), so they fit in a byte.
  *e = Stored{w.version.seq,
              w.version.hlc,
              w.value,
              w.commit_time,
              durable_at,
              w.bytes,
              static_cast<std::uint8_t>(w.version.origin.value),
              static_cast<std::uint8_t>(writer.value),
              w.kind};
}

void Oplog::set_durable(const Write& w, sim::Time at) {
  Stored* e = entries_.find(w.key);
  if (e != nullptr && Version{DcId{e->origin}, e->seq, e->hlc} == w.version) e->durable_at = at;
}

OplogEntry Oplog::unpack(std::uint64_t key, const Stored& s) const {
  OplogEntry e;
  e.write.key = key;
  e.write.kind = s.kind;
  e.write.data_class = spec_.data_class;
  e.write.version = Version{DcId{s.origin}, s.seq, s.hlc};
  e.write.value = s.value;
  e.write.commit_time = s.commit_time;
  e.write.bytes = s.bytes;
  e.writer = DcId{s.writer};
  e.held_at = holder(e.writer);
  e.durable_at = s.durable_at;
  return e;
}

template <typename Doomed>
void Oplog::destroy(Doomed doomed) {
  // Erasing by a predicate leaves the same set whatever the order entries are visited in.
  stats_.destroyed +=
      entries_.erase_if([&](std::uint64_t key, const Stored& s) { return doomed(unpack(key, s)); });
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
  entries_.for_each([&](std::uint64_t key, const Stored& s) {
    if (s.durable_at <= now) out.push_back(unpack(key, s));
  });
  return out;
}

std::optional<OplogEntry> Oplog::find(std::uint64_t key) const {
  const Stored* s = entries_.find(key);
  if (s == nullptr) return std::nullopt;
  return unpack(key, *s);
}

}  // namespace geodes::models
