#include "headspa/control/controller.hpp"

#include <algorithm>
#include <cmath>

#include "headspa/core/error.hpp"

namespace headspa::control {

bool ControllerGains::IsValid(std::string* why) const {
  const auto bad = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (!(air_stiffness_n_per_m > 0 && tangential_stiffness_n_per_m > 0)) {
    return bad("stiffnesses must be positive");
  }
  if (!(air_damping_n_s_per_m >= 0 && tangential_damping_n_s_per_m >= 0 &&
        normal_damping_n_s_per_m >= 0)) {
    return bad("dampings must not be negative");
  }
  if (!(force_kp >= 0 && force_ki_per_s >= 0 && force_integral_limit_n >= 0 &&
        force_integral_share >= 0 && force_integral_floor_n >= 0 &&
        steady_force_rate_n_per_s > 0)) {
    return bad("force gains must not be negative, steady_force_rate_n_per_s must be positive");
  }
  if (!(force_admittance_m_per_s_per_n >= 0 && max_press_speed_m_per_s > 0 &&
        min_seek_speed_m_per_s > 0 && min_seek_speed_m_per_s <= max_seek_speed_m_per_s &&
        seek_speed_per_n_m_per_s_per_n >= 0 && seek_time_s > 0)) {
    return bad(
        "the admittance must not be negative; press and seek speeds and seek_time_s must "
        "be positive, the slowest seek no faster than the press speed bound");
  }
  if (!(force_filter_hz > 0 && max_command_n > 0 && yield_threshold_n > 0 && yield_gain >= 0 &&
        max_yield_n >= 0 && yield_share >= 0)) {
    return bad(
        "force_filter_hz, max_command_n and yield_threshold_n must be positive, yield_gain, "
        "max_yield_n and yield_share not negative");
  }
  return true;
}

Controller::Controller(const ControllerGains& gains) : gains_(gains) {
  std::string why;
  if (!gains.IsValid(&why)) throw InputError("controller gains: " + why);
}

void Controller::reset() noexcept { state_ = {}; }

PadCommand Controller::tick(int pad, const PadReference& ref, const PadMeasurement& m,
                            double dt_s) noexcept {
  PadState& st = state_[static_cast<std::size_t>(pad)];
  PadCommand out;
  out.target_position_m = ref.position_m;
  out.target_velocity_m_per_s = ref.velocity_m_per_s;
  Eigen::Vector3d n = ref.normal;
  const double nn = n.norm();
  n = nn > 1e-9 ? Eigen::Vector3d(n / nn) : Eigen::Vector3d::UnitY();
  out.tool_axis = -n;

  // Measured pad-on-skin force along the normal, low-passed (the last value holds on dropout).
  const double measured = m.force_valid ? m.force_n.dot(n) : st.filtered_force_n;
  const double alpha = 1.0 - std::exp(-2.0 * 3.141592653589793 * gains_.force_filter_hz * dt_s);
  st.filtered_force_n += alpha * (measured - st.filtered_force_n);

  const Eigen::Vector3d e = ref.position_m - m.position_m;
  const Eigen::Vector3d ev = ref.velocity_m_per_s - m.velocity_m_per_s;
  Eigen::Vector3d f;
  if (ref.force_n > 0.0) {
    if (!st.in_force_mode) {
      st.in_force_mode = true;
      st.integral_n = 0.0;
    }
    // Motion along the skin: impedance on the tangential components only.
    const Eigen::Matrix3d tangent = Eigen::Matrix3d::Identity() - n * n.transpose();
    f = tangent *
        (gains_.tangential_stiffness_n_per_m * e + gains_.tangential_damping_n_s_per_m * ev);
    // Normal: damping control. The pad is given a speed into the skin (the force error times
    // an admittance, bounded) and the damping term tracks it; the target force is fed forward
    // and a PI acts on the force error in proportion to how much contact there is. Out of
    // contact nothing pushes but the damping term, which seeks the skin at a bounded speed, so
    // touching down never slams.
    const double measured_n = st.filtered_force_n;
    const double error = ref.force_n - measured_n;
    const double share = std::clamp(measured_n / (0.5 * ref.force_n), 0.0, 1.0);
    const double press_speed =
        std::clamp(gains_.force_admittance_m_per_s_per_n * error, -gains_.max_press_speed_m_per_s,
                   gains_.max_press_speed_m_per_s);
    const double above_m = (m.position_m - ref.position_m).dot(n);  // > 0: off the surface
    // Out of contact the skin may lie a few millimetres off the plan's surface (a scan is never
    // exact): seek it at least at a speed that grows with the target force.
    const double seek_speed = std::clamp(
        std::max(above_m / gains_.seek_time_s, gains_.seek_speed_per_n_m_per_s_per_n * ref.force_n),
        gains_.min_seek_speed_m_per_s, gains_.max_seek_speed_m_per_s);
    // The target force's rate over the expected skin stiffness is the speed into the skin that
    // keeps the force on its ramp; fed forward, the pad leaves and enters the skin with the ramp
    // instead of lagging behind it (and overshooting out of contact at the end of a ramp down).
    const double ramp_speed = ref.skin_stiffness_n_per_m > 0.0
                                  ? ref.force_rate_n_per_s / ref.skin_stiffness_n_per_m
                                  : 0.0;
    const double want_in = share * (press_speed + ramp_speed) + (1.0 - share) * seek_speed;
    const double moving_in = -(m.velocity_m_per_s - ref.velocity_m_per_s).dot(n);
    // The integral acts in contact only; out of contact it fades (a stale integral from the
    // last press must neither hold the pad off the skin nor drive it in).
    // It integrates while the target holds steady (on a ramp the error is lag, which the
    // feed-forward answers; integrating it winds up and overshoots at the ramp's end), and its
    // bound scales with the target, so it can never add more than a share of the force asked.
    const bool steady = std::abs(ref.force_rate_n_per_s) < gains_.steady_force_rate_n_per_s;
    const double integral_limit =
        std::min(gains_.force_integral_limit_n,
                 gains_.force_integral_share * ref.force_n + gains_.force_integral_floor_n);
    st.integral_n =
        std::clamp(st.integral_n + (steady ? share * gains_.force_ki_per_s * error * dt_s : 0.0),
                   -integral_limit, integral_limit);
    st.integral_n *= 1.0 - (1.0 - share) * std::min(1.0, dt_s / 0.02);
    const double push = share * (ref.force_n + gains_.force_kp * error) + st.integral_n +
                        gains_.normal_damping_n_s_per_m * (want_in - moving_in);
    f += -push * n;
    out.target_acceleration_m_per_s2 = tangent * ref.acceleration_m_per_s2;
    out.target_normal_force_n = ref.force_n;
    out.force_mode = true;
  } else {
    st.in_force_mode = false;
    st.integral_n = 0.0;
    f = gains_.air_stiffness_n_per_m * e + gains_.air_damping_n_s_per_m * ev;
    out.target_acceleration_m_per_s2 = ref.acceleration_m_per_s2;
  }
  if (!out.target_acceleration_m_per_s2.allFinite()) out.target_acceleration_m_per_s2.setZero();
  const double norm = f.norm();
  if (norm > gains_.max_command_n) f *= gains_.max_command_n / norm;
  if (m.force_valid) {
    // Skin pushing much harder than asked (the head moved into a pad, in the air or while it
    // presses, or a retracting pad still touches): give way. Holding on would push back;
    // instead the arm drops any push towards the head and pulls outwards (along the skin
    // normal, whatever direction the reading has, so a bad reading can only move the pad away)
    // with a multiple of the excess, bounded separately from the commands that may press.
    const double excess = m.force_n.dot(n) - ref.force_n * (1.0 + gains_.yield_share);
    if (excess > gains_.yield_threshold_n) {
      const double inwards = f.dot(n);
      if (inwards < 0.0) f -= inwards * n;
      f += std::min(gains_.yield_gain * excess, gains_.max_yield_n) * n;
    }
  }
  if (!f.allFinite()) f.setZero();
  out.force_n = f;
  return out;
}

}  // namespace headspa::control
