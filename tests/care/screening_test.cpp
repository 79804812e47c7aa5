#include "headspa/care/screening.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "care/test_util.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/personalise.hpp"

namespace headspa::care {
namespace {

using testing::input_error_of;

Intake intake_with(std::vector<Condition> conditions,
                   PressureLevel preference = PressureLevel::kMedium) {
  Intake in;
  in.conditions = std::move(conditions);
  in.pressure_preference = preference;
  return in;
}

ScalpFindings findings_with(std::optional<ScalpFindingName> present, bool lesion) {
  ScalpFindings f;
  for (ScalpFindingName n : all_of<ScalpFindingName>()) {
    f.findings.push_back(ScalpFinding{n, n == present ? 0.9 : 0.1, n == present});
  }
  f.suspected_open_lesion = lesion;
  return f;
}

bool any_step(const PersonalisedProtocol& p,
              const std::function<bool(const PersonalisedStep&)>& f) {
  return std::any_of(p.steps.begin(), p.steps.end(), f);
}

bool has_kind(const PersonalisedProtocol& p, CareKind kind) {
  return any_step(p, [&](const PersonalisedStep& s) {
    return !s.step.is_massage() && s.step.care().kind == kind;
  });
}

bool touches(const PersonalisedProtocol& p, Region r) {
  return any_step(p, [&](const PersonalisedStep& s) {
    return s.step.is_massage() &&
           std::count(s.step.massage().regions.begin(), s.step.massage().regions.end(), r) > 0;
  });
}

double max_fraction(const PersonalisedProtocol& p, const std::function<bool(Region)>& which) {
  double m = 0.0;
  for (const auto& s : p.steps) {
    for (const auto& rp : s.pressure) {
      if (which(rp.region)) m = std::max(m, rp.fraction);
    }
  }
  return m;
}

bool excluded(const PersonalisedProtocol& p, const std::string& product) {
  return std::any_of(p.excluded_products.begin(), p.excluded_products.end(),
                     [&](const ExcludedProduct& e) { return e.product_id == product; });
}

bool confirms(const PersonalisedProtocol& p, const std::string& source) {
  return std::any_of(p.confirmations.begin(), p.confirmations.end(),
                     [&](const Confirmation& c) { return c.source == source; });
}

// One case per built-in rule: what triggers it, the protocol it is tried on, and what it must
// do to that protocol.
struct RuleCase {
  std::string rule_id;
  Intake intake;
  std::optional<ScalpFindings> findings;
  std::string protocol;
  std::function<bool(const PersonalisedProtocol&)> effect_seen;
};

std::vector<RuleCase> rule_cases() {
  using C = Condition;
  auto refused_by = [](std::string id) {
    return [id](const PersonalisedProtocol& p) {
      return p.decision == Decision::kRefused && p.steps.empty() &&
             std::any_of(p.refusal_reasons.begin(), p.refusal_reasons.end(),
                         [&](const std::string& r) { return r.rfind(id + ": ", 0) == 0; });
    };
  };
  auto confirmed_by = [](std::string id) {
    return [id](const PersonalisedProtocol& p) {
      return p.decision == Decision::kModified && confirms(p, id);
    };
  };
  const auto no_steam = [](const PersonalisedProtocol& p) {
    return !has_kind(p, CareKind::kSteam) && has_kind(p, CareKind::kRinse);
  };
  const auto no_neck_sides = [](const PersonalisedProtocol& p) {
    return !touches(p, Region::kNeckSideLeft) && !touches(p, Region::kNeckSideRight) &&
           touches(p, Region::kNeckBack);
  };
  return {
      {"refuse-scalp-infection",
       intake_with({C::kScalpInfection}),
       {},
       "japanese-head-spa",
       refused_by("refuse-scalp-infection")},
      {"refuse-open-wound",
       intake_with({C::kOpenWound}),
       {},
       "japanese-head-spa",
       refused_by("refuse-open-wound")},
      {"refuse-severe-psoriasis",
       intake_with({C::kSeverePsoriasis}),
       {},
       "head-therapy",
       refused_by("refuse-severe-psoriasis")},
      {"refuse-recent-surgery",
       intake_with({C::kRecentHeadNeckSurgery}),
       {},
       "head-therapy",
       refused_by("refuse-recent-surgery")},
      {"refuse-recent-injury",
       intake_with({C::kRecentHeadNeckInjury}),
       {},
       "scalp-self",
       refused_by("refuse-recent-injury")},
      {"refuse-fever", intake_with({C::kFever}), {}, "face-and-scalp", refused_by("refuse-fever")},
      {"migraine-skip-steam", intake_with({C::kMigraineAttack}), {}, "japanese-head-spa", no_steam},
      {"migraine-skip-points",
       intake_with({C::kMigraineAttack}),
       {},
       "japanese-head-spa",
       [](const PersonalisedProtocol& p) {
         return !any_step(p, [](const PersonalisedStep& s) {
           return s.step.is_massage() && s.step.massage().technique == Technique::kPressRelease;
         }) && p.steps.size() > 3;
       }},
      {"migraine-gentle",
       intake_with({C::kMigraineAttack}, PressureLevel::kFirm),
       {},
       "head-therapy",
       [](const PersonalisedProtocol& p) {
         return max_fraction(p, [](Region) { return true; }) <= 0.45 && !p.steps.empty();
       }},
      {"migraine-confirm",
       intake_with({C::kMigraineAttack}),
       {},
       "scalp-self",
       confirmed_by("migraine-confirm")},
      {"pregnancy-no-essential-oils",
       intake_with({C::kPregnancy}),
       {},
       "japanese-head-spa",
       [](const PersonalisedProtocol& p) {
         return excluded(p, "serum_growth") && excluded(p, "exfoliant_salt_scrub") &&
                !excluded(p, "serum_hydrating");
       }},
      {"pregnancy-confirm",
       intake_with({C::kPregnancy}),
       {},
       "head-therapy",
       confirmed_by("pregnancy-confirm")},
      {"carotid-skip-neck-sides",
       intake_with({C::kCarotidDisease}),
       {},
       "head-therapy",
       no_neck_sides},
      {"carotid-gentle-neck-back",
       intake_with({C::kCarotidDisease}, PressureLevel::kFirm),
       {},
       "head-therapy",
       [](const PersonalisedProtocol& p) {
         return max_fraction(p, [](Region r) { return r == Region::kNeckBack; }) <= 0.45 &&
                max_fraction(p, is_scalp) > 0.9;
       }},
      {"blood-pressure-skip-neck-sides",
       intake_with({C::kBloodPressureProblem}),
       {},
       "head-therapy",
       no_neck_sides},
      {"blood-pressure-skip-steam",
       intake_with({C::kBloodPressureProblem}),
       {},
       "japanese-head-spa",
       no_steam},
      {"blood-pressure-confirm",
       intake_with({C::kBloodPressureProblem}),
       {},
       "japanese-head-spa",
       confirmed_by("blood-pressure-confirm")},
      {"sensitive-skin-gentle-face",
       intake_with({C::kSensitiveSkin}),
       {},
       "head-therapy",
       [](const PersonalisedProtocol& p) {
         return max_fraction(p, is_face) <= 0.45 && max_fraction(p, is_scalp) >= 0.85;
       }},
      {"sensitive-skin-no-scrub",
       intake_with({C::kSensitiveSkin}),
       {},
       "japanese-head-spa",
       [](const PersonalisedProtocol& p) {
         return excluded(p, "exfoliant_gentle_scrub") && excluded(p, "exfoliant_salt_scrub") &&
                any_step(p, [](const PersonalisedStep& s) {
                  return s.product_id == "exfoliant_salicylic";
                });
       }},
      {"lesion-confirm", Intake{}, findings_with(std::nullopt, true), "head-therapy",
       [](const PersonalisedProtocol& p) {
         bool ok = confirms(p, "lesion-confirm") && p.decision == Decision::kModified;
         for (const auto& s : p.steps) {
           const auto& regions =
               s.step.is_massage() ? s.step.massage().regions : s.step.care().regions;
           const bool scalp = std::any_of(regions.begin(), regions.end(), is_scalp);
           ok = ok && s.needs_confirmation == scalp;
         }
         return ok;
       }},
      {"red-scalp-no-firm", Intake{}, findings_with(ScalpFindingName::kRedSensitive, false),
       "head-therapy",
       [](const PersonalisedProtocol& p) {
         return max_fraction(p, is_scalp) <= 0.65 &&
                max_fraction(p, [](Region r) { return r == Region::kSkullBase; }) >= 0.65;
       }},
      {"red-scalp-no-scrub", Intake{}, findings_with(ScalpFindingName::kRedSensitive, false),
       "japanese-head-spa",
       [](const PersonalisedProtocol& p) {
         return excluded(p, "exfoliant_salicylic") && excluded(p, "exfoliant_gentle_scrub") &&
                !has_kind(p, CareKind::kExfoliate);
       }},
  };
}

TEST(ScreeningRules, EveryRuleMatchesItsTriggerAndActsOnThePlan) {
  for (const auto& c : rule_cases()) {
    SCOPED_TRACE(c.rule_id);
    const ScalpFindings* findings = c.findings ? &*c.findings : nullptr;
    const ScreeningResult result = screen(c.intake, findings, builtin_rules());
    EXPECT_TRUE(std::any_of(result.matched.begin(), result.matched.end(),
                            [&](const ScreeningRule& r) { return r.id == c.rule_id; }));
    const PersonalisedProtocol plan =
        personalise(builtin_protocol(c.protocol), c.intake, result, findings, builtin_catalogue());
    EXPECT_TRUE(c.effect_seen(plan)) << personalised_to_text(plan);
    // Without the trigger the rule does not match.
    const ScreeningResult clean = screen(Intake{}, nullptr, builtin_rules());
    EXPECT_EQ(clean.decision, Decision::kProceed);
    EXPECT_TRUE(clean.matched.empty());
  }
}

TEST(ScreeningRules, EveryBuiltInRuleAndEveryConditionIsCovered) {
  std::set<std::string> tested;
  for (const auto& c : rule_cases()) tested.insert(c.rule_id);
  std::set<Condition> conditions;
  for (const auto& rule : builtin_rules().rules) {
    EXPECT_TRUE(tested.count(rule.id)) << "no test for rule " << rule.id;
    EXPECT_FALSE(rule.reason.empty());
    if (rule.when.condition) conditions.insert(*rule.when.condition);
  }
  for (Condition c : all_of<Condition>()) {
    EXPECT_TRUE(conditions.count(c)) << "no rule for " << to_string(c);
  }
}

TEST(ScreeningRules, TheSourcesThreePrecautionsRefuse) {
  for (Condition c :
       {Condition::kScalpInfection, Condition::kOpenWound, Condition::kSeverePsoriasis}) {
    const ScreeningResult r = screen(intake_with({c}), nullptr, builtin_rules());
    EXPECT_EQ(r.decision, Decision::kRefused) << to_string(c);
    EXPECT_NE(r.reasons().front().find("heal"), std::string::npos);
  }
}

TEST(ScreeningRules, DecisionAndBriefReport) {
  const ScreeningResult r =
      screen(intake_with({Condition::kFever, Condition::kPregnancy}), nullptr, builtin_rules());
  EXPECT_EQ(r.decision, Decision::kRefused);
  EXPECT_EQ(r.BriefReport(),
            "refused (3 rules: refuse-fever, pregnancy-no-essential-oils, pregnancy-confirm)");
  EXPECT_EQ(screen(intake_with({Condition::kPregnancy}), nullptr, builtin_rules()).decision,
            Decision::kModified);
  EXPECT_EQ(screen(Intake{}, nullptr, builtin_rules()).BriefReport(), "proceed (no rule matched)");
}

TEST(ScreeningRules, TableErrorsAreReported) {
  auto err = [](const std::string& rules) {
    return input_error_of(
        [&] { RuleTable::parse("format: headspa/screening-rules@1\nrules:\n" + rules, "r.yaml"); });
  };
  EXPECT_PRED2(testing::starts_with,
               err("  - {id: a, when: {condition: flu}, effect: refuse, reason: x}\n"),
               "r.yaml:3:31: rules[0].when.condition: unknown condition 'flu' (expected");
  EXPECT_PRED2(testing::starts_with,
               err("  - {id: a, when: {finding: itchy}, effect: refuse, reason: x}\n"),
               "r.yaml:3:29: rules[0].when.finding: unknown finding (or sus");
  EXPECT_PRED2(testing::starts_with,
               err("  - {id: a, when: {condition: fever}, effect: ban, reason: x}\n"),
               "r.yaml:3:47: rules[0].effect: unknown effect 'ban' (expect");
  EXPECT_EQ(
      err("  - {id: a, when: {condition: fever}, effect: lower_cap, regions: [face], reason: x}\n"),
      "r.yaml:3:5: rules[0].max_fraction: missing required field");
  EXPECT_EQ(
      err("  - {id: a, when: {condition: fever}, effect: refuse, regions: [face], reason: x}\n"),
      "r.yaml:3:64: rules[0].regions: a refuse rule does not take this field");
  EXPECT_EQ(err("  - {id: a, when: {condition: fever}, effect: skip, reason: x}\n"),
            "r.yaml:3:5: rules[0]: a skip rule names regions, techniques or care_kinds");
  EXPECT_EQ(
      err("  - {id: a, when: {condition: fever, finding: oily}, effect: refuse, reason: x}\n"),
      "r.yaml:3:19: rules[0].when: expected exactly one of condition or finding");
}

// Screening and personalisation together, over combinations of intake answers.
struct Combination {
  const char* name;
  const char* protocol;
  const char* intake_yaml;  // without the format line
  const char* error;        // when not null, the InputError's message must contain it
  Decision decision;
  std::vector<std::string> forbidden_ingredients;  // never in a chosen product
  double max_face_fraction;
  double max_total_s;
};

class Combinations : public ::testing::TestWithParam<Combination> {};

TEST_P(Combinations, GiveTheExpectedDecisionAndPlan) {
  const Combination& c = GetParam();
  const std::string text = std::string("format: headspa/intake@1\n") + c.intake_yaml;
  if (c.error != nullptr) {
    const std::string what = input_error_of([&] { parse_intake(text, "in.yaml"); });
    EXPECT_NE(what.find(c.error), std::string::npos) << what;
    return;
  }
  const Intake in = parse_intake(text, "in.yaml");
  const ScreeningResult result = screen(in, nullptr, builtin_rules());
  EXPECT_EQ(result.decision, c.decision);
  const Protocol protocol = builtin_protocol(c.protocol);
  const PersonalisedProtocol plan = personalise(protocol, in, result, nullptr, builtin_catalogue());
  EXPECT_EQ(plan.decision, c.decision);
  if (c.decision == Decision::kRefused) {
    EXPECT_TRUE(plan.steps.empty());
    EXPECT_FALSE(plan.refusal_reasons.empty());
    return;
  }
  const auto& catalogue = builtin_catalogue();
  for (const auto& s : plan.steps) {
    if (s.product_id.empty()) continue;
    const Product* p = catalogue.find(s.product_id);
    ASSERT_NE(p, nullptr);
    for (const auto& a : c.forbidden_ingredients) {
      EXPECT_FALSE(catalogue.allergen_in(*p, a).has_value()) << s.product_id << " has " << a;
    }
  }
  EXPECT_LE(max_fraction(plan, is_face), c.max_face_fraction + 1e-12);
  EXPECT_LE(plan.total_duration_s(), c.max_total_s + 1e-6);
  for (const auto& s : plan.steps) {
    EXPECT_GE(s.step.duration_s, s.step.min_duration_s - 1e-9) << s.step.id;
  }
  EXPECT_FALSE(plan.changes.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Table, Combinations,
    ::testing::Values(
        Combination{"allergy_sensitive_face_budget",
                    "head-therapy",
                    "allergies: [coconut_oil]\nsensitive_areas: [face]\ntime_budget_s: 1500\n"
                    "pressure_preference: firm\n",
                    nullptr,
                    Decision::kProceed,
                    {"coconut_oil"},
                    0.45,
                    1500.0},
        Combination{"severe_psoriasis_refused",
                    "japanese-head-spa",
                    "conditions: [severe_psoriasis]\nallergies: [parfum]\n",
                    nullptr,
                    Decision::kRefused,
                    {},
                    1.0,
                    1e9},
        Combination{"unknown_condition_error",
                    "head-therapy",
                    "conditions: [dandruff_itch]\n",
                    "unknown condition 'dandruff_itch'",
                    Decision::kRefused,
                    {},
                    1.0,
                    1e9},
        Combination{"tree_nut_pregnancy_budget",
                    "japanese-head-spa",
                    "conditions: [pregnancy]\nallergies: [tree_nut]\ngoals: [hair_growth]\n"
                    "time_budget_s: 1800\n",
                    nullptr,
                    Decision::kModified,
                    {"tree_nut", "essential_oil"},
                    1.0,
                    1800.0},
        Combination{"sensitive_skin_migraine_face",
                    "face-and-scalp",
                    "conditions: [sensitive_skin, migraine_attack]\npressure_preference: firm\n"
                    "time_budget_s: 420\n",
                    nullptr,
                    Decision::kModified,
                    {"physical_exfoliant"},
                    0.45,
                    420.0},
        Combination{"allergy_family_and_sensitive_temples",
                    "scalp-self",
                    "allergies: [plant_oil]\nsensitive_areas: [temples, scalp]\n",
                    nullptr,
                    Decision::kProceed,
                    {"plant_oil"},
                    1.0,
                    1200.0}),
    [](const ::testing::TestParamInfo<Combination>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace headspa::care
