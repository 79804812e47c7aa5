// kill -9 mid-session: at most about a second of log is lost and the database stays consistent.
//
// A forked child writes a session log as a session would (two contacts at 1 kHz on the wall
// clock) and reports through a pipe the session time of every sample it has appended. After a few
// seconds the parent kills it with SIGKILL, reopens the database, checks its integrity, and
// compares the newest stored sample with the newest one the child reported.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "headspa/store/session_log.hpp"
#include "headspa/store/store.hpp"
#include "store/store_test_util.hpp"

namespace headspa::store {
namespace {

using testing::FreshDatabase;

// In the child: writes until killed (or for 60 s at most), reporting progress on `fd`.
[[noreturn]] void write_log_until_killed(const std::string& location, RecordId session_id, int fd) {
  try {
    SessionLogWriter writer(location, session_id);  // the default flush period
    writer.append_event({0.0, EventKind::kStart, "kill -9 test"});
    const auto start = std::chrono::steady_clock::now();
    auto last_report = start;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      const double t = std::chrono::duration<double>(now - start).count();
      if (t > 60.0) _exit(3);
      for (std::uint32_t contact = 0; contact < 2; ++contact) {
        TraceSample s;
        s.t_s = t;
        s.contact = contact;
        s.commanded_force_n = 5.0;
        s.measured_force_n = 5.0 + 0.1 * contact;
        writer.append_sample(s);
      }
      if (now - last_report >= std::chrono::milliseconds(10)) {
        char line[64];
        const int n = std::snprintf(line, sizeof line, "%.9f\n", t);
        if (write(fd, line, static_cast<std::size_t>(n)) != n) _exit(4);
        last_report = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "log writer child: %s\n", e.what());
    _exit(2);
  }
}

class SessionLogKill : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { HEADSPA_REQUIRE_DATABASE(db_); }
  FreshDatabase db_{GetParam()};
};

TEST_P(SessionLogKill, LosesAtMostASecondAndStaysConsistent) {
  RecordId session_id = 0;
  {
    Store store = open_store(db_.location());
    session_id = store.create_session(std::nullopt, std::nullopt);
    store.set_session_state(session_id, SessionState::kRunning);
  }
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::fflush(nullptr);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    write_log_until_killed(db_.location(), session_id, pipe_fds[1]);
  }
  close(pipe_fds[1]);

  // Read progress until the child has written 3 s of log, then kill it mid-write.
  std::string buffer;
  double reported = -1.0;
  const auto read_available = [&](int timeout_ms) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[4096];
    const ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1)) {
      reported = std::stod(buffer.substr(0, nl));
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (reported < 3.0 && std::chrono::steady_clock::now() < deadline) {
    if (!read_available(1000)) break;
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  // What the child wrote to the pipe before it died counts as reported.
  while (read_available(0)) {
  }
  close(pipe_fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child stopped by itself (status " << status << ") after t = " << reported;
  ASSERT_GE(reported, 3.0) << "the child did not write 3 s of log";

  // Reopen: the database is consistent and holds all but the last second.
  Store store = open_store(db_.location());
  EXPECT_EQ(store.integrity_check(), "ok");
  const auto last = store.last_trace_time_s(session_id);
  ASSERT_TRUE(last.has_value());
  EXPECT_GE(*last, reported - 1.0)
      << "lost more than 1 s: stored up to " << *last << " s, child reported " << reported << " s";
  EXPECT_LE(*last, reported + 0.05);  // nothing stored that the child had not yet appended
  const auto trace = store.session_trace(session_id);
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace.back().t_s, *last);
  for (std::size_t i = 1; i < trace.size(); ++i) ASSERT_LE(trace[i - 1].t_s, trace[i].t_s);
  const auto events = store.session_events(session_id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, EventKind::kStart);
  // The session is still marked running: whoever reopens it decides how it ended.
  EXPECT_EQ(store.session(session_id)->state, SessionState::kRunning);
  std::printf("kill -9 (%s): child reported %.3f s, stored up to %.3f s (%zu samples)\n",
              GetParam().c_str(), reported, *last, trace.size());
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionLogKill, testing::kBackends, testing::backend_name);

}  // namespace
}  // namespace headspa::store
