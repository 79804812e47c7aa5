#include "plan_service.hpp"

#include <nlohmann/json.hpp>

#include <utility>

#include "api_error.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/protocol.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "headspa/core/log.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/plan/planner.hpp"

namespace headspa::server {

struct PlanService::Job {
  std::string key;
  care::PersonalisedProtocol routine;
  std::optional<care::Intake> intake;
  plan::InputHashes hashes;
  std::optional<std::string> client_id;
  std::promise<PlanAnswer> promise;
};

namespace {

std::string summary_json(const plan::SessionPlan& p, store::RecordId id, const std::string& sha) {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["protocol_id"] = p.protocol_id;
  j["title"] = p.title;
  j["duration_s"] = p.duration_s;
  j["segments"] = p.segments.size();
  j["samples"] = p.tracks[0].size() + p.tracks[1].size();
  j["validation_ok"] = p.validation.ok;
  j["sha256"] = sha;
  auto& regions = j["regions"] = nlohmann::ordered_json::array();
  for (const auto& r : p.regions) {
    regions.push_back({{"region", anatomy::region_name(r.region)},
                       {"targeted", r.targeted},
                       {"coverage", r.coverage},
                       {"contact_time_s", r.contact_time_s},
                       {"peak_force_n", r.peak_force_n},
                       {"cap_n", r.cap_n}});
  }
  return j.dump();
}

std::string rejection_json(const plan::ValidationReport& report) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& issue : report.issues) j.push_back(issue.check + ": " + issue.message);
  return j.dump();
}

}  // namespace

PlanService::PlanService(const anatomy::Head& head, std::string head_sha256, StorePool& pool,
                         int workers, std::size_t queue_capacity)
    : head_(head), head_sha256_(std::move(head_sha256)), pool_(pool), capacity_(queue_capacity) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { run_worker(); });
}

PlanService::~PlanService() { stop(); }

void PlanService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& job : queue_) {
    job->promise.set_exception(
        std::make_exception_ptr(ApiError(503, "the server is shutting down")));
  }
  queue_.clear();
}

std::size_t PlanService::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

PlanAnswer PlanService::request(const PlanRequest& req) {
  auto job = std::make_unique<Job>();
  // The protocol: built-in by id, or a document in the request.
  care::Protocol protocol;
  if (req.protocol_doc) {
    protocol = care::parse_protocol(*req.protocol_doc, "protocol");
    care::check_protocol_products(protocol, care::builtin_catalogue());
  } else {
    bool known = false;
    for (const auto& id : care::builtin_protocol_ids()) known = known || id == req.protocol_id;
    if (!known) throw ApiError(404, "no built-in protocol '" + req.protocol_id + "'", "protocol");
    protocol = care::builtin_protocol(req.protocol_id);
  }
  // The client's latest intake and scalp analysis, screened.
  care::Intake intake;
  care::ScalpFindings findings;
  bool have_findings = false;
  std::string intake_hash, scalp_hash;
  if (req.client_id) {
    auto db = pool_.acquire();
    if (!db->find_client(*req.client_id))
      throw ApiError(404, "no client '" + *req.client_id + "'", "client_id");
    if (auto in = db->latest_intake(*req.client_id)) {
      intake = care::parse_intake(in->json, "stored intake " + std::to_string(in->id));
      intake_hash = sha256_hex(in->json);
      job->intake = intake;
    }
    const store::ClientHistory history = db->client_history(*req.client_id);
    if (history.scalp_analysis) {
      findings = care::parse_scalp_findings(history.scalp_analysis->json, "stored scalp analysis");
      have_findings = true;
      scalp_hash = sha256_hex(history.scalp_analysis->json);
    }
  }
  const care::ScreeningResult screening =
      care::screen(intake, have_findings ? &findings : nullptr, care::builtin_rules());
  if (screening.decision == care::Decision::kRefused) {
    std::string why;
    for (const auto& r : screening.reasons()) why += (why.empty() ? "" : "; ") + r;
    throw ApiError(422, "screening refused the session: " + why, "client_id");
  }
  job->routine = care::personalise(protocol, intake, screening, have_findings ? &findings : nullptr,
                                   care::builtin_catalogue());
  job->client_id = req.client_id;
  job->hashes.protocol = sha256_hex(care::personalised_to_json(job->routine));
  job->hashes.intake = intake_hash;
  job->hashes.head = head_sha256_;
  job->hashes.scalp_report = scalp_hash;
  job->hashes.seed = req.seed;
  job->key =
      sha256_hex(job->hashes.protocol + "|" + intake_hash + "|" + head_sha256_ + "|" + scalp_hash +
                 "|" + std::to_string(req.seed) + "|" + req.client_id.value_or(""));

  std::shared_future<PlanAnswer> result;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (auto it = done_.find(job->key); it != done_.end()) {
      PlanAnswer a = it->second;
      a.created = false;
      return a;
    }
    if (auto it = in_flight_.find(job->key); it != in_flight_.end()) {
      result = it->second;
    } else {
      if (stopping_) throw ApiError(503, "the server is shutting down");
      if (queue_.size() >= capacity_) {
        throw ApiError(503, "the planner is busy (" + std::to_string(queue_.size()) +
                                " plans waiting); try again shortly");
      }
      result = job->promise.get_future().share();
      in_flight_.emplace(job->key, result);
      queue_.push_back(std::move(job));
      wake_.notify_one();
    }
  }
  return result.get();  // rethrows the worker's ApiError
}

void PlanService::run_worker() {
  std::unique_ptr<plan::PlanningSurface> surface;  // per worker: built on its first job
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    std::optional<PlanAnswer> answer;
    std::exception_ptr error;
    try {
      if (!surface) surface = std::make_unique<plan::PlanningSurface>(head_);
      plan::PlanInputs inputs;
      inputs.protocol = &job->routine;
      inputs.intake = job->intake ? &*job->intake : nullptr;
      inputs.hashes = job->hashes;
      inputs.seed = job->hashes.seed;
      const plan::SessionPlan p = plan::make_plan(*surface, inputs);
      store::Plan record;
      record.client_id = job->client_id;
      record.protocol_id = p.protocol_id;
      record.json = plan::plan_to_json(p);
      record.input_hashes = {{"protocol", job->hashes.protocol}, {"head", job->hashes.head}};
      if (!job->hashes.intake.empty()) record.input_hashes["intake"] = job->hashes.intake;
      if (!job->hashes.scalp_report.empty())
        record.input_hashes["scalp_report"] = job->hashes.scalp_report;
      const std::string sha = sha256_hex(record.json);  // what the store records
      auto db = pool_.acquire();
      const store::RecordId id = db->add_plan(record);
      answer = PlanAnswer{true, id, summary_json(p, id, sha)};
    } catch (const plan::PlanRejected& e) {
      error = std::make_exception_ptr(ApiError(
          422,
          std::string("the plan failed validation: ") + e.what() + " " + rejection_json(e.report()),
          "protocol"));
    } catch (const InputError& e) {
      error = std::make_exception_ptr(ApiError(400, e.what(), e.where().field_path));
    } catch (const std::exception& e) {
      log::error(std::string("planning failed: ") + e.what());
      error = std::make_exception_ptr(ApiError(500, std::string("planning failed: ") + e.what()));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (answer) {
      done_[job->key] = *answer;
      if (done_.size() > 4096) done_.clear();
      job->promise.set_value(*answer);
    } else {
      job->promise.set_exception(error);
    }
    in_flight_.erase(job->key);
  }
}

}  // namespace headspa::server
