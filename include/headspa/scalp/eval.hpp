// Measuring the scalp analysis against labelled photographs: image-level precision, recall and
// F1 per finding, and how well the measured area fractions agree with the labelled ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "headspa/scalp/analyzer.hpp"

namespace headspa::scalp {

/// One row of labels.csv (file, has_d, has_ds, has_o, has_s, ..., areafrac_d, areafrac_ds,
/// areafrac_o, areafrac_s).
struct LabelRow {
  std::string file;           ///< image file name inside the images folder
  bool flakes = false;        ///< d or ds
  bool oil = false;           ///< o
  bool redness = false;       ///< s
  double flakes_area = 0.0;   ///< areafrac_d + areafrac_ds
  double oil_area = 0.0;      ///< areafrac_o
  double redness_area = 0.0;  ///< areafrac_s
};

/// Reads labels.csv; columns are found by their header names. Throws headspa::InputError.
std::vector<LabelRow> load_labels_csv(const std::string& path);

/// Confusion counts of one image-level decision.
struct BinaryScores {
  int tp = 0;  ///< labelled and found
  int fp = 0;  ///< found but not labelled
  int fn = 0;  ///< labelled but not found
  int tn = 0;  ///< neither
  /// tp / (tp + fp); 0 when nothing was found.
  double precision() const noexcept;
  /// tp / (tp + fn); 0 when nothing is labelled.
  double recall() const noexcept;
  /// Harmonic mean of precision and recall; 0 when both are 0.
  double f1() const noexcept;
  /// F1 of the trivial rule "always present" on the same images (2p / (1 + p) for prevalence
  /// p): the chance level a finding's F1 has to beat to mean anything.
  double always_present_f1() const noexcept;
  /// Adds one decision.
  void add(bool labelled, bool found) noexcept;
};

/// Agreement between measured and labelled area fractions over images.
struct AreaAgreement {
  int n = 0;                    ///< images
  double pearson_r = 0.0;       ///< linear correlation (0 when either side is constant)
  double spearman_rho = 0.0;    ///< rank correlation
  double mean_abs_error = 0.0;  ///< mean |measured - labelled|
  double mean_measured = 0.0;   ///< mean measured fraction
  double mean_labelled = 0.0;   ///< mean labelled fraction
};

/// Computes AreaAgreement from paired values.
AreaAgreement area_agreement(const std::vector<double>& measured,
                             const std::vector<double>& labelled);

/// Settings of an evaluation.
struct EvalOptions {
  std::string images_dir;  ///< folder with the photographs
  std::string labels_csv;  ///< labels.csv
  /// Folder with YOLO polygon files (needed for cv_folds > 0); empty = "labels" next to
  /// labels_csv.
  std::string polygons_dir;
  /// 0: evaluate the built-in model. k >= 2: k-fold cross-validation, refitting the model on the
  /// other folds for every held-out fold (reports held-out figures).
  int cv_folds = 0;
  /// With cv_folds >= 2: how many times the cross-validation is run, each with its own fold
  /// assignment (seed, seed + 1000, ...); counts and areas are pooled over the repeats, which
  /// steadies the held-out figures of a small labelled set. 1 = a single run.
  int repeats = 1;
  std::uint64_t seed = 20250528;  ///< fold assignment of the first repeat
  AnalyzerOptions analyzer;       ///< options for the analyser

  /// True when the settings make sense; otherwise says why.
  bool IsValid(std::string* why) const;
};

/// Results of an evaluation.
struct EvalReport {
  int images = 0;                     ///< images evaluated
  int cv_folds = 0;                   ///< 0 = built-in model
  int repeats = 1;                    ///< cross-validation repeats pooled (1 without --cv)
  BinaryScores flakes;                ///< flaky_dry vs d|ds
  BinaryScores oil;                   ///< oily vs o
  BinaryScores redness;               ///< red_sensitive vs s
  AreaAgreement flakes_area;          ///< flakes.area_fraction vs areafrac_d + areafrac_ds
  AreaAgreement oil_area;             ///< oil.area_fraction vs areafrac_o
  AreaAgreement redness_area;         ///< redness.area_fraction vs areafrac_s
  std::vector<std::string> warnings;  ///< e.g. images listed but missing

  /// A few human-readable lines.
  std::string BriefReport() const;
  /// The same as JSON.
  std::string to_json(int indent = 2) const;
};

/// Runs the evaluation. Throws headspa::InputError for unreadable inputs.
EvalReport evaluate(const EvalOptions& options);

}  // namespace headspa::scalp
