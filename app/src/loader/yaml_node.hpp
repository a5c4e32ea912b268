// A YAML document as a plain tree that remembers where every node and key came from, so that a
// scenario's diagnostics can name file, line and column (yaml-cpp's own Node keeps no key marks
// and folds duplicate keys silently).
//
// Built from yaml-cpp's event parser, with limits enforced while parsing (nesting depth, node
// count after alias expansion): a hostile document is refused before it can exhaust the stack or
// memory. Aliases are expanded into copies, so the result is a true tree that overrides can edit
// in one place. Duplicate keys are kept (the reader reports them); keys must be scalars.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "geodes/app/scenario_loader.hpp"

namespace geodes::app {

/// Where a node came from: an origin (file name, or the --set argument) and a 1-based position
/// (0 when unknown, as for override values).
struct YamlMark {
  std::shared_ptr<const std::string> origin;
  int line = 0;
  int column = 0;
};

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  struct Entry {
    std::string key;
    YamlMark key_mark;
    std::unique_ptr<YamlNode> value;
  };

  Kind kind = Kind::kNull;
  YamlMark mark;
  /// kScalar: the text; `quoted` when it was not a plain scalar (quoted, block or tagged), which
  /// only matters for telling the string "null" from a null.
  std::string scalar;
  bool quoted = false;
  std::vector<std::unique_ptr<YamlNode>> items;  ///< kSequence
  std::vector<Entry> entries;                    ///< kMap, in document order, duplicates kept

  /// A null node, or a plain scalar "~", "null", "Null", "NULL" or "".
  [[nodiscard]] bool is_null() const;
  [[nodiscard]] std::unique_ptr<YamlNode> clone() const;
  /// "a map", "a list", "the text 'x'", "nothing (null)": for "got ..." in messages.
  [[nodiscard]] std::string describe() const;
};

inline constexpr int kMaxYamlDepth = 64;
inline constexpr std::size_t kMaxYamlNodes = 200'000;

/// Parses the first document of `text`. On success returns the root (a kNull node for an empty
/// document). Syntax errors, a second document, non-scalar keys and the limits above are appended
/// to `errors` (positions in `origin`); the root is then null when nothing usable was parsed.
std::unique_ptr<YamlNode> parse_yaml(const std::string& text,
                                     const std::shared_ptr<const std::string>& origin,
                                     std::vector<Diagnostic>& errors);

/// The tree as YAML text (block style), which parse_yaml() reads back to an equal tree.
std::string emit_yaml(const YamlNode& root);

/// A diagnostic at `mark` ("file:line:col").
Diagnostic make_diagnostic(const YamlMark& mark, std::string key_path, std::string message);

}  // namespace geodes::app
