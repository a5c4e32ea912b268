// A one-line progress display for long runs on a terminal:
//   [######..........]  37.5%  sim 22m30s of 1h00m  1.2M ev/s  ETA 41.2s
// redrawn in place with '\r' and erased when the run ends.
//
// Cost: the engine calls update() every kHookEveryEvents events (Engine::set_progress_hook); each
// call reads the wall clock once and draws at most every kMinRedrawSeconds, and nothing at all
// during the first kMinRedrawSeconds, so short runs print nothing. Disabled bars do nothing.
//
// Typical use by a command (the interrupt check shares the hook):
//   ProgressBar bar(std::cerr, end, !quiet && is_terminal(stderr));
//   engine.set_progress_hook([&](const sim::Progress& p) {
//     if (interrupt.requested()) engine.stop();
//     bar.update(p);
//   }, ProgressBar::kHookEveryEvents);
//   engine.run_until(end);
//   bar.finish();
//
// Thread safety: none; use from the thread that runs the engine.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <string>

#include "geodes/sim/engine.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::app {

/// True iff `stream` is connected to a terminal.
bool is_terminal(std::FILE* stream);

class ProgressBar {
 public:
  /// A monotonic wall clock in seconds (any origin).
  using Clock = std::function<double()>;

  /// Recommended `every_events` for Engine::set_progress_hook: a clock read per 65536 events.
  static constexpr std::uint64_t kHookEveryEvents = 1u << 16;
  /// Minimum wall time between two redraws, and before the first one.
  static constexpr double kMinRedrawSeconds = 0.2;
  /// Width of the bar between its brackets.
  static constexpr int kBarWidth = 16;

  /// The steady clock, in seconds.
  static double steady_seconds();

  /// A bar for a run expected to end at simulated time `end` (Time::max() or <= 0 if unknown:
  /// then there is no bar, percentage or ETA). `enabled` = false makes every call a no-op; pass
  /// `!quiet && is_terminal(stream)`. `clock` is injectable for tests.
  ProgressBar(std::ostream& out, sim::Time end, bool enabled, Clock clock = &steady_seconds);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// Calls finish().
  ~ProgressBar();

  [[nodiscard]] bool enabled() const { return enabled_; }

  /// Redraws the line if enabled and at least kMinRedrawSeconds passed since the last redraw (or
  /// since construction, for the first).
  void update(const sim::Progress& progress);
  /// Erases the line if one was drawn, leaving the cursor at the start of an empty line.
  /// Idempotent; later update() calls draw nothing.
  void finish();

  /// The text of one redraw (without '\r'), at most 79 columns: progress made by `progress` of a
  /// run ending at `end`, `elapsed_s` wall seconds after it started.
  static std::string format_line(const sim::Progress& progress, sim::Time end, double elapsed_s);

 private:
  std::ostream& out_;
  sim::Time end_;
  bool enabled_;
  Clock clock_;
  double start_s_;
  double last_draw_s_;
  std::size_t drawn_width_ = 0;  // columns of the line on screen; 0 when none
};

}  // namespace geodes::app
