#include "headspa/care/scalp_findings.hpp"

#include <gtest/gtest.h>

#include "care/test_util.hpp"

namespace headspa::care {
namespace {

using testing::input_error_of;

constexpr std::string_view kAnalysis = R"({"format": "headspa/scalp-analysis@1",
 "findings": [{"name": "flaky_dry", "score": 0.8, "present": true},
              {"name": "oily", "score": 0.1, "present": false},
              {"name": "red_sensitive", "score": 0.2, "present": false},
              {"name": "normal", "score": 0.1, "present": false}],
 "suspected_open_lesion": false,
 "images": [{"file": "a.jpg", "findings": [{"name": "d", "polygons": [[1, 2], [3, 4]]}]}]})";

TEST(ScalpFindings, ReadsTheScalpModulesOutput) {
  const ScalpFindings f = parse_scalp_findings(kAnalysis, "a.json");
  ASSERT_EQ(f.findings.size(), 4u);
  EXPECT_TRUE(f.present(ScalpFindingName::kFlakyDry));
  EXPECT_FALSE(f.present(ScalpFindingName::kOily));
  EXPECT_DOUBLE_EQ(f.score(ScalpFindingName::kFlakyDry), 0.8);
  EXPECT_DOUBLE_EQ(f.score(ScalpFindingName::kRedSensitive), 0.2);
  EXPECT_FALSE(f.suspected_open_lesion);
}

TEST(ScalpFindings, UnknownFindingIsAnError) {
  std::string text(kAnalysis);
  text.replace(text.find("\"oily\""), 6, "\"greasy\"");
  EXPECT_PRED2(testing::starts_with, input_error_of([&] { parse_scalp_findings(text, "a.json"); }),
               "a.json:3:24: findings[1].name: unknown finding 'greasy' (exp");
}

TEST(ScalpFindings, ScoresAndFlagsAreChecked) {
  std::string text(kAnalysis);
  text.replace(text.find("0.8"), 3, "1.8");
  EXPECT_EQ(input_error_of([&] { parse_scalp_findings(text, "a.json"); }),
            "a.json:2:46: findings[0].score: expected a number 0–1, found 1.8");
  text = std::string(kAnalysis);
  text.replace(text.find("\"suspected_open_lesion\": false"), 30, "\"suspected_open_lesion\": 1");
  EXPECT_EQ(input_error_of([&] { parse_scalp_findings(text, "a.json"); }),
            "a.json:6:27: suspected_open_lesion: expected true or false, found '1'");
  EXPECT_NE(input_error_of([] {
              parse_scalp_findings("{\"format\": \"x\"}", "a.json");
            }).find("format: expected 'headspa/scalp-analysis@1'"),
            std::string::npos);
}

}  // namespace
}  // namespace headspa::care
