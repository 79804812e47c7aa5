// The safety monitor: an independent check of every tick, with its own per-head field (no-go
// distances, caps) and its own limits. It never computes commands; it tells the runner what to
// do (nothing, re-tare a sensor, pause, or protective retract) and logs each trip with its cause.
//
// Checks: emergency stop; force over the region's cap plus a margin (debounced a few ticks so a
// one-sample spike does not trip it); the absolute force limit; pad speed; pad clearance from
// no-go zones while pressing; head movement away from the registered pose; a watchdog on the
// setpoint stream; force-sensor dropout; a force reading while clear of the skin (bias); joints
// near their limits; a stale or malformed measured state from a streamed rig.
//
// It also gates what goes out: gate() checks every pad target against the same field before the
// command leaves the tick, so a target force above the cap near the target, or a force target
// inside a no-go margin, is never sent to an arm.
#pragma once

#include <array>
#include <string>

#include "headspa/anatomy/regions.hpp"
#include "headspa/control/events.hpp"
#include "headspa/control/head_field.hpp"
#include "headspa/control/rig.hpp"

namespace headspa::control {

struct SafetyLimits {
  double cap_margin = 0.05;          // trip above cap * (1 + margin) + noise floor
  double force_noise_floor_n = 0.3;  // sensor noise allowance on top of the cap
  double absolute_force_n = anatomy::kAbsoluteForceLimitN;
  int force_debounce_ticks = 4;  // consecutive ticks over the cap before tripping
  double max_speed_m_per_s = 0.6;
  int speed_debounce_ticks = 3;
  double pad_radius_m = 0.0075;
  double no_go_clearance_m = 0.003;  // pad surface to a no-go zone while pressing
  double pressing_force_n = 0.5;     // a pad presses when its measured force is above this
  double head_translation_m = 0.005;
  double head_rotation_rad = 0.0524;  // 3 degrees
  double watchdog_s = 0.02;           // setpoint older than this trips
  int dropout_ticks = 5;              // consecutive ticks without a force reading
  double bias_clearance_m = 0.01;     // a pad this far from the skin should read no force
  double bias_threshold_n = 0.6;
  int bias_ticks = 50;
  std::array<double, kArmJoints> joint_lower_rad{-6.28, -6.28, -3.14, -6.28, -6.28, -6.28};
  std::array<double, kArmJoints> joint_upper_rad{6.28, 6.28, 3.14, 6.28, 6.28, 6.28};
  double joint_margin_rad = 0.05;
  double state_timeout_s = 0.01;  // no fresh measured state for longer than this trips
  int rejected_frame_limit = 3;   // this many malformed state frames in a row trip

  bool IsValid(std::string* why) const;
};

enum class SafetyAction : std::uint8_t {
  kNone,
  kTare,     // re-zero `pad`'s force sensor (it reads force in free air)
  kPause,    // the head moved: lift off, re-register, resume
  kRetract,  // protective stop: retract within 100 ms, end the session
};

struct SafetyVerdict {
  SafetyAction action = SafetyAction::kNone;
  EventKind cause = EventKind::kStateChanged;  // meaningful unless action is kNone
  int pad = -1;
};

class SafetyMonitor {
 public:
  SafetyMonitor(const HeadField& field, const SafetyLimits& limits);

  // Checks one tick. `registered_head` is the head pose the plan is currently mapped with;
  // `setpoint_age_s` the age of the newest setpoint. Logs a trip once, when it starts.
  SafetyVerdict check(const RigState& state, const Eigen::Isometry3d& registered_head,
                      double setpoint_age_s, EventLog& log) noexcept;

  // Clearance of a pad from the skin (head model, tracked pose), as of the last check. Unit: [m]
  double clearance_m(int pad) const noexcept {
    return pads_[static_cast<std::size_t>(pad)].clearance_m;
  }
  // Highest force magnitude seen on each pad since the start. Unit: [N]
  double peak_force_n(int pad) const noexcept {
    return pads_[static_cast<std::size_t>(pad)].peak_force_n;
  }
  // Checks the targets about to be sent (targets out). A pad whose target normal force exceeds
  // the cap near its target position (cap * (1 + margin) + noise floor, the threshold check()
  // applies to the measured force), whose force target lies within the no-go clearance, or whose
  // command is not finite, has its command replaced by a force-free hold at its measured position;
  // the verdict then asks for a protective retract. Logs each pad's trip once, when it starts.
  SafetyVerdict gate(RigCommand& command, const RigState& state, EventLog& log) noexcept;
  void reset() noexcept;
  const SafetyLimits& limits() const noexcept { return limits_; }

 private:
  struct PadWatch {
    int over_cap_ticks = 0;
    int over_speed_ticks = 0;
    int dropout_ticks = 0;
    int bias_ticks = 0;
    double clearance_m = 1.0;
    double peak_force_n = 0.0;
    bool near_no_go = false;
    bool target_rejected = false;
    int near_joint = -1;
  };
  const HeadField* field_;
  SafetyLimits limits_;
  std::array<PadWatch, kPads> pads_{};
  bool head_moved_latched_ = false;
  bool estop_seen_ = false;
  bool stall_seen_ = false;
  bool stale_seen_ = false;
  bool malformed_seen_ = false;
};

}  // namespace headspa::control
