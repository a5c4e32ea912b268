#include <iostream>
#include <string>
#include <vector>

#include "geodes/app/cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return geodes::app::run_cli(args, std::cout, std::cerr);
}
