#include <gtest/gtest.h>

#include "headspa/core/error.hpp"
#include "headspa/scalp/analysis.hpp"

namespace headspa::scalp {
namespace {

ImageAnalysis image(const std::string& path, double flaky, double oily, double red) {
  ImageAnalysis a;
  a.path = path;
  a.width = 640;
  a.height = 480;
  a.flakes = {12, 0.03};
  a.oil = {0.1};
  a.redness = {0.002, 3.5};
  a.hair.count = 7;
  a.findings = {{"flaky_dry", flaky, flaky >= 0.5},
                {"oily", oily, oily >= 0.5},
                {"red_sensitive", red, red >= 0.5},
                {"normal", 1.0 - std::max({flaky, oily, red}), std::max({flaky, oily, red}) < 0.5}};
  return a;
}

TEST(Aggregate, PresentInAnyImageAndScoreIsTheMaximum) {
  ImageAnalysis lesion = image("b.jpg", 0.1, 0.7, 0.9);
  lesion.suspected_open_lesion = true;
  const ScalpAnalysis s = aggregate({image("a.jpg", 0.8, 0.2, 0.1), lesion});
  ASSERT_EQ(s.findings.size(), 4u);
  EXPECT_EQ(s.findings[0].name, "flaky_dry");
  EXPECT_DOUBLE_EQ(s.findings[0].score, 0.8);
  EXPECT_TRUE(s.findings[0].present);
  EXPECT_DOUBLE_EQ(s.findings[1].score, 0.7);
  EXPECT_TRUE(s.findings[2].present);
  EXPECT_FALSE(s.findings[3].present);
  EXPECT_NEAR(s.findings[3].score, 0.1, 1e-12);
  EXPECT_TRUE(s.suspected_open_lesion);
  EXPECT_FALSE(s.warnings.empty());
}

TEST(Aggregate, NormalOnlyWhenNothingElseIsPresentAndNeverForNoImage) {
  const ScalpAnalysis ok = aggregate({image("a.jpg", 0.2, 0.3, 0.1)});
  EXPECT_TRUE(ok.findings[3].present);
  EXPECT_NEAR(ok.findings[3].score, 0.7, 1e-12);
  const ScalpAnalysis none = aggregate({});
  EXPECT_FALSE(none.findings[3].present);
  ASSERT_FALSE(none.warnings.empty());
}

TEST(AnalysisJson, RoundTripsWithTheDocumentedKeys) {
  ImageAnalysis a = image("a.jpg", 0.8, 0.2, 0.1);
  a.hair.density_per_cm2 = 180.0;
  a.hair.mean_shaft_width_um = 72.5;
  a.warnings = {"16-bit image reduced to 8 bits"};
  const ScalpAnalysis s = aggregate({a, image("b.jpg", 0.1, 0.1, 0.1)});
  const std::string text = to_json(s);
  for (const char* key : {"\"format\"", "\"findings\"", "\"suspected_open_lesion\"", "\"images\"",
                          "\"warnings\"", "\"erythema_index\"", "\"density_per_cm2\": null"}) {
    EXPECT_NE(text.find(key), std::string::npos) << key;
  }
  const ScalpAnalysis back = parse_scalp_analysis(text);
  EXPECT_EQ(to_json(back), text);
  ASSERT_EQ(back.images.size(), 2u);
  EXPECT_DOUBLE_EQ(*back.images[0].hair.mean_shaft_width_um, 72.5);
  EXPECT_FALSE(back.images[1].hair.density_per_cm2.has_value());
}

TEST(AnalysisJson, ErrorsNameTheField) {
  try {
    parse_scalp_analysis(R"({"format": "headspa/scalp-analysis@1", "findings": [],
                            "suspected_open_lesion": false, "warnings": []})",
                         "a.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field_path, "images");
  }
  try {
    parse_scalp_analysis(R"({"format": "other@2"})", "a.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field_path, "format");
  }
  try {
    parse_scalp_analysis(R"({"format": "headspa/scalp-analysis@1",
      "findings": [{"name": "oily", "score": "high", "present": true}],
      "suspected_open_lesion": false, "images": [], "warnings": []})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field_path, "findings[0].score");
  }
  EXPECT_THROW(parse_scalp_analysis("{not json"), InputError);
}

}  // namespace
}  // namespace headspa::scalp
