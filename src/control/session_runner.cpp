#include "headspa/control/session_runner.hpp"

#include <algorithm>
#include <cmath>

#include "headspa/anatomy/regions.hpp"
#include "headspa/core/error.hpp"

namespace headspa::control {
namespace {

// Minimum-jerk position profile on [0, 1] and its derivative.
double min_jerk(double tau) noexcept {
  tau = std::clamp(tau, 0.0, 1.0);
  return tau * tau * tau * (10.0 + tau * (-15.0 + 6.0 * tau));
}
double min_jerk_rate(double tau) noexcept {
  if (tau <= 0.0 || tau >= 1.0) return 0.0;
  return 30.0 * tau * tau * (1.0 - tau) * (1.0 - tau);
}
double min_jerk_acceleration(double tau) noexcept {
  if (tau <= 0.0 || tau >= 1.0) return 0.0;
  return 60.0 * tau * (1.0 - tau) * (1.0 - 2.0 * tau);
}

// Bound on the acceleration feed-forward taken from the plan (a kink between two samples would
// otherwise read as a spike). Unit: [m/s²]
constexpr double kMaxFeedForwardAcceleration = 4.0;

bool is_wet(care::CareKind kind) noexcept {
  return kind == care::CareKind::kCleanse || kind == care::CareKind::kExfoliate ||
         kind == care::CareKind::kRinse;
}
bool uses_product(care::CareKind kind) noexcept {
  return kind == care::CareKind::kCleanse || kind == care::CareKind::kExfoliate ||
         kind == care::CareKind::kOil || kind == care::CareKind::kSerumOrMask;
}

}  // namespace

std::string_view runner_state_name(RunnerState state) noexcept {
  switch (state) {
    case RunnerState::kReady:
      return "ready";
    case RunnerState::kApproaching:
      return "approaching";
    case RunnerState::kMassaging:
      return "massaging";
    case RunnerState::kPaused:
      return "paused";
    case RunnerState::kRetracting:
      return "retracting";
    case RunnerState::kFinished:
      return "finished";
    case RunnerState::kAborted:
      return "aborted";
  }
  return "unknown";
}

std::string_view live_command_name(LiveCommand command) noexcept {
  switch (command) {
    case LiveCommand::kStart:
      return "start";
    case LiveCommand::kPause:
      return "pause";
    case LiveCommand::kResume:
      return "resume";
    case LiveCommand::kSofter:
      return "softer";
    case LiveCommand::kFirmer:
      return "firmer";
    case LiveCommand::kStop:
      return "stop";
  }
  return "unknown";
}

std::optional<LiveCommand> parse_live_command(std::string_view name) noexcept {
  for (auto c : {LiveCommand::kStart, LiveCommand::kPause, LiveCommand::kResume,
                 LiveCommand::kSofter, LiveCommand::kFirmer, LiveCommand::kStop}) {
    if (live_command_name(c) == name) return c;
  }
  return std::nullopt;
}

bool CommandQueue::post(LiveCommand command) noexcept {
  const std::uint32_t head = head_.load(std::memory_order_relaxed);
  const std::uint32_t tail = tail_.load(std::memory_order_acquire);
  if (head - tail >= kCapacity) return false;
  ring_[head % kCapacity] = command;
  head_.store(head + 1, std::memory_order_release);
  return true;
}

bool CommandQueue::pop(LiveCommand* command) noexcept {
  const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
  const std::uint32_t head = head_.load(std::memory_order_acquire);
  if (tail == head) return false;
  *command = ring_[tail % kCapacity];
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

bool RunnerOptions::IsValid(std::string* why) const {
  const auto bad = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (!gains.IsValid(why) || !limits.IsValid(why)) return false;
  if (!(pad_radius_m > 0 && approach_speed_m_per_s > 0 && park_speed_m_per_s > 0)) {
    return bad("pad_radius_m and the speeds must be positive");
  }
  if (!(skin_normal_reach_m > 0 && head_follow_s > 0)) {
    return bad("skin_normal_reach_m and head_follow_s must be positive");
  }
  if (!(pause_lift_m > 0 && pause_lift_s > 0 && resume_travel_s > 0 && resume_descend_s > 0 &&
        resume_ramp_s > 0)) {
    return bad("pause and resume distances and times must be positive");
  }
  if (!(retract_distance_m > 0 && retract_time_s > 0 && retract_time_s <= 0.1)) {
    return bad("retract_distance_m must be positive and retract_time_s within (0, 0.1] s");
  }
  if (!(min_force_scale > 0 && min_force_scale <= 1 && max_force_scale >= 1 &&
        force_scale_step > 0)) {
    return bad("force scales must bracket 1 and the step be positive");
  }
  if (!(cap_fraction > 0 && cap_fraction <= 1)) return bad("cap_fraction must be within (0, 1]");
  return true;
}

SessionRunner::SessionRunner(const plan::SessionPlan& plan, const HeadField& field,
                             const RunnerOptions& options)
    : plan_(&plan),
      field_(&field),
      options_(options),
      controller_(options.gains),
      monitor_(field, options.limits) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError("runner options: " + why);
  if (plan.segments.empty() || !(plan.duration_s > 0.0)) {
    throw InputError(InputLocation{plan.protocol_id, 0, 0, "segments"},
                     "the plan has no segments or no duration");
  }
  for (auto& n : last_normal_) n = Eigen::Vector3d::UnitY();
  for (auto& f : force_offset_) f.setZero();
  for (auto& f : air_force_mean_) f.setZero();
  // Pre-heat the water when any care step is wet.
  for (const auto& seg : plan.segments) {
    if (seg.kind == plan::SegmentKind::kCare && seg.care_kind && is_wet(*seg.care_kind)) {
      devices_.heater.set_target_c(seg.device.water_temp_c.value_or(38.0));
      devices_.heater.set_enabled(true);
      break;
    }
  }
}

void SessionRunner::set_state(RunnerState next, double t_s) noexcept {
  if (next == state_) return;
  state_ = next;
  stage_start_s_ = t_s;
  log_.record(t_s, EventKind::kStateChanged, -1, static_cast<double>(next));
}

Eigen::Vector3d SessionRunner::park_world(int pad) const noexcept {
  const auto contact = static_cast<plan::Contact>(pad);
  return registered_head_ * (plan_->park_position[static_cast<std::size_t>(pad)] +
                             options_.pad_radius_m * plan::park_normal(contact));
}

void SessionRunner::publish_setpoint(double t_s) noexcept {
  setpoint_.stamp_s = t_s;
  setpoint_.plan_t_s = plan_t_s_;
  for (int p = 0; p < kPads; ++p) {
    setpoint_.samples[static_cast<std::size_t>(p)] =
        plan_->sample_at(static_cast<plan::Contact>(p), plan_t_s_);
  }
}

PadReference SessionRunner::plan_reference(int pad,
                                           const std::optional<plan::Sample>& sample) noexcept {
  PadReference ref;
  const auto u = static_cast<std::size_t>(pad);
  if (!sample) {
    ref.position_m = park_world(pad);
    ref.normal = last_normal_[u];
    return ref;
  }
  const Eigen::Matrix3d rot = followed_head_.linear();
  ref.normal = rot * sample->normal;
  last_normal_[u] = ref.normal;
  ref.position_m = followed_head_ * (sample->position_m + options_.pad_radius_m * sample->normal);
  // Velocity from the plan's next sample (one plan period ahead), in every phase.
  const double period = 1.0 / plan_->sample_rate_hz;
  const auto next = plan_->sample_at(static_cast<plan::Contact>(pad), sample->t_s + period);
  if (next) {
    const Eigen::Vector3d ahead =
        followed_head_ * (next->position_m + options_.pad_radius_m * next->normal);
    ref.velocity_m_per_s = (ahead - ref.position_m) / period;
    // Acceleration from the samples either side, for the arm's inertia feed-forward.
    const auto prev = plan_->sample_at(static_cast<plan::Contact>(pad), sample->t_s - period);
    if (prev) {
      const Eigen::Vector3d behind =
          followed_head_ * (prev->position_m + options_.pad_radius_m * prev->normal);
      Eigen::Vector3d a = (ahead - 2.0 * ref.position_m + behind) / (period * period);
      const double an = a.norm();
      if (an > kMaxFeedForwardAcceleration) a *= kMaxFeedForwardAcceleration / an;
      ref.acceleration_m_per_s2 = a;
    }
  }
  if (sample->phase == plan::Phase::kContact && sample->force_n > 0.0) {
    const anatomy::TissueProperties& tissue = anatomy::tissue(sample->region);
    const double cap = tissue.force_cap_n * options_.cap_fraction;
    const double ceiling = std::min(cap, options_.limits.absolute_force_n * options_.cap_fraction);
    ref.force_n = std::clamp(force_scale_ * sample->force_n, 0.0, ceiling);
    ref.skin_stiffness_n_per_m = tissue.stiffness_n_per_m;
    if (next && next->phase == plan::Phase::kContact) {
      const double ahead = std::clamp(force_scale_ * next->force_n, 0.0, ceiling);
      ref.force_rate_n_per_s = (ahead - ref.force_n) / period;
    }
  }
  return ref;
}

PadReference SessionRunner::move_reference(int pad, const Move& move, double t_s) const noexcept {
  PadReference ref;
  const double tau = std::clamp((t_s - move.start_s) / move.duration_s, 0.0, 1.0);
  if (move.ease_out) {
    // Leaves at full speed at once: the force drops within the first ticks.
    ref.position_m = move.from + (1.0 - (1.0 - tau) * (1.0 - tau)) * (move.to - move.from);
    ref.velocity_m_per_s = 2.0 * (1.0 - tau) / move.duration_s * (move.to - move.from);
  } else {
    ref.position_m = move.from + min_jerk(tau) * (move.to - move.from);
    ref.velocity_m_per_s = min_jerk_rate(tau) / move.duration_s * (move.to - move.from);
    ref.acceleration_m_per_s2 =
        min_jerk_acceleration(tau) / (move.duration_s * move.duration_s) * (move.to - move.from);
  }
  ref.normal = last_normal_[static_cast<std::size_t>(pad)];
  return ref;
}

void SessionRunner::start_retract(const RigState& s, EventKind cause, bool abort) noexcept {
  if (abort) {
    retract_aborts_ = true;
    if (!abort_cause_) abort_cause_ = cause;
  }
  if (state_ == RunnerState::kRetracting) return;
  retract_order_s_ = s.t_s;
  retract_stage_ = RetractStage::kClear;
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    Move& m = moves_[u];
    m.from = s.pads[u].position_m;
    m.to = m.from + options_.retract_distance_m * last_normal_[u];
    m.start_s = s.t_s;
    m.duration_s = options_.retract_time_s;
    m.ease_out = true;
  }
  devices_.heater.set_flow(false);
  devices_.steamer.set_on(false);
  set_state(RunnerState::kRetracting, s.t_s);
}

void SessionRunner::start_pause(const RigState& s) noexcept {
  pause_stage_ = PauseStage::kLifting;
  resume_requested_ = false;
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    Move& m = moves_[u];
    m.from = s.pads[u].position_m;
    // Pads in contact (or close) lift along the normal; parked ones stay.
    const bool near = monitor_.clearance_m(p) < options_.pause_lift_m;
    m.to = m.from + (near ? options_.pause_lift_m : 0.0) * last_normal_[u];
    m.start_s = s.t_s;
    m.duration_s = options_.pause_lift_s;
  }
  settle_anchor_ = s.head_pose_tracked.translation();
  settle_start_s_ = s.t_s;
  devices_.steamer.set_on(false);
  devices_.heater.set_flow(false);
  set_state(RunnerState::kPaused, s.t_s);
}

void SessionRunner::start_resume(const RigState& s) noexcept {
  pause_stage_ = PauseStage::kTravel;
  stage_start_s_ = s.t_s;
  resume_requested_ = false;
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    const auto sample = plan_->sample_at(static_cast<plan::Contact>(p), plan_t_s_);
    const PadReference ref = plan_reference(p, sample);
    Move& m = moves_[u];
    m.from = s.pads[u].position_m;
    m.to = ref.position_m + (ref.force_n > 0.0 ? options_.pause_lift_m : 0.0) * ref.normal;
    m.start_s = s.t_s;
    m.duration_s = options_.resume_travel_s;
  }
}

void SessionRunner::handle_command(LiveCommand command, const RigState& s) noexcept {
  log_.record(s.t_s, EventKind::kLiveCommand, -1, static_cast<double>(command));
  switch (command) {
    case LiveCommand::kStart:
      if (state_ != RunnerState::kReady) return;
      registered_head_ = s.head_pose_tracked;
      followed_head_ = registered_head_;
      for (int p = 0; p < kPads; ++p) {
        const auto u = static_cast<std::size_t>(p);
        const auto first = plan_->sample_at(static_cast<plan::Contact>(p), 0.0);
        Move& m = moves_[u];
        m.from = s.pads[u].position_m;
        m.to = plan_reference(p, first).position_m;
        m.start_s = s.t_s;
        m.duration_s = std::max(1.0, (m.to - m.from).norm() / options_.approach_speed_m_per_s);
      }
      set_state(RunnerState::kApproaching, s.t_s);
      return;
    case LiveCommand::kPause:
      if (state_ == RunnerState::kMassaging) {
        pause_for_head_ = false;
        start_pause(s);
      }
      return;
    case LiveCommand::kResume:
      if (state_ == RunnerState::kPaused) resume_requested_ = true;
      return;
    case LiveCommand::kSofter:
    case LiveCommand::kFirmer: {
      const double step =
          command == LiveCommand::kSofter ? -options_.force_scale_step : options_.force_scale_step;
      const double next =
          std::clamp(force_scale_ + step, options_.min_force_scale, options_.max_force_scale);
      if (next != force_scale_) {
        force_scale_ = next;
        log_.record(s.t_s, EventKind::kForceScaleChanged, -1, next);
      }
      return;
    }
    case LiveCommand::kStop:
      if (state_ == RunnerState::kReady) {
        abort_cause_ = EventKind::kLiveCommand;
        set_state(RunnerState::kAborted, s.t_s);
        log_.record(s.t_s, EventKind::kAborted);
      } else if (!done()) {
        start_retract(s, EventKind::kLiveCommand, true);
      }
      return;
  }
}

void SessionRunner::enter_segment(int index, double t_s) noexcept {
  // Leaving a care segment: every device off.
  if (care_active_) {
    devices_.heater.set_flow(false);
    devices_.steamer.set_on(false);
    log_.record(t_s, EventKind::kDeviceOff, -1, static_cast<double>(Device::kWaterHeater));
    care_active_ = false;
  }
  segment_ = index;
  log_.record(t_s, EventKind::kSegmentStarted, -1, index);
  const plan::Segment& seg = plan_->segments[static_cast<std::size_t>(index)];
  if (seg.kind != plan::SegmentKind::kCare || !seg.care_kind) return;
  care_active_ = true;
  const care::CareKind kind = *seg.care_kind;
  if (is_wet(kind)) {
    devices_.heater.set_target_c(seg.device.water_temp_c.value_or(38.0));
    devices_.heater.set_enabled(true);
    devices_.heater.set_flow(true);
    log_.record(t_s, EventKind::kDeviceOn, -1, static_cast<double>(Device::kWaterHeater));
  }
  if (kind == care::CareKind::kSteam) {
    devices_.steamer.set_on(true);
    log_.record(t_s, EventKind::kDeviceOn, -1, static_cast<double>(Device::kSteamer));
  }
  if (uses_product(kind)) {
    devices_.dispenser.dispense(5.0);
    log_.record(t_s, EventKind::kDeviceOn, -1, static_cast<double>(Device::kDispenser));
  }
}

void SessionRunner::tick_devices(double t_s, double dt_s) noexcept {
  bool fault = false;
  if (devices_.heater.tick(dt_s)) {
    log_.record(t_s, EventKind::kDeviceFault, -1, static_cast<double>(Device::kWaterHeater));
    devices_.heater.set_enabled(false);
    fault = true;
  }
  if (devices_.steamer.tick(dt_s)) {
    log_.record(t_s, EventKind::kDeviceFault, -1, static_cast<double>(Device::kSteamer));
    fault = true;
  }
  if (devices_.dispenser.tick(dt_s)) {
    log_.record(t_s, EventKind::kDeviceFault, -1, static_cast<double>(Device::kDispenser));
    fault = true;
  }
  // A failed device ends its care step (the device is already off); massage goes on.
  if (fault && care_active_ && state_ == RunnerState::kMassaging && segment_ >= 0) {
    const plan::Segment& seg = plan_->segments[static_cast<std::size_t>(segment_)];
    log_.record(t_s, EventKind::kCareSkipped, -1, segment_);
    devices_.heater.set_flow(false);
    devices_.steamer.set_on(false);
    care_active_ = false;
    plan_t_s_ = std::max(plan_t_s_, seg.end_s);
  }
}

RigCommand SessionRunner::tick(const RigState& raw, double dt_s) noexcept {
  RigCommand out;
  const double t = raw.t_s;
  if (!initialised_) {
    initialised_ = true;
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      moves_[u] = Move{raw.pads[u].position_m, raw.pads[u].position_m, t, 1.0};
    }
  }

  // Tared force readings; the mean reading in free air feeds the next re-tare.
  RigState s = raw;
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    if (!s.pads[u].force_valid) continue;
    s.pads[u].force_n -= force_offset_[u];
    if (monitor_.clearance_m(p) > options_.limits.bias_clearance_m) {
      air_force_mean_[u] += 0.05 * (s.pads[u].force_n - air_force_mean_[u]);
    }
  }

  LiveCommand command;
  while (commands_.pop(&command)) handle_command(command, s);

  // The setpoint stream (held while stalled), then the monitor.
  const bool following = state_ == RunnerState::kMassaging;
  if (following && !(t < stall_until_s_)) publish_setpoint(t);
  const double age = following ? t - setpoint_.stamp_s : 0.0;
  const SafetyVerdict verdict = monitor_.check(s, registered_head_, age, log_);
  switch (verdict.action) {
    case SafetyAction::kRetract:
      if (!done()) start_retract(s, verdict.cause, true);
      break;
    case SafetyAction::kPause:
      if (state_ == RunnerState::kMassaging) {
        pause_for_head_ = true;
        auto_resume_ = true;
        start_pause(s);
      } else if (state_ == RunnerState::kPaused && !pause_for_head_) {
        pause_for_head_ = true;
        settle_anchor_ = s.head_pose_tracked.translation();
        settle_start_s_ = t;
      }
      break;
    case SafetyAction::kTare: {
      const auto u = static_cast<std::size_t>(verdict.pad);
      force_offset_[u] += air_force_mean_[u];
      log_.record(t, EventKind::kSensorTared, verdict.pad, air_force_mean_[u].norm());
      air_force_mean_[u].setZero();
      break;
    }
    case SafetyAction::kNone:
      break;
  }

  // Follow the tracked head while it stays within the monitor's bounds of the registered pose.
  if (s.head_tracking_valid && state_ == RunnerState::kMassaging && !pause_for_head_) {
    const double a = 1.0 - std::exp(-dt_s / options_.head_follow_s);
    followed_head_.translation() +=
        a * (s.head_pose_tracked.translation() - followed_head_.translation());
    const Eigen::Quaterniond from(followed_head_.linear());
    const Eigen::Quaterniond to(s.head_pose_tracked.linear());
    followed_head_.linear() = from.slerp(a, to).normalized().toRotationMatrix();
  }
  std::array<PadReference, kPads> refs{};
  for (auto& i : info_) i = PadTickInfo{};
  switch (state_) {
    case RunnerState::kReady:
    case RunnerState::kFinished:
    case RunnerState::kAborted:
      for (int p = 0; p < kPads; ++p) {
        const auto u = static_cast<std::size_t>(p);
        refs[u] = move_reference(p, moves_[u], t);
      }
      break;
    case RunnerState::kApproaching: {
      bool arrived = true;
      for (int p = 0; p < kPads; ++p) {
        const auto u = static_cast<std::size_t>(p);
        refs[u] = move_reference(p, moves_[u], t);
        arrived = arrived && t >= moves_[u].start_s + moves_[u].duration_s;
      }
      if (arrived) {
        plan_t_s_ = 0.0;
        set_state(RunnerState::kMassaging, t);
        publish_setpoint(t);
      }
      break;
    }
    case RunnerState::kMassaging: {
      const plan::Segment* seg = plan_->segment_at(setpoint_.plan_t_s);
      if (seg) {
        const int index = static_cast<int>(seg - plan_->segments.data());
        if (index != segment_) enter_segment(index, t);
      }
      for (int p = 0; p < kPads; ++p) {
        const auto u = static_cast<std::size_t>(p);
        const auto& sample = setpoint_.samples[u];
        refs[u] = plan_reference(p, sample);
        info_[u].following_contact =
            sample && sample->phase == plan::Phase::kContact && refs[u].force_n > 0.0;
        info_[u].segment = sample ? sample->segment : segment_;
      }
      break;
    }
    case RunnerState::kPaused: {
      const double elapsed = t - stage_start_s_;
      if (pause_stage_ == PauseStage::kLifting && t >= moves_[0].start_s + moves_[0].duration_s) {
        pause_stage_ = PauseStage::kHolding;
      }
      if (pause_stage_ == PauseStage::kHolding) {
        if (pause_for_head_) {
          // Re-register once the head has stayed still for a while.
          const Eigen::Vector3d here = s.head_pose_tracked.translation();
          if (!s.head_tracking_valid || (here - settle_anchor_).norm() > options_.head_settle_m) {
            settle_anchor_ = here;
            settle_start_s_ = t;
          } else if (t - settle_start_s_ >= options_.head_settle_s) {
            log_.record(
                t, EventKind::kHeadReregistered, -1,
                (s.head_pose_tracked.translation() - registered_head_.translation()).norm());
            registered_head_ = s.head_pose_tracked;
            followed_head_ = registered_head_;
            pause_for_head_ = false;
            if (auto_resume_) resume_requested_ = true;
            auto_resume_ = false;
          }
        }
        if (resume_requested_ && !pause_for_head_) start_resume(s);
      }
      if (pause_stage_ == PauseStage::kTravel && elapsed >= options_.resume_travel_s) {
        pause_stage_ = PauseStage::kDescend;
        stage_start_s_ = t;
        for (int p = 0; p < kPads; ++p) {
          const auto u = static_cast<std::size_t>(p);
          const auto sample = plan_->sample_at(static_cast<plan::Contact>(p), plan_t_s_);
          const PadReference ref = plan_reference(p, sample);
          moves_[u] = Move{moves_[u].to, ref.position_m, t, options_.resume_descend_s};
        }
      } else if (pause_stage_ == PauseStage::kDescend && elapsed >= options_.resume_descend_s) {
        pause_stage_ = PauseStage::kRamp;
        stage_start_s_ = t;
      } else if (pause_stage_ == PauseStage::kRamp && elapsed >= options_.resume_ramp_s) {
        set_state(RunnerState::kMassaging, t);
        publish_setpoint(t);
      }
      for (int p = 0; p < kPads; ++p) {
        const auto u = static_cast<std::size_t>(p);
        if (pause_stage_ == PauseStage::kRamp) {
          const auto sample = plan_->sample_at(static_cast<plan::Contact>(p), plan_t_s_);
          refs[u] = plan_reference(p, sample);
          refs[u].velocity_m_per_s.setZero();
          refs[u].acceleration_m_per_s2.setZero();
          refs[u].force_rate_n_per_s = refs[u].force_n / options_.resume_ramp_s;
          refs[u].force_n *= std::clamp((t - stage_start_s_) / options_.resume_ramp_s, 0.0, 1.0);
        } else {
          refs[u] = move_reference(p, moves_[u], t);
        }
      }
      break;
    }
    case RunnerState::kRetracting: {
      const bool stage_done = t >= moves_[0].start_s + moves_[0].duration_s &&
                              t >= moves_[1].start_s + moves_[1].duration_s;
      if (stage_done && retract_stage_ == RetractStage::kClear) {
        retract_stage_ = RetractStage::kPark;
        for (int p = 0; p < kPads; ++p) {
          const auto u = static_cast<std::size_t>(p);
          Move& m = moves_[u];
          m.from = m.to;
          m.to = park_world(p);
          m.ease_out = false;
          m.start_s = t;
          m.duration_s = std::max(0.5, (m.to - m.from).norm() / options_.park_speed_m_per_s);
        }
      } else if (stage_done && retract_stage_ == RetractStage::kPark) {
        retract_stage_ = RetractStage::kDone;
        const RunnerState end = retract_aborts_ ? RunnerState::kAborted : RunnerState::kFinished;
        set_state(end, t);
        log_.record(t, end == RunnerState::kAborted ? EventKind::kAborted : EventKind::kFinished);
      }
      for (int p = 0; p < kPads; ++p) {
        const auto u = static_cast<std::size_t>(p);
        refs[u] = move_reference(p, moves_[u], t);
      }
      break;
    }
  }

  // Retracted: both pads clear of the skin with no force, after a retract order.
  if (retract_order_s_ >= 0.0 && retract_latency_s_ < 0.0) {
    bool clear = true;
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      clear =
          clear && monitor_.clearance_m(p) >= options_.retracted_clearance_m &&
          (!s.pads[u].force_valid || s.pads[u].force_n.norm() < options_.limits.pressing_force_n);
    }
    if (clear) {
      retract_latency_s_ = t - retract_order_s_;
      log_.record(t, EventKind::kRetracted, -1, retract_latency_s_);
    }
  }

  // Pressing: force is regulated along the registered head's skin normal under the pad, not the
  // plan's (smoothed, and a plan for a slightly different skin), so that motion along the skin
  // never leaks into the force direction.
  const Eigen::Isometry3d to_head = followed_head_.inverse();
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    if (!(refs[u].force_n > 0.0)) continue;
    const HeadFieldSample here = field_->at(to_head * s.pads[u].position_m);
    if (here.skin_distance_m < options_.skin_normal_reach_m &&
        here.skin_normal.squaredNorm() > 0.5) {
      refs[u].normal = followed_head_.linear() * here.skin_normal;
    }
  }
  for (int p = 0; p < kPads; ++p) {
    const auto u = static_cast<std::size_t>(p);
    out.pads[u] = controller_.tick(p, refs[u], s.pads[u], dt_s);
    info_[u].reference_force_n = refs[u].force_n;
    info_[u].reference_position_m = refs[u].position_m;
  }
  // Targets out pass the monitor's gate: one it withholds ends the session with a retract.
  const SafetyVerdict gated = monitor_.gate(out, s, log_);
  if (gated.action == SafetyAction::kRetract && !done()) start_retract(s, gated.cause, true);

  tick_devices(t, dt_s);
  if (state_ == RunnerState::kMassaging) {
    plan_t_s_ += dt_s;
    if (plan_t_s_ > plan_->duration_s) start_retract(s, EventKind::kFinished, false);
  }
  return out;
}

}  // namespace headspa::control
