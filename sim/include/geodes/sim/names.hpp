// Looking names up the way a user wants: exact match, else an error that lists what is allowed and
// suggests the closest name ("did you mean ..."). Used for enum names (apply rules, fault types),
// distribution names and scenario keys, so every message reads the same.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "geodes/sim/error.hpp"

namespace geodes::sim {

/// Levenshtein distance (insertions, deletions, substitutions of bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The name in `names` closest to `word` when it is a plausible typo: within max(1, |word| / 3)
/// edits (case-insensitive), or `word` of 3+ letters is a prefix of it. The first of equally
/// close names wins. Empty when none is plausible.
std::string closest_name(std::string_view word, const std::vector<std::string_view>& names);

/// " (did you mean 'x'?)" for closest_name(word, names), or "" when there is none.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& names);

/// "a, b, c".
std::string join_names(const std::vector<std::string_view>& names);

/// The enumerator of `all` whose to_string() is `name`. Otherwise throws InvalidArgument:
/// "<what> 'name' is unknown; allowed: a, b, c (did you mean 'b'?)".
template <typename Enum, std::size_t N>
Enum parse_name(const std::string& name, const Enum (&all)[N], const char* what) {
  std::vector<std::string_view> names;
  names.reserve(N);
  for (Enum e : all) {
    if (name == to_string(e)) return e;
    names.emplace_back(to_string(e));
  }
  throw InvalidArgument(std::string(what) + " '" + name +
                        "' is unknown; allowed: " + join_names(names) + did_you_mean(name, names));
}

}  // namespace geodes::sim
