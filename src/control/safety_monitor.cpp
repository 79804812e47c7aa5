#include "headspa/control/safety_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "headspa/core/error.hpp"

namespace headspa::control {

bool SafetyLimits::IsValid(std::string* why) const {
  const auto bad = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (!(cap_margin >= 0 && cap_margin <= 0.1)) return bad("cap_margin must be within 0-0.1");
  if (!(absolute_force_n > 0 && absolute_force_n <= anatomy::kAbsoluteForceLimitN)) {
    return bad("absolute_force_n must be positive and at most the absolute limit");
  }
  if (force_debounce_ticks < 1 || speed_debounce_ticks < 1 || dropout_ticks < 1 || bias_ticks < 1) {
    return bad("tick counts must be at least 1");
  }
  if (!(max_speed_m_per_s > 0 && watchdog_s > 0 && pad_radius_m > 0)) {
    return bad("max_speed_m_per_s, watchdog_s and pad_radius_m must be positive");
  }
  if (!(head_translation_m > 0 && head_rotation_rad > 0)) {
    return bad("head movement thresholds must be positive");
  }
  if (!(state_timeout_s > 0) || rejected_frame_limit < 1) {
    return bad("state_timeout_s must be positive and rejected_frame_limit at least 1");
  }
  for (int j = 0; j < kArmJoints; ++j) {
    const auto u = static_cast<std::size_t>(j);
    if (!(joint_lower_rad[u] + 2 * joint_margin_rad < joint_upper_rad[u])) {
      return bad("each joint's lower limit must lie below its upper limit by twice the margin");
    }
  }
  return true;
}

SafetyMonitor::SafetyMonitor(const HeadField& field, const SafetyLimits& limits)
    : field_(&field), limits_(limits) {
  std::string why;
  if (!limits.IsValid(&why)) throw InputError("safety limits: " + why);
}

void SafetyMonitor::reset() noexcept {
  pads_ = {};
  head_moved_latched_ = false;
  estop_seen_ = false;
  stall_seen_ = false;
  stale_seen_ = false;
  malformed_seen_ = false;
}

SafetyVerdict SafetyMonitor::check(const RigState& s, const Eigen::Isometry3d& registered,
                                   double setpoint_age_s, EventLog& log) noexcept {
  SafetyVerdict verdict;
  // The most severe finding wins: retract > pause > tare.
  const auto raise = [&](SafetyAction action, EventKind cause, int pad) {
    if (static_cast<int>(action) > static_cast<int>(verdict.action)) {
      verdict = SafetyVerdict{action, cause, pad};
    }
  };
  const double t = s.t_s;
  if (s.estop) raise(SafetyAction::kRetract, EventKind::kEStop, -1);
  if (setpoint_age_s > limits_.watchdog_s)
    raise(SafetyAction::kRetract, EventKind::kCommandStall, -1);

  // The measured state itself: too old (dropped frames, a stalled link) or malformed frames.
  const bool stale = s.state_age_s > limits_.state_timeout_s;
  if (stale) {
    if (!stale_seen_) log.record(t, EventKind::kStateStale, -1, s.state_age_s);
    raise(SafetyAction::kRetract, EventKind::kStateStale, -1);
  }
  stale_seen_ = stale;
  const bool malformed = s.rejected_frames >= limits_.rejected_frame_limit;
  if (malformed) {
    if (!malformed_seen_) log.record(t, EventKind::kStateMalformed, -1, s.rejected_frames);
    raise(SafetyAction::kRetract, EventKind::kStateMalformed, -1);
  }
  malformed_seen_ = malformed;

  // Head movement relative to the pose the plan is mapped with.
  const Eigen::Isometry3d delta = registered.inverse() * s.head_pose_tracked;
  const double moved_m = delta.translation().norm();
  const double turned_rad = Eigen::AngleAxisd(delta.linear()).angle();
  const bool moved = !s.head_tracking_valid || moved_m > limits_.head_translation_m ||
                     turned_rad > limits_.head_rotation_rad;
  if (moved) {
    if (!head_moved_latched_) log.record(t, EventKind::kHeadMoved, -1, moved_m);
    head_moved_latched_ = true;
    raise(SafetyAction::kPause, EventKind::kHeadMoved, -1);
  } else {
    head_moved_latched_ = false;
  }

  const Eigen::Isometry3d world_to_head = s.head_pose_tracked.inverse();
  for (int p = 0; p < kPads; ++p) {
    const PadMeasurement& m = s.pads[static_cast<std::size_t>(p)];
    PadWatch& w = pads_[static_cast<std::size_t>(p)];
    const HeadFieldSample here = field_->at(world_to_head * m.position_m);
    w.clearance_m = here.skin_distance_m - limits_.pad_radius_m;

    // Sensor dropout.
    if (!m.force_valid) {
      if (++w.dropout_ticks == limits_.dropout_ticks) {
        log.record(t, EventKind::kSensorDropout, p, w.dropout_ticks);
      }
      if (w.dropout_ticks >= limits_.dropout_ticks) {
        raise(SafetyAction::kRetract, EventKind::kSensorDropout, p);
      }
    } else {
      w.dropout_ticks = 0;
      const double force = m.force_n.norm();
      w.peak_force_n = std::max(w.peak_force_n, force);
      // Region cap (lowest nearby) plus margin; the absolute limit regardless of region.
      const double cap =
          here.force_cap_n * (1.0 + limits_.cap_margin) + limits_.force_noise_floor_n;
      const bool over_abs = force > limits_.absolute_force_n;
      // Well clear of the skin a reading cannot be skin force: only the absolute limit and
      // the bias check below apply there.
      const bool near_skin = w.clearance_m <= limits_.bias_clearance_m;
      if ((near_skin && force > cap) || over_abs) {
        ++w.over_cap_ticks;
      } else {
        w.over_cap_ticks = 0;
      }
      if (w.over_cap_ticks == limits_.force_debounce_ticks) {
        log.record(t, over_abs ? EventKind::kAbsoluteForce : EventKind::kForceOverCap, p, force);
      }
      if (w.over_cap_ticks >= limits_.force_debounce_ticks) {
        raise(SafetyAction::kRetract,
              over_abs ? EventKind::kAbsoluteForce : EventKind::kForceOverCap, p);
      }
      // Pressing near a no-go zone.
      const bool near_no_go =
          force > limits_.pressing_force_n &&
          here.no_go_distance_m - limits_.pad_radius_m < limits_.no_go_clearance_m;
      if (near_no_go) {
        if (!w.near_no_go) {
          log.record(t, EventKind::kNoGoProximity, p, here.no_go_distance_m - limits_.pad_radius_m);
        }
        raise(SafetyAction::kRetract, EventKind::kNoGoProximity, p);
      }
      w.near_no_go = near_no_go;
      // A reading while well clear of the skin is sensor bias: ask for a re-tare.
      if (w.clearance_m > limits_.bias_clearance_m && force > limits_.bias_threshold_n) {
        if (++w.bias_ticks >= limits_.bias_ticks) {
          w.bias_ticks = 0;
          raise(SafetyAction::kTare, EventKind::kSensorTared, p);
        }
      } else {
        w.bias_ticks = 0;
      }
    }

    // Speed.
    const double speed = m.velocity_m_per_s.norm();
    w.over_speed_ticks = speed > limits_.max_speed_m_per_s ? w.over_speed_ticks + 1 : 0;
    if (w.over_speed_ticks == limits_.speed_debounce_ticks) {
      log.record(t, EventKind::kSpeedLimit, p, speed);
    }
    if (w.over_speed_ticks >= limits_.speed_debounce_ticks) {
      raise(SafetyAction::kRetract, EventKind::kSpeedLimit, p);
    }

    // Joints near their limits.
    int near_joint = -1;
    for (int j = 0; j < kArmJoints && near_joint < 0; ++j) {
      const auto u = static_cast<std::size_t>(j);
      const double q = m.joint_position_rad[u];
      if (q < limits_.joint_lower_rad[u] + limits_.joint_margin_rad ||
          q > limits_.joint_upper_rad[u] - limits_.joint_margin_rad) {
        near_joint = j;
      }
    }
    if (near_joint >= 0) {
      if (w.near_joint < 0) log.record(t, EventKind::kJointNearLimit, p, near_joint);
      raise(SafetyAction::kRetract, EventKind::kJointNearLimit, p);
    }
    w.near_joint = near_joint;
  }
  if (s.estop && !estop_seen_) log.record(t, EventKind::kEStop);
  estop_seen_ = s.estop;
  const bool stalled = setpoint_age_s > limits_.watchdog_s;
  if (stalled && !stall_seen_) log.record(t, EventKind::kCommandStall, -1, setpoint_age_s);
  stall_seen_ = stalled;
  return verdict;
}

SafetyVerdict SafetyMonitor::gate(RigCommand& command, const RigState& s, EventLog& log) noexcept {
  SafetyVerdict verdict;
  const Eigen::Isometry3d world_to_head = s.head_pose_tracked.inverse();
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    PadCommand& c = command.pads[u];
    PadWatch& w = pads_[u];
    EventKind cause = EventKind::kStateChanged;
    double value = 0.0;
    const bool finite = c.force_n.allFinite() && c.tool_axis.allFinite() &&
                        c.target_position_m.allFinite() && c.target_velocity_m_per_s.allFinite() &&
                        std::isfinite(c.target_normal_force_n);
    if (!finite) {
      cause = EventKind::kTargetOverCap;
      value = std::numeric_limits<double>::quiet_NaN();
    } else if (c.target_normal_force_n > 0.0) {
      const HeadFieldSample at = field_->at(world_to_head * c.target_position_m);
      const double cap = at.force_cap_n * (1.0 + limits_.cap_margin) + limits_.force_noise_floor_n;
      const double no_go_clearance = at.no_go_distance_m - limits_.pad_radius_m;
      if (c.target_normal_force_n > std::min(cap, limits_.absolute_force_n)) {
        cause = EventKind::kTargetOverCap;
        value = c.target_normal_force_n;
      } else if (c.target_normal_force_n > limits_.pressing_force_n &&
                 no_go_clearance < limits_.no_go_clearance_m) {
        cause = EventKind::kTargetNoGo;
        value = no_go_clearance;
      }
    }
    const bool rejected = cause != EventKind::kStateChanged;
    if (rejected) {
      if (!w.target_rejected) log.record(s.t_s, cause, p, value);
      // Withheld: hold still where the pad is, with no force.
      PadCommand hold;
      hold.tool_axis = finite ? c.tool_axis : -Eigen::Vector3d::UnitY();
      hold.target_position_m = s.pads[u].position_m;
      c = hold;
      if (verdict.action != SafetyAction::kRetract) {
        verdict = SafetyVerdict{SafetyAction::kRetract, cause, p};
      }
    }
    w.target_rejected = rejected;
  }
  return verdict;
}

}  // namespace headspa::control
