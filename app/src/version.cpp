#include "geodes/app/version.hpp"

namespace geodes::app {

const char* version() { return GEODES_VERSION; }

}  // namespace geodes::app
