// Analysis of magnified scalp photographs: flakes, oily shine, redness and hair.
//
//   headspa::scalp::ScalpAnalyzer analyzer;                    // default options and model
//   auto one = analyzer.analyze_file("crown.jpg");             // per-image measures + findings
//   auto all = headspa::scalp::aggregate({one});               // the JSON other modules read
//
// A ScalpAnalyzer owns an immutable model and options plus scratch buffers that are reused from
// call to call: it is cheap to call repeatedly, and one instance must not be used by two threads
// at once (make one per thread). Results are deterministic.
#pragma once

#include <memory>
#include <string>

#include "headspa/scalp/analysis.hpp"
#include "headspa/scalp/image.hpp"
#include "headspa/scalp/model.hpp"

namespace headspa::scalp {

/// Settings of the analysis. Defaults suit 640×640 trichoscope photographs.
struct AnalyzerOptions {
  /// Image scale in micrometres per pixel of the input image; 0 = unknown (hair density and
  /// shaft width are then reported as null).
  double um_per_px = 0.0;
  /// The image is resampled so that it has about this many pixels before analysis.
  int working_pixels = 320 * 320;
  /// Images whose shorter side is below this many pixels are refused (InputError).
  int min_side_px = 32;
  /// Red area fraction at which "red_sensitive" becomes present (score 0.5).
  double redness_present_fraction = 0.004;
  /// Open-lesion criterion: a red patch at least this share of the image ...
  double lesion_min_area_fraction = 0.002;
  /// ... whose mean a* exceeds the image's median a* by at least this (CIELAB units) ...
  double lesion_min_a_excess = 20.0;
  /// ... and whose mean chroma is at least this (CIELAB units) ...
  double lesion_min_chroma = 28.0;
  /// ... and which is compact: area / convex-hull area at least this.
  double lesion_min_solidity = 0.6;

  /// True when every setting is in range; otherwise says why.
  bool IsValid(std::string* why) const;
};

/// What the analyser saw, drawn over the photograph (same size as the input, BGR).
struct Overlay {
  Image image;  ///< flakes cyan, oily shine green hatching, redness red outline, hair blue
};

/// Reusable analyser (model/data split: immutable model and options, private scratch).
class ScalpAnalyzer {
 public:
  /// Uses the built-in model. Throws headspa::InputError when `options` are invalid.
  explicit ScalpAnalyzer(AnalyzerOptions options = {});
  /// Uses `model` (e.g. one refitted during cross-validation). Throws headspa::InputError when
  /// `options` or `model` are invalid.
  ScalpAnalyzer(AnalyzerOptions options, ScalpModel model);
  ~ScalpAnalyzer();
  ScalpAnalyzer(ScalpAnalyzer&&) noexcept;
  ScalpAnalyzer& operator=(ScalpAnalyzer&&) noexcept;
  ScalpAnalyzer(const ScalpAnalyzer&) = delete;
  ScalpAnalyzer& operator=(const ScalpAnalyzer&) = delete;

  /// Analyses one image. `path` is only copied into the result. When `overlay` is not null it
  /// receives a picture of what was found. Throws headspa::InputError for an unusable image
  /// (empty, inconsistent buffer, too small, extreme aspect ratio).
  ImageAnalysis analyze(const ImageView& image, const std::string& path = {},
                        Overlay* overlay = nullptr);

  /// Decodes and analyses one image file (decoding warnings are carried into the result).
  ImageAnalysis analyze_file(const std::string& path, Overlay* overlay = nullptr);

  /// Decodes and analyses an encoded image held in memory.
  ImageAnalysis analyze_encoded(const void* bytes, std::size_t size, const std::string& name = {},
                                Overlay* overlay = nullptr);

  /// Options in use.
  const AnalyzerOptions& options() const noexcept;
  /// Model in use.
  const ScalpModel& model() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace headspa::scalp
