#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "geodes/sim/distribution.hpp"
#include "geodes/sim/error.hpp"
#include "geodes/sim/rng.hpp"

namespace geodes::sim {
namespace {

// Two distributions are equal when their canonical text is: to_string prints every parameter
// with round-trip precision.
void expect_same(const Distribution& got, const Distribution& expected, Unit unit) {
  EXPECT_EQ(got.kind(), expected.kind());
  EXPECT_EQ(got.to_string(unit), expected.to_string(unit));
}

struct Good {
  std::string text;
  Unit unit;
  Distribution expected;
};

const std::vector<Good>& good_forms() {
  static const std::vector<Good> table{
      {"exp(1ms)", Unit::kTime, Distribution::exponential(1e6)},
      {"exp(mean=1ms)", Unit::kTime, Distribution::exponential(1e6)},
      {"exponential(1ms)", Unit::kTime, Distribution::exponential(1e6)},
      {"  exp ( mean = 1ms )  ", Unit::kTime, Distribution::exponential(1e6)},
      {"exp(1 ms)", Unit::kTime, Distribution::exponential(1e6)},
      {"uniform(10ms, 20ms)", Unit::kTime, Distribution::uniform(10e6, 20e6)},
      {"uniform(low=10ms, high=20ms)", Unit::kTime, Distribution::uniform(10e6, 20e6)},
      {"uniform(high=20ms, low=10ms)", Unit::kTime, Distribution::uniform(10e6, 20e6)},
      {"uniform(10ms, high=20ms)", Unit::kTime, Distribution::uniform(10e6, 20e6)},
      {"uniform(10ms,20ms)", Unit::kTime, Distribution::uniform(10e6, 20e6)},
      {"uniform(5ms, 5ms)", Unit::kTime, Distribution::uniform(5e6, 5e6)},
      {"normal(mean=10ms, sd=2ms)", Unit::kTime, Distribution::normal(10e6, 2e6)},
      {"normal(10ms, 2ms)", Unit::kTime, Distribution::normal(10e6, 2e6)},
      {"normal(sd=0ms, mean=1s)", Unit::kTime, Distribution::normal(1e9, 0)},
      {"lognormal(median=14ms, p99=25ms)", Unit::kTime,
       Distribution::lognormal_median_p99(14e6, 25e6)},
      {"lognormal(p99=25ms, median=14ms)", Unit::kTime,
       Distribution::lognormal_median_p99(14e6, 25e6)},
      {"lognormal(mu=1, sigma=0.5)", Unit::kTime, Distribution::lognormal(1, 0.5)},
      {"lognormal(sigma=0.5, mu=-2)", Unit::kNone, Distribution::lognormal(-2, 0.5)},
      {"pareto(scale=1ms, shape=2.5)", Unit::kTime, Distribution::pareto(1e6, 2.5)},
      {"pareto(1ms, 2.5)", Unit::kTime, Distribution::pareto(1e6, 2.5)},
      {"const(30ms)", Unit::kTime, Distribution::constant(30e6)},
      {"constant(30ms)", Unit::kTime, Distribution::constant(30e6)},
      {"const(value=30ms)", Unit::kTime, Distribution::constant(30e6)},
      {"30ms", Unit::kTime, Distribution::constant(30e6)},
      {"  1.5s\t", Unit::kTime, Distribution::constant(1.5e9)},
      {"empirical(1ms, 2ms, 5ms)", Unit::kTime, Distribution::empirical({1e6, 2e6, 5e6})},
      {"empirical(7ms)", Unit::kTime, Distribution::empirical({7e6})},
      {"uniform(1KiB, 4KiB)", Unit::kBytes, Distribution::uniform(1024, 4096)},
      {"lognormal(median=1KB, p99=1MB)", Unit::kBytes,
       Distribution::lognormal_median_p99(1e3, 1e6)},
      {"const(1Gbps)", Unit::kBandwidth, Distribution::constant(1.25e8)},
      {"exp(5k/s)", Unit::kRate, Distribution::exponential(5000)},
      {"normal(mean=-1, sd=0.5)", Unit::kNone, Distribution::normal(-1, 0.5)},
      {"uniform(0, 1)", Unit::kNone, Distribution::uniform(0, 1)},
      {"0.5", Unit::kNone, Distribution::constant(0.5)},
      {"2k", Unit::kNone, Distribution::constant(2000)},
  };
  return table;
}

TEST(DistributionParse, EveryDocumentedFormParsesToTheExpectedDistribution) {
  for (const Good& g : good_forms()) {
    SCOPED_TRACE(g.text);
    expect_same(Distribution::parse(g.text, g.unit), g.expected, g.unit);
  }
}

TEST(DistributionParse, ToStringUsesBaseUnitSuffixes) {
  EXPECT_EQ(Distribution::exponential(1e6).to_string(Unit::kTime), "exp(mean=1000000ns)");
  EXPECT_EQ(Distribution::uniform(1024, 4096).to_string(Unit::kBytes),
            "uniform(low=1024B, high=4096B)");
  EXPECT_EQ(Distribution::constant(1.25e8).to_string(Unit::kBandwidth), "const(125000000B/s)");
  EXPECT_EQ(Distribution::normal(5, 0.5).to_string(Unit::kRate), "normal(mean=5/s, sd=0.5/s)");
  EXPECT_EQ(Distribution::pareto(1e6, 2.5).to_string(Unit::kTime),
            "pareto(scale=1000000ns, shape=2.5)");
  EXPECT_EQ(Distribution::lognormal(1, 0.5).to_string(Unit::kTime), "lognormal(mu=1, sigma=0.5)");
  EXPECT_EQ(Distribution::empirical({1, 2.5}).to_string(Unit::kNone), "empirical(1, 2.5)");
}

TEST(DistributionParse, ToStringRoundTripsExactlyThroughParse) {
  struct Case {
    Distribution d;
    Unit unit;
  };
  const double third = 1.0 / 3.0;
  const std::vector<Case> cases{
      {Distribution::constant(0.1), Unit::kTime},
      {Distribution::constant(0), Unit::kBytes},
      {Distribution::constant(-1e-300), Unit::kNone},
      {Distribution::constant(1e300), Unit::kNone},
      {Distribution::uniform(third, 2 * third), Unit::kTime},
      {Distribution::uniform(1e-7, 123456789.123), Unit::kBandwidth},
      {Distribution::exponential(third * 1e6), Unit::kTime},
      {Distribution::exponential(1e-9), Unit::kRate},
      {Distribution::normal(-third, third), Unit::kNone},
      {Distribution::normal(9e18, 1e17), Unit::kTime},
      {Distribution::lognormal_median_p99(14e6, 25e6), Unit::kTime},
      {Distribution::lognormal(-third, 0), Unit::kNone},
      {Distribution::pareto(third, 1 + third), Unit::kBytes},
      {Distribution::empirical({third, 0.1, 7, 1e20}), Unit::kNone},
  };
  for (const Case& c : cases) {
    const std::string text = c.d.to_string(c.unit);
    SCOPED_TRACE(text);
    const Distribution back = Distribution::parse(text, c.unit);
    EXPECT_EQ(back.to_string(c.unit), text);
    EXPECT_EQ(back.kind(), c.d.kind());
    // Bit-identical parameters give bit-identical draws.
    Rng a(1, "round-trip");
    Rng b(1, "round-trip");
    for (int i = 0; i < 100; ++i) ASSERT_EQ(back.sample(a), c.d.sample(b));
    EXPECT_EQ(back.mean(), c.d.mean());
  }
}

struct Bad {
  std::string text;
  Unit unit;
  std::size_t column;
  std::vector<std::string> must_contain;
};

// Columns are 1-based positions in the full text, counted by hand.
const std::vector<Bad>& bad_forms() {
  static const std::vector<Bad> table{
      {"", Unit::kTime, 1, {"empty distribution text", "exp(1ms)", "30ms"}},
      {"   ", Unit::kTime, 1, {"empty distribution text"}},
      {"expo(1ms)", Unit::kTime, 1, {"unknown distribution 'expo'", "(did you mean 'exp'?)"}},
      {"  normel(1ms, 2ms)", Unit::kTime, 3, {"did you mean 'normal'?"}},
      {"weibull(1, 2)", Unit::kNone, 1, {"unknown distribution 'weibull'", "bare quantity"}},
      {"exp 1ms", Unit::kTime, 5, {"expected '(' after 'exp'", "exp(mean=1ms)"}},
      {"exp(1ms", Unit::kTime, 8, {"missing ')'"}},
      {"exp(1ms) x", Unit::kTime, 10, {"unexpected 'x' after ')'"}},
      {"exp(1ms))", Unit::kTime, 9, {"unexpected ')' after ')'"}},
      {"exp()", Unit::kTime, 5, {"missing argument 'mean' for exp"}},
      {"exp(1ms, 2ms)", Unit::kTime, 10, {"too many arguments for exp", "takes 1 (mean)"}},
      {"normal(mean=10ms)", Unit::kTime, 17, {"missing argument 'sd' for normal"}},
      {"normal(mean=10ms, stddev=2ms)",
       Unit::kTime,
       19,
       {"unknown argument 'stddev' for normal", "expected mean, sd"}},
      {"normal(mean=10ms, men=2ms)", Unit::kTime, 19, {"(did you mean 'mean'?)"}},
      {"normal(mean=10ms, mean=2ms)", Unit::kTime, 19, {"argument 'mean' given twice"}},
      {"uniform(low=10ms, 20ms)", Unit::kTime, 19, {"positional argument '20ms' after a named"}},
      {"uniform(10ms,,20ms)", Unit::kTime, 14, {"empty argument"}},
      {"uniform(20ms, 10ms)", Unit::kTime, 15, {"uniform high '10ms' is below low '20ms'"}},
      {"lognormal(median=25ms, p99=14ms)", Unit::kTime, 28, {"p99 '14ms' is below median '25ms'"}},
      {"lognormal(14ms, 25ms)", Unit::kTime, 11, {"lognormal needs named arguments", "mu="}},
      {"lognormal(median=14ms, sigma=0.5)", Unit::kTime, 24, {"mixes median/p99 with mu/sigma"}},
      {"lognormal(mu=1)", Unit::kTime, 15, {"missing argument 'sigma' for lognormal"}},
      {"lognormal(mu=1, sigma=-0.5)", Unit::kTime, 23, {"sigma '-0.5' is negative"}},
      {"lognormal(mu=1ms, sigma=0.5)", Unit::kTime, 14, {"invalid value '1ms'", "plain number"}},
      {"exp(1GB)", Unit::kTime, 5, {"invalid value '1GB' for exp mean", "unknown unit 'GB'"}},
      {"exp(30)", Unit::kTime, 5, {"'30ms' or '30s'"}},
      {"exp(-1ms)", Unit::kTime, 5, {"cannot be negative"}},
      {"exp(0ms)", Unit::kTime, 5, {"exp mean '0ms' is not positive"}},
      {"exp(-1)", Unit::kNone, 5, {"exp mean '-1' is not positive"}},
      {"exp(=1ms)", Unit::kTime, 5, {"bad argument name ''"}},
      {"exp(mean=)", Unit::kTime, 10, {"missing value for argument 'mean'"}},
      {"normal(mean=10, sd=-2)", Unit::kNone, 20, {"normal sd '-2' is negative"}},
      {"pareto(scale=1ms, shape=2ms)", Unit::kTime, 25, {"invalid value '2ms' for pareto shape"}},
      {"pareto(scale=1ms, shape=0)", Unit::kTime, 25, {"pareto shape '0' is not positive"}},
      {"pareto(scale=0ms, shape=2)", Unit::kTime, 14, {"pareto scale '0ms' is not positive"}},
      {"empirical()", Unit::kTime, 11, {"empirical needs at least one value"}},
      {"empirical(a=1ms)", Unit::kTime, 11, {"empirical takes no named arguments"}},
      {"empirical(1ms, 2)", Unit::kTime, 16, {"invalid value '2' for empirical value"}},
      {"30mz", Unit::kTime, 1, {"invalid quantity '30mz'", "unknown unit 'mz'"}},
      {"  30", Unit::kTime, 3, {"invalid quantity '30'", "'30ms' or '30s'"}},
      {"uniform(-1e308, 1e308)", Unit::kNone, 1, {"invalid uniform parameters", "overflows"}},
  };
  return table;
}

TEST(DistributionParse, BadTextThrowsWithTheColumnTheTextAndWhatIsAllowed) {
  EXPECT_GE(bad_forms().size(), 15U);
  for (const Bad& b : bad_forms()) {
    SCOPED_TRACE("text: '" + b.text + "'");
    try {
      (void)Distribution::parse(b.text, b.unit);
      ADD_FAILURE() << "no exception";
    } catch (const DistributionError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.column(), b.column) << what;
      EXPECT_NE(what.find("in '" + b.text + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("at column " + std::to_string(b.column)), std::string::npos) << what;
      for (const std::string& part : b.must_contain) {
        EXPECT_NE(what.find(part), std::string::npos) << "missing '" << part << "' in: " << what;
      }
    }
  }
}

TEST(DistributionParse, UnknownDistributionMessageListsEveryKindAndSuggestsTheClosest) {
  try {
    (void)Distribution::parse("expo(1ms)", Unit::kTime);
    FAIL() << "no exception";
  } catch (const DistributionError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown distribution 'expo' in 'expo(1ms)' at column 1; expected one of const, "
                 "uniform, exp, normal, lognormal, pareto, empirical (did you mean 'exp'?)");
  }
}

TEST(DistributionParse, DistributionErrorIsAnInvalidArgument) {
  EXPECT_THROW((void)Distribution::parse("expo(1ms)", Unit::kTime), InvalidArgument);
  EXPECT_THROW((void)Distribution::parse("expo(1ms)", Unit::kTime), Error);
}

}  // namespace
}  // namespace geodes::sim
