// A small, allocation-free callable for events.
//
// Why not std::function: it may allocate, and the engine promises no per-event heap allocation.
// A Callback stores any trivially copyable callable of up to `kCapacity` bytes inline (a lambda
// that captures `this` and a few integers or pointers). Larger or non-trivial captures are a
// compile error, not a silent allocation: keep the state in the model and capture a pointer to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace geodes::sim {

class Callback {
 public:
  static constexpr std::size_t kCapacity = 24;

  Callback() = default;

  template <typename F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> && std::is_invocable_r_v<void, F&>)
      Callback(F f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly by design.
    emplace(std::move(f));
  }

  /// Replaces the held callable with `f`, constructed in place. Why: building a Callback and then
  /// copying it stalls the copy, whose 16-byte loads cannot be forwarded from the narrower stores
  /// that just wrote the captures (Engine::schedule_at's copy was a quarter of the time of the
  /// functions that schedule). Bytes of the storage past sizeof(F) keep what they held.
  template <typename F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> &&
           std::is_invocable_r_v<void, F&>) void emplace(F f) {
    static_assert(sizeof(F) <= kCapacity,
                  "event callback captures too much: capture a pointer to model state instead");
    static_assert(alignof(F) <= alignof(std::uint64_t), "over-aligned event callback");
    static_assert(std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F>,
                  "event callbacks must be trivially copyable (capture pointers and numbers)");
    ::new (static_cast<void*>(storage_)) F(std::move(f));
    invoke_ = [](void* storage) { (*std::launder(reinterpret_cast<F*>(storage)))(); };
  }

  /// True iff this holds a callable.
  explicit operator bool() const { return invoke_ != nullptr; }

  /// REQUIRES: *this holds a callable.
  void operator()() { invoke_(storage_); }

 private:
  using Invoke = void (*)(void*);
  Invoke invoke_ = nullptr;
  alignas(std::uint64_t) unsigned char storage_[kCapacity] = {};
};

}  // namespace geodes::sim
