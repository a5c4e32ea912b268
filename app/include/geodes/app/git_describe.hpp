// `git describe --always --dirty` of the source tree when the build was configured, for the
// results file's /meta; empty when the build is not from a git checkout.
#pragma once

#include <string>

namespace geodes::app {

std::string git_describe();

}  // namespace geodes::app
