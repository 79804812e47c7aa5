// Simulation speed of a whole session on the twin (one core): simulated seconds per wall
// second. Runs the japanese-head-spa plan when one is given (argv[1], a plan.json made on the
// built-in head), else a 60 s press-and-circle plan. Target: >= 50x real time.
#include <cstdio>
#include <string>

#include "control/test_rig.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/sim/session.hpp"

int main(int argc, char** argv) {
  using namespace headspa;
  plan::SessionPlan plan;
  anatomy::Head head;
  std::string what;
  if (argc > 1) {
    plan = plan::read_plan_json_file(argv[1]);
    head = anatomy::built_in_head({});
    what = argv[1];
  } else {
    plan = control::test::make_plan({.hold_s = 60.0, .circle_radius_m = 0.012});
    head = control::test::HeadFixture::get().head;
    what = "60 s press-and-circle plan";
  }
  sim::SimulationOptions options;
  const sim::SimulationResult r = sim::simulate(plan, head, options);
  const auto& m = r.metrics;
  std::printf(
      "simulated session (%s): %.1f s simulated in %.2f s wall (%.2f s setup) = %.0fx real time "
      "stepping (target >= 50x); "
      "outcome %s, force RMS error %.3f N\n",
      what.c_str(), m.simulated_s, m.wall_s, m.setup_s, m.real_time_factor,
      std::string(control::runner_state_name(m.outcome)).c_str(), m.force_rms_error_n);
  return 0;
}
