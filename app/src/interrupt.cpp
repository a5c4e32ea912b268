#include "geodes/app/interrupt.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "geodes/sim/error.hpp"

namespace geodes::app {

namespace {

// Only a lock-free atomic may be touched from a signal handler.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_interrupt(int /*signal*/) { g_interrupted.store(true, std::memory_order_relaxed); }

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false, std::memory_order_relaxed);
  struct sigaction action {};
  action.sa_handler = &on_interrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: a second Ctrl-C gets the default action (terminate). SA_RESTART: system calls
  // interrupted by the first one (a write of the progress bar) resume instead of failing.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  if (::sigaction(SIGINT, &action, &previous_) != 0) {
    const int err = errno;
    throw Error(std::string("cannot install the SIGINT handler: ") + std::strerror(err));
  }
}

InterruptGuard::~InterruptGuard() { ::sigaction(SIGINT, &previous_, nullptr); }

bool InterruptGuard::requested() { return g_interrupted.load(std::memory_order_relaxed); }

}  // namespace geodes::app
