// Bindings for scenarios and runs: load (validate) a scenario text, run it with the GIL released,
// and read what the run measured. No logic here: loading is app::load_scenario_text, running is
// app::run_scenario, writing is app::summary_json / app::write_results_hdf5, exactly as the CLI.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "geodes/app/git_describe.hpp"
#include "geodes/app/memory_budget.hpp"
#include "geodes/app/results_hdf5.hpp"
#include "geodes/app/run_scenario.hpp"
#include "geodes/app/scenario_check.hpp"
#include "geodes/app/scenario_loader.hpp"
#include "geodes/app/summary_json.hpp"
#include "geodes/models/system/run_results.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace geodes::python {

namespace {

// A finished run and what it was made from (for the results file's /meta).
struct Run {
  models::RunResults results;
  std::string scenario_text;
  std::uint64_t seed = 0;
};

py::array_t<double> array(const std::vector<double>& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

const sim::Histogram& find_lag(const Run& run, const std::string& data_class,
                               const std::optional<std::string>& dc) {
  for (const models::DataClassResult& d : run.results.data) {
    if (d.name != data_class) continue;
    if (!dc) return d.lag_ns;
    for (const models::ReplicaLagResult& r : d.replicas) {
      if (r.dc == *dc) return r.lag_ns;
    }
    throw InvalidArgument("data class '" + data_class + "' has no replica DC '" + *dc + "'");
  }
  throw InvalidArgument("no data class '" + data_class + "' in these results");
}

const sim::Histogram& find_latency(const Run& run, const std::string& business,
                                   const std::optional<std::string>& dc) {
  for (const models::BusinessResult& b : run.results.businesses) {
    if (b.name != business) continue;
    if (!dc) return b.latency_ns;
    for (const models::DcLatencyResult& d : b.by_dc) {
      if (d.dc == *dc) return d.latency_ns;
    }
    throw InvalidArgument("business '" + business + "' has no serving DC '" + *dc + "'");
  }
  throw InvalidArgument("no business '" + business + "' in these results");
}

py::dict scenario_info(const app::LoadedScenario& s) {
  py::dict d;
  d["name"] = s.spec.name;
  d["description"] = s.spec.description;
  d["seed"] = s.spec.seed;
  d["duration_s"] = s.spec.run.duration.seconds();
  d["drain_s"] = s.spec.run.drain.seconds();
  d["text"] = s.text;
  std::vector<std::string> dcs;
  for (std::uint32_t i = 0; i < s.spec.topology.datacenter_count(); ++i) {
    dcs.push_back(s.spec.topology.datacenter(models::DcId{i}).name);
  }
  d["datacenters"] = dcs;
  std::vector<std::string> classes;
  for (const auto& c : s.spec.data) classes.push_back(c.name);
  d["data_classes"] = classes;
  std::vector<std::string> businesses;
  for (const auto& b : s.spec.workload.businesses) businesses.push_back(b.name);
  d["businesses"] = businesses;
  std::vector<std::string> channels;
  for (const auto& c : s.spec.channels) channels.push_back(c.name);
  d["channels"] = channels;
  return d;
}

}  // namespace

void register_run(py::module_& m) {
  m.def(
      "default_scenario_text", [] { return std::string(app::default_scenario_text()); },
      "The built-in default scenario (scenarios/login_two_cities.yaml) as YAML text.");
  m.def(
      "load_scenario",
      [](const std::string& text, const std::string& origin,
         const std::vector<std::string>& overrides) {
        return scenario_info(app::load_scenario_text(text, origin, overrides));
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides") = std::vector<std::string>{},
      "Validates a scenario (YAML or JSON text) with overrides; returns what it holds. Raises "
      "ScenarioError listing every problem.");
  m.def(
      "check_scenario",
      [](const std::string& text, const std::string& origin,
         const std::vector<std::string>& overrides) {
        const app::LoadedScenario loaded = app::load_scenario_text(text, origin, overrides);
        return app::check_json(loaded, app::check_scenario(loaded.spec));
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides") = std::vector<std::string>{},
      "The `geodes check --json` report of a scenario, as JSON text.");
  m.def(
      "run_scenario",
      [](const std::string& text, const std::string& origin,
         const std::vector<std::string>& overrides, std::optional<std::uint64_t> seed,
         const py::object& progress) {
        const app::LoadedScenario loaded = app::load_scenario_text(text, origin, overrides);
        // Resources are input too: refused (ScenarioError) when it cannot fit.
        app::refuse_if_too_large(loaded, app::machine_memory_budget());
        Run run;
        run.seed = seed.value_or(loaded.spec.seed);
        run.scenario_text = loaded.text;
        {
          py::gil_scoped_release release;
          run.results = app::run_scenario(
              loaded.spec, run.seed, [&progress](const sim::Progress& p, sim::Time end) {
                py::gil_scoped_acquire acquire;
                // Ctrl-C in the interpreter (only seen on the main thread): stop the run here.
                if (PyErr_CheckSignals() != 0) return false;
                if (progress.is_none()) return true;
                try {
                  const py::object go = progress(p.now.seconds(), end.seconds(), p.events_executed);
                  return go.is_none() || go.cast<bool>();
                } catch (py::error_already_set& e) {
                  e.restore();  // re-raised once the engine has returned
                  return false;
                }
              });
        }
        // A KeyboardInterrupt stopped the run: the partial results are returned (complete is
        // false) and geodes.run raises geodes.Interrupted carrying them. Anything else raised by a
        // signal handler or by the callback propagates as it is.
        if (PyErr_Occurred() != nullptr) {
          if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt) == 0) throw py::error_already_set();
          PyErr_Clear();
        }
        return run;
      },
      py::arg("text"), py::arg("origin"), py::arg("overrides") = std::vector<std::string>{},
      py::arg("seed") = std::nullopt, py::arg("progress") = py::none(),
      "Loads and runs a scenario with the GIL released; returns its RunResults. `progress`, if "
      "given, is called every few thousand events as progress(sim_s, end_s, events) with the GIL "
      "held; returning False stops the run (its results are then incomplete).");

  py::class_<Run>(m, "RunResults", "What one run measured (see geodes.Results).")
      .def_property_readonly("seed", [](const Run& r) { return r.seed; })
      .def_property_readonly("scenario_text", [](const Run& r) { return r.scenario_text; })
      .def_property_readonly("complete", [](const Run& r) { return r.results.complete; })
      .def_property_readonly("stopped_by", [](const Run& r) { return r.results.stopped_by; })
      .def_property_readonly("fingerprint", [](const Run& r) { return r.results.fingerprint; })
      .def_property_readonly("events", [](const Run& r) { return r.results.events; })
      .def_property_readonly("sim_time_s", [](const Run& r) { return r.results.sim_time_s; })
      .def_property_readonly("wall_s", [](const Run& r) { return r.results.wall_s; })
      .def(
          "summary_json",
          [](const Run& r, bool include_wall_time) {
            app::SummaryOptions o;
            o.include_wall_time = include_wall_time;
            return app::summary_json(r.results, o);
          },
          py::arg("include_wall_time") = true)
      .def(
          "lag_histogram",
          [](const Run& r, const std::string& data_class, const std::optional<std::string>& dc) {
            return find_lag(r, data_class, dc);
          },
          py::arg("data_class"), py::arg("dc") = std::nullopt,
          "The lag histogram (ns) of a data class, merged over replicas or at one replica DC.")
      .def(
          "latency_histogram",
          [](const Run& r, const std::string& business, const std::optional<std::string>& dc) {
            return find_latency(r, business, dc);
          },
          py::arg("business"), py::arg("dc") = std::nullopt,
          "The op latency histogram (ns) of a business, over every serving DC or at one DC.")
      .def(
          "channel_lag_histogram",
          [](const Run& r, const std::string& name) {
            for (const auto& c : r.results.channels) {
              if (c.name == name) return c.lag_ns;
            }
            throw InvalidArgument("no channel '" + name + "' in these results");
          },
          py::arg("name"))
      .def("series_names",
           [](const Run& r) {
             std::vector<std::string> names;
             for (const auto& s : r.results.series) names.push_back(s.name);
             return names;
           })
      .def(
          "series",
          [](const Run& r, const std::string& name) {
            for (const auto& s : r.results.series) {
              if (s.name != name) continue;
              return py::make_tuple(s.unit, s.interval.seconds(), array(s.mean), array(s.max));
            }
            throw InvalidArgument("no series '" + name + "' in these results");
          },
          py::arg("name"), "(unit, interval_s, mean, max) of a time series.")
      .def("faults",
           [](const Run& r) {
             py::list out;
             for (const auto& f : r.results.faults) {
               py::dict d;
               d["type"] = f.type;
               d["target"] = f.target;
               d["start_s"] = f.start_s;
               d["end_s"] = f.end_s;
               d["detail"] = f.detail;
               out.append(d);
             }
             return out;
           })
      .def("divergence",
           [](const Run& r) {
             py::list out;
             for (const auto& k : r.results.divergence) {
               for (const auto& c : k.copies) {
                 py::dict d;
                 d["data_class"] = k.data_class;
                 d["key"] = k.key;
                 d["dc"] = c.dc;
                 d["present"] = c.present;
                 d["origin"] = c.origin;
                 d["seq"] = c.seq;
                 d["hlc"] = c.hlc;
                 d["value"] = c.value;
                 out.append(d);
               }
             }
             return out;
           })
      .def(
          "write_hdf5",
          [](const Run& r, const std::string& path, const std::string& command_line,
             bool record_wall_time) {
            app::RunMeta meta;
            meta.git_describe = app::git_describe();
            meta.seed = r.seed;
            meta.scenario_yaml = r.scenario_text;
            meta.command_line = command_line;
            meta.record_wall_time = record_wall_time;
            app::write_results_hdf5(path, r.results, meta);
          },
          py::arg("path"), py::arg("command_line") = "", py::arg("record_wall_time") = true,
          "Writes the HDF5 results file (docs/results.md) atomically.");
}

}  // namespace geodes::python
