#include "headspa/care/protocol.hpp"

#include <gtest/gtest.h>

#include <string>

#include "care/test_util.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/products.hpp"

namespace headspa::care {
namespace {

using testing::input_error_of;

// A small valid protocol; the error cases below each change one thing in it.
constexpr std::string_view kValid = R"(format: headspa/protocol@1
id: tiny
title: Tiny
source: test
duration_s: {min: 60, max: 600}
steps:
  - id: wash
    type: care
    kind: cleanse
    device: {water_temp_c: 38}
    duration_s: 60
  - id: circles
    type: massage
    regions: [scalp, temple_left]
    technique: circular_friction
    params: {radius_m: 0.01, frequency_hz: 1}
    pressure: medium
    direction: front_to_back
    cue: breathe deeply
    duration_s: 120
)";

std::string replaced(std::string_view from, std::string_view to) {
  std::string text(kValid);
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(Protocol, ReadsAValidProtocol) {
  const Protocol p = parse_protocol(kValid, "tiny.yaml");
  EXPECT_EQ(p.id, "tiny");
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_FALSE(p.steps[0].is_massage());
  EXPECT_EQ(p.steps[0].care().kind, CareKind::kCleanse);
  EXPECT_EQ(p.steps[0].care().product_role, ProductRole::kCleanser);
  EXPECT_DOUBLE_EQ(*p.steps[0].care().device.water_temp_c, 38.0);
  EXPECT_DOUBLE_EQ(p.steps[0].care().device.water_hard_stop_c, 42.0);
  const MassageStep& m = p.steps[1].massage();
  EXPECT_EQ(m.regions.size(), 6u);
  EXPECT_EQ(m.technique, Technique::kCircularFriction);
  EXPECT_DOUBLE_EQ(*m.params.radius_m, 0.01);
  EXPECT_FALSE(m.params.speed_m_per_s.has_value());
  EXPECT_EQ(m.direction, Direction::kFrontToBack);
  EXPECT_EQ(m.cue, "breathe deeply");
  EXPECT_DOUBLE_EQ(p.steps[1].min_duration_s, 60.0);
  EXPECT_DOUBLE_EQ(p.steps[1].max_duration_s, 180.0);
  EXPECT_DOUBLE_EQ(p.nominal_duration_s(), 180.0);
  EXPECT_EQ(p.steps[1].where.line, 12);
}

struct BadCase {
  const char* name;
  std::string_view from;
  std::string_view to;
  const char* expected;  // the whole "file:line:column: field: message" or its start
};

class BadProtocol : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadProtocol, IsRejectedWithFileLineColumnFieldAndExpectation) {
  const BadCase& c = GetParam();
  const std::string what =
      input_error_of([&] { parse_protocol(replaced(c.from, c.to), "p.yaml"); });
  EXPECT_EQ(what.substr(0, std::string(c.expected).size()), c.expected) << what;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadProtocol,
    ::testing::Values(
        BadCase{"format", "headspa/protocol@1", "headspa/protocol@9",
                "p.yaml:1:9: format: expected 'headspa/protocol@1'"},
        BadCase{"unknown_top_field", "title: Tiny", "titel: Tiny",
                "p.yaml:3:1: titel: unknown field"},
        BadCase{"missing_title", "title: Tiny\n", "", "p.yaml:1:1: title: missing required field"},
        BadCase{"bad_id", "id: tiny", "id: Tiny Spa", "p.yaml:2:5: id: expected a lowercase id"},
        BadCase{"unknown_technique", "circular_friction", "tapping",
                "p.yaml:15:16: steps[1].technique: unknown technique 'tapping' (expected one of: "
                "circular_friction, kneading, press_release, glide, slide_up)"},
        BadCase{"no_go_zone", "temple_left]", "eye_left]",
                "p.yaml:14:22: steps[1].regions[1]: 'eye_left' is a no-go zone"},
        BadCase{"unknown_region", "temple_left]", "shoulder]",
                "p.yaml:14:22: steps[1].regions[1]: unknown region 'shoulder'"},
        BadCase{
            "radius_too_big", "radius_m: 0.01", "radius_m: 0.2",
            "p.yaml:16:24: steps[1].params.radius_m: expected a number 0.003–0.03 m, found 0.2"},
        BadCase{
            "param_of_other_technique", "frequency_hz: 1}", "speed_m_per_s: 1}",
            "p.yaml:16:30: steps[1].params.speed_m_per_s: not a parameter of circular_friction"},
        BadCase{"missing_param", ", frequency_hz: 1}", "}",
                "p.yaml:16:13: steps[1].params.frequency_hz: missing required field"},
        BadCase{"number_is_text", "duration_s: 120", "duration_s: long",
                "p.yaml:20:17: steps[1].duration_s: expected a number 1–3600 s, found 'long'"},
        BadCase{"water_too_hot", "water_temp_c: 38", "water_temp_c: 45",
                "p.yaml:10:28: steps[0].device.water_temp_c: expected a number 36–40 °C"},
        BadCase{"hard_stop_above_42", "water_temp_c: 38}",
                "water_temp_c: 38, water_hard_stop_c: 43}",
                "p.yaml:10:51: steps[0].device.water_hard_stop_c: expected a number 38–42 °C"},
        BadCase{"water_missing", "device: {water_temp_c: 38}", "device: {}",
                "p.yaml:10:13: steps[0].device.water_temp_c: missing required field"},
        BadCase{"steam_on_wet_step", "water_temp_c: 38}", "water_temp_c: 38, steam_time_s: 60}",
                "p.yaml:10:46: steps[0].device.steam_time_s: only steam steps set this"},
        BadCase{"wrong_role", "kind: cleanse", "kind: cleanse\n    product_role: serum",
                "p.yaml:10:19: steps[0].product_role: a cleanse step cannot use a serum"},
        BadCase{"pressure", "pressure: medium", "pressure: hard",
                "p.yaml:17:15: steps[1].pressure: unknown pressure level 'hard'"},
        BadCase{"duplicate_step", "id: circles", "id: wash",
                "p.yaml:12:9: steps[1].id: duplicate step id 'wash'"},
        BadCase{"durations_outside_range", "max: 600}", "max: 100}",
                "p.yaml:7:3: steps: the steps' durations add up to 180 s, outside duration_s"},
        BadCase{"min_above_duration", "duration_s: 120\n",
                "duration_s: 120\n    min_duration_s: 200\n",
                "p.yaml:21:21: steps[1].min_duration_s: expected a number 0–120"},
        BadCase{"malformed_yaml", "regions: [scalp, temple_left]", "regions: [scalp, temple_left",
                "p.yaml:"},
        BadCase{"step_type", "type: massage", "type: dance",
                "p.yaml:13:11: steps[1].type: unknown step type 'dance'"},
        BadCase{"glide_without_direction",
                "technique: circular_friction\n    params: {radius_m: 0.01, frequency_hz: 1}\n"
                "    pressure: medium\n    direction: front_to_back",
                "technique: glide\n    params: {speed_m_per_s: 0.05}\n    pressure: medium",
                "p.yaml:12:5: steps[1].direction: missing required field"}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

TEST(Protocol, PressPointsMustLieInTheStepsRegions) {
  const std::string text = replaced(
      "technique: circular_friction\n    params: {radius_m: 0.01, frequency_hz: 1}",
      "technique: press_release\n    params: {ramp_s: 1, hold_s: 5}\n    points: [GV20, ST6]");
  EXPECT_EQ(input_error_of([&] { parse_protocol(text, "p.yaml"); }),
            "p.yaml:17:20: steps[1].points[1]: point ST6 lies in jaw_left or jaw_right, which is "
            "not among the step's regions");
  const std::string no_points =
      replaced("technique: circular_friction\n    params: {radius_m: 0.01, frequency_hz: 1}",
               "technique: press_release\n    params: {ramp_s: 1, hold_s: 5}");
  EXPECT_NE(input_error_of([&] {
              parse_protocol(no_points, "p.yaml");
            }).find("steps[1].points: missing required field"),
            std::string::npos);
}

TEST(Protocol, JsonInputGivesLinesAndColumnsToo) {
  const std::string json = R"({
  "format": "headspa/protocol@1", "id": "j", "title": "J", "source": "s",
  "duration_s": {"min": 60, "max": 600},
  "steps": [{"id": "a", "type": "massage", "regions": ["throat"], "technique": "glide",
             "params": {"speed_m_per_s": 0.05}, "pressure": "gentle", "direction": "upwards",
             "duration_s": 100}]
})";
  EXPECT_EQ(input_error_of([&] { parse_protocol(json, "p.json"); }),
            "p.json:4:56: steps[0].regions[0]: 'throat' is a no-go zone and can never be a target");
}

TEST(Protocol, JsonOutputReadsBackToTheSameProtocol) {
  for (const auto& id : builtin_protocol_ids()) {
    const Protocol p = builtin_protocol(id);
    const std::string json = protocol_to_json(p);
    const Protocol q = parse_protocol(json, id + ".json");
    EXPECT_EQ(protocol_to_json(q), json) << id;
    EXPECT_EQ(q.steps.size(), p.steps.size());
  }
}

TEST(Protocol, RejectsHostileInput) {
  EXPECT_NE(input_error_of([] { parse_protocol("", "e.yaml"); }).find("empty document"),
            std::string::npos);
  EXPECT_NE(input_error_of([] {
              parse_protocol(std::string(500, '['), "d.yaml");
            }).find("nesting deeper than"),
            std::string::npos);
  EXPECT_NE(input_error_of([] {
              parse_protocol("- - - - - x", "s.yaml");
            }).find("s.yaml:1:1: expected a mapping"),
            std::string::npos);
  EXPECT_NE(input_error_of([] { parse_protocol("a: [1, 2", "m.yaml"); }).find("not valid YAML"),
            std::string::npos);
  // Text must be UTF-8 (found by fuzz_protocol: it could not be written back as JSON).
  EXPECT_EQ(
      input_error_of([] { parse_protocol(replaced("title: Tiny", "title: Ti\xafny"), "u.yaml"); }),
      "u.yaml:3:8: title: expected UTF-8 text");
  EXPECT_EQ(input_error_of(
                [] { parse_protocol(replaced("title: Tiny", "title: \xed\xa0\x80"), "u.yaml"); }),
            "u.yaml:3:8: title: expected UTF-8 text");
  EXPECT_NO_THROW(parse_protocol(
      replaced("title: Tiny", "title: Kopfmassage \xe2\x80\x93 \xe9\xa0\xad"), "u.yaml"));
}

TEST(Protocol, ProductsMustExistAndFitTheStep) {
  std::string text = replaced("kind: cleanse", "kind: cleanse\n    products: [serum_growth]");
  Protocol p = parse_protocol(text, "p.yaml");
  EXPECT_EQ(input_error_of([&] { check_protocol_products(p, builtin_catalogue()); }),
            "p.yaml:7:5: steps[0].products[0]: product 'serum_growth' is a serum, not what a "
            "cleanse step uses");
  text = replaced("kind: cleanse", "kind: cleanse\n    products: [soap]");
  p = parse_protocol(text, "p.yaml");
  EXPECT_EQ(input_error_of([&] { check_protocol_products(p, builtin_catalogue()); }),
            "p.yaml:7:5: steps[0].products[0]: unknown product 'soap' (not in the product "
            "catalogue)");
  for (const auto& id : builtin_protocol_ids()) {
    EXPECT_NO_THROW(check_protocol_products(builtin_protocol(id), builtin_catalogue())) << id;
  }
}

TEST(Protocol, UnknownBuiltinNamesTheKnownOnes) {
  EXPECT_EQ(input_error_of([] { builtin_protocol("thai"); }),
            "protocol: unknown protocol 'thai' (expected one of: head-therapy, scalp-self, "
            "face-and-scalp, japanese-head-spa)");
}

}  // namespace
}  // namespace headspa::care
