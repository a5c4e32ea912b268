#include "geodes/models/data/huge_pages.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace geodes::models {
namespace {

struct Free {
  void operator()(void* p) const { std::free(p); }
};

TEST(HugePages, AdviceKeepsAZeroedBlockZeroAndWritable) {
  // Zeroed by calloc and not yet touched, as the key tables' arrays are; an odd size and an
  // unaligned start, so the advice covers only an aligned part.
  const std::size_t bytes = kHugePageMinBytes * 2 + 12'345;
  std::unique_ptr<unsigned char, Free> block(static_cast<unsigned char*>(std::calloc(bytes, 1)));
  ASSERT_NE(block, nullptr);
  unsigned char* p = block.get() + 1;
  advise_huge_pages(p, bytes - 1);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < bytes; i += 4096) sum += block.get()[i];
  EXPECT_EQ(sum, 0U);
  for (std::size_t i = 0; i < bytes; i += 4096) block.get()[i] = static_cast<unsigned char>(i);
  for (std::size_t i = 0; i < bytes; i += 4096) {
    ASSERT_EQ(block.get()[i], static_cast<unsigned char>(i)) << i;
  }
}

TEST(HugePages, AdviceKeepsTheContentsOfAFilledVector) {
  std::vector<std::uint64_t> v(kHugePageMinBytes / sizeof(std::uint64_t) + 3);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i * 2654435761U;
  advise_huge_pages(v.data(), v.size() * sizeof(std::uint64_t));
  advise_huge_pages(nullptr, kHugePageMinBytes);  // nothing to advise
  advise_huge_pages(v.data(), 100);               // too small: ignored
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], i * 2654435761U) << i;
}

}  // namespace
}  // namespace geodes::models
