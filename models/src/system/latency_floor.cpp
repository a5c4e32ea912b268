#include "geodes/models/system/latency_floor.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "geodes/models/exceptions/oplog.hpp"

namespace geodes::models {

namespace {

// Bytes of an API request and of its answer (System::Impl::round_trip).
constexpr double kRequestBytes = 512;

double serialisation_ns(const Topology& t, const Path& p, double bytes) {
  double ns = 0;
  for (const LinkId l : p.links) {
    const double bw = t.link(l).bandwidth_bytes_per_s;
    if (bw > 0) ns += std::round(bytes * 1e9 / bw);
  }
  return ns;
}

// There over `p` with `out` bytes, back the same way with `back` bytes.
double round_trip_ns(const Topology& t, const Path& p, double out, double back) {
  return 2 * t.median_latency_ns(p) + serialisation_ns(t, p, out) + serialisation_ns(t, p, back);
}

class Floors {
 public:
  explicit Floors(const ScenarioSpec& s) : s_(s), n_(s.topology.datacenter_count()) {}

  LatencyFloor at(BusinessId b, DcId dc) const {
    LatencyFloor f;
    f.business = b;
    f.dc = dc;
    for (const Step& step : s_.workload.businesses[b.value].steps) add_step(f, step, dc);
    for (std::uint32_t x = 0; x < n_; ++x) {
      if (x == dc.value) continue;
      const Path p = s_.topology.shortest_path(dc, DcId{x});
      f.trips.push_back({"served away from home (roaming, failover)", DcId{x},
                         2 * s_.topology.median_latency_ns(p), RoundTrip::When::kOffHome, 1});
    }
    f.floor_ns = f.local_ns;
    for (const RoundTrip& t : f.trips) {
      if (t.when == RoundTrip::When::kEveryOp || t.when == RoundTrip::When::kPerSegment) {
        f.floor_ns += t.rtt_ns * t.per_op;
      }
    }
    return f;
  }

 private:
  [[nodiscard]] const DataClassSpec& cls(DataClassId c) const { return s_.data[c.value]; }
  [[nodiscard]] std::string name(DataClassId c) const { return cls(c).name; }

  void add_step(LatencyFloor& f, const Step& step, DcId dc) const {
    const DataClassSpec& c = cls(step.data_class);
    switch (step.kind) {
      case StepKind::kAllocateId:
        allocation(f, step.data_class, dc);
        return;
      case StepKind::kRead:
        f.local_ns += c.read_time.mean();
        fallback(f, step.data_class, dc);
        return;
      case StepKind::kSession:
        f.local_ns += c.read_time.mean();
        return;
      case StepKind::kWrite:
        f.local_ns += c.write_time.mean();
        commit(f, step.data_class, dc);
        return;
      case StepKind::kDecrement:
        f.local_ns += c.write_time.mean();
        commit(f, step.data_class, dc);
        if (step.borrow) {
          for (std::uint32_t x = 1; x < n_; ++x) {
            const DcId lender{(dc.value + x) % static_cast<std::uint32_t>(n_)};
            const Path p = s_.topology.shortest_path(dc, lender);
            f.trips.push_back(
                {"borrow stock (" + name(step.data_class) + ")", lender,
                 round_trip_ns(s_.topology, p, kRequestBytes, kRequestBytes) + c.write_time.mean(),
                 RoundTrip::When::kOnExhausted, 1});
          }
        }
        return;
    }
  }

  void allocation(LatencyFloor& f, DataClassId c, DcId dc) const {
    const std::optional<IdStrategyParams>& id = cls(c).id_strategy;
    if (!id) return;
    std::optional<DcId> to;
    double per_op = 1;
    RoundTrip::When when = RoundTrip::When::kEveryOp;
    std::string what;
    if (id->kind == IdStrategyKind::kCentral) {
      to = id->central_dc;
      what = "central id allocator (" + name(c) + ")";
    } else if (id->kind == IdStrategyKind::kSegments && id->segment_dc) {
      to = id->segment_dc;
      per_op = 1.0 / static_cast<double>(id->segment_size);
      when = RoundTrip::When::kPerSegment;
      what = "id segment refill (" + name(c) + ")";
    }
    if (!to || *to == dc) return;
    const Path p = s_.topology.shortest_path(dc, *to);
    f.trips.push_back(
        {what, *to, round_trip_ns(s_.topology, p, kRequestBytes, kRequestBytes), when, per_op});
  }

  void fallback(LatencyFloor& f, DataClassId c, DcId dc) const {
    for (const AccessFallbackSpec& fb : s_.exceptions.access_fallback) {
      if (fb.data_class != c) continue;
      if (fb.owner == AccessFallbackSpec::Owner::kHome) {
        // At home the owner is the serving DC itself; served elsewhere, a miss asks home.
        for (std::uint32_t x = 0; x < n_; ++x) {
          if (x == dc.value) continue;
          const Path p = s_.topology.shortest_path(DcId{x}, dc, fb.links);
          f.trips.push_back({"served at " + s_.topology.datacenter(DcId{x}).name +
                                 ", access fallback home (" + name(c) + ")",
                             DcId{x},
                             round_trip_ns(s_.topology, p, kRequestBytes, kRequestBytes) +
                                 cls(c).read_time.mean(),
                             RoundTrip::When::kOnMiss, 1});
        }
        continue;
      }
      if (fb.owner_dc == dc) continue;
      const Path p = s_.topology.shortest_path(dc, fb.owner_dc, fb.links);
      // Appended, not "..." + name(c) + ")": GCC 12 sees a bogus memmove bound in that operator+
      // once profile feedback inlines it (-Wstringop-overflow, scripts/build-release).
      std::string label = "access fallback (";
      label += name(c);
      label += ')';
      f.trips.push_back(
          {std::move(label), fb.owner_dc,
           round_trip_ns(s_.topology, p, kRequestBytes, kRequestBytes) + cls(c).read_time.mean(),
           RoundTrip::When::kOnMiss, 1});
    }
  }

  void commit(LatencyFloor& f, DataClassId c, DcId dc) const {
    const DataClassSpec& d = cls(c);
    // Semi-sync: the client waits for the first replica to ack (the nearest).
    double nearest = std::numeric_limits<double>::infinity();
    DcId nearest_dc;
    std::string channel;
    for (const ChannelUse& use : s_.sync[c.value].channels) {
      const ChannelSpec& ch = s_.channels[use.channel];
      if (ch.type != ChannelType::kMysqlReplication ||
          ch.mysql.mode != ReplicationMode::kSemiSync) {
        continue;
      }
      for (std::uint32_t r = 0; r < n_; ++r) {
        if (r == dc.value) continue;
        const Path p = s_.topology.shortest_path(dc, DcId{r}, use.links);
        const double rtt = round_trip_ns(s_.topology, p, d.row_bytes, ch.mysql.ack_bytes);
        if (rtt < nearest) {
          nearest = rtt;
          nearest_dc = DcId{r};
          channel = ch.name;
        }
      }
    }
    if (std::isfinite(nearest)) {
      f.trips.push_back({"semi-sync ack (" + d.name + ", " + channel + ")", nearest_dc, nearest,
                         RoundTrip::When::kEveryOp, 1});
    }
    for (const OplogSpec& o : s_.exceptions.oplogs) {
      if (o.data_class != c || o.write != OplogWrite::kSync) continue;
      const DcId holder = Oplog(o, n_).holder(dc);
      if (holder == dc) {
        f.local_ns += d.write_time.mean();  // the local log system's own write
        continue;
      }
      const Path p = s_.topology.shortest_path(dc, holder);
      f.trips.push_back(
          {"sync oplog ack (" + d.name + ")", holder,
           round_trip_ns(s_.topology, p, d.row_bytes, o.ack_bytes) + d.write_time.mean(),
           RoundTrip::When::kEveryOp, 1});
    }
  }

  const ScenarioSpec& s_;
  std::size_t n_;
};

}  // namespace

std::vector<LatencyFloor> latency_floors(const ScenarioSpec& spec) {
  const Floors floors(spec);
  std::vector<LatencyFloor> out;
  for (std::uint32_t b = 0; b < spec.workload.businesses.size(); ++b) {
    for (std::uint32_t d = 0; d < spec.topology.datacenter_count(); ++d) {
      out.push_back(floors.at(BusinessId{b}, DcId{d}));
    }
  }
  return out;
}

std::string when_text(const RoundTrip& trip) {
  switch (trip.when) {
    case RoundTrip::When::kEveryOp:
      return "every op";
    case RoundTrip::When::kPerSegment:
      return "1 in " + std::to_string(std::llround(1 / trip.per_op));
    case RoundTrip::When::kOnMiss:
      return "on a miss";
    case RoundTrip::When::kOnExhausted:
      return "when out of stock";
    case RoundTrip::When::kOffHome:
      return "off home";
  }
  return "?";
}

}  // namespace geodes::models
