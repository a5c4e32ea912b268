// Bindings for the engine library: durations and units, distributions, histograms.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "geodes/sim/distribution.hpp"
#include "geodes/sim/histogram.hpp"
#include "geodes/sim/rng.hpp"
#include "geodes/sim/time.hpp"
#include "geodes/sim/units.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace geodes::python {

namespace {

sim::Unit unit_from_name(const std::string& name) {
  if (name == "none") return sim::Unit::kNone;
  if (name == "time") return sim::Unit::kTime;
  if (name == "bytes") return sim::Unit::kBytes;
  if (name == "bandwidth") return sim::Unit::kBandwidth;
  if (name == "rate") return sim::Unit::kRate;
  throw InvalidArgument("unknown unit kind '" + name +
                        "'; expected one of none, time, bytes, bandwidth, rate");
}

}  // namespace

void register_sim(py::module_& m) {
  m.def(
      "format_duration", [](std::int64_t ns) { return sim::format(sim::Duration(ns)); },
      py::arg("ns"), "Formats a duration in nanoseconds for humans, e.g. 30000000 -> '30ms'.");
  m.def(
      "parse_quantity",
      [](const std::string& text, const std::string& unit) {
        return sim::parse_quantity(text, unit_from_name(unit));
      },
      py::arg("text"), py::arg("unit") = "none",
      "Parses a quantity such as '30ms' (unit='time', returns ns), '5k/s' (unit='rate'), "
      "'1Gbps' (unit='bandwidth', bytes/s) or '4KiB' (unit='bytes').");

  py::class_<sim::Distribution>(
      m, "Distribution", "A probability distribution, e.g. Distribution('exp(1ms)', 'time').")
      .def(py::init([](const std::string& text, const std::string& unit) {
             return sim::Distribution::parse(text, unit_from_name(unit));
           }),
           py::arg("text"), py::arg("unit") = "time")
      .def("mean", &sim::Distribution::mean)
      .def("variance", &sim::Distribution::variance)
      .def("quantile", &sim::Distribution::quantile, py::arg("p"))
      .def(
          "sample",
          [](const sim::Distribution& d, std::size_t n, std::uint64_t seed,
             const std::string& stream) {
            sim::Rng rng(seed, stream);
            py::array_t<double> out(static_cast<py::ssize_t>(n));
            auto view = out.mutable_unchecked<1>();
            for (std::size_t i = 0; i < n; ++i) view(static_cast<py::ssize_t>(i)) = d.sample(rng);
            return out;
          },
          py::arg("n"), py::arg("seed") = 1, py::arg("stream") = "python",
          "n draws from the stream (seed, stream) as a numpy array; deterministic.")
      .def("__repr__", [](const sim::Distribution& d) {
        return "Distribution('" + d.to_string(sim::Unit::kNone) + "')";
      });

  py::class_<sim::Histogram>(m, "Histogram", "A log-bucketed histogram (quantiles within 1%).")
      .def(py::init<>())
      .def("record", &sim::Histogram::record, py::arg("value"))
      .def_property_readonly("count", &sim::Histogram::count)
      .def_property_readonly("mean", &sim::Histogram::mean)
      .def_property_readonly("min", &sim::Histogram::min)
      .def_property_readonly("max", &sim::Histogram::max)
      .def("quantile", &sim::Histogram::quantile, py::arg("p"))
      .def(
          "buckets",
          [](const sim::Histogram& h) {
            const auto buckets = h.buckets();
            py::array_t<std::int64_t> lower(static_cast<py::ssize_t>(buckets.size()));
            py::array_t<std::int64_t> upper(static_cast<py::ssize_t>(buckets.size()));
            py::array_t<std::uint64_t> count(static_cast<py::ssize_t>(buckets.size()));
            auto l = lower.mutable_unchecked<1>();
            auto u = upper.mutable_unchecked<1>();
            auto c = count.mutable_unchecked<1>();
            for (std::size_t i = 0; i < buckets.size(); ++i) {
              const auto k = static_cast<py::ssize_t>(i);
              l(k) = buckets[i].lower;
              u(k) = buckets[i].upper;
              c(k) = buckets[i].count;
            }
            return py::make_tuple(lower, upper, count);
          },
          "The non-empty buckets as numpy arrays (lower, upper, count); values inclusive.");
}

}  // namespace geodes::python
