// Images per second of ScalpAnalyzer::analyze on 640×640 photographs, one thread: the median of
// 15 timed rounds. Uses a synthetic scalp picture, and one of the shared photographs (decoded
// once, and also timed including JPEG decoding) when ../shared/data is present.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

#include "headspa/scalp/analyzer.hpp"

namespace {

constexpr int kRounds = 15;
constexpr int kPerRound = 20;

double median_rate(const std::function<void()>& analyse_once) {
  for (int i = 0; i < 5; ++i) analyse_once();  // warm-up
  std::vector<double> rates;
  for (int r = 0; r < kRounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kPerRound; ++i) analyse_once();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    rates.push_back(kPerRound / dt.count());
  }
  std::nth_element(rates.begin(), rates.begin() + kRounds / 2, rates.end());
  return rates[kRounds / 2];
}

cv::Mat synthetic_scalp() {
  cv::Mat img(640, 640, CV_8UC3, cv::Scalar(165, 180, 210));
  cv::RNG rng(42);
  cv::Mat noise(640, 640, CV_8UC3);
  rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(6));
  cv::add(img, noise, img);
  for (int i = 0; i < 40; ++i) {
    cv::line(img, {rng.uniform(0, 640), 0}, {rng.uniform(0, 640), 639}, cv::Scalar(35, 35, 40),
             rng.uniform(4, 12));
  }
  for (int i = 0; i < 60; ++i) {
    cv::circle(img, {rng.uniform(0, 640), rng.uniform(0, 640)}, rng.uniform(2, 8),
               cv::Scalar(235, 240, 245), -1);
  }
  cv::circle(img, {320, 320}, 20, cv::Scalar(40, 40, 200), -1);
  return img;
}

}  // namespace

int main() {
  cv::setNumThreads(1);
  headspa::scalp::ScalpAnalyzer analyzer;

  const cv::Mat synth = synthetic_scalp();
  const headspa::scalp::ImageView sv{synth.data, synth.cols, synth.rows,
                                     headspa::scalp::PixelOrder::kBgr, synth.step[0]};
  const double r_synth = median_rate([&] { (void)analyzer.analyze(sv); });
  std::printf("scalp analyze, synthetic 640x640, 1 thread: %.1f images/s (median of %d rounds)\n",
              r_synth, kRounds);

  const std::filesystem::path photo =
      std::filesystem::path(HEADSPA_SHARED_DATA) / "scalp" / "images" / "_1613121922570.jpg";
  if (std::filesystem::exists(photo)) {
    std::ifstream in(photo, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    const cv::Mat real = cv::imread(photo.string());
    const headspa::scalp::ImageView rv{real.data, real.cols, real.rows,
                                       headspa::scalp::PixelOrder::kBgr, real.step[0]};
    const double r_real = median_rate([&] { (void)analyzer.analyze(rv); });
    const double r_decode =
        median_rate([&] { (void)analyzer.analyze_encoded(bytes.data(), bytes.size()); });
    std::printf(
        "scalp analyze, photo %dx%d, 1 thread: %.1f images/s; with JPEG decoding: %.1f "
        "images/s\n",
        real.cols, real.rows, r_real, r_decode);
  } else {
    std::printf("(shared scalp photographs not found; synthetic image only)\n");
  }
  std::printf("target: >= 100 images/s at 640x640 on one core\n");
  return 0;
}
