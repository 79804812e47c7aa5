// Internal: the working image and per-pixel maps shared by the analyser and the trainer.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "headspa/scalp/analyzer.hpp"
#include "headspa/scalp/image.hpp"

namespace headspa::scalp::detail {

// Side of a square patch of the working image, in working pixels.
inline constexpr int kPatchSide = 16;

// Robust statistics of the valid (non-padding) part of the working image.
struct ImageStats {
  double l_median = 0.0;       // CIELAB L, 8-bit scale (0..255)
  double l_sd = 0.0;           // standard deviation of L
  double a_median = 0.0;       // a*, centred (8-bit scale minus 128)
  double b_median = 0.0;       // b*, centred
  double chroma_median = 0.0;  // sqrt(a² + b²)
  double hair_cover = 0.0;     // share of valid pixels in the hair mask
  double bump_cover = 0.0;     // share of valid pixels with a strong large top-hat
  int valid_pixels = 0;        // count of valid pixels
};

// Scratch and results for one image; reused between calls to avoid reallocations.
struct Workspace {
  cv::Mat bgr;                             // working image, 8UC3
  cv::Mat lab;                             // 8UC3
  cv::Mat l, a8, b8;                       // 8U planes of lab
  cv::Mat af, bf;                          // 32F, centred a* and b*
  cv::Mat chroma;                          // 32F
  cv::Mat chroma8;                         // 8U, saturated chroma
  cv::Mat valid;                           // 8U, 255 where the pixel shows scalp (not padding)
  cv::Mat tophat_small;                    // 8U, white top-hat 5×5: glints
  cv::Mat tophat_large;                    // 8U, white top-hat 17×17: flakes, bumps
  cv::Mat blackhat;                        // 8U, black top-hat 21×21: hair shafts
  cv::Mat gradient;                        // 8U, morphological gradient 3×3
  cv::Mat hair_mask;                       // 8U, 255 on hair
  cv::Mat tmp8, tmp8b, tmpf, tmpf2, grid;  // scratch
  cv::Mat features;                        // rows*cols × kPatchFeatureCount, 64F
  cv::Mat patch_valid;                     // rows × cols, 8U (0/1)
  ImageStats stats;
  int cols = 0, rows = 0;  // patch grid
  double scale = 1.0;      // working pixels per input pixel (per axis)
  bool grayscale = false;  // input had one channel
  int input_width = 0, input_height = 0;
};

// Converts the view to 8-bit BGR at working size and computes every map, the statistics and the
// patch features. Throws headspa::InputError for an unusable image.
void prepare(const ImageView& image, const AnalyzerOptions& options, Workspace& ws);

// Wraps an ImageView's buffer (no copy) as an OpenCV matrix of its channel count.
cv::Mat wrap(const ImageView& image);

// Converts any supported view to a BGR 8UC3 matrix (copies).
void to_bgr(const ImageView& image, cv::Mat& bgr);

}  // namespace headspa::scalp::detail
