#include "geodes/app/results_hdf5.hpp"

#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "geodes/app/atomic_file.hpp"
#include "geodes/app/summary_json.hpp"
#include "geodes/sim/error.hpp"
#include "sample_results.hpp"

namespace geodes::app {
namespace {

using testing::sample_results;
using testing::ScratchDir;
using Strings = std::vector<std::string>;

RunMeta sample_meta() {
  RunMeta meta;
  meta.git_describe = "v0.1.0-3-gabcdef0";
  meta.seed = 42;
  meta.scenario_yaml = "name: login_two_cities\ndcs: [beijing, shanghai]\n";
  meta.command_line = "geodes run login.yaml --seed 42";
  return meta;
}

// --- reading back
// ---------------------------------------------------------------------------------

std::string string_attr(const H5::H5Object& o, const char* name) {
  const H5::Attribute a = o.openAttribute(name);
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}
double double_attr(const H5::H5Object& o, const char* name) {
  double v = 0;
  o.openAttribute(name).read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}
std::uint64_t u64_attr(const H5::H5Object& o, const char* name) {
  std::uint64_t v = 0;
  o.openAttribute(name).read(H5::PredType::NATIVE_UINT64, &v);
  return v;
}
bool bool_attr(const H5::H5Object& o, const char* name) {
  const H5::Attribute a = o.openAttribute(name);
  EXPECT_EQ(a.getTypeClass(), H5T_ENUM) << name << " should be h5py's bool enum";
  std::int8_t v = -1;
  a.read(H5::PredType::NATIVE_INT8, &v);
  return v == 1;
}

std::string string_dataset(const H5::DataSet& ds) {
  std::string s;
  ds.read(s, ds.getStrType());
  return s;
}

std::size_t length(const H5::DataSet& ds) {
  return static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints());
}

template <class T>
std::vector<T> numbers(const H5::DataSet& ds, const H5::PredType& type) {
  std::vector<T> v(length(ds));
  if (!v.empty()) ds.read(v.data(), type);
  return v;
}

Strings strings(const H5::DataSet& ds) {
  std::vector<char*> raw(length(ds), nullptr);
  const H5::StrType type = ds.getStrType();
  if (!raw.empty()) ds.read(raw.data(), type);
  Strings out(raw.begin(), raw.end());
  for (char* p : raw) H5free_memory(p);
  return out;
}

// Member names of a group in creation order.
Strings members(const H5::Group& g) {
  Strings names;
  H5Literate(
      g.getId(), H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<Strings*>(out)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// --- tests
// ----------------------------------------------------------------------------------------

TEST(ResultsHdf5, TheFileHasTheDocumentedGroupsInOrder) {
  const ScratchDir dir("hdf5_layout");
  write_results_hdf5(dir.file("run.h5"), sample_results(), sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  EXPECT_EQ(members(file.openGroup("/")),
            (Strings{"meta", "summary", "lag", "latency", "timeseries", "faults", "divergence"}));
  EXPECT_EQ(members(file.openGroup("/lag")), (Strings{"accounts", "sessions", "channels"}));
  EXPECT_EQ(members(file.openGroup("/latency")), (Strings{"login", "register"}));
  EXPECT_EQ(members(file.openGroup("/latency/login")), (Strings{"shanghai", "beijing"}));
  EXPECT_EQ(members(file.openGroup("/lag/accounts")), (Strings{"shanghai", "beijing"}));
  EXPECT_EQ(members(file.openGroup("/lag/channels")), (Strings{"mysql_accounts", "mq_accounts"}));
  EXPECT_EQ(members(file.openGroup("/timeseries")), (Strings{"lag", "backlog"}));
  EXPECT_EQ(members(file.openGroup("/timeseries/lag/accounts/shanghai")),
            (Strings{"t_s", "mean", "max"}));
}

TEST(ResultsHdf5, MetaRecordsHowTheRunWasMade) {
  const ScratchDir dir("hdf5_meta");
  write_results_hdf5(dir.file("run.h5"), sample_results(), sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  const H5::Group meta = file.openGroup("/meta");
  EXPECT_EQ(string_attr(meta, "format"), "geodes results");
  EXPECT_EQ(string_attr(meta, "version"), version());
  EXPECT_EQ(string_attr(meta, "git_describe"), "v0.1.0-3-gabcdef0");
  EXPECT_EQ(u64_attr(meta, "seed"), 42u);
  EXPECT_EQ(string_attr(meta, "scenario"), "login_two_cities");
  EXPECT_EQ(string_attr(meta, "command_line"), "geodes run login.yaml --seed 42");
  EXPECT_TRUE(bool_attr(meta, "complete"));
  EXPECT_EQ(string_attr(meta, "fingerprint"), "0123456789abcdef");
  EXPECT_EQ(double_attr(meta, "wall_s"), 2.5);
  EXPECT_EQ(string_dataset(meta.openDataSet("scenario_yaml")), sample_meta().scenario_yaml);
}

TEST(ResultsHdf5, SummaryHoldsTheSummaryJsonAndTheHeadlineNumbers) {
  const ScratchDir dir("hdf5_summary");
  const models::RunResults r = sample_results();
  write_results_hdf5(dir.file("run.h5"), r, sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  const H5::DataSet summary = file.openDataSet("/summary");
  SummaryOptions options;
  options.command_line = sample_meta().command_line;
  EXPECT_EQ(string_dataset(summary), summary_json(r, options));
  EXPECT_EQ(string_attr(summary, "media_type"), "application/json");
  EXPECT_EQ(u64_attr(summary, "events"), 1'234'567u);
  EXPECT_EQ(u64_attr(summary, "attempted"), 1100u);
  EXPECT_EQ(u64_attr(summary, "lost"), 3u);
  EXPECT_EQ(u64_attr(summary, "divergent_keys"), 1u);
  EXPECT_EQ(u64_attr(summary, "affected_users"), 7u);
  EXPECT_EQ(double_attr(summary, "sim_time_s"), 3600.0);
}

TEST(ResultsHdf5, LagHistogramsReadBackBucketForBucketWithTheirStatistics) {
  const ScratchDir dir("hdf5_lag");
  const models::RunResults r = sample_results();
  write_results_hdf5(dir.file("run.h5"), r, sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);

  const auto expect_histogram = [](const H5::DataSet& ds, const sim::Histogram& h) {
    using Bucket = sim::Histogram::Bucket;
    H5::CompType type(sizeof(Bucket));
    type.insertMember("lower", offsetof(Bucket, lower), H5::PredType::NATIVE_INT64);
    type.insertMember("upper", offsetof(Bucket, upper), H5::PredType::NATIVE_INT64);
    type.insertMember("count", offsetof(Bucket, count), H5::PredType::NATIVE_UINT64);
    std::vector<Bucket> buckets(length(ds));
    if (!buckets.empty()) ds.read(buckets.data(), type);
    EXPECT_EQ(buckets, h.buckets());
    EXPECT_EQ(string_attr(ds, "unit"), "ns");
    EXPECT_EQ(u64_attr(ds, "count"), h.count());
    if (h.empty()) {
      EXPECT_TRUE(std::isnan(double_attr(ds, "p99")));
      return;
    }
    EXPECT_EQ(double_attr(ds, "mean"), h.mean());
    EXPECT_EQ(double_attr(ds, "p50"), h.quantile(0.50));
    EXPECT_EQ(double_attr(ds, "p99"), h.quantile(0.99));
    EXPECT_EQ(double_attr(ds, "p999"), h.quantile(0.999));
    EXPECT_EQ(double_attr(ds, "max"), static_cast<double>(h.max()));
    EXPECT_EQ(double_attr(ds, "min"), static_cast<double>(h.min()));
  };
  expect_histogram(file.openDataSet("/lag/accounts/shanghai"), r.data[0].replicas[0].lag_ns);
  expect_histogram(file.openDataSet("/lag/accounts/beijing"), r.data[0].replicas[1].lag_ns);
  expect_histogram(file.openDataSet("/lag/sessions/shanghai"), r.data[1].replicas[0].lag_ns);
  expect_histogram(file.openDataSet("/lag/channels/mq_accounts"), r.channels[1].lag_ns);
  const H5::DataSet mq = file.openDataSet("/lag/channels/mq_accounts");
  EXPECT_EQ(string_attr(mq, "type"), "mq");
  EXPECT_EQ(string_attr(mq, "replica"), "shanghai");
  // The class group carries the merged statistics.
  const H5::Group accounts = file.openGroup("/lag/accounts");
  EXPECT_EQ(u64_attr(accounts, "count"), 500u);
  EXPECT_EQ(double_attr(accounts, "p99"), r.data[0].lag_ns.quantile(0.99));
  // Op latency: one histogram per serving DC, the business's group with the merged statistics.
  expect_histogram(file.openDataSet("/latency/login/beijing"), r.businesses[0].by_dc[1].latency_ns);
  expect_histogram(file.openDataSet("/latency/register/shanghai"),
                   r.businesses[1].by_dc[0].latency_ns);
  const H5::Group login = file.openGroup("/latency/login");
  EXPECT_EQ(u64_attr(login, "count"), 990u);
  EXPECT_EQ(double_attr(login, "p99"), r.businesses[0].latency_ns.quantile(0.99));
}

TEST(ResultsHdf5, TimeSeriesBecomeNestedGroupsWithTimesAndUnits) {
  const ScratchDir dir("hdf5_series");
  write_results_hdf5(dir.file("run.h5"), sample_results(), sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  const H5::Group lag = file.openGroup("/timeseries/lag/accounts/shanghai");
  EXPECT_EQ(string_attr(lag, "name"), "lag/accounts/shanghai");
  EXPECT_EQ(string_attr(lag, "unit"), "ns");
  EXPECT_EQ(double_attr(lag, "interval_s"), 1.0);
  EXPECT_EQ(numbers<double>(lag.openDataSet("t_s"), H5::PredType::NATIVE_DOUBLE),
            (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(string_attr(lag.openDataSet("t_s"), "unit"), "s");
  EXPECT_EQ(string_attr(lag.openDataSet("max"), "unit"), "ns");
  const std::vector<double> mean =
      numbers<double>(lag.openDataSet("mean"), H5::PredType::NATIVE_DOUBLE);
  ASSERT_EQ(mean.size(), 3u);
  EXPECT_EQ(mean[0], 1e6);
  EXPECT_TRUE(std::isnan(mean[1])) << "an interval that saw nothing stays NaN";
  const H5::Group backlog = file.openGroup("/timeseries/backlog/mysql_accounts");
  EXPECT_EQ(numbers<double>(backlog.openDataSet("t_s"), H5::PredType::NATIVE_DOUBLE),
            (std::vector<double>{0, 0.5}));
  EXPECT_EQ(numbers<double>(backlog.openDataSet("max"), H5::PredType::NATIVE_DOUBLE),
            (std::vector<double>{0, 9}));
}

TEST(ResultsHdf5, FaultsAndDivergenceAreTablesOfColumns) {
  const ScratchDir dir("hdf5_tables");
  write_results_hdf5(dir.file("run.h5"), sample_results(), sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  const H5::Group faults = file.openGroup("/faults");
  EXPECT_EQ(members(faults), (Strings{"type", "target", "start_s", "end_s", "detail"}));
  EXPECT_EQ(strings(faults.openDataSet("type")), (Strings{"dc_outage", "link_down"}));
  EXPECT_EQ(strings(faults.openDataSet("target")), (Strings{"shanghai", "bj-sh"}));
  EXPECT_EQ(strings(faults.openDataSet("detail")), (Strings{"power", ""}));
  EXPECT_EQ(numbers<double>(faults.openDataSet("start_s"), H5::PredType::NATIVE_DOUBLE),
            (std::vector<double>{600, 1200}));
  const std::vector<double> end_s =
      numbers<double>(faults.openDataSet("end_s"), H5::PredType::NATIVE_DOUBLE);
  EXPECT_EQ(end_s[0], 900);
  EXPECT_TRUE(std::isnan(end_s[1])) << "a fault that never ended";
  EXPECT_EQ(string_attr(faults.openDataSet("end_s"), "unit"), "s");

  const H5::Group divergence = file.openGroup("/divergence");
  EXPECT_EQ(members(divergence),
            (Strings{"data_class", "key", "dc", "present", "origin", "seq", "hlc", "value"}));
  EXPECT_EQ(u64_attr(divergence, "keys"), 1u);
  EXPECT_EQ(strings(divergence.openDataSet("dc")), (Strings{"beijing", "shanghai"}));
  EXPECT_EQ(numbers<std::uint64_t>(divergence.openDataSet("key"), H5::PredType::NATIVE_UINT64),
            (std::vector<std::uint64_t>{4242, 4242}));
  EXPECT_EQ(numbers<std::int8_t>(divergence.openDataSet("present"), H5::PredType::NATIVE_INT8),
            (std::vector<std::int8_t>{1, 0}));
  EXPECT_EQ(numbers<std::int64_t>(divergence.openDataSet("hlc"), H5::PredType::NATIVE_INT64),
            (std::vector<std::int64_t>{1'000'000, 0}));
  EXPECT_EQ(string_attr(divergence.openDataSet("hlc"), "unit"), "ns");
}

TEST(ResultsHdf5, EmptyResultsStillGiveTheWholeLayout) {
  const ScratchDir dir("hdf5_empty");
  models::RunResults empty;
  RunMeta meta;
  write_results_hdf5(dir.file("run.h5"), empty, meta);
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  EXPECT_EQ(members(file.openGroup("/")),
            (Strings{"meta", "summary", "lag", "latency", "timeseries", "faults", "divergence"}));
  EXPECT_EQ(length(file.openDataSet("/faults/type")), 0u);
  EXPECT_EQ(length(file.openDataSet("/divergence/key")), 0u);
}

TEST(ResultsHdf5, WritingTheSameResultsTwiceGivesByteIdenticalFiles) {
  const ScratchDir dir("hdf5_twice");
  write_results_hdf5(dir.file("a.h5"), sample_results(), sample_meta());
  write_results_hdf5(dir.file("b.h5"), sample_results(), sample_meta());
  const std::string a = file_bytes(dir.file("a.h5"));
  EXPECT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == file_bytes(dir.file("b.h5"))) << "HDF5 output is not deterministic";
}

TEST(ResultsHdf5, WithoutWallTimeRunsOfDifferentSpeedGiveIdenticalFiles) {
  const ScratchDir dir("hdf5_nowall");
  models::RunResults fast = sample_results();
  models::RunResults slow = sample_results();
  fast.wall_s = 1;
  slow.wall_s = 100;
  RunMeta meta = sample_meta();
  meta.record_wall_time = false;
  write_results_hdf5(dir.file("fast.h5"), fast, meta);
  write_results_hdf5(dir.file("slow.h5"), slow, meta);
  EXPECT_TRUE(file_bytes(dir.file("fast.h5")) == file_bytes(dir.file("slow.h5")));
  const H5::H5File file(dir.file("fast.h5"), H5F_ACC_RDONLY);
  EXPECT_FALSE(file.openGroup("/meta").attrExists("wall_s"));
}

TEST(ResultsHdf5, AnExistingFileIsReplaced) {
  const ScratchDir dir("hdf5_replace");
  { std::ofstream(dir.file("run.h5")) << "old contents"; }
  write_results_hdf5(dir.file("run.h5"), sample_results(), sample_meta());
  EXPECT_TRUE(H5::H5File::isHdf5(dir.file("run.h5")));
  EXPECT_EQ(dir.entries(), (Strings{"run.h5"}));
}

TEST(ResultsHdf5, ADirectoryIsNeverOverwritten) {
  const ScratchDir dir("hdf5_dir");
  std::filesystem::create_directory(dir.file("out.h5"));
  try {
    write_results_hdf5(dir.file("out.h5"), sample_results(), sample_meta());
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("out.h5': it is a directory"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("out.h5")));
  EXPECT_EQ(dir.entries(), (Strings{"out.h5"})) << "no temporary file is left";
}

TEST(ResultsHdf5, AnUnwritablePathIsAClearError) {
  const ScratchDir dir("hdf5_unwritable");
  { std::ofstream(dir.file("plain_file")) << "x"; }
  const std::string missing_dir = dir.file("no_such_dir/run.h5");
  const std::string under_a_file = dir.file("plain_file/run.h5");
  for (const std::string& path : {missing_dir, under_a_file}) {
    try {
      write_results_hdf5(path, sample_results(), sample_meta());
      FAIL() << "expected OutputError for " << path;
    } catch (const OutputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("cannot write '" + path + "': "), std::string::npos) << what;
      EXPECT_TRUE(what.find("No such file or directory") != std::string::npos ||
                  what.find("Not a directory") != std::string::npos)
          << what;
    }
  }
  EXPECT_EQ(dir.entries(), (Strings{"plain_file"}));
}

TEST(ResultsHdf5, AFailureMidwayLeavesNoFileAndKeepsTheOldOne) {
  const ScratchDir dir("hdf5_midway");
  models::RunResults bad = sample_results();
  bad.series[1].max.push_back(1);  // one more maximum than means: detected after /meta, /lag, ...
  EXPECT_THROW(write_results_hdf5(dir.file("new.h5"), bad, sample_meta()), OutputError);
  EXPECT_TRUE(dir.entries().empty()) << "neither the target nor a temporary file";

  { std::ofstream(dir.file("old.h5")) << "previous results"; }
  try {
    write_results_hdf5(dir.file("old.h5"), bad, sample_meta());
    FAIL() << "expected OutputError";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("series 'backlog/mysql_accounts'"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(file_bytes(dir.file("old.h5")), "previous results");
  EXPECT_EQ(dir.entries(), (Strings{"old.h5"}));
}

TEST(ResultsHdf5, TwoSeriesWithOneNameAreAnErrorNotASilentOverwrite) {
  const ScratchDir dir("hdf5_dup");
  models::RunResults bad = sample_results();
  bad.series.push_back(bad.series[0]);
  EXPECT_THROW(write_results_hdf5(dir.file("run.h5"), bad, sample_meta()), OutputError);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ResultsHdf5, AMetaSeedThatDisagreesWithTheResultsIsRejectedBeforeWriting) {
  const ScratchDir dir("hdf5_seed");
  RunMeta meta = sample_meta();
  meta.seed = 7;
  EXPECT_THROW(write_results_hdf5(dir.file("run.h5"), sample_results(), meta), InvalidArgument);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ResultsHdf5, AwkwardNamesBecomeSinglePathComponentsAndKeepTheirText) {
  EXPECT_EQ(hdf5_component("shanghai"), "shanghai");
  EXPECT_EQ(hdf5_component("a/b"), "a%2Fb");
  EXPECT_EQ(hdf5_component("100%"), "100%25");
  EXPECT_EQ(hdf5_component("."), "%2E");
  EXPECT_EQ(hdf5_component(""), "%");

  const ScratchDir dir("hdf5_names");
  models::RunResults r = sample_results();
  r.data[0].name = "channels";  // would collide with /lag/channels
  r.data[0].replicas[0].dc = "dc/1";
  write_results_hdf5(dir.file("run.h5"), r, sample_meta());
  const H5::H5File file(dir.file("run.h5"), H5F_ACC_RDONLY);
  EXPECT_EQ(members(file.openGroup("/lag")), (Strings{"%63hannels", "sessions", "channels"}));
  EXPECT_EQ(string_attr(file.openGroup("/lag/%63hannels"), "name"), "channels");
  EXPECT_EQ(string_attr(file.openDataSet("/lag/%63hannels/dc%2F1"), "name"), "dc/1");
}

}  // namespace
}  // namespace geodes::app
