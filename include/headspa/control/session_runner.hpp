// The session runner: the state machine that executes a SessionPlan on a rig, one 1 kHz tick at
// a time, with the controller and the safety monitor inside the tick.
//
//   ready -> approaching -> massaging <-> paused -> retracting -> finished | aborted
//
// Live commands (pause, resume, softer, firmer, stop) arrive through a lock-free queue that any
// one thread may post to. The plan reaches the tick as a stream of setpoints (the plan sampled
// at the runner's plan time); a watchdog in the monitor trips when the stream stalls.
//
// The plan is in the head frame; the runner maps it into the world with the registered head
// pose (taken at start and again after the head moves and settles).
//
//   SessionRunner runner(plan, field, RunnerOptions{});
//   runner.post(LiveCommand::kStart);
//   while (!runner.done()) command = runner.tick(rig_state, 0.001);  // noexcept, no allocation
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "headspa/control/controller.hpp"
#include "headspa/control/devices.hpp"
#include "headspa/control/events.hpp"
#include "headspa/control/head_field.hpp"
#include "headspa/control/rig.hpp"
#include "headspa/control/safety_monitor.hpp"
#include "headspa/plan/session_plan.hpp"

namespace headspa::control {

enum class RunnerState : std::uint8_t {
  kReady,
  kApproaching,
  kMassaging,
  kPaused,
  kRetracting,
  kFinished,
  kAborted,
};
std::string_view runner_state_name(RunnerState state) noexcept;

enum class LiveCommand : std::uint8_t { kStart, kPause, kResume, kSofter, kFirmer, kStop };
std::string_view live_command_name(LiveCommand command) noexcept;
std::optional<LiveCommand> parse_live_command(std::string_view name) noexcept;

// Single-producer single-consumer ring of live commands; post() and pop() never block.
class CommandQueue {
 public:
  static constexpr std::uint32_t kCapacity = 64;
  bool post(LiveCommand command) noexcept;  // false when full
  bool pop(LiveCommand* command) noexcept;

 private:
  std::array<LiveCommand, kCapacity> ring_{};
  std::atomic<std::uint32_t> head_{0};
  std::atomic<std::uint32_t> tail_{0};
};

struct RunnerOptions {
  ControllerGains gains;
  SafetyLimits limits;
  double pad_radius_m = 0.0075;
  double skin_normal_reach_m = 0.02;     // pressing: skin normal from the head model within this
  double head_follow_s = 0.03;           // time constant of the smoothing of the followed head pose
  double approach_speed_m_per_s = 0.08;  // from the rig's start pose to the plan's first pose
  double pause_lift_m = 0.02;            // lift off the skin when pausing
  double pause_lift_s = 0.5;
  double resume_travel_s = 0.6;  // back above the paused spot
  double resume_descend_s = 0.4;
  double resume_ramp_s = 0.3;  // force ramp after touching down again
  double retract_distance_m = 0.015;
  double retract_time_s = 0.08;  // leaves the skin well within 100 ms
  double park_speed_m_per_s = 0.1;
  double force_scale_step = 0.1;  // softer / firmer
  double min_force_scale = 0.5;
  double max_force_scale = 1.3;
  double cap_fraction = 0.9;             // commanded force never above this share of the cap
  double head_settle_s = 0.3;            // head still for this long before re-registering
  double head_settle_m = 0.0015;         // "still": moved less than this over head_settle_s
  double retracted_clearance_m = 0.005;  // pad clear of the skin by this: retracted

  bool IsValid(std::string* why) const;
};

// What the last tick did, for traces and metrics.
struct PadTickInfo {
  double reference_force_n = 0.0;  // commanded pad-on-skin force (0 in the air)
  bool following_contact = false;  // massaging, plan phase contact, force > 0
  int segment = -1;
  Eigen::Vector3d reference_position_m = Eigen::Vector3d::Zero();  // world
};

class SessionRunner {
 public:
  // Keeps references to `plan` and `field`; both must outlive the runner. Throws InputError when
  // the options are invalid or the plan has no segments.
  SessionRunner(const plan::SessionPlan& plan, const HeadField& field,
                const RunnerOptions& options);

  // Live command from the operator or client (any one thread).
  bool post(LiveCommand command) noexcept { return commands_.post(command); }

  // Fault injection for tests and the twin: the setpoint stream stops until t_s.
  void stall_setpoints_until(double t_s) noexcept { stall_until_s_ = t_s; }

  // One tick: monitor, state machine, controller, devices. noexcept, no allocation, no lock.
  RigCommand tick(const RigState& state, double dt_s) noexcept;

  RunnerState state() const noexcept { return state_; }
  bool done() const noexcept {
    return state_ == RunnerState::kFinished || state_ == RunnerState::kAborted;
  }
  double plan_time_s() const noexcept { return plan_t_s_; }
  double force_scale() const noexcept { return force_scale_; }
  const EventLog& log() const noexcept { return log_; }
  CareDevices& devices() noexcept { return devices_; }
  const SafetyMonitor& monitor() const noexcept { return monitor_; }
  const std::array<PadTickInfo, kPads>& last_tick() const noexcept { return info_; }
  // Seconds from the retract order to both pads clear of the skin (negative until then).
  double retract_latency_s() const noexcept { return retract_latency_s_; }
  // The cause of the protective retract, if one happened.
  std::optional<EventKind> abort_cause() const noexcept { return abort_cause_; }

 private:
  struct Move {
    Eigen::Vector3d from = Eigen::Vector3d::Zero();
    Eigen::Vector3d to = Eigen::Vector3d::Zero();
    double start_s = 0.0;
    double duration_s = 1.0;
    bool ease_out = false;  // fastest at the start (retract), else minimum jerk
  };
  struct Setpoint {
    double stamp_s = -1.0;
    double plan_t_s = 0.0;
    std::array<std::optional<plan::Sample>, kPads> samples{};
  };
  enum class PauseStage : std::uint8_t { kLifting, kHolding, kTravel, kDescend, kRamp };
  enum class RetractStage : std::uint8_t { kClear, kPark, kDone };

  void set_state(RunnerState next, double t_s) noexcept;
  void start_retract(const RigState& s, EventKind cause, bool abort) noexcept;
  void start_pause(const RigState& s) noexcept;
  void start_resume(const RigState& s) noexcept;
  void publish_setpoint(double t_s) noexcept;
  PadReference plan_reference(int pad, const std::optional<plan::Sample>& sample) noexcept;
  PadReference move_reference(int pad, const Move& move, double t_s) const noexcept;
  Eigen::Vector3d park_world(int pad) const noexcept;
  void handle_command(LiveCommand command, const RigState& s) noexcept;
  void enter_segment(int index, double t_s) noexcept;
  void tick_devices(double t_s, double dt_s) noexcept;

  const plan::SessionPlan* plan_;
  const HeadField* field_;
  RunnerOptions options_;
  Controller controller_;
  SafetyMonitor monitor_;
  EventLog log_;
  CommandQueue commands_;
  CareDevices devices_;

  RunnerState state_ = RunnerState::kReady;
  double plan_t_s_ = 0.0;
  double force_scale_ = 1.0;
  double stall_until_s_ = -1.0;
  Setpoint setpoint_;
  Eigen::Isometry3d registered_head_ = Eigen::Isometry3d::Identity();
  // The head pose references are mapped with while working: the tracked pose, smoothed, so the
  // pads follow the small give of the cradle (the monitor pauses on anything larger).
  Eigen::Isometry3d followed_head_ = Eigen::Isometry3d::Identity();
  std::array<Move, kPads> moves_{};
  std::array<Eigen::Vector3d, kPads> last_normal_{};  // world
  std::array<Eigen::Vector3d, kPads> force_offset_{};
  std::array<Eigen::Vector3d, kPads> air_force_mean_{};
  std::array<PadTickInfo, kPads> info_{};
  PauseStage pause_stage_ = PauseStage::kLifting;
  double stage_start_s_ = 0.0;
  bool pause_for_head_ = false;
  bool auto_resume_ = false;
  bool resume_requested_ = false;
  bool initialised_ = false;
  Eigen::Vector3d settle_anchor_ = Eigen::Vector3d::Zero();
  double settle_start_s_ = 0.0;
  RetractStage retract_stage_ = RetractStage::kClear;
  bool retract_aborts_ = false;
  double retract_order_s_ = -1.0;
  double retract_latency_s_ = -1.0;
  std::optional<EventKind> abort_cause_;
  int segment_ = -1;
  bool care_active_ = false;
};

}  // namespace headspa::control
