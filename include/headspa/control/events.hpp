// The session's event log: fixed-size records written from inside the tick without allocating.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace headspa::control {

enum class EventKind : std::uint8_t {
  kStateChanged,       // value: the new RunnerState
  kSegmentStarted,     // value: segment index
  kLiveCommand,        // value: the LiveCommand
  kForceScaleChanged,  // value: the new scale
  kEStop,
  kForceOverCap,      // value: force [N]
  kAbsoluteForce,     // value: force [N]
  kSpeedLimit,        // value: speed [m/s]
  kNoGoProximity,     // value: clearance [m]
  kHeadMoved,         // value: translation [m] (or angle [rad], whichever tripped, as reported)
  kHeadReregistered,  // value: translation since the last registration [m]
  kCommandStall,      // value: setpoint age [s]
  kSensorDropout,     // value: ticks without a reading
  kSensorTared,       // value: the offset removed [N]
  kJointNearLimit,    // value: joint index
  kRetracted,         // value: seconds from the retract order to clear of the skin
  kDeviceOn,          // value: device
  kDeviceOff,         // value: device
  kDeviceFault,       // value: device
  kCareSkipped,       // value: segment index
  kFinished,
  kAborted,
  kStateStale,      // value: seconds without a fresh measured state
  kStateMalformed,  // value: measured-state frames rejected in a row
  kTargetOverCap,   // value: the target force that was withheld [N]
  kTargetNoGo,      // value: the target's clearance from a no-go zone [m]
};
std::string_view event_kind_name(EventKind kind) noexcept;

// One event. `pad` is -1 when the event is not about one pad.
struct SessionEvent {
  double t_s = 0.0;  // rig time. Unit: [s]
  EventKind kind = EventKind::kStateChanged;
  std::int8_t pad = -1;
  double value = 0.0;  // meaning per kind (see EventKind)
};

// A log with its capacity reserved up front: record() never allocates; events past the
// capacity are counted in dropped().
class EventLog {
 public:
  explicit EventLog(std::size_t capacity = 16384) { events_.reserve(capacity); }
  void record(double t_s, EventKind kind, int pad = -1, double value = 0.0) noexcept {
    if (events_.size() == events_.capacity()) {
      ++dropped_;
      return;
    }
    events_.push_back(SessionEvent{t_s, kind, static_cast<std::int8_t>(pad), value});
  }
  const std::vector<SessionEvent>& events() const noexcept { return events_; }
  std::size_t dropped() const noexcept { return dropped_; }
  std::size_t count(EventKind kind) const noexcept {
    std::size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind ? 1 : 0;
    return n;
  }

 private:
  std::vector<SessionEvent> events_;
  std::size_t dropped_ = 0;
};

}  // namespace headspa::control
