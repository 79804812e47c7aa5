// Fuzzes the intake loader (and the scalp-analysis loader on the same bytes): any input either
// loads or throws InputError; a loaded intake round-trips through JSON, screens, personalises a
// built-in protocol without letting an allergen through, and yields an at-home routine.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/builtin.hpp"
#include "headspa/care/home_care.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/scalp_findings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace headspa::care;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)parse_scalp_findings(text, "fuzz.json");
  } catch (const headspa::InputError&) {
  }
  Intake intake;
  try {
    intake = parse_intake(text, "fuzz.yaml");
  } catch (const headspa::InputError&) {
    return 0;
  }
  const std::string json = intake_to_json(intake);
  try {
    if (intake_to_json(parse_intake(json, "fuzz.json")) != json) std::abort();
  } catch (const headspa::InputError&) {
    std::abort();
  }
  const ScreeningResult result = screen(intake, nullptr, builtin_rules());
  const auto& catalogue = builtin_catalogue();
  // The built-in protocols, parsed once for the whole run.
  static const std::vector<Protocol> protocols = [] {
    std::vector<Protocol> all;
    for (const auto& id : builtin_protocol_ids()) all.push_back(builtin_protocol(id));
    return all;
  }();
  try {
    const auto plan =
        personalise(protocols[size % protocols.size()], intake, result, nullptr, catalogue);
    if ((plan.decision == Decision::kRefused) != (result.decision == Decision::kRefused)) {
      std::abort();
    }
    for (const auto& step : plan.steps) {
      if (step.product_id.empty()) continue;
      for (const auto& allergen : intake.allergies) {
        if (catalogue.allergen_in(*catalogue.find(step.product_id), allergen)) std::abort();
      }
    }
  } catch (const headspa::InputError&) {
    // A time budget shorter than the protocol's required minimum.
  }
  (void)make_home_care(intake, nullptr, builtin_rules(), catalogue);
  return 0;
}
