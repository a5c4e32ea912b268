// Operation logging (DOMAIN.md step 4.3): every committed write of one data class is also logged
// apart from the data, so that after a fault the surviving logs can be compared with the stores and
// the missing or divergent rows repaired.
//
// Where the log lives sets what it survives:
//   server             on the DB server of the writing DC: lost with it (db_loss, dc_loss);
//   local_independent  an independent log system in the writing DC: survives db_loss, not dc_loss;
//   remote             in another city (`remote_dc`): survives losing the writing DC, but an
//                      entry is durable only once it has crossed the network (the System sends it
//                      over the path to the log's DC, and holds it back while that path is cut),
//                      so the last moments before a dc_loss are still lost (an entry already on
//                      its way when the path is cut still arrives); it is lost when the remote DC
//                      itself is lost.
// Further away costs more: remote logging sends every write over the link (counted in bytes).
//
// The log is compacted (the newest entry per key), which is all reconciliation needs; memory is
// one entry per key written, kept packed in a KeyTable (key_table.hpp): 56 bytes plus 4 of index
// (kBytesPerKey), reserved up front from the expected key count (always indexed: the keys a log
// sees are those written during the run, a part of the id range).
//
// Determinism: entries are probed by key; entries() is in key order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "geodes/models/data/key_table.hpp"
#include "geodes/models/data/store.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/models/system/scenario.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

struct OplogEntry {
  Write write;
  DcId writer;           ///< the DC whose client committed it
  DcId held_at;          ///< the DC whose systems hold the entry
  sim::Time durable_at;  ///< when the entry is safely stored
};

struct OplogStats {
  std::uint64_t logged = 0;        ///< writes logged
  std::uint64_t destroyed = 0;     ///< entries lost with their holder
  std::uint64_t bytes_remote = 0;  ///< bytes sent to a remote log
};

class Oplog {
 public:
  /// The most DCs a log spans (the scenario format's limit, too).
  static constexpr std::size_t kMaxDcs = 256;

  /// A log for `spec.data_class` over `dc_count` DCs, its table sized by `sizing`. Throws
  /// InvalidArgument when a remote log names an unknown DC, or for more than kMaxDcs DCs.
  Oplog(const OplogSpec& spec, std::size_t dc_count, KeySizing sizing = {});

  /// The DC that holds the entries of writes committed at `writer`.
  [[nodiscard]] DcId holder(DcId writer) const;

  /// Logs `w`, committed at `writer`, durable at `durable_at` (now for local placements;
  /// Time::max() while it waits to be sent). Throws InvalidArgument when `w` is of another data
  /// class than the log's.
  void record(const Write& w, DcId writer, sim::Time durable_at);
  /// The entry of `w` (if it is still the one logged for its key) becomes durable at `at`.
  void set_durable(const Write& w, sim::Time at);

  /// `dc`'s DB server storage is destroyed at `now` (db_loss): server-placed entries written
  /// there are gone.
  void lose_db(DcId dc, sim::Time now);
  /// `dc` is destroyed at `now` (dc_loss): every entry held there is gone, and remote entries it
  /// wrote that were not yet durable.
  void lose_dc(DcId dc, sim::Time now);

  /// The surviving entries durable at `now`, sorted by key.
  [[nodiscard]] std::vector<OplogEntry> entries(sim::Time now) const;
  /// The surviving entry of `key`, or nothing.
  [[nodiscard]] std::optional<OplogEntry> find(std::uint64_t key) const;

  [[nodiscard]] const OplogSpec& spec() const { return spec_; }
  [[nodiscard]] const OplogStats& stats() const { return stats_; }
  /// Bytes in use now (an estimate of resident memory).
  [[nodiscard]] std::size_t used_bytes() const { return entries_.used_bytes(); }

 private:
  // An entry as kept, 48 bytes (the key is the table's; the data class is the log's; the holder
  // follows from the writer). DC ids fit in a byte: a log has at most kMaxDcs DCs.
  struct Stored {
    std::uint64_t seq = 0;
    std::int64_t hlc = 0;
    std::uint64_t value = 0;
    sim::Time commit_time;
    sim::Time durable_at;
    std::uint32_t bytes = 0;
    std::uint8_t origin = 0;
    std::uint8_t writer = 0;
    WriteKind kind = WriteKind::kInsert;
  };
  static_assert(sizeof(Stored) == 48);

 public:
  /// Bytes per key of a log whose keys are dense (the entry and its index slot), for estimates.
  static constexpr std::size_t kBytesPerKey = KeyTable<Stored>::kIndexedBytesPerEntry;

 private:
  [[nodiscard]] OplogEntry unpack(std::uint64_t key, const Stored& s) const;
  template <typename Doomed>
  void destroy(Doomed doomed);

  OplogSpec spec_;
  std::size_t dc_count_;
  KeyTable<Stored> entries_;
  OplogStats stats_;
};

}  // namespace geodes::models
