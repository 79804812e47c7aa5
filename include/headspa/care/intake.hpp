// Intake answers (format `headspa/intake@1`, YAML or JSON; docs/schemas/intake.schema.json).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/vocabulary.hpp"

namespace headspa::care {

// What a client told the operator before the session.
struct Intake {
  std::string client;                 // free text or an id; may be empty
  std::vector<Condition> conditions;  // each matched against the screening rules
  std::vector<Goal> goals;            // shift time between steps
  PressureLevel pressure_preference = PressureLevel::kMedium;  // scales every step's force
  std::vector<std::string> sensitive_area_names;               // as written (regions or groups)
  std::vector<Region> sensitive_regions;                       // expanded, in Region order
  std::vector<std::string> tense_area_names;  // tense or sore spots, as written (regions or groups)
  std::vector<Region> tense_regions;          // expanded; the planner spends extra time there
  std::vector<std::string> allergies;   // ingredient ids or families (see the product catalogue)
  std::optional<double> time_budget_s;  // longest the session may take. Unit: [s]
  HairLength hair_length = HairLength::kMedium;

  // True when the client reported this condition.
  bool has(Condition condition) const noexcept;
  // True when the client named this goal.
  bool wants(Goal goal) const noexcept;
};

// Reads and validates intake answers. Unknown conditions, goals, areas and fields are errors
// "file:line:column: field.path: what was expected" (InputError).
Intake parse_intake(std::string_view text, std::string_view file_name);

// Reads an intake file; InputError when it cannot be read or is invalid.
Intake load_intake_file(const std::string& path);

// The intake as JSON (format headspa/intake@1; parse_intake reads it back).
std::string intake_to_json(const Intake& intake, int indent = 2);

}  // namespace headspa::care
