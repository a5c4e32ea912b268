// The _core module: only creates the areas; each area registers itself in register_<area>.cpp.
#include <pybind11/pybind11.h>

#include "register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "geodes C++ core (use the geodes package, not this module, directly)";
  m.attr("__version__") = GEODES_VERSION;
  geodes::python::register_errors(m);
  geodes::python::register_sim(m);
  geodes::python::register_models(m);
  geodes::python::register_run(m);
}
