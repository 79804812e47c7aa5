// The arm link's wire format, and the safety monitor's checks that belong to a streamed rig:
// stale and malformed measured states in, withheld targets out.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string_view>

#include "headspa/control/arm_link.hpp"
#include "headspa/control/safety_monitor.hpp"
#include "test_rig.hpp"

namespace headspa::control {
namespace {

using test::HeadFixture;

const HeadField& field() {
  static const HeadField f(HeadFixture::get().head);
  return f;
}

RigState sample_state() {
  RigState s;
  s.t_s = 12.345;
  s.estop = true;
  s.head_tracking_valid = false;
  s.head_pose_tracked = Eigen::Translation3d(0.01, -0.02, 0.03) *
                        Eigen::AngleAxisd(0.2, Eigen::Vector3d(1, 2, 3).normalized());
  for (int p = 0; p < kPads; ++p) {
    auto& m = s.pads[static_cast<std::size_t>(p)];
    m.position_m = Eigen::Vector3d(0.1 * p, 0.2, -0.3);
    m.velocity_m_per_s = Eigen::Vector3d(0.01, 0.02 * p, 0.03);
    m.force_n = Eigen::Vector3d(1.5, -2.5, 3.5 + p);
    m.force_valid = p == 1;
    for (int j = 0; j < kArmJoints; ++j)
      m.joint_position_rad[static_cast<std::size_t>(j)] = 0.1 * j - p;
  }
  return s;
}

TEST(ArmLinkTest, Crc32MatchesTheStandardCheckValue) {
  const std::string_view check = "123456789";
  EXPECT_EQ(link::crc32({reinterpret_cast<const std::uint8_t*>(check.data()), check.size()}),
            0xCBF43926u);
}

TEST(ArmLinkTest, StateFrameLayoutAndRoundTrip) {
  const RigState s = sample_state();
  std::array<std::uint8_t, link::kStateFrameBytes> buf{};
  ASSERT_EQ(link::encode_state(s, 77, 76, buf), link::kStateFrameBytes);
  EXPECT_EQ(link::kStateFrameBytes, 328u);
  // The documented header: "HSAL", version 1, kind 1, payload length, seq, ack, stamp.
  EXPECT_EQ(std::memcmp(buf.data(), "HSAL", 4), 0);
  EXPECT_EQ(buf[4], 1);
  EXPECT_EQ(buf[5], 1);
  EXPECT_EQ(buf[6] | (buf[7] << 8), 300);
  EXPECT_EQ(buf[8], 77);
  EXPECT_EQ(buf[12], 76);
  double stamp = 0;
  std::memcpy(&stamp, buf.data() + 16, 8);
  EXPECT_EQ(stamp, 12.345);
  // Flags: e-stop (bit 0), head not tracked (bit 1 clear), only pad 1's force valid (bit 3).
  EXPECT_EQ(buf[24], 0b1001);

  link::FrameHeader h;
  RigState back;
  ASSERT_EQ(link::decode_state(buf, &h, &back), link::DecodeError::kNone);
  EXPECT_EQ(h.seq, 77u);
  EXPECT_EQ(h.ack, 76u);
  EXPECT_EQ(back.t_s, s.t_s);
  EXPECT_TRUE(back.estop);
  EXPECT_FALSE(back.head_tracking_valid);
  EXPECT_TRUE(back.head_pose_tracked.isApprox(s.head_pose_tracked, 1e-12));
  for (std::size_t p = 0; p < kPads; ++p) {
    EXPECT_EQ(back.pads[p].position_m, s.pads[p].position_m);
    EXPECT_EQ(back.pads[p].velocity_m_per_s, s.pads[p].velocity_m_per_s);
    EXPECT_EQ(back.pads[p].force_n, s.pads[p].force_n);
    EXPECT_EQ(back.pads[p].force_valid, s.pads[p].force_valid);
    EXPECT_EQ(back.pads[p].joint_position_rad, s.pads[p].joint_position_rad);
  }
}

TEST(ArmLinkTest, CommandFrameRoundTrip) {
  RigCommand c;
  c.pads[0].force_mode = true;
  c.pads[0].target_normal_force_n = 4.25;
  c.pads[0].force_n = Eigen::Vector3d(1, 2, 3);
  c.pads[1].target_position_m = Eigen::Vector3d(-0.1, 0.2, 0.05);
  c.pads[1].target_velocity_m_per_s = Eigen::Vector3d(0.01, 0, 0);
  c.pads[1].target_acceleration_m_per_s2 = Eigen::Vector3d(0, -0.5, 0.25);
  std::array<std::uint8_t, link::kCommandFrameBytes> buf{};
  ASSERT_EQ(link::encode_command(c, {3, true}, 9, 8, 1.5, buf), link::kCommandFrameBytes);
  EXPECT_EQ(link::kCommandFrameBytes, 288u);
  EXPECT_EQ(buf[5], 2);
  link::FrameHeader h;
  RigCommand back;
  link::CommandExtras extras;
  ASSERT_EQ(link::decode_command(buf, &h, &back, &extras), link::DecodeError::kNone);
  EXPECT_EQ(h.stamp_s, 1.5);
  EXPECT_EQ(extras.runner_state, 3);
  EXPECT_TRUE(extras.hold);
  EXPECT_TRUE(back.pads[0].force_mode);
  EXPECT_FALSE(back.pads[1].force_mode);
  EXPECT_EQ(back.pads[0].target_normal_force_n, 4.25);
  EXPECT_EQ(back.pads[0].force_n, c.pads[0].force_n);
  EXPECT_EQ(back.pads[1].target_position_m, c.pads[1].target_position_m);
  EXPECT_EQ(back.pads[1].target_velocity_m_per_s, c.pads[1].target_velocity_m_per_s);
  EXPECT_EQ(back.pads[1].target_acceleration_m_per_s2, c.pads[1].target_acceleration_m_per_s2);
}

TEST(ArmLinkTest, MalformedFramesAreRejectedAndLeaveOutputsAlone) {
  std::array<std::uint8_t, link::kStateFrameBytes> good{};
  link::encode_state(sample_state(), 5, 4, good);
  link::FrameHeader h;
  RigState s;
  s.t_s = -1.0;
  const auto decode = [&](std::span<const std::uint8_t> bytes) {
    return link::decode_state(bytes, &h, &s);
  };
  // Every single flipped bit anywhere in the frame is caught.
  for (std::size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x10;
    EXPECT_NE(decode(bad), link::DecodeError::kNone) << "byte " << i;
  }
  EXPECT_EQ(decode(std::span(good).first(100)), link::DecodeError::kBadLength);
  auto crc = good;
  crc[200] ^= 1;
  EXPECT_EQ(decode(crc), link::DecodeError::kBadCrc);
  EXPECT_EQ(s.t_s, -1.0);
  // A command frame is not a state; a NaN inside a well-sealed frame is still refused.
  std::array<std::uint8_t, link::kCommandFrameBytes> cmd{};
  link::encode_command(RigCommand{}, {}, 1, 1, 0.0, cmd);
  EXPECT_EQ(decode(cmd), link::DecodeError::kBadLength);
  RigState nan_state = sample_state();
  nan_state.pads[0].force_n.x() = std::numeric_limits<double>::quiet_NaN();
  auto with_nan = good;
  link::encode_state(nan_state, 6, 5, with_nan);
  EXPECT_EQ(decode(with_nan), link::DecodeError::kNotFinite);
  auto version = good;
  version[4] = 2;
  EXPECT_EQ(decode(version), link::DecodeError::kBadVersion);
  EXPECT_EQ(s.t_s, -1.0);
  EXPECT_EQ(decode(good), link::DecodeError::kNone);
  EXPECT_EQ(s.t_s, 12.345);
}

// A pad pressing at `spot` with `force_n`, as the runner would command it.
RigCommand pressing(const HeadFixture::Spot& spot, double force_n) {
  RigCommand c;
  for (auto& pc : c.pads) {
    pc.force_mode = true;
    pc.target_normal_force_n = force_n;
    pc.target_position_m = spot.position + 0.0075 * spot.normal;
    pc.tool_axis = -spot.normal;
    pc.force_n = -force_n * spot.normal;
  }
  return c;
}

RigState at_rest(const RigCommand& c) {
  RigState s;
  for (std::size_t p = 0; p < kPads; ++p) s.pads[p].position_m = c.pads[p].target_position_m;
  return s;
}

TEST(SafetyGateTest, PassesTargetsWithinTheCap) {
  SafetyMonitor monitor(field(), SafetyLimits{});
  EventLog log;
  const auto crown = HeadFixture::get().spot(Eigen::Vector3d(0.2, 1, -0.1));
  ASSERT_EQ(anatomy::tissue(crown.region).force_cap_n, 10.0);
  RigCommand c = pressing(crown, 6.0);
  const RigCommand before = c;
  EXPECT_EQ(monitor.gate(c, at_rest(c), log).action, SafetyAction::kNone);
  EXPECT_EQ(c.pads[0].target_normal_force_n, before.pads[0].target_normal_force_n);
  EXPECT_EQ(c.pads[1].force_n, before.pads[1].force_n);
  EXPECT_TRUE(log.events().empty());
}

TEST(SafetyGateTest, WithholdsATargetOverTheCapNearIt) {
  SafetyMonitor monitor(field(), SafetyLimits{});
  EventLog log;
  // The forehead's cap is 4 N: a 9 N target there (a scalp force on a mislabelled sample) is
  // replaced by a force-free hold and the verdict asks for a retract.
  const auto forehead = HeadFixture::get().centre_of(anatomy::Region::kForehead);
  ASSERT_EQ(forehead.region, anatomy::Region::kForehead);
  RigCommand c = pressing(forehead, 9.0);
  const RigState s = at_rest(c);
  const SafetyVerdict v = monitor.gate(c, s, log);
  EXPECT_EQ(v.action, SafetyAction::kRetract);
  EXPECT_EQ(v.cause, EventKind::kTargetOverCap);
  for (std::size_t p = 0; p < kPads; ++p) {
    EXPECT_FALSE(c.pads[p].force_mode);
    EXPECT_EQ(c.pads[p].target_normal_force_n, 0.0);
    EXPECT_EQ(c.pads[p].force_n, Eigen::Vector3d::Zero());
    EXPECT_EQ(c.pads[p].target_position_m, s.pads[p].position_m);
  }
  EXPECT_EQ(log.count(EventKind::kTargetOverCap), 2u);  // once per pad
  // The same target again is withheld again but not logged twice.
  RigCommand again = pressing(forehead, 9.0);
  EXPECT_EQ(monitor.gate(again, s, log).action, SafetyAction::kRetract);
  EXPECT_EQ(log.count(EventKind::kTargetOverCap), 2u);
  // Within the forehead's cap it passes.
  RigCommand light = pressing(forehead, 3.0);
  EXPECT_EQ(monitor.gate(light, s, log).action, SafetyAction::kNone);
  // A target that is not a number never leaves either.
  RigCommand nan = pressing(forehead, 3.0);
  nan.pads[1].target_position_m.y() = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(monitor.gate(nan, s, log).action, SafetyAction::kRetract);
  EXPECT_TRUE(nan.pads[1].target_position_m.allFinite());
}

TEST(SafetyGateTest, WithholdsAForceTargetInsideTheNoGoMargin) {
  SafetyMonitor monitor(field(), SafetyLimits{});
  EventLog log;
  // A pad aimed at the eye with a force the field's cap there would allow.
  const auto& hf = HeadFixture::get();
  HeadFixture::Spot eye{Eigen::Vector3d::Zero(), Eigen::Vector3d::UnitZ()};
  for (std::size_t v = 0; v < hf.head.mesh.vertices.size(); ++v) {
    if (hf.head.regions.label[v] == anatomy::Region::kEyeLeft) {
      eye.position = hf.head.mesh.vertices[v];
      eye.normal = Eigen::Vector3d::UnitZ();
      break;
    }
  }
  ASSERT_GT(eye.position.norm(), 0.0);
  RigCommand c = pressing(eye, 1.0);
  const SafetyVerdict v = monitor.gate(c, at_rest(c), log);
  EXPECT_EQ(v.action, SafetyAction::kRetract);
  EXPECT_TRUE(v.cause == EventKind::kTargetNoGo || v.cause == EventKind::kTargetOverCap);
  EXPECT_EQ(c.pads[0].target_normal_force_n, 0.0);
  EXPECT_FALSE(c.pads[1].force_mode);
}

TEST(SafetyMonitorLinkTest, StaleAndMalformedStatesRetract) {
  SafetyMonitor monitor(field(), SafetyLimits{});
  EventLog log;
  RigState s;
  s.pads[0].position_m = Eigen::Vector3d(0.1, 0.3, 0);
  s.pads[1].position_m = Eigen::Vector3d(-0.1, 0.3, 0);
  s.state_age_s = 0.001;
  EXPECT_EQ(monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log).action, SafetyAction::kNone);
  s.state_age_s = 0.004;  // three frames dropped: tolerated
  EXPECT_EQ(monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log).action, SafetyAction::kNone);
  s.state_age_s = 0.03;
  SafetyVerdict v = monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log);
  EXPECT_EQ(v.action, SafetyAction::kRetract);
  EXPECT_EQ(v.cause, EventKind::kStateStale);
  EXPECT_EQ(log.count(EventKind::kStateStale), 1u);
  s.state_age_s = 0.001;
  s.rejected_frames = 2;
  EXPECT_EQ(monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log).action, SafetyAction::kNone);
  s.rejected_frames = 3;
  v = monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log);
  EXPECT_EQ(v.action, SafetyAction::kRetract);
  EXPECT_EQ(v.cause, EventKind::kStateMalformed);
  SafetyLimits bad;
  bad.state_timeout_s = 0;
  EXPECT_FALSE(bad.IsValid(nullptr));
}

}  // namespace
}  // namespace headspa::control
