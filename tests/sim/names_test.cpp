#include "geodes/sim/names.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace geodes::sim {
namespace {

enum class Fruit { kApple, kBanana, kCherry };
const char* to_string(Fruit f) {
  switch (f) {
    case Fruit::kApple:
      return "apple";
    case Fruit::kBanana:
      return "banana";
    case Fruit::kCherry:
      return "cherry";
  }
  return "?";
}

TEST(Names, EditDistanceCountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("latency", "latnecy"), 2u);
}

TEST(Names, ATypoGetsTheClosestNameAndNonsenseGetsNone) {
  const std::vector<std::string_view> keys = {"latency", "bandwidth", "loss"};
  EXPECT_EQ(closest_name("latncy", keys), "latency");
  EXPECT_EQ(closest_name("Bandwith", keys), "bandwidth");
  EXPECT_EQ(closest_name("band", keys), "bandwidth");  // a prefix of 3+ letters
  EXPECT_EQ(closest_name("colour", keys), "");
  EXPECT_EQ(did_you_mean("los", keys), " (did you mean 'loss'?)");
  EXPECT_EQ(did_you_mean("zzz", keys), "");
}

TEST(Names, ParseNameFindsTheEnumeratorOrListsWhatIsAllowed) {
  static constexpr Fruit kAll[] = {Fruit::kApple, Fruit::kBanana, Fruit::kCherry};
  EXPECT_EQ(parse_name("cherry", kAll, "fruit"), Fruit::kCherry);
  try {
    (void)parse_name("banan", kAll, "fruit");
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "fruit 'banan' is unknown; allowed: apple, banana, cherry (did you mean 'banana'?)");
  }
}

}  // namespace
}  // namespace geodes::sim
