#include "headspa/control/arm_adapter.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "headspa/control/arm_link.hpp"
#include "headspa/core/error.hpp"

namespace headspa::control {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// An open SOCK_SEQPACKET connection, closed on scope exit.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

int connect_unix(const std::string& path, double timeout_s) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    throw InputError(InputLocation{"", 0, 0, "--endpoint"},
                     "socket path '" + path + "' is longer than " +
                         std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const auto start = Clock::now();
  int last_errno = 0;
  do {
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ArmLinkError(std::string("cannot create a socket: ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return fd;
    last_errno = errno;
    ::close(fd);
    // The driver may still be starting: retry while the socket is missing or not listening.
    if (last_errno != ENOENT && last_errno != ECONNREFUSED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (seconds_since(start) < timeout_s);
  throw ArmLinkError("cannot connect to the arm driver at unix:" + path + ": " +
                     std::strerror(last_errno));
}

}  // namespace

ArmEndpoint parse_arm_endpoint(std::string_view text) {
  std::string_view path = text;
  if (text.starts_with("unix:")) path = text.substr(5);
  const auto colon = text.find(':');
  if (!text.starts_with("unix:") && colon != std::string_view::npos && !text.starts_with("/") &&
      !text.starts_with(".")) {
    throw InputError(
        InputLocation{"", 0, 0, "--endpoint"},
        "'" + std::string(text) + "': unsupported endpoint (expected unix:PATH or a socket path)");
  }
  if (path.empty()) {
    throw InputError(InputLocation{"", 0, 0, "--endpoint"}, "the socket path is empty");
  }
  return ArmEndpoint{std::string(path)};
}

bool ArmSessionOptions::IsValid(std::string* why) const {
  const auto bad = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (!runner.IsValid(why)) return false;
  if (!(connect_timeout_s >= 0 && link_timeout_s > 0 && link_lost_s >= link_timeout_s)) {
    return bad("timeouts must be positive and link_lost_s at least link_timeout_s");
  }
  if (!(rig_timeout_s >= 0 && trace_rate_hz > 0)) {
    return bad("rig_timeout_s must not be negative and trace_rate_hz must be positive");
  }
  return true;
}

ArmSessionResult run_arm_session(const plan::SessionPlan& plan, const HeadField& field,
                                 const ArmEndpoint& endpoint, const ArmSessionOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError("arm session options: " + why);
  SessionRunner runner(plan, field, options.runner);
  const auto wall_start = Clock::now();
  Socket socket(connect_unix(endpoint.path, options.connect_timeout_s));

  ArmSessionResult r;
  const double rig_timeout =
      options.rig_timeout_s > 0 ? options.rig_timeout_s : plan.duration_s + 60.0;
  r.trace.reserve(static_cast<std::size_t>(2.0 * (rig_timeout + 1.0) * options.trace_rate_hz));
  const double trace_period = 1.0 / options.trace_rate_hz;
  double next_trace_s = 0.0;

  std::array<std::uint8_t, link::kMaxFrameBytes + 16> in{};
  std::array<std::uint8_t, link::kCommandFrameBytes> out{};
  RigState last_good;
  bool have_good = false;
  std::uint32_t last_seq = 0;
  std::uint32_t seq_out = 0;
  int rejected = 0;
  auto last_frame_wall = Clock::now();
  double sq = 0;
  long following = 0;
  int last_progress = -1;
  runner.post(LiveCommand::kStart);

  const int poll_ms = std::max(1, static_cast<int>(std::lround(options.link_timeout_s * 1000)));
  while (true) {
    pollfd pfd{socket.fd(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, poll_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw ArmLinkError(std::string("poll failed: ") + std::strerror(errno));

    RigState s;
    double dt = 0.0;
    if (ready > 0) {
      const ssize_t n = ::recv(socket.fd(), in.data(), in.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // the driver closed the link (or it broke)
        r.link_lost = true;
        break;
      }
      last_frame_wall = Clock::now();
      link::FrameHeader h;
      RigState decoded;
      const link::DecodeError e =
          link::decode_state({in.data(), static_cast<std::size_t>(n)}, &h, &decoded);
      const bool in_order = !have_good || (h.seq > last_seq && decoded.t_s > last_good.t_s);
      if (e == link::DecodeError::kNone && in_order) {
        if (have_good) {
          r.link.frames_missed += static_cast<long>(h.seq - last_seq - 1);
          decoded.state_age_s = decoded.t_s - last_good.t_s;
          dt = decoded.state_age_s;
          r.link.max_state_age_s = std::max(r.link.max_state_age_s, decoded.state_age_s);
        } else {
          dt = 0.001;
        }
        decoded.rejected_frames = 0;
        rejected = 0;
        last_good = decoded;
        last_seq = h.seq;
        have_good = true;
        ++r.link.states_received;
        s = decoded;
      } else {
        ++r.link.frames_rejected;
        ++rejected;
        if (!have_good) continue;  // nothing to tick with yet
        s = last_good;
        s.rejected_frames = rejected;
      }
    } else {
      // Silence: tick on the last state, marked stale, so the monitor can act.
      const double silent = seconds_since(last_frame_wall);
      if (!have_good) {
        if (silent > options.link_lost_s) {
          r.link_lost = true;
          break;
        }
        continue;
      }
      ++r.link.stale_ticks;
      s = last_good;
      s.state_age_s = std::max(silent, last_good.state_age_s);
      s.rejected_frames = rejected;
      if (silent > options.link_lost_s) {
        r.link_lost = true;
        break;
      }
    }

    const RigCommand cmd = runner.tick(s, dt);
    const bool finished = runner.done();
    link::CommandExtras extras{static_cast<std::uint8_t>(runner.state()), finished};
    const std::size_t bytes = link::encode_command(cmd, extras, ++seq_out, last_seq, s.t_s, out);
    // Never blocks: a driver that stopped reading leaves its queue full and misses this one.
    if (::send(socket.fd(), out.data(), bytes, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
      ++r.link.commands_sent;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      r.link_lost = true;
      break;
    }

    // Figures and the trace.
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      const auto& info = runner.last_tick()[u];
      const double measured =
          s.pads[u].force_valid ? -s.pads[u].force_n.dot(cmd.pads[u].tool_axis) : 0.0;
      r.max_measured_force_n = std::max(r.max_measured_force_n, s.pads[u].force_n.norm());
      r.max_sent_force_n = std::max(r.max_sent_force_n, cmd.pads[u].target_normal_force_n);
      if (info.following_contact && dt > 0) {
        const double err = info.reference_force_n - measured;
        sq += err * err;
        ++following;
      }
      if (dt > 0 && s.t_s >= next_trace_s) {
        ArmTraceRow row;
        row.t_s = s.t_s;
        row.pad = p;
        row.state = runner.state();
        row.segment = info.segment;
        row.commanded_force_n = info.reference_force_n;
        row.sent_force_n = cmd.pads[u].target_normal_force_n;
        row.measured_force_n = measured;
        row.commanded_position_m = info.reference_position_m;
        row.measured_position_m = s.pads[u].position_m;
        r.trace.push_back(row);
      }
    }
    if (dt > 0 && s.t_s >= next_trace_s) next_trace_s = s.t_s + trace_period - 1e-9;
    if (options.progress) {
      const int pct =
          static_cast<int>(100.0 * std::min(1.0, runner.plan_time_s() / plan.duration_s));
      if (pct != last_progress) {
        last_progress = pct;
        options.progress(pct / 100.0);
      }
    }
    if (finished) break;
    if (s.t_s > rig_timeout && runner.state() != RunnerState::kRetracting) {
      runner.post(LiveCommand::kStop);
    }
    if (s.t_s > rig_timeout + 5.0) break;  // even the retract did not end
  }

  r.outcome = runner.state();
  if (runner.abort_cause()) r.abort_cause = std::string(event_kind_name(*runner.abort_cause()));
  if (!runner.done()) r.abort_cause = r.link_lost ? "link_lost" : "timeout";
  r.rig_time_s = have_good ? last_good.t_s : 0.0;
  r.wall_s = seconds_since(wall_start);
  r.force_rms_error_n = following ? std::sqrt(sq / static_cast<double>(following)) : 0.0;
  r.retract_latency_s = runner.retract_latency_s();
  r.events = runner.log().events();
  return r;
}

}  // namespace headspa::control
