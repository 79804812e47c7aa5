// Every routine on every head: the built-in head at each size, and the real heads of
// ../shared/data/heads when present. Each plan must pass validation (coverage of every targeted
// region at least 90% among the safety checks). Under sanitizers only the default built-in head
// is planned.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/plan/planner.hpp"
#include "headspa/plan/validate.hpp"
#include "test_util.hpp"

namespace headspa::plan {
namespace {

const std::vector<std::string>& protocols() {
  static const std::vector<std::string> ids = {"japanese-head-spa", "head-therapy", "scalp-self",
                                               "face-and-scalp"};
  return ids;
}

care::PersonalisedProtocol personalised(const std::string& id) {
  const care::Intake intake;
  const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
  return care::personalise(care::builtin_protocol(id), intake, screening, nullptr,
                           care::builtin_catalogue());
}

// Plans every routine on the head and checks each result.
void check_every_protocol(const anatomy::Head& head, const std::string& name) {
  const PlanningSurface surface(head);
  for (const std::string& id : protocols()) {
    SCOPED_TRACE(name + ", " + id);
    const care::PersonalisedProtocol p = personalised(id);
    PlanInputs in;
    in.protocol = &p;
    in.seed = 1;
    SessionPlan plan;
    try {
      plan = make_plan_unvalidated(surface, in);
    } catch (const PlanRejected& e) {
      ADD_FAILURE() << "not planned: " << e.what();
      continue;
    }
    const ValidationReport r = validate_plan(plan, surface);
    double lowest = 1.0;
    std::string lowest_region;
    for (const RegionSummary& s : plan.regions) {
      if (s.targeted && s.workable_area_m2 >= 1e-4 && s.coverage < lowest) {
        lowest = s.coverage;
        lowest_region = std::string(anatomy::region_name(s.region));
      }
    }
    std::printf("  %s, %s: %s, lowest coverage %s %.1f%%\n", name.c_str(), id.c_str(),
                r.ok ? "validates" : "rejected", lowest_region.c_str(), 100.0 * lowest);
    EXPECT_TRUE(r.ok);
    for (const ValidationIssue& issue : r.issues) {
      ADD_FAILURE() << issue.check << ": " << issue.message;
    }
  }
}

struct Size {
  anatomy::Sex sex;
  int percentile;
  const char* name;
};

class BuiltInHead : public ::testing::TestWithParam<Size> {};

TEST_P(BuiltInHead, EveryProtocolValidates) {
  if (test::kSanitized && std::string(GetParam().name) != "f50") {
    GTEST_SKIP() << "under sanitizers only the default size is planned (plan_test covers the rest)";
  }
  anatomy::DefaultHeadOptions o;
  o.sex = GetParam().sex;
  o.percentile = GetParam().percentile;
  check_every_protocol(anatomy::built_in_head(o), GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, BuiltInHead,
    ::testing::Values(Size{anatomy::Sex::kFemale, 5, "f5"}, Size{anatomy::Sex::kFemale, 50, "f50"},
                      Size{anatomy::Sex::kFemale, 95, "f95"}, Size{anatomy::Sex::kMale, 5, "m5"},
                      Size{anatomy::Sex::kMale, 50, "m50"}, Size{anatomy::Sex::kMale, 95, "m95"}),
    [](const ::testing::TestParamInfo<Size>& size) { return std::string(size.param.name); });

TEST(SharedHeads, EveryProtocolValidates) {
  const std::string data = test::shared_data();
  if (data.empty()) GTEST_SKIP() << "../shared/data is absent: skipping the real-head plans";
  if (test::kSanitized) GTEST_SKIP() << "the real-head plans run only in builds without sanitizers";
  const std::vector<std::pair<std::string, std::string>> heads = {
      {"ict_neutral", "/heads/ict/ict_neutral_skin.obj"},
      {"ict_identity000", "/heads/ict/ict_identity000_skin.obj"},
      {"ict_identity001", "/heads/ict/ict_identity001_skin.obj"},
      {"makehuman", "/heads/makehuman/makehuman_headneck.obj"},
      {"lee_perry_smith", "/heads/lee_perry_smith/lee_perry_smith.obj"}};
  for (const auto& [name, path] : heads) {
    const std::string units = name == "lee_perry_smith" ? "auto" : "";
    const anatomy::Head head =
        anatomy::import_head(data + path, anatomy::import_options_for_units(units));
    check_every_protocol(head, name);
  }
}

}  // namespace
}  // namespace headspa::plan
