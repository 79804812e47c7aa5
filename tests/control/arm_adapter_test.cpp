// The real-arm adapter against a separate process acting as the arm driver
// (headspa-loopback-arm, spawned with fork/exec): a clean session, then each way the driver can
// misbehave, each ending in the monitor's retract, and a target the gate withholds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "headspa/control/arm_adapter.hpp"
#include "test_rig.hpp"
#include "test_util.hpp"

namespace headspa::control {
namespace {

using test::HeadFixture;

const HeadField& field() {
  static const HeadField f(HeadFixture::get().head);
  return f;
}

// The driver process: started in the constructor, reaped in finish() or the destructor.
class LoopbackArm {
 public:
  explicit LoopbackArm(const std::string& faults = "") {
    socket_ = dir_.file("arm.sock");
    report_ = dir_.file("report.json");
    std::vector<std::string> args{HEADSPA_LOOPBACK_ARM, "--listen", socket_, "--report", report_};
    if (!faults.empty()) {
      args.push_back("--fault");
      args.push_back(faults);
    }
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~LoopbackArm() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  LoopbackArm(const LoopbackArm&) = delete;
  LoopbackArm& operator=(const LoopbackArm&) = delete;

  ArmEndpoint endpoint() const { return parse_arm_endpoint("unix:" + socket_); }

  // Waits (at most 10 s) for the driver to exit; returns its exit status and its report.
  std::pair<int, std::string> finish() {
    int status = -1;
    for (int i = 0; i < 1000; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, headspa::test::read_file(report_)};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {-1, ""};
  }

 private:
  headspa::test::TempDir dir_;
  std::string socket_, report_;
  pid_t pid_ = -1;
};

// The figure `key` of the driver's JSON report.
double report_number(const std::string& report, const std::string& key) {
  const auto at = report.find("\"" + key + "\":");
  if (at == std::string::npos) return -1e9;
  std::size_t start = at + key.size() + 3;
  if (report[start] == '[') ++start;
  return std::stod(report.substr(start));
}

ArmSessionOptions options() {
  ArmSessionOptions o;
  // Tests share a loaded machine: only a long silence counts as a stalled link here.
  o.link_timeout_s = 0.2;
  o.link_lost_s = 3.0;
  o.connect_timeout_s = 5.0;
  return o;
}

std::size_t count(const ArmSessionResult& r, EventKind kind) {
  std::size_t n = 0;
  for (const auto& e : r.events) n += e.kind == kind ? 1 : 0;
  return n;
}

TEST(ArmAdapterTest, RunsASessionOnTheLoopbackArm) {
  const auto plan = test::make_plan({.force_n = 5.0, .hold_s = 2.0, .circle_radius_m = 0.01});
  LoopbackArm arm;
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_EQ(r.outcome, RunnerState::kFinished) << r.abort_cause;
  EXPECT_FALSE(r.link_lost);
  EXPECT_LT(r.force_rms_error_n, 0.5);
  EXPECT_GT(r.max_measured_force_n, 4.0);
  EXPECT_LE(r.max_sent_force_n, 5.0 + 1e-9);
  EXPECT_EQ(r.link.frames_rejected, 0);
  EXPECT_EQ(r.link.frames_missed, 0);
  EXPECT_GT(r.link.states_received, static_cast<long>(plan.duration_s * 1000));
  EXPECT_EQ(r.link.commands_sent, r.link.states_received + r.link.stale_ticks);
  EXPECT_GT(r.trace.size(), 100u);
  const auto [status, report] = arm.finish();
  EXPECT_EQ(status, 0) << report;
  EXPECT_NE(report.find("\"hold_received\":true"), std::string::npos) << report;
  EXPECT_EQ(report_number(report, "bad_commands"), 0);
  EXPECT_EQ(report_number(report, "commands"), static_cast<double>(r.link.commands_sent));
  EXPECT_LE(report_number(report, "max_target_force_n"), 5.0 + 1e-9);
}

TEST(ArmAdapterTest, StalledDriverTripsTheMonitor) {
  const auto plan = test::make_plan({.hold_s = 3.0});
  LoopbackArm arm("stall@3.0:0.6");
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_EQ(r.outcome, RunnerState::kAborted);
  EXPECT_EQ(r.abort_cause, "state_stale");
  EXPECT_GT(r.link.stale_ticks, 0);
  EXPECT_EQ(count(r, EventKind::kStateStale), 1u);
  EXPECT_EQ(count(r, EventKind::kRetracted), 1u);  // retracted once the driver was back
  EXPECT_EQ(arm.finish().first, 0);
}

TEST(ArmAdapterTest, DroppedFramesTripTheMonitor) {
  const auto plan = test::make_plan({.hold_s = 3.0});
  LoopbackArm arm("drop@2.5:0.002,drop@3.0:0.05");  // two frames: tolerated; fifty: not
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_EQ(r.outcome, RunnerState::kAborted);
  EXPECT_EQ(r.abort_cause, "state_stale");
  EXPECT_EQ(r.link.frames_missed, 52);
  EXPECT_NEAR(r.link.max_state_age_s, 0.051, 1e-6);
  bool after_big_gap = true;
  for (const auto& e : r.events) {
    if (e.kind == EventKind::kStateStale) after_big_gap = e.t_s > 3.04;
  }
  EXPECT_TRUE(after_big_gap);
  EXPECT_EQ(arm.finish().first, 0);
}

TEST(ArmAdapterTest, CorruptedFramesAreNeverUsedAndTripTheMonitor) {
  const auto plan = test::make_plan({.hold_s = 3.0});
  LoopbackArm arm("corrupt@3.0:0.005");
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_EQ(r.outcome, RunnerState::kAborted);
  EXPECT_EQ(r.abort_cause, "state_malformed");
  EXPECT_EQ(r.link.frames_rejected, 5);
  // The corrupted byte lies in pad 0's position: no traced position ever jumped.
  for (std::size_t i = 2; i < r.trace.size(); ++i) {
    if (r.trace[i].pad != 0) continue;
    EXPECT_LT((r.trace[i].measured_position_m - r.trace[i - 2].measured_position_m).norm(), 0.02);
  }
  EXPECT_EQ(arm.finish().first, 0);
}

TEST(ArmAdapterTest, ForceSpikeReportedByTheDriverRetracts) {
  const auto plan = test::make_plan({.hold_s = 3.0});
  LoopbackArm arm("spike@3.0:0.02/1*30");
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_EQ(r.outcome, RunnerState::kAborted);
  EXPECT_EQ(r.abort_cause, "absolute_force");
  EXPECT_GT(r.retract_latency_s, 0.0);
  EXPECT_LE(r.retract_latency_s, 0.1);
  const auto [status, report] = arm.finish();
  EXPECT_EQ(status, 0);
  EXPECT_NE(report.find("\"hold_received\":true"), std::string::npos);
}

TEST(ArmAdapterTest, TargetOverTheCapIsNeverSent) {
  // A plan whose contact samples say "scalp" (cap 10 N) but lie on the forehead (cap 4 N): the
  // runner's own cap lets 8 N through, the monitor's gate must not.
  auto plan = test::make_plan({.force_n = 8.0, .hold_s = 1.0});
  const auto forehead = HeadFixture::get().centre_of(anatomy::Region::kForehead);
  ASSERT_EQ(forehead.region, anatomy::Region::kForehead);
  for (auto& track : plan.tracks) {
    // The same approach, press and lift, moved onto the forehead.
    const Eigen::Vector3d centre = track[static_cast<std::size_t>(plan.sample_rate_hz)].position_m;
    for (auto& s : track) {
      const double off = (s.position_m - centre).dot(s.normal);
      s.position_m = forehead.position + off * forehead.normal;
      s.normal = forehead.normal;
      s.region = anatomy::Region::kScalpCrown;
    }
  }
  plan.park_position = {forehead.position + 0.08 * forehead.normal + Eigen::Vector3d(0.04, 0, 0),
                        forehead.position + 0.08 * forehead.normal - Eigen::Vector3d(0.04, 0, 0)};
  LoopbackArm arm;
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_EQ(r.outcome, RunnerState::kAborted);
  EXPECT_EQ(r.abort_cause, "target_over_cap");
  const double gate = 4.0 * 1.05 + 0.3;
  EXPECT_LE(r.max_sent_force_n, gate);
  EXPECT_GT(count(r, EventKind::kTargetOverCap), 0u);
  const auto [status, report] = arm.finish();
  EXPECT_EQ(status, 0);
  EXPECT_LE(report_number(report, "max_target_force_n"), gate) << report;
}

TEST(ArmAdapterTest, DriverDeathEndsTheSessionWithoutACrash) {
  const auto plan = test::make_plan({.hold_s = 3.0});
  LoopbackArm arm("die@2.5");
  const ArmSessionResult r = run_arm_session(plan, field(), arm.endpoint(), options());
  EXPECT_TRUE(r.link_lost);
  EXPECT_EQ(r.abort_cause, "link_lost");
  EXPECT_NE(r.outcome, RunnerState::kFinished);
  EXPECT_EQ(arm.finish().first, 3);
}

TEST(ArmAdapterTest, EndpointsAndConnectionErrors) {
  EXPECT_EQ(parse_arm_endpoint("unix:/run/arm.sock").path, "/run/arm.sock");
  EXPECT_EQ(parse_arm_endpoint("/run/arm.sock").path, "/run/arm.sock");
  EXPECT_THROW(parse_arm_endpoint("tcp:10.0.0.2:3000"), InputError);
  EXPECT_THROW(parse_arm_endpoint("unix:"), InputError);
  headspa::test::TempDir dir;
  ArmSessionOptions o;
  o.connect_timeout_s = 0.05;
  const auto plan = test::make_plan({});
  EXPECT_THROW(run_arm_session(plan, field(), {dir.file("nobody.sock")}, o), ArmLinkError);
  o.link_timeout_s = 0;
  EXPECT_THROW(run_arm_session(plan, field(), {dir.file("nobody.sock")}, o), InputError);
}

}  // namespace
}  // namespace headspa::control
