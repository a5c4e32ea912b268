// Typed reading of YamlNode values with diagnostics: every reader either returns a value or
// records one Diagnostic (at the node, with its key path) that quotes the bad value and says what
// is allowed, and returns nullopt so that the caller can go on checking the rest of the file.
//
// MapReader reads one map with a fixed set of keys: keys are looked up by name (each lookup makes
// the key "known"), and finish() reports every key that was never looked up as unknown, with the
// allowed keys and a "did you mean". Duplicate keys are reported when the reader is built; the
// first occurrence is the one read.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geodes/sim/distribution.hpp"
#include "geodes/sim/time.hpp"
#include "geodes/sim/units.hpp"
#include "yaml_node.hpp"

namespace geodes::app {

/// The diagnostics found so far.
class Diagnostics {
 public:
  void error(const YamlMark& mark, const std::string& path, std::string message);
  void error(const YamlNode& node, const std::string& path, std::string message) {
    error(node.mark, path, std::move(message));
  }
  void add(Diagnostic d) { list_.push_back(std::move(d)); }
  [[nodiscard]] std::size_t count() const { return list_.size(); }
  [[nodiscard]] const std::vector<Diagnostic>& list() const { return list_; }
  std::vector<Diagnostic>& list() { return list_; }

 private:
  std::vector<Diagnostic> list_;
};

/// "a.b" from "a" and "b"; "b" when `base` is empty.
std::string join_path(const std::string& base, std::string_view key);
std::string join_path(const std::string& base, std::size_t index);
/// 'text', shortened when long.
std::string quoted(std::string_view text);

/// Inclusive or exclusive limits of a number, and how to say them ("a number > 0").
struct Bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  ///< true: value > min; false: value >= min
  bool max_open = false;
  static Bounds at_least(double v) { return {v, std::numeric_limits<double>::infinity()}; }
  static Bounds above(double v) {
    return {v, std::numeric_limits<double>::infinity(), true, false};
  }
  static Bounds between(double lo, double hi) { return {lo, hi}; }
  [[nodiscard]] bool contains(double v) const;
  /// "a number > 0", "a number from 0 to 1", "a ratio from 0 to 1 (0.5 or 50%)".
  [[nodiscard]] std::string describe(std::string_view noun) const;
};

/// The scalar text of `n`, or an error "expected <what>; got a map".
std::optional<std::string> read_scalar(Diagnostics& d, const YamlNode& n, const std::string& path,
                                       std::string_view what);
/// A free-form string (any scalar).
std::optional<std::string> read_string(Diagnostics& d, const YamlNode& n, const std::string& path);
/// A name usable in key paths and reports: letters, digits, '_' and '-', 1 to 64 characters.
std::optional<std::string> read_name(Diagnostics& d, const YamlNode& n, const std::string& path);
/// An error unless `name` is a valid name (as read_name()); the mark is the key's.
bool check_name(Diagnostics& d, const YamlMark& mark, const std::string& path,
                const std::string& name);
/// true/false (also yes/no, on/off).
std::optional<bool> read_bool(Diagnostics& d, const YamlNode& n, const std::string& path);
/// A plain number ("0.5", "1e-3", "2k"), within `b`.
std::optional<double> read_number(Diagnostics& d, const YamlNode& n, const std::string& path,
                                  Bounds b = {});
/// An integer in [min, max] (multipliers allowed: "100k").
std::optional<std::int64_t> read_int(Diagnostics& d, const YamlNode& n, const std::string& path,
                                     std::int64_t min, std::int64_t max);
/// A non-negative integer in [min, max], exact up to 2^64 - 1 ("100k", "1M" allowed).
std::optional<std::uint64_t> read_count(
    Diagnostics& d, const YamlNode& n, const std::string& path, std::uint64_t min = 0,
    std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
/// A ratio: a plain number or a percentage ("0.001" or "0.1%"), within `b` ([0, 1] by default).
std::optional<double> read_ratio(Diagnostics& d, const YamlNode& n, const std::string& path,
                                 Bounds b = Bounds::between(0, 1));
/// A quantity of `unit` in base units (sim/units.hpp), within `b`.
std::optional<double> read_quantity(Diagnostics& d, const YamlNode& n, const std::string& path,
                                    sim::Unit unit, Bounds b = {});
/// A duration ("30ms"; a bare 0 is allowed); `positive` rejects 0.
std::optional<sim::Duration> read_duration(Diagnostics& d, const YamlNode& n,
                                           const std::string& path, bool positive = false);
/// A distribution in `unit` (sim::Distribution::parse); a bare quantity is a constant. With
/// `non_negative`, a distribution that can draw below 0 is refused (normal is let through: users
/// of it clamp).
std::optional<sim::Distribution> read_distribution(Diagnostics& d, const YamlNode& n,
                                                   const std::string& path, sim::Unit unit,
                                                   bool non_negative = true);
/// An enum name through one of the models' parsers (which list the allowed names).
template <typename E>
std::optional<E> read_enum(Diagnostics& d, const YamlNode& n, const std::string& path,
                           E (*parse)(const std::string&), std::string_view what) {
  const auto text = read_scalar(d, n, path, what);
  if (!text) return std::nullopt;
  try {
    return parse(*text);
  } catch (const InvalidArgument& e) {
    d.error(n, path, e.what());
    return std::nullopt;
  }
}

/// A list of names resolved against `names` ("a datacenter"); a single scalar counts as a list
/// of one when `scalar_ok`. Unknown names get "did you mean"; duplicates are errors.
std::optional<std::vector<std::size_t>> read_references(Diagnostics& d, const YamlNode& n,
                                                        const std::string& path,
                                                        const std::vector<std::string>& names,
                                                        std::string_view what, bool scalar_ok);
/// One name resolved against `names`.
std::optional<std::size_t> read_reference(Diagnostics& d, const YamlNode& n,
                                          const std::string& path,
                                          const std::vector<std::string>& names,
                                          std::string_view what);
/// "'x' is not <what>; allowed: a, b (did you mean 'a'?)".
std::string unknown_reference(const std::string& name, const std::vector<std::string>& names,
                              std::string_view what);

class MapReader {
 public:
  /// Reads `node` (may be null: an absent section) as a map; `what` says what the map is ("a
  /// channel") for the type error when it is not one.
  MapReader(Diagnostics& d, const YamlNode* node, std::string path, std::string_view what);

  /// True iff the node is a map (an absent or null node reads as an empty map; ok() is still
  /// true). False after a type error.
  [[nodiscard]] bool ok() const { return ok_; }
  /// True iff the node is present and a map.
  [[nodiscard]] bool present() const { return map_ != nullptr; }
  [[nodiscard]] const YamlNode* node() const { return node_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string path(std::string_view key) const { return join_path(path_, key); }
  /// Where to report a problem with the map as a whole.
  [[nodiscard]] YamlMark mark() const;

  /// The value of `key`, or nullptr when absent or null. Makes the key known.
  const YamlNode* get(std::string_view key);
  /// True iff `key` is present with a non-null value. Makes the key known.
  bool has(std::string_view key) { return get(key) != nullptr; }
  /// The mark of `key` itself (or the map's when absent).
  [[nodiscard]] YamlMark key_mark(std::string_view key) const;
  /// Makes keys known without reading them (keys read elsewhere).
  void allow(std::initializer_list<std::string_view> keys);

  /// The entries, duplicates removed, in document order (for maps keyed by name).
  [[nodiscard]] const std::vector<const YamlNode::Entry*>& entries() const { return unique_; }

  /// Reports the keys never looked up: "unknown key 'x'; allowed: ... (did you mean ...)".
  /// `hint` is appended to each message (e.g. which other type of channel has that key).
  void finish(const std::function<std::string(const std::string&)>& hint = {});

  // Typed shortcuts: when `key` is present and valid, store it in `out` and return true.
  bool string(std::string_view key, std::string& out);
  bool boolean(std::string_view key, bool& out);
  bool number(std::string_view key, double& out, Bounds b = {});
  bool ratio(std::string_view key, double& out, Bounds b = Bounds::between(0, 1));
  bool quantity(std::string_view key, double& out, sim::Unit unit, Bounds b = {});
  bool duration(std::string_view key, sim::Duration& out, bool positive = false);
  bool time(std::string_view key, sim::Time& out);
  bool distribution(std::string_view key, sim::Distribution& out, sim::Unit unit,
                    bool non_negative = true);
  template <typename Int>
  bool integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    const YamlNode* n = get(key);
    if (n == nullptr) return false;
    const auto v = read_int(d_, *n, path(key), min, max);
    if (v) out = static_cast<Int>(*v);
    return v.has_value();
  }
  template <typename Int>
  bool count(std::string_view key, Int& out, std::uint64_t min = 0,
             std::uint64_t max = std::numeric_limits<Int>::max()) {
    const YamlNode* n = get(key);
    if (n == nullptr) return false;
    const auto v = read_count(d_, *n, path(key), min, max);
    if (v) out = static_cast<Int>(*v);
    return v.has_value();
  }
  template <typename E>
  bool enumeration(std::string_view key, E& out, E (*parse)(const std::string&),
                   std::string_view what) {
    const YamlNode* n = get(key);
    if (n == nullptr) return false;
    const auto v = read_enum(d_, *n, path(key), parse, what);
    if (v) out = *v;
    return v.has_value();
  }

 private:
  Diagnostics& d_;
  const YamlNode* node_;
  const YamlNode* map_ = nullptr;
  std::string path_;
  bool ok_ = true;
  std::vector<const YamlNode::Entry*> unique_;
  std::vector<std::string> known_;
};

}  // namespace geodes::app
