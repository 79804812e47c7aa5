// Simulation speed of the full japanese-head-spa session on the twin (one core): simulated
// seconds per wall second of stepping. The plan is made here on the built-in head for a client
// with no reported conditions (as `headspa plan --protocol japanese-head-spa` does); a plan file
// given as argv[1] is run instead. Target: >= 50x real time.
//
// When the planner rejects the plan, the session is timed on the plan as made (unvalidated) and
// the line says so: the figure is the twin's speed, not a verdict on the plan.
#include <cstdio>
#include <string>

#include "headspa/care/builtin.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/plan/planner.hpp"
#include "headspa/sim/session.hpp"

int main(int argc, char** argv) {
  using namespace headspa;
  const anatomy::Head head = anatomy::built_in_head({});
  plan::SessionPlan plan;
  std::string what;
  if (argc > 1) {
    plan = plan::read_plan_json_file(argv[1]);
    what = argv[1];
  } else {
    const care::Intake intake;
    const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
    const care::PersonalisedProtocol personal =
        care::personalise(care::builtin_protocol("japanese-head-spa"), intake, screening, nullptr,
                          care::builtin_catalogue());
    const plan::PlanningSurface surface(head);
    plan::PlanInputs inputs;
    inputs.protocol = &personal;
    inputs.seed = 1;
    what = "japanese-head-spa, built-in head";
    try {
      plan = plan::make_plan(surface, inputs);
    } catch (const plan::PlanRejected& e) {
      plan = plan::make_plan_unvalidated(surface, inputs);
      what += ", plan REJECTED by validation (timed as made): " + std::string(e.what());
      if (what.size() > 300) what = what.substr(0, 300) + "...";
    }
  }
  sim::SimulationOptions options;
  const sim::SimulationResult r = sim::simulate(plan, head, options);
  const auto& m = r.metrics;
  std::printf(
      "simulated session (%s): plan %.0f s; %.1f s simulated in %.2f s wall (%.2f s setup) = "
      "%.0fx real time stepping (target >= 50x); outcome %s%s%s, force RMS error %.3f N\n",
      what.c_str(), plan.duration_s, m.simulated_s, m.wall_s, m.setup_s, m.real_time_factor,
      std::string(control::runner_state_name(m.outcome)).c_str(), m.abort_cause.empty() ? "" : ": ",
      m.abort_cause.c_str(), m.force_rms_error_n);
  return 0;
}
