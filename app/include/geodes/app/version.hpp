// The geodes version, from CMake's project(VERSION).
#pragma once

namespace geodes::app {

/// "MAJOR.MINOR.PATCH".
const char* version();

}  // namespace geodes::app
