// headspa stream: runs a plan on a real arm (or the loopback driver) over the arm link, with the
// same runner and safety monitor as `headspa simulate`.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command_registry.hpp"
#include "headspa/anatomy/head.hpp"
#include "headspa/control/arm_adapter.hpp"
#include "headspa/control/head_field.hpp"
#include "headspa/core/error.hpp"
#include "headspa/plan/plan_io.hpp"
#include "progress_bar.hpp"

namespace headspa::cli {
namespace {

struct StreamArgs {
  std::string plan;
  std::string endpoint;
  std::string head;
  std::string units = "auto";
  double link_timeout_s = 0.01;
  double connect_timeout_s = 2.0;
  std::string out;
};

void write_outputs(const control::ArmSessionResult& r, const plan::SessionPlan& plan,
                   const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    throw InputError(InputLocation{directory, 0, 0, "-o"},
                     "cannot create the output folder: " + ec.message());
  }
  const auto path = [&](const char* name) {
    return (std::filesystem::path(directory) / name).string();
  };
  {
    std::ofstream out(path("trace.csv"));
    if (!out) throw InputError(InputLocation{path("trace.csv"), 0, 0, ""}, "cannot write");
    out << "t_s,pad,state,segment,commanded_force_n,sent_force_n,measured_force_n,"
           "commanded_x_m,commanded_y_m,commanded_z_m,x_m,y_m,z_m\n";
    char buf[400];
    for (const auto& row : r.trace) {
      std::snprintf(buf, sizeof buf, "%.3f,%d,%s,%d,%.4f,%.4f,%.4f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f\n",
                    row.t_s, row.pad, std::string(control::runner_state_name(row.state)).c_str(),
                    row.segment, row.commanded_force_n, row.sent_force_n, row.measured_force_n,
                    row.commanded_position_m.x(), row.commanded_position_m.y(),
                    row.commanded_position_m.z(), row.measured_position_m.x(),
                    row.measured_position_m.y(), row.measured_position_m.z());
      out << buf;
    }
  }
  {
    std::ofstream out(path("events.jsonl"));
    for (const auto& e : r.events) {
      nlohmann::ordered_json j{{"t_s", e.t_s}, {"event", control::event_kind_name(e.kind)}};
      if (e.pad >= 0) j["pad"] = e.pad;
      if (e.kind == control::EventKind::kStateChanged) {
        j["state"] = control::runner_state_name(static_cast<control::RunnerState>(e.value));
      } else if (e.kind == control::EventKind::kSegmentStarted) {
        const auto i = static_cast<std::size_t>(e.value);
        j["segment"] = i;
        if (i < plan.segments.size()) j["step_id"] = plan.segments[i].step_id;
      } else {
        j["value"] = e.value;
      }
      out << j.dump() << "\n";
    }
  }
  nlohmann::ordered_json j;
  j["format"] = "headspa/stream-summary@1";
  j["outcome"] = control::runner_state_name(r.outcome);
  j["abort_cause"] = r.abort_cause;
  j["link_lost"] = r.link_lost;
  j["rig_time_s"] = r.rig_time_s;
  j["wall_s"] = r.wall_s;
  j["force_rms_error_n"] = r.force_rms_error_n;
  j["max_measured_force_n"] = r.max_measured_force_n;
  j["max_sent_force_n"] = r.max_sent_force_n;
  j["retract_latency_s"] = r.retract_latency_s;
  j["link"] = {
      {"states_received", r.link.states_received}, {"frames_rejected", r.link.frames_rejected},
      {"frames_missed", r.link.frames_missed},     {"stale_ticks", r.link.stale_ticks},
      {"commands_sent", r.link.commands_sent},     {"max_state_age_s", r.link.max_state_age_s}};
  std::ofstream(path("link.json")) << j.dump(2) << "\n";
}

void run_stream(const StreamArgs& a) {
  if (a.out.empty())
    throw InputError(InputLocation{"", 0, 0, "-o"}, "an output folder is required");
  const plan::SessionPlan plan = plan::read_plan_json_file(a.plan);
  const anatomy::Head head =
      a.head.empty() ? anatomy::built_in_head({})
                     : anatomy::import_head(a.head, anatomy::import_options_for_units(a.units));
  const control::HeadField field(head);
  control::ArmSessionOptions options;
  options.link_timeout_s = a.link_timeout_s;
  options.link_lost_s = std::max(options.link_lost_s, a.link_timeout_s);
  options.connect_timeout_s = a.connect_timeout_s;
  if (isatty(STDERR_FILENO)) options.progress = [](double f) { progress_bar(f); };
  control::ArmSessionResult r;
  try {
    r = control::run_arm_session(plan, field, control::parse_arm_endpoint(a.endpoint), options);
  } catch (const control::ArmLinkError& e) {
    throw InputError(InputLocation{"", 0, 0, "--endpoint"}, e.what());
  }
  write_outputs(r, plan, a.out);
  std::printf(
      "%s%s%s after %.1f s on the arm; force RMS error %.3f N (measured by the arm), largest "
      "target sent %.2f N; %ld frames rejected, %ld missed, %ld stale ticks\n",
      std::string(control::runner_state_name(r.outcome)).c_str(), r.abort_cause.empty() ? "" : ": ",
      r.abort_cause.c_str(), r.rig_time_s, r.force_rms_error_n, r.max_sent_force_n,
      r.link.frames_rejected, r.link.frames_missed, r.link.stale_ticks);
  if (r.link_lost && r.outcome != control::RunnerState::kFinished &&
      r.outcome != control::RunnerState::kAborted) {
    set_exit_status(kExitUnsafe);
  } else if (r.outcome != control::RunnerState::kFinished) {
    set_exit_status(kExitAborted);
  }
}

void add_stream(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "stream",
      "Run a plan on an arm driver over the arm link; exit 0 finished, 4 aborted safely, 5 link "
      "lost before the pads were clear, 2 bad input or no driver");
  auto args = std::make_shared<StreamArgs>();
  cmd->add_option("PLAN", args->plan, "plan.json (format headspa/plan@1)")->required();
  cmd->add_option("--endpoint", args->endpoint, "Where the arm driver listens: unix:PATH")
      ->required();
  cmd->add_option("--head", args->head, "The head mesh the plan was made on (default: built-in)");
  cmd->add_option("--units", args->units, "Units of --head: m|cm|mm|dm|in|auto");
  cmd->add_option("--link-timeout", args->link_timeout_s,
                  "Seconds without a state frame before the monitor sees the state as stale");
  cmd->add_option("--connect-timeout", args->connect_timeout_s,
                  "Seconds to keep trying to connect to the driver");
  cmd->add_option("-o,--output", args->out, "Folder for trace.csv, events.jsonl, link.json");
  cmd->callback([args] { run_stream(*args); });
}

const bool kStreamRegistered = register_area(61, &add_stream);

}  // namespace
}  // namespace headspa::cli
