#include "yaml_reader.hpp"

#include <charconv>
#include <cmath>
#include <utility>

#include "geodes/sim/names.hpp"

namespace geodes::app {

namespace {

// Shortest text that reads back as `v` ("0.5", "1e-06", "1024").
std::string number_text(double v) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, ptr);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string type_error(std::string_view what, const YamlNode& n) {
  return "expected " + std::string(what) + "; got " + n.describe();
}

constexpr std::size_t kMaxNameLength = 64;

}  // namespace

void Diagnostics::error(const YamlMark& mark, const std::string& path, std::string message) {
  list_.push_back(make_diagnostic(mark, path, std::move(message)));
}

std::string join_path(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out = base;
  out += '.';
  out.append(key);
  return out;
}

std::string join_path(const std::string& base, std::size_t index) {
  return join_path(base, std::to_string(index));
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "'";
  out.append(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  out += "'";
  return out;
}

bool Bounds::contains(double v) const {
  if (min_open ? !(v > min) : !(v >= min)) return false;
  if (max_open ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string Bounds::describe(std::string_view noun) const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  std::string out(noun);
  if (has_min && has_max && !min_open && !max_open) {
    return out + " from " + number_text(min) + " to " + number_text(max);
  }
  if (has_min) out += (min_open ? " > " : " >= ") + number_text(min);
  if (has_min && has_max) out += " and";
  if (has_max) out += (max_open ? " < " : " <= ") + number_text(max);
  return out;
}

std::optional<std::string> read_scalar(Diagnostics& d, const YamlNode& n, const std::string& path,
                                       std::string_view what) {
  if (n.kind != YamlNode::Kind::kScalar || n.is_null()) {
    d.error(n, path, type_error(what, n));
    return std::nullopt;
  }
  return n.scalar;
}

std::optional<std::string> read_string(Diagnostics& d, const YamlNode& n, const std::string& path) {
  return read_scalar(d, n, path, "a text");
}

bool check_name(Diagnostics& d, const YamlMark& mark, const std::string& path,
                const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength;
  for (char c : name) ok = ok && is_name_char(c);
  if (!ok) {
    d.error(mark, path,
            "the name " + quoted(name) +
                " is not allowed; names are 1 to 64 letters, digits, '_' or '-' (they appear in "
                "key paths and reports)");
  }
  return ok;
}

std::optional<std::string> read_name(Diagnostics& d, const YamlNode& n, const std::string& path) {
  auto text = read_scalar(d, n, path, "a name");
  if (!text) return std::nullopt;
  if (!check_name(d, n.mark, path, *text)) return std::nullopt;
  return text;
}

std::optional<bool> read_bool(Diagnostics& d, const YamlNode& n, const std::string& path) {
  const auto text = read_scalar(d, n, path, "true or false");
  if (!text) return std::nullopt;
  constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
  for (std::string_view t : kTrue) {
    if (*text == t) return true;
  }
  for (std::string_view f : kFalse) {
    if (*text == f) return false;
  }
  d.error(n, path, quoted(*text) + " is not a boolean; allowed: true, false");
  return std::nullopt;
}

std::optional<double> read_number(Diagnostics& d, const YamlNode& n, const std::string& path,
                                  Bounds b) {
  const auto text = read_scalar(d, n, path, "a number");
  if (!text) return std::nullopt;
  double v = 0;
  try {
    v = sim::parse_quantity(*text, sim::Unit::kNone);
  } catch (const sim::UnitError& e) {
    d.error(n, path, e.what());
    return std::nullopt;
  }
  if (!b.contains(v)) {
    d.error(n, path, quoted(*text) + " is out of range; allowed: " + b.describe("a number"));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> read_int(Diagnostics& d, const YamlNode& n, const std::string& path,
                                     std::int64_t min, std::int64_t max) {
  const auto text = read_scalar(d, n, path, "an integer");
  if (!text) return std::nullopt;
  // Exact bounds in the message: as doubles, 2^63 - 1 would print as 2^63.
  const std::string allowed =
      "; allowed: an integer from " + std::to_string(min) + " to " + std::to_string(max);
  std::int64_t exact = 0;
  const char* const end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, exact);
  if (ec == std::errc() && ptr == end) {
    if (exact < min || exact > max) {
      d.error(n, path, quoted(*text) + " is out of range" + allowed);
      return std::nullopt;
    }
    return exact;
  }
  double v = 0;
  try {
    v = sim::parse_quantity(*text, sim::Unit::kNone);
  } catch (const sim::UnitError& e) {
    d.error(n, path, e.what());
    return std::nullopt;
  }
  if (v != std::floor(v)) {
    d.error(n, path, quoted(*text) + " is not an integer" + allowed);
    return std::nullopt;
  }
  // 2^63 is the first double beyond int64; comparing as doubles first keeps the cast defined.
  if (!(v >= static_cast<double>(min)) || !(v < 0x1.0p63) || static_cast<std::int64_t>(v) > max) {
    d.error(n, path, quoted(*text) + " is out of range" + allowed);
    return std::nullopt;
  }
  return static_cast<std::int64_t>(v);
}

std::optional<std::uint64_t> read_count(Diagnostics& d, const YamlNode& n, const std::string& path,
                                        std::uint64_t min, std::uint64_t max) {
  const auto text = read_scalar(d, n, path, "a whole number");
  if (!text) return std::nullopt;
  const std::string allowed =
      "; allowed: a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  std::uint64_t exact = 0;
  const char* const end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, exact);
  if (ptr == end && ec == std::errc::result_out_of_range) {
    d.error(n, path, quoted(*text) + " is out of range" + allowed);
    return std::nullopt;
  }
  if (ec == std::errc() && ptr == end) {
    if (exact < min || exact > max) {
      d.error(n, path, quoted(*text) + " is out of range" + allowed);
      return std::nullopt;
    }
    return exact;
  }
  double v = 0;
  try {
    v = sim::parse_quantity(*text, sim::Unit::kNone);
  } catch (const sim::UnitError& e) {
    d.error(n, path, e.what() + std::string(" (a whole number such as 1000, 100k or 1M)"));
    return std::nullopt;
  }
  if (v != std::floor(v)) {
    d.error(n, path, quoted(*text) + " is not a whole number" + allowed);
    return std::nullopt;
  }
  if (!(v >= 0) || !(v < 0x1.0p64) || static_cast<std::uint64_t>(v) < min ||
      static_cast<std::uint64_t>(v) > max) {
    d.error(n, path, quoted(*text) + " is out of range" + allowed);
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(v);
}

std::optional<double> read_ratio(Diagnostics& d, const YamlNode& n, const std::string& path,
                                 Bounds b) {
  const auto text = read_scalar(d, n, path, "a ratio such as 0.001 or 0.1%");
  if (!text) return std::nullopt;
  std::string_view body = *text;
  while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
  const bool percent = !body.empty() && body.back() == '%';
  if (percent) body.remove_suffix(1);
  double v = 0;
  try {
    v = sim::parse_quantity(body, sim::Unit::kNone);
  } catch (const sim::UnitError&) {
    d.error(n, path,
            quoted(*text) + " is not a ratio; allowed: a plain number or a percentage, such as " +
                "0.001 or 0.1%");
    return std::nullopt;
  }
  if (percent) v /= 100;
  if (!b.contains(v)) {
    d.error(n, path,
            quoted(*text) + " is out of range; allowed: " + b.describe("a ratio") +
                " (a number, or a percentage such as 50%)");
    return std::nullopt;
  }
  return v;
}

std::optional<double> read_quantity(Diagnostics& d, const YamlNode& n, const std::string& path,
                                    sim::Unit unit, Bounds b) {
  const auto text = read_scalar(d, n, path, sim::describe(unit));
  if (!text) return std::nullopt;
  double v = 0;
  try {
    v = sim::parse_quantity(*text, unit);
  } catch (const sim::UnitError& e) {
    d.error(n, path, e.what());
    return std::nullopt;
  }
  if (!b.contains(v)) {
    d.error(n, path, quoted(*text) + " is out of range; allowed: " + b.describe("a value"));
    return std::nullopt;
  }
  return v;
}

std::optional<sim::Duration> read_duration(Diagnostics& d, const YamlNode& n,
                                           const std::string& path, bool positive) {
  const auto text = read_scalar(d, n, path, sim::describe(sim::Unit::kTime));
  if (!text) return std::nullopt;
  sim::Duration v;
  if (*text == "0") {
    v = sim::Duration::zero();
  } else {
    try {
      v = sim::parse_duration(*text);
    } catch (const sim::UnitError& e) {
      d.error(n, path, e.what());
      return std::nullopt;
    }
  }
  if (positive && v <= sim::Duration::zero()) {
    d.error(n, path, quoted(*text) + " is out of range; allowed: a duration > 0, such as 1s");
    return std::nullopt;
  }
  return v;
}

std::optional<sim::Distribution> read_distribution(Diagnostics& d, const YamlNode& n,
                                                   const std::string& path, sim::Unit unit,
                                                   bool non_negative) {
  const auto text = read_scalar(d, n, path, "a distribution such as exp(1ms)");
  if (!text) return std::nullopt;
  try {
    sim::Distribution dist = sim::Distribution::parse(*text, unit);
    if (non_negative && dist.kind() != sim::Distribution::Kind::kNormal &&
        !(dist.quantile(0) >= 0)) {
      d.error(n, path, quoted(*text) + " can draw negative values; allowed: values >= 0");
      return std::nullopt;
    }
    return dist;
  } catch (const sim::DistributionError& e) {
    // Point at the character the parser complained about, when the scalar sits on one line.
    YamlMark at = n.mark;
    if (at.line > 0 && text->find('\n') == std::string::npos) {
      at.column += static_cast<int>(e.column()) - 1 + (n.quoted ? 1 : 0);
    }
    std::string message = e.what();
    if (text->find('(') != std::string::npos && text->find(')') == std::string::npos) {
      // The commonest cause: an unquoted distribution inside a flow map or list, where YAML
      // splits "lognormal(median=14ms, p99=25ms)" at its comma.
      message +=
          " (inside {...} or [...], put a distribution with commas in quotes: "
          "\"lognormal(median=14ms, p99=25ms)\")";
    }
    d.error(at, path, message);
  } catch (const InvalidArgument& e) {
    d.error(n, path, e.what());
  }
  return std::nullopt;
}

std::string unknown_reference(const std::string& name, const std::vector<std::string>& names,
                              std::string_view what) {
  std::vector<std::string_view> views(names.begin(), names.end());
  if (names.empty()) {
    return quoted(name) + " is not " + std::string(what) + "; there are none in this scenario";
  }
  return quoted(name) + " is not " + std::string(what) + "; allowed: " + sim::join_names(views) +
         sim::did_you_mean(name, views);
}

std::optional<std::size_t> read_reference(Diagnostics& d, const YamlNode& n,
                                          const std::string& path,
                                          const std::vector<std::string>& names,
                                          std::string_view what) {
  const auto text = read_scalar(d, n, path, "the name of " + std::string(what));
  if (!text) return std::nullopt;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *text) return i;
  }
  d.error(n, path, unknown_reference(*text, names, what));
  return std::nullopt;
}

std::optional<std::vector<std::size_t>> read_references(Diagnostics& d, const YamlNode& n,
                                                        const std::string& path,
                                                        const std::vector<std::string>& names,
                                                        std::string_view what, bool scalar_ok) {
  if (n.kind == YamlNode::Kind::kScalar && scalar_ok) {
    const auto one = read_reference(d, n, path, names, what);
    if (!one) return std::nullopt;
    return std::vector<std::size_t>{*one};
  }
  if (n.kind != YamlNode::Kind::kSequence) {
    d.error(n, path, type_error("a list of names of " + std::string(what), n));
    return std::nullopt;
  }
  std::vector<std::size_t> out;
  bool ok = true;
  for (std::size_t i = 0; i < n.items.size(); ++i) {
    const auto r = read_reference(d, *n.items[i], join_path(path, i), names, what);
    if (!r) {
      ok = false;
      continue;
    }
    bool repeated = false;
    for (std::size_t prev : out) repeated = repeated || prev == *r;
    if (repeated) {
      d.error(*n.items[i], join_path(path, i),
              quoted(names[*r]) + " is listed twice; each may appear once");
      ok = false;
      continue;
    }
    out.push_back(*r);
  }
  if (!ok) return std::nullopt;
  return out;
}

MapReader::MapReader(Diagnostics& d, const YamlNode* node, std::string path, std::string_view what)
    : d_(d), node_(node), path_(std::move(path)) {
  if (node == nullptr || node->is_null()) return;
  if (node->kind != YamlNode::Kind::kMap) {
    d.error(*node, path_, type_error("a map (" + std::string(what) + ")", *node));
    ok_ = false;
    return;
  }
  map_ = node;
  for (const auto& e : node->entries) {
    const YamlNode::Entry* first = nullptr;
    for (const YamlNode::Entry* u : unique_) {
      if (u->key == e.key) first = u;
    }
    if (first != nullptr) {
      std::string where = first->key_mark.line > 0
                              ? " (first at line " + std::to_string(first->key_mark.line) + ")"
                              : "";
      d.error(e.key_mark, join_path(path_, e.key),
              "the key " + quoted(e.key) + " appears twice" + where + "; each key may appear once");
      continue;
    }
    unique_.push_back(&e);
  }
}

YamlMark MapReader::mark() const { return node_ != nullptr ? node_->mark : YamlMark{}; }

const YamlNode* MapReader::get(std::string_view key) {
  bool known = false;
  for (const auto& k : known_) known = known || k == key;
  if (!known) known_.emplace_back(key);
  for (const YamlNode::Entry* e : unique_) {
    if (e->key == key) return e->value->is_null() ? nullptr : e->value.get();
  }
  return nullptr;
}

YamlMark MapReader::key_mark(std::string_view key) const {
  for (const YamlNode::Entry* e : unique_) {
    if (e->key == key) return e->key_mark;
  }
  return mark();
}

void MapReader::allow(std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    bool known = false;
    for (const auto& have : known_) known = known || have == k;
    if (!known) known_.emplace_back(k);
  }
}

void MapReader::finish(const std::function<std::string(const std::string&)>& hint) {
  std::vector<std::string_view> allowed(known_.begin(), known_.end());
  for (const YamlNode::Entry* e : unique_) {
    bool known = false;
    for (const auto& k : known_) known = known || k == e->key;
    if (known) continue;
    std::string message = "unknown key " + quoted(e->key) +
                          "; allowed: " + sim::join_names(allowed) +
                          sim::did_you_mean(e->key, allowed);
    if (hint) message += hint(e->key);
    d_.error(e->key_mark, join_path(path_, e->key), std::move(message));
  }
}

bool MapReader::string(std::string_view key, std::string& out) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  auto v = read_string(d_, *n, path(key));
  if (v) out = std::move(*v);
  return v.has_value();
}

bool MapReader::boolean(std::string_view key, bool& out) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  const auto v = read_bool(d_, *n, path(key));
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::number(std::string_view key, double& out, Bounds b) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  const auto v = read_number(d_, *n, path(key), b);
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::ratio(std::string_view key, double& out, Bounds b) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  const auto v = read_ratio(d_, *n, path(key), b);
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::quantity(std::string_view key, double& out, sim::Unit unit, Bounds b) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  const auto v = read_quantity(d_, *n, path(key), unit, b);
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::duration(std::string_view key, sim::Duration& out, bool positive) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  const auto v = read_duration(d_, *n, path(key), positive);
  if (v) out = *v;
  return v.has_value();
}

bool MapReader::time(std::string_view key, sim::Time& out) {
  sim::Duration d;
  if (!duration(key, d)) return false;
  out = sim::Time::zero() + d;
  return true;
}

bool MapReader::distribution(std::string_view key, sim::Distribution& out, sim::Unit unit,
                             bool non_negative) {
  const YamlNode* n = get(key);
  if (n == nullptr) return false;
  auto v = read_distribution(d_, *n, path(key), unit, non_negative);
  if (v) out = std::move(*v);
  return v.has_value();
}

}  // namespace geodes::app
