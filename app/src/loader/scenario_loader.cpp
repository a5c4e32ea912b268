#include "geodes/app/scenario_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "scenario_converter.hpp"
#include "scenario_overrides.hpp"
#include "yaml_node.hpp"
#include "yaml_reader.hpp"

namespace geodes::app {

namespace {

// A scenario is a page or two of YAML; anything this large is not one.
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

std::string join(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += format_diagnostic(d);
  }
  return out;
}

[[noreturn]] void fail_file(const std::string& path, const std::string& message) {
  Diagnostic d;
  d.file = path;
  d.message = message;
  throw ScenarioError({d});
}

}  // namespace

std::string format_diagnostic(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0) {
    out += ':' + std::to_string(d.line);
    if (d.column > 0) out += ':' + std::to_string(d.column);
  }
  out += ": ";
  if (!d.key_path.empty()) out += d.key_path + ": ";
  out += d.message;
  return out;
}

ScenarioError::ScenarioError(std::vector<Diagnostic> diagnostics)
    : InvalidArgument(join(diagnostics)), diagnostics_(std::move(diagnostics)) {}

LoadedScenario load_scenario_text(const std::string& text, const std::string& origin,
                                  const std::vector<std::string>& overrides) {
  const auto origin_ptr = std::make_shared<const std::string>(origin);
  Diagnostics d;
  std::unique_ptr<YamlNode> root = parse_yaml(text, origin_ptr, d.list());
  if (!root) throw ScenarioError(d.list());
  for (const std::string& o : overrides) apply_override(*root, o, d);
  SpecMarks marks;
  models::ScenarioSpec spec = convert_scenario(*root, d, marks);
  if (d.count() == 0) validate_spec(spec, marks, d);
  if (d.count() > 0) {
    // File order first, then the overrides in the order given.
    std::vector<Diagnostic> list = d.list();
    std::stable_sort(list.begin(), list.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      const bool a_file = a.file == origin;
      const bool b_file = b.file == origin;
      if (a_file != b_file) return a_file;
      if (!a_file) return false;
      if (a.line != b.line) return a.line < b.line;
      return a.column < b.column;
    });
    throw ScenarioError(std::move(list));
  }
  LoadedScenario out;
  out.spec = std::move(spec);
  out.text = overrides.empty() ? text : emit_yaml(*root);
  out.origin = origin;
  return out;
}

LoadedScenario load_scenario_file(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    fail_file(path, "cannot read the scenario file: no such file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    fail_file(path, "cannot read the scenario file: it is not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    fail_file(path,
              "the file is " + std::to_string(size) + " bytes; a scenario file is at most 16 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_file(path, std::string("cannot read the scenario file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail_file(path, "cannot read the scenario file: read error");
  return load_scenario_text(text.str(), path, overrides);
}

}  // namespace geodes::app
