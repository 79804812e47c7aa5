// At-home care: the Japanese head spa source's advice (3–5 min of massage while shampooing,
// sulfate-free products, weekly exfoliation, vitamins A, C and E, hydration, stress), fitted to
// one client's intake and scalp findings.
#pragma once

#include <string>
#include <vector>

#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"

namespace headspa::care {

// One piece of advice.
struct HomeCareItem {
  std::string id;                        // e.g. "massage-while-shampooing"
  std::string title;                     // short
  std::string advice;                    // what to do, fitted to the client
  std::string frequency;                 // e.g. "every wash", "once a week"
  double duration_s = 0.0;               // 0 when not timed. Unit: [s]
  std::vector<std::string> product_ids;  // suggested catalogue products (allergen-free)
};

// The routine for one client.
struct HomeCareRoutine {
  bool on_hold = false;              // true when screening refused: no self-massage until healed
  std::vector<std::string> reasons;  // why it is on hold
  std::vector<HomeCareItem> items;
  std::vector<Change> changes;  // what was fitted to the client, and why
};

// Builds the routine from the built-in advice (src/care/data/home_care.yaml).
HomeCareRoutine make_home_care(const Intake& intake, const ScalpFindings* findings,
                               const RuleTable& rules, const ProductCatalogue& catalogue);

// The routine as text for the client.
std::string home_care_to_text(const HomeCareRoutine& routine);

// The routine as JSON (format headspa/home-care@1).
std::string home_care_to_json(const HomeCareRoutine& routine, int indent = 2);

}  // namespace headspa::care
