// Maps C++ exceptions to the Python package's exceptions (defined in geodes/errors.py):
// geodes::InvalidArgument (bad input) -> geodes.ScenarioError, any other geodes::Error ->
// geodes.GeodesError, geodes::OutOfMemory and std::bad_alloc -> geodes.SimulationError (also a
// MemoryError). Nothing ever aborts the interpreter.
#include <pybind11/pybind11.h>

#include <new>

#include "geodes/sim/error.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace geodes::python {

namespace {

// Errors are rare, so the class is looked up each time rather than cached in a static (which would
// outlive the interpreter).
void raise(const char* name, const char* what) {
  const py::object cls = py::module_::import("geodes.errors").attr(name);
  PyErr_SetString(cls.ptr(), what);
}

}  // namespace

void register_errors(py::module_& /*m*/) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const geodes::InvalidArgument& e) {
      raise("ScenarioError", e.what());
    } catch (const geodes::OutOfMemory& e) {
      raise("SimulationError", e.what());
    } catch (const std::bad_alloc&) {
      // Never "std::bad_alloc": say what ran out.
      raise("SimulationError", "out of memory in the simulator");
    } catch (const geodes::Error& e) {
      raise("GeodesError", e.what());
    }
  });
}

}  // namespace geodes::python
