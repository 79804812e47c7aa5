// A session on the twin, run by the server on a thread of its own at a chosen pace (simulated
// seconds per wall second), so that a person watching can pause, resume, soften, firm up or stop
// it. The session log (events and traces) is written to the store as it runs; telemetry for the
// web page is kept in a short ring that streams read from.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/control/head_field.hpp"
#include "headspa/control/session_runner.hpp"
#include "headspa/plan/session_plan.hpp"
#include "headspa/sim/session.hpp"
#include "headspa/store/records.hpp"

namespace headspa::server {

struct LiveSessionOptions {
  double speed = 1.0;  // simulated seconds per wall second; 0: as fast as it runs
  double trace_rate_hz = 100.0;
  double telemetry_period_s = 0.05;  // wall time between telemetry messages
  double report_rate_hz = 20.0;      // trace rows kept in memory for the HTML report
  std::uint64_t seed = 1;
};

// One telemetry message: a sequence number and its JSON.
struct Telemetry {
  std::uint64_t seq = 0;
  std::string json;
};

class LiveSession {
 public:
  // Starts the session thread. `plan`, `head` and `field` must outlive the session.
  LiveSession(store::RecordId id, std::shared_ptr<const plan::SessionPlan> plan,
              const anatomy::Head& head, const control::HeadField& field, std::string db_location,
              LiveSessionOptions options);
  // Stops the session (the arms retract first) and joins its thread.
  ~LiveSession();
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  store::RecordId id() const noexcept { return id_; }
  // Posts a live command; false when the session has ended or its queue is full.
  bool command(control::LiveCommand command);
  // Ends the session now: the arms retract and the session is logged as stopped for `why`.
  void shut_down(const std::string& why);
  bool ended() const noexcept { return ended_.load(); }
  // The session's state as JSON (format headspa/session-status@1).
  std::string status_json() const;
  // Telemetry newer than `after`, waiting up to `timeout` for some; *ended is set when the
  // session is over and nothing newer will come.
  std::vector<Telemetry> telemetry_after(std::uint64_t after, std::chrono::milliseconds timeout,
                                         bool* ended) const;
  // Once ended: what the session delivered, in the form the twin's batch runs report it
  // (metrics from the twin's ground truth, events, a trace at report_rate_hz); null before.
  std::shared_ptr<const sim::SimulationResult> result() const;
  // The head frame's rest pose in the twin's world, inverted (for the report's pictures).
  Eigen::Isometry3d world_to_head() const;

 private:
  void run();
  void publish(std::string json);

  store::RecordId id_;
  std::shared_ptr<const plan::SessionPlan> plan_;
  const anatomy::Head& head_;
  const control::HeadField& field_;
  std::string location_;
  LiveSessionOptions options_;

  std::mutex post_mutex_;                     // the runner's queue takes one producer at a time
  control::SessionRunner* runner_ = nullptr;  // set while the thread runs (guarded by post_mutex_)
  std::atomic<bool> ended_{false};
  std::atomic<bool> shut_down_{false};
  std::string shut_down_why_;  // guarded by mutex_

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string status_;  // the latest status JSON
  std::deque<Telemetry> ring_;
  std::uint64_t seq_ = 0;
  std::shared_ptr<const sim::SimulationResult> result_;
  Eigen::Isometry3d world_to_head_ = Eigen::Isometry3d::Identity();

  std::thread thread_;
};

}  // namespace headspa::server
