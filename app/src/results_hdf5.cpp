#include "geodes/app/results_hdf5.hpp"

#include <H5Cpp.h>

#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <vector>

#include "geodes/app/atomic_file.hpp"
#include "geodes/app/lag_summary.hpp"
#include "geodes/app/summary_json.hpp"
#include "geodes/sim/error.hpp"

namespace geodes::app {

namespace {

// Bumped whenever the layout changes in a way readers must know about.
constexpr std::uint32_t kFormatVersion = 1;

constexpr unsigned kCreationOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Raised for a failed HDF5 C call (the C++ API raises H5::Exception itself).
[[noreturn]] void hdf5_failure(const std::string& what) { throw std::runtime_error(what); }

// Owns a property list created with the C API (the 1.10 C++ API has no group-creation list).
class PropertyList {
 public:
  explicit PropertyList(hid_t cls) : id_(H5Pcreate(cls)) {
    if (id_ < 0) hdf5_failure("cannot create an HDF5 property list");
  }
  PropertyList(const PropertyList&) = delete;
  PropertyList& operator=(const PropertyList&) = delete;
  ~PropertyList() { H5Pclose(id_); }
  [[nodiscard]] hid_t id() const { return id_; }

 private:
  hid_t id_;
};

// Creation properties shared by every object: no timestamps (they would make equal runs give
// different files) and attributes kept in creation order.
void set_object_properties(hid_t plist) {
  if (H5Pset_obj_track_times(plist, 0) < 0 ||
      H5Pset_attr_creation_order(plist, kCreationOrder) < 0) {
    hdf5_failure("cannot set HDF5 object creation properties");
  }
}

// Groups also list their members in creation order (h5py and h5dump follow it).
void set_group_properties(hid_t plist) {
  set_object_properties(plist);
  if (H5Pset_link_creation_order(plist, kCreationOrder) < 0) {
    hdf5_failure("cannot set HDF5 group creation properties");
  }
}

H5::StrType string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

// h5py's representation of bool: an 8-bit enum {FALSE = 0, TRUE = 1}.
H5::EnumType bool_type() {
  H5::EnumType t(H5::PredType::NATIVE_INT8);
  // EnumType::insert takes a non-const pointer in HDF5 1.10.
  std::int8_t no = 0;
  std::int8_t yes = 1;
  t.insert("FALSE", &no);
  t.insert("TRUE", &yes);
  return t;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// --- attributes ----------------------------------------------------------------------------------

void attr(const H5::H5Object& o, const char* name, const std::string& v) {
  const H5::StrType t = string_type();
  o.createAttribute(name, t, H5::DataSpace(H5S_SCALAR)).write(t, v);
}
void attr(const H5::H5Object& o, const char* name, const char* v) { attr(o, name, std::string(v)); }
void attr(const H5::H5Object& o, const char* name, double v) {
  o.createAttribute(name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_DOUBLE, &v);
}
void attr(const H5::H5Object& o, const char* name, std::uint64_t v) {
  o.createAttribute(name, H5::PredType::STD_U64LE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_UINT64, &v);
}
void attr(const H5::H5Object& o, const char* name, std::uint32_t v) {
  o.createAttribute(name, H5::PredType::STD_U32LE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_UINT32, &v);
}
void attr(const H5::H5Object& o, const char* name, std::int64_t v) {
  o.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &v);
}
void attr(const H5::H5Object& o, const char* name, bool v) {
  const H5::EnumType t = bool_type();
  const std::int8_t b = v ? 1 : 0;
  o.createAttribute(name, t, H5::DataSpace(H5S_SCALAR)).write(t, &b);
}
void attr(const H5::H5Object& o, const char* name, int v) = delete;  // say which width

// --- groups and datasets -------------------------------------------------------------------------

H5::Group create_group(const H5::Group& parent, const std::string& component) {
  const PropertyList gcpl(H5P_GROUP_CREATE);
  set_group_properties(gcpl.id());
  const hid_t id =
      H5Gcreate2(parent.getId(), component.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT);
  if (id < 0) hdf5_failure("cannot create group '" + component + "' (is the name used twice?)");
  // H5::Group(hid_t) takes a reference of its own; drop ours so the group closes with the object.
  H5::Group group(id);
  H5Gclose(id);
  return group;
}

H5::DataSet create_dataset(const H5::Group& g, const std::string& component,
                           const H5::DataType& file_type, const H5::DataSpace& space) {
  H5::DSetCreatPropList dcpl;
  set_object_properties(dcpl.getId());
  if (H5Lexists(g.getId(), component.c_str(), H5P_DEFAULT) > 0) {
    hdf5_failure("two objects would be named '" + g.getObjName() + "/" + component + "'");
  }
  return g.createDataSet(component, file_type, space, dcpl);
}

// A 1-D dataset of `n` values at `data`.
H5::DataSet column(const H5::Group& g, const std::string& name, const void* data, std::size_t n,
                   const H5::DataType& memory_type, const H5::DataType& file_type) {
  const hsize_t dims[1] = {n};
  H5::DataSet ds = create_dataset(g, name, file_type, H5::DataSpace(1, dims));
  if (n > 0) ds.write(data, memory_type);
  return ds;
}
H5::DataSet column(const H5::Group& g, const std::string& name, const std::vector<double>& v,
                   const char* unit = nullptr) {
  H5::DataSet ds =
      column(g, name, v.data(), v.size(), H5::PredType::NATIVE_DOUBLE, H5::PredType::IEEE_F64LE);
  if (unit != nullptr) attr(ds, "unit", unit);
  return ds;
}
H5::DataSet column(const H5::Group& g, const std::string& name,
                   const std::vector<std::uint64_t>& v) {
  return column(g, name, v.data(), v.size(), H5::PredType::NATIVE_UINT64, H5::PredType::STD_U64LE);
}
H5::DataSet column(const H5::Group& g, const std::string& name,
                   const std::vector<std::uint32_t>& v) {
  return column(g, name, v.data(), v.size(), H5::PredType::NATIVE_UINT32, H5::PredType::STD_U32LE);
}
H5::DataSet column(const H5::Group& g, const std::string& name,
                   const std::vector<std::int64_t>& v) {
  return column(g, name, v.data(), v.size(), H5::PredType::NATIVE_INT64, H5::PredType::STD_I64LE);
}
H5::DataSet column(const H5::Group& g, const std::string& name, const std::vector<bool>& v) {
  std::vector<std::int8_t> bytes(v.begin(), v.end());
  const H5::EnumType t = bool_type();
  return column(g, name, bytes.data(), bytes.size(), t, t);
}
H5::DataSet column(const H5::Group& g, const std::string& name, const std::vector<std::string>& v) {
  std::vector<const char*> pointers;
  pointers.reserve(v.size());
  for (const std::string& s : v) pointers.push_back(s.c_str());
  const H5::StrType t = string_type();
  return column(g, name, pointers.data(), pointers.size(), t, t);
}

void scalar_string(const H5::Group& g, const std::string& name, const std::string& text,
                   const char* media_type) {
  const H5::StrType t = string_type();
  H5::DataSet ds = create_dataset(g, name, t, H5::DataSpace(H5S_SCALAR));
  ds.write(text, t);
  attr(ds, "media_type", media_type);
}

// --- sections ------------------------------------------------------------------------------------

void write_meta(const H5::Group& root, const models::RunResults& r, const RunMeta& meta) {
  H5::Group g = create_group(root, "meta");
  attr(g, "format", "geodes results");
  attr(g, "format_version", kFormatVersion);
  attr(g, "version", meta.version);
  attr(g, "git_describe", meta.git_describe);
  attr(g, "seed", r.seed);
  attr(g, "scenario", r.scenario);
  attr(g, "command_line", meta.command_line);
  attr(g, "complete", r.complete);
  if (!r.complete) attr(g, "stopped_by", r.stopped_by);
  attr(g, "fingerprint", hex(r.fingerprint));
  attr(g, "sim_time_s", r.sim_time_s);
  attr(g, "events", r.events);
  if (meta.record_wall_time) attr(g, "wall_s", r.wall_s);
  scalar_string(g, "scenario_yaml", meta.scenario_yaml, "application/yaml");
}

void write_summary(const H5::Group& root, const models::RunResults& r, const RunMeta& meta) {
  SummaryOptions options;
  options.include_wall_time = meta.record_wall_time;
  options.command_line = meta.command_line;
  const H5::StrType t = string_type();
  H5::DataSet ds = create_dataset(root, "summary", t, H5::DataSpace(H5S_SCALAR));
  ds.write(summary_json(r, options), t);
  attr(ds, "media_type", "application/json");

  std::uint64_t attempted = 0;
  std::uint64_t succeeded = 0;
  for (const models::BusinessResult& b : r.businesses) {
    attempted += b.attempted;
    succeeded += b.succeeded;
  }
  std::uint64_t writes = 0;
  std::uint64_t lost = 0;
  std::uint64_t recovered = 0;
  std::uint64_t stale_reads = 0;
  std::uint64_t bound_violations = 0;
  std::uint64_t divergent_keys = 0;
  std::uint64_t order_violations = 0;
  std::uint64_t uniqueness_conflicts = 0;
  for (const models::DataClassResult& d : r.data) {
    writes += d.writes;
    lost += d.lost;
    recovered += d.recovered;
    stale_reads += d.stale_reads;
    bound_violations += d.bound_violations;
    divergent_keys += d.divergent_keys;
    order_violations += d.order_violations;
    uniqueness_conflicts += d.uniqueness_conflicts;
  }
  attr(ds, "scenario", r.scenario);
  attr(ds, "seed", r.seed);
  attr(ds, "sim_time_s", r.sim_time_s);
  attr(ds, "events", r.events);
  if (meta.record_wall_time) attr(ds, "wall_s", r.wall_s);
  attr(ds, "complete", r.complete);
  attr(ds, "fingerprint", hex(r.fingerprint));
  attr(ds, "attempted", attempted);
  attr(ds, "succeeded", succeeded);
  attr(ds, "success_ratio",
       attempted == 0 ? 1.0 : static_cast<double>(succeeded) / static_cast<double>(attempted));
  attr(ds, "writes", writes);
  attr(ds, "lost", lost);
  attr(ds, "recovered", recovered);
  attr(ds, "stale_reads", stale_reads);
  attr(ds, "bound_violations", bound_violations);
  attr(ds, "divergent_keys", divergent_keys);
  attr(ds, "order_violations", order_violations);
  attr(ds, "uniqueness_conflicts", uniqueness_conflicts);
  attr(ds, "affected_users", r.compensation.affected_users);
  attr(ds, "affected_ratio", r.compensation.affected_ratio());
  attr(ds, "compensation_cost", r.compensation.cost);
}

void lag_attributes(const H5::H5Object& o, const sim::Histogram& h) {
  const LagSummary s = summarize_lag(h);
  attr(o, "unit", "ns");
  attr(o, "count", s.count);
  attr(o, "min", h.empty() ? kNaN : static_cast<double>(h.min()));
  attr(o, "mean", s.mean_ns);
  attr(o, "p50", s.p50_ns);
  attr(o, "p99", s.p99_ns);
  attr(o, "p999", s.p999_ns);
  attr(o, "max", s.max_ns);
}

// A histogram as a compound dataset of its non-empty buckets, in increasing order of value.
H5::DataSet histogram(const H5::Group& g, const std::string& name, const sim::Histogram& h) {
  using Bucket = sim::Histogram::Bucket;
  H5::CompType memory(sizeof(Bucket));
  memory.insertMember("lower", offsetof(Bucket, lower), H5::PredType::NATIVE_INT64);
  memory.insertMember("upper", offsetof(Bucket, upper), H5::PredType::NATIVE_INT64);
  memory.insertMember("count", offsetof(Bucket, count), H5::PredType::NATIVE_UINT64);
  H5::CompType file(std::size_t{24});
  file.insertMember("lower", 0, H5::PredType::STD_I64LE);
  file.insertMember("upper", 8, H5::PredType::STD_I64LE);
  file.insertMember("count", 16, H5::PredType::STD_U64LE);
  const std::vector<Bucket> buckets = h.buckets();
  H5::DataSet ds = column(g, hdf5_component(name), buckets.data(), buckets.size(), memory, file);
  attr(ds, "name", name);
  lag_attributes(ds, h);
  return ds;
}

void write_lag(const H5::Group& root, const models::RunResults& r) {
  H5::Group lag = create_group(root, "lag");
  attr(lag, "unit", "ns");
  for (const models::DataClassResult& d : r.data) {
    // "channels" is taken by the channel histograms; percent-encoding its first letter keeps the
    // class's group distinct (the `name` attribute still says "channels").
    H5::Group cls = create_group(lag, d.name == "channels" ? "%63hannels" : hdf5_component(d.name));
    attr(cls, "name", d.name);
    lag_attributes(cls, d.lag_ns);
    for (const models::ReplicaLagResult& replica : d.replicas) {
      H5::DataSet ds = histogram(cls, replica.dc, replica.lag_ns);
      attr(ds, "data_class", d.name);
    }
  }
  H5::Group channels = create_group(lag, "channels");
  for (const models::ChannelResult& c : r.channels) {
    H5::DataSet ds = histogram(channels, c.name, c.lag_ns);
    attr(ds, "type", c.type);
    attr(ds, "data_class", c.data_class);
    attr(ds, "source", c.source);
    attr(ds, "replica", c.replica);
  }
}

// /latency/<business>: the merged op latency of the business in the group's attributes, one
// histogram per serving DC.
void write_latency(const H5::Group& root, const models::RunResults& r) {
  H5::Group latency = create_group(root, "latency");
  attr(latency, "unit", "ns");
  for (const models::BusinessResult& b : r.businesses) {
    H5::Group g = create_group(latency, hdf5_component(b.name));
    attr(g, "name", b.name);
    lag_attributes(g, b.latency_ns);
    for (const models::DcLatencyResult& dc : b.by_dc) {
      H5::DataSet ds = histogram(g, dc.dc, dc.latency_ns);
      attr(ds, "business", b.name);
    }
  }
}

// Opens the group at `components` under `parent`, creating what is missing.
H5::Group open_or_create(const H5::Group& parent, const std::vector<std::string>& components) {
  H5::Group g = parent;
  for (const std::string& c : components) {
    const htri_t exists = H5Lexists(g.getId(), c.c_str(), H5P_DEFAULT);
    g = exists > 0 ? g.openGroup(c) : create_group(g, c);
  }
  return g;
}

void write_timeseries(const H5::Group& root, const models::RunResults& r) {
  H5::Group top = create_group(root, "timeseries");
  for (const models::SeriesResult& s : r.series) {
    if (s.max.size() != s.mean.size()) {
      throw InvalidArgument("series '" + s.name + "' has " + std::to_string(s.mean.size()) +
                            " means but " + std::to_string(s.max.size()) + " maxima");
    }
    // '/' in a series name makes subgroups: "lag/accounts/shanghai".
    std::vector<std::string> components;
    std::string::size_type begin = 0;
    while (begin <= s.name.size()) {
      const std::string::size_type end = std::min(s.name.find('/', begin), s.name.size());
      if (end > begin) components.push_back(hdf5_component(s.name.substr(begin, end - begin)));
      begin = end + 1;
    }
    if (components.empty()) components.push_back(hdf5_component(s.name));
    H5::Group g = open_or_create(top, components);
    if (H5Lexists(g.getId(), "t_s", H5P_DEFAULT) > 0) {
      throw InvalidArgument("two time series are named '" + s.name + "'");
    }
    attr(g, "name", s.name);
    attr(g, "unit", s.unit);
    attr(g, "interval_s", s.interval.seconds());
    attr(g, "interval_ns", s.interval.ns());
    std::vector<double> t_s(s.mean.size());
    for (std::size_t i = 0; i < t_s.size(); ++i) {
      t_s[i] = static_cast<double>(static_cast<std::int64_t>(i) * s.interval.ns()) * 1e-9;
    }
    column(g, "t_s", t_s, "s");
    column(g, "mean", s.mean, s.unit.c_str());
    column(g, "max", s.max, s.unit.c_str());
  }
}

void write_faults(const H5::Group& root, const models::RunResults& r) {
  H5::Group g = create_group(root, "faults");
  std::vector<std::string> type;
  std::vector<std::string> target;
  std::vector<double> start_s;
  std::vector<double> end_s;
  std::vector<std::string> detail;
  for (const models::FaultRecord& f : r.faults) {
    type.push_back(f.type);
    target.push_back(f.target);
    start_s.push_back(f.start_s);
    end_s.push_back(f.end_s >= 0 ? f.end_s : kNaN);
    detail.push_back(f.detail);
  }
  attr(g, "rows", static_cast<std::uint64_t>(r.faults.size()));
  column(g, "type", type);
  column(g, "target", target);
  column(g, "start_s", start_s, "s");
  column(g, "end_s", end_s, "s");
  column(g, "detail", detail);
}

void write_divergence(const H5::Group& root, const models::RunResults& r) {
  H5::Group g = create_group(root, "divergence");
  std::vector<std::string> data_class;
  std::vector<std::uint64_t> key;
  std::vector<std::string> dc;
  std::vector<bool> present;
  std::vector<std::uint32_t> origin;
  std::vector<std::uint64_t> seq;
  std::vector<std::int64_t> hlc;
  std::vector<std::uint64_t> value;
  for (const models::DivergentKey& k : r.divergence) {
    for (const models::DivergentKey::Copy& c : k.copies) {
      data_class.push_back(k.data_class);
      key.push_back(k.key);
      dc.push_back(c.dc);
      present.push_back(c.present);
      origin.push_back(c.origin);
      seq.push_back(c.seq);
      hlc.push_back(c.hlc);
      value.push_back(c.value);
    }
  }
  attr(g, "keys", static_cast<std::uint64_t>(r.divergence.size()));
  attr(g, "rows", static_cast<std::uint64_t>(key.size()));
  column(g, "data_class", data_class);
  column(g, "key", key);
  column(g, "dc", dc);
  column(g, "present", present);
  column(g, "origin", origin);
  column(g, "seq", seq);
  attr(column(g, "hlc", hlc), "unit", "ns");
  column(g, "value", value);
}

// The file is built in memory (HDF5's core driver, no backing store) and its image written by
// write_bytes(): HDF5 then never meets an I/O error itself. It did, on a full disk or past a
// file-size limit, leave a file it could not close open in the library, whose clean-up at exit
// crashed the process after the error had been reported.
void write_file(const std::string& tmp, const models::RunResults& r, const RunMeta& meta) {
  H5::FileCreatPropList fcpl;
  set_group_properties(fcpl.getId());  // the root group's creation properties
  H5::FileAccPropList fapl;
  // Closing the file fails while an object is still open, instead of leaving it open unflushed.
  fapl.setFcloseDegree(H5F_CLOSE_SEMI);
  fapl.setCore(std::size_t{1} << 20, false);  // grown 1 MiB at a time; nothing on disk
  H5::H5File file(tmp, H5F_ACC_TRUNC, fcpl, fapl);
  {
    const H5::Group root = file.openGroup("/");
    write_meta(root, r, meta);
    write_summary(root, r, meta);
    write_lag(root, r);
    write_latency(root, r);
    write_timeseries(root, r);
    write_faults(root, r);
    write_divergence(root, r);
  }
  file.flush(H5F_SCOPE_GLOBAL);
  const ssize_t size = H5Fget_file_image(file.getId(), nullptr, 0);
  if (size < 0) throw std::runtime_error("HDF5 could not give the file's image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file.getId(), image.data(), image.size()) != size) {
    throw std::runtime_error("HDF5 could not give the file's image");
  }
  file.close();
  write_bytes(tmp, std::string_view(image.data(), image.size()));
}

}  // namespace

std::string hdf5_component(std::string_view name) {
  if (name.empty()) return "%";
  if (name == ".") return "%2E";
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

void write_results_hdf5(const std::string& path, const models::RunResults& results,
                        const RunMeta& meta) {
  if (meta.seed != results.seed) {
    throw InvalidArgument("write_results_hdf5: RunMeta seed " + std::to_string(meta.seed) +
                          " differs from the results' seed " + std::to_string(results.seed));
  }
  // The C++ API reports every failure as an exception; HDF5's stderr dump would only repeat it.
  H5::Exception::dontPrint();
  write_file_atomically(path, [&](const std::string& tmp) {
    try {
      write_file(tmp, results, meta);
    } catch (const H5::Exception& e) {
      // H5::Exception is not a std::exception; turn it into one that names what failed.
      throw std::runtime_error("HDF5 error in " + e.getFuncName() + ": " + e.getDetailMsg());
    }
  });
}

}  // namespace geodes::app
