// SplitMix64's finaliser (Steele, Lea and Flood, 2014): a bijection on 64-bit values whose output
// bits all depend on every input bit. Spreads consecutive keys over workers, partitions and DCs,
// and seeds the RNG streams. Part of the determinism contract: changing it changes every run.
#pragma once

#include <cstdint>

namespace geodes::sim {

constexpr std::uint64_t mix64(std::uint64_t k) {
  k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ULL;
  k = (k ^ (k >> 27)) * 0x94d049bb133111ebULL;
  return k ^ (k >> 31);
}

}  // namespace geodes::sim
