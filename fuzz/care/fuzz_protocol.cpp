// Fuzzes the protocol loader: any input either loads or throws InputError; a protocol that
// loads writes JSON that loads again to the same JSON, and can be personalised.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "headspa/care/personalise.hpp"
#include "headspa/care/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace headspa::care;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Protocol protocol;
  try {
    protocol = parse_protocol(text, "fuzz.yaml");
  } catch (const headspa::InputError&) {
    return 0;
  }
  const std::string json = protocol_to_json(protocol);
  try {
    if (protocol_to_json(parse_protocol(json, "fuzz.json")) != json) std::abort();
  } catch (const headspa::InputError&) {
    std::abort();  // what headspa writes, headspa must read
  }
  try {
    check_protocol_products(protocol, builtin_catalogue());
    Intake intake;
    intake.goals = {Goal::kStress, Goal::kNeckPain};
    intake.pressure_preference = PressureLevel::kFirm;
    intake.time_budget_s = 900;
    const auto plan = personalise(protocol, intake, screen(intake, nullptr, builtin_rules()),
                                  nullptr, builtin_catalogue());
    for (const auto& step : plan.steps) {
      for (const auto& p : step.pressure) {
        if (!(p.fraction > 0.0 && p.fraction <= 1.0)) std::abort();
      }
      if (step.step.duration_s < step.step.min_duration_s - 1e-6) std::abort();
    }
  } catch (const headspa::InputError&) {
    // Unknown products and budgets shorter than the minima are input errors.
  }
  return 0;
}
