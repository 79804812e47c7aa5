// libFuzzer target: any bytes → decode → analyse (with overlay) → JSON → parse back.
// Bad input must end in headspa::InputError, never in a crash, a leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/scalp/analyzer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A small working size keeps each run fast; every code path is the same as at full size.
  static headspa::scalp::ScalpAnalyzer analyzer([] {
    headspa::scalp::AnalyzerOptions o;
    o.working_pixels = 96 * 96;
    o.um_per_px = 2.5;
    return o;
  }());
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
