// The real-arm adapter: runs a SessionPlan on an arm driver over the arm link (arm_link.hpp),
// with the same SessionRunner, controller and safety monitor as the twin in front of it.
//
// The driver is the clock: it sends a measured state every control period and the adapter
// answers each with one command (the runner's tick, after the monitor's gate). A frame that fails
// to decode (CRC, length, version, a replayed sequence number or timestamp) is never used: the
// tick runs on the last good state with the count of rejected frames, and the monitor retracts
// after SafetyLimits::rejected_frame_limit in a row. Dropped frames show as a gap on the rig clock
// (RigState::state_age_s); a link silent for link_timeout_s of wall time ticks the runner on the
// last state marked stale. Either trips the monitor's retract, whose commands keep flowing for as
// long as the driver listens.
//
//   const ArmSessionResult r = run_arm_session(plan, field, parse_arm_endpoint("unix:/run/arm"),
//                                              ArmSessionOptions{});
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/control/session_runner.hpp"

namespace headspa::control {

// The link failed at the operating-system level (cannot connect, the socket broke).
class ArmLinkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the arm driver listens. "unix:PATH" (a SOCK_SEQPACKET socket), or a bare path.
struct ArmEndpoint {
  std::string path;
};
// Throws InputError naming --endpoint when the text is not an endpoint this build supports.
ArmEndpoint parse_arm_endpoint(std::string_view text);

struct ArmSessionOptions {
  RunnerOptions runner;
  double connect_timeout_s = 2.0;  // keep retrying the connection this long (wall clock)
  double link_timeout_s = 0.01;    // no frame for this long (wall): tick on the last state, stale
  double link_lost_s = 1.0;        // no frame for this long (wall): give up on the driver
  double rig_timeout_s = 0.0;      // rig time before the session is stopped; 0: plan + 60 s
  double trace_rate_hz = 100.0;
  std::function<void(double fraction)> progress;  // called about 100 times

  bool IsValid(std::string* why) const;
};

// One trace row per pad at trace_rate_hz of rig time.
struct ArmTraceRow {
  double t_s = 0;
  int pad = 0;
  RunnerState state = RunnerState::kReady;
  int segment = -1;
  double commanded_force_n = 0;  // reference normal force (0 in the air)
  double sent_force_n = 0;       // target normal force in the frame that went out
  double measured_force_n = 0;   // driver's reading along the skin normal
  Eigen::Vector3d commanded_position_m = Eigen::Vector3d::Zero();
  Eigen::Vector3d measured_position_m = Eigen::Vector3d::Zero();
};

struct ArmLinkStats {
  long states_received = 0;  // good state frames
  long frames_rejected = 0;  // malformed, replayed or out of order
  long frames_missed = 0;    // gaps in the driver's sequence numbers
  long stale_ticks = 0;      // ticks run on the last state because the link was silent
  long commands_sent = 0;
  double max_state_age_s = 0;  // longest rig-clock gap between good states
};

struct ArmSessionResult {
  RunnerState outcome = RunnerState::kReady;
  std::string abort_cause;  // event kind name; "link_lost" or "timeout" when the runner is not done
  bool link_lost = false;   // the driver went silent or closed the link before the end
  double rig_time_s = 0;
  double wall_s = 0;
  double force_rms_error_n = 0;  // measured vs reference while following contact
  double max_measured_force_n = 0;
  double max_sent_force_n = 0;    // largest target normal force that left the adapter
  double retract_latency_s = -1;  // from the retract order to clear of the skin (-1: none)
  ArmLinkStats link;
  std::vector<SessionEvent> events;
  std::vector<ArmTraceRow> trace;
};

// Connects, runs the session to its end (or until the link is lost) and closes the link.
// Throws InputError for invalid options, ArmLinkError when the connection cannot be made.
ArmSessionResult run_arm_session(const plan::SessionPlan& plan, const HeadField& field,
                                 const ArmEndpoint& endpoint, const ArmSessionOptions& options);

}  // namespace headspa::control
