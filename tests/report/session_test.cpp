// A report made from a real (short) session on the twin: press-and-circle on each side of the
// scalp. Checks that the delivered contact lands where the plan put it, the force charts and the
// coverage map, and that the page is self-contained.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "control/test_rig.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/home_care.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/report/report.hpp"
#include "headspa/sim/session.hpp"
#include "headspa/sim/twin.hpp"

namespace headspa::report {
namespace {

TEST(SessionReport, PutsTheDeliveredContactWhereThePlanPutIt) {
  const auto& fixture = control::test::HeadFixture::get();
  const plan::SessionPlan plan =
      control::test::make_plan({.force_n = 4.0, .hold_s = 2.0, .circle_radius_m = 0.01});
  const sim::SimulationOptions options;
  const sim::SimulationResult result = sim::simulate(plan, fixture.head, options);
  ASSERT_EQ(result.metrics.outcome, control::RunnerState::kFinished) << result.metrics.abort_cause;

  const care::Intake intake = care::parse_intake("format: headspa/intake@1\n", "c.yaml");
  const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
  const care::HomeCareRoutine home =
      care::make_home_care(intake, nullptr, care::builtin_rules(), care::builtin_catalogue());
  ReportInputs in;
  in.intake = &intake;
  in.screening = &screening;
  in.home_care = &home;
  in.head = &fixture.head;
  in.plan = &plan;
  in.session = &result;
  in.world_to_head = sim::Twin(fixture.head, options.twin).head_rest_pose().inverse();
  const SessionReport r = make_report(in);

  EXPECT_EQ(r.outcome, Outcome::kFinished);
  EXPECT_TRUE(r.session_ran);
  EXPECT_NE(r.summary.find("Finished on the twin"), std::string::npos) << r.summary;
  // The regions the plan pressed are the ones the twin touched, and nowhere else got much.
  std::set<anatomy::Region> planned;
  for (const auto& track : plan.tracks) {
    for (const auto& s : track) {
      if (s.phase == plan::Phase::kContact) planned.insert(s.region);
    }
  }
  double on_plan = 0, elsewhere = 0;
  for (const auto& l : r.regions) {
    (planned.count(l.region) ? on_plan : elsewhere) += l.delivered_time_s;
    if (planned.count(l.region)) {
      EXPECT_GT(l.delivered_coverage, 0.0) << anatomy::region_name(l.region);
      EXPECT_GT(l.peak_force_n, 1.0) << anatomy::region_name(l.region);
      EXPECT_LT(l.peak_force_n, l.cap_n * 1.1) << anatomy::region_name(l.region);
    }
  }
  EXPECT_GT(on_plan, 2 * 2.0);  // both pads, at least the hold
  EXPECT_LT(elsewhere, 0.1 * on_plan);
  // A 1 cm circle passes over any one spot for only part of each turn, and no spot is under a
  // pad for longer than the 3 s of contact.
  EXPECT_GT(r.max_dwell_s, 0.3);
  EXPECT_LT(r.max_dwell_s, 3.1);
  // Force charts: both pads, commanded up to the plan's 4 N, caps where the pads press.
  ASSERT_EQ(r.force.size(), 2u);
  for (const auto& s : r.force) {
    ASSERT_FALSE(s.t_s.empty());
    EXPECT_NEAR(*std::max_element(s.commanded_n.begin(), s.commanded_n.end()), 4.0, 0.5);
    EXPECT_GT(*std::max_element(s.cap_n.begin(), s.cap_n.end()), 4.0);
    EXPECT_TRUE(std::is_sorted(s.t_s.begin(), s.t_s.end()));
  }
  EXPECT_FALSE(r.events.empty());

  const std::string html = report_to_html(r);
  EXPECT_NE(html.find("<svg class=\"chart\" viewBox"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  const auto j = nlohmann::json::parse(report_to_json(r));
  EXPECT_EQ(j["outcome"], "finished");
  EXPECT_TRUE(j["session"]["met_safety"].get<bool>());
  EXPECT_EQ(j["session"]["force"].size(), 2u);
}

}  // namespace
}  // namespace headspa::report
