// Synthetic scalp-like pictures for tests (no third-party data).
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdint>
#include <vector>

#include "headspa/scalp/image.hpp"

namespace headspa::scalp::test {

// Beige skin with mild deterministic texture, 8UC3 BGR.
inline cv::Mat skin(int width = 640, int height = 640) {
  cv::Mat m(height, width, CV_8UC3, cv::Scalar(165, 180, 210));
  cv::Mat noise(height, width, CV_8UC3);
  cv::RNG rng(1234);
  rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(4));
  cv::Mat out;
  cv::add(m, noise, out, cv::noArray(), CV_8UC3);
  return out;
}

inline ImageView view_of(const cv::Mat& m) {
  return ImageView{m.data, m.cols, m.rows, m.channels() == 1 ? PixelOrder::kGray : PixelOrder::kBgr,
                   m.step[0]};
}

inline std::vector<std::uint8_t> encode(const cv::Mat& m, const char* ext) {
  std::vector<std::uint8_t> buf;
  cv::imencode(ext, m, buf);
  return buf;
}

}  // namespace headspa::scalp::test
