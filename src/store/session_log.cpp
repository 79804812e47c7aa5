#include "headspa/store/session_log.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "headspa/core/error.hpp"
#include "headspa/core/log.hpp"

namespace headspa::store {

bool SessionLogOptions::IsValid(std::string* why) const {
  if (!(flush_period_s > 0.0 && flush_period_s <= 1.0)) {
    if (why != nullptr) *why = "flush_period_s must be in (0, 1] s";
    return false;
  }
  if (max_pending_samples == 0) {
    if (why != nullptr) *why = "max_pending_samples must be at least 1";
    return false;
  }
  return true;
}

namespace {

Store open_for_log(const std::string& location, RecordId session_id,
                   const SessionLogOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) {
    throw InputError(InputLocation{"", 0, 0, "session_log_options"}, why);
  }
  Store store = open_store(location, OpenOptions{.migrate = false, .create = false});
  if (!store.session(session_id)) {
    throw InputError(InputLocation{"", 0, 0, "session_id"},
                     "no session " + std::to_string(session_id));
  }
  return store;
}

}  // namespace

SessionLogWriter::SessionLogWriter(const std::string& location, RecordId session_id,
                                   SessionLogOptions options)
    : store_(open_for_log(location, session_id, options)),
      session_id_(session_id),
      options_(options) {
  const std::size_t per_period =
      static_cast<std::size_t>(std::ceil(options_.flush_period_s * 4000.0));  // 2 arms at 2 kHz
  samples_.reserve(std::min(per_period, options_.max_pending_samples));
  thread_ = std::thread([this] { run(); });
}

SessionLogWriter::~SessionLogWriter() {
  try {
    close();
  } catch (const std::exception& e) {
    log::error(std::string("session log ") + std::to_string(session_id_) + ": " + e.what());
  }
}

void SessionLogWriter::append_event(SessionEvent event) {
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
}

void SessionLogWriter::append_sample(const TraceSample& sample) {
  std::lock_guard lock(mutex_);
  if (samples_.size() >= options_.max_pending_samples) {
    ++stats_.dropped_samples;
    return;
  }
  samples_.push_back(sample);
}

void SessionLogWriter::flush() {
  std::unique_lock lock(mutex_);
  if (closed_) return;
  const std::uint64_t target = ++appended_batches_;
  flush_requested_ = true;
  wake_.notify_one();
  committed_.wait(lock, [&] { return committed_batches_ >= target; });
  if (!stats_.last_error.empty()) throw StoreError("session log: " + stats_.last_error);
}

void SessionLogWriter::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  committed_.notify_all();
  if (!stats_.last_error.empty()) throw StoreError("session log: " + stats_.last_error);
}

SessionLogStats SessionLogWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void SessionLogWriter::run() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.flush_period_s));
  auto next = Clock::now() + period;
  for (;;) {
    std::uint64_t batch = 0;
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next, [&] { return stopping_ || flush_requested_; });
      flush_requested_ = false;
      stop = stopping_;
      batch = appended_batches_;
      // Take what was appended; the session thread keeps the (cleared) buffers' capacity.
      if (writing_events_.empty()) {
        writing_events_.swap(events_);
      } else {
        writing_events_.insert(writing_events_.end(), events_.begin(), events_.end());
        events_.clear();
      }
      if (writing_samples_.empty()) {
        writing_samples_.swap(samples_);
      } else {
        // A batch kept from a failed commit: what no longer fits under the cap is dropped.
        const std::size_t room = options_.max_pending_samples > writing_samples_.size()
                                     ? options_.max_pending_samples - writing_samples_.size()
                                     : 0;
        const std::size_t kept = std::min(room, samples_.size());
        writing_samples_.insert(writing_samples_.end(), samples_.begin(),
                                samples_.begin() + static_cast<std::ptrdiff_t>(kept));
        stats_.dropped_samples += samples_.size() - kept;
        samples_.clear();
      }
    }
    next = Clock::now() + period;
    commit_pending();  // a failed commit keeps its batch for the next period
    {
      std::lock_guard lock(mutex_);
      committed_batches_ = batch;
    }
    committed_.notify_all();
    if (stop) return;
  }
}

void SessionLogWriter::commit_pending() {
  if (writing_events_.empty() && writing_samples_.empty()) {
    std::lock_guard lock(mutex_);
    stats_.last_error.clear();
    return;
  }
  std::string error;
  bool retry = true;
  try {
    store_.append_session_log(session_id_, writing_events_, writing_samples_);
  } catch (const InputError& e) {
    error = e.what();
    retry = false;  // bad input will not get better: drop it rather than block the log behind it
  } catch (const std::exception& e) {
    error = e.what();  // the database failed: keep the batch for the next period
  }
  std::lock_guard lock(mutex_);
  if (!error.empty()) {
    ++stats_.failed_commits;
    stats_.last_error = error;
    if (!retry) {
      stats_.dropped_samples += writing_samples_.size();
      writing_events_.clear();
      writing_samples_.clear();
    }
    return;
  }
  ++stats_.commits;
  stats_.committed_events += writing_events_.size();
  stats_.committed_samples += writing_samples_.size();
  if (!writing_samples_.empty()) stats_.last_committed_t_s = writing_samples_.back().t_s;
  stats_.last_error.clear();
  // Cleared, not freed: the next swap hands this capacity back to the session thread.
  writing_events_.clear();
  writing_samples_.clear();
}

}  // namespace headspa::store
