// Topology: building the graph, validating it, paths, shortest paths and shared-fate analysis.
#include "geodes/models/net/topology.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "geodes/sim/distribution.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::models {
namespace {

using sim::Distribution;

LinkSpec spec(const std::string& name, DcId a, DcId b, double median_ms) {
  LinkSpec s;
  s.name = name;
  s.a = a;
  s.b = b;
  s.latency = Distribution::constant(median_ms * 1e6);
  return s;
}

std::vector<std::uint32_t> ids(const std::vector<LinkId>& links) {
  std::vector<std::uint32_t> out;
  out.reserve(links.size());
  for (const LinkId l : links) out.push_back(l.value);
  return out;
}

std::vector<std::uint32_t> ids(const std::vector<DcId>& dcs) {
  std::vector<std::uint32_t> out;
  out.reserve(dcs.size());
  for (const DcId d : dcs) out.push_back(d.value);
  return out;
}

// Expects `f` to throw InvalidArgument whose message contains `needle`.
template <typename F>
void expect_invalid(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Topology, AssignsDenseIdsInCreationOrderAndFindsByName) {
  Topology t;
  const DcId bj = t.add_datacenter("bj1", "Beijing");
  const DcId sh = t.add_datacenter("sh1", "Shanghai");
  EXPECT_EQ(bj.value, 0u);
  EXPECT_EQ(sh.value, 1u);
  const LinkId l = t.add_link(spec("bj-sh", bj, sh, 14));
  EXPECT_EQ(l.value, 0u);
  EXPECT_EQ(t.datacenter_count(), 2u);
  EXPECT_EQ(t.link_count(), 1u);
  EXPECT_EQ(t.datacenter(sh).city, "Shanghai");
  EXPECT_EQ(t.link(l).name, "bj-sh");
  EXPECT_EQ(t.find_datacenter("sh1"), sh);
  EXPECT_EQ(t.find_link("bj-sh"), l);
  EXPECT_FALSE(t.find_datacenter("sz1").has_value());
  EXPECT_FALSE(t.find_link("nope").has_value());
}

TEST(Topology, RejectsEmptyAndDuplicateDatacenterNames) {
  Topology t;
  t.add_datacenter("bj1", "Beijing");
  expect_invalid([&] { t.add_datacenter("", "Beijing"); }, "empty");
  expect_invalid([&] { t.add_datacenter("bj1", "Shanghai"); }, "'bj1'");
  EXPECT_EQ(t.datacenter_count(), 1u);
}

TEST(Topology, RejectsBadLinksNamingTheLink) {
  Topology t;
  const DcId a = t.add_datacenter("a", "X");
  const DcId b = t.add_datacenter("b", "Y");
  t.add_link(spec("a-b", a, b, 1));
  expect_invalid([&] { t.add_link(spec("a-b", b, a, 1)); }, "duplicate");
  expect_invalid([&] { t.add_link(spec("", a, b, 1)); }, "empty");
  expect_invalid([&] { t.add_link(spec("a-z", a, DcId{7}, 1)); }, "'a-z'");
  expect_invalid([&] { t.add_link(spec("a-a", a, a, 1)); }, "self-loop");
  LinkSpec s = spec("bw", a, b, 1);
  s.bandwidth_bytes_per_s = -1;
  expect_invalid([&] { t.add_link(s); }, "bandwidth");
  s = spec("lossy", a, b, 1);
  s.loss = 1;
  expect_invalid([&] { t.add_link(s); }, "loss");
  s.loss = -0.1;
  expect_invalid([&] { t.add_link(s); }, "loss");
  s = spec("negative", a, b, 1);
  s.latency = Distribution::normal(10e6, 1e6);
  expect_invalid([&] { t.add_link(s); }, "'negative'");
  s.latency = Distribution::uniform(-1e6, 1e6);
  expect_invalid([&] { t.add_link(s); }, "negative values");
  EXPECT_EQ(t.link_count(), 1u);
  // A normal with sd 0 and a non-negative mean cannot draw a negative value.
  s.latency = Distribution::normal(10e6, 0);
  EXPECT_NO_THROW(t.add_link(s));
}

TEST(Topology, UnknownIdsThrow) {
  Topology t;
  EXPECT_THROW((void)t.datacenter(DcId{0}), InvalidArgument);
  EXPECT_THROW((void)t.link(LinkId{0}), InvalidArgument);
}

// a - b - c in a line, plus d hanging off b.
class TopologyOnALine : public ::testing::Test {
 protected:
  Topology t;
  DcId a = t.add_datacenter("a", "A");
  DcId b = t.add_datacenter("b", "B");
  DcId c = t.add_datacenter("c", "C");
  DcId d = t.add_datacenter("d", "D");
  LinkId ab = t.add_link(spec("a-b", a, b, 5));
  LinkId bc = t.add_link(spec("b-c", b, c, 7));
  LinkId bd = t.add_link(spec("b-d", b, d, 3));
};

TEST_F(TopologyOnALine, MakePathFollowsLinksInEitherDirection) {
  const Path p = t.make_path(c, {bc, ab});
  EXPECT_EQ(p.from, c);
  EXPECT_EQ(p.to, a);
  EXPECT_EQ(ids(p.links), (std::vector<std::uint32_t>{bc.value, ab.value}));
  EXPECT_EQ(ids(p.dcs), (std::vector<std::uint32_t>{c.value, b.value, a.value}));
  EXPECT_DOUBLE_EQ(t.median_latency_ns(p), 12e6);
}

TEST_F(TopologyOnALine, AnEmptyLinkListIsTheEmptyPathAtItsStart) {
  const Path p = t.make_path(b, {});
  EXPECT_EQ(p.to, b);
  EXPECT_TRUE(p.links.empty());
  EXPECT_EQ(ids(p.dcs), (std::vector<std::uint32_t>{b.value}));
  EXPECT_EQ(t.median_latency_ns(p), 0.0);
}

TEST_F(TopologyOnALine, MakePathRejectsALinkThatDoesNotContinueTheRoute) {
  expect_invalid([&] { (void)t.make_path(a, {bc}); }, "'b-c'");
  expect_invalid([&] { (void)t.make_path(a, {ab, bc, bd}); }, "'b-d'");
}

TEST_F(TopologyOnALine, MakePathRejectsARouteThatRevisitsADatacenter) {
  expect_invalid([&] { (void)t.make_path(a, {ab, ab}); }, "once");
}

TEST_F(TopologyOnALine, MakePathRejectsUnknownIds) {
  expect_invalid([&] { (void)t.make_path(DcId{9}, {}); }, "unknown datacenter");
  expect_invalid([&] { (void)t.make_path(a, {LinkId{9}}); }, "unknown link");
}

TEST_F(TopologyOnALine, ShortestPathFromADatacenterToItselfIsEmpty) {
  const Path p = t.shortest_path(c, c);
  EXPECT_TRUE(p.links.empty());
  EXPECT_EQ(ids(p.dcs), (std::vector<std::uint32_t>{c.value}));
}

TEST_F(TopologyOnALine, ShortestPathToAnUnreachableDatacenterThrows) {
  const DcId lonely = t.add_datacenter("lonely", "Nowhere");
  expect_invalid([&] { (void)t.shortest_path(a, lonely); }, "no route");
}

TEST(Topology, ShortestPathTakesTwoFastHopsOverASlowDirectLink) {
  Topology t;
  const DcId bj = t.add_datacenter("bj", "Beijing");
  const DcId sh = t.add_datacenter("sh", "Shanghai");
  const DcId sz = t.add_datacenter("sz", "Shenzhen");
  const LinkId direct = t.add_link(spec("bj-sz", bj, sz, 40));
  const LinkId bj_sh = t.add_link(spec("bj-sh", bj, sh, 14));
  const LinkId sh_sz = t.add_link(spec("sh-sz", sh, sz, 15));
  Path p = t.shortest_path(bj, sz);
  EXPECT_EQ(ids(p.links), (std::vector<std::uint32_t>{bj_sh.value, sh_sz.value}));
  EXPECT_EQ(ids(p.dcs), (std::vector<std::uint32_t>{bj.value, sh.value, sz.value}));
  EXPECT_DOUBLE_EQ(t.median_latency_ns(p), 29e6);
  // The weight is the median, not the mean: a lognormal whose median is 10 ms (mean higher) beats
  // a constant 12 ms.
  Topology u;
  const DcId x = u.add_datacenter("x", "X");
  const DcId y = u.add_datacenter("y", "Y");
  u.add_link(spec("steady", x, y, 12));
  LinkSpec heavy = spec("heavy-tailed", x, y, 0);
  heavy.latency = Distribution::lognormal_median_p99(10e6, 200e6);
  const LinkId heavy_id = u.add_link(heavy);
  p = u.shortest_path(x, y);
  EXPECT_EQ(ids(p.links), (std::vector<std::uint32_t>{heavy_id.value}));
  (void)direct;
}

TEST(Topology, ShortestPathOverAllowedLinksAvoidsTheOthersAndSaysWhenTheyCannotJoin) {
  Topology t;
  const DcId bj = t.add_datacenter("bj", "Beijing");
  const DcId sh = t.add_datacenter("sh", "Shanghai");
  const DcId sz = t.add_datacenter("sz", "Shenzhen");
  const LinkId private_line = t.add_link(spec("bj-sh-private", bj, sh, 14));
  const LinkId internet = t.add_link(spec("bj-sh-internet", bj, sh, 20));
  const LinkId bj_sz = t.add_link(spec("bj-sz", bj, sz, 20));
  const LinkId sz_sh = t.add_link(spec("sz-sh", sz, sh, 15));
  // Pinned to the public internet although the private line is faster.
  EXPECT_EQ(ids(t.shortest_path(bj, sh, {internet}).links),
            (std::vector<std::uint32_t>{internet.value}));
  // The allowed set may describe a detour; the fastest route within it wins.
  EXPECT_EQ(ids(t.shortest_path(bj, sh, {bj_sz, sz_sh, internet}).links),
            (std::vector<std::uint32_t>{internet.value}));
  EXPECT_EQ(ids(t.shortest_path(sh, bj, {bj_sz, sz_sh}).links),
            (std::vector<std::uint32_t>{sz_sh.value, bj_sz.value}));
  // An empty set means every link.
  EXPECT_EQ(ids(t.shortest_path(bj, sh, {}).links),
            (std::vector<std::uint32_t>{private_line.value}));
  expect_invalid(
      [&] {
        (void)t.shortest_path(bj, sz, {private_line, internet});
      },
      "no route from datacenter 'bj' to 'sz' over links 'bj-sh-private' "
      "'bj-sh-internet'");
  expect_invalid([&] { (void)t.shortest_path(bj, sh, {LinkId{9}}); }, "unknown link");
}

TEST(Topology, ShortestPathPrefersFewerHopsOnALatencyTie) {
  Topology t;
  const DcId a = t.add_datacenter("a", "A");
  const DcId m = t.add_datacenter("m", "M");
  const DcId b = t.add_datacenter("b", "B");
  t.add_link(spec("a-m", a, m, 10));
  t.add_link(spec("m-b", m, b, 10));
  const LinkId direct = t.add_link(spec("a-b", a, b, 20));
  EXPECT_EQ(ids(t.shortest_path(a, b).links), (std::vector<std::uint32_t>{direct.value}));
  EXPECT_EQ(ids(t.shortest_path(b, a).links), (std::vector<std::uint32_t>{direct.value}));
}

TEST(Topology, ShortestPathPrefersLowerLinkIdsOnAFullTieWhateverTheCreationOrder) {
  // Two equal two-hop routes a-x-b and a-y-b. The route whose link ids read from `from` are
  // lexicographically least wins, in both directions and in a copy.
  Topology t;
  const DcId a = t.add_datacenter("a", "A");
  const DcId b = t.add_datacenter("b", "B");
  const DcId x = t.add_datacenter("x", "X");
  const DcId y = t.add_datacenter("y", "Y");
  const LinkId yb = t.add_link(spec("y-b", y, b, 5));  // 0
  const LinkId xb = t.add_link(spec("x-b", x, b, 5));  // 1
  const LinkId ax = t.add_link(spec("a-x", a, x, 5));  // 2
  const LinkId ay = t.add_link(spec("a-y", a, y, 5));  // 3
  // From a: first links 2 (a-x) < 3 (a-y), so a-x-b.
  EXPECT_EQ(ids(t.shortest_path(a, b).links), (std::vector<std::uint32_t>{ax.value, xb.value}));
  // From b: first links 0 (y-b) < 1 (x-b), so b-y-a.
  EXPECT_EQ(ids(t.shortest_path(b, a).links), (std::vector<std::uint32_t>{yb.value, ay.value}));
  const Topology copy = t;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ids(copy.shortest_path(a, b).links),
              (std::vector<std::uint32_t>{ax.value, xb.value}));
  }
}

TEST(Topology, ShortestPathPicksTheLowerIdOfParallelLinks) {
  Topology t;
  const DcId a = t.add_datacenter("a", "A");
  const DcId b = t.add_datacenter("b", "B");
  const LinkId first = t.add_link(spec("first", a, b, 8));
  t.add_link(spec("second", b, a, 8));
  EXPECT_EQ(ids(t.shortest_path(a, b).links), (std::vector<std::uint32_t>{first.value}));
  EXPECT_EQ(ids(t.shortest_path(b, a).links), (std::vector<std::uint32_t>{first.value}));
}

TEST_F(TopologyOnALine, SharedFateReportsASharedLinkWithThePathsThatShareIt) {
  const std::vector<Path> paths{t.make_path(a, {ab}), t.make_path(d, {bd}), t.make_path(b, {ab})};
  const SharedFate f = t.shared_fate(paths);
  ASSERT_EQ(f.links.size(), 1u);
  EXPECT_EQ(f.links[0].link, ab);
  EXPECT_EQ(f.links[0].paths, (std::vector<std::size_t>{0, 2}));
  EXPECT_TRUE(f.dcs.empty());  // b is an endpoint of every path here
  EXPECT_FALSE(f.empty());
}

TEST_F(TopologyOnALine, SharedFateReportsAnIntermediateDatacenterSharedByLinkDisjointPaths) {
  // a -> b -> c and d -> b -> a both pass through b; c -> b ends at b, so it does not count.
  const std::vector<Path> paths{t.make_path(a, {ab, bc}), t.make_path(d, {bd, ab}),
                                t.make_path(c, {bc})};
  const SharedFate f = t.shared_fate(paths);
  ASSERT_EQ(f.dcs.size(), 1u);
  EXPECT_EQ(f.dcs[0].dc, b);
  EXPECT_EQ(f.dcs[0].paths, (std::vector<std::size_t>{0, 1}));
  // a-b is on paths 0 and 1; b-c on paths 0 and 2; sorted by link id.
  ASSERT_EQ(f.links.size(), 2u);
  EXPECT_EQ(f.links[0].link, ab);
  EXPECT_EQ(f.links[0].paths, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(f.links[1].link, bc);
  EXPECT_EQ(f.links[1].paths, (std::vector<std::size_t>{0, 2}));
}

TEST(Topology, SharedFateReportsOnlyTheDatacenterWhenPathsShareNoLink) {
  // A star: two channels cross hub h on different links.
  Topology t;
  const DcId h = t.add_datacenter("h", "H");
  const DcId a = t.add_datacenter("a", "A");
  const DcId b = t.add_datacenter("b", "B");
  const DcId c = t.add_datacenter("c", "C");
  const DcId d = t.add_datacenter("d", "D");
  const LinkId ha = t.add_link(spec("h-a", h, a, 1));
  const LinkId hb = t.add_link(spec("h-b", h, b, 1));
  const LinkId hc = t.add_link(spec("h-c", h, c, 1));
  const LinkId hd = t.add_link(spec("h-d", h, d, 1));
  const SharedFate f = t.shared_fate({t.make_path(a, {ha, hb}), t.make_path(c, {hc, hd})});
  EXPECT_TRUE(f.links.empty());
  ASSERT_EQ(f.dcs.size(), 1u);
  EXPECT_EQ(f.dcs[0].dc, h);
  EXPECT_EQ(f.dcs[0].paths, (std::vector<std::size_t>{0, 1}));
}

TEST_F(TopologyOnALine, SharedFateIsEmptyForDisjointPaths) {
  const DcId e = t.add_datacenter("e", "E");
  const LinkId ce = t.add_link(spec("c-e", c, e, 1));
  EXPECT_TRUE(t.shared_fate({t.make_path(a, {ab}), t.make_path(c, {ce})}).empty());
  EXPECT_TRUE(t.shared_fate({}).empty());
  EXPECT_TRUE(t.shared_fate({t.make_path(a, {ab, bc, ce})}).empty());  // one path shares nothing
}

TEST_F(TopologyOnALine, ACopyIsIndependentOfTheOriginal) {
  Topology copy = t;
  copy.add_datacenter("extra", "E");
  EXPECT_EQ(t.datacenter_count(), 4u);
  EXPECT_EQ(copy.datacenter_count(), 5u);
  Topology moved = std::move(copy);
  EXPECT_EQ(moved.datacenter_count(), 5u);
  EXPECT_EQ(ids(moved.shortest_path(a, d).links), (std::vector<std::uint32_t>{ab.value, bd.value}));
}

}  // namespace
}  // namespace geodes::models
