// Bindings for the domain models. Runs release the GIL: they touch no Python object.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "geodes/models/channels/mm1_replication.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace geodes::python {

void register_models(py::module_& m) {
  m.def(
      "run_mm1_replication",
      [](double write_rate, double apply_rate, std::int64_t link_latency_ns, std::uint64_t writes,
         std::uint64_t warmup_writes, std::uint64_t seed) {
        models::Mm1ReplicationParams p;
        p.write_rate_per_s = write_rate;
        p.apply_rate_per_s = apply_rate;
        p.link_latency = sim::Duration(link_latency_ns);
        p.writes = writes;
        p.warmup_writes = warmup_writes;
        p.seed = seed;
        models::Mm1ReplicationResult r;
        {
          py::gil_scoped_release release;
          r = models::run_mm1_replication(p);
        }
        return r.lag_ns;  // a Histogram; the Python side adds theory
      },
      py::arg("write_rate"), py::arg("apply_rate"), py::arg("link_latency_ns"), py::arg("writes"),
      py::arg("warmup_writes"), py::arg("seed"),
      "Runs the M/M/1 replication channel and returns its lag histogram (ns).");
}

}  // namespace geodes::python
