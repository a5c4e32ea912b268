#include "geodes/app/progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <utility>

#include "geodes/app/text_format.hpp"

namespace geodes::app {

bool is_terminal(std::FILE* stream) { return stream != nullptr && ::isatty(::fileno(stream)) == 1; }

double ProgressBar::steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ProgressBar::ProgressBar(std::ostream& out, sim::Time end, bool enabled, Clock clock)
    : out_(out),
      end_(end),
      enabled_(enabled),
      clock_(std::move(clock)),
      start_s_(enabled_ ? clock_() : 0),
      last_draw_s_(start_s_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(const sim::Progress& progress) {
  if (!enabled_) return;
  const double now = clock_();
  if (now - last_draw_s_ < kMinRedrawSeconds) return;
  last_draw_s_ = now;
  const std::string text = format_line(progress, end_, now - start_s_);
  const std::size_t width = display_width(text);
  // Blanks erase what is left of a longer previous line; no terminal escape codes needed.
  out_ << '\r' << text << std::string(drawn_width_ > width ? drawn_width_ - width : 0, ' ')
       << std::flush;
  drawn_width_ = std::max(drawn_width_, width);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  enabled_ = false;
  if (drawn_width_ > 0) out_ << '\r' << std::string(drawn_width_, ' ') << '\r' << std::flush;
  drawn_width_ = 0;
}

std::string ProgressBar::format_line(const sim::Progress& progress, sim::Time end,
                                     double elapsed_s) {
  const double now_ns = static_cast<double>(progress.now.ns());
  const bool known_end = end > sim::Time::zero() && end < sim::Time::max();
  std::string text;
  if (known_end) {
    const double fraction = std::clamp(now_ns / static_cast<double>(end.ns()), 0.0, 1.0);
    const int filled = static_cast<int>(std::floor(fraction * kBarWidth));
    char percent[16];
    std::snprintf(percent, sizeof percent, "%5.1f%%", 100.0 * fraction);
    text = "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "] " + percent +
           "  sim " + format_short_duration(now_ns) + " of " +
           format_short_duration(static_cast<double>(end.ns()));
  } else {
    text = "sim " + format_short_duration(now_ns) + "  " + format_count(progress.events_executed) +
           " events";
  }
  if (elapsed_s > 0) {
    const double rate = static_cast<double>(progress.events_executed) / elapsed_s;
    text += "  " + format_count(static_cast<std::uint64_t>(std::llround(std::min(rate, 1e18)))) +
            " ev/s";
  }
  if (known_end) {
    std::string eta = "?";
    if (elapsed_s > 0 && now_ns > 0) {
      const double remaining_ns = std::max(0.0, static_cast<double>(end.ns()) - now_ns);
      eta = format_short_duration(elapsed_s * remaining_ns / now_ns * 1e9);
    }
    text += "  ETA " + eta;
  }
  return fit(text, 79);
}

}  // namespace geodes::app
