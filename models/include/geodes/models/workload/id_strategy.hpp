// Unique-ID strategies for data that must never collide across DCs (DOMAIN.md step 2,
// "uniqueness": "either one central producer or a collision-free generation scheme"), and the
// omniscient uniqueness-conflict count.
//
// Strategies (IdStrategyKind), each drawing the id of a new entity created at some DC:
//   central         one counter (1, 2, 3, ...) in `central_dc`. A DC other than it must reach it
//                   over the network (authority()); when it cannot, the entity cannot be created.
//   segments        each DC owns disjoint segments of `segment_size` ids, interleaved: DC d's j-th
//                   segment is segment number j * dc_count + d, holding ids
//                   seg * size + 1 .. (seg + 1) * size. Never a collision. With `segment_dc`, the
//                   segments are handed out by a segment table in that DC (Meituan Leaf's segment
//                   mode): a DC that starts a new segment must reach it (refill_authority()), so
//                   one id in `segment_size` costs a round trip there; without it every DC keeps
//                   its own table (no coordination).
//   snowflake       Twitter's layout: (tick << (dc_bits + sequence_bits)) | (worker <<
//   sequence_bits)
//                   | sequence, where tick = now / `tick` (1 ms) since the start of the run, worker
//                   is the DC's worker id and sequence counts ids within one tick. When the
//                   sequence overflows within a tick the generator borrows the next tick (real ones
//                   spin until it comes; the id is the same). The tick wraps modulo 2^time_bits, as
//                   a real overflow would. Collides only if two DCs share a worker id, or after a
//                   wrap.
//   auto_increment  MySQL auto_increment_increment / auto_increment_offset: DC d hands out
//                   offset_d + k * increment for k = 0, 1, 2, ... Correct when the offsets are
//                   distinct modulo the increment; two DCs with the same offset collide at once.
//                   Like MySQL, a row replicated in with a larger id moves the counter past it
//                   (observe_replicated()).
//   random          uniform in [1, space]: collisions at the birthday rate, n (n - 1) / (2 space)
//                   expected colliding pairs after n draws.
//
// Uniqueness conflicts (DESIGN.md metrics: "one unique value given to two entities") are counted
// by the allocator itself, which sees every id it hands out: conflicts() is the number of pairs of
// entities that were given the same value (a value given k times contributes k (k - 1) / 2).
//
// Memory: one registry entry per distinct id handed out, i.e. per entity created (like the rows of
// the store that holds them), in a KeyTable (key_table.hpp: 8 bytes per dense id, a hash slot per
// sparse one), plus O(dc_count). Draws: only `random` draws, one per id (below()).
// Determinism: the registry is only probed, never iterated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geodes/models/data/key_table.hpp"
#include "geodes/models/ids.hpp"
#include "geodes/sim/rng.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::models {

enum class IdStrategyKind : std::uint8_t {
  kCentral,
  kSegments,
  kSnowflake,
  kAutoIncrement,
  kRandom
};

struct IdStrategyParams {
  IdStrategyKind kind = IdStrategyKind::kCentral;
  /// central: the DC holding the allocator.
  DcId central_dc;
  /// segments: ids per segment (>= 1).
  std::uint64_t segment_size = 1000;
  /// segments: the DC whose segment table hands out segments; none: each DC its own.
  std::optional<DcId> segment_dc;
  /// snowflake: field widths; time_bits + dc_bits + sequence_bits <= 63 (ids stay positive as
  /// signed 64-bit integers, as Twitter's do). Defaults are Twitter's 41/10/12.
  int time_bits = 41;
  int dc_bits = 10;
  int sequence_bits = 12;
  /// snowflake: the length of one tick of the time field.
  sim::Duration tick{1'000'000};  // 1 ms
  /// snowflake: the worker id of each DC (index = DC id); empty means the DC id. Duplicates are
  /// accepted (that misconfiguration is something to simulate) but must fit in dc_bits.
  std::vector<std::uint64_t> worker_ids;
  /// auto_increment: auto_increment_increment, 1 to 65535 (MySQL's range); 0 means the number of
  /// DCs.
  std::uint64_t increment = 0;
  /// auto_increment: auto_increment_offset per DC (index = DC id), each in [1, increment]; empty
  /// means 1, 2, ..., dc_count. Equal offsets are accepted (to simulate the misconfiguration).
  std::vector<std::uint64_t> offsets;
  /// random: ids are uniform in [1, space].
  std::uint64_t space = std::uint64_t{1} << 32;
};

class IdAllocator {
 public:
  /// The allocator of data class `data_class` (named in messages) over `dc_count` DCs; `random`
  /// draws from the stream "workload/ids/<data_class>" under `seed`. Throws InvalidArgument naming
  /// the class and the parameter on a bad value (see IdStrategyParams for what is allowed).
  IdAllocator(const std::string& data_class, const IdStrategyParams& params, std::size_t dc_count,
              std::uint64_t seed);

  /// The DC that must be reached to draw an id (central), or nullopt when every DC draws locally.
  [[nodiscard]] std::optional<DcId> authority() const;
  /// The DC that must be reached for the next id drawn at `dc`: authority() for central; for
  /// segments with a segment_dc, that DC when `dc` must start a new segment; else nullopt.
  [[nodiscard]] std::optional<DcId> must_reach(DcId dc) const;

  /// Draws the id of an entity created at `dc` at `now` and records it. For central, `dc` is
  /// ignored (the caller has reached authority()). REQUIRES: dc < dc_count, now >= 0.
  std::uint64_t allocate(DcId dc, sim::Time now);

  /// A row with id `id` was replicated into `dc`'s table: auto_increment moves that DC's counter
  /// past it (MySQL keeps AUTO_INCREMENT above the largest id in the table). Other strategies
  /// ignore it.
  void observe_replicated(DcId dc, std::uint64_t id);

  /// Ids handed out.
  [[nodiscard]] std::uint64_t allocated() const { return allocated_; }
  /// Pairs of entities given the same value (see the file comment).
  [[nodiscard]] std::uint64_t conflicts() const { return conflicts_; }
  /// Ids handed out that had already been given to another entity.
  [[nodiscard]] std::uint64_t reused() const { return reused_; }

  /// Human-readable descriptions of settings that will produce conflicts (equal auto_increment
  /// offsets, shared snowflake worker ids), for scenario checks. Empty when none.
  [[nodiscard]] std::vector<std::string> misconfigurations() const;

  [[nodiscard]] const IdStrategyParams& params() const { return params_; }
  [[nodiscard]] const std::string& data_class() const { return data_class_; }

 private:
  std::uint64_t draw(DcId dc, sim::Time now);
  void record(std::uint64_t id);

  std::string data_class_;
  IdStrategyParams params_;
  std::size_t dc_count_;
  sim::Rng rng_;
  // Per-DC state, indexed by DC id: segments (ids used in the current segment, segments taken),
  // snowflake (last tick, sequence), auto_increment (next k).
  struct DcState {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    bool started = false;
  };
  std::vector<DcState> dcs_;
  std::uint64_t central_next_ = 1;
  KeyTable<std::uint32_t> given_;  // id -> entities given it
  std::uint64_t allocated_ = 0;
  std::uint64_t conflicts_ = 0;
  std::uint64_t reused_ = 0;
};

/// "central", "segments", "snowflake", "auto_increment", "random".
const char* to_string(IdStrategyKind kind);
/// The strategy named `name`. Throws InvalidArgument naming the bad value and the allowed ones.
IdStrategyKind parse_id_strategy(const std::string& name);

}  // namespace geodes::models
