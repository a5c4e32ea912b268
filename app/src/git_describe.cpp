#include "geodes/app/git_describe.hpp"

#ifndef GEODES_GIT_DESCRIBE
#define GEODES_GIT_DESCRIBE ""
#endif

namespace geodes::app {

std::string git_describe() { return GEODES_GIT_DESCRIBE; }

}  // namespace geodes::app
