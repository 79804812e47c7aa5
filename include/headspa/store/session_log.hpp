// The session log, written while a session runs.
//
// The session thread appends events and trace samples; they go into an in-memory buffer under a
// short lock (no disk, no database). A background thread swaps the buffer out and commits it in one
// transaction every flush period (0.25 s by default, never more than 1 s), so a process killed
// mid-session loses at most the last period of log, and the database stays consistent.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "headspa/store/records.hpp"
#include "headspa/store/store.hpp"

namespace headspa::store {

struct SessionLogOptions {
  double flush_period_s = 0.25;  // time between commits; at most 1 s
  // Samples waiting for a commit beyond this are dropped (and counted), so a stalled database
  // cannot eat the session's memory.
  std::size_t max_pending_samples = 1u << 20;

  // True when the options are usable; otherwise *why says which field is wrong.
  bool IsValid(std::string* why) const;
};

// Counters for a session log writer.
struct SessionLogStats {
  std::uint64_t committed_events = 0;
  std::uint64_t committed_samples = 0;
  std::uint64_t dropped_samples = 0;
  std::uint64_t commits = 0;
  std::uint64_t failed_commits = 0;  // retried at the next period
  std::optional<double> last_committed_t_s;
  std::string last_error;  // of the latest failed commit, "" when the latest commit succeeded
};

class SessionLogWriter {
 public:
  // Opens its own connection to `location` and starts the flush thread. InputError for bad
  // options or a session that does not exist.
  SessionLogWriter(const std::string& location, RecordId session_id,
                   SessionLogOptions options = {});
  // Commits what is left (errors are logged, not thrown; call close() to see them).
  ~SessionLogWriter();
  SessionLogWriter(const SessionLogWriter&) = delete;
  SessionLogWriter& operator=(const SessionLogWriter&) = delete;

  RecordId session_id() const noexcept { return session_id_; }

  // From the session thread: never waits on the database.
  void append_event(SessionEvent event);
  void append_sample(const TraceSample& sample);

  // Waits until everything appended so far is committed; StoreError when a commit fails.
  void flush();
  // Flushes, stops the thread; StoreError when the last commit failed. Idempotent.
  void close();

  SessionLogStats stats() const;

 private:
  void run();
  void commit_pending();  // on the flush thread; a failure is kept in stats_

  Store store_;
  RecordId session_id_;
  SessionLogOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;       // the flush thread waits on this
  std::condition_variable committed_;  // flush() waits on this
  std::vector<SessionEvent> events_;
  std::vector<TraceSample> samples_;
  std::uint64_t appended_batches_ = 0;  // bumped by flush(): a request to commit now
  std::uint64_t committed_batches_ = 0;
  bool flush_requested_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  SessionLogStats stats_;

  // Owned by the flush thread: what it is committing, kept across a failed commit.
  std::vector<SessionEvent> writing_events_;
  std::vector<TraceSample> writing_samples_;

  std::thread thread_;
};

}  // namespace headspa::store
