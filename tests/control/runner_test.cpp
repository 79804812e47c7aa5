// The session runner on a point-mass rig: the state machine, force regulation, live commands
// and each safety trip.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "headspa/control/session_runner.hpp"
#include "test_rig.hpp"

namespace headspa::control {
namespace {

using test::HeadFixture;
using test::PlanShape;
using test::PointRig;

const HeadField& field() {
  static const HeadField f(HeadFixture::get().head);
  return f;
}

struct Outcome {
  RunnerState end = RunnerState::kReady;
  double force_rms_error_n = 0;
  double max_force_n = 0;
  int contact_ticks = 0;
};

// Runs until done or max_s; `each` may inject faults and post commands.
Outcome run(SessionRunner& runner, PointRig& rig, double max_s,
            const std::function<void(SessionRunner&, PointRig&, RigState&)>& each = {}) {
  Outcome o;
  double sq = 0;
  const double dt = 0.001;
  runner.post(LiveCommand::kStart);
  while (!runner.done() && rig.t < max_s) {
    RigState s = rig.state();
    if (each) each(runner, rig, s);
    const RigCommand c = runner.tick(s, dt);
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      const auto& info = runner.last_tick()[u];
      const double measured = rig.skin_force[u].norm();
      o.max_force_n = std::max(o.max_force_n, measured);
      if (info.following_contact) {
        const double e = info.reference_force_n - measured;
        sq += e * e;
        ++o.contact_ticks;
      }
    }
    rig.step(c, dt);
  }
  o.end = runner.state();
  o.force_rms_error_n = o.contact_ticks ? std::sqrt(sq / o.contact_ticks) : 0.0;
  return o;
}

TEST(HeadFieldTest, CapsAndNoGoDistances) {
  const auto& hf = HeadFixture::get();
  const auto top = hf.spot(Eigen::Vector3d(0.3, 1, 0));
  ASSERT_TRUE(anatomy::is_massage_region(top.region));
  const HeadFieldSample on_scalp = field().at(top.position);
  EXPECT_LT(on_scalp.skin_distance_m, 0.003);
  EXPECT_DOUBLE_EQ(on_scalp.force_cap_n, anatomy::tissue(top.region).force_cap_n);
  EXPECT_GT(on_scalp.no_go_distance_m, 0.019);
  // An eye vertex is a no-go zone: its distance reads (nearly) zero and no cap applies there.
  for (std::size_t v = 0; v < hf.head.mesh.vertices.size(); ++v) {
    if (hf.head.regions.label[v] == anatomy::Region::kEyeLeft) {
      EXPECT_LT(field().at(hf.head.mesh.vertices[v]).no_go_distance_m, 0.003);
      break;
    }
  }
  EXPECT_EQ(field().at(Eigen::Vector3d(2, 2, 2)).force_cap_n, 0.0);
}

// Skin that is not massaged (an ear, the shoulders) zeroes the cap where it is clearly nearer
// than any massage skin (by more than unlabelled_margin_m), not merely where it is the nearest:
// a pad working just beside it keeps the cap of the skin it presses. A 2 cm patch of the scalp
// is unlabelled; pad centres are swept from its middle outwards, and each one's distances to
// the nearest vertex of either kind are measured directly. A fine grid (2 mm) keeps the cell's
// offset small; the assertions leave it 2 mm either side of the margin.
TEST(HeadFieldTest, UnlabelledSkinZeroesTheCapOnlyWhereItIsClearlyNearer) {
  const auto& hf = HeadFixture::get();
  const auto top = hf.spot(Eigen::Vector3d(0, 1, 0));
  ASSERT_TRUE(anatomy::is_massage_region(top.region));
  anatomy::Head head = hf.head;
  constexpr double kPatch = 0.02;
  for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
    if ((head.mesh.vertices[v] - top.position).norm() < kPatch) {
      head.regions.label[v] = anatomy::Region::kOther;
    }
  }
  HeadFieldOptions options;
  options.cell_m = 0.002;
  options.max_distance_m = 0.015;
  options.border_m = 0.015;
  const HeadField field(head, options);
  const double margin = options.unlabelled_margin_m;
  const double scalp_cap = anatomy::tissue(top.region).force_cap_n;
  constexpr double kPad = 0.0075;
  int zero = 0, kept = 0, kept_beside_nearer = 0;
  for (double tilt = 0.0; tilt < 0.4; tilt += 0.0025) {
    const auto s = hf.spot(Eigen::Vector3d(std::sin(tilt), std::cos(tilt), 0.0));
    const Eigen::Vector3d centre = s.position + kPad * s.normal;
    double other = 1.0, massage = 1.0;
    for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
      const double d = (head.mesh.vertices[v] - centre).norm();
      double& nearest = anatomy::is_massage_region(head.regions.label[v]) ? massage : other;
      nearest = std::min(nearest, d);
    }
    const double cap = field.at(centre).force_cap_n;
    if (other + margin + 0.002 < massage) {
      EXPECT_EQ(cap, 0.0) << "tilt " << tilt << ": other " << other << ", massage " << massage;
      ++zero;
    } else if (other + margin - 0.002 > massage) {
      EXPECT_EQ(cap, scalp_cap) << "tilt " << tilt << ": other " << other << ", massage "
                                << massage;
      ++kept;
      if (other < massage) ++kept_beside_nearer;
    }
  }
  EXPECT_GT(zero, 0);
  EXPECT_GT(kept, 0);
  // Some of the pad centres that keep the cap have the unlabelled skin nearest.
  EXPECT_GT(kept_beside_nearer, 0);
}

TEST(SessionRunnerTest, PressAndHoldRunsToFinishedWithinForceError) {
  const auto plan = test::make_plan({});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  const Outcome o = run(runner, rig, 30);
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_GT(o.contact_ticks, 2000);
  EXPECT_LT(o.force_rms_error_n, 0.5);
  EXPECT_LT(o.max_force_n, 10.0);  // scalp cap
  const auto& log = runner.log();
  EXPECT_EQ(log.count(EventKind::kFinished), 1u);
  // ready -> approaching -> massaging -> retracting -> finished, in that order.
  std::vector<RunnerState> states;
  for (const auto& e : log.events()) {
    if (e.kind == EventKind::kStateChanged) states.push_back(static_cast<RunnerState>(e.value));
  }
  EXPECT_EQ(states, (std::vector<RunnerState>{RunnerState::kApproaching, RunnerState::kMassaging,
                                              RunnerState::kRetracting, RunnerState::kFinished}));
}

TEST(SessionRunnerTest, CirclesTrackForceWhileSliding) {
  const auto plan = test::make_plan({.force_n = 4.0, .hold_s = 3.0, .circle_radius_m = 0.012});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  const Outcome o = run(runner, rig, 30);
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_LT(o.force_rms_error_n, 0.5);
}

TEST(SessionRunnerTest, PauseResumeSofterFirmer) {
  const auto plan = test::make_plan({.hold_s = 4.0});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  bool paused_seen = false;
  double paused_force = 1e9;
  const Outcome o = run(runner, rig, 40, [&](SessionRunner& r, PointRig& g, RigState&) {
    const double pt = r.plan_time_s();
    if (r.state() == RunnerState::kMassaging && pt > 2.0 && !paused_seen) {
      r.post(LiveCommand::kPause);
      paused_seen = true;
    }
    if (r.state() == RunnerState::kPaused) {
      paused_force = std::min(paused_force, g.skin_force[0].norm());
      if (g.t > 0 && std::fmod(g.t, 1.0) < 0.001 && r.plan_time_s() > 2.0)
        r.post(LiveCommand::kResume);
    }
    if (std::abs(pt - 3.0) < 0.0005) r.post(LiveCommand::kSofter);
  });
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_TRUE(paused_seen);
  EXPECT_EQ(paused_force, 0.0);  // lifted off while paused
  EXPECT_NEAR(runner.force_scale(), 0.9, 1e-12);
  EXPECT_LT(o.force_rms_error_n, 0.5);
  // Firmer never goes past the cap fraction.
  SessionRunner firm(plan, field(), RunnerOptions{});
  PointRig rig2(plan);
  for (int i = 0; i < 10; ++i) firm.post(LiveCommand::kFirmer);
  const Outcome f = run(firm, rig2, 30);
  EXPECT_NEAR(firm.force_scale(), 1.3, 1e-12);
  EXPECT_EQ(f.end, RunnerState::kFinished);
  EXPECT_LT(f.max_force_n, anatomy::tissue(anatomy::Region::kScalpCrown).force_cap_n);
}

TEST(SessionRunnerTest, StopRetractsAndAborts) {
  const auto plan = test::make_plan({});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  const Outcome o = run(runner, rig, 30, [](SessionRunner& r, PointRig&, RigState&) {
    if (r.state() == RunnerState::kMassaging && r.plan_time_s() > 2.0) r.post(LiveCommand::kStop);
  });
  EXPECT_EQ(o.end, RunnerState::kAborted);
  EXPECT_EQ(runner.abort_cause(), EventKind::kLiveCommand);
}

TEST(SafetyTest, EStopRetractsWithin100ms) {
  const auto plan = test::make_plan({});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  const Outcome o = run(runner, rig, 30, [](SessionRunner& r, PointRig&, RigState& s) {
    if (r.plan_time_s() > 2.0) s.estop = true;
  });
  EXPECT_EQ(o.end, RunnerState::kAborted);
  EXPECT_EQ(runner.abort_cause(), EventKind::kEStop);
  EXPECT_GT(runner.retract_latency_s(), 0.0);
  EXPECT_LE(runner.retract_latency_s(), 0.1);
  EXPECT_EQ(runner.log().count(EventKind::kEStop), 1u);
}

TEST(SafetyTest, HeadMovementPausesReregistersAndResumes) {
  const auto plan = test::make_plan({.hold_s = 4.0});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  // The head drifts 9 mm and 2 degrees over 0.3 s, then stays.
  double move_start = -1;
  const Outcome o = run(runner, rig, 40, [&](SessionRunner& r, PointRig& g, RigState& s) {
    if (move_start < 0 && r.state() == RunnerState::kMassaging && r.plan_time_s() > 2.5) {
      move_start = g.t;
    }
    if (move_start >= 0 && g.t - move_start <= 0.3) {
      const double f = (g.t - move_start) / 0.3;
      g.head_pose = Eigen::Translation3d(f * Eigen::Vector3d(0.008, -0.004, 0.0)) *
                    Eigen::AngleAxisd(f * 0.035, Eigen::Vector3d::UnitY());
      s.head_pose_tracked = g.head_pose;
    }
  });
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_EQ(runner.log().count(EventKind::kHeadMoved), 1u);
  EXPECT_EQ(runner.log().count(EventKind::kHeadReregistered), 1u);
  EXPECT_LT(o.force_rms_error_n, 0.5);
}

TEST(SafetyTest, CommandStallTripsTheWatchdog) {
  const auto plan = test::make_plan({});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  bool stalled = false;
  const Outcome o = run(runner, rig, 30, [&](SessionRunner& r, PointRig& g, RigState&) {
    if (!stalled && r.plan_time_s() > 2.0) {
      stalled = true;
      r.stall_setpoints_until(g.t + 0.5);
    }
  });
  EXPECT_EQ(o.end, RunnerState::kAborted);
  EXPECT_EQ(runner.abort_cause(), EventKind::kCommandStall);
  EXPECT_LE(runner.retract_latency_s(), 0.1);
}

TEST(SafetyTest, SensorDropoutAbortsAndSpikeDoesNot) {
  const auto plan = test::make_plan({});
  {
    PointRig rig(plan);
    SessionRunner runner(plan, field(), RunnerOptions{});
    const Outcome o = run(runner, rig, 30, [](SessionRunner& r, PointRig&, RigState& s) {
      if (r.plan_time_s() > 2.0) s.pads[1].force_valid = false;
    });
    EXPECT_EQ(o.end, RunnerState::kAborted);
    EXPECT_EQ(runner.abort_cause(), EventKind::kSensorDropout);
  }
  {
    PointRig rig(plan);
    SessionRunner runner(plan, field(), RunnerOptions{});
    int spikes = 0;
    const Outcome o = run(runner, rig, 30, [&](SessionRunner& r, PointRig&, RigState& s) {
      if (r.plan_time_s() > 2.0 && spikes < 2) {
        s.pads[0].force_n *= 6.0;  // a two-sample spike of 30 N
        ++spikes;
      }
    });
    EXPECT_EQ(o.end, RunnerState::kFinished);
  }
}

TEST(SafetyTest, BiasInFreeAirIsTaredAway) {
  const auto plan = test::make_plan({});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  const Eigen::Vector3d bias(0.0, 1.2, 0.4);
  const Outcome o = run(runner, rig, 30,
                        [&](SessionRunner&, PointRig&, RigState& s) { s.pads[0].force_n += bias; });
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_GE(runner.log().count(EventKind::kSensorTared), 1u);
  EXPECT_LT(o.force_rms_error_n, 0.5);
}

TEST(SafetyTest, ForceOverCapAndNoGoTrip) {
  // A plan that asks for more than the cap is clamped by the runner...
  auto plan = test::make_plan({.force_n = 30.0});
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  const Outcome o = run(runner, rig, 30);
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_LT(o.max_force_n, 10.0);
  // ... and a pad pushed by something else is caught by the monitor.
  PointRig rig2(plan);
  SessionRunner runner2(plan, field(), RunnerOptions{});
  const Outcome o2 = run(runner2, rig2, 30, [](SessionRunner& r, PointRig& g, RigState&) {
    if (r.plan_time_s() > 2.0) g.v[0] -= 0.01 * (g.x[0].normalized());  // shoved inwards
  });
  EXPECT_EQ(o2.end, RunnerState::kAborted);
  EXPECT_EQ(runner2.abort_cause(), EventKind::kForceOverCap);
  // A contact planned on an eye trips the no-go check.
  const auto& hf = HeadFixture::get();
  Eigen::Vector3d eye = Eigen::Vector3d::Zero();
  for (std::size_t v = 0; v < hf.head.mesh.vertices.size(); ++v) {
    if (hf.head.regions.label[v] == anatomy::Region::kEyeLeft) eye = hf.head.mesh.vertices[v];
  }
  SafetyMonitor monitor(field(), SafetyLimits{});
  EventLog log;
  RigState s;
  s.pads[0].position_m = eye + 0.0075 * eye.normalized();
  s.pads[0].force_n = Eigen::Vector3d(0, 0, 1.0);
  s.pads[1].position_m = Eigen::Vector3d(1, 1, 1);
  const SafetyVerdict v = monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log);
  EXPECT_EQ(v.action, SafetyAction::kRetract);
  EXPECT_EQ(v.cause, EventKind::kNoGoProximity);
  EXPECT_EQ(log.count(EventKind::kNoGoProximity), 1u);
}

TEST(SafetyTest, JointNearLimitAndSpeed) {
  SafetyMonitor monitor(field(), SafetyLimits{});
  EventLog log;
  RigState s;
  s.pads[0].position_m = Eigen::Vector3d(1, 1, 1);
  s.pads[1].position_m = Eigen::Vector3d(1, 1, 1);
  EXPECT_EQ(monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log).action, SafetyAction::kNone);
  s.pads[1].joint_position_rad[2] = 3.12;
  const SafetyVerdict v = monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log);
  EXPECT_EQ(v.cause, EventKind::kJointNearLimit);
  EXPECT_EQ(v.pad, 1);
  s.pads[1].joint_position_rad[2] = 0;
  s.pads[0].velocity_m_per_s = Eigen::Vector3d(1.0, 0, 0);
  SafetyVerdict w;
  for (int i = 0; i < 3; ++i) w = monitor.check(s, Eigen::Isometry3d::Identity(), 0.0, log);
  EXPECT_EQ(w.cause, EventKind::kSpeedLimit);
  EXPECT_EQ(log.count(EventKind::kSpeedLimit), 1u);
}

TEST(DevicesTest, HeaterHardStopSteamerAndDispenserFaults) {
  WaterHeater heater;
  heater.set_target_c(38);
  heater.set_enabled(true);
  heater.set_flow(true);
  for (int i = 0; i < 60000; ++i) heater.tick(0.001);
  EXPECT_NEAR(heater.water_temperature_c(), 38.0, 0.6);
  EXPECT_TRUE(heater.flowing());
  heater.inject_stuck_relay();
  bool tripped = false;
  for (int i = 0; i < 60000; ++i) tripped = heater.tick(0.001) || tripped;
  EXPECT_TRUE(tripped);
  EXPECT_TRUE(heater.faulted());
  EXPECT_FALSE(heater.flowing());
  EXPECT_LT(heater.water_temperature_c(), WaterHeater::kHardStopC + 0.01);
  EXPECT_LE(heater.max_delivered_c(), 39.0 + 1e-9);

  Steamer steamer;
  steamer.set_on(true);
  for (int i = 0; i < 11000; ++i) steamer.tick(0.001);
  EXPECT_TRUE(steamer.steaming());
  Steamer broken;
  broken.inject_failure();
  broken.set_on(true);
  bool fault = false;
  for (int i = 0; i < 11000; ++i) fault = broken.tick(0.001) || fault;
  EXPECT_TRUE(fault);

  Dispenser dispenser(10.0);
  dispenser.dispense(5.0);
  for (int i = 0; i < 5000; ++i) dispenser.tick(0.001);
  EXPECT_NEAR(dispenser.dispensed_ml(), 5.0, 1e-9);
  dispenser.inject_jam();
  dispenser.dispense(2.0);
  fault = false;
  for (int i = 0; i < 2000; ++i) fault = dispenser.tick(0.001) || fault;
  EXPECT_TRUE(fault);
}

TEST(SessionRunnerTest, CareDeviceFaultSkipsTheCareStep) {
  auto plan = test::make_plan({});
  // Insert a 40 s rinse before the massage: both pads wait parked.
  const double shift = 40.0;
  for (auto& track : plan.tracks) {
    for (auto& s : track) {
      s.t_s += shift;
      s.segment = 1;
    }
  }
  plan::Segment rinse;
  rinse.kind = plan::SegmentKind::kCare;
  rinse.care_kind = care::CareKind::kRinse;
  rinse.step_id = "rinse";
  rinse.start_s = 0;
  rinse.end_s = shift;
  rinse.device.water_temp_c = 38.0;
  plan.segments[0].start_s = shift;
  plan.segments[0].end_s += shift;
  plan.segments.insert(plan.segments.begin(), rinse);
  plan.duration_s += shift;
  PointRig rig(plan);
  SessionRunner runner(plan, field(), RunnerOptions{});
  runner.devices().heater.inject_stuck_relay();
  const Outcome o = run(runner, rig, 80);
  EXPECT_EQ(o.end, RunnerState::kFinished);
  EXPECT_EQ(runner.log().count(EventKind::kDeviceFault), 1u);
  EXPECT_EQ(runner.log().count(EventKind::kCareSkipped), 1u);
  EXPECT_LT(runner.devices().heater.max_delivered_c(), WaterHeater::kHardStopC);
  EXPECT_TRUE(runner.devices().heater.faulted());
}

TEST(SessionRunnerTest, RejectsBadOptionsAndEmptyPlans) {
  plan::SessionPlan empty;
  EXPECT_THROW(SessionRunner(empty, field(), RunnerOptions{}), InputError);
  const auto plan = test::make_plan({});
  RunnerOptions bad;
  bad.retract_time_s = 0.5;
  EXPECT_THROW(SessionRunner(plan, field(), bad), InputError);
  EXPECT_EQ(parse_live_command("firmer"), LiveCommand::kFirmer);
  EXPECT_FALSE(parse_live_command("harder").has_value());
}

}  // namespace
}  // namespace headspa::control
