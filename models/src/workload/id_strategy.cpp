#include "geodes/models/workload/id_strategy.hpp"

#include <map>
#include <string>

#include "geodes/sim/error.hpp"
#include "geodes/sim/names.hpp"

namespace geodes::models {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

void validate(const std::string& where, const IdStrategyParams& p, std::size_t dc_count) {
  if (dc_count == 0) throw InvalidArgument(where + "there are no DCs");
  switch (p.kind) {
    case IdStrategyKind::kCentral:
      if (p.central_dc.value >= dc_count) {
        throw InvalidArgument(where + "central_dc is DC " + str(p.central_dc.value) +
                              "; DC ids go from 0 to " + str(dc_count - 1));
      }
      break;
    case IdStrategyKind::kSegments:
      if (p.segment_size == 0) throw InvalidArgument(where + "segment_size is 0; it must be >= 1");
      if (p.segment_dc && p.segment_dc->value >= dc_count) {
        throw InvalidArgument(where + "segment_dc is DC " + str(p.segment_dc->value) +
                              "; DC ids go from 0 to " + str(dc_count - 1));
      }
      break;
    case IdStrategyKind::kSnowflake: {
      if (p.time_bits < 1 || p.dc_bits < 0 || p.sequence_bits < 0 ||
          p.time_bits + p.dc_bits + p.sequence_bits > 63) {
        throw InvalidArgument(where + "snowflake bits time=" + std::to_string(p.time_bits) +
                              ", dc=" + std::to_string(p.dc_bits) +
                              ", sequence=" + std::to_string(p.sequence_bits) +
                              " are not allowed; time >= 1, dc >= 0, sequence >= 0, and their "
                              "sum <= 63");
      }
      if (p.tick <= sim::Duration::zero()) {
        throw InvalidArgument(where + "snowflake tick is " + sim::format(p.tick) +
                              "; it must be > 0");
      }
      const std::uint64_t workers = std::uint64_t{1} << p.dc_bits;
      if (p.worker_ids.empty()) {
        if (dc_count > workers) {
          throw InvalidArgument(where + "snowflake dc_bits=" + std::to_string(p.dc_bits) +
                                " gives " + str(workers) + " worker ids for " + str(dc_count) +
                                " DCs; raise dc_bits");
        }
      } else {
        if (p.worker_ids.size() != dc_count) {
          throw InvalidArgument(where + "worker_ids has " + str(p.worker_ids.size()) +
                                " entries; it needs one per DC (" + str(dc_count) + ")");
        }
        for (std::size_t i = 0; i < p.worker_ids.size(); ++i) {
          if (p.worker_ids[i] >= workers) {
            throw InvalidArgument(where + "worker_ids[" + str(i) + "] is " + str(p.worker_ids[i]) +
                                  "; with dc_bits=" + std::to_string(p.dc_bits) +
                                  " it must be below " + str(workers));
          }
        }
      }
      break;
    }
    case IdStrategyKind::kAutoIncrement: {
      const std::uint64_t inc = p.increment == 0 ? dc_count : p.increment;
      if (inc > 65535) {
        throw InvalidArgument(where + "increment is " + str(inc) +
                              "; auto_increment_increment must be between 1 and 65535");
      }
      if (!p.offsets.empty() && p.offsets.size() != dc_count) {
        throw InvalidArgument(where + "offsets has " + str(p.offsets.size()) +
                              " entries; it needs one per DC (" + str(dc_count) +
                              "), or none for 1, 2, ...");
      }
      if (p.offsets.empty() && dc_count > inc) {
        throw InvalidArgument(where + "increment " + str(inc) + " is smaller than the " +
                              str(dc_count) + " DCs; default offsets 1.." + str(dc_count) +
                              " need increment >= " + str(dc_count));
      }
      for (std::size_t i = 0; i < p.offsets.size(); ++i) {
        if (p.offsets[i] < 1 || p.offsets[i] > inc) {
          throw InvalidArgument(where + "offsets[" + str(i) + "] is " + str(p.offsets[i]) +
                                "; auto_increment_offset must be between 1 and the increment (" +
                                str(inc) + ")");
        }
      }
      break;
    }
    case IdStrategyKind::kRandom:
      if (p.space == 0) throw InvalidArgument(where + "space is 0; it must be >= 1");
      break;
  }
}

}  // namespace

IdAllocator::IdAllocator(const std::string& data_class, const IdStrategyParams& params,
                         std::size_t dc_count, std::uint64_t seed)
    : data_class_(data_class),
      params_(params),
      dc_count_(dc_count),
      rng_(seed, "workload/ids/" + data_class),
      dcs_(dc_count) {
  validate("id strategy " + std::string(to_string(params.kind)) + " of data class '" + data_class +
               "': ",
           params, dc_count);
  if (params_.kind == IdStrategyKind::kAutoIncrement && params_.increment == 0) {
    params_.increment = dc_count;
  }
}

std::optional<DcId> IdAllocator::authority() const {
  if (params_.kind == IdStrategyKind::kCentral) return params_.central_dc;
  return std::nullopt;
}

std::optional<DcId> IdAllocator::must_reach(DcId dc) const {
  if (params_.kind == IdStrategyKind::kCentral) return params_.central_dc;
  if (params_.kind == IdStrategyKind::kSegments && params_.segment_dc && dc.value < dc_count_) {
    const DcState& s = dcs_[dc.value];
    if (!s.started || s.a == params_.segment_size) return params_.segment_dc;
  }
  return std::nullopt;
}

std::uint64_t IdAllocator::allocate(DcId dc, sim::Time now) {
  if (dc.value >= dc_count_) {
    throw InvalidArgument("id allocator of '" + data_class_ + "': DC " + str(dc.value) +
                          " is unknown");
  }
  const std::uint64_t id = draw(dc, now);
  record(id);
  return id;
}

std::uint64_t IdAllocator::draw(DcId dc, sim::Time now) {
  DcState& s = dcs_[dc.value];
  switch (params_.kind) {
    case IdStrategyKind::kCentral:
      return central_next_++;
    case IdStrategyKind::kSegments: {
      // s.a: ids used in the current segment; s.b: segments this DC has taken.
      if (!s.started || s.a == params_.segment_size) {
        s.started = true;
        s.a = 0;
        ++s.b;
      }
      const std::uint64_t segment = (s.b - 1) * dc_count_ + dc.value;
      return segment * params_.segment_size + ++s.a;
    }
    case IdStrategyKind::kSnowflake: {
      // s.a: tick of the last id; s.b: its sequence number.
      const std::uint64_t tick = static_cast<std::uint64_t>(now.ns() / params_.tick.ns());
      const std::uint64_t seq_limit = std::uint64_t{1} << params_.sequence_bits;
      if (!s.started || tick > s.a) {
        s.started = true;
        s.a = tick;
        s.b = 0;
      } else if (++s.b == seq_limit) {  // sequence exhausted in this tick: borrow the next one
        ++s.a;
        s.b = 0;
      }
      const std::uint64_t time_mask = (std::uint64_t{1} << params_.time_bits) - 1;
      const std::uint64_t worker =
          params_.worker_ids.empty() ? dc.value : params_.worker_ids[dc.value];
      return ((s.a & time_mask) << (params_.dc_bits + params_.sequence_bits)) |
             (worker << params_.sequence_bits) | s.b;
    }
    case IdStrategyKind::kAutoIncrement: {
      // s.a: the next k.
      const std::uint64_t offset =
          params_.offsets.empty() ? dc.value + std::uint64_t{1} : params_.offsets[dc.value];
      return offset + s.a++ * params_.increment;
    }
    case IdStrategyKind::kRandom:
      return 1 + rng_.below(params_.space);
  }
  return 0;
}

void IdAllocator::record(std::uint64_t id) {
  ++allocated_;
  std::uint32_t& given = *given_.try_emplace(id).first;
  if (given > 0) ++reused_;
  conflicts_ += given;  // the new entity pairs with each earlier holder
  ++given;
}

void IdAllocator::observe_replicated(DcId dc, std::uint64_t id) {
  if (params_.kind != IdStrategyKind::kAutoIncrement || dc.value >= dc_count_) return;
  const std::uint64_t offset =
      params_.offsets.empty() ? dc.value + std::uint64_t{1} : params_.offsets[dc.value];
  if (id < offset) return;
  const std::uint64_t k = (id - offset) / params_.increment + 1;  // first k with value > id
  DcState& s = dcs_[dc.value];
  if (k > s.a) s.a = k;
}

std::vector<std::string> IdAllocator::misconfigurations() const {
  std::vector<std::string> out;
  const auto report = [&](const char* what, std::uint64_t value, std::size_t a, std::size_t b) {
    out.push_back("data class '" + data_class_ + "': DCs " + str(a) + " and " + str(b) + " share " +
                  what + " " + str(value) + ", so their ids collide");
  };
  if (params_.kind == IdStrategyKind::kAutoIncrement && !params_.offsets.empty()) {
    std::map<std::uint64_t, std::size_t> first;  // offset mod increment -> first DC
    for (std::size_t i = 0; i < params_.offsets.size(); ++i) {
      const auto [it, fresh] = first.emplace(params_.offsets[i] % params_.increment, i);
      if (!fresh) report("auto_increment_offset", params_.offsets[i], it->second, i);
    }
  }
  if (params_.kind == IdStrategyKind::kSnowflake && !params_.worker_ids.empty()) {
    std::map<std::uint64_t, std::size_t> first;
    for (std::size_t i = 0; i < params_.worker_ids.size(); ++i) {
      const auto [it, fresh] = first.emplace(params_.worker_ids[i], i);
      if (!fresh) report("snowflake worker id", params_.worker_ids[i], it->second, i);
    }
  }
  return out;
}

const char* to_string(IdStrategyKind kind) {
  switch (kind) {
    case IdStrategyKind::kCentral:
      return "central";
    case IdStrategyKind::kSegments:
      return "segments";
    case IdStrategyKind::kSnowflake:
      return "snowflake";
    case IdStrategyKind::kAutoIncrement:
      return "auto_increment";
    case IdStrategyKind::kRandom:
      return "random";
  }
  return "?";
}

IdStrategyKind parse_id_strategy(const std::string& name) {
  static constexpr IdStrategyKind kAll[] = {
      IdStrategyKind::kCentral, IdStrategyKind::kSegments, IdStrategyKind::kSnowflake,
      IdStrategyKind::kAutoIncrement, IdStrategyKind::kRandom};
  return sim::parse_name(name, kAll, "id strategy");
}

}  // namespace geodes::models
