// What the rig (simulated or real) reports to the 1 kHz tick, and what the tick commands back.
//
// Frames: the rig's world frame (metres). The head frame moves with the person; its pose in the
// world comes from a head tracker (RigState::head_pose_tracked). Forces are in newtons.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <array>

#include "headspa/plan/session_plan.hpp"

namespace headspa::control {

inline constexpr int kPads = plan::kContactCount;
inline constexpr int kArmJoints = 6;

// One fingertip pad as measured.
struct PadMeasurement {
  Eigen::Vector3d position_m = Eigen::Vector3d::Zero();        // pad sphere centre, world
  Eigen::Vector3d velocity_m_per_s = Eigen::Vector3d::Zero();  // world
  // Force the skin exerts on the pad, from the wrist force/torque sensor with the pad's own
  // weight removed, world frame. Unit: [N]
  Eigen::Vector3d force_n = Eigen::Vector3d::Zero();
  bool force_valid = true;  // false: the sensor sent nothing this tick
  std::array<double, kArmJoints> joint_position_rad{};
};

// Everything the tick reads.
struct RigState {
  double t_s = 0.0;  // rig clock. Unit: [s]
  std::array<PadMeasurement, kPads> pads{};
  Eigen::Isometry3d head_pose_tracked = Eigen::Isometry3d::Identity();  // head frame -> world
  bool head_tracking_valid = true;
  bool estop = false;  // an emergency-stop button is pressed
  // Link health, for a rig that streams its state (sim::Twin leaves both at their defaults).
  // Seconds from the previous fresh measured state to this one: one period on a healthy link,
  // longer after dropped frames or a stall. 0: not known (a simulated rig). Unit: [s]
  double state_age_s = 0.0;
  // Measured-state frames rejected as malformed (CRC, length, sequence) since the last good one.
  int rejected_frames = 0;
};

// What one arm should do this tick: a Cartesian force at the pad centre plus the direction the
// pad's pressing axis should point. The arm layer turns it into joint torques (J^T F, gravity
// compensation, joint-limit avoidance in the null space).
struct PadCommand {
  Eigen::Vector3d force_n = Eigen::Vector3d::Zero();      // applied by the arm at the pad, world
  Eigen::Vector3d tool_axis = -Eigen::Vector3d::UnitY();  // unit; the pad presses along it
  Eigen::Vector3d target_position_m = Eigen::Vector3d::Zero();  // pad centre reference, world
  Eigen::Vector3d target_velocity_m_per_s = Eigen::Vector3d::Zero();
  // Feed-forward for the arm's own inertia (its Cartesian mass times this); in force mode only
  // the part along the skin. World frame. Unit: [m/s²]
  Eigen::Vector3d target_acceleration_m_per_s2 = Eigen::Vector3d::Zero();
  double target_normal_force_n = 0.0;  // pad-on-skin force being regulated (0 in the air)
  bool force_mode = false;             // true: normal force regulated, tangential motion tracked
};

struct RigCommand {
  std::array<PadCommand, kPads> pads{};
};

}  // namespace headspa::control
