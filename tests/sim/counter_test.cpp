#include "geodes/sim/counter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace geodes::sim {
namespace {

TEST(Counter, StartsAtZeroAndAddsOneByDefault) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.add();
  c.add();
  EXPECT_EQ(c.value(), 2u);
}

TEST(Counter, AddsArbitraryAmounts) {
  Counter c;
  c.add(5);
  c.add(0);
  c.add(1'000'000'000'000);
  EXPECT_EQ(c.value(), 1'000'000'000'005u);
  Counter d;
  d.add(1'000'000'000'005);
  EXPECT_EQ(c, d);
}

TEST(Counter, WrapsModuloTwoToTheSixtyFourLikeAnyUnsignedInteger) {
  Counter c;
  c.add(std::numeric_limits<std::uint64_t>::max());
  c.add(2);
  EXPECT_EQ(c.value(), 1u);
}

}  // namespace
}  // namespace geodes::sim
