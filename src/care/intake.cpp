#include "headspa/care/intake.hpp"

#include <algorithm>

#include "json_util.hpp"
#include "yaml_reader.hpp"

namespace headspa::care {
namespace {

using detail::child_path;
using detail::index_path;
using detail::Reader;

constexpr std::string_view kIntakeFormat = "headspa/intake@1";
// Time budgets from a 5-minute add-on to a 3-hour appointment.
constexpr double kBudgetMinS = 300.0, kBudgetMaxS = 10800.0;

}  // namespace

bool Intake::has(Condition condition) const noexcept {
  return std::find(conditions.begin(), conditions.end(), condition) != conditions.end();
}

bool Intake::wants(Goal goal) const noexcept {
  return std::find(goals.begin(), goals.end(), goal) != goals.end();
}

Intake parse_intake(std::string_view text, std::string_view file_name) {
  const Reader r(file_name);
  const YAML::Node root = r.load(text);
  r.expect_map(root, "",
               {"format", "client", "conditions", "goals", "pressure_preference", "sensitive_areas",
                "tense_areas", "allergies", "time_budget_s", "hair_length"});
  r.expect_format(root, kIntakeFormat);
  Intake in;
  if (auto v = Reader::optional(root, "client"); v.IsDefined()) {
    in.client = r.string(v, "client", true);
  }
  if (auto v = Reader::optional(root, "conditions"); v.IsDefined()) {
    in.conditions = r.enumerations<Condition>(v, "conditions", "condition");
  }
  if (auto v = Reader::optional(root, "goals"); v.IsDefined()) {
    in.goals = r.enumerations<Goal>(v, "goals", "goal");
  }
  if (auto v = Reader::optional(root, "pressure_preference"); v.IsDefined()) {
    in.pressure_preference =
        r.enumeration<PressureLevel>(v, "pressure_preference", "pressure preference");
  }
  if (auto v = Reader::optional(root, "sensitive_areas"); v.IsDefined()) {
    if (!r.sequence(v, "sensitive_areas").empty()) {
      in.sensitive_regions = r.regions(v, "sensitive_areas", &in.sensitive_area_names);
    }
  }
  if (auto v = Reader::optional(root, "tense_areas"); v.IsDefined()) {
    if (!r.sequence(v, "tense_areas").empty()) {
      in.tense_regions = r.regions(v, "tense_areas", &in.tense_area_names);
    }
  }
  if (auto v = Reader::optional(root, "allergies"); v.IsDefined()) {
    in.allergies = r.strings(v, "allergies");
    const auto items = r.sequence(v, "allergies");
    for (std::size_t i = 0; i < in.allergies.size(); ++i) {
      const std::string& a = in.allergies[i];
      const bool ok = std::all_of(a.begin(), a.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!ok) {
        r.fail(items[i], index_path("allergies", i),
               "expected an ingredient id or family in snake_case (e.g. coconut_oil), found '" + a +
                   "'");
      }
    }
  }
  if (auto v = Reader::optional(root, "time_budget_s"); v.IsDefined()) {
    in.time_budget_s = r.number(v, "time_budget_s", kBudgetMinS, kBudgetMaxS, "s");
  }
  if (auto v = Reader::optional(root, "hair_length"); v.IsDefined()) {
    in.hair_length = r.enumeration<HairLength>(v, "hair_length", "hair length");
  }
  return in;
}

Intake load_intake_file(const std::string& path) {
  return parse_intake(detail::read_text_file(path), path);
}

std::string intake_to_json(const Intake& intake, int indent) {
  return detail::intake_json(intake).dump(indent);
}

}  // namespace headspa::care
