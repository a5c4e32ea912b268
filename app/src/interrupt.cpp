#include "geodes/app/interrupt.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::app {

namespace {

// Only lock-free atomics may be touched from a signal handler. 0 = no signal yet.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

// The first SIGINT or SIGTERM is recorded and the run stops at its next progress call; a second
// one (of either kind) gets the default action at once: signal() and raise() are
// async-signal-safe, and the process dies of the signal, as the one who sent it expects.
void on_signal(int signal) {
  int none = 0;
  if (!g_signal.compare_exchange_strong(none, signal, std::memory_order_relaxed)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

void install(int signal, struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: system calls interrupted by the first signal (a write of the progress bar)
  // resume instead of failing.
  action.sa_flags = SA_RESTART;
  if (::sigaction(signal, &action, previous) != 0) {
    const int err = errno;
    throw Error("cannot install the " + std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") +
                " handler: " + std::strerror(err));
  }
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal.store(0, std::memory_order_relaxed);
  install(SIGINT, &previous_int_);
  try {
    install(SIGTERM, &previous_term_);
  } catch (...) {
    ::sigaction(SIGINT, &previous_int_, nullptr);
    throw;
  }
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGTERM, &previous_term_, nullptr);
  ::sigaction(SIGINT, &previous_int_, nullptr);
}

bool InterruptGuard::requested() { return g_signal.load(std::memory_order_relaxed) != 0; }

std::string InterruptGuard::reason() {
  switch (g_signal.load(std::memory_order_relaxed)) {
    case 0:
      return "";
    case SIGTERM:
      return "interrupted (SIGTERM)";
    default:
      return "interrupted (SIGINT, Ctrl-C)";
  }
}

}  // namespace geodes::app
