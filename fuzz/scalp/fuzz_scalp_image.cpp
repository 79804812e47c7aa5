// libFuzzer target: any bytes → decode → analyse (with overlay) → JSON → parse back.
// Bad input must end in headspa::InputError, never in a crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/scalp/analyzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static headspa::scalp::ScalpAnalyzer analyzer;
  try {
    headspa::scalp::Overlay overlay;
    auto one = analyzer.analyze_encoded(data, size, "fuzz", &overlay);
    const auto all = headspa::scalp::aggregate({std::move(one)});
    const std::string json = headspa::scalp::to_json(all);
    (void)headspa::scalp::parse_scalp_analysis(json);
  } catch (const headspa::InputError&) {
    // Expected for malformed or unusable images.
  }
  return 0;
}
