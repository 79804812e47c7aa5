// The working image, its per-pixel maps and the per-patch features.
//
// Everything is computed at a fixed working size (about 320×320 pixels) so that kernel sizes
// mean the same thing for every input. Patch features (kPatchFeatureCount per 16×16 patch):
//   0 mean L relative to the image median, in units of (image L spread + 8)
//   1 standard deviation of L within the patch, same unit
//   2 mean small white top-hat (glints), same unit      3 mean large white top-hat (flakes)
//   4 share of pixels with a strong large top-hat        5 share with a strong small top-hat
//   6 share of near-saturated pixels (L >= 240)          7 share of whitish bumps (low chroma)
//   8 mean chroma, 9 mean a*, 10 mean b*, each relative to the image median, / 8
//  11 mean black top-hat (hair), 12 share of hair pixels, 13 mean morphological gradient
//  14 L contrast against the eight neighbouring patches
//  15..19 image context: median L, L spread, median chroma, hair cover, bump cover.
#include "features.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/scalp/model.hpp"

namespace headspa::scalp::detail {
namespace {

constexpr int kTophatSmall = 5;
constexpr int kTophatLarge = 17;
constexpr int kBlackhat = 21;
constexpr int kStrongTophatLarge = 12;
constexpr int kStrongTophatSmall = 15;
constexpr int kSaturatedL = 240;
constexpr int kHairBlackhat = 20;

// Median of an 8-bit matrix under a mask, from its histogram.
double masked_median_u8(const cv::Mat& m, const cv::Mat& mask) {
  std::array<int, 256> hist{};
  int total = 0;
  for (int y = 0; y < m.rows; ++y) {
    const auto* row = m.ptr<std::uint8_t>(y);
    const auto* mrow = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < m.cols; ++x) {
      if (mrow[x]) {
        ++hist[row[x]];
        ++total;
      }
    }
  }
  int seen = 0;
  for (int v = 0; v < 256; ++v) {
    seen += hist[static_cast<std::size_t>(v)];
    if (2 * seen >= total) return v;
  }
  return 0.0;
}

// A border row (or column) is padding when it is flat (JPEG noise only) and has the colour of
// the outermost line: real scalp varies along 300 pixels far more than this.
bool is_padding_line(const cv::Mat& line, double edge_mean) {
  double lo = 0.0, hi = 0.0;
  cv::minMaxLoc(line, &lo, &hi);
  return hi - lo <= 4.0 && std::abs(0.5 * (lo + hi) - edge_mean) <= 4.0;
}

// Finds the part of the image inside any flat padding added at the four borders.
cv::Rect find_content(const cv::Mat& l) {
  int top = 0, bottom = l.rows, left = 0, right = l.cols;
  const int max_pad_rows = l.rows / 3, max_pad_cols = l.cols / 3;
  const double t_edge = cv::mean(l.row(0))[0], b_edge = cv::mean(l.row(l.rows - 1))[0];
  while (top < max_pad_rows && is_padding_line(l.row(top), t_edge)) ++top;
  while (l.rows - bottom < max_pad_rows && is_padding_line(l.row(bottom - 1), b_edge)) --bottom;
  const double l_edge = cv::mean(l.col(0).rowRange(top, bottom))[0];
  const double r_edge = cv::mean(l.col(l.cols - 1).rowRange(top, bottom))[0];
  while (left < max_pad_cols && is_padding_line(l.col(left).rowRange(top, bottom), l_edge)) ++left;
  while (l.cols - right < max_pad_cols &&
         is_padding_line(l.col(right - 1).rowRange(top, bottom), r_edge)) {
    --right;
  }
  return {left, top, right - left, bottom - top};
}

// Block means of `map` over the patch grid, as a rows × cols 64F matrix.
void block_mean(const cv::Mat& map, int cols, int rows, cv::Mat& out) {
  cv::Mat f;
  if (map.depth() == CV_32F) {
    f = map;
  } else {
    map.convertTo(f, CV_32F);
  }
  cv::Mat small;
  cv::resize(f, small, cv::Size(cols, rows), 0, 0, cv::INTER_AREA);
  small.convertTo(out, CV_64F);
}

}  // namespace

cv::Mat wrap(const ImageView& image) {
  const int ch = channel_count(image.order);
  const std::size_t stride = image.stride_bytes != 0 ? image.stride_bytes
                                                     : static_cast<std::size_t>(image.width) *
                                                           static_cast<std::size_t>(ch);
  // OpenCV does not write through this header; the const_cast only satisfies its constructor.
  return cv::Mat(image.height, image.width, CV_8UC(ch), const_cast<std::uint8_t*>(image.data),
                 stride);
}

void to_bgr(const ImageView& image, cv::Mat& bgr) {
  const cv::Mat src = wrap(image);
  switch (image.order) {
    case PixelOrder::kGray:
      cv::cvtColor(src, bgr, cv::COLOR_GRAY2BGR);
      break;
    case PixelOrder::kBgr:
      src.copyTo(bgr);
      break;
    case PixelOrder::kRgb:
      cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
      break;
    case PixelOrder::kBgra:
      cv::cvtColor(src, bgr, cv::COLOR_BGRA2BGR);
      break;
    case PixelOrder::kRgba:
      cv::cvtColor(src, bgr, cv::COLOR_RGBA2BGR);
      break;
  }
}

void prepare(const ImageView& image, const AnalyzerOptions& options, Workspace& ws) {
  std::string why;
  if (!image.IsValid(&why)) throw InputError("image: " + why);
  if (std::min(image.width, image.height) < options.min_side_px) {
    throw InputError("image is " + std::to_string(image.width) + "x" +
                     std::to_string(image.height) + " pixels; the analysis needs at least " +
                     std::to_string(options.min_side_px) + " pixels on each side");
  }
  ws.input_width = image.width;
  ws.input_height = image.height;
  ws.grayscale = image.order == PixelOrder::kGray;

  // Working size: about options.working_pixels pixels, a whole number of patches per side.
  const double area = static_cast<double>(image.width) * static_cast<double>(image.height);
  const double s = std::sqrt(static_cast<double>(options.working_pixels) / area);
  const int ww =
      std::max(1, static_cast<int>(std::lround(image.width * s / kPatchSide))) * kPatchSide;
  const int wh =
      std::max(1, static_cast<int>(std::lround(image.height * s / kPatchSide))) * kPatchSide;
  if (std::min(ww, wh) < 4 * kPatchSide) {
    throw InputError(
        "image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
        " pixels; its aspect ratio is too extreme for the analysis (expected at most about "
        "1:6)");
  }
  ws.scale = 0.5 * (static_cast<double>(ww) / image.width + static_cast<double>(wh) / image.height);
  ws.cols = ww / kPatchSide;
  ws.rows = wh / kPatchSide;

  // Working BGR image.
  const cv::Mat src = wrap(image);
  const int interp = s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
  if (image.order == PixelOrder::kBgr) {
    cv::resize(src, ws.bgr, cv::Size(ww, wh), 0, 0, interp);
  } else {
    to_bgr(image, ws.tmp8);
    cv::resize(ws.tmp8, ws.bgr, cv::Size(ww, wh), 0, 0, interp);
  }

  // Colour planes.
  cv::cvtColor(ws.bgr, ws.lab, cv::COLOR_BGR2Lab);
  cv::Mat planes[3];
  cv::split(ws.lab, planes);
  ws.l = planes[0];
  ws.a8 = planes[1];
  ws.b8 = planes[2];
  ws.a8.convertTo(ws.af, CV_32F, 1.0, -128.0);
  ws.b8.convertTo(ws.bf, CV_32F, 1.0, -128.0);
  cv::magnitude(ws.af, ws.bf, ws.chroma);
  ws.chroma.convertTo(ws.chroma8, CV_8U);

  // Valid region: everything but flat padding at the borders.
  ws.valid.create(wh, ww, CV_8U);
  ws.valid.setTo(0);
  const cv::Rect content = find_content(ws.l);
  ws.valid(content).setTo(255);

  // Morphology.
  const cv::Mat k_small = cv::getStructuringElement(cv::MORPH_RECT, {kTophatSmall, kTophatSmall});
  const cv::Mat k_large = cv::getStructuringElement(cv::MORPH_RECT, {kTophatLarge, kTophatLarge});
  const cv::Mat k_black = cv::getStructuringElement(cv::MORPH_RECT, {kBlackhat, kBlackhat});
  const cv::Mat k3 = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::morphologyEx(ws.l, ws.tophat_small, cv::MORPH_TOPHAT, k_small, {-1, -1}, 1,
                   cv::BORDER_REPLICATE);
  cv::morphologyEx(ws.l, ws.tophat_large, cv::MORPH_TOPHAT, k_large, {-1, -1}, 1,
                   cv::BORDER_REPLICATE);
  cv::morphologyEx(ws.l, ws.blackhat, cv::MORPH_BLACKHAT, k_black, {-1, -1}, 1,
                   cv::BORDER_REPLICATE);
  cv::morphologyEx(ws.l, ws.gradient, cv::MORPH_GRADIENT, k3, {-1, -1}, 1, cv::BORDER_REPLICATE);
  // Padding must not look like structure.
  ws.tophat_small.setTo(0, ~ws.valid);
  ws.tophat_large.setTo(0, ~ws.valid);
  ws.blackhat.setTo(0, ~ws.valid);
  ws.gradient.setTo(0, ~ws.valid);
  cv::compare(ws.blackhat, kHairBlackhat, ws.hair_mask, cv::CMP_GT);

  // Image statistics over valid pixels.
  ImageStats& st = ws.stats;
  st.valid_pixels = cv::countNonZero(ws.valid);
  st.l_median = masked_median_u8(ws.l, ws.valid);
  cv::Scalar mean, sd;
  cv::meanStdDev(ws.l, mean, sd, ws.valid);
  st.l_sd = sd[0];
  st.a_median = masked_median_u8(ws.a8, ws.valid) - 128.0;
  st.b_median = masked_median_u8(ws.b8, ws.valid) - 128.0;
  st.chroma_median = masked_median_u8(ws.chroma8, ws.valid);
  const double valid_n = std::max(1, st.valid_pixels);
  st.hair_cover = cv::countNonZero(ws.hair_mask) / valid_n;
  cv::compare(ws.tophat_large, kStrongTophatLarge, ws.tmp8, cv::CMP_GT);
  st.bump_cover = cv::countNonZero(ws.tmp8) / valid_n;

  // Patch features.
  const int n = ws.cols * ws.rows;
  ws.features.create(n, kPatchFeatureCount, CV_64F);
  ws.features.setTo(0);
  const double unit = st.l_sd + 8.0;
  auto set_feature = [&](int index, const cv::Mat& grid, double offset, double divisor) {
    for (int r = 0; r < ws.rows; ++r) {
      const auto* g = grid.ptr<double>(r);
      for (int c = 0; c < ws.cols; ++c) {
        ws.features.at<double>(r * ws.cols + c, index) = (g[c] - offset) / divisor;
      }
    }
  };
  auto share_feature = [&](int index, const cv::Mat& mask8) {
    block_mean(mask8, ws.cols, ws.rows, ws.grid);
    set_feature(index, ws.grid, 0.0, 255.0);
  };

  cv::Mat mean_l;
  block_mean(ws.l, ws.cols, ws.rows, mean_l);
  set_feature(0, mean_l, st.l_median, unit);
  ws.l.convertTo(ws.tmpf, CV_32F);
  cv::multiply(ws.tmpf, ws.tmpf, ws.tmpf2);
  block_mean(ws.tmpf2, ws.cols, ws.rows, ws.grid);
  for (int r = 0; r < ws.rows; ++r) {
    for (int c = 0; c < ws.cols; ++c) {
      const double m = mean_l.at<double>(r, c);
      const double var = std::max(0.0, ws.grid.at<double>(r, c) - m * m);
      ws.features.at<double>(r * ws.cols + c, 1) = std::sqrt(var) / unit;
    }
  }
  block_mean(ws.tophat_small, ws.cols, ws.rows, ws.grid);
  set_feature(2, ws.grid, 0.0, unit);
  block_mean(ws.tophat_large, ws.cols, ws.rows, ws.grid);
  set_feature(3, ws.grid, 0.0, unit);
  share_feature(4, ws.tmp8);  // strong large top-hat, computed above
  cv::compare(ws.tophat_small, kStrongTophatSmall, ws.tmp8, cv::CMP_GT);
  share_feature(5, ws.tmp8);
  cv::compare(ws.l, kSaturatedL, ws.tmp8, cv::CMP_GE);
  ws.tmp8.setTo(0, ~ws.valid);
  share_feature(6, ws.tmp8);
  cv::compare(ws.tophat_large, 10, ws.tmp8, cv::CMP_GT);
  cv::compare(ws.chroma8, st.chroma_median + 4.0, ws.tmp8b, cv::CMP_LE);
  cv::bitwise_and(ws.tmp8, ws.tmp8b, ws.tmp8);
  share_feature(7, ws.tmp8);
  block_mean(ws.chroma, ws.cols, ws.rows, ws.grid);
  set_feature(8, ws.grid, st.chroma_median, 8.0);
  block_mean(ws.af, ws.cols, ws.rows, ws.grid);
  set_feature(9, ws.grid, st.a_median, 8.0);
  block_mean(ws.bf, ws.cols, ws.rows, ws.grid);
  set_feature(10, ws.grid, st.b_median, 8.0);
  block_mean(ws.blackhat, ws.cols, ws.rows, ws.grid);
  set_feature(11, ws.grid, 0.0, unit);
  share_feature(12, ws.hair_mask);
  block_mean(ws.gradient, ws.cols, ws.rows, ws.grid);
  set_feature(13, ws.grid, 0.0, unit);
  // Contrast against the neighbouring patches: (9 * mean - sum of 3×3) / 8.
  cv::Mat neigh;
  cv::blur(mean_l, neigh, {3, 3}, {-1, -1}, cv::BORDER_REPLICATE);
  for (int r = 0; r < ws.rows; ++r) {
    for (int c = 0; c < ws.cols; ++c) {
      const double m = mean_l.at<double>(r, c);
      ws.features.at<double>(r * ws.cols + c, 14) = 9.0 / 8.0 * (m - neigh.at<double>(r, c)) / unit;
    }
  }
  for (int i = 0; i < n; ++i) {
    auto* f = ws.features.ptr<double>(i);
    f[15] = st.l_median / 255.0;
    f[16] = st.l_sd / 64.0;
    f[17] = st.chroma_median / 32.0;
    f[18] = st.hair_cover;
    f[19] = st.bump_cover;
  }

  // A patch counts when at least half of it shows scalp.
  block_mean(ws.valid, ws.cols, ws.rows, ws.grid);
  ws.patch_valid.create(ws.rows, ws.cols, CV_8U);
  for (int r = 0; r < ws.rows; ++r) {
    for (int c = 0; c < ws.cols; ++c) {
      ws.patch_valid.at<std::uint8_t>(r, c) = ws.grid.at<double>(r, c) >= 127.5 ? 1 : 0;
    }
  }
}

}  // namespace headspa::scalp::detail
