// Ctrl-C (SIGINT) or SIGTERM (what `timeout`, `kill`, batch schedulers and Dask's nanny send)
// during a run: the first one asks the run to stop cleanly, so that what was measured is still
// written, marked incomplete (exit 1); a second one, of either kind, ends the process at once, by
// that signal's default action, so the user is never stuck.
//
// The handler only touches a lock-free atomic (and, on the second signal, signal() and raise()),
// which is async-signal-safe. The run polls the flag from the engine's progress hook and calls
// Engine::stop() (see progress_bar.hpp).
//
// Scope: process-wide (signal dispositions are). Create one InterruptGuard per command, on the
// main thread; nested guards restore each other's handlers in reverse order.
#pragma once

#include <signal.h>

#include <csignal>
#include <string>

namespace geodes::app {

/// While alive, the first SIGINT or SIGTERM sets the interrupt flag instead of terminating the
/// process; the next one terminates it.
class InterruptGuard {
 public:
  /// Clears the flag and installs the handlers. Throws geodes::Error if sigaction fails.
  InterruptGuard();
  /// Restores the handlers that were in place before construction.
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// True iff SIGINT or SIGTERM arrived since the latest guard was created.
  [[nodiscard]] static bool requested();
  /// "interrupted (SIGTERM)", "interrupted (SIGINT, Ctrl-C)", or "" when requested() is false.
  [[nodiscard]] static std::string reason();

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace geodes::app
