// Images per second of ScalpAnalyzer::analyze on 640×640 photographs, one thread: the median of
// 15 timed rounds. Uses a synthetic scalp picture, and one of the shared photographs (decoded
// once, and also timed including JPEG decoding) when ../shared/data is present.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <time.h>

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

// Seconds of CPU time this thread has used: unlike the wall clock, it does not count the time
// other processes on a busy machine take from it.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Rates {
  double wall = 0.0;  // images per second of wall-clock time
  double cpu = 0.0;   // images per second of this thread's CPU time
};

Rates median_rate(const std::function<void()>& analyse_once) {
  for (int i = 0; i < 5; ++i) analyse_once();  // warm-up
  std::vector<double> wall, cpu;
  for (int r = 0; r < kRounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    for (int i = 0; i < kPerRound; ++i) analyse_once();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    wall.push_back(kPerRound / dt.count());
    cpu.push_back(kPerRound / std::max(1e-9, thread_cpu_seconds() - c0));
  }
  std::nth_element(wall.begin(), wall.begin() + kRounds / 2, wall.end());
  std::nth_element(cpu.begin(), cpu.begin() + kRounds / 2, cpu.end());
  return {wall[kRounds / 2], cpu[kRounds / 2]};
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
  const Rates r_synth = median_rate([&] { (void)analyzer.analyze(sv); });
  std::printf(
      "scalp analyze, synthetic 640x640, 1 thread: %.1f images/s (median of %d rounds; %.1f per "
      "CPU-second)\n",
      r_synth.wall, kRounds, r_synth.cpu);

  const std::filesystem::path photo =
      std::filesystem::path(HEADSPA_SHARED_DATA) / "scalp" / "images" / "_1613121922570.jpg";
  if (std::filesystem::exists(photo)) {
    std::ifstream in(photo, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    const cv::Mat real = cv::imread(photo.string());
    const headspa::scalp::ImageView rv{real.data, real.cols, real.rows,
                                       headspa::scalp::PixelOrder::kBgr, real.step[0]};
    const Rates r_real = median_rate([&] { (void)analyzer.analyze(rv); });
    const Rates r_decode =
        median_rate([&] { (void)analyzer.analyze_encoded(bytes.data(), bytes.size()); });
    std::printf(
        "scalp analyze, photo %dx%d, 1 thread: %.1f images/s (%.1f per CPU-second); with JPEG "
        "decoding: %.1f images/s (%.1f per CPU-second)\n",
        real.cols, real.rows, r_real.wall, r_real.cpu, r_decode.wall, r_decode.cpu);
  } else {
    std::printf("(shared scalp photographs not found; synthetic image only)\n");
  }
  std::printf("target: >= 100 images/s at 640x640 on one core\n");
  return 0;
}
