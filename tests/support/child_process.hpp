// Test code run in a forked child process, so that what it allocates and maps, and the limits it
// sets (setrlimit), are its own and go away with it: memory measurements that nothing the test
// process did before blurs, and address-space limits that make memory run out for real.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace geodes::testing {

struct ChildOutcome {
  int code = -1;       ///< the child's exit code, or 128 + the signal that ended it
  std::string output;  ///< the text its body gave back
};

/// Runs `body(output)` in a forked child and returns its exit code (what `body` returns; 125 if
/// it threw) and the text it put in `output`, which comes back through a pipe.
template <class Body>
ChildOutcome run_in_child(Body&& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    std::string output;
    int code = 125;
    try {
      code = body(output);
    } catch (...) {
      output = "the child's body threw";
    }
    std::size_t sent = 0;
    while (sent < output.size()) {
      const ssize_t n = ::write(fds[1], output.data() + sent, output.size() - sent);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::_exit(sent == output.size() ? code : 124);
  }
  ::close(fds[1]);
  ChildOutcome r;
  char buf[4096];
  for (ssize_t n = 0; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

/// A size line of /proc/self/status in bytes ("VmSize", "VmPeak", "VmRSS", "VmHWM"); 0 if absent.
inline double proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

}  // namespace geodes::testing
