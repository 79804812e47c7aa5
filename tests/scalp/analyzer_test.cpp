#include "headspa/scalp/analyzer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "headspa/core/error.hpp"
#include "synthetic.hpp"

namespace headspa::scalp {
namespace {

const Finding& finding(const ImageAnalysis& a, std::string_view name) {
  const Finding* f = find_finding(a.findings, name);
  EXPECT_NE(f, nullptr) << name;
  static const Finding kMissing{};
  return f ? *f : kMissing;
}

TEST(Analyze, PlainSkinHasNoRednessNoLesionAndNoHair) {
  ScalpAnalyzer analyzer;
  const cv::Mat img = test::skin();
  const ImageAnalysis a = analyzer.analyze(test::view_of(img), "plain");
  EXPECT_EQ(a.width, 640);
  EXPECT_EQ(a.height, 640);
  EXPECT_LT(a.redness.area_fraction, 1e-4);
  EXPECT_FALSE(finding(a, kFindingRedSensitive).present);
  EXPECT_FALSE(a.suspected_open_lesion);
  EXPECT_EQ(a.hair.count, 0);
  EXPECT_FALSE(a.hair.density_per_cm2.has_value());
  ASSERT_EQ(a.findings.size(), 4u);
  for (const auto& f : a.findings) {
    EXPECT_GE(f.score, 0.0);
    EXPECT_LE(f.score, 1.0);
    EXPECT_EQ(f.present, f.score >= 0.5) << f.name;
  }
}

TEST(Analyze, CompactSaturatedRedPatchIsRednessAndASuspectedLesion) {
  ScalpAnalyzer analyzer;
  cv::Mat img = test::skin();
  cv::circle(img, {320, 320}, 25, cv::Scalar(40, 40, 200), -1);
  const ImageAnalysis a = analyzer.analyze(test::view_of(img), "red");
  const double disc = M_PI * 25.0 * 25.0 / (640.0 * 640.0);
  EXPECT_NEAR(a.redness.area_fraction, disc, 0.4 * disc);
  EXPECT_TRUE(finding(a, kFindingRedSensitive).present);
  EXPECT_FALSE(finding(a, kFindingNormal).present);
  EXPECT_TRUE(a.suspected_open_lesion);
  // The red patch raises the mean erythema index above that of plain skin.
  const ImageAnalysis plain = analyzer.analyze(test::view_of(test::skin()), "plain");
  EXPECT_GT(a.redness.erythema_index, plain.redness.erythema_index);
}

TEST(Analyze, FaintSmallPinkSpotIsNotALesion) {
  ScalpAnalyzer analyzer;
  cv::Mat img = test::skin();
  cv::circle(img, {200, 200}, 6, cv::Scalar(150, 150, 215), -1);
  const ImageAnalysis a = analyzer.analyze(test::view_of(img), "pink");
  EXPECT_FALSE(a.suspected_open_lesion);
}

TEST(Analyze, ElongatedBrownHairIsNotRedness) {
  ScalpAnalyzer analyzer;
  cv::Mat img = test::skin();
  cv::line(img, {50, 100}, {600, 140}, cv::Scalar(30, 70, 140), 5);
  const ImageAnalysis a = analyzer.analyze(test::view_of(img), "brown hair");
  EXPECT_FALSE(finding(a, kFindingRedSensitive).present);
}

TEST(Analyze, CountsDarkShaftsAndMeasuresThemWhenCalibrated) {
  AnalyzerOptions options;
  options.um_per_px = 2.0;
  ScalpAnalyzer analyzer(options);
  cv::Mat img = test::skin();
  for (int k = 0; k < 3; ++k) {
    cv::line(img, {100 + 180 * k, 60}, {160 + 180 * k, 580}, cv::Scalar(35, 35, 40), 10);
  }
  const ImageAnalysis a = analyzer.analyze(test::view_of(img), "hair");
  EXPECT_EQ(a.hair.count, 3);
  ASSERT_TRUE(a.hair.density_per_cm2.has_value());
  ASSERT_TRUE(a.hair.mean_shaft_width_um.has_value());
  const double area_cm2 = 640.0 * 640.0 * std::pow(2.0e-4, 2);
  EXPECT_NEAR(*a.hair.density_per_cm2, 3.0 / area_cm2, 0.05 * 3.0 / area_cm2);
  // 10 px wide at 2 µm per pixel.
  EXPECT_NEAR(*a.hair.mean_shaft_width_um, 20.0, 6.0);
}

TEST(Analyze, IsDeterministicAndDrawsAnOverlayOfTheInputSize) {
  ScalpAnalyzer analyzer;
  cv::Mat img = test::skin(500, 400);
  cv::circle(img, {250, 200}, 20, cv::Scalar(40, 40, 200), -1);
  Overlay overlay;
  const ImageAnalysis a = analyzer.analyze(test::view_of(img), "x", &overlay);
  const ImageAnalysis b = analyzer.analyze(test::view_of(img), "x");
  EXPECT_EQ(to_json(aggregate({a})), to_json(aggregate({b})));
  EXPECT_EQ(overlay.image.width, 500);
  EXPECT_EQ(overlay.image.height, 400);
  ASSERT_EQ(overlay.image.pixels.size(), 500u * 400u * 3u);
  // The red outline is drawn near the disc's edge, at (270, 200).
  int red_pixels = 0;
  for (int x = 262; x <= 278; ++x) {
    const std::uint8_t* p = &overlay.image.pixels[(200u * 500u + static_cast<unsigned>(x)) * 3u];
    if (p[0] == 0 && p[1] == 0 && p[2] == 255) ++red_pixels;
  }
  EXPECT_GT(red_pixels, 0);
}

TEST(Analyze, GrayscaleIsAnalysedWithAWarningAndNoRedness) {
  ScalpAnalyzer analyzer;
  cv::Mat gray;
  cv::cvtColor(test::skin(), gray, cv::COLOR_BGR2GRAY);
  const ImageAnalysis a = analyzer.analyze(test::view_of(gray), "gray");
  ASSERT_FALSE(a.warnings.empty());
  EXPECT_NE(a.warnings.front().find("grayscale"), std::string::npos);
  EXPECT_FALSE(finding(a, kFindingRedSensitive).present);
  EXPECT_EQ(finding(a, kFindingRedSensitive).score, 0.0);
}

TEST(Analyze, RefusesExtremeAspectRatios) {
  ScalpAnalyzer analyzer;
  const cv::Mat strip = test::skin(4000, 40);
  EXPECT_THROW(analyzer.analyze(test::view_of(strip)), InputError);
}

TEST(AnalyzerOptions, ValidatesEverySetting) {
  std::string why;
  AnalyzerOptions o;
  EXPECT_TRUE(o.IsValid(&why)) << why;
  o.um_per_px = -1.0;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("um_per_px"), std::string::npos);
  o = {};
  o.lesion_min_solidity = 2.0;
  EXPECT_FALSE(o.IsValid(&why));
  o = {};
  o.working_pixels = 10;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_THROW(ScalpAnalyzer{o}, InputError);
}

TEST(ScalpModel, DefaultModelIsValidAndRoundTripsToSource) {
  const ScalpModel& m = default_scalp_model();
  std::string why;
  EXPECT_TRUE(m.IsValid(&why)) << why;
  EXPECT_NE(m.provenance.find("CC BY 4.0"), std::string::npos);
  const std::string src = model_to_cpp_source(m);
  EXPECT_NE(src.find("return ScalpModel{"), std::string::npos);
  EXPECT_NE(src.find(std::to_string(m.seed)), std::string::npos);
  ScalpModel broken = m;
  broken.oil.image.weights.pop_back();
  EXPECT_FALSE(broken.IsValid(&why));
  EXPECT_NE(why.find("oil"), std::string::npos);
}

}  // namespace
}  // namespace headspa::scalp
