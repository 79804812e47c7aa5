// The pad controller, run at 1 kHz for each pad: hybrid force/impedance control.
//
// In contact (reference force > 0) the normal force is regulated (damping control: a speed into
// the skin from the force error, plus feed-forward and PI once in contact; out of contact a
// bounded, slowing approach to the skin) while the motion along the skin tracks
// the reference with an impedance (stiffness and damping). In the air the whole pad position is
// tracked with an impedance. The output is the Cartesian force the arm applies at the pad; the
// arm layer adds gravity compensation and maps it to joint torques.
//
//   Controller controller(ControllerGains{});
//   PadCommand c = controller.tick(0, reference, measured, 0.001);  // no allocation, no throw
#pragma once

#include <array>
#include <string>

#include "headspa/control/rig.hpp"

namespace headspa::control {

struct ControllerGains {
  double air_stiffness_n_per_m = 1500.0;  // position impedance in the air (all axes)
  double air_damping_n_s_per_m = 110.0;
  double tangential_stiffness_n_per_m = 1500.0;  // along the skin, in contact
  double tangential_damping_n_s_per_m = 110.0;
  double normal_damping_n_s_per_m = 120.0;        // along the normal, in contact
  double force_admittance_m_per_s_per_n = 0.01;   // speed into the skin per N of force error
  double max_press_speed_m_per_s = 0.03;          // bound on that speed
  double min_seek_speed_m_per_s = 0.006;          // out of contact: slowest approach to the skin
  double max_seek_speed_m_per_s = 0.02;           // and the fastest (it sets the touch-down)
  double seek_speed_per_n_m_per_s_per_n = 0.004;  // seek at least this fast per N of target
  double seek_time_s = 0.08;     // out of contact: seek speed = distance off the surface / this
  double force_kp = 0.3;         // N of command per N of force error (besides the admittance)
  double force_ki_per_s = 25.0;  // N of command per N·s of force error
  double force_integral_limit_n = 3.0;     // the integral term's bound
  double force_integral_share = 0.25;      // ... and no more than this share of the target
  double force_integral_floor_n = 0.2;     // ... plus this
  double steady_force_rate_n_per_s = 2.0;  // the integral runs while the target changes slower
  double force_filter_hz = 120.0;          // low-pass on the measured force before the PI
  double max_command_n = 60.0;             // bound on the Cartesian force command
  // Giving way: skin force above the target times (1 + yield_share) plus yield_threshold_n
  // makes the pad pull away with yield_gain times the excess, up to max_yield_n (outwards
  // only; not bounded by max_command_n).
  double yield_share = 0.2;
  double yield_threshold_n = 0.5;
  double yield_gain = 10.0;
  double max_yield_n = 150.0;

  bool IsValid(std::string* why) const;
};

// What one pad should do now, in the world frame.
struct PadReference {
  Eigen::Vector3d position_m = Eigen::Vector3d::Zero();  // pad sphere centre
  Eigen::Vector3d velocity_m_per_s = Eigen::Vector3d::Zero();
  Eigen::Vector3d acceleration_m_per_s2 = Eigen::Vector3d::Zero();
  Eigen::Vector3d normal = Eigen::Vector3d::UnitY();  // outward skin normal near the pad (unit)
  double force_n = 0.0;  // target pad-on-skin normal force; > 0 selects force control. Unit: [N]
  double force_rate_n_per_s = 0.0;      // how fast the target force changes (feed-forward)
  double skin_stiffness_n_per_m = 0.0;  // expected skin stiffness under the pad; 0: unknown
};

class Controller {
 public:
  explicit Controller(const ControllerGains& gains);

  // One control step for `pad` (0 or 1); dt in seconds. Allocation-free and noexcept.
  PadCommand tick(int pad, const PadReference& reference, const PadMeasurement& measured,
                  double dt_s) noexcept;
  // Forgets the integral and filter state of every pad (a fresh session).
  void reset() noexcept;

  const ControllerGains& gains() const noexcept { return gains_; }

 private:
  struct PadState {
    double integral_n = 0.0;
    double filtered_force_n = 0.0;
    bool in_force_mode = false;
  };
  ControllerGains gains_;
  std::array<PadState, kPads> state_{};
};

}  // namespace headspa::control
