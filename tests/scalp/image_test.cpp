#include "headspa/scalp/image.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/scalp/analyzer.hpp"
#include "synthetic.hpp"

namespace headspa::scalp {
namespace {

bool has_warning(const std::vector<std::string>& w, const std::string& part) {
  return std::any_of(w.begin(), w.end(),
                     [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

std::string error_of(const std::vector<std::uint8_t>& bytes) {
  try {
    decode_image(bytes, "in.bin");
  } catch (const InputError& e) {
    return e.what();
  }
  return {};
}

TEST(DecodeImage, RefusesTextAndEmptyInput) {
  const std::string text = "hello, this is not a picture";
  EXPECT_NE(error_of({text.begin(), text.end()}).find("not a JPEG, PNG or BMP"), std::string::npos);
  EXPECT_NE(error_of({}).find("empty file"), std::string::npos);
}

TEST(DecodeImage, RefusesAPngThatClaimsGigapixels) {
  auto png = test::encode(test::skin(64, 64), ".png");
  // IHDR width at bytes 16..19 (big endian): claim 100000 pixels.
  png[16] = 0;
  png[17] = 0x01;
  png[18] = 0x86;
  png[19] = 0xA0;
  EXPECT_NE(error_of(png).find("declares 100000x64"), std::string::npos);
}

TEST(DecodeImage, TruncatedJpegIsAnErrorOrAWarning) {
  auto jpg = test::encode(test::skin(), ".jpg");
  jpg.resize(jpg.size() / 2);
  try {
    const Image img = decode_image(jpg, "half.jpg");
    EXPECT_TRUE(has_warning(img.warnings, "ends early")) << "decoded without a warning";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("half.jpg"), std::string::npos);
  }
  // Cut inside the headers: no frame to decode.
  jpg.resize(20);
  EXPECT_FALSE(error_of(jpg).empty());
}

TEST(DecodeImage, SixteenBitPngIsReducedWithAWarning) {
  cv::Mat deep;
  test::skin(64, 64).convertTo(deep, CV_16UC3, 257.0);
  const Image img = decode_image(test::encode(deep, ".png"));
  EXPECT_EQ(img.order, PixelOrder::kBgr);
  EXPECT_TRUE(has_warning(img.warnings, "16-bit"));
  // 165 * 257 / 257 → about 165 again.
  EXPECT_NEAR(img.pixels[0], 165, 15);
}

TEST(DecodeImage, GrayscaleStaysOneChannelWithAWarning) {
  cv::Mat g;
  cv::cvtColor(test::skin(64, 64), g, cv::COLOR_BGR2GRAY);
  const Image img = decode_image(test::encode(g, ".png"));
  EXPECT_EQ(img.order, PixelOrder::kGray);
  EXPECT_EQ(img.pixels.size(), 64u * 64u);
  EXPECT_TRUE(has_warning(img.warnings, "grayscale"));
}

TEST(DecodeImage, BmpAndAlphaPngDecodeToBgr) {
  const Image bmp = decode_image(test::encode(test::skin(40, 30), ".bmp"));
  EXPECT_EQ(bmp.width, 40);
  EXPECT_EQ(bmp.height, 30);
  cv::Mat bgra;
  cv::cvtColor(test::skin(40, 30), bgra, cv::COLOR_BGR2BGRA);
  const Image png = decode_image(test::encode(bgra, ".png"));
  EXPECT_EQ(png.order, PixelOrder::kBgr);
  EXPECT_EQ(png.pixels.size(), 40u * 30u * 3u);
}

TEST(Analyze, OnePixelImageIsAClearError) {
  const cv::Mat one(1, 1, CV_8UC3, cv::Scalar(1, 2, 3));
  ScalpAnalyzer analyzer;
  try {
    analyzer.analyze_encoded(test::encode(one, ".png").data(), test::encode(one, ".png").size(),
                             "dot.png");
    FAIL() << "a 1x1 image was analysed";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("1x1 pixels"), std::string::npos) << e.what();
  }
}

TEST(ImageView, RejectsInconsistentBuffers) {
  std::uint8_t px[12] = {};
  std::string why;
  EXPECT_FALSE((ImageView{nullptr, 2, 2, PixelOrder::kBgr, 0}).IsValid(&why));
  EXPECT_FALSE((ImageView{px, 0, 2, PixelOrder::kBgr, 0}).IsValid(&why));
  EXPECT_FALSE((ImageView{px, 2, 2, PixelOrder::kBgr, 3}).IsValid(&why));
  EXPECT_NE(why.find("stride"), std::string::npos);
  EXPECT_TRUE((ImageView{px, 2, 2, PixelOrder::kBgr, 6}).IsValid(&why));
}

}  // namespace
}  // namespace headspa::scalp
