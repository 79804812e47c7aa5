#include "live_session.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "headspa/core/log.hpp"
#include "headspa/sim/twin.hpp"
#include "headspa/store/session_log.hpp"
#include "headspa/store/store.hpp"

namespace headspa::server {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRingCapacity = 4096;

double r4(double v) { return std::isfinite(v) ? std::round(v * 1e4) / 1e4 : 0.0; }

Json vec3(const Eigen::Vector3d& v) { return Json::array({r4(v.x()), r4(v.y()), r4(v.z())}); }

// A control event as the session log records it, or nothing for bookkeeping events.
std::optional<store::SessionEvent> to_store_event(const control::SessionEvent& e,
                                                  control::RunnerState previous,
                                                  const plan::SessionPlan& plan) {
  using K = control::EventKind;
  store::SessionEvent out;
  out.t_s = e.t_s;
  const auto pad = [&] {
    return e.pad >= 0 ? " on contact " + std::to_string(static_cast<int>(e.pad)) : std::string();
  };
  const auto fault = [&](const std::string& what) {
    out.kind = store::EventKind::kFault;
    out.cause = what + pad();
    return out;
  };
  char value[64];
  std::snprintf(value, sizeof value, "%.3g", e.value);
  switch (e.kind) {
    case K::kStateChanged: {
      const auto next = static_cast<control::RunnerState>(static_cast<int>(e.value));
      if (next == control::RunnerState::kPaused) {
        out.kind = store::EventKind::kPause;
        out.cause = "paused";
        return out;
      }
      if (next == control::RunnerState::kMassaging && previous == control::RunnerState::kPaused) {
        out.kind = store::EventKind::kResume;
        out.cause = "resumed";
        return out;
      }
      return std::nullopt;
    }
    case K::kLiveCommand: {
      const auto cmd = static_cast<control::LiveCommand>(static_cast<int>(e.value));
      if (cmd == control::LiveCommand::kSofter)
        out.kind = store::EventKind::kSofter;
      else if (cmd == control::LiveCommand::kFirmer)
        out.kind = store::EventKind::kFirmer;
      else if (cmd == control::LiveCommand::kStop)
        out.kind = store::EventKind::kStop;
      else
        return std::nullopt;
      out.cause = "asked through the API";
      return out;
    }
    case K::kSegmentStarted: {
      const auto i = static_cast<std::size_t>(e.value);
      out.kind = store::EventKind::kNote;
      out.cause = "segment " + std::to_string(i);
      if (i < plan.segments.size()) out.cause += ": " + plan.segments[i].title;
      return out;
    }
    case K::kEStop:
      return fault("emergency stop");
    case K::kForceOverCap:
      return fault(std::string("force over the region's cap: ") + value + " N");
    case K::kAbsoluteForce:
      return fault(std::string("absolute force limit: ") + value + " N");
    case K::kSpeedLimit:
      return fault(std::string("speed limit: ") + value + " m/s");
    case K::kNoGoProximity:
      return fault(std::string("near a no-go zone: ") + value + " m");
    case K::kHeadMoved:
      return fault(std::string("the head moved: ") + value);
    case K::kCommandStall:
      return fault(std::string("setpoint stream stalled: ") + value + " s");
    case K::kSensorDropout:
      return fault(std::string("force sensor silent for ") + value + " ticks");
    case K::kJointNearLimit:
      return fault(std::string("joint near its limit: joint ") + value);
    case K::kDeviceFault:
      return fault(std::string("care device fault: device ") + value);
    case K::kFinished:
      out.kind = store::EventKind::kFinish;
      out.cause = "finished";
      return out;
    case K::kAborted:
      out.kind = store::EventKind::kAbort;
      out.cause = "protective retract";
      return out;
    default:
      return std::nullopt;
  }
}

}  // namespace

LiveSession::LiveSession(store::RecordId id, std::shared_ptr<const plan::SessionPlan> plan,
                         const anatomy::Head& head, const control::HeadField& field,
                         std::string db_location, LiveSessionOptions options)
    : id_(id),
      plan_(std::move(plan)),
      head_(head),
      field_(field),
      location_(std::move(db_location)),
      options_(options) {
  Json j;
  j["format"] = "headspa/session-status@1";
  j["id"] = id_;
  j["state"] = "starting";
  j["live"] = true;
  status_ = j.dump();
  thread_ = std::thread([this] { run(); });
}

LiveSession::~LiveSession() {
  shut_down("the server stopped");
  if (thread_.joinable()) thread_.join();
}

bool LiveSession::command(control::LiveCommand command) {
  std::lock_guard<std::mutex> lock(post_mutex_);
  if (ended_ || runner_ == nullptr) return false;
  return runner_->post(command);
}

void LiveSession::shut_down(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shut_down_why_.empty()) shut_down_why_ = why;
  }
  shut_down_ = true;
}

std::shared_ptr<const sim::SimulationResult> LiveSession::result() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return result_;
}

Eigen::Isometry3d LiveSession::world_to_head() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return world_to_head_;
}

std::string LiveSession::status_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

std::vector<Telemetry> LiveSession::telemetry_after(std::uint64_t after,
                                                    std::chrono::milliseconds timeout,
                                                    bool* ended) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return seq_ > after || ended_.load(); });
  std::vector<Telemetry> out;
  for (const auto& t : ring_) {
    if (t.seq > after) out.push_back(t);
  }
  *ended = ended_.load() && (out.empty() || out.back().seq == seq_);
  return out;
}

void LiveSession::publish(std::string json) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ring_.push_back(Telemetry{++seq_, std::move(json)});
    while (ring_.size() > kRingCapacity) ring_.pop_front();
  }
  changed_.notify_all();
}

void LiveSession::run() {
  const plan::SessionPlan& plan = *plan_;
  std::string outcome;
  store::SessionState final_state = store::SessionState::kAborted;
  std::optional<store::SessionLogWriter> writer;
  std::optional<store::Store> db;
  auto result = std::make_shared<sim::SimulationResult>();
  sim::SessionMetrics& mt = result->metrics;
  const auto wall_start = Clock::now();
  try {
    store::OpenOptions oo;
    oo.migrate = false;
    oo.create = false;
    db.emplace(store::open_store(location_, oo));
    writer.emplace(location_, id_);

    sim::TwinOptions to;
    to.seed = options_.seed;
    sim::Twin twin(head_, to);
    control::RunnerOptions ro;
    ro.pad_radius_m = to.pad_radius_m;
    ro.limits.pad_radius_m = to.pad_radius_m;
    ro.limits.joint_lower_rad = twin.joint_lower_rad();
    ro.limits.joint_upper_rad = twin.joint_upper_rad();
    // The arms start at the plan's park positions, pads pointing at the head.
    const Eigen::Isometry3d rest = twin.head_rest_pose();
    std::array<Eigen::Vector3d, control::kPads> starts, axes;
    for (std::size_t p = 0; p < control::kPads; ++p) {
      starts[p] = rest * plan.park_position[p];
      axes[p] = (rest.translation() - starts[p]).normalized();
    }
    twin.place_pads(starts, axes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      world_to_head_ = rest.inverse();
    }
    control::SessionRunner runner(plan, field_, ro);
    runner.post(control::LiveCommand::kStart);
    // Commands reach the runner only while it lives: the pointer is withdrawn before the runner
    // is destroyed, on every way out of this scope (an exception included).
    struct Withdraw {
      LiveSession* session;
      ~Withdraw() {
        std::lock_guard<std::mutex> lock(session->post_mutex_);
        session->runner_ = nullptr;
      }
    } withdraw{this};
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      runner_ = &runner;
    }
    db->set_session_state(id_, store::SessionState::kRunning);
    writer->append_event({0.0, store::EventKind::kStart, "started on the twin"});

    const double dt = twin.timestep_s();
    const int trace_every =
        std::max(1, static_cast<int>(std::lround(1.0 / (options_.trace_rate_hz * dt))));
    const int report_every =
        std::max(1, static_cast<int>(std::lround(1.0 / (options_.report_rate_hz * dt))));
    // Metrics from the twin's ground truth, as the twin's batch runs measure them.
    mt.segments.resize(plan.segments.size());
    for (std::size_t i = 0; i < plan.segments.size(); ++i) {
      mt.segments[i].index = static_cast<int>(i);
      mt.segments[i].step_id = plan.segments[i].step_id;
      mt.segments[i].kind = plan.segments[i].kind;
    }
    std::vector<double> segment_sq(plan.segments.size(), 0.0);
    double total_sq = 0;
    long total_ticks = 0, delivered = 0;
    std::array<double, control::kPads> over_since{-1.0, -1.0};
    const double timeout_s = plan.duration_s + 120.0;
    const auto wall0 = Clock::now();
    auto last_publish = wall0 - std::chrono::hours(1);
    std::size_t event_cursor = 0;
    control::RunnerState previous = control::RunnerState::kReady;
    bool shutting = false;
    double shut_at_s = 0.0;
    long tick = 0;
    std::array<double, control::kPads> measured{}, commanded{};
    std::array<Eigen::Vector3d, control::kPads> position_head{};

    while (!runner.done()) {
      const double t_now = twin.time_s();
      if (!shutting && (shut_down_ || t_now > timeout_s)) {
        // Stop: the runner retracts the arms before the session ends.
        shutting = true;
        shut_at_s = t_now;
        std::lock_guard<std::mutex> lock(post_mutex_);
        runner.post(control::LiveCommand::kStop);
      }
      if (shutting && t_now - shut_at_s > 10.0) break;  // retract never finished: give up
      // 10 ms of simulated time per batch.
      for (int i = 0; i < 10 && !runner.done(); ++i, ++tick) {
        const control::RigState s = twin.measure();
        const control::RigCommand cmd = runner.tick(s, dt);
        const Eigen::Isometry3d to_head = twin.head_pose().inverse();
        for (std::size_t p = 0; p < control::kPads; ++p) {
          const auto& info = runner.last_tick()[p];
          commanded[p] = info.reference_force_n;
          measured[p] = s.pads[p].force_valid ? -s.pads[p].force_n.dot(cmd.pads[p].tool_axis) : 0.0;
          position_head[p] = to_head * s.pads[p].position_m;
          const sim::PadTruth& truth = twin.truth(static_cast<int>(p));
          const double cap =
              truth.normal_force_n > 0 ? anatomy::tissue(truth.region).force_cap_n : 0.0;
          const double t = s.t_s;
          mt.max_force_n = std::max(mt.max_force_n, truth.normal_force_n);
          if (truth.normal_force_n > 0.05)
            mt.max_force_over_cap_n = std::max(mt.max_force_over_cap_n, truth.normal_force_n - cap);
          if (truth.normal_force_n > 1.1 * cap + 0.05) {
            if (over_since[p] < 0) over_since[p] = t;
            mt.longest_over_cap_10pct_s =
                std::max(mt.longest_over_cap_10pct_s, t - over_since[p] + dt);
          } else {
            over_since[p] = -1;
          }
          if (info.following_contact) {
            const double e = info.reference_force_n - truth.normal_force_n;
            total_sq += e * e;
            ++total_ticks;
            if (truth.normal_force_n > 0.3 * info.reference_force_n) ++delivered;
            if (info.segment >= 0 && static_cast<std::size_t>(info.segment) < mt.segments.size()) {
              const auto k = static_cast<std::size_t>(info.segment);
              segment_sq[k] += e * e;
              ++mt.segments[k].contact_ticks;
              mt.segments[k].max_force_n =
                  std::max(mt.segments[k].max_force_n, truth.normal_force_n);
            }
          }
          if (tick % report_every == 0) {
            sim::TraceRow row;
            row.t_s = t;
            row.pad = static_cast<int>(p);
            row.state = runner.state();
            row.segment = info.segment;
            row.commanded_force_n = info.reference_force_n;
            row.measured_force_n =
                s.pads[p].force_valid ? measured[p] : std::numeric_limits<double>::quiet_NaN();
            row.true_force_n = truth.normal_force_n;
            row.cap_n = cap;
            row.commanded_position_m = info.reference_position_m;
            row.measured_position_m = s.pads[p].position_m;
            result->trace.push_back(row);
          }
          if (tick % trace_every == 0) {
            store::TraceSample ts;
            ts.t_s = s.t_s;
            ts.contact = static_cast<std::uint32_t>(p);
            ts.commanded_force_n = commanded[p];
            ts.measured_force_n = measured[p];
            const Eigen::Vector3d cp = to_head * info.reference_position_m;
            for (int k = 0; k < 3; ++k) {
              ts.commanded_position_m[static_cast<std::size_t>(k)] = cp[k];
              ts.measured_position_m[static_cast<std::size_t>(k)] = position_head[p][k];
            }
            writer->append_sample(ts);
          }
        }
        mt.max_water_c = std::max(mt.max_water_c, runner.devices().heater.max_delivered_c());
        twin.step(cmd);
      }
      // New control events into the session log, and the store's state with them.
      const auto& events = runner.log().events();
      for (; event_cursor < events.size(); ++event_cursor) {
        const auto& e = events[event_cursor];
        if (auto se = to_store_event(e, previous, plan)) {
          if (se->kind == store::EventKind::kPause)
            db->set_session_state(id_, store::SessionState::kPaused);
          if (se->kind == store::EventKind::kResume)
            db->set_session_state(id_, store::SessionState::kRunning);
          writer->append_event(std::move(*se));
        }
        if (e.kind == control::EventKind::kStateChanged)
          previous = static_cast<control::RunnerState>(static_cast<int>(e.value));
      }
      // Status and telemetry.
      const auto now = Clock::now();
      const bool state_changed = previous != runner.state();
      if (now - last_publish >= std::chrono::duration<double>(options_.telemetry_period_s) ||
          state_changed || runner.done()) {
        last_publish = now;
        const int seg = runner.last_tick()[0].segment >= 0 ? runner.last_tick()[0].segment
                                                           : runner.last_tick()[1].segment;
        Json pads = Json::array();
        for (std::size_t p = 0; p < control::kPads; ++p) {
          pads.push_back({{"commanded_n", r4(commanded[p])},
                          {"measured_n", r4(measured[p])},
                          {"position_m", vec3(position_head[p])}});
        }
        Json tj;
        tj["t_s"] = r4(twin.time_s());
        tj["plan_t_s"] = r4(runner.plan_time_s());
        tj["state"] = control::runner_state_name(runner.state());
        tj["force_scale"] = r4(runner.force_scale());
        tj["segment"] = seg;
        tj["pads"] = std::move(pads);
        Json sj;
        sj["format"] = "headspa/session-status@1";
        sj["id"] = id_;
        sj["live"] = true;
        sj["state"] = control::runner_state_name(runner.state());
        sj["t_s"] = tj["t_s"];
        sj["plan_t_s"] = tj["plan_t_s"];
        sj["duration_s"] = plan.duration_s;
        sj["progress"] = r4(std::min(1.0, runner.plan_time_s() / std::max(plan.duration_s, 1e-9)));
        sj["force_scale"] = tj["force_scale"];
        sj["speed"] = options_.speed;
        sj["segment"] = seg;
        sj["segment_title"] = seg >= 0 && static_cast<std::size_t>(seg) < plan.segments.size()
                                  ? plan.segments[static_cast<std::size_t>(seg)].title
                                  : std::string();
        sj["pads"] = tj["pads"];
        {
          std::lock_guard<std::mutex> lock(mutex_);
          status_ = sj.dump();
        }
        publish(tj.dump());
      }
      // Pace: simulated time runs `speed` times as fast as the wall clock (not while stopping).
      if (options_.speed > 0 && !shutting) {
        std::this_thread::sleep_until(
            wall0 + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(twin.time_s() / options_.speed)));
      }
    }
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      runner_ = nullptr;
    }
    // The session's figures, as the twin's batch runs give them.
    const double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
    mt.outcome = runner.state();
    if (runner.abort_cause())
      mt.abort_cause = std::string(control::event_kind_name(*runner.abort_cause()));
    if (!runner.done()) mt.abort_cause = "timeout";
    mt.simulated_s = twin.time_s();
    mt.wall_s = wall;
    mt.real_time_factor = wall > 0 ? mt.simulated_s / wall : 0;
    mt.force_rms_error_n =
        total_ticks ? std::sqrt(total_sq / static_cast<double>(total_ticks)) : 0.0;
    for (std::size_t i = 0; i < mt.segments.size(); ++i) {
      auto& sm = mt.segments[i];
      sm.force_rms_error_n =
          sm.contact_ticks ? std::sqrt(segment_sq[i] / static_cast<double>(sm.contact_ticks)) : 0;
    }
    double planned = 0;
    for (const auto& track : plan.tracks) {
      for (const auto& smp : track) {
        if (smp.phase == plan::Phase::kContact && smp.force_n > 0)
          planned += 1.0 / plan.sample_rate_hz;
      }
    }
    mt.coverage_achieved =
        planned > 0 ? std::min(1.0, static_cast<double>(delivered) * dt / planned) : 1.0;
    mt.retract_latency_s = runner.retract_latency_s();
    mt.safe_end = runner.done() && twin.truth(0).normal_force_n == 0 &&
                  twin.truth(1).normal_force_n == 0 && !runner.devices().heater.flowing() &&
                  mt.max_water_c < control::WaterHeater::kHardStopC;
    result->events = runner.log().events();
    std::string why;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      why = shut_down_why_;
    }
    if (runner.state() == control::RunnerState::kFinished && !shutting) {
      final_state = store::SessionState::kFinished;
      outcome = "completed";
    } else if (shutting) {
      final_state = store::SessionState::kAborted;
      outcome = why.empty() ? "stopped: the session ran past its time" : "stopped: " + why;
      writer->append_event({twin.time_s(), store::EventKind::kAbort, outcome});
    } else if (runner.state() == control::RunnerState::kFinished) {
      final_state = store::SessionState::kFinished;
      outcome = "completed";
    } else {
      final_state = store::SessionState::kAborted;
      outcome = runner.abort_cause()
                    ? "aborted: " + std::string(control::event_kind_name(*runner.abort_cause()))
                    : "aborted";
    }
    // A stop asked through the API ends the session early but cleanly.
    for (const auto& e : runner.log().events()) {
      if (e.kind == control::EventKind::kLiveCommand &&
          static_cast<control::LiveCommand>(static_cast<int>(e.value)) ==
              control::LiveCommand::kStop &&
          !shutting) {
        outcome = "stopped on request";
      }
    }
    writer->close();
  } catch (const std::exception& e) {
    result.reset();  // no figures for a session that could not run
    outcome = std::string("failed: ") + e.what();
    final_state = store::SessionState::kAborted;
    log::error("session " + std::to_string(id_) + ": " + e.what());
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      runner_ = nullptr;
    }
    try {
      if (writer) writer->close();
    } catch (const std::exception& e2) {
      log::error(std::string("session log: ") + e2.what());
    }
  }
  try {
    if (db) {
      const auto current = db->session(id_);
      if (current && current->state != store::SessionState::kFinished &&
          current->state != store::SessionState::kAborted) {
        if (current->state == store::SessionState::kCreated &&
            final_state == store::SessionState::kFinished) {
          db->set_session_state(id_, store::SessionState::kRunning);
        }
        db->set_session_state(id_, final_state, outcome);
      }
    }
  } catch (const std::exception& e) {
    log::error("session " + std::to_string(id_) + ": cannot record its end: " + e.what());
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Json sj = Json::parse(status_);
    sj["live"] = false;
    sj["state"] = final_state == store::SessionState::kFinished ? "finished" : "aborted";
    sj["outcome"] = outcome;
    status_ = sj.dump();
    Json end;
    end["end"] = true;
    end["state"] = sj["state"];
    end["outcome"] = outcome;
    ring_.push_back(Telemetry{++seq_, end.dump()});
    result_ = std::move(result);
    ended_ = true;
  }
  changed_.notify_all();
}

}  // namespace headspa::server
