// Ctrl-C during a run: the first SIGINT asks the run to stop cleanly (so partial results are still
// written, marked incomplete); a second one kills the process as usual, so the user is never stuck.
//
// The handler only stores to a lock-free atomic flag, which is async-signal-safe. The run polls
// the flag from the engine's progress hook and calls Engine::stop() (see progress_bar.hpp).
//
// Scope: process-wide (signal dispositions are). Create one InterruptGuard per command, on the
// main thread; nested guards restore each other's handlers in reverse order.
#pragma once

#include <signal.h>

namespace geodes::app {

/// While alive, SIGINT sets the interrupt flag instead of terminating the process. The handler is
/// installed with SA_RESETHAND, so the signal's default action is back after the first SIGINT.
class InterruptGuard {
 public:
  /// Clears the flag and installs the handler. Throws geodes::Error if sigaction fails.
  InterruptGuard();
  /// Restores the handler that was in place before construction.
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// True iff SIGINT arrived since the latest guard was created.
  [[nodiscard]] static bool requested();

 private:
  struct sigaction previous_ {};
};

}  // namespace geodes::app
