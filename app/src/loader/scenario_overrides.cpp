#include "scenario_overrides.hpp"

#include <charconv>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "geodes/sim/names.hpp"

namespace geodes::app {

namespace {

void remark(YamlNode& n, const YamlMark& mark) {
  n.mark = mark;
  for (auto& item : n.items) remark(*item, mark);
  for (auto& e : n.entries) {
    e.key_mark = mark;
    remark(*e.value, mark);
  }
}

std::unique_ptr<YamlNode> empty_map(const YamlMark& mark) {
  auto n = std::make_unique<YamlNode>();
  n->kind = YamlNode::Kind::kMap;
  n->mark = mark;
  return n;
}

}  // namespace

void apply_override(YamlNode& root, const std::string& override_text, Diagnostics& d) {
  const auto origin = std::make_shared<const std::string>("--set " + override_text);
  const YamlMark mark{origin, 0, 0};
  const auto eq = override_text.find('=');
  if (eq == std::string::npos) {
    d.error(mark, "",
            "expected key.path=value (for example --set workload.rate=8k/s); there is no '='");
    return;
  }
  const std::string path = override_text.substr(0, eq);
  std::vector<std::string> segments;
  for (std::size_t start = 0;;) {
    const auto dot = path.find('.', start);
    segments.push_back(path.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& s : segments) {
    if (s.empty()) {
      d.error(mark, path,
              "the key path " + quoted(path) +
                  " has an empty segment; write keys separated by single dots (faults.0.at)");
      return;
    }
  }

  std::vector<Diagnostic> parse_errors;
  std::unique_ptr<YamlNode> value = parse_yaml(override_text.substr(eq + 1), origin, parse_errors);
  if (!parse_errors.empty() || !value) {
    for (Diagnostic& e : parse_errors) {
      e.line = 0;
      e.column = 0;
      e.key_path = path;
      e.message = "the value does not parse as YAML: " + e.message;
      d.add(std::move(e));
    }
    return;
  }
  remark(*value, mark);

  YamlNode* cur = &root;
  std::string walked;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    const bool last = i + 1 == segments.size();
    const std::string here = join_path(walked, seg);
    if (cur->kind == YamlNode::Kind::kNull ||
        (cur->kind == YamlNode::Kind::kScalar && cur->is_null())) {
      cur->kind = YamlNode::Kind::kMap;
      cur->scalar.clear();
    }
    if (cur->kind == YamlNode::Kind::kMap) {
      YamlNode::Entry* found = nullptr;
      for (auto& e : cur->entries) {
        if (e.key == seg) {
          found = &e;
          break;
        }
      }
      if (found != nullptr) {
        if (last) {
          found->value = std::move(value);
          return;
        }
        cur = found->value.get();
        walked = here;
        continue;
      }
      if (!last && !cur->entries.empty()) {
        std::vector<std::string_view> keys;
        for (const auto& e : cur->entries) keys.emplace_back(e.key);
        const std::string guess = sim::closest_name(seg, keys);
        if (!guess.empty()) {
          d.error(mark, here,
                  (walked.empty() ? std::string("the scenario") : quoted(walked)) + " has no key " +
                      quoted(seg) + " (did you mean " + quoted(guess) + "?)");
          return;
        }
      }
      cur->entries.push_back({seg, mark, last ? std::move(value) : empty_map(mark)});
      if (last) return;
      cur = cur->entries.back().value.get();
      walked = here;
      continue;
    }
    if (cur->kind == YamlNode::Kind::kSequence) {
      std::size_t index = 0;
      const auto [ptr, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      const std::string range = cur->items.empty()
                                    ? std::string("the list is empty, so only index 0 (append)")
                                    : "0 to " + std::to_string(cur->items.size() - 1) + ", or " +
                                          std::to_string(cur->items.size()) + " to append";
      if (ec != std::errc() || ptr != seg.data() + seg.size()) {
        d.error(mark, here,
                quoted(walked) + " is a list; address its items by index (" + range + "), not " +
                    quoted(seg));
        return;
      }
      if (index > cur->items.size()) {
        std::string message = "index ";
        message += seg;
        message += " is out of range for ";
        message += quoted(walked);
        message += "; allowed: ";
        message += range;
        d.error(mark, here, message);
        return;
      }
      if (index == cur->items.size()) {
        cur->items.push_back(last ? std::move(value) : empty_map(mark));
      } else if (last) {
        cur->items[index] = std::move(value);
      }
      if (last) return;
      cur = cur->items[index].get();
      walked = here;
      continue;
    }
    d.error(mark, here,
            quoted(walked) + " is " + cur->describe() + ", not a map or a list; cannot set " +
                quoted(seg) + " under it");
    return;
  }
}

}  // namespace geodes::app
