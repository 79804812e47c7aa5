// Runs a SessionPlan on the twin with the control module's runner: faults injected on a
// schedule, traces of commanded and measured force and pose, events, and the metrics a session
// is judged by.
//
//   const sim::SimulationResult r = sim::simulate(plan, head, {.twin = {.seed = 3}});
//   sim::write_outputs(r, "out/");  // trace.csv, events.jsonl, metrics.json
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/control/session_runner.hpp"
#include "headspa/plan/session_plan.hpp"
#include "headspa/sim/twin.hpp"

namespace headspa::sim {

enum class FaultKind : std::uint8_t {
  kHeadJerk,        // a sudden push on the head (magnitude: N, default 60, for 0.15 s)
  kSensorDropout,   // a pad's force sensor goes silent (duration default 0.05 s)
  kForceSpike,      // one or two samples of a large reading (magnitude: N, default 25)
  kForceBias,       // a lasting offset on a pad's reading (magnitude: N, default 1.0)
  kCommandStall,    // the setpoint stream stops (duration default 0.1 s)
  kEStop,           // the emergency stop is pressed
  kJointNearLimit,  // a torque drives a wrist joint towards its limit (magnitude: N·m, default 12)
  kDeviceFault,     // a care device fails (the heater's relay welds, the steamer dies, a pump jams)
};
std::string_view fault_kind_name(FaultKind kind) noexcept;

struct Fault {
  FaultKind kind = FaultKind::kEStop;
  double at_s = 0.0;        // session time (rig clock). Unit: [s]
  double duration_s = 0.0;  // 0: the kind's default
  int pad = 0;
  double magnitude = 0.0;  // 0: the kind's default
};

// Parses a fault list: comma-separated KIND@T[:DURATION][/PAD][*MAGNITUDE], e.g.
// "head_jerk@12,sensor_dropout@30:0.2/1,estop@55". Throws InputError naming the item.
std::vector<Fault> parse_faults(std::string_view spec);

// Random faults for a campaign run: one or two of the kinds above at random times.
std::vector<Fault> random_faults(std::uint64_t seed, double duration_s);

struct SimulationOptions {
  TwinOptions twin;
  control::RunnerOptions runner;
  std::vector<Fault> faults;
  double trace_rate_hz = 100.0;
  double timeout_s = 0.0;                         // 0: plan duration + 60 s
  std::function<void(double fraction)> progress;  // called about 100 times
};

struct TraceRow {
  double t_s = 0;
  int pad = 0;
  control::RunnerState state = control::RunnerState::kReady;
  int segment = -1;
  double commanded_force_n = 0;  // reference normal force
  double measured_force_n = 0;   // sensor reading, normal component
  double true_force_n = 0;       // twin's ground truth, normal
  double cap_n = 0;              // cap of the region under the pad (0 in the air)
  anatomy::Region region = anatomy::Region::kOther;                // under the pad (in contact)
  Eigen::Vector3d commanded_position_m = Eigen::Vector3d::Zero();  // world, pad centre
  Eigen::Vector3d measured_position_m = Eigen::Vector3d::Zero();
};

struct SegmentMetrics {
  int index = 0;
  std::string step_id;
  plan::SegmentKind kind = plan::SegmentKind::kMassage;
  double force_rms_error_n = 0;  // over ticks where a pad follows a contact sample
  long contact_ticks = 0;
  double max_force_n = 0;
};

struct SessionMetrics {
  control::RunnerState outcome = control::RunnerState::kReady;
  std::string abort_cause;  // event kind name, empty when finished
  double simulated_s = 0;
  double wall_s = 0;                    // setup and stepping
  double setup_s = 0;                   // head field, twin model and inverse kinematics
  double real_time_factor = 0;          // simulated seconds per wall second of stepping
  double force_rms_error_n = 0;         // all massage contact ticks
  double max_force_n = 0;               // true force, any pad
  double max_force_over_cap_n = 0;      // max(true force - cap of the region under the pad), >= 0
  double longest_over_cap_10pct_s = 0;  // longest stretch above cap + 10 %
  double coverage_achieved = 0;         // planned contact ticks delivered in contact / planned
  double retract_latency_s = -1;        // from the retract order to clear of the skin (-1: none)
  double estop_to_retracted_s = -1;
  double max_water_c = 0;
  bool safe_end = false;  // finished or aborted, pads clear of the skin, heater not delivering
  std::vector<SegmentMetrics> segments;
};

struct SimulationResult {
  SessionMetrics metrics;
  std::vector<control::SessionEvent> events;
  std::vector<TraceRow> trace;
  std::vector<Fault> faults;
};

// Runs the whole session (start, plan, retract). Throws InputError for bad options.
SimulationResult simulate(const plan::SessionPlan& plan, const anatomy::Head& head,
                          const SimulationOptions& options);

// Writes trace.csv, events.jsonl and metrics.json into `directory` (created if needed).
void write_outputs(const SimulationResult& result, const plan::SessionPlan& plan,
                   const std::string& directory);
std::string metrics_to_json(const SessionMetrics& metrics);

}  // namespace headspa::sim
