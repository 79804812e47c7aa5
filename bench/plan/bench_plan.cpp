// Planner benchmark: the full japanese-head-spa plan (two contacts) on the built-in head and on
// a 100k-vertex built-in head, with the head preparation (PlanningSurface) timed apart from the
// planning itself; and the whole-scalp coverage path at 1 cm spacing on the 100k head. Prints
// medians of repeated runs, the peak resident memory, and the targets.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/plan/planner.hpp"
#include "headspa/plan/validate.hpp"

namespace {

using namespace headspa;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void bench_head(const std::string& label, const anatomy::Head& head,
                const care::PersonalisedProtocol& protocol, int runs) {
  std::vector<double> prepare, plan, check;
  double duration = 0.0;
  std::size_t samples = 0;
  bool valid = false;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    const plan::PlanningSurface surface(head);
    prepare.push_back(seconds_since(t0));
    plan::PlanInputs inputs;
    inputs.protocol = &protocol;
    inputs.seed = 1;
    t0 = std::chrono::steady_clock::now();
    const plan::SessionPlan p = plan::make_plan_unvalidated(surface, inputs);
    plan.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    valid = plan::validate_plan(p, surface).ok;
    check.push_back(seconds_since(t0));
    duration = p.duration_s;
    samples = p.tracks[0].size() + p.tracks[1].size();
  }
  std::printf(
      "%-22s %7zu verts | head preparation %7.1f ms | plan %7.1f ms (target <= 100 ms) | "
      "validation %6.1f ms: %s | %.0f s session, %zu samples | median of %d\n",
      label.c_str(), head.mesh.vertices.size(), 1e3 * median(prepare), 1e3 * median(plan),
      1e3 * median(check), valid ? "passed" : "failed", duration, samples, runs);
}

// The whole-scalp coverage path at 1 cm spacing (layout and fill, no samples).
void bench_coverage_path(const std::string& label, const anatomy::Head& head, int runs) {
  const plan::PlanningSurface surface(head);
  const std::vector<anatomy::Region> scalp = {
      anatomy::Region::kScalpFrontal, anatomy::Region::kScalpParietalLeft,
      anatomy::Region::kScalpParietalRight, anatomy::Region::kScalpCrown,
      anatomy::Region::kScalpOccipital};
  std::vector<double> times;
  std::size_t spots = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    spots = plan::coverage_path(surface, scalp, 0.01).size();
    times.push_back(seconds_since(t0));
  }
  std::printf(
      "%-22s %7zu verts | whole-scalp coverage path at 1 cm %7.1f ms (target <= 50 ms) | "
      "%zu spots | median of %d\n",
      label.c_str(), head.mesh.vertices.size(), 1e3 * median(times), spots, runs);
}

}  // namespace

int main() {
  const care::Intake intake;
  const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
  const care::PersonalisedProtocol protocol =
      care::personalise(care::builtin_protocol("japanese-head-spa"), intake, screening, nullptr,
                        care::builtin_catalogue());
  std::printf("japanese-head-spa, two contacts, 100 Hz samples\n");
  bench_head("built-in head", anatomy::built_in_head({}), protocol, 7);
  bench_head("built-in head (100k)", anatomy::built_in_head({anatomy::Sex::kMale, 50, 100000}),
             protocol, 3);
  bench_coverage_path("built-in head (100k)",
                      anatomy::built_in_head({anatomy::Sex::kMale, 50, 100000}), 5);
  std::printf("peak resident memory: %.0f MB (target <= 200 MB)\n", peak_rss_mb());
  return 0;
}
