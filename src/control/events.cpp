#include "headspa/control/events.hpp"

namespace headspa::control {

std::string_view event_kind_name(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::kStateChanged:
      return "state_changed";
    case EventKind::kSegmentStarted:
      return "segment_started";
    case EventKind::kLiveCommand:
      return "live_command";
    case EventKind::kForceScaleChanged:
      return "force_scale_changed";
    case EventKind::kEStop:
      return "estop";
    case EventKind::kForceOverCap:
      return "force_over_cap";
    case EventKind::kAbsoluteForce:
      return "absolute_force";
    case EventKind::kSpeedLimit:
      return "speed_limit";
    case EventKind::kNoGoProximity:
      return "no_go_proximity";
    case EventKind::kHeadMoved:
      return "head_moved";
    case EventKind::kHeadReregistered:
      return "head_reregistered";
    case EventKind::kCommandStall:
      return "command_stall";
    case EventKind::kSensorDropout:
      return "sensor_dropout";
    case EventKind::kSensorTared:
      return "sensor_tared";
    case EventKind::kJointNearLimit:
      return "joint_near_limit";
    case EventKind::kRetracted:
      return "retracted";
    case EventKind::kDeviceOn:
      return "device_on";
    case EventKind::kDeviceOff:
      return "device_off";
    case EventKind::kDeviceFault:
      return "device_fault";
    case EventKind::kCareSkipped:
      return "care_skipped";
    case EventKind::kFinished:
      return "finished";
    case EventKind::kAborted:
      return "aborted";
    case EventKind::kStateStale:
      return "state_stale";
    case EventKind::kStateMalformed:
      return "state_malformed";
    case EventKind::kTargetOverCap:
      return "target_over_cap";
    case EventKind::kTargetNoGo:
      return "target_no_go";
  }
  return "unknown";
}

}  // namespace headspa::control
