// Fitting the scalp model from labelled photographs (used by tools/scalp/train_scalp_model and
// by `headspa scalp eval --cv`). Labels are YOLO polygon files: one polygon per line,
// "class x1 y1 x2 y2 ..." with coordinates normalised to [0, 1]; classes 0 d (flakes),
// 1 ds (flakes on hair shafts), 2 o (oily shine), 3 s (redness).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "headspa/scalp/analyzer.hpp"
#include "headspa/scalp/image.hpp"
#include "headspa/scalp/model.hpp"

namespace headspa::scalp {

/// Polygon classes of the labelled photographs.
inline constexpr int kClassFlakes = 0;       ///< d
inline constexpr int kClassShaftFlakes = 1;  ///< ds
inline constexpr int kClassOil = 2;          ///< o
inline constexpr int kClassRedness = 3;      ///< s

/// One labelled polygon, coordinates normalised to [0, 1] of the image's width and height.
struct LabelPolygon {
  int label_class = 0;                            ///< kClass*
  std::vector<std::pair<double, double>> points;  ///< (x, y), at least three
};

/// Parses a YOLO polygon label file's text. Throws headspa::InputError with the line number.
std::vector<LabelPolygon> parse_yolo_polygons(std::string_view text, const std::string& source);

/// The patch features of one image, as the analyser computes them.
struct PatchTable {
  int cols = 0;                     ///< patches per row
  int rows = 0;                     ///< patch rows
  int working_width = 0;            ///< pixels of the resampled working image
  int working_height = 0;           ///< pixels of the resampled working image
  std::vector<double> features;     ///< rows * cols * kPatchFeatureCount, raw (not standardised)
  std::vector<std::uint8_t> valid;  ///< per patch: 1 when it shows scalp (not padding)
};

/// Computes the patch table of an image. Throws headspa::InputError for an unusable image.
PatchTable compute_patch_table(const ImageView& image, const AnalyzerOptions& options = {});

/// Per patch, the share of its area covered by polygons of any of `classes`.
std::vector<double> patch_coverage(const std::vector<LabelPolygon>& polygons,
                                   const std::vector<int>& classes, const PatchTable& table);

/// One training example.
struct TrainingImage {
  PatchTable table;                 ///< features
  std::vector<double> flake_cover;  ///< per patch coverage by d and ds polygons
  std::vector<double> oil_cover;    ///< per patch coverage by o polygons
  bool has_flakes = false;          ///< image-level label (d or ds)
  bool has_oil = false;             ///< image-level label (o)
};

/// Settings of the fit.
struct TrainingOptions {
  double l2 = 1e-2;                    ///< ridge penalty on patch weights (standardised features)
  double image_l2 = 1e-3;              ///< ridge penalty on the image decisions' weights
  int newton_iterations = 30;          ///< iterations of Newton's method per logistic fit
  double flake_positive_cover = 0.15;  ///< a patch is a flake example from this coverage
  double oil_positive_cover = 0.4;     ///< a patch is an oil example from this coverage
  std::uint64_t seed = 20250528;       ///< fold assignment in cross-validation

  /// True when every setting is in range; otherwise says why.
  bool IsValid(std::string* why) const;
};

/// Fits patch models and image decisions (on out-of-fold patch probabilities; thresholds
/// maximise F1 there).
/// Throws headspa::InputError when `images` is empty or has no positive of a finding.
ScalpModel fit_scalp_model(const std::vector<TrainingImage>& images,
                           const TrainingOptions& options);

/// Assigns each of `n` items to one of `folds` folds (balanced, shuffled with `seed`).
std::vector<int> assign_folds(int n, int folds, std::uint64_t seed);

}  // namespace headspa::scalp
