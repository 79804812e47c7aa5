// The digital twin: two 6-axis arms (UR5e public DH parameters and link masses) with torque
// motors, joint limits, wrist force/torque sensing and soft round fingertip pads, around a
// reclined head on a spring-mounted body, simulated with MuJoCo at 1 kHz.
//
// MuJoCo collides only convex hulls, so skin contact is headspa's own model, computed each step
// from a bounded closest-point query against the head mesh in the head body's frame: normal force
// from the region's stiffness and damping (anatomy::tissue), tangential skin drag (the skin
// stretches with the pad until friction lets it slip), applied to the pad and, reversed, to the
// head with xfrc_applied. The wrist sensor reports that force with seeded noise and any injected
// fault (bias, spike, dropout).
//
//   sim::Twin twin(head, {.seed = 7});
//   twin.place_pads(targets);                      // IK, joint-limit aware
//   control::RigState s = twin.measure();
//   twin.step(runner.tick(s, twin.timestep_s()));  // gravity compensation + J^T F
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "headspa/anatomy/head.hpp"
#include "headspa/control/rig.hpp"

namespace headspa::sim {

struct TwinOptions {
  std::uint64_t seed = 1;
  double timestep_s = 0.001;
  double pad_radius_m = 0.0075;
  double pad_mass_kg = 0.08;
  double finger_length_m = 0.06;  // flange to pad centre
  double recline_rad = 0.5236;    // face tilted 30 degrees from vertical towards the feet
  double friction = 0.35;         // skin-pad friction coefficient (with oil)
  double skin_shear_stiffness_n_per_m = 700.0;  // tangential skin stretch before slip
  double head_mass_kg = 4.5;
  double head_translation_stiffness_n_per_m = 6000.0;  // the cradle's springs
  double head_rotation_stiffness_nm_per_rad = 80.0;
  double force_noise_n = 0.04;           // wrist sensor noise (standard deviation)
  double head_tracker_noise_m = 0.0001;  // head tracker noise (standard deviation)
  double tracker_rate_hz = 60.0;
  double contact_query_margin_m = 0.004;  // closest-point queries look this far past the pad
  double tissue_blend_radius_m = 0.01;    // region tissue properties blend over this distance

  bool IsValid(std::string* why) const;
};

// Ground truth the twin knows and the controller does not.
struct PadTruth {
  Eigen::Vector3d contact_force_n = Eigen::Vector3d::Zero();  // skin on pad, world
  double normal_force_n = 0.0;
  double indentation_m = 0.0;                        // > 0 in contact
  anatomy::Region region = anatomy::Region::kOther;  // under the pad (kOther in the air)
  double clearance_m = 1.0;  // pad surface to skin (capped at the query reach)
};

// Sensor faults the twin can inject into a pad's wrist reading.
struct SensorFaults {
  Eigen::Vector3d bias_n = Eigen::Vector3d::Zero();
  Eigen::Vector3d spike_n = Eigen::Vector3d::Zero();  // added while spike_ticks > 0
  int spike_ticks = 0;
  bool dropout = false;
};

class Twin {
 public:
  Twin(const anatomy::Head& head, const TwinOptions& options);
  ~Twin();
  Twin(const Twin&) = delete;
  Twin& operator=(const Twin&) = delete;

  // Solves inverse kinematics (damped least squares, several starts, joint limits respected)
  // for the pads at these world positions with their pressing axes along `axes`, and sets the
  // arms there at rest. Throws InternalError when no solution within 1 mm exists.
  void place_pads(const std::array<Eigen::Vector3d, control::kPads>& positions_m,
                  const std::array<Eigen::Vector3d, control::kPads>& axes);

  // The rig state as the controller sees it (sensors with noise and faults).
  control::RigState measure();
  // One physics step with this command.
  void step(const control::RigCommand& command);

  double time_s() const noexcept;
  double timestep_s() const noexcept { return options_.timestep_s; }
  // The head frame's pose in the world (true, not tracked).
  Eigen::Isometry3d head_pose() const;
  // The head frame's pose at rest (where the cradle holds it).
  const Eigen::Isometry3d& head_rest_pose() const noexcept { return head_rest_; }
  const PadTruth& truth(int pad) const noexcept { return truth_[static_cast<std::size_t>(pad)]; }
  SensorFaults& sensor_faults(int pad) noexcept { return faults_[static_cast<std::size_t>(pad)]; }
  // An external force on the head (a jerk), world frame, held until cleared.
  void push_head(const Eigen::Vector3d& force_n) noexcept { head_push_ = force_n; }
  // A disturbance torque on one arm joint (e.g. a snagged cable), held until cleared.
  void disturb_joint(int pad, int joint, double torque_nm) noexcept;
  std::array<double, control::kArmJoints> joint_lower_rad() const;
  std::array<double, control::kArmJoints> joint_upper_rad() const;
  // The MJCF the twin was built from (for inspection and viewers).
  const std::string& mjcf() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TwinOptions options_;
  Eigen::Isometry3d head_rest_ = Eigen::Isometry3d::Identity();
  std::array<PadTruth, control::kPads> truth_{};
  std::array<SensorFaults, control::kPads> faults_{};
  Eigen::Vector3d head_push_ = Eigen::Vector3d::Zero();
};

}  // namespace headspa::sim
