// One registration function per area of the C++ API; module.cpp calls them in order.
#pragma once

#include <pybind11/pybind11.h>

namespace geodes::python {

void register_errors(pybind11::module_& m);
void register_sim(pybind11::module_& m);
void register_models(pybind11::module_& m);
void register_run(pybind11::module_& m);

}  // namespace geodes::python
