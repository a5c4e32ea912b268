// The discrete-event engine: a clock, a pending-event set, and nothing global.
//
// Determinism rules, enforced here:
//   * time is integer nanoseconds (time.hpp);
//   * events at equal times run in insertion order (event_queue.hpp);
//   * the engine owns no randomness and reads no wall clock; models draw from their own named
//     streams (rng.hpp), so a run is a pure function of (scenario, seed).
// A run fingerprint hashes the trajectory (each executed event's time and sequence number, plus
// whatever models feed in with `mix_fingerprint`): two runs with equal fingerprints took the same
// path, and any change of behaviour changes it.
//
// Performance: scheduling does not allocate once the queue and slot pool have grown to the run's
// peak number of pending events; callbacks are stored inline (callback.hpp).
//
// Thread safety: none; an Engine belongs to one thread. Several engines may live side by side.
#pragma once

#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "geodes/sim/callback.hpp"
#include "geodes/sim/event_queue.hpp"
#include "geodes/sim/time.hpp"

namespace geodes::sim {

/// Identifies a scheduled event for cancellation. Default-constructed handles refer to nothing.
class EventHandle {
 public:
  EventHandle() = default;
  [[nodiscard]] bool valid() const { return generation_ != 0; }

 private:
  friend class Engine;
  EventHandle(std::uint32_t slot, std::uint32_t generation)
      : slot_(slot), generation_(generation) {}
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
};

/// What a progress hook is told.
struct Progress {
  Time now;
  std::uint64_t events_executed = 0;
  std::size_t pending = 0;
};

/// Why a call to run()/run_until() returned.
enum class RunOutcome {
  kEmpty,    ///< no pending events remain
  kReached,  ///< the requested end time was reached; later events stay pending
  kStopped,  ///< stop() was called
};

class Engine {
 public:
  Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// The current simulated time: the time of the event being executed, or where the last run
  /// stopped.
  [[nodiscard]] Time now() const { return now_; }

  /// Schedules `cb` at absolute time `t`. REQUIRES: t >= now(); throws InvalidArgument otherwise.
  EventHandle schedule_at(Time t, Callback cb) {
    if (t < now_ || !cb) throw_bad_schedule(t, cb);
    const std::uint32_t slot = acquire_slot();
    slots_[slot].callback = cb;
    return enqueue(t, slot);
  }
  /// Schedules the callable `f` (a lambda: what Callback accepts) at absolute time `t`, building
  /// its Callback in the event's slot (see Callback::emplace for why). REQUIRES: t >= now().
  template <typename F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> &&
           std::is_invocable_r_v<void, F&>) EventHandle schedule_at(Time t, F f) {
    if (t < now_) throw_bad_schedule(t, Callback(f));
    const std::uint32_t slot = acquire_slot();
    slots_[slot].callback.emplace(std::move(f));
    return enqueue(t, slot);
  }
  /// Schedules `cb` after `d`. REQUIRES: d >= 0; throws InvalidArgument otherwise.
  EventHandle schedule_in(Duration d, Callback cb) { return schedule_at(now_ + d, cb); }
  template <typename F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> &&
           std::is_invocable_r_v<void, F&>) EventHandle schedule_in(Duration d, F f) {
    return schedule_at(now_ + d, std::move(f));
  }

  /// Cancels a pending event. Returns true iff it was pending (it will now never run); false if it
  /// already ran, was already cancelled, or the handle is empty.
  bool cancel(EventHandle h);
  /// True iff the event is scheduled and has neither run nor been cancelled.
  [[nodiscard]] bool is_pending(EventHandle h) const;

  /// Runs until no events remain or stop() is called. Not re-entrant: calling a run function from
  /// inside an event throws InvalidArgument.
  RunOutcome run() { return run_until(Time::max()); }
  /// Runs every event with time <= `end`, then sets the clock to `end` (unless stopped or `end`
  /// is Time::max()). Events after `end` stay pending, so a run can be continued.
  RunOutcome run_until(Time end);
  /// Makes the current run() return after the event being executed. Safe to call from callbacks
  /// and progress hooks.
  void stop() { stop_requested_ = true; }

  /// Events executed so far (cancelled ones do not count).
  [[nodiscard]] std::uint64_t events_executed() const { return executed_; }
  /// Events scheduled and neither executed nor cancelled.
  [[nodiscard]] std::size_t pending() const { return live_; }

  /// Hash of the trajectory so far (see the file comment).
  [[nodiscard]] std::uint64_t fingerprint() const { return fingerprint_; }
  /// Folds a model-level value (a draw, a result) into the fingerprint.
  void mix_fingerprint(std::uint64_t value) { fingerprint_ = mix(fingerprint_, value); }

  /// Tests only: jumps the internal 32-bit sequence counter (see event_queue.hpp) so that its
  /// renumbering can be exercised without scheduling four billion events.
  void set_next_sequence_for_testing(std::uint32_t next) { next_seq_ = next; }

  /// Calls `hook` every `every_events` executed events (and never otherwise). The hook may call
  /// stop(). Pass an empty function to remove it. REQUIRES: every_events > 0.
  void set_progress_hook(std::function<void(const Progress&)> hook,
                         std::uint64_t every_events = 1u << 16);

 private:
  struct Slot {
    Callback callback;
    std::uint32_t generation = 1;  // bumped whenever the slot is released; 0 means "no event"
    bool live = false;
  };

  static std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    // A multiply-xorshift step (from SplitMix64's finaliser): cheap, and every input bit
    // reaches every output bit after a couple of steps.
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 31);
  }

  // The rest of schedule_at once the slot holds its callback.
  EventHandle enqueue(Time t, std::uint32_t slot) {
    Slot& s = slots_[slot];
    s.live = true;
    if (next_seq_ == kLastSequence) next_seq_ = queue_.renumber();
    queue_.push(QueueEntry{t.ns(), next_seq_++, slot});
    ++live_;
    return EventHandle(slot, s.generation);
  }
  std::uint32_t acquire_slot() {
    if (!free_slots_.empty()) {
      const std::uint32_t s = free_slots_.back();
      free_slots_.pop_back();
      return s;
    }
    return grow_slots();
  }
  void release_slot(std::uint32_t slot) {
    Slot& s = slots_[slot];
    s.live = false;
    // Generation 0 is reserved for empty handles.
    if (++s.generation == 0) s.generation = 1;
    free_slots_.push_back(slot);
  }
  std::uint32_t grow_slots();
  [[noreturn]] void throw_bad_schedule(Time t, const Callback& cb) const;

  Time now_;
  static constexpr std::uint32_t kLastSequence = 0xffffffffu;
  std::uint32_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
  std::size_t live_ = 0;
  std::uint64_t fingerprint_ = 0;
  bool stop_requested_ = false;
  bool running_ = false;
  EventQueue queue_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::function<void(const Progress&)> progress_hook_;
  std::uint64_t progress_every_ = 1u << 16;
  std::uint64_t progress_countdown_ = 0;
};

}  // namespace geodes::sim
