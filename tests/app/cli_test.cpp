#include "geodes/app/cli.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace geodes::app {
namespace {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(Cli, NoArgumentsPrintsUsageAndExitsWithBadInput) {
  const Outcome o = cli({});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("usage: geodes"), std::string::npos);
}

TEST(Cli, AnUnknownCommandIsBadInputAndNamed) {
  const Outcome o = cli({"frobnicate"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  const Outcome o = cli({"version"});
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_EQ(o.out.rfind("geodes ", 0), 0u);
}

TEST(Cli, TheMm1DemoPrintsMeasuredLagBesideTheory) {
  const Outcome o = cli({"demo-mm1", "--writes", "20000", "--rate", "500/s"});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_NE(o.out.find("theory (ms)"), std::string::npos);
  EXPECT_NE(o.out.find("p99"), std::string::npos);
  EXPECT_NE(o.out.find("writes 500/s"), std::string::npos);
}

TEST(Cli, DemoOptionErrorsAreBadInputWithTheOptionNamed) {
  Outcome o = cli({"demo-mm1", "--rate", "fast"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("fast"), std::string::npos);
  o = cli({"demo-mm1", "--colour", "blue"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("--colour"), std::string::npos);
  o = cli({"demo-mm1", "--rate", "2k/s"});  // above the default apply rate of 1000/s
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("write rate < apply rate"), std::string::npos);
  o = cli({"demo-mm1", "--writes"});
  EXPECT_EQ(o.code, kExitBadInput);
  EXPECT_NE(o.err.find("needs a value"), std::string::npos);
}

}  // namespace
}  // namespace geodes::app
