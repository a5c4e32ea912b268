// libFuzzer target for the scenario loader: any input must either load or be refused with a
// ScenarioError. Anything else escaping (another exception type), a crash, a hang, a leak or
// undefined behaviour is a bug (the fuzz preset builds with ASan and UBSan).
//
// Input: scenario text (YAML or JSON). Lines of the form "#set key.path=value" (YAML comments, so
// the text stays the same scenario) are also applied as --set overrides; when a scenario with
// overrides loads, its effective text must load again: the re-emitted YAML is part of the
// contract (results files store it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "geodes/app/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as chars
  std::vector<std::string> overrides;
  for (std::size_t at = text.find("#set "); at != std::string::npos;
       at = text.find("#set ", at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    const std::size_t end = text.find('\n', at);
    overrides.push_back(text.substr(at + 5, end == std::string::npos ? end : end - at - 5));
  }
  try {
    const geodes::app::LoadedScenario s =
        geodes::app::load_scenario_text(text, "fuzz.yaml", overrides);
    if (!overrides.empty()) {
      try {
        geodes::app::load_scenario_text(s.text, "effective.yaml");
      } catch (const geodes::app::ScenarioError&) {
        std::abort();  // the effective text of a loaded scenario must load
      }
    }
  } catch (const geodes::app::ScenarioError&) {
    // Refused with diagnostics: the expected outcome for most inputs.
  }
  return 0;
}
