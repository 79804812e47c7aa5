// headspa simulate: runs a plan on the MuJoCo twin (one session, or a seeded fault campaign).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "command_registry.hpp"
#include "headspa/anatomy/head.hpp"
#include "headspa/core/error.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/sim/session.hpp"
#include "progress_bar.hpp"

namespace headspa::cli {
namespace {

struct SimArgs {
  std::string plan;
  std::string head;
  std::string units = "auto";
  std::string faults;
  std::uint64_t seed = 1;
  int campaign = 0;
  std::string out;
};

// The safety requirements for one run.
bool meets_safety(const sim::SessionMetrics& m) {
  return m.safe_end && m.longest_over_cap_10pct_s <= 0.010 &&
         (m.estop_to_retracted_s < 0 || m.estop_to_retracted_s <= 0.100);
}

std::string fault_list(const std::vector<sim::Fault>& faults) {
  std::string s;
  for (const auto& f : faults) {
    if (!s.empty()) s += ",";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s@%.1f/%d", std::string(sim::fault_kind_name(f.kind)).c_str(),
                  f.at_s, f.pad);
    s += buf;
  }
  return s.empty() ? "-" : s;
}

void run_simulate(const SimArgs& a) {
  // Everything the command line can get wrong is checked before the head is built and the
  // session run, so a mistake is told at once rather than after minutes of simulation.
  sim::SimulationOptions options;
  options.twin.seed = a.seed;
  if (a.campaign <= 0) {
    options.faults = sim::parse_faults(a.faults);
    if (a.out.empty())
      throw InputError(InputLocation{"", 0, 0, "-o"}, "an output folder is required");
  } else if (!a.faults.empty()) {
    throw InputError(InputLocation{"", 0, 0, "--faults"},
                     "a campaign draws its own faults per run; leave out --faults or --campaign");
  }
  const plan::SessionPlan plan = plan::read_plan_json_file(a.plan);
  const anatomy::Head head =
      a.head.empty() ? anatomy::built_in_head({})
                     : anatomy::import_head(a.head, anatomy::import_options_for_units(a.units));
  if (a.campaign <= 0) {
    if (isatty(STDERR_FILENO)) options.progress = [](double f) { progress_bar(f); };
    const sim::SimulationResult r = sim::simulate(plan, head, options);
    sim::write_outputs(r, plan, a.out);
    const auto& m = r.metrics;
    std::printf(
        "%s%s%s after %.1f s simulated (%.0fx real time); force RMS error %.3f N, "
        "max over cap %.3f N, coverage %.0f%%\n",
        std::string(control::runner_state_name(m.outcome)).c_str(),
        m.abort_cause.empty() ? "" : ": ", m.abort_cause.c_str(), m.simulated_s, m.real_time_factor,
        m.force_rms_error_n, m.max_force_over_cap_n, 100 * m.coverage_achieved);
    if (!meets_safety(m)) {
      set_exit_status(kExitUnsafe);
    } else if (m.outcome != control::RunnerState::kFinished) {
      set_exit_status(kExitAborted);
    }
    return;
  }
  // Campaign: seeded random faults, one table row per run.
  std::printf("%4s %6s %-44s %-9s %-18s %8s %9s %9s %4s\n", "run", "seed", "faults", "outcome",
              "cause", "rms_n", "over10_ms", "estop_ms", "safe");
  int unsafe = 0;
  std::ofstream jsonl;
  if (!a.out.empty()) {
    std::filesystem::create_directories(a.out);
    jsonl.open((std::filesystem::path(a.out) / "campaign.jsonl").string());
  }
  for (int i = 0; i < a.campaign; ++i) {
    const std::uint64_t seed = a.seed + static_cast<std::uint64_t>(i);
    options.twin.seed = seed;
    options.faults = sim::random_faults(seed, plan.duration_s);
    const sim::SimulationResult r = sim::simulate(plan, head, options);
    const auto& m = r.metrics;
    const bool ok = meets_safety(m);
    unsafe += ok ? 0 : 1;
    std::printf("%4d %6llu %-44s %-9s %-18s %8.3f %9.1f %9.1f %4s\n", i + 1,
                static_cast<unsigned long long>(seed), fault_list(r.faults).c_str(),
                std::string(control::runner_state_name(m.outcome)).c_str(),
                m.abort_cause.empty() ? "-" : m.abort_cause.c_str(), m.force_rms_error_n,
                1000 * m.longest_over_cap_10pct_s,
                m.estop_to_retracted_s < 0 ? -1.0 : 1000 * m.estop_to_retracted_s,
                ok ? "yes" : "NO");
    std::fflush(stdout);
    if (jsonl)
      jsonl << "{\"seed\":" << seed << ",\"faults\":\"" << fault_list(r.faults)
            << "\",\"metrics\":" << sim::metrics_to_json(m).substr(0) << "}\n";
  }
  std::printf("%d of %d runs ended safe\n", a.campaign - unsafe, a.campaign);
  if (unsafe > 0) set_exit_status(kExitUnsafe);
}

void add_simulate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Run a plan on the MuJoCo twin; exit 0 finished, 4 aborted safely, 5 a safety requirement "
      "missed, 2 bad input");
  auto args = std::make_shared<SimArgs>();
  cmd->add_option("PLAN", args->plan, "plan.json (format headspa/plan@1)")->required();
  cmd->add_option("--head", args->head, "The head mesh the plan was made on (default: built-in)");
  cmd->add_option("--units", args->units, "Units of --head: m|cm|mm|dm|in|auto");
  cmd->add_option("--faults", args->faults,
                  "Faults to inject: KIND@T[:DURATION][/PAD][*MAGNITUDE],...");
  cmd->add_option("--seed", args->seed, "Seed of sensor noise (and of campaign faults)");
  cmd->add_option("--campaign", args->campaign, "Run N seeded sessions with random faults");
  cmd->add_option("-o,--output", args->out, "Folder for trace.csv, events.jsonl, metrics.json");
  cmd->callback([args] { run_simulate(*args); });
}

const bool kSimRegistered = register_area(60, &add_simulate);

}  // namespace
}  // namespace headspa::cli
