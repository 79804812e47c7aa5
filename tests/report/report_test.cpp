// The session report's content, JSON and HTML for the cases that need no session on the twin
// (the e2e tests cover finished sessions): a refusal, a rejected plan, escaping, the dwell map.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "headspa/anatomy/head.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/home_care.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/report/report.hpp"
#include "report/small_head.hpp"

namespace headspa::report {
namespace {

struct Client {
  care::Intake intake;
  care::ScreeningResult screening;
  care::HomeCareRoutine home;
  explicit Client(const std::string& yaml) {
    intake = care::parse_intake(yaml, "client.yaml");
    screening = care::screen(intake, nullptr, care::builtin_rules());
    home = care::make_home_care(intake, nullptr, care::builtin_rules(), care::builtin_catalogue());
  }
  ReportInputs inputs() const {
    ReportInputs in;
    in.intake = &intake;
    in.intake_file = "client.yaml";
    in.screening = &screening;
    in.home_care = &home;
    return in;
  }
};

using testing::small_head;

TEST(Report, ARefusalSaysWhyAndShowsNoSession) {
  const Client c("format: headspa/intake@1\nclient: c1\nconditions: [severe_psoriasis, fever]\n");
  const SessionReport r = make_report(c.inputs());
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.decision, "refused");
  EXPECT_NE(r.summary.find("Refused before any contact"), std::string::npos);
  EXPECT_NE(r.summary.find("psoriasis"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("Fever"), std::string::npos) << r.summary;
  EXPECT_EQ(r.decision_reasons.size(), 2u);
  EXPECT_FALSE(r.session_ran);
  EXPECT_TRUE(r.head_pictures.empty());
  EXPECT_TRUE(r.home_care.on_hold);

  const auto j = nlohmann::json::parse(report_to_json(r));
  EXPECT_EQ(j["format"], "headspa/session-report@1");
  EXPECT_EQ(j["outcome"], "refused");
  EXPECT_EQ(j["decision"]["reasons"].size(), 2u);
  EXPECT_FALSE(j["session"]["ran"].get<bool>());
  EXPECT_TRUE(j["scalp"].is_null());

  const std::string html = report_to_html(r);
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find("refuse-severe-psoriasis"), std::string::npos);
  EXPECT_EQ(html.find("<svg class=\"chart\""), std::string::npos);  // no session, no chart
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_NE(html.find("data-ready"), std::string::npos);
}

TEST(Report, ARejectedPlanListsTheMessagesAndDrawsAnUntouchedHead) {
  const Client c("format: headspa/intake@1\nclient: c2\nallergies: [coconut_oil]\n");
  const care::PersonalisedProtocol personal =
      care::personalise(care::builtin_protocol("scalp-self"), c.intake, c.screening, nullptr,
                        care::builtin_catalogue());
  ReportInputs in = c.inputs();
  in.personalised = &personal;
  in.head = &small_head();
  in.head_source = "built-in head";
  in.plan_rejection = {"plan failed validation:", "coverage: scalp_crown 62% < 90%"};
  plan::ValidationReport validation;
  validation.ok = false;
  validation.checks = {{"no_go", true, 0.02, 0.01, "m"}, {"coverage", false, 0.62, 0.9, ""}};
  in.rejected_validation = &validation;
  const SessionReport r = make_report(in);
  EXPECT_EQ(r.outcome, Outcome::kPlanRejected);
  EXPECT_NE(r.summary.find("nothing touched the client"), std::string::npos);
  EXPECT_NE(r.summary.find("(failed checks: coverage)"), std::string::npos) << r.summary;
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_FALSE(r.checks[1].passed);
  ASSERT_EQ(r.head_pictures.size(), 5u);
  for (const auto& [view, uri] : r.head_pictures) {
    EXPECT_EQ(uri.rfind("data:image/png;base64,", 0), 0u) << view;
  }
  EXPECT_EQ(r.max_dwell_s, 0.0);
  // The steps as fitted, with the swapped oil, and every change with its reason.
  ASSERT_FALSE(r.steps.empty());
  bool oil = false;
  for (const auto& s : r.steps) {
    if (s.kind == "oil") {
      oil = true;
      EXPECT_EQ(s.product_id, "oil_raspberry_seed");
    }
  }
  EXPECT_TRUE(oil);
  ASSERT_EQ(r.modifications.size(), personal.changes.size() + personal.excluded_products.size() +
                                        personal.confirmations.size());
  for (const auto& m : r.modifications) EXPECT_FALSE(m.reason.empty()) << m.what;

  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("scalp_crown 62% &lt; 90%"), std::string::npos);
  EXPECT_EQ(html.find("<svg class=\"chart\""), std::string::npos);
  const auto j = nlohmann::json::parse(report_to_json(r));
  EXPECT_EQ(j["outcome"], "plan_rejected");
  EXPECT_EQ(j["plan"]["rejection"].size(), 2u);
  EXPECT_FALSE(j["plan"]["made"].get<bool>());
}

TEST(Report, EscapesWhatTheClientWrote) {
  const Client c(
      "format: headspa/intake@1\nclient: \"<script>alert(1)</script>\"\n"
      "conditions: [open_wound]\n");
  const std::string html = report_to_html(make_report(c.inputs()));
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(Report, MissingInputsAreAnError) {
  EXPECT_THROW(make_report(ReportInputs{}), InputError);
  const Client c("format: headspa/intake@1\n");
  ReportInputs in = c.inputs();
  const care::PersonalisedProtocol personal =
      care::personalise(care::builtin_protocol("scalp-self"), c.intake, c.screening, nullptr,
                        care::builtin_catalogue());
  in.personalised = &personal;
  plan::SessionPlan plan;
  in.plan = &plan;  // a plan but no session result
  EXPECT_THROW(make_report(in), InputError);
}

TEST(Dwell, CountsTimeWithinThePadsRadius) {
  const auto& mesh = small_head().mesh;
  const Eigen::Vector3d p = mesh.vertices[100];
  const std::vector<double> dwell = vertex_dwell_s(mesh, {p, p, p}, 0.01, 0.0075);
  ASSERT_EQ(dwell.size(), mesh.vertices.size());
  EXPECT_NEAR(dwell[100], 0.03, 1e-12);
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    const double d = (mesh.vertices[v] - p).norm();
    if (d > 0.0075) {
      EXPECT_EQ(dwell[v], 0.0) << v;
    } else if (d < 0.0074) {
      EXPECT_NEAR(dwell[v], 0.03, 1e-12) << v;
    }
  }
  EXPECT_THROW(vertex_dwell_s(mesh, {p}, 0.01, 0.0), InputError);
}

TEST(CoverageColour, UntouchedIsSkinAndLongerIsDarker) {
  EXPECT_EQ(coverage_colour(0.0, 10.0), (Rgb{226, 214, 200}));
  int previous = 3 * 255;
  for (double s : {0.05, 0.2, 1.0, 3.0, 10.0}) {
    const Rgb c = coverage_colour(s, 10.0);
    const int sum = c[0] + c[1] + c[2];
    EXPECT_LT(sum, previous) << s;
    previous = sum;
  }
}

TEST(SafetyRequirements, FollowTheSessionsMetrics) {
  sim::SessionMetrics m;
  m.safe_end = true;
  EXPECT_TRUE(session_met_safety(m));
  m.longest_over_cap_10pct_s = 0.011;
  EXPECT_FALSE(session_met_safety(m));
  m.longest_over_cap_10pct_s = 0.0;
  m.estop_to_retracted_s = 0.12;
  EXPECT_FALSE(session_met_safety(m));
  m.estop_to_retracted_s = 0.05;
  EXPECT_TRUE(session_met_safety(m));
  m.safe_end = false;
  EXPECT_FALSE(session_met_safety(m));
}

}  // namespace
}  // namespace headspa::report
