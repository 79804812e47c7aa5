#include "headspa/care/screening.hpp"

#include <algorithm>
#include <set>

#include "embedded.hpp"
#include "json_util.hpp"
#include "yaml_reader.hpp"

namespace headspa::care {
namespace {

using detail::child_path;
using detail::index_path;
using detail::Reader;

constexpr std::string_view kScreeningFormat = "headspa/screening-rules@1";

RuleTrigger read_trigger(const Reader& r, const YAML::Node& node, std::string_view path) {
  r.expect_map(node, path, {"condition", "finding"});
  RuleTrigger t;
  const YAML::Node condition = Reader::optional(node, "condition");
  const YAML::Node finding = Reader::optional(node, "finding");
  if (condition.IsDefined() == finding.IsDefined()) {
    r.fail(node, path, "expected exactly one of condition or finding");
  }
  if (condition.IsDefined()) {
    t.condition = r.enumeration<Condition>(condition, child_path(path, "condition"), "condition");
  } else {
    const std::string name = r.string(finding, child_path(path, "finding"));
    if (name == "suspected_open_lesion") {
      t.suspected_open_lesion = true;
    } else {
      t.finding = r.enumeration<ScalpFindingName>(finding, child_path(path, "finding"),
                                                  "finding (or suspected_open_lesion)");
    }
  }
  return t;
}

ScreeningRule read_rule(const Reader& r, const YAML::Node& node, const std::string& path) {
  r.expect_map(node, path,
               {"id", "when", "effect", "regions", "techniques", "care_kinds", "max_fraction",
                "products", "ingredients", "reason"});
  ScreeningRule rule;
  rule.id = r.string(r.required(node, "id", path), child_path(path, "id"));
  rule.when = read_trigger(r, r.required(node, "when", path), child_path(path, "when"));
  const YAML::Node effect_node = r.required(node, "effect", path);
  rule.effect = r.enumeration<Effect>(effect_node, child_path(path, "effect"), "effect");
  rule.reason = r.string(r.required(node, "reason", path), child_path(path, "reason"));

  // Which fields each effect takes.
  const bool skip = rule.effect == Effect::kSkip;
  const bool cap = rule.effect == Effect::kLowerCap;
  const bool exclude = rule.effect == Effect::kExcludeProduct;
  const bool confirm = rule.effect == Effect::kConfirm;
  auto field = [&](std::string_view key, bool allowed) {
    const YAML::Node v = Reader::optional(node, key);
    if (v.IsDefined() && !allowed) {
      r.fail(v, child_path(path, key),
             "a " + std::string(to_string(rule.effect)) + " rule does not take this field");
    }
    return v;
  };
  if (auto v = field("regions", skip || cap || confirm); v.IsDefined()) {
    rule.regions = r.regions(v, child_path(path, "regions"), nullptr);
  }
  if (auto v = field("techniques", skip); v.IsDefined()) {
    rule.techniques = r.enumerations<Technique>(v, child_path(path, "techniques"), "technique");
  }
  if (auto v = field("care_kinds", skip || confirm); v.IsDefined()) {
    rule.care_kinds = r.enumerations<CareKind>(v, child_path(path, "care_kinds"), "care kind");
  }
  if (auto v = field("max_fraction", cap); v.IsDefined()) {
    rule.max_fraction = r.number(v, child_path(path, "max_fraction"), 0.05, 1.0, "of the cap");
  } else if (cap) {
    r.fail(node, child_path(path, "max_fraction"), "missing required field");
  }
  if (auto v = field("products", exclude); v.IsDefined()) {
    rule.products = r.strings(v, child_path(path, "products"));
  }
  if (auto v = field("ingredients", exclude); v.IsDefined()) {
    rule.ingredients = r.strings(v, child_path(path, "ingredients"));
  }
  if (skip && rule.regions.empty() && rule.techniques.empty() && rule.care_kinds.empty()) {
    r.fail(node, path, "a skip rule names regions, techniques or care_kinds");
  }
  if (cap && rule.regions.empty())
    r.fail(node, child_path(path, "regions"), "missing required field");
  if (exclude && rule.products.empty() && rule.ingredients.empty()) {
    r.fail(node, path, "an exclude_product rule names products or ingredients");
  }
  return rule;
}

bool matches(const RuleTrigger& t, const Intake& intake, const ScalpFindings* findings) {
  if (t.condition) return intake.has(*t.condition);
  if (findings == nullptr) return false;
  if (t.suspected_open_lesion) return findings->suspected_open_lesion;
  return t.finding && findings->present(*t.finding);
}

}  // namespace

RuleTable RuleTable::parse(std::string_view text, std::string_view file_name) {
  const Reader r(file_name);
  const YAML::Node root = r.load(text);
  r.expect_map(root, "", {"format", "rules"});
  r.expect_format(root, kScreeningFormat);
  RuleTable table;
  std::set<std::string> ids;
  const auto items = r.sequence(r.required(root, "rules", ""), "rules");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = index_path("rules", i);
    ScreeningRule rule = read_rule(r, items[i], path);
    if (!ids.insert(rule.id).second) {
      r.fail(items[i], child_path(path, "id"), "duplicate rule id '" + rule.id + "'");
    }
    table.rules.push_back(std::move(rule));
  }
  return table;
}

const ScreeningRule* RuleTable::find(std::string_view rule_id) const noexcept {
  for (const auto& rule : rules) {
    if (rule.id == rule_id) return &rule;
  }
  return nullptr;
}

const RuleTable& builtin_rules() {
  // Parsed once from the embedded file; immutable afterwards.
  static const RuleTable table = RuleTable::parse(
      detail::embedded_text("data/screening_rules.yaml"), "builtin:data/screening_rules.yaml");
  return table;
}

std::vector<std::string> ScreeningResult::reasons() const {
  std::vector<std::string> out;
  for (const auto& rule : matched) out.push_back(rule.id + ": " + rule.reason);
  return out;
}

bool ScreeningResult::has_effect(Effect effect) const noexcept {
  return std::any_of(matched.begin(), matched.end(),
                     [effect](const ScreeningRule& r) { return r.effect == effect; });
}

std::string ScreeningResult::BriefReport() const {
  std::string out(to_string(decision));
  if (matched.empty()) return out + " (no rule matched)";
  out.append(" (").append(std::to_string(matched.size()));
  out.append(matched.size() == 1 ? " rule: " : " rules: ");
  for (std::size_t i = 0; i < matched.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(matched[i].id);
  }
  return out + ")";
}

ScreeningResult screen(const Intake& intake, const ScalpFindings* findings,
                       const RuleTable& rules) {
  ScreeningResult result;
  for (const auto& rule : rules.rules) {
    if (matches(rule.when, intake, findings)) result.matched.push_back(rule);
  }
  if (result.has_effect(Effect::kRefuse)) {
    result.decision = Decision::kRefused;
  } else if (!result.matched.empty()) {
    result.decision = Decision::kModified;
  }
  return result;
}

std::string screening_to_json(const ScreeningResult& result, int indent) {
  detail::Json out;
  out["format"] = "headspa/screening@1";
  out["decision"] = std::string(to_string(result.decision));
  detail::Json rules = detail::Json::array();
  for (const auto& rule : result.matched) {
    rules.push_back(detail::Json{
        {"id", rule.id}, {"effect", std::string(to_string(rule.effect))}, {"reason", rule.reason}});
  }
  out["rules"] = std::move(rules);
  return out.dump(indent);
}

}  // namespace headspa::care
