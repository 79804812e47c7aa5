#include "headspa/care/intake.hpp"

#include <gtest/gtest.h>

#include "care/test_util.hpp"

namespace headspa::care {
namespace {

using testing::input_error_of;

TEST(Intake, ReadsEveryField) {
  const Intake in = parse_intake(R"(format: headspa/intake@1
client: C-17
conditions: [pregnancy, migraine_attack]
goals: [stress, hair_growth]
pressure_preference: firm
sensitive_areas: [face, temple_left]
tense_areas: [skull_base, neck]
allergies: [coconut_oil, essential_oil]
time_budget_s: 1800
hair_length: long
)",
                                 "in.yaml");
  EXPECT_EQ(in.client, "C-17");
  EXPECT_TRUE(in.has(Condition::kPregnancy));
  EXPECT_TRUE(in.has(Condition::kMigraineAttack));
  EXPECT_FALSE(in.has(Condition::kFever));
  EXPECT_TRUE(in.wants(Goal::kHairGrowth));
  EXPECT_EQ(in.pressure_preference, PressureLevel::kFirm);
  EXPECT_EQ(in.sensitive_regions.size(), 7u);
  EXPECT_EQ(in.sensitive_area_names, (std::vector<std::string>{"face", "temple_left"}));
  EXPECT_EQ(in.tense_regions.size(), 4u);  // skull_base + neck_back and both neck sides
  EXPECT_EQ(in.tense_area_names, (std::vector<std::string>{"skull_base", "neck"}));
  EXPECT_EQ(in.allergies, (std::vector<std::string>{"coconut_oil", "essential_oil"}));
  EXPECT_DOUBLE_EQ(*in.time_budget_s, 1800.0);
  EXPECT_EQ(in.hair_length, HairLength::kLong);
}

TEST(Intake, DefaultsWhenFieldsAreLeftOut) {
  const Intake in = parse_intake("format: headspa/intake@1\n", "in.yaml");
  EXPECT_TRUE(in.conditions.empty());
  EXPECT_EQ(in.pressure_preference, PressureLevel::kMedium);
  EXPECT_EQ(in.hair_length, HairLength::kMedium);
  EXPECT_FALSE(in.time_budget_s.has_value());
}

TEST(Intake, ReadsJsonAndWritesItBack) {
  const std::string json = R"({"format": "headspa/intake@1", "conditions": ["fever"],
    "goals": ["dandruff"], "allergies": ["parfum"], "time_budget_s": 900})";
  const Intake in = parse_intake(json, "in.json");
  EXPECT_TRUE(in.has(Condition::kFever));
  const Intake again = parse_intake(intake_to_json(in), "again.json");
  EXPECT_EQ(intake_to_json(again), intake_to_json(in));
}

TEST(Intake, UnknownConditionIsAnErrorNamingIt) {
  EXPECT_PRED2(testing::starts_with, input_error_of([] {
                 parse_intake("format: headspa/intake@1\nconditions: [fever, flu]\n", "in.yaml");
               }),
               "in.yaml:2:21: conditions[1]: unknown condition 'flu' (expected one");
  EXPECT_PRED2(testing::starts_with, input_error_of([] {
                 parse_intake(
                     R"({"format": "headspa/intake@1", "conditions": ["scalp_infektion"]})",
                     "in.json");
               }),
               "in.json:1:47: conditions[0]: unknown condition 'scalp_infektion'");
}

TEST(Intake, OtherBadFieldsSayWhatWasExpected) {
  auto err = [](const std::string& body) {
    return input_error_of([&] { parse_intake("format: headspa/intake@1\n" + body, "in.yaml"); });
  };
  EXPECT_PRED2(testing::starts_with, err("goals: [fame]\n"),
               "in.yaml:2:9: goals[0]: unknown goal 'fame' (exp");
  EXPECT_PRED2(testing::starts_with, err("pressure_preference: hard\n"),
               "in.yaml:2:22: pressure_preference: unknown pressure preference 'hard' (expe");
  EXPECT_EQ(err("sensitive_areas: [lips]\n"),
            "in.yaml:2:19: sensitive_areas[0]: 'lips' is a no-go zone and can never be a target");
  EXPECT_EQ(err("tense_areas: [eye_left]\n"),
            "in.yaml:2:15: tense_areas[0]: 'eye_left' is a no-go zone and can never be a target");
  EXPECT_EQ(err("time_budget_s: 60\n"),
            "in.yaml:2:16: time_budget_s: expected a number 300–10800 s, found 60");
  EXPECT_EQ(err("allergies: [Coconut Oil]\n"),
            "in.yaml:2:13: allergies[0]: expected an ingredient id or family in snake_case "
            "(e.g. coconut_oil), found 'Coconut Oil'");
  EXPECT_EQ(err("conditions: [fever, fever]\n"),
            "in.yaml:2:21: conditions[1]: duplicate condition");
  EXPECT_PRED2(testing::starts_with, err("hair: long\n"), "in.yaml:2:1: hair: unknown field (");
  EXPECT_EQ(err("conditions: fever\n"),
            "in.yaml:2:13: conditions: expected a sequence, found 'fever'");
  EXPECT_EQ(input_error_of([] { parse_intake("format: headspa/intake@2\n", "in.yaml"); }),
            "in.yaml:1:9: format: expected 'headspa/intake@1', found 'headspa/intake@2'");
}

}  // namespace
}  // namespace headspa::care
