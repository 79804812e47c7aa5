// Personalisation: a protocol fitted to one client. Goals move time between steps, the pressure
// preference scales force, a time budget rescales durations, screening skips regions and lowers
// caps, scalp findings pick the cleanser and serum, allergies exclude products. Every change is
// listed with its reason.
//
// How the planner reads the result: for each PersonalisedStep in order, `step.duration_s` is the
// time to spend; for a massage step, `step.massage()` gives the technique, its parameters,
// direction, points and cue, and `pressure` gives, per region still targeted, the fraction of
// that region's force cap to command (0–1, already scaled by preference and lowered by rules and
// sensitive areas); for a care step, `product_id` names the catalogue product to use (empty when
// the step needs none) and `step.care().device` the device settings. `excluded_products` must
// never be used. Steps with `needs_confirmation` wait for the operator's confirmation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "headspa/care/intake.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/protocol.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"

namespace headspa::care {

// Tuning of personalisation, with in-class defaults.
struct PersonaliseOptions {
  // Extra weight per goal a step serves when time is shared out (1 + weight × goals served).
  double goal_weight = 0.5;
  // Highest fraction of the cap on a region the client calls sensitive.
  double sensitive_area_max_fraction = 0.45;
  // Duration factor for rinse and dry-and-style steps by hair length (none, short, medium, long).
  double hair_none_factor = 0.5;
  double hair_short_factor = 0.75;
  double hair_long_factor = 1.4;

  // False (and why) when a field is out of range.
  bool IsValid(std::string* why) const;
};

// Pressure on one region: the fraction of that region's force cap to command.
struct RegionPressure {
  Region region = Region::kScalpFrontal;
  double fraction = 0.0;  // 0–1 of the region's cap
};

// One thing personalisation changed, and why.
struct Change {
  std::string step_id;  // empty when it concerns the whole session
  std::string what;     // e.g. "duration 240 s -> 300 s"
  std::string reason;   // e.g. "goal stress: this step serves it"
};

// A product that must not be used, and why.
struct ExcludedProduct {
  std::string product_id;
  std::string reason;
};

// Something the operator must confirm before the steps concerned.
struct Confirmation {
  std::string source;  // rule id, or "allergy:<name>"
  std::string reason;
  std::vector<std::string> step_ids;  // empty: before the session starts
};

// A step as the client will receive it.
struct PersonalisedStep {
  Step step;                             // durations, regions and body as adjusted
  std::vector<RegionPressure> pressure;  // massage steps: one per region in step.massage().regions
  std::string product_id;                // care steps: chosen product, empty when none
  bool needs_confirmation = false;       // the operator confirms before this step
};

// A protocol fitted to one client.
struct PersonalisedProtocol {
  std::string protocol_id;
  std::string title;
  Decision decision = Decision::kProceed;
  std::vector<std::string> refusal_reasons;  // when refused (and then `steps` is empty)
  std::vector<PersonalisedStep> steps;
  std::vector<Change> changes;
  std::vector<ExcludedProduct> excluded_products;
  std::vector<Confirmation> confirmations;

  // Sum of the steps' durations. Unit: [s]
  double total_duration_s() const noexcept;
  // One line: "japanese-head-spa: modified, 9 steps, 2400 s, 5 changes".
  std::string BriefReport() const;
};

// Fits `protocol` to the client. `findings` may be null. Throws InputError when the protocol
// names a product missing from the catalogue or the time budget is shorter than the required
// steps' minimum durations; throws InternalError when options are invalid.
PersonalisedProtocol personalise(const Protocol& protocol, const Intake& intake,
                                 const ScreeningResult& screening, const ScalpFindings* findings,
                                 const ProductCatalogue& catalogue,
                                 const PersonaliseOptions& options = {});

// The personalised protocol as JSON (format headspa/personalised-protocol@1).
std::string personalised_to_json(const PersonalisedProtocol& plan, int indent = 2);

// A human-readable account: decision, reasons, steps with durations and pressure, changes.
std::string personalised_to_text(const PersonalisedProtocol& plan);

}  // namespace headspa::care
