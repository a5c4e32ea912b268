#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "geodes/app/cli.hpp"

int main(int argc, char** argv) {
  // Past a file-size limit (ulimit -f, prlimit --fsize) the kernel would kill the process with
  // SIGXFSZ, silently, leaving the temporary file behind. Ignored, the write fails with EFBIG
  // instead, which the atomic writers turn into a clear error, exit 1, the old file untouched.
  std::signal(SIGXFSZ, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  return geodes::app::run_cli(args, std::cout, std::cerr);
}
