#include "geodes/sim/rng.hpp"

#include "geodes/sim/mix.hpp"

namespace geodes::sim {

namespace {

// __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit integer.
__extension__ typedef unsigned __int128 Uint128;  // NOLINT(modernize-use-using)

std::uint64_t splitmix64(std::uint64_t& x) { return mix64(x += 0x9e3779b97f4a7c15ULL); }

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::uint64_t Rng::stream_key(std::uint64_t master_seed, std::string_view name) {
  // Mix the seed once through SplitMix64 so seeds 1 and 2 do not give related keys.
  std::uint64_t x = master_seed;
  return splitmix64(x) ^ fnv1a(name);
}

Rng::Rng(std::uint64_t master_seed, std::string_view name) : Rng(stream_key(master_seed, name)) {}

Rng::Rng(std::uint64_t key) : s_{} {
  std::uint64_t x = key;
  for (auto& word : s_) word = splitmix64(x);
}

std::uint64_t Rng::below(std::uint64_t n) {
  // Lemire, "Fast random integer generation in an interval" (2019).
  Uint128 m = static_cast<Uint128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<Uint128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace geodes::sim
