// The static shape of a deployment: datacenters (vertices) in cities and links (edges) between
// them, held in a Boost.Graph adjacency list. A path is a sequence of links from one DC to another;
// channels are pinned to a path, or take the shortest one by median one-way latency.
//
// Shared fate: two channels whose paths share a link (or pass through the same intermediate DC)
// die together when that link is cut (or that DC fails); shared_fate() reports what is shared so
// that scenario checks can warn (DOMAIN.md, step 4.1: "channels must not share a network path").
//
// Determinism: ids are dense and assigned in creation order; every list returned is sorted by id.
// Thread safety: none needed; a Topology is immutable once a run starts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geodes/models/ids.hpp"
#include "geodes/sim/distribution.hpp"

namespace geodes::models {

struct Datacenter {
  std::string name;
  std::string city;
};

/// A bidirectional link; each direction has its own serialiser and draws, with these parameters.
struct LinkSpec {
  std::string name;
  DcId a;
  DcId b;
  /// One-way propagation latency in ns (e.g. lognormal(median=14ms, p99=25ms) Beijing-Shanghai).
  sim::Distribution latency = sim::Distribution::constant(1e6);
  /// Bytes per second per direction; 0 means unlimited (no serialisation delay).
  double bandwidth_bytes_per_s = 0;
  /// Probability that one transmission of a message is lost (reliable connections retransmit).
  double loss = 0;
};

/// A route from `from` to `to`. `links[i]` joins `dcs[i]` and `dcs[i + 1]`.
struct Path {
  DcId from;
  DcId to;
  std::vector<LinkId> links;
  std::vector<DcId> dcs;  ///< every DC on the route, endpoints included, in order
};

/// The same route travelled the other way (from `path.to` to `path.from`).
Path reversed(const Path& path);

/// What a set of paths has in common. Each entry lists the indexes (into the queried set) of the
/// paths that share the element; only elements shared by two or more paths appear.
struct SharedFate {
  struct SharedLink {
    LinkId link;
    std::vector<std::size_t> paths;
  };
  struct SharedDc {
    DcId dc;
    std::vector<std::size_t> paths;
  };
  std::vector<SharedLink> links;  ///< sorted by link id
  std::vector<SharedDc> dcs;      ///< intermediate DCs only (not a path's own endpoints)
  [[nodiscard]] bool empty() const { return links.empty() && dcs.empty(); }
};

class Topology {
 public:
  Topology();
  ~Topology();
  Topology(const Topology&);
  Topology& operator=(const Topology&);
  Topology(Topology&&) noexcept;
  Topology& operator=(Topology&&) noexcept;

  /// Adds a DC. Throws InvalidArgument on an empty or duplicate name.
  DcId add_datacenter(const std::string& name, const std::string& city);
  /// Adds a link. Throws InvalidArgument on a duplicate or empty name, unknown endpoints, a
  /// self-loop, negative bandwidth, loss outside [0, 1), or a latency that can be negative.
  LinkId add_link(const LinkSpec& spec);

  [[nodiscard]] std::size_t datacenter_count() const;
  [[nodiscard]] std::size_t link_count() const;
  /// Throws InvalidArgument on an unknown id.
  [[nodiscard]] const Datacenter& datacenter(DcId id) const;
  /// Throws InvalidArgument on an unknown id.
  [[nodiscard]] const LinkSpec& link(LinkId id) const;
  [[nodiscard]] std::optional<DcId> find_datacenter(const std::string& name) const;
  [[nodiscard]] std::optional<LinkId> find_link(const std::string& name) const;

  /// The path through the given links, starting at `from`. Throws InvalidArgument (naming the
  /// offending link) unless each link continues from where the previous one ended and no DC
  /// repeats.
  [[nodiscard]] Path make_path(DcId from, const std::vector<LinkId>& links) const;
  /// The path with the least total median latency (Dijkstra via Boost.Graph; ties broken by fewer
  /// hops, then lower link ids, so the answer is deterministic). from == to gives an empty path.
  /// Throws InvalidArgument when `to` is unreachable.
  /// Precisely: link weights are medians rounded to whole ns (so sums are exact and ties are real
  /// ties); among routes of least (latency, hops), the one whose link ids, read from `from`, form
  /// the lexicographically least sequence.
  [[nodiscard]] Path shortest_path(DcId from, DcId to) const;
  /// shortest_path() over the links in `allowed` only (all links when empty): how a channel or an
  /// API call pinned to some links is routed. Throws InvalidArgument, naming the links, when they
  /// do not join `from` to `to`, or on an unknown link id.
  [[nodiscard]] Path shortest_path(DcId from, DcId to, const std::vector<LinkId>& allowed) const;
  /// The sum of the links' median latencies in ns.
  [[nodiscard]] double median_latency_ns(const Path& path) const;

  /// Links and intermediate DCs shared by two or more of `paths`. A DC is reported when it lies
  /// strictly inside (not at an end of) at least two of the paths. Throws InvalidArgument on ids
  /// unknown to this topology.
  [[nodiscard]] SharedFate shared_fate(const std::vector<Path>& paths) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace geodes::models
