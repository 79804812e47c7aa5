// Screening: a table of rules (data, src/care/data/screening_rules.yaml) matched against the
// intake and the scalp findings. Each rule has an id, what it matches, one effect and the reason
// shown to client and operator. The decision is proceed, modified or refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/intake.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/vocabulary.hpp"

namespace headspa::care {

// What a rule does when it matches.
enum class Effect : std::uint8_t {
  kRefuse,          // no session
  kSkip,            // drop regions, techniques or care kinds from the session
  kLowerCap,        // pressure on some regions at most `max_fraction` of the cap
  kExcludeProduct,  // products (by id or by ingredient / family) never used
  kConfirm,         // the operator must confirm before the steps concerned
};

template <>
struct EnumNames<Effect> {
  static constexpr std::array<std::string_view, 5> kNames = {"refuse", "skip", "lower_cap",
                                                             "exclude_product", "confirm"};
};

// What a rule matches: an intake condition, or a scalp-analysis finding.
struct RuleTrigger {
  std::optional<Condition> condition;       // matches when the intake reports it
  std::optional<ScalpFindingName> finding;  // matches when the analysis reports it present
  bool suspected_open_lesion = false;       // matches when the analysis suspects one
};

// One row of the table.
struct ScreeningRule {
  std::string id;  // e.g. "refuse-scalp-infection"
  RuleTrigger when;
  Effect effect = Effect::kRefuse;
  std::vector<Region> regions;           // skip, lower_cap, confirm: the regions concerned
  std::vector<Technique> techniques;     // skip: techniques dropped
  std::vector<CareKind> care_kinds;      // skip, confirm: care steps concerned
  double max_fraction = 1.0;             // lower_cap: fraction of the region's cap, 0–1
  std::vector<std::string> products;     // exclude_product: product ids
  std::vector<std::string> ingredients;  // exclude_product: ingredient ids or families
  std::string reason;                    // shown to client and operator
};

// The rule table (format `headspa/screening-rules@1`).
struct RuleTable {
  std::vector<ScreeningRule> rules;

  // Reads and validates a table: unknown conditions, findings, regions or effects are errors.
  static RuleTable parse(std::string_view text, std::string_view file_name);
  // The rule with this id, or nullptr.
  const ScreeningRule* find(std::string_view rule_id) const noexcept;
};

// The table built into headspa.
const RuleTable& builtin_rules();

// The outcome of screening.
enum class Decision : std::uint8_t { kProceed, kModified, kRefused };

template <>
struct EnumNames<Decision> {
  static constexpr std::array<std::string_view, 3> kNames = {"proceed", "modified", "refused"};
};

// Rules that matched, in table order, and the decision they lead to.
struct ScreeningResult {
  Decision decision = Decision::kProceed;
  std::vector<ScreeningRule> matched;

  // Every matched rule's reason, prefixed by its id ("refuse-fever: ...").
  std::vector<std::string> reasons() const;
  // True when a matched rule has this effect.
  bool has_effect(Effect effect) const noexcept;
  // One line: "refused (2 rules: refuse-fever, refuse-open-wound)".
  std::string BriefReport() const;
};

// Matches every rule of `rules` against the intake and (when given) the scalp findings.
// Refused when any refuse rule matches; modified when any other rule matches; else proceed.
ScreeningResult screen(const Intake& intake, const ScalpFindings* findings, const RuleTable& rules);

// The result as JSON (format headspa/screening@1): decision and every matched rule.
std::string screening_to_json(const ScreeningResult& result, int indent = 2);

}  // namespace headspa::care
