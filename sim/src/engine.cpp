#include "geodes/sim/engine.hpp"

#include <string>
#include <utility>

#include "geodes/sim/error.hpp"

namespace geodes::sim {

Engine::Engine() { progress_countdown_ = progress_every_; }

std::uint32_t Engine::grow_slots() {
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void Engine::throw_bad_schedule(Time t, const Callback& cb) const {
  if (!cb) throw InvalidArgument("cannot schedule an empty callback");
  throw InvalidArgument("cannot schedule an event in the past: at " + format(t) + ", now is " +
                        format(now_));
}

bool Engine::cancel(EventHandle h) {
  if (!is_pending(h)) return false;
  // Lazy deletion: the heap entry stays until it reaches the top, where it is skipped. The slot
  // keeps its generation until then, so the handle cannot be confused with a later event.
  Slot& s = slots_[h.slot_];
  s.live = false;
  s.callback = Callback();
  --live_;
  return true;
}

bool Engine::is_pending(EventHandle h) const {
  if (!h.valid() || h.slot_ >= slots_.size()) return false;
  const Slot& s = slots_[h.slot_];
  return s.live && s.generation == h.generation_;
}

RunOutcome Engine::run_until(Time end) {
  if (running_) throw InvalidArgument("Engine::run_until called from inside an event");
  running_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{running_};
  stop_requested_ = false;
  while (!queue_.empty()) {
    const QueueEntry top = queue_.top();
    if (top.time > end.ns()) break;
    queue_.pop();
    Slot& s = slots_[top.slot];
    if (!s.live) {  // cancelled
      release_slot(top.slot);
      continue;
    }
    Callback cb = s.callback;
    release_slot(top.slot);
    --live_;
    now_ = Time(top.time);
    ++executed_;
    fingerprint_ = mix(fingerprint_, static_cast<std::uint64_t>(top.time) ^ (top.seq << 1));
    cb();
    // The next event's slot is usually cold (it was filled long ago); start loading it now so the
    // miss overlaps with the bookkeeping below instead of stalling the next iteration.
    if (!queue_.empty()) __builtin_prefetch(&slots_[queue_.top().slot]);
    if (--progress_countdown_ == 0) {
      progress_countdown_ = progress_every_;
      if (progress_hook_) progress_hook_(Progress{now_, executed_, live_});
    }
    if (stop_requested_) {
      stop_requested_ = false;
      return RunOutcome::kStopped;
    }
  }
  if (end != Time::max() && end > now_) now_ = end;
  return live_ == 0 ? RunOutcome::kEmpty : RunOutcome::kReached;
}

void Engine::set_progress_hook(std::function<void(const Progress&)> hook,
                               std::uint64_t every_events) {
  if (every_events == 0) throw InvalidArgument("progress hook interval must be > 0 events");
  progress_hook_ = std::move(hook);
  progress_every_ = every_events;
  progress_countdown_ = every_events;
}

}  // namespace geodes::sim
