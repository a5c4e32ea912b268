#include "yaml_node.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <sstream>
#include <utility>

namespace geodes::app {

namespace {

// Thrown by the builder to stop yaml-cpp's parser once a limit is hit or a fatal error found; the
// diagnostic has been recorded already.
struct StopParsing {};

YamlMark to_mark(const YAML::Mark& m, const std::shared_ptr<const std::string>& origin) {
  if (m.is_null() || m.line < 0 || m.column < 0) return {origin, 0, 0};
  return {origin, m.line + 1, m.column + 1};
}

// Builds a YamlNode tree from parser events. Nodes under construction (open maps and lists) sit on
// a stack and are placed into their parent when they end.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::shared_ptr<const std::string> origin, std::vector<Diagnostic>& errors)
      : origin_(std::move(origin)), errors_(errors) {}

  std::unique_ptr<YamlNode> take_root() { return std::move(root_); }
  [[nodiscard]] bool saw_document() const { return saw_document_; }

  void OnDocumentStart(const YAML::Mark&) override { saw_document_ = true; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto n = make(YamlNode::Kind::kNull, mark);
    complete(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      fail(to_mark(mark, origin_),
           "an alias refers to an anchor that is not complete here (an alias inside its own "
           "anchor, or an anchor on a key); aliases may only name earlier, finished nodes");
    }
    auto copy = copy_counted(*it->second);
    copy->mark = to_mark(mark, origin_);
    complete(std::move(copy), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto n = make(YamlNode::Kind::kScalar, mark);
    n->scalar = value;
    n->quoted = tag != "?";
    complete(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(make(YamlNode::Kind::kSequence, mark), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(make(YamlNode::Kind::kMap, mark), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    std::unique_ptr<YamlNode> node;
    YAML::anchor_t anchor = 0;
    bool awaiting_value = false;  // maps: a key has been read, its value comes next
    bool key_ok = false;
    std::string key;
    YamlMark key_mark;
  };

  [[noreturn]] void fail(const YamlMark& mark, std::string message) {
    errors_.push_back(make_diagnostic(mark, "", std::move(message)));
    throw StopParsing{};
  }

  void count(const YamlMark& mark) {
    if (++nodes_ > kMaxYamlNodes) {
      fail(mark, "the document has more than " + std::to_string(kMaxYamlNodes) +
                     " nodes (after expanding aliases); a scenario needs far fewer");
    }
  }

  std::unique_ptr<YamlNode> make(YamlNode::Kind kind, const YAML::Mark& mark) {
    auto n = std::make_unique<YamlNode>();
    n->kind = kind;
    n->mark = to_mark(mark, origin_);
    count(n->mark);
    return n;
  }

  std::unique_ptr<YamlNode> copy_counted(const YamlNode& src) {
    count(src.mark);
    auto n = std::make_unique<YamlNode>();
    n->kind = src.kind;
    n->mark = src.mark;
    n->scalar = src.scalar;
    n->quoted = src.quoted;
    n->items.reserve(src.items.size());
    for (const auto& item : src.items) n->items.push_back(copy_counted(*item));
    n->entries.reserve(src.entries.size());
    for (const auto& e : src.entries) {
      n->entries.push_back({e.key, e.key_mark, copy_counted(*e.value)});
    }
    return n;
  }

  void open(std::unique_ptr<YamlNode> n, YAML::anchor_t anchor) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxYamlDepth)) {
      fail(n->mark, "the document nests deeper than " + std::to_string(kMaxYamlDepth) +
                        " levels; a scenario needs far fewer");
    }
    Frame f;
    f.node = std::move(n);
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }

  void close() {
    if (stack_.empty()) return;  // unbalanced events: yaml-cpp never sends them
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(f.node), f.anchor);
  }

  void complete(std::unique_ptr<YamlNode> n, YAML::anchor_t anchor) {
    if (stack_.empty()) {
      if (anchor != 0) anchors_[anchor] = n.get();
      root_ = std::move(n);
      return;
    }
    Frame& f = stack_.back();
    if (f.node->kind == YamlNode::Kind::kSequence) {
      if (anchor != 0) anchors_[anchor] = n.get();
      f.node->items.push_back(std::move(n));
      return;
    }
    if (!f.awaiting_value) {
      // A key. It is not kept as a node, so an anchor on it cannot be aliased.
      if (anchor != 0) anchors_.erase(anchor);
      f.awaiting_value = true;
      f.key_mark = n->mark;
      f.key_ok = n->kind == YamlNode::Kind::kScalar;
      if (f.key_ok) {
        f.key = std::move(n->scalar);
      } else {
        errors_.push_back(make_diagnostic(
            n->mark, "", "a key must be a name; got " + n->describe() + " as a key"));
      }
      return;
    }
    f.awaiting_value = false;
    if (!f.key_ok) {
      if (anchor != 0) anchors_.erase(anchor);
      return;
    }
    if (anchor != 0) anchors_[anchor] = n.get();
    f.node->entries.push_back({std::move(f.key), f.key_mark, std::move(n)});
  }

  std::shared_ptr<const std::string> origin_;
  std::vector<Diagnostic>& errors_;
  std::vector<Frame> stack_;
  std::unique_ptr<YamlNode> root_;
  std::map<YAML::anchor_t, const YamlNode*> anchors_;
  std::size_t nodes_ = 0;
  bool saw_document_ = false;
};

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out = "'";
  if (s.size() > kMax) {
    out.append(s.substr(0, kMax));
    out += "...";
  } else {
    out.append(s);
  }
  out += "'";
  return out;
}

void emit(YAML::Emitter& e, const YamlNode& n) {
  switch (n.kind) {
    case YamlNode::Kind::kNull:
      e << YAML::Null;
      return;
    case YamlNode::Kind::kScalar:
      if (n.quoted) e << YAML::DoubleQuoted;
      e << n.scalar;
      return;
    case YamlNode::Kind::kSequence: {
      bool flat = !n.items.empty() && n.items.size() <= 16;
      for (const auto& item : n.items) flat = flat && item->kind == YamlNode::Kind::kScalar;
      if (flat) e << YAML::Flow;
      e << YAML::BeginSeq;
      for (const auto& item : n.items) emit(e, *item);
      e << YAML::EndSeq;
      return;
    }
    case YamlNode::Kind::kMap:
      e << YAML::BeginMap;
      for (const auto& entry : n.entries) {
        e << YAML::Key << entry.key << YAML::Value;
        emit(e, *entry.value);
      }
      e << YAML::EndMap;
      return;
  }
}

}  // namespace

bool YamlNode::is_null() const {
  if (kind == Kind::kNull) return true;
  if (kind != Kind::kScalar || quoted) return false;
  return scalar.empty() || scalar == "~" || scalar == "null" || scalar == "Null" ||
         scalar == "NULL";
}

std::unique_ptr<YamlNode> YamlNode::clone() const {
  auto n = std::make_unique<YamlNode>();
  n->kind = kind;
  n->mark = mark;
  n->scalar = scalar;
  n->quoted = quoted;
  for (const auto& item : items) n->items.push_back(item->clone());
  for (const auto& e : entries) n->entries.push_back({e.key, e.key_mark, e.value->clone()});
  return n;
}

std::string YamlNode::describe() const {
  if (is_null()) return "nothing (null)";
  switch (kind) {
    case Kind::kScalar:
      return quote(scalar);
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a map";
    case Kind::kNull:
      break;
  }
  return "nothing (null)";
}

Diagnostic make_diagnostic(const YamlMark& mark, std::string key_path, std::string message) {
  Diagnostic d;
  d.file = mark.origin ? *mark.origin : std::string();
  d.line = mark.line;
  d.column = mark.column;
  d.key_path = std::move(key_path);
  d.message = std::move(message);
  return d;
}

std::unique_ptr<YamlNode> parse_yaml(const std::string& text,
                                     const std::shared_ptr<const std::string>& origin,
                                     std::vector<Diagnostic>& errors) {
  std::istringstream in(text);
  std::unique_ptr<YamlNode> root;
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(origin, errors);
    parser.HandleNextDocument(builder);
    root = builder.take_root();
    if (!root) {
      root = std::make_unique<YamlNode>();
      root->mark = {origin, 1, 1};
    }
    // A second document is a mistake (a stray '---'); parse it with the same limits, then drop it.
    TreeBuilder rest(origin, errors);
    const std::size_t before = errors.size();
    if (parser.HandleNextDocument(rest) && rest.saw_document() && errors.size() == before) {
      auto second = rest.take_root();
      const YamlMark at = second ? second->mark : YamlMark{origin, 0, 0};
      errors.push_back(make_diagnostic(
          at, "", "a second YAML document starts here; a scenario file holds exactly one"));
    }
  } catch (const StopParsing&) {
    return nullptr;
  } catch (const YAML::Exception& e) {
    errors.push_back(make_diagnostic(to_mark(e.mark, origin), "", "YAML syntax error: " + e.msg));
    return nullptr;
  }
  return root;
}

std::string emit_yaml(const YamlNode& root) {
  YAML::Emitter e;
  e.SetIndent(2);
  emit(e, root);
  std::string out = e.c_str();
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

}  // namespace geodes::app
