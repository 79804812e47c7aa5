#include "headspa/sim/session.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "headspa/control/head_field.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/random.hpp"
#include "headspa/plan/planner.hpp"

namespace headspa::sim {
namespace {

constexpr std::array<FaultKind, 8> kAllFaults{FaultKind::kHeadJerk,       FaultKind::kSensorDropout,
                                              FaultKind::kForceSpike,     FaultKind::kForceBias,
                                              FaultKind::kCommandStall,   FaultKind::kEStop,
                                              FaultKind::kJointNearLimit, FaultKind::kDeviceFault};

double default_duration(FaultKind k) {
  switch (k) {
    case FaultKind::kHeadJerk:
      return 0.15;
    case FaultKind::kSensorDropout:
      return 0.05;
    case FaultKind::kCommandStall:
      return 0.1;
    case FaultKind::kJointNearLimit:
      return 4.0;
    default:
      return 0.0;
  }
}
double default_magnitude(FaultKind k) {
  switch (k) {
    case FaultKind::kHeadJerk:
      return 60.0;
    case FaultKind::kForceSpike:
      return 25.0;
    case FaultKind::kForceBias:
      return 1.0;
    case FaultKind::kJointNearLimit:
      return 12.0;
    default:
      return 0.0;
  }
}

}  // namespace

std::string_view fault_kind_name(FaultKind kind) noexcept {
  switch (kind) {
    case FaultKind::kHeadJerk:
      return "head_jerk";
    case FaultKind::kSensorDropout:
      return "sensor_dropout";
    case FaultKind::kForceSpike:
      return "force_spike";
    case FaultKind::kForceBias:
      return "force_bias";
    case FaultKind::kCommandStall:
      return "command_stall";
    case FaultKind::kEStop:
      return "estop";
    case FaultKind::kJointNearLimit:
      return "joint_near_limit";
    case FaultKind::kDeviceFault:
      return "device_fault";
  }
  return "unknown";
}

std::vector<Fault> parse_faults(std::string_view spec) {
  std::vector<Fault> out;
  std::size_t pos = 0;
  int item = 0;
  while (pos <= spec.size() && !spec.empty()) {
    const std::size_t comma = spec.find(',', pos);
    const std::string text(
        spec.substr(pos, comma == std::string_view::npos ? spec.npos : comma - pos));
    const auto fail = [&](const std::string& why) {
      throw InputError(InputLocation{"", 0, 0, "--faults[" + std::to_string(item) + "]"},
                       "'" + text + "': " + why +
                           " (expected KIND@T[:DURATION][/PAD][*MAGNITUDE], KIND one of "
                           "head_jerk, sensor_dropout, force_spike, force_bias, command_stall, "
                           "estop, joint_near_limit, device_fault)");
    };
    const std::size_t at = text.find('@');
    if (at == std::string::npos) fail("no '@'");
    Fault f;
    bool known = false;
    for (FaultKind k : kAllFaults) {
      if (fault_kind_name(k) == text.substr(0, at)) {
        f.kind = k;
        known = true;
      }
    }
    if (!known) fail("unknown fault kind");
    std::string rest = text.substr(at + 1);
    const auto take = [&](char mark, double* value) {
      const std::size_t i = rest.find(mark);
      if (i == std::string::npos) return;
      std::string v = rest.substr(i + 1);
      const std::size_t end = v.find_first_of(":/*");
      v = v.substr(0, end);
      char* stop = nullptr;
      *value = std::strtod(v.c_str(), &stop);
      if (v.empty() || *stop != '\0' || !std::isfinite(*value) || *value < 0) {
        fail(std::string("bad number after '") + mark + "'");
      }
      rest.erase(i, 1 + v.size());
    };
    double pad = 0;
    take(':', &f.duration_s);
    take('/', &pad);
    take('*', &f.magnitude);
    char* stop = nullptr;
    f.at_s = std::strtod(rest.c_str(), &stop);
    if (rest.empty() || *stop != '\0' || !std::isfinite(f.at_s) || f.at_s < 0) {
      fail("bad time after '@'");
    }
    if (pad != 0 && pad != 1 && !(f.kind == FaultKind::kDeviceFault && pad == 2)) {
      fail("pad must be 0 or 1 (device 0-2 for device_fault)");
    }
    f.pad = static_cast<int>(pad);
    out.push_back(f);
    ++item;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::vector<Fault> random_faults(std::uint64_t seed, double duration_s) {
  Rng rng(seed);
  std::vector<Fault> out;
  const int n = 1 + static_cast<int>(rng.below(2));
  for (int i = 0; i < n; ++i) {
    Fault f;
    f.kind = kAllFaults[static_cast<std::size_t>(rng.below(kAllFaults.size()))];
    f.at_s = rng.uniform(0.15, 0.85) * duration_s;
    f.pad = static_cast<int>(rng.below(f.kind == FaultKind::kDeviceFault ? 3 : 2));
    out.push_back(f);
  }
  return out;
}

SimulationResult simulate(const plan::SessionPlan& plan, const anatomy::Head& head,
                          const SimulationOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  SimulationResult result;
  result.faults = options.faults;
  for (auto& f : result.faults) {
    if (f.duration_s == 0) f.duration_s = default_duration(f.kind);
    if (f.magnitude == 0) f.magnitude = default_magnitude(f.kind);
  }
  // The monitor's map of caps and no-go distances as the planner planned to: on a coarse scan,
  // from its split copy, whose region borders lie half an edge from where the scan's own
  // vertices put them.
  const std::unique_ptr<anatomy::Head> split = plan::planning_head(head);
  const control::HeadField field(split != nullptr ? *split : head);
  Twin twin(head, options.twin);
  control::RunnerOptions ro = options.runner;
  ro.pad_radius_m = options.twin.pad_radius_m;
  ro.limits.pad_radius_m = options.twin.pad_radius_m;
  ro.limits.joint_lower_rad = twin.joint_lower_rad();
  ro.limits.joint_upper_rad = twin.joint_upper_rad();

  // The arms start at the plan's park positions, pads pointing at the head.
  const Eigen::Isometry3d rest = twin.head_rest_pose();
  std::array<Eigen::Vector3d, control::kPads> starts, axes;
  for (std::size_t p = 0; p < 2; ++p) {
    starts[p] = rest * plan.park_position[p];
    axes[p] = (rest.translation() - starts[p]).normalized();
  }
  twin.place_pads(starts, axes);
  control::SessionRunner runner(plan, field, ro);
  runner.post(control::LiveCommand::kStart);
  const auto loop_start = std::chrono::steady_clock::now();

  const double dt = twin.timestep_s();
  const double timeout = options.timeout_s > 0 ? options.timeout_s : plan.duration_s + 60.0;
  const int trace_every =
      std::max(1, static_cast<int>(std::lround(1.0 / (options.trace_rate_hz * dt))));
  std::vector<bool> started(result.faults.size(), false), ended(result.faults.size(), false);
  bool estop = false;
  double estop_at = -1;
  SessionMetrics& mt = result.metrics;
  mt.segments.resize(plan.segments.size());
  std::vector<double> seg_sq(plan.segments.size(), 0.0);
  for (std::size_t i = 0; i < plan.segments.size(); ++i) {
    mt.segments[i].index = static_cast<int>(i);
    mt.segments[i].step_id = plan.segments[i].step_id;
    mt.segments[i].kind = plan.segments[i].kind;
  }
  double total_sq = 0;
  long total_ticks = 0, delivered = 0;
  std::array<long, 2> over_ticks{0, 0};
  long tick = 0;
  int last_progress = -1;

  while (!runner.done() && twin.time_s() < timeout) {
    const double t = twin.time_s();
    // Faults on their schedule.
    for (std::size_t i = 0; i < result.faults.size(); ++i) {
      const Fault& f = result.faults[i];
      const auto pad = static_cast<std::size_t>(std::min(f.pad, 1));
      if (!started[i] && t >= f.at_s) {
        started[i] = true;
        switch (f.kind) {
          case FaultKind::kHeadJerk: {
            const Eigen::Vector3d dir = rest.linear() * Eigen::Vector3d(1, 0, 0.5).normalized();
            twin.push_head(f.magnitude * dir);
            break;
          }
          case FaultKind::kSensorDropout:
            twin.sensor_faults(f.pad).dropout = true;
            break;
          case FaultKind::kForceSpike:
            twin.sensor_faults(f.pad).spike_n = Eigen::Vector3d(0, 0, f.magnitude);
            twin.sensor_faults(f.pad).spike_ticks = 2;
            break;
          case FaultKind::kForceBias:
            twin.sensor_faults(f.pad).bias_n = Eigen::Vector3d(0, 0, f.magnitude);
            break;
          case FaultKind::kCommandStall:
            runner.stall_setpoints_until(t + f.duration_s);
            break;
          case FaultKind::kEStop:
            estop = true;
            estop_at = t;
            break;
          case FaultKind::kJointNearLimit:
            twin.disturb_joint(f.pad, 5, f.magnitude);
            break;
          case FaultKind::kDeviceFault:
            if (f.pad == 0) runner.devices().heater.inject_stuck_relay();
            if (f.pad == 1) runner.devices().steamer.inject_failure();
            if (f.pad == 2) runner.devices().dispenser.inject_jam();
            break;
        }
      }
      if (started[i] && !ended[i] && f.duration_s > 0 && t >= f.at_s + f.duration_s) {
        ended[i] = true;
        if (f.kind == FaultKind::kHeadJerk) twin.push_head(Eigen::Vector3d::Zero());
        if (f.kind == FaultKind::kSensorDropout) twin.sensor_faults(f.pad).dropout = false;
        if (f.kind == FaultKind::kJointNearLimit) twin.disturb_joint(f.pad, 5, 0.0);
      }
      (void)pad;
    }
    control::RigState s = twin.measure();
    s.estop = estop;
    const control::RigCommand cmd = runner.tick(s, dt);

    // Metrics from ground truth.
    for (int p = 0; p < 2; ++p) {
      const auto u = static_cast<std::size_t>(p);
      const PadTruth& tr = twin.truth(p);
      const auto& info = runner.last_tick()[u];
      const double cap = tr.normal_force_n > 0 ? anatomy::tissue(tr.region).force_cap_n : 0.0;
      mt.max_force_n = std::max(mt.max_force_n, tr.normal_force_n);
      if (tr.normal_force_n > 0.05) {
        mt.max_force_over_cap_n = std::max(mt.max_force_over_cap_n, tr.normal_force_n - cap);
      }
      // Counted in ticks: summed time steps drift, and the limit is a whole number of them.
      if (tr.normal_force_n > 1.1 * cap + 0.05) {
        ++over_ticks[u];
        mt.longest_over_cap_10pct_s =
            std::max(mt.longest_over_cap_10pct_s, static_cast<double>(over_ticks[u]) * dt);
      } else {
        over_ticks[u] = 0;
      }
      if (info.following_contact) {
        const double e = info.reference_force_n - tr.normal_force_n;
        total_sq += e * e;
        ++total_ticks;
        if (tr.normal_force_n > 0.3 * info.reference_force_n) ++delivered;
        if (info.segment >= 0 && info.segment < static_cast<int>(mt.segments.size())) {
          auto& sm = mt.segments[static_cast<std::size_t>(info.segment)];
          seg_sq[static_cast<std::size_t>(info.segment)] += e * e;
          ++sm.contact_ticks;
          sm.max_force_n = std::max(sm.max_force_n, tr.normal_force_n);
        }
      }
      if (tick % trace_every == 0) {
        TraceRow row;
        row.t_s = t;
        row.pad = p;
        row.state = runner.state();
        row.segment = info.segment;
        row.commanded_force_n = info.reference_force_n;
        const Eigen::Vector3d axis = cmd.pads[u].tool_axis;
        row.measured_force_n = s.pads[u].force_valid ? -s.pads[u].force_n.dot(axis)
                                                     : std::numeric_limits<double>::quiet_NaN();
        row.true_force_n = tr.normal_force_n;
        row.cap_n = cap;
        row.region = tr.region;
        row.commanded_position_m = info.reference_position_m;
        row.measured_position_m = s.pads[u].position_m;
        result.trace.push_back(row);
      }
    }
    mt.max_water_c = std::max(mt.max_water_c, runner.devices().heater.max_delivered_c());
    twin.step(cmd);
    ++tick;
    if (options.progress) {
      const int pct =
          static_cast<int>(100.0 * std::min(1.0, runner.plan_time_s() / plan.duration_s));
      if (pct != last_progress) {
        last_progress = pct;
        options.progress(pct / 100.0);
      }
    }
  }

  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  mt.outcome = runner.state();
  if (runner.abort_cause())
    mt.abort_cause = std::string(control::event_kind_name(*runner.abort_cause()));
  if (!runner.done()) mt.abort_cause = "timeout";
  mt.simulated_s = twin.time_s();
  mt.wall_s = wall;
  mt.setup_s = std::chrono::duration<double>(loop_start - wall_start).count();
  mt.real_time_factor = wall > mt.setup_s ? mt.simulated_s / (wall - mt.setup_s) : 0;
  mt.force_rms_error_n = total_ticks ? std::sqrt(total_sq / static_cast<double>(total_ticks)) : 0;
  for (std::size_t i = 0; i < mt.segments.size(); ++i) {
    auto& sm = mt.segments[i];
    sm.force_rms_error_n =
        sm.contact_ticks ? std::sqrt(seg_sq[i] / static_cast<double>(sm.contact_ticks)) : 0;
  }
  // Planned contact ticks (both pads, 1 kHz) against those delivered in contact.
  double planned = 0;
  for (std::size_t p = 0; p < 2; ++p) {
    for (const auto& smp : plan.tracks[p]) {
      if (smp.phase == plan::Phase::kContact && smp.force_n > 0)
        planned += 1.0 / plan.sample_rate_hz;
    }
  }
  mt.coverage_achieved =
      planned > 0 ? std::min(1.0, static_cast<double>(delivered) * dt / planned) : 1.0;
  mt.retract_latency_s = runner.retract_latency_s();
  if (estop_at >= 0) mt.estop_to_retracted_s = runner.retract_latency_s();
  mt.safe_end = runner.done() && twin.truth(0).normal_force_n == 0 &&
                twin.truth(1).normal_force_n == 0 && !runner.devices().heater.flowing() &&
                mt.max_water_c < control::WaterHeater::kHardStopC;
  result.events = runner.log().events();
  return result;
}

std::string metrics_to_json(const SessionMetrics& m) {
  nlohmann::ordered_json j;
  j["format"] = "headspa/sim-metrics@1";
  j["outcome"] = control::runner_state_name(m.outcome);
  j["abort_cause"] = m.abort_cause;
  j["safe_end"] = m.safe_end;
  j["simulated_s"] = m.simulated_s;
  j["wall_s"] = m.wall_s;
  j["setup_s"] = m.setup_s;
  j["real_time_factor"] = m.real_time_factor;
  j["force_rms_error_n"] = m.force_rms_error_n;
  j["max_force_n"] = m.max_force_n;
  j["max_force_over_cap_n"] = m.max_force_over_cap_n;
  j["longest_over_cap_10pct_s"] = m.longest_over_cap_10pct_s;
  j["coverage_achieved"] = m.coverage_achieved;
  j["retract_latency_s"] = m.retract_latency_s;
  j["estop_to_retracted_s"] = m.estop_to_retracted_s;
  j["max_water_c"] = m.max_water_c;
  auto& segs = j["segments"] = nlohmann::ordered_json::array();
  for (const auto& s : m.segments) {
    segs.push_back({{"index", s.index},
                    {"step_id", s.step_id},
                    {"kind", plan::segment_kind_name(s.kind)},
                    {"force_rms_error_n", s.force_rms_error_n},
                    {"contact_s", static_cast<double>(s.contact_ticks) / 1000.0},
                    {"max_force_n", s.max_force_n}});
  }
  return j.dump(2) + "\n";
}

void write_outputs(const SimulationResult& r, const plan::SessionPlan& plan,
                   const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec)
    throw InputError(InputLocation{directory, 0, 0, ""},
                     "cannot create the output folder: " + ec.message());
  const auto path = [&](const char* name) {
    return (std::filesystem::path(directory) / name).string();
  };
  {
    std::ofstream out(path("trace.csv"));
    if (!out) throw InputError(InputLocation{path("trace.csv"), 0, 0, ""}, "cannot write");
    out << "t_s,pad,state,segment,commanded_force_n,measured_force_n,true_force_n,cap_n,"
           "commanded_x_m,commanded_y_m,commanded_z_m,x_m,y_m,z_m,region\n";
    char buf[400];
    for (const auto& row : r.trace) {
      std::snprintf(
          buf, sizeof buf, "%.3f,%d,%s,%d,%.4f,%.4f,%.4f,%.2f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%s\n",
          row.t_s, row.pad, std::string(control::runner_state_name(row.state)).c_str(), row.segment,
          row.commanded_force_n, row.measured_force_n, row.true_force_n, row.cap_n,
          row.commanded_position_m.x(), row.commanded_position_m.y(), row.commanded_position_m.z(),
          row.measured_position_m.x(), row.measured_position_m.y(), row.measured_position_m.z(),
          row.true_force_n > 0 ? std::string(anatomy::region_name(row.region)).c_str() : "");
      out << buf;
    }
  }
  {
    std::ofstream out(path("events.jsonl"));
    for (const auto& f : r.faults) {
      nlohmann::ordered_json j{
          {"t_s", f.at_s}, {"event", "fault_injected"},  {"fault", fault_kind_name(f.kind)},
          {"pad", f.pad},  {"duration_s", f.duration_s}, {"magnitude", f.magnitude}};
      out << j.dump() << "\n";
    }
    for (const auto& e : r.events) {
      nlohmann::ordered_json j{{"t_s", e.t_s}, {"event", control::event_kind_name(e.kind)}};
      if (e.pad >= 0) j["pad"] = e.pad;
      if (e.kind == control::EventKind::kStateChanged) {
        j["state"] = control::runner_state_name(static_cast<control::RunnerState>(e.value));
      } else if (e.kind == control::EventKind::kLiveCommand) {
        j["command"] = control::live_command_name(static_cast<control::LiveCommand>(e.value));
      } else if (e.kind == control::EventKind::kDeviceOn ||
                 e.kind == control::EventKind::kDeviceOff ||
                 e.kind == control::EventKind::kDeviceFault) {
        j["device"] = control::device_name(static_cast<control::Device>(e.value));
      } else if (e.kind == control::EventKind::kSegmentStarted ||
                 e.kind == control::EventKind::kCareSkipped) {
        const auto i = static_cast<std::size_t>(e.value);
        j["segment"] = i;
        if (i < plan.segments.size()) j["step_id"] = plan.segments[i].step_id;
      } else {
        j["value"] = e.value;
      }
      out << j.dump() << "\n";
    }
  }
  std::ofstream(path("metrics.json")) << metrics_to_json(r.metrics);
}

}  // namespace headspa::sim
