#include "geodes/models/net/topology.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/properties.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <boost/property_map/property_map.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "geodes/sim/error.hpp"

namespace geodes::models {

namespace {

// The cost of a route for shortest_path(): total median latency, then hop count, compared
// lexicographically. Latencies are medians rounded to whole nanoseconds, so sums are exact
// integers and "equal latency" is a real tie, not an accident of floating-point rounding order.
struct Cost {
  std::int64_t latency_ns = 0;
  std::uint32_t hops = 0;
  auto operator<=>(const Cost&) const =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
};

constexpr Cost kInfinite{std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::uint32_t>::max()};

struct CostLess {
  bool operator()(const Cost& x, const Cost& y) const { return x < y; }
};

// Adds one link of weight `w` (saturating, so "infinite" stays infinite).
struct CostPlus {
  Cost operator()(const Cost& c, std::int64_t w) const {
    if (c == kInfinite || w >= kInfinite.latency_ns - c.latency_ns) return kInfinite;
    return Cost{c.latency_ns + w, c.hops + 1};
  }
};

struct EdgeProps {
  std::uint32_t link = 0;
  std::int64_t weight_ns = 0;  // the link's median latency, rounded to ns
};

// vecS for both lists: vertex descriptors are the DC ids and each vertex's incident edges are
// kept in insertion order, so every traversal below is deterministic.
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS,
                                    boost::no_property, EdgeProps>;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// True iff some draw of `d` may be negative.
bool can_be_negative(const sim::Distribution& d) {
  if (d.kind() == sim::Distribution::Kind::kNormal) {
    // quantile(0) is mean - inf * sd, NaN when sd == 0; decide from the moments instead.
    return d.variance() > 0 || d.mean() < 0;
  }
  return d.quantile(0) < 0;
}

}  // namespace

struct Topology::Impl {
  std::vector<Datacenter> dcs;
  std::vector<LinkSpec> links;
  std::vector<double> medians_ns;  // by link id
  std::map<std::string, DcId> dc_by_name;
  std::map<std::string, LinkId> link_by_name;
  Graph graph;

  void check_dc(DcId id, const char* where) const {
    if (id.value >= dcs.size()) {
      throw InvalidArgument(std::string(where) + ": unknown datacenter id " +
                            std::to_string(id.value) + " (the topology has " +
                            std::to_string(dcs.size()) + ")");
    }
  }
  void check_link(LinkId id, const char* where) const {
    if (id.value >= links.size()) {
      throw InvalidArgument(std::string(where) + ": unknown link id " + std::to_string(id.value) +
                            " (the topology has " + std::to_string(links.size()) + ")");
    }
  }
  [[nodiscard]] std::string dc_name(DcId id) const { return quoted(dcs[id.value].name); }
  [[nodiscard]] std::string link_name(LinkId id) const { return quoted(links[id.value].name); }
};

Topology::Topology() : impl_(std::make_unique<Impl>()) {}
Topology::~Topology() = default;
Topology::Topology(const Topology& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Topology& Topology::operator=(const Topology& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Topology::Topology(Topology&&) noexcept = default;
Topology& Topology::operator=(Topology&&) noexcept = default;

DcId Topology::add_datacenter(const std::string& name, const std::string& city) {
  Impl& m = *impl_;
  if (name.empty()) throw InvalidArgument("Topology::add_datacenter: empty datacenter name");
  if (m.dc_by_name.contains(name)) {
    throw InvalidArgument("Topology::add_datacenter: duplicate datacenter name " + quoted(name));
  }
  const DcId id{static_cast<std::uint32_t>(m.dcs.size())};
  m.dcs.push_back(Datacenter{name, city});
  m.dc_by_name.emplace(name, id);
  const auto v = boost::add_vertex(m.graph);
  // Vertex descriptors of a vecS graph are 0, 1, 2, ... in insertion order: the DC ids.
  if (v != id.value) throw Error("Topology: graph vertex out of step with datacenter ids");
  return id;
}

LinkId Topology::add_link(const LinkSpec& spec) {
  Impl& m = *impl_;
  const std::string where = "Topology::add_link(" + quoted(spec.name) + ")";
  if (spec.name.empty()) throw InvalidArgument("Topology::add_link: empty link name");
  if (m.link_by_name.contains(spec.name)) {
    throw InvalidArgument(where + ": duplicate link name");
  }
  if (spec.a.value >= m.dcs.size() || spec.b.value >= m.dcs.size()) {
    throw InvalidArgument(
        where + ": unknown endpoint datacenter id " +
        std::to_string(spec.a.value >= m.dcs.size() ? spec.a.value : spec.b.value) +
        " (the topology has " + std::to_string(m.dcs.size()) + ")");
  }
  if (spec.a == spec.b) {
    throw InvalidArgument(where + ": self-loop: both ends are datacenter " + m.dc_name(spec.a));
  }
  if (!(spec.bandwidth_bytes_per_s >= 0) || std::isinf(spec.bandwidth_bytes_per_s)) {
    throw InvalidArgument(where +
                          ": bandwidth must be finite and >= 0 bytes/s (0 = unlimited), got " +
                          std::to_string(spec.bandwidth_bytes_per_s));
  }
  if (!(spec.loss >= 0 && spec.loss < 1)) {
    throw InvalidArgument(where + ": loss must be in [0, 1), got " + std::to_string(spec.loss));
  }
  if (can_be_negative(spec.latency)) {
    throw InvalidArgument(where + ": latency distribution " +
                          spec.latency.to_string(sim::Unit::kTime) + " can draw negative values");
  }
  const double median = spec.latency.quantile(0.5);
  if (!std::isfinite(median)) {
    throw InvalidArgument(where + ": latency distribution has no finite median");
  }
  const LinkId id{static_cast<std::uint32_t>(m.links.size())};
  m.links.push_back(spec);
  m.medians_ns.push_back(median);
  m.link_by_name.emplace(spec.name, id);
  boost::add_edge(spec.a.value, spec.b.value, EdgeProps{id.value, std::llround(median)}, m.graph);
  return id;
}

std::size_t Topology::datacenter_count() const { return impl_->dcs.size(); }
std::size_t Topology::link_count() const { return impl_->links.size(); }

const Datacenter& Topology::datacenter(DcId id) const {
  impl_->check_dc(id, "Topology::datacenter");
  return impl_->dcs[id.value];
}

const LinkSpec& Topology::link(LinkId id) const {
  impl_->check_link(id, "Topology::link");
  return impl_->links[id.value];
}

std::optional<DcId> Topology::find_datacenter(const std::string& name) const {
  const auto it = impl_->dc_by_name.find(name);
  if (it == impl_->dc_by_name.end()) return std::nullopt;
  return it->second;
}

std::optional<LinkId> Topology::find_link(const std::string& name) const {
  const auto it = impl_->link_by_name.find(name);
  if (it == impl_->link_by_name.end()) return std::nullopt;
  return it->second;
}

Path Topology::make_path(DcId from, const std::vector<LinkId>& links) const {
  const Impl& m = *impl_;
  m.check_dc(from, "Topology::make_path");
  Path path{from, from, {}, {from}};
  path.links.reserve(links.size());
  path.dcs.reserve(links.size() + 1);
  std::vector<bool> seen(m.dcs.size(), false);
  seen[from.value] = true;
  DcId at = from;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const LinkId l = links[i];
    m.check_link(l, "Topology::make_path");
    const LinkSpec& spec = m.links[l.value];
    DcId next;
    if (spec.a == at) {
      next = spec.b;
    } else if (spec.b == at) {
      next = spec.a;
    } else {
      throw InvalidArgument("Topology::make_path: link " + m.link_name(l) + " (position " +
                            std::to_string(i) + ") joins " + m.dc_name(spec.a) + " and " +
                            m.dc_name(spec.b) + ", but the path is at " + m.dc_name(at));
    }
    if (seen[next.value]) {
      throw InvalidArgument("Topology::make_path: link " + m.link_name(l) + " (position " +
                            std::to_string(i) + ") returns to datacenter " + m.dc_name(next) +
                            "; a path visits each datacenter once");
    }
    seen[next.value] = true;
    path.links.push_back(l);
    path.dcs.push_back(next);
    at = next;
  }
  path.to = at;
  return path;
}

// Dijkstra runs from `to`, so dist[v] is the least (latency, hops) cost from v to `to` (links are
// symmetric). Then a greedy walk from `from` takes, at each DC u, the lowest-id link (u, v) with
// dist[v] + w == dist[u]. Such a link always exists while u != to (u's shortest-path predecessor
// towards `to` qualifies), every step lowers the hop component, so the walk ends at `to` without
// repeating a DC, and the first link where two optimal paths differ is the lowest possible: the
// result is the optimal path whose link-id sequence (read from `from`) is lexicographically least.
// This depends only on the topology, not on Boost's internal visiting order.
Path Topology::shortest_path(DcId from, DcId to) const { return shortest_path(from, to, {}); }

Path Topology::shortest_path(DcId from, DcId to, const std::vector<LinkId>& allowed) const {
  const Impl& m = *impl_;
  m.check_dc(from, "Topology::shortest_path");
  m.check_dc(to, "Topology::shortest_path");
  std::vector<char> usable(m.links.size(), allowed.empty() ? 1 : 0);
  for (const LinkId l : allowed) {
    m.check_link(l, "Topology::shortest_path");
    usable[l.value] = 1;
  }
  if (from == to) return Path{from, to, {}, {from}};
  // A link outside `allowed` weighs "infinite", which CostPlus keeps infinite: never used.
  const auto weight = [&](const EdgeProps& e) {
    return usable[e.link] ? e.weight_ns : kInfinite.latency_ns;
  };

  const std::size_t n = boost::num_vertices(m.graph);
  std::vector<Cost> dist(n, kInfinite);
  std::vector<Graph::vertex_descriptor> pred(n);
  const auto vertex_index = boost::get(boost::vertex_index, m.graph);
  boost::dijkstra_shortest_paths(
      m.graph, to.value,
      boost::predecessor_map(boost::make_iterator_property_map(pred.begin(), vertex_index))
          .distance_map(boost::make_iterator_property_map(dist.begin(), vertex_index))
          .weight_map(boost::make_function_property_map<Graph::edge_descriptor, std::int64_t>(
              [&](Graph::edge_descriptor e) { return weight(m.graph[e]); }))
          .distance_compare(CostLess{})
          .distance_combine(CostPlus{})
          .distance_inf(kInfinite)
          .distance_zero(Cost{}));

  if (dist[from.value] == kInfinite) {
    std::string over;
    if (!allowed.empty()) {
      over = " over links";
      for (const LinkId l : allowed) over += " " + m.link_name(l);
    }
    throw InvalidArgument("Topology::shortest_path: no route from datacenter " + m.dc_name(from) +
                          " to " + m.dc_name(to) + over);
  }

  std::vector<LinkId> links;
  DcId at = from;
  const CostPlus plus;
  while (at != to) {
    std::optional<std::pair<LinkId, DcId>> best;
    for (const auto e : boost::make_iterator_range(boost::out_edges(at.value, m.graph))) {
      const EdgeProps& props = m.graph[e];
      const auto v = static_cast<std::uint32_t>(boost::target(e, m.graph));
      if (dist[v] == kInfinite || !usable[props.link] ||
          plus(dist[v], props.weight_ns) != dist[at.value]) {
        continue;
      }
      if (!best || props.link < best->first.value) best.emplace(LinkId{props.link}, DcId{v});
    }
    if (!best) throw Error("Topology::shortest_path: broken shortest-path tree");
    links.push_back(best->first);
    at = best->second;
  }
  return make_path(from, links);
}

Path reversed(const Path& path) {
  Path r;
  r.from = path.to;
  r.to = path.from;
  r.links.assign(path.links.rbegin(), path.links.rend());
  r.dcs.assign(path.dcs.rbegin(), path.dcs.rend());
  return r;
}

double Topology::median_latency_ns(const Path& path) const {
  double sum = 0;
  for (const LinkId l : path.links) {
    impl_->check_link(l, "Topology::median_latency_ns");
    sum += impl_->medians_ns[l.value];
  }
  return sum;
}

SharedFate Topology::shared_fate(const std::vector<Path>& paths) const {
  const Impl& m = *impl_;
  // Ordered maps: the output is sorted by id, and each index list is ascending because paths are
  // visited in order.
  std::map<std::uint32_t, std::vector<std::size_t>> by_link;
  std::map<std::uint32_t, std::vector<std::size_t>> by_dc;
  const auto add = [](std::vector<std::size_t>& v, std::size_t i) {
    if (v.empty() || v.back() != i) v.push_back(i);  // count a path once per element
  };
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const Path& p = paths[i];
    for (const LinkId l : p.links) {
      m.check_link(l, "Topology::shared_fate");
      add(by_link[l.value], i);
    }
    // Intermediate DCs: strictly inside the route, not its endpoints.
    for (std::size_t k = 1; k + 1 < p.dcs.size(); ++k) {
      m.check_dc(p.dcs[k], "Topology::shared_fate");
      add(by_dc[p.dcs[k].value], i);
    }
  }
  SharedFate out;
  for (auto& [link, idx] : by_link) {
    if (idx.size() >= 2) out.links.push_back({LinkId{link}, std::move(idx)});
  }
  for (auto& [dc, idx] : by_dc) {
    if (idx.size() >= 2) out.dcs.push_back({DcId{dc}, std::move(idx)});
  }
  return out;
}

}  // namespace geodes::models
