// What a scalp analysis finds, as plain values, and its JSON form
// ("headspa/scalp-analysis@1", documented in docs/schemas/scalp-analysis.schema.json).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace headspa::scalp {

/// The JSON format tag written into every analysis.
inline constexpr std::string_view kAnalysisFormat = "headspa/scalp-analysis@1";

/// Names of the four findings, in the order they are reported.
inline constexpr std::string_view kFindingFlakyDry = "flaky_dry";
inline constexpr std::string_view kFindingOily = "oily";
inline constexpr std::string_view kFindingRedSensitive = "red_sensitive";
inline constexpr std::string_view kFindingNormal = "normal";

/// One finding: a score in [0, 1] (0.5 is the decision boundary) and whether it is present.
struct Finding {
  std::string name;      ///< one of the kFinding* names
  double score = 0.0;    ///< in [0, 1]; present exactly when score >= 0.5
  bool present = false;  ///< the decision
};

/// Flakes (dandruff, scale, flakes on hair shafts).
struct FlakeMeasures {
  int count = 0;               ///< separate flake blobs
  double area_fraction = 0.0;  ///< share of the analysed scalp area covered by flakes, [0, 1]
};

/// Oily shine.
struct OilMeasures {
  double area_fraction = 0.0;  ///< share of the analysed area that looks oily, [0, 1]
};

/// Redness (red, orange or brown patches).
struct RednessMeasures {
  double area_fraction = 0.0;  ///< share of the analysed area in compact red patches, [0, 1]
  /// Mean erythema index over skin (non-hair) pixels: 100 * log10(R / G), dimensionless.
  double erythema_index = 0.0;
};

/// Hair shafts.
struct HairMeasures {
  int count = 0;  ///< hair shafts seen (crossing hairs may merge into one)
  /// Hairs per cm² of scalp; only when the image scale is known.
  std::optional<double> density_per_cm2;
  /// Mean visible shaft width in micrometres; only when the image scale is known.
  std::optional<double> mean_shaft_width_um;
};

/// The analysis of one photograph.
struct ImageAnalysis {
  std::string path;  ///< as given by the caller (may be empty)
  int width = 0;     ///< pixels
  int height = 0;    ///< pixels
  FlakeMeasures flakes;
  OilMeasures oil;
  RednessMeasures redness;
  HairMeasures hair;
  std::vector<Finding> findings;  ///< flaky_dry, oily, red_sensitive, normal
  /// True when a compact, strongly red, saturated patch suggests an open lesion.
  bool suspected_open_lesion = false;
  std::vector<std::string> warnings;  ///< e.g. "grayscale image: redness not assessed"
};

/// The analysis of one or more photographs of one client.
struct ScalpAnalysis {
  std::vector<Finding> findings;       ///< aggregate: present in any image; score = max
  bool suspected_open_lesion = false;  ///< true when any image suggests an open lesion
  std::vector<ImageAnalysis> images;   ///< per image, in input order
  std::vector<std::string> warnings;   ///< about the whole analysis
};

/// Returns the finding called `name`, or nullptr.
const Finding* find_finding(const std::vector<Finding>& findings, std::string_view name) noexcept;

/// Combines per-image analyses: a finding is present if present in any image, its score is the
/// maximum; "normal" is present only when no other finding is. Adds a warning when there is no
/// image.
ScalpAnalysis aggregate(std::vector<ImageAnalysis> images);

/// Serialises an analysis to JSON (`indent` < 0 gives one line).
std::string to_json(const ScalpAnalysis& analysis, int indent = 2);

/// Parses JSON written by to_json. Throws headspa::InputError naming the offending field.
ScalpAnalysis parse_scalp_analysis(std::string_view json, const std::string& source = "<json>");

}  // namespace headspa::scalp
