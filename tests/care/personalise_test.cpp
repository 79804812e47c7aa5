#include "headspa/care/personalise.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "care/test_util.hpp"
#include "headspa/care/builtin.hpp"

namespace headspa::care {
namespace {

using testing::input_error_of;

PersonalisedProtocol run(const std::string& protocol, const Intake& in,
                         const ScalpFindings* findings = nullptr) {
  return personalise(builtin_protocol(protocol), in, screen(in, findings, builtin_rules()),
                     findings, builtin_catalogue());
}

const PersonalisedStep* step(const PersonalisedProtocol& p, const std::string& id) {
  for (const auto& s : p.steps) {
    if (s.step.id == id) return &s;
  }
  return nullptr;
}

bool changed(const PersonalisedProtocol& p, const std::string& step_id, const std::string& word) {
  return std::any_of(p.changes.begin(), p.changes.end(), [&](const Change& c) {
    return c.step_id == step_id && (c.what + " " + c.reason).find(word) != std::string::npos;
  });
}

ScalpFindings finding(ScalpFindingName name, double score) {
  ScalpFindings f;
  f.findings.push_back(ScalpFinding{name, score, true});
  return f;
}

TEST(Personalise, WithoutAnswersTheProtocolIsKept) {
  const Protocol p = builtin_protocol("head-therapy");
  const PersonalisedProtocol plan = run("head-therapy", Intake{});
  EXPECT_EQ(plan.decision, Decision::kProceed);
  ASSERT_EQ(plan.steps.size(), p.steps.size());
  EXPECT_DOUBLE_EQ(plan.total_duration_s(), p.nominal_duration_s());
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    EXPECT_DOUBLE_EQ(plan.steps[i].step.duration_s, p.steps[i].duration_s);
    if (!p.steps[i].is_massage()) continue;
    ASSERT_EQ(plan.steps[i].pressure.size(), p.steps[i].massage().regions.size());
    for (const auto& rp : plan.steps[i].pressure) {
      EXPECT_DOUBLE_EQ(rp.fraction, pressure_fraction(p.steps[i].massage().pressure));
    }
  }
  // The only change: the oil chosen for the scalp, the first candidate.
  EXPECT_EQ(step(plan, "scalp-oil")->product_id, "oil_coconut");
}

TEST(Personalise, GoalsMoveTimeToTheStepsThatServeThemAndKeepTheTotal) {
  Intake in;
  in.goals = {Goal::kNeckPain};
  const Protocol p = builtin_protocol("head-therapy");
  const PersonalisedProtocol plan = run("head-therapy", in);
  EXPECT_NEAR(plan.total_duration_s(), p.nominal_duration_s(), 1e-6);
  EXPECT_GT(step(plan, "neck-to-shoulders")->step.duration_s,
            p.find_step("neck-to-shoulders")->duration_s);
  EXPECT_LT(step(plan, "cheeks-outwards")->step.duration_s,
            p.find_step("cheeks-outwards")->duration_s);
  for (const auto& s : plan.steps) {
    EXPECT_GE(s.step.duration_s, s.step.min_duration_s - 1e-9);
    EXPECT_LE(s.step.duration_s, s.step.max_duration_s + 1e-9);
  }
  EXPECT_TRUE(changed(plan, "neck-to-shoulders", "neck_pain"));
}

TEST(Personalise, PressurePreferenceScalesWithinTheCap) {
  Intake firm;
  firm.pressure_preference = PressureLevel::kFirm;
  const PersonalisedProtocol plan = run("head-therapy", firm);
  const auto& kneading = step(plan, "scalp-kneading")->pressure;
  ASSERT_FALSE(kneading.empty());
  EXPECT_NEAR(kneading.front().fraction, 0.85 * 1.15, 1e-12);
  Intake gentle;
  gentle.pressure_preference = PressureLevel::kGentle;
  EXPECT_NEAR(step(run("head-therapy", gentle), "scalp-kneading")->pressure.front().fraction,
              0.85 * 0.8, 1e-12);
  for (const auto& s : plan.steps) {
    for (const auto& rp : s.pressure) EXPECT_LE(rp.fraction, 1.0);
  }
  EXPECT_TRUE(changed(plan, "", "prefers firm"));
}

TEST(Personalise, SensitiveAreasAreKeptGentle) {
  Intake in;
  in.pressure_preference = PressureLevel::kFirm;
  in.sensitive_regions = {Region::kTempleLeft};
  const PersonalisedProtocol plan = run("head-therapy", in);
  for (const auto& rp : step(plan, "temples-circles")->pressure) {
    EXPECT_DOUBLE_EQ(rp.fraction, rp.region == Region::kTempleLeft ? 0.45 : 0.65 * 1.15);
  }
  EXPECT_TRUE(changed(plan, "temples-circles", "sensitive area"));
}

TEST(Personalise, TimeBudgetRescalesAndKeepsEachStepsMinimum) {
  Intake in;
  in.time_budget_s = 1800;
  const Protocol p = builtin_protocol("japanese-head-spa");
  PersonalisedProtocol plan = run("japanese-head-spa", in);
  EXPECT_NEAR(plan.total_duration_s(), 1800.0, 1e-6);
  for (const auto& s : plan.steps) EXPECT_GE(s.step.duration_s, s.step.min_duration_s - 1e-9);
  EXPECT_EQ(plan.steps.size(), p.steps.size());
  const auto& steam = step(plan, "warm-steam")->step;
  EXPECT_LT(steam.duration_s, 360.0);
  EXPECT_DOUBLE_EQ(*steam.care().device.steam_time_s, steam.duration_s);
  EXPECT_TRUE(changed(plan, "warm-steam", "steam time 360 s"));
  // Below the minima of all steps, the optional exfoliation goes first.
  in.time_budget_s = 1200;
  plan = run("japanese-head-spa", in);
  EXPECT_EQ(step(plan, "exfoliate"), nullptr);
  EXPECT_TRUE(changed(plan, "exfoliate", "optional step left out"));
  EXPECT_LE(plan.total_duration_s(), 1200.0);
  // Below the required minimum: an error naming the field.
  in.time_budget_s = 600;
  EXPECT_NE(input_error_of([&] {
              run("japanese-head-spa", in);
            }).find("time_budget_s: a budget of 600 s is shorter than the"),
            std::string::npos);
  // A larger budget stretches the session up to the protocol's longest.
  in.time_budget_s = 1200;
  plan = run("face-and-scalp", in);
  EXPECT_NEAR(plan.total_duration_s(), 1020.0, 1e-6);  // every step at its maximum
}

TEST(Personalise, ScalpFindingsChooseCleanserAndSerum) {
  const Intake in;
  const ScalpFindings dry = finding(ScalpFindingName::kFlakyDry, 0.8);
  PersonalisedProtocol plan = run("japanese-head-spa", in, &dry);
  EXPECT_EQ(step(plan, "deep-cleanse")->product_id, "cleanser_moisturising");
  EXPECT_EQ(step(plan, "nourish")->product_id, "serum_hydrating");
  EXPECT_TRUE(changed(plan, "deep-cleanse", "flaky_dry"));
  const ScalpFindings oily = finding(ScalpFindingName::kOily, 0.7);
  plan = run("japanese-head-spa", in, &oily);
  EXPECT_EQ(step(plan, "deep-cleanse")->product_id, "cleanser_balancing");
  EXPECT_EQ(step(plan, "nourish")->product_id, "serum_balancing");
  const ScalpFindings red = finding(ScalpFindingName::kRedSensitive, 0.6);
  plan = run("japanese-head-spa", in, &red);
  EXPECT_EQ(step(plan, "deep-cleanse")->product_id, "cleanser_soothing");
  EXPECT_EQ(step(plan, "nourish")->product_id, "serum_calming");
  // Flaky scalp plus a dandruff goal: the anti-dandruff cleanser.
  Intake dandruff;
  dandruff.goals = {Goal::kDandruff};
  plan = run("japanese-head-spa", dandruff, &dry);
  EXPECT_EQ(step(plan, "deep-cleanse")->product_id, "cleanser_anti_dandruff");
}

TEST(Personalise, NoAllergenEverReachesAPlan) {
  const auto& catalogue = builtin_catalogue();
  std::vector<std::string> allergens;
  for (const auto& ing : catalogue.ingredients()) {
    allergens.push_back(ing.id);
    for (const auto& f : ing.families) allergens.push_back(f);
  }
  for (const auto& allergen : allergens) {
    Intake in;
    in.allergies = {allergen};
    for (const auto& id : builtin_protocol_ids()) {
      const PersonalisedProtocol plan = run(id, in);
      for (const auto& s : plan.steps) {
        if (s.product_id.empty()) continue;
        EXPECT_FALSE(catalogue.allergen_in(*catalogue.find(s.product_id), allergen))
            << id << ": " << s.product_id << " contains " << allergen;
        EXPECT_FALSE(
            std::any_of(plan.excluded_products.begin(), plan.excluded_products.end(),
                        [&](const ExcludedProduct& e) { return e.product_id == s.product_id; }));
      }
    }
  }
  Intake coconut;
  coconut.allergies = {"coconut_oil"};
  const PersonalisedProtocol plan = run("scalp-self", coconut);
  EXPECT_EQ(step(plan, "oils")->product_id, "oil_raspberry_seed");
  ASSERT_FALSE(plan.excluded_products.empty());
  EXPECT_EQ(plan.excluded_products.front().product_id, "oil_coconut");
  EXPECT_EQ(plan.excluded_products.front().reason, "allergy to coconut_oil");
}

TEST(Personalise, AnAllergyTheCatalogueDoesNotKnowNeedsTheOperator) {
  Intake in;
  in.allergies = {"penicillin"};
  const PersonalisedProtocol plan = run("japanese-head-spa", in);
  ASSERT_EQ(plan.confirmations.size(), 1u);
  EXPECT_EQ(plan.confirmations[0].source, "allergy:penicillin");
  EXPECT_EQ(plan.decision, Decision::kModified);
}

TEST(Personalise, HairLengthSetsRinseAndStylingTime) {
  Intake in;
  in.hair_length = HairLength::kLong;
  const PersonalisedProtocol plan = run("japanese-head-spa", in);
  EXPECT_DOUBLE_EQ(step(plan, "dry-and-style")->step.duration_s, 180.0 * 1.4);
  EXPECT_TRUE(changed(plan, "rinse", "hair length long"));
}

TEST(Personalise, IsDeterministicAndSerialises) {
  Intake in;
  in.goals = {Goal::kStress, Goal::kHairGrowth};
  in.time_budget_s = 2000;
  in.allergies = {"parfum"};
  const ScalpFindings dry = finding(ScalpFindingName::kFlakyDry, 0.5);
  const std::string a = personalised_to_json(run("japanese-head-spa", in, &dry));
  const std::string b = personalised_to_json(run("japanese-head-spa", in, &dry));
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("\"pressure_fraction\""), std::string::npos);
  EXPECT_NE(a.find("\"product\": \"cleanser_moisturising\""), std::string::npos);
  EXPECT_NE(personalised_to_text(run("japanese-head-spa", in, &dry)).find("changes:"),
            std::string::npos);
}

TEST(Personalise, OptionsAreValidated) {
  std::string why;
  EXPECT_TRUE(PersonaliseOptions{}.IsValid(&why));
  PersonaliseOptions o;
  o.sensitive_area_max_fraction = 1.5;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("sensitive_area_max_fraction"), std::string::npos);
  EXPECT_THROW(
      personalise(builtin_protocol("scalp-self"), Intake{},
                  screen(Intake{}, nullptr, builtin_rules()), nullptr, builtin_catalogue(), o),
      InternalError);
}

}  // namespace
}  // namespace headspa::care
