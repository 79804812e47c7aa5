// Plans for the API: a bounded queue in front of a few planning workers, and a cache keyed by
// the plan's inputs. The planner is deterministic (same inputs and seed, same plan), so a request
// whose inputs were planned before gets the stored plan at once, and requests for inputs being
// planned right now wait for that one result instead of planning again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/store/records.hpp"
#include "store_pool.hpp"

namespace headspa::server {

// What the plan request asked for.
struct PlanRequest {
  std::string protocol_id;                  // a built-in protocol, or
  std::optional<std::string> protocol_doc;  // a protocol document (YAML or JSON text)
  std::optional<std::string> client_id;     // plan for this client's latest intake and analysis
  std::uint64_t seed = 1;
};

// A stored plan: its id and a short JSON summary.
struct PlanAnswer {
  bool created = false;  // false: the same inputs were planned before
  store::RecordId plan_id = 0;
  std::string summary_json;
};

class PlanService {
 public:
  PlanService(const anatomy::Head& head, std::string head_sha256, StorePool& pool, int workers,
              std::size_t queue_capacity);
  ~PlanService();
  PlanService(const PlanService&) = delete;
  PlanService& operator=(const PlanService&) = delete;

  // Plans (or finds) the plan; blocks until it is stored. ApiError: 400 bad input, 404 unknown
  // client, 422 refused by screening or failed validation, 503 when the queue is full.
  PlanAnswer request(const PlanRequest& request);

  // Stops the workers; requests still queued are answered 503.
  void stop();

  std::size_t queued() const;

 private:
  struct Job;
  void run_worker();

  const anatomy::Head& head_;
  std::string head_sha256_;
  StorePool& pool_;
  std::size_t capacity_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;
  std::map<std::string, std::shared_future<PlanAnswer>> in_flight_;
  std::map<std::string, PlanAnswer> done_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace headspa::server
