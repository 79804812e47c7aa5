#include "headspa/care/home_care.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace headspa::care {
namespace {

const HomeCareItem* item(const HomeCareRoutine& r, const std::string& id) {
  for (const auto& i : r.items) {
    if (i.id == id) return &i;
  }
  return nullptr;
}

HomeCareRoutine routine(const Intake& in, const ScalpFindings* f = nullptr) {
  return make_home_care(in, f, builtin_rules(), builtin_catalogue());
}

TEST(HomeCare, HasEveryPieceOfTheSourcesAdvice) {
  const HomeCareRoutine r = routine(Intake{});
  EXPECT_FALSE(r.on_hold);
  const HomeCareItem* massage = item(r, "massage-while-shampooing");
  ASSERT_NE(massage, nullptr);
  EXPECT_GE(massage->duration_s, 180.0);
  EXPECT_LE(massage->duration_s, 300.0);
  ASSERT_NE(item(r, "sulfate-free-products"), nullptr);
  EXPECT_EQ(item(r, "weekly-exfoliation")->frequency, "once a week");
  EXPECT_NE(item(r, "diet-vitamins")->advice.find("vitamins A, C and E"), std::string::npos);
  ASSERT_NE(item(r, "hydration"), nullptr);
  ASSERT_NE(item(r, "manage-stress"), nullptr);
  // Every suggested product is sulfate-free.
  for (const auto& i : r.items) {
    for (const auto& id : i.product_ids) EXPECT_TRUE(builtin_catalogue().find(id)->sulfate_free);
  }
}

TEST(HomeCare, IsFittedToGoalsFindingsAndAllergies) {
  Intake in;
  in.goals = {Goal::kHairGrowth};
  in.allergies = {"physical_exfoliant"};
  ScalpFindings f;
  f.findings.push_back(ScalpFinding{ScalpFindingName::kRedSensitive, 0.7, true});
  const HomeCareRoutine r = routine(in, &f);
  EXPECT_DOUBLE_EQ(item(r, "massage-while-shampooing")->duration_s, 240.0);
  EXPECT_EQ(item(r, "massage-while-shampooing")->product_ids,
            std::vector<std::string>{"cleanser_soothing"});
  // Red scalp: no scrubs, no salicylic acid; every exfoliant is excluded, so none is advised.
  EXPECT_EQ(item(r, "weekly-exfoliation"), nullptr);
  Intake stress;
  stress.goals = {Goal::kStress};
  const HomeCareRoutine s = routine(stress);
  EXPECT_DOUBLE_EQ(item(s, "massage-while-shampooing")->duration_s, 300.0);
  Intake sensitive;
  sensitive.conditions = {Condition::kSensitiveSkin};
  EXPECT_EQ(item(routine(sensitive), "weekly-exfoliation")->frequency, "once every two weeks");
}

TEST(HomeCare, IsOnHoldWhileAPrecautionApplies) {
  Intake in;
  in.conditions = {Condition::kScalpInfection};
  const HomeCareRoutine r = routine(in);
  EXPECT_TRUE(r.on_hold);
  EXPECT_EQ(item(r, "massage-while-shampooing"), nullptr);
  EXPECT_EQ(item(r, "weekly-exfoliation"), nullptr);
  EXPECT_NE(item(r, "diet-vitamins"), nullptr);
  EXPECT_NE(home_care_to_text(r).find("On hold"), std::string::npos);
  EXPECT_NE(home_care_to_json(r).find("\"on_hold\": true"), std::string::npos);
}

}  // namespace
}  // namespace headspa::care
