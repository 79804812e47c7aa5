// The 1 kHz control tick (runner + controller + safety monitor + devices): median and p99 of
// single ticks over a press-and-circle session on a point-mass rig. Target: p99 <= 20 us.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "control/test_rig.hpp"
#include "headspa/control/session_runner.hpp"

int main() {
  using namespace headspa;
  const auto plan = control::test::make_plan({.hold_s = 20.0, .circle_radius_m = 0.012});
  const control::HeadField field(control::test::HeadFixture::get().head);
  std::vector<double> us;
  for (int rep = 0; rep < 3; ++rep) {
    control::test::PointRig rig(plan);
    control::SessionRunner runner(plan, field, control::RunnerOptions{});
    runner.post(control::LiveCommand::kStart);
    while (!runner.done()) {
      const control::RigState s = rig.state();
      const auto t0 = std::chrono::steady_clock::now();
      const control::RigCommand c = runner.tick(s, 0.001);
      const auto t1 = std::chrono::steady_clock::now();
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      rig.step(c, 0.001);
    }
  }
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) {
    return us[static_cast<std::size_t>(q * static_cast<double>(us.size() - 1))];
  };
  std::printf(
      "control tick (runner + controller + monitor): %zu ticks, median %.2f us, p99 %.2f us, max "
      "%.2f us (target p99 <= 20 us)\n",
      us.size(), at(0.5), at(0.99), us.back());
  return 0;
}
