// Scalp findings: the part of the scalp module's analysis (headspa/scalp-analysis@1) that
// personalisation and screening use.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/vocabulary.hpp"

namespace headspa::care {

// One finding of the analysis.
struct ScalpFinding {
  ScalpFindingName name = ScalpFindingName::kNormal;
  double score = 0.0;    // 0–1, the analysis' confidence
  bool present = false;  // the analysis' verdict
};

// Parsed scalp analysis.
struct ScalpFindings {
  std::vector<ScalpFinding> findings;  // at most one per name
  bool suspected_open_lesion = false;  // the operator must confirm before any scalp work

  // True when the named finding is reported present.
  bool present(ScalpFindingName name) const noexcept;
  // The named finding's score, 0 when absent.
  double score(ScalpFindingName name) const noexcept;
};

// Reads a headspa/scalp-analysis@1 JSON document (other fields, such as "images", are
// ignored). Unknown finding names and scores outside 0–1 are errors (InputError).
ScalpFindings parse_scalp_findings(std::string_view text, std::string_view file_name);

// Reads a scalp-analysis file; InputError when it cannot be read or is invalid.
ScalpFindings load_scalp_findings_file(const std::string& path);

}  // namespace headspa::care
