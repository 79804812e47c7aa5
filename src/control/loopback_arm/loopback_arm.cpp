// headspa-loopback-arm: a stand-in arm driver for the arm link (docs/arm-adapter.md).
//
// Listens on a Unix SOCK_SEQPACKET socket, accepts one adapter and plays a two-pad arm: every
// period it sends a measured state, then applies the command that answers it. Each pad follows
// its target position with a first-order lag (plus the target velocity as feed-forward) and, in
// force mode, its measured normal force follows the target force with a first-order lag; out of
// force mode the force decays to zero. The head does not move (identity pose).
//
// It can be told to misbehave on its own clock: stop sending for a while (stall, wall time),
// skip frames (drop), send corrupted frames (corrupt), add a force spike to its reading (spike),
// or die. Its own watchdog holds the pads still with no force when commands stop arriving.
// At exit it writes a JSON report of what it received (--report).
//
//   headspa-loopback-arm --listen /tmp/arm.sock [--realtime] [--fault spike@3:0.02*30]
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "headspa/control/arm_link.hpp"

namespace {

using headspa::control::kPads;
using headspa::control::RigCommand;
using headspa::control::RigState;
namespace link = headspa::control::link;
using Clock = std::chrono::steady_clock;

enum class Misbehaviour { kStall, kDrop, kCorrupt, kSpike, kDie };

struct Fault {
  Misbehaviour kind = Misbehaviour::kStall;
  double at_s = 0;        // rig time
  double duration_s = 0;  // stall: wall seconds; drop, corrupt, spike: rig seconds
  int pad = 0;
  double magnitude_n = 30.0;  // spike
};

struct Options {
  std::string listen;
  std::string report;
  double period_s = 0.001;
  bool realtime = false;
  double reply_timeout_s = 0.05;   // lockstep: longest wait for the answer to a state
  double accept_timeout_s = 10.0;  // longest wait for the controller to connect
  double tau_position_s = 0.02;
  double tau_force_s = 0.01;
  int watchdog_periods = 20;  // periods without a valid command before holding
  double max_time_s = 4000.0;
  std::array<Eigen::Vector3d, kPads> start{Eigen::Vector3d(0.12, 0.22, 0.0),
                                           Eigen::Vector3d(-0.12, 0.22, 0.0)};
  std::vector<Fault> faults;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "headspa-loopback-arm: %s\n"
               "usage: headspa-loopback-arm --listen PATH [--report FILE] [--realtime]\n"
               "       [--period S] [--reply-timeout S] [--accept-timeout S]\n"
               "       [--start x,y,z,x,y,z]\n"
               "       [--fault KIND@T[:DURATION][/PAD][*NEWTONS],...]\n"
               "       KIND: stall (DURATION wall s), drop, corrupt, spike, die\n",
               why.c_str());
  std::exit(2);
}

double number(const std::string& text, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v)) usage(std::string("bad ") + what);
  return v;
}

std::vector<Fault> parse_faults(const std::string& spec) {
  std::vector<Fault> out;
  std::size_t pos = 0;
  while (pos < spec.size()) {
    std::size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    std::string item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    const std::size_t at = item.find('@');
    if (at == std::string::npos) usage("fault '" + item + "' has no '@'");
    Fault f;
    const std::string kind = item.substr(0, at);
    if (kind == "stall") {
      f.kind = Misbehaviour::kStall;
    } else if (kind == "drop") {
      f.kind = Misbehaviour::kDrop;
    } else if (kind == "corrupt") {
      f.kind = Misbehaviour::kCorrupt;
    } else if (kind == "spike") {
      f.kind = Misbehaviour::kSpike;
    } else if (kind == "die") {
      f.kind = Misbehaviour::kDie;
    } else {
      usage("unknown fault kind '" + kind + "'");
    }
    std::string rest = item.substr(at + 1);
    const auto take = [&](char mark) -> std::string {
      const std::size_t i = rest.find(mark);
      if (i == std::string::npos) return {};
      const std::size_t end = rest.find_first_of(":/*", i + 1);
      std::string v = rest.substr(i + 1, end == std::string::npos ? end : end - i - 1);
      rest.erase(i, 1 + v.size());
      return v;
    };
    const std::string mag = take('*');
    const std::string pad = take('/');
    const std::string dur = take(':');
    f.at_s = number(rest, "fault time");
    if (!dur.empty()) f.duration_s = number(dur, "fault duration");
    if (!pad.empty()) f.pad = static_cast<int>(number(pad, "fault pad"));
    if (!mag.empty()) f.magnitude_n = number(mag, "fault magnitude");
    if (f.pad < 0 || f.pad >= kPads) usage("fault pad must be 0 or 1");
    out.push_back(f);
  }
  return out;
}

Eigen::Vector3d parse_point(const std::vector<std::string>& parts, std::size_t first) {
  return {number(parts[first], "--start"), number(parts[first + 1], "--start"),
          number(parts[first + 2], "--start")};
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--listen") {
      o.listen = value();
    } else if (a == "--report") {
      o.report = value();
    } else if (a == "--realtime") {
      o.realtime = true;
    } else if (a == "--period") {
      o.period_s = number(value(), "--period");
    } else if (a == "--reply-timeout") {
      o.reply_timeout_s = number(value(), "--reply-timeout");
    } else if (a == "--accept-timeout") {
      o.accept_timeout_s = number(value(), "--accept-timeout");
    } else if (a == "--max-time") {
      o.max_time_s = number(value(), "--max-time");
    } else if (a == "--start") {
      std::vector<std::string> parts;
      std::string v = value(), cur;
      for (char c : v + ",") {
        if (c == ',') {
          parts.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      if (parts.size() != 6) usage("--start needs six numbers");
      o.start = {parse_point(parts, 0), parse_point(parts, 3)};
    } else if (a == "--fault") {
      const auto more = parse_faults(value());
      o.faults.insert(o.faults.end(), more.begin(), more.end());
    } else {
      usage("unknown option " + a);
    }
  }
  if (o.listen.empty()) usage("--listen is required");
  if (!(o.period_s > 0 && o.reply_timeout_s > 0 && o.accept_timeout_s > 0)) {
    usage("--period, --reply-timeout and --accept-timeout must be > 0");
  }
  return o;
}

int listen_and_accept(const Options& o) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (o.listen.size() >= sizeof addr.sun_path) usage("socket path too long");
  std::memcpy(addr.sun_path, o.listen.c_str(), o.listen.size() + 1);
  const int server = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  ::unlink(o.listen.c_str());
  if (server < 0 || ::bind(server, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(server, 1) != 0) {
    std::fprintf(stderr, "headspa-loopback-arm: cannot listen on %s: %s\n", o.listen.c_str(),
                 std::strerror(errno));
    std::exit(1);
  }
  pollfd pfd{server, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(o.accept_timeout_s * 1000)) <= 0) {
    std::fprintf(stderr, "headspa-loopback-arm: nobody connected within %g s\n",
                 o.accept_timeout_s);
    std::exit(1);
  }
  const int fd = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(server);
  ::unlink(o.listen.c_str());
  if (fd < 0) {
    std::fprintf(stderr, "headspa-loopback-arm: accept failed: %s\n", std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

// What the driver saw, for the report.
struct Report {
  long periods = 0;
  long states_sent = 0;
  long commands = 0;
  long bad_commands = 0;
  long reply_timeouts = 0;
  long watchdog_periods_held = 0;
  std::array<double, kPads> max_target_force_n{};
  std::array<double, kPads> max_command_force_n{};
  int last_runner_state = -1;
  bool hold_received = false;
  std::string end = "closed";
};

void write_report(const Options& o, const Report& r, double t) {
  if (o.report.empty()) return;
  FILE* f = std::fopen(o.report.c_str(), "w");
  if (!f) return;
  std::fprintf(f,
               "{\"end\":\"%s\",\"rig_time_s\":%.4f,\"periods\":%ld,\"states_sent\":%ld,"
               "\"commands\":%ld,\"bad_commands\":%ld,\"reply_timeouts\":%ld,"
               "\"watchdog_periods_held\":%ld,\"max_target_force_n\":[%.4f,%.4f],"
               "\"max_command_force_n\":[%.4f,%.4f],\"last_runner_state\":%d,"
               "\"hold_received\":%s}\n",
               r.end.c_str(), t, r.periods, r.states_sent, r.commands, r.bad_commands,
               r.reply_timeouts, r.watchdog_periods_held, r.max_target_force_n[0],
               r.max_target_force_n[1], r.max_command_force_n[0], r.max_command_force_n[1],
               r.last_runner_state, r.hold_received ? "true" : "false");
  std::fclose(f);
}

bool active(const Fault& f, Misbehaviour kind, double t, double period) {
  return f.kind == kind && t >= f.at_s - 0.5 * period && t < f.at_s + f.duration_s - 0.5 * period;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  const int fd = listen_and_accept(o);

  // The arm's model.
  std::array<Eigen::Vector3d, kPads> x = o.start;
  std::array<Eigen::Vector3d, kPads> v{Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero()};
  std::array<double, kPads> force{0.0, 0.0};
  RigCommand command;
  for (int p = 0; p < kPads; ++p)
    command.pads[static_cast<std::size_t>(p)].target_position_m = x[static_cast<std::size_t>(p)];
  bool hold = false;
  int periods_without_command = 0;
  std::vector<bool> stalled(o.faults.size(), false);
  Report report;
  std::uint32_t seq = 0, last_command_seq = 0;
  std::array<std::uint8_t, link::kMaxFrameBytes + 16> buf{};
  auto deadline = Clock::now();

  // Reads one command frame if one arrives within timeout_ms; returns false when the link closed.
  const auto receive = [&](int timeout_ms, bool* got, std::uint32_t* ack) {
    *got = false;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready <= 0) return true;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) return false;
    link::FrameHeader h;
    RigCommand c;
    link::CommandExtras extras;
    if (link::decode_command({buf.data(), static_cast<std::size_t>(n)}, &h, &c, &extras) !=
            link::DecodeError::kNone ||
        h.seq <= last_command_seq) {
      ++report.bad_commands;
      return true;
    }
    last_command_seq = h.seq;
    ++report.commands;
    command = c;
    hold = extras.hold;
    report.hold_received = report.hold_received || extras.hold;
    report.last_runner_state = extras.runner_state;
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      report.max_target_force_n[u] =
          std::max(report.max_target_force_n[u], c.pads[u].target_normal_force_n);
      report.max_command_force_n[u] =
          std::max(report.max_command_force_n[u], c.pads[u].force_n.norm());
    }
    periods_without_command = 0;
    *got = true;
    *ack = h.ack;
    return true;
  };

  double t = 0.0;
  bool open = true;
  while (open && t < o.max_time_s) {
    // Misbehaviour scheduled for now.
    bool drop = false, corrupt = false;
    std::array<double, kPads> spike{0.0, 0.0};
    for (std::size_t i = 0; i < o.faults.size(); ++i) {
      const Fault& f = o.faults[i];
      if (f.kind == Misbehaviour::kDie && t >= f.at_s) {
        report.end = "died";
        write_report(o, report, t);
        std::_Exit(3);  // no goodbye: the adapter sees the link close mid-session
      }
      if (f.kind == Misbehaviour::kStall && !stalled[i] && t >= f.at_s) {
        stalled[i] = true;
        std::this_thread::sleep_for(std::chrono::duration<double>(f.duration_s));
        deadline = Clock::now();
      }
      drop = drop || active(f, Misbehaviour::kDrop, t, o.period_s);
      corrupt = corrupt || active(f, Misbehaviour::kCorrupt, t, o.period_s);
      if (active(f, Misbehaviour::kSpike, t, o.period_s)) {
        spike[static_cast<std::size_t>(f.pad)] += f.magnitude_n;
      }
    }

    // The measured state.
    RigState s;
    s.t_s = t;
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      const Eigen::Vector3d axis = command.pads[u].tool_axis.normalized();
      s.pads[u].position_m = x[u];
      s.pads[u].velocity_m_per_s = v[u];
      s.pads[u].force_n = -(force[u] + spike[u]) * axis;  // the skin pushes back along -axis
    }
    ++report.periods;
    bool answered = false;
    ++seq;  // a dropped frame is lost in transit: its sequence number is skipped
    if (!drop) {
      const std::size_t n = link::encode_state(s, seq, last_command_seq, buf);
      if (corrupt) buf[40] ^= 0x5A;  // a flipped byte inside pad 0's position
      if (::send(fd, buf.data(), n, MSG_NOSIGNAL) < 0) break;
      ++report.states_sent;
      // Wait for the answer to this state (lockstep), or until the period ends (real time).
      const auto wait_until =
          o.realtime ? deadline + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.period_s))
                     : Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(o.reply_timeout_s));
      while (!answered) {
        const double left = std::chrono::duration<double>(wait_until - Clock::now()).count();
        if (left <= 0) break;
        bool got = false;
        std::uint32_t ack = 0;
        open = receive(std::max(1, static_cast<int>(std::ceil(left * 1000))), &got, &ack);
        if (!open) break;
        answered = got && ack >= seq;
      }
      if (!open) break;
      if (!answered) ++report.reply_timeouts;
    }
    if (!answered) ++periods_without_command;

    // Integrate the model one period.
    const bool watchdog = periods_without_command > o.watchdog_periods;
    if (watchdog) ++report.watchdog_periods_held;
    const double dt = o.period_s;
    for (int p = 0; p < kPads; ++p) {
      const auto u = static_cast<std::size_t>(p);
      const auto& c = command.pads[u];
      const bool still = hold || watchdog;
      v[u] = still ? Eigen::Vector3d::Zero()
                   : Eigen::Vector3d(c.target_velocity_m_per_s +
                                     (c.target_position_m - x[u]) / o.tau_position_s);
      x[u] += dt * v[u];
      const double target = !still && c.force_mode ? c.target_normal_force_n : 0.0;
      force[u] += dt / o.tau_force_s * (target - force[u]);
    }
    t += dt;
    if (o.realtime) {
      deadline += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(dt));
      std::this_thread::sleep_until(deadline);
    }
  }
  write_report(o, report, t);
  ::close(fd);
  return 0;
}
