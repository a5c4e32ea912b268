// The root of every exception geodes throws. Library code never aborts the process (a notebook's
// kernel must survive bad input); it throws a subclass of `geodes::Error` instead, which the Python
// bindings map to Python exceptions.
#pragma once

#include <stdexcept>
#include <string>

namespace geodes {

/// Base of all geodes exceptions.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// A value or argument outside what an API allows (a programming or input error).
class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& what) : Error(what) {}
};

/// Memory ran out (std::bad_alloc) while doing what what() says: "out of memory while building
/// the system (preloading the users' rows)". Raised instead of std::bad_alloc, whose message
/// says nothing to a user; the CLI maps it to exit 1, Python to geodes.SimulationError.
class OutOfMemory : public Error {
 public:
  explicit OutOfMemory(const std::string& what) : Error(what) {}
};

}  // namespace geodes
