#include "headspa/server/server.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <sstream>
#include <thread>

#include "api_error.hpp"
#include "head_view.hpp"
#include "headspa/anatomy/head.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/control/head_field.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "headspa/core/log.hpp"
#include "headspa/geometry/mesh_hash.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/plan/planner.hpp"
#include "headspa/scalp/analysis.hpp"
#include "headspa/scalp/analyzer.hpp"
#include "headspa/server/guide.hpp"
#include "headspa/store/store.hpp"
#include "live_session.hpp"
#include "plan_service.hpp"
#include "store_pool.hpp"

#ifdef HEADSPA_SERVER_WITH_REPORT
#include "headspa/care/home_care.hpp"
#include "headspa/report/report.hpp"
#endif

// After Eigen (through the headers above): glibc's resolv.h, which httplib includes, defines a
// macro `_res` that Eigen uses as a parameter name.
#include <httplib.h>
#include <sys/socket.h>

namespace headspa::server {
namespace {

// Connections waiting to be accepted. Debian's cpp-httplib is a compiled library that listens
// with its built-in backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG in our own compile changes nothing):
// a burst of clients on a busy machine overflowed that queue (the kernel's ListenOverflows count
// grew by thousands), their handshakes were dropped and retried with growing back-off, and some
// clients, having sent their request on a connection never accepted, waited until their read
// timeout (httplib's client reports a "Read" error). The kernel caps the backlog at
// net.core.somaxconn (4096 by default).
constexpr int kListenBacklog = 1024;

// httplib's server with the listening socket's backlog widened after binding (listen() on a
// socket that listens already sets its backlog anew).
class HttpServer : public httplib::Server {
 public:
  bool widen_backlog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;
using httplib::Request;
using httplib::Response;

constexpr const char* kVersion = "0.1.0";

// An Accept-Encoding value without its br entries ("br, gzip, deflate" -> "gzip, deflate").
std::string without_brotli(const std::string& accept) {
  std::string out;
  std::size_t at = 0;
  while (at <= accept.size()) {
    std::size_t end = accept.find(',', at);
    if (end == std::string::npos) end = accept.size();
    std::string item = accept.substr(at, end - at);
    const auto first = item.find_first_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first);
    const auto coding = item.substr(0, item.find_first_of(" \t;"));
    if (!item.empty() && coding != "br" && coding != "BR" && coding != "Br") {
      out += (out.empty() ? "" : ", ") + item;
    }
    at = end + 1;
  }
  return out.empty() ? "identity" : out;
}

void send_json(Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void send_error(Response& res, int status, const std::string& message,
                const std::string& field = {}) {
  OJson j;
  j["error"]["status"] = status;
  j["error"]["message"] = message;
  if (!field.empty()) j["error"]["field"] = field;
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

std::string mime_for(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

// The encoded image's media type from its first bytes; empty when it is neither JPEG nor PNG.
std::string sniff_image(const std::string& bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xff &&
      static_cast<unsigned char>(bytes[1]) == 0xd8 && static_cast<unsigned char>(bytes[2]) == 0xff)
    return "image/jpeg";
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return "image/png";
  return "";
}

// ---- request parsing ----

Json parse_body(const Request& req, std::size_t max_bytes) {
  if (req.body.size() > max_bytes) {
    throw ApiError(413, "the request body is " + std::to_string(req.body.size()) +
                            " bytes; at most " + std::to_string(max_bytes) + " are accepted");
  }
  const std::string type = req.get_header_value("Content-Type");
  if (!req.body.empty() && type.find("application/json") == std::string::npos) {
    throw ApiError(
        415, "the request body must be JSON (Content-Type: application/json), not '" + type + "'");
  }
  if (req.body.empty()) return Json::object();
  Json j;
  try {
    j = Json::parse(req.body);
  } catch (const Json::parse_error& e) {
    throw ApiError(400, "the request body is not valid JSON: byte " + std::to_string(e.byte) +
                            ": " + e.what());
  }
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

void allow_fields(const Json& j, std::initializer_list<const char*> names) {
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* n : names) known = known || key == n;
    if (!known) {
      std::string list;
      for (const char* n : names) list += (list.empty() ? "" : ", ") + std::string(n);
      throw ApiError(400, "unknown field '" + key + "' (expected: " + list + ")", key);
    }
  }
}

std::optional<std::string> opt_string(const Json& j, const char* name, std::size_t max_len) {
  if (!j.contains(name) || j[name].is_null()) return std::nullopt;
  if (!j[name].is_string()) throw ApiError(400, std::string(name) + ": must be a string", name);
  const auto s = j[name].get<std::string>();
  if (s.size() > max_len) {
    throw ApiError(
        400, std::string(name) + ": longer than " + std::to_string(max_len) + " characters", name);
  }
  return s;
}

std::optional<double> opt_number(const Json& j, const char* name, double lo, double hi) {
  if (!j.contains(name) || j[name].is_null()) return std::nullopt;
  if (!j[name].is_number()) throw ApiError(400, std::string(name) + ": must be a number", name);
  const double v = j[name].get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s: %g is outside %g..%g", name, v, lo, hi);
    throw ApiError(400, buf, name);
  }
  return v;
}

store::RecordId parse_id(const std::string& text, const char* what) {
  store::RecordId id = 0;
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw ApiError(400, std::string(what) + " id '" + text + "' is not a positive integer", what);
  }
  id = std::stoll(text);
  if (id <= 0) throw ApiError(400, std::string(what) + " id must be positive", what);
  return id;
}

double query_number(const Request& req, const char* name, double fallback, double lo, double hi) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d) || d < lo || d > hi) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "query parameter %s='%.40s' must be a number in %g..%g", name,
                  v.c_str(), lo, hi);
    throw ApiError(400, buf, name);
  }
  return d;
}

OJson client_json(const store::Client& c) {
  OJson j;
  j["id"] = c.id;
  j["name"] = c.name ? OJson(*c.name) : OJson(nullptr);
  j["created_us"] = c.created_us;
  return j;
}

OJson session_record_json(const store::Session& s) {
  OJson j;
  j["id"] = s.id;
  j["client_id"] = s.client_id ? OJson(*s.client_id) : OJson(nullptr);
  j["plan_id"] = s.plan_id ? OJson(*s.plan_id) : OJson(nullptr);
  j["state"] = store::to_string(s.state);
  j["outcome"] = s.outcome;
  j["created_us"] = s.created_us;
  j["started_us"] = s.started_us ? OJson(*s.started_us) : OJson(nullptr);
  j["ended_us"] = s.ended_us ? OJson(*s.ended_us) : OJson(nullptr);
  return j;
}

}  // namespace

bool ServerOptions::IsValid(std::string* why) const {
  const auto fail = [&](const std::string& w) {
    if (why) *why = w;
    return false;
  };
  if (bind.empty()) return fail("--bind: empty address");
  if (!allow_remote && !is_loopback(bind)) {
    return fail("--bind " + bind +
                ": not a loopback address; pass --allow-remote to listen beyond this machine");
  }
  if (port < 0 || port > 65535) return fail("--port: must be 0..65535");
  if (max_json_bytes < 1024 || max_json_bytes > (64u << 20)) return fail("max_json_bytes");
  if (max_upload_bytes < 1024 || max_upload_bytes > (256u << 20)) return fail("max_upload_bytes");
  if (max_images < 1 || max_images > 64) return fail("max_images: 1..64");
  if (http_threads < 4 || http_threads > 1024) return fail("http_threads: 4..1024");
  if (plan_workers < 1 || plan_workers > 64) return fail("--plan-workers: 1..64");
  if (plan_queue < 1 || plan_queue > 100000) return fail("plan_queue: 1..100000");
  if (max_live_sessions < 1 || max_live_sessions > 64) return fail("max_live_sessions: 1..64");
  if (max_streams < 1 || max_streams > 1000) return fail("max_streams: 1..1000");
  if (!(session_speed >= 0 && session_speed <= 1000)) return fail("--speed: 0..1000");
  if (!(trace_rate_hz >= 1 && trace_rate_hz <= 1000)) return fail("trace_rate_hz: 1..1000");
  if (head_vertices < 2000 || head_vertices > 200000) return fail("head_vertices: 2000..200000");
  return true;
}

struct Server::Impl {
  ServerOptions options;
  std::string location;
  StorePool pool;
  anatomy::Head head;
  std::string head_json;
  std::string head_sha256;  // of the built-in head's vertices and faces
  std::unique_ptr<PlanService> plans;
  std::map<std::string, std::pair<std::string, std::string>> files;  // url -> (bytes, mime)

  std::once_flag field_once;
  std::unique_ptr<control::HeadField> field;

  std::mutex cache_mutex;
  std::mutex playback_mutex;  // held while a playback is computed
  std::map<store::RecordId, std::shared_ptr<const plan::SessionPlan>> plan_cache;
  std::map<std::pair<store::RecordId, int>, std::string> playback_cache;

  std::mutex sessions_mutex;
  std::map<store::RecordId, std::shared_ptr<LiveSession>> sessions;

  std::atomic<int> streams{0};
  std::atomic<bool> stopping{false};
  HttpServer http;
  std::thread listener;
  int port = 0;
  std::mutex stop_mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  std::once_flag shutdown_once;

  explicit Impl(ServerOptions o)
      : options(std::move(o)), location(store::resolve_location(options.db)), pool(location) {}

  void load_web_root();
  void routes();
  bool authorised(const Request& req, Response& res);
  std::shared_ptr<const plan::SessionPlan> load_plan(store::RecordId id);
  const control::HeadField& head_field();
  std::shared_ptr<LiveSession> live(store::RecordId id);
  std::string report_json(store::RecordId id);
  std::string report_html(store::RecordId id);
  void shut_down();

  template <typename F>
  httplib::Server::Handler api(F f) {
    return [f](const Request& req, Response& res) {
      try {
        f(req, res);
      } catch (const ApiError& e) {
        if (e.status() == 503) res.set_header("Retry-After", "1");
        send_error(res, e.status(), e.what(), e.field());
      } catch (const InputError& e) {
        send_error(res, 400, e.what(), e.where().field_path);
      } catch (const store::StoreError& e) {
        res.set_header("Retry-After", "1");
        send_error(res, 503, std::string("the database is unavailable: ") + e.what());
      } catch (const Json::exception& e) {
        send_error(res, 400, std::string("bad JSON value: ") + e.what());
      } catch (const std::bad_alloc&) {
        send_error(res, 503, "out of memory");
      } catch (const std::exception& e) {
        log::error(std::string("server: ") + req.method + " " + req.path + ": " + e.what());
        send_error(res, 500, std::string("internal error: ") + e.what());
      }
    };
  }
};

void Server::Impl::load_web_root() {
  if (options.web_root.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(options.web_root, ec);
  if (ec || !fs::is_directory(root)) {
    throw InputError(InputLocation{options.web_root, 0, 0, "--web"},
                     "not a folder with the web page (build it with `cmake --build build`)");
  }
  if (!fs::exists(root / "index.html")) {
    throw InputError(InputLocation{options.web_root, 0, 0, "--web"}, "has no index.html");
  }
  // The page is read once; requests are answered from memory, so no request path ever reaches
  // the file system.
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it.depth() > 4 || !it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::string url = "/" + fs::relative(it->path(), root).generic_string();
    files[url] = {bytes.str(), mime_for(it->path())};
  }
  files["/"] = files["/index.html"];
}

bool Server::Impl::authorised(const Request& req, Response& res) {
  const std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"headspa\"");
    send_error(res, 401,
               "this needs a token: Authorization: Bearer <token> (headspa token create)");
    return false;
  }
  const std::string secret = header.substr(prefix.size());
  bool ok = false;
  try {
    auto db = pool.acquire();
    ok = secret.size() <= 128 && db->verify_token(secret).has_value();
  } catch (const std::exception& e) {
    send_error(res, 503, std::string("the database is unavailable: ") + e.what());
    return false;
  }
  if (!ok) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"headspa\", error=\"invalid_token\"");
    send_error(res, 401, "the token is unknown or revoked");
  }
  return ok;
}

const control::HeadField& Server::Impl::head_field() {
  std::call_once(field_once, [&] {
    // The caps as the planner planned to: on a coarse scan, those of its split copy.
    const std::unique_ptr<anatomy::Head> split = plan::planning_head(head);
    field = std::make_unique<control::HeadField>(split != nullptr ? *split : head);
  });
  return *field;
}

std::shared_ptr<const plan::SessionPlan> Server::Impl::load_plan(store::RecordId id) {
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (auto it = plan_cache.find(id); it != plan_cache.end()) return it->second;
  }
  std::optional<store::Plan> record;
  {
    auto db = pool.acquire();
    record = db->plan(id);
  }
  if (!record) throw ApiError(404, "no plan " + std::to_string(id), "plan_id");
  auto parsed = std::make_shared<const plan::SessionPlan>(
      plan::parse_plan_json(record->json, "plan " + std::to_string(id)));
  std::lock_guard<std::mutex> lock(cache_mutex);
  if (plan_cache.size() >= 8) plan_cache.erase(plan_cache.begin());
  plan_cache[id] = parsed;
  return parsed;
}

std::shared_ptr<LiveSession> Server::Impl::live(store::RecordId id) {
  std::lock_guard<std::mutex> lock(sessions_mutex);
  const auto it = sessions.find(id);
  return it == sessions.end() ? nullptr : it->second;
}

std::string Server::Impl::report_json(store::RecordId id) {
  auto db = pool.acquire();
  const auto s = db->session(id);
  if (!s) throw ApiError(404, "no session " + std::to_string(id));
  OJson j;
  j["format"] = "headspa/session-report@1";
  j["session"] = session_record_json(*s);
  if (s->plan_id) {
    if (auto p = db->plan(*s->plan_id)) {
      j["plan"] = {{"id", p->id}, {"protocol_id", p->protocol_id}, {"sha256", p->sha256}};
    }
  }
  const auto events = db->session_events(id);
  auto& ev = j["events"] = OJson::array();
  std::map<std::string, int> counts;
  for (const auto& e : events) {
    const std::string kind(store::to_string(e.kind));
    ++counts[kind];
    ev.push_back({{"t_s", e.t_s}, {"kind", kind}, {"cause", e.cause}});
  }
  j["event_counts"] = counts;
  // Force per contact: how closely the measured force followed the commanded one.
  const auto trace = db->session_trace(id);
  auto& contacts = j["contacts"] = OJson::array();
  double last_t = 0;
  for (std::uint32_t c = 0; c < 2; ++c) {
    double sum_sq = 0, max_cmd = 0, max_meas = 0;
    long n = 0, touching = 0;
    for (const auto& t : trace) {
      if (t.contact != c) continue;
      last_t = std::max(last_t, t.t_s);
      max_cmd = std::max(max_cmd, t.commanded_force_n);
      max_meas = std::max(max_meas, t.measured_force_n);
      if (t.commanded_force_n > 0.05) {
        const double e = t.measured_force_n - t.commanded_force_n;
        sum_sq += e * e;
        ++touching;
      }
      ++n;
    }
    contacts.push_back(
        {{"contact", c == 0 ? "left" : "right"},
         {"samples", n},
         {"max_commanded_n", max_cmd},
         {"max_measured_n", max_meas},
         {"force_rms_error_n", touching ? std::sqrt(sum_sq / static_cast<double>(touching)) : 0.0},
         {"contact_samples", touching}});
  }
  j["traced_s"] = last_t;
  return j.dump();
}

std::string Server::Impl::report_html(store::RecordId id) {
#ifdef HEADSPA_SERVER_WITH_REPORT
  std::optional<store::Session> record;
  std::optional<store::Intake> intake_record;
  {
    auto db = pool.acquire();
    record = db->session(id);
    if (!record) throw ApiError(404, "no session " + std::to_string(id));
    if (record->client_id) intake_record = db->latest_intake(*record->client_id);
  }
  const auto l = live(id);
  const auto result = l ? l->result() : nullptr;
  if (!result || !record->plan_id) {
    throw ApiError(409,
                   "the HTML report is made for sessions this server ran since it started, "
                   "once they have ended; the JSON report is at /api/v1/sessions/" +
                       std::to_string(id) + "/report");
  }
  care::Intake intake;
  if (intake_record) intake = care::parse_intake(intake_record->json, "stored intake");
  const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
  const care::HomeCareRoutine home =
      care::make_home_care(intake, nullptr, care::builtin_rules(), care::builtin_catalogue());
  const auto plan = load_plan(*record->plan_id);
  report::ReportInputs in;
  in.intake = &intake;
  in.intake_file = intake_record ? "stored intake " + std::to_string(intake_record->id) : "";
  in.screening = &screening;
  in.home_care = &home;
  in.head = &head;
  in.head_source = "built-in head";
  in.plan = plan.get();
  in.session = result.get();
  in.world_to_head = l->world_to_head();
  in.records.database = store::is_postgres_location(location) ? "postgresql" : location;
  in.records.client_id = record->client_id.value_or("");
  in.records.plan_id = *record->plan_id;
  in.records.session_id = id;
  return report::report_to_html(report::make_report(in));
#else
  throw ApiError(
      404, "this headspa was built without the report module (session " + std::to_string(id) + ")");
#endif
}

void Server::Impl::routes() {
  auto& s = http;

  // Tokens first: every API route but health needs one.
  s.set_pre_routing_handler([this](const Request& req, Response& res) {
    // httplib compresses a text or JSON answer with the best encoding the client accepts, and its
    // brotli runs at quality 11: about 10 s of CPU per megabyte on a loaded machine (26 s for
    // the head's 2.4 MB), whenever a client lists br (curl --compressed, httplib's client built
    // with brotli). Offer httplib only gzip and deflate (0.7 s for the head). The request object
    // is httplib's own, not const; only the handlers' view of it is.
    if (req.has_header("Accept-Encoding")) {
      auto& headers = const_cast<Request&>(req).headers;
      const auto range = headers.equal_range("Accept-Encoding");
      for (auto it = range.first; it != range.second; ++it) it->second = without_brotli(it->second);
    }
    if (req.path.rfind("/api/", 0) != 0 || req.path == "/api/v1/health") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    return authorised(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                : httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    std::string what = "error";
    if (res.status == 404) what = "nothing at " + req.path;
    if (res.status == 413) what = "the request body is too large";
    if (res.status == 414) what = "the request URI is too long";
    if (res.status == 400) what = "malformed request";
    send_error(res, res.status, what);
  });
  s.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });

  s.Get("/api/v1/health", api([this](const Request&, Response& res) {
          OJson j;
          j["status"] = "ok";
          j["version"] = kVersion;
          j["store"] = store::is_postgres_location(location) ? "postgresql" : "sqlite";
          send_json(res, 200, j.dump());
        }));

  s.Get("/api/v1/protocols", api([](const Request&, Response& res) {
          OJson arr = OJson::array();
          for (const auto& id : care::builtin_protocol_ids()) {
            const care::Protocol p = care::builtin_protocol(id);
            arr.push_back({{"id", p.id},
                           {"title", p.title},
                           {"nominal_duration_s", p.nominal_duration_s()},
                           {"steps", p.steps.size()}});
          }
          send_json(res, 200, arr.dump());
        }));

  s.Get(R"(/api/v1/protocols/([A-Za-z0-9_-]{1,80}))", api([](const Request& req, Response& res) {
          const std::string id = req.matches[1];
          for (const auto& known : care::builtin_protocol_ids()) {
            if (known == id)
              return send_json(res, 200, care::protocol_to_json(care::builtin_protocol(id)));
          }
          throw ApiError(404, "no built-in protocol '" + id + "'");
        }));

  s.Get(R"(/api/v1/guide/([A-Za-z0-9_-]{1,80}))", api([this](const Request& req, Response& res) {
          const std::string id = req.matches[1];
          bool known = false;
          for (const auto& k : care::builtin_protocol_ids()) known = known || k == id;
          if (!known) throw ApiError(404, "no built-in protocol '" + id + "'");
          care::Intake intake;
          if (req.has_param("client_id")) {
            const std::string client = req.get_param_value("client_id");
            auto db = pool.acquire();
            if (!db->find_client(client))
              throw ApiError(404, "no client '" + client + "'", "client_id");
            if (auto in = db->latest_intake(client))
              intake = care::parse_intake(in->json, "intake");
          }
          const care::ScreeningResult screening =
              care::screen(intake, nullptr, care::builtin_rules());
          const care::PersonalisedProtocol routine = care::personalise(
              care::builtin_protocol(id), intake, screening, nullptr, care::builtin_catalogue());
          send_json(res, 200, guide_to_json(routine, guide_cards(routine)));
        }));

  s.Get("/api/v1/head",
        api([this](const Request&, Response& res) { send_json(res, 200, head_json); }));

  // ---- clients and what they bring ----
  s.Get("/api/v1/clients", api([this](const Request&, Response& res) {
          auto db = pool.acquire();
          OJson arr = OJson::array();
          for (const auto& c : db->list_clients()) arr.push_back(client_json(c));
          send_json(res, 200, arr.dump());
        }));

  s.Post("/api/v1/clients", api([this](const Request& req, Response& res) {
           const Json body = parse_body(req, options.max_json_bytes);
           allow_fields(body, {"name"});
           const auto name = opt_string(body, "name", 200);
           auto db = pool.acquire();
           send_json(res, 201, client_json(db->create_client(name)).dump());
         }));

  s.Get(R"(/api/v1/clients/(cl_[a-z0-9]{1,40}))", api([this](const Request& req, Response& res) {
          const std::string id = req.matches[1];
          auto db = pool.acquire();
          if (!db->find_client(id)) throw ApiError(404, "no client '" + id + "'");
          const store::ClientHistory h = db->client_history(id);
          OJson j;
          j["client"] = client_json(h.client);
          j["intake"] = h.intake ? OJson::parse(h.intake->json) : OJson(nullptr);
          j["screening"] = h.screening ? OJson{{"id", h.screening->id},
                                               {"decision", h.screening->decision},
                                               {"screened_us", h.screening->screened_us}}
                                       : OJson(nullptr);
          j["scalp_analysis_id"] = h.scalp_analysis ? OJson(h.scalp_analysis->id) : OJson(nullptr);
          auto& plan_list = j["plans"] = OJson::array();
          for (const auto& p : h.plans) {
            plan_list.push_back(
                {{"id", p.id}, {"protocol_id", p.protocol_id}, {"created_us", p.created_us}});
          }
          auto& session_list = j["sessions"] = OJson::array();
          for (const auto& x : h.sessions) session_list.push_back(session_record_json(x));
          send_json(res, 200, j.dump());
        }));

  s.Post(R"(/api/v1/clients/(cl_[a-z0-9]{1,40})/intakes)",
         api([this](const Request& req, Response& res) {
           const std::string id = req.matches[1];
           const Json body = parse_body(req, options.max_json_bytes);
           allow_fields(body, {"intake"});
           if (!body.contains("intake") || !body["intake"].is_object()) {
             throw ApiError(400, "intake: required, an intake document (object)", "intake");
           }
           auto db = pool.acquire();
           if (!db->find_client(id)) throw ApiError(404, "no client '" + id + "'");
           const care::Intake intake = care::parse_intake(body["intake"].dump(), "intake");
           const store::RecordId rid = db->add_intake(id, care::intake_to_json(intake));
           OJson j;
           j["id"] = rid;
           j["client_id"] = id;
           j["intake"] = OJson::parse(care::intake_to_json(intake));
           send_json(res, 201, j.dump());
         }));

  s.Post(R"(/api/v1/clients/(cl_[a-z0-9]{1,40})/screenings)",
         api([this](const Request& req, Response& res) {
           const std::string id = req.matches[1];
           const Json body = parse_body(req, options.max_json_bytes);
           allow_fields(body, {});
           auto db = pool.acquire();
           if (!db->find_client(id)) throw ApiError(404, "no client '" + id + "'");
           const auto intake_record = db->latest_intake(id);
           if (!intake_record) throw ApiError(409, "client '" + id + "' has no intake yet");
           const care::Intake intake = care::parse_intake(intake_record->json, "intake");
           const store::ClientHistory h = db->client_history(id);
           care::ScalpFindings findings;
           if (h.scalp_analysis)
             findings = care::parse_scalp_findings(h.scalp_analysis->json, "scalp analysis");
           const care::ScreeningResult r =
               care::screen(intake, h.scalp_analysis ? &findings : nullptr, care::builtin_rules());
           const std::string json = care::screening_to_json(r);
           const std::string decision(care::to_string(r.decision));
           const store::RecordId rid = db->add_screening(id, intake_record->id, decision, json);
           OJson j;
           j["id"] = rid;
           j["decision"] = decision;
           j["reasons"] = r.reasons();
           j["screening"] = OJson::parse(json);
           send_json(res, 201, j.dump());
         }));

  s.Post(R"(/api/v1/clients/(cl_[a-z0-9]{1,40})/scalp-analyses)",
         api([this](const Request& req, Response& res) {
           const std::string id = req.matches[1];
           if (!req.is_multipart_form_data()) {
             throw ApiError(415, "upload the photos as multipart/form-data, field 'image'");
           }
           if (req.body.size() > options.max_upload_bytes) {
             throw ApiError(413, "the upload is larger than " +
                                     std::to_string(options.max_upload_bytes) + " bytes");
           }
           std::vector<store::ScalpImage> images;
           std::vector<scalp::ImageAnalysis> analyses;
           scalp::ScalpAnalyzer analyzer;
           int index = 0;
           for (const auto& [form_field, part] : req.files) {
             const std::string where = "image[" + std::to_string(index) + "]";
             if (form_field != "image")
               throw ApiError(400, "unknown form field '" + form_field + "'", form_field);
             if (++index > options.max_images) {
               throw ApiError(
                   413, "at most " + std::to_string(options.max_images) + " photos per analysis");
             }
             const std::string media = sniff_image(part.content);
             if (media.empty()) {
               throw ApiError(415, where + " ('" + part.filename + "'): not a JPEG or PNG image",
                              where);
             }
             // Only the file's base name is kept, and only as a label.
             std::string name = std::filesystem::path(part.filename).filename().string();
             if (name.size() > 120) name.resize(120);
             analyses.push_back(
                 analyzer.analyze_encoded(part.content.data(), part.content.size(), where));
             images.push_back(store::ScalpImage{name, media, part.content, {}});
           }
           if (images.empty())
             throw ApiError(400, "no photo: add one or more 'image' parts", "image");
           const std::string json = scalp::to_json(scalp::aggregate(std::move(analyses)));
           auto db = pool.acquire();
           if (!db->find_client(id)) throw ApiError(404, "no client '" + id + "'");
           const store::RecordId rid = db->add_scalp_analysis(id, json, images);
           OJson j;
           j["id"] = rid;
           j["client_id"] = id;
           j["images"] = images.size();
           j["analysis"] = OJson::parse(json);
           send_json(res, 201, j.dump());
         }));

  s.Get(R"(/api/v1/scalp-analyses/(\d{1,18}))", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "scalp analysis");
          auto db = pool.acquire();
          const auto a = db->scalp_analysis(id);
          if (!a) throw ApiError(404, "no scalp analysis " + std::to_string(id));
          OJson j;
          j["id"] = a->id;
          j["client_id"] = a->client_id;
          j["analysed_us"] = a->analysed_us;
          j["analysis"] = OJson::parse(a->json);
          auto& imgs = j["images"] = OJson::array();
          for (std::size_t i = 0; i < a->images.size(); ++i) {
            imgs.push_back({{"position", i},
                            {"name", a->images[i].name},
                            {"media_type", a->images[i].media_type},
                            {"sha256", a->images[i].sha256},
                            {"bytes", a->images[i].bytes.size()}});
          }
          send_json(res, 200, j.dump());
        }));

  s.Get(R"(/api/v1/scalp-analyses/(\d{1,18})/images/(\d{1,4}))",
        api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "scalp analysis");
          const auto n = static_cast<std::size_t>(std::stoul(req.matches[2]));
          auto db = pool.acquire();
          const auto a = db->scalp_analysis(id);
          if (!a) throw ApiError(404, "no scalp analysis " + std::to_string(id));
          if (n >= a->images.size()) throw ApiError(404, "no image " + std::to_string(n));
          const auto& img = a->images[n];
          const std::string type = sniff_image(img.bytes);
          res.set_header("X-Content-Type-Options", "nosniff");
          res.set_content(img.bytes, type.empty() ? "application/octet-stream" : type);
        }));

  // ---- plans ----
  s.Post("/api/v1/plans", api([this](const Request& req, Response& res) {
           const Json body = parse_body(req, options.max_json_bytes);
           allow_fields(body, {"protocol", "protocol_document", "client_id", "seed"});
           PlanRequest pr;
           const auto protocol = opt_string(body, "protocol", 80);
           pr.protocol_doc = opt_string(body, "protocol_document", options.max_json_bytes);
           if (protocol.has_value() == pr.protocol_doc.has_value()) {
             throw ApiError(400, "give either protocol (a built-in id) or protocol_document",
                            "protocol");
           }
           pr.protocol_id = protocol.value_or("");
           pr.client_id = opt_string(body, "client_id", 64);
           if (auto seed = opt_number(body, "seed", 0, 4294967295.0)) {
             if (*seed != std::floor(*seed))
               throw ApiError(400, "seed: must be an integer", "seed");
             pr.seed = static_cast<std::uint64_t>(*seed);
           }
           const PlanAnswer a = plans->request(pr);
           send_json(res, a.created ? 201 : 200, a.summary_json);
         }));

  s.Get(R"(/api/v1/plans/(\d{1,18}))", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "plan");
          auto db = pool.acquire();
          const auto p = db->plan(id);
          if (!p) throw ApiError(404, "no plan " + std::to_string(id));
          send_json(res, 200, p->json);
        }));

  s.Get(R"(/api/v1/plans/(\d{1,18})/playback)", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "plan");
          const int rate = static_cast<int>(query_number(req, "rate_hz", 10, 1, 50));
          const auto cached = [&] {
            std::lock_guard<std::mutex> lock(cache_mutex);
            const auto it = playback_cache.find({id, rate});
            return it == playback_cache.end() ? std::optional<std::string>() : it->second;
          };
          if (auto hit = cached()) return send_json(res, 200, *hit);
          // One playback is computed at a time (a long plan's JSON is large): requests for the
          // same one wait and then find it in the cache.
          std::lock_guard<std::mutex> computing(playback_mutex);
          if (auto hit = cached()) return send_json(res, 200, *hit);
          const auto p = load_plan(id);
          std::string json = playback_json(*p, head, rate);
          std::lock_guard<std::mutex> lock(cache_mutex);
          if (playback_cache.size() >= 16) playback_cache.erase(playback_cache.begin());
          playback_cache[{id, rate}] = json;
          send_json(res, 200, json);
        }));

  // ---- sessions on the twin ----
  s.Post("/api/v1/sessions", api([this](const Request& req, Response& res) {
           const Json body = parse_body(req, options.max_json_bytes);
           allow_fields(body, {"plan_id", "speed", "seed"});
           const auto plan_id = opt_number(body, "plan_id", 1, 9.0e15);
           if (!plan_id) throw ApiError(400, "plan_id: required", "plan_id");
           LiveSessionOptions lo;
           lo.speed = opt_number(body, "speed", 0, 1000).value_or(options.session_speed);
           lo.seed =
               static_cast<std::uint64_t>(opt_number(body, "seed", 0, 4294967295.0).value_or(1));
           lo.trace_rate_hz = options.trace_rate_hz;
           const auto pid = static_cast<store::RecordId>(*plan_id);
           {
             // The twin holds the built-in head: a plan made for another head must not run.
             auto db = pool.acquire();
             const auto record = db->plan(pid);
             if (!record) throw ApiError(404, "no plan " + std::to_string(pid), "plan_id");
             const auto head_hash = record->input_hashes.find("head");
             if (head_hash == record->input_hashes.end() || head_hash->second != head_sha256) {
               throw ApiError(409,
                              "plan " + std::to_string(pid) +
                                  " was not made for the built-in head this server's twin holds",
                              "plan_id");
             }
           }
           const auto plan = load_plan(pid);
           if (!plan->validation.ok) {
             throw ApiError(409, "plan " + std::to_string(pid) + " did not pass validation",
                            "plan_id");
           }
           const control::HeadField& head_map = head_field();
           std::lock_guard<std::mutex> lock(sessions_mutex);
           if (stopping) throw ApiError(503, "the server is shutting down");
           int running = 0;
           for (const auto& [sid, live_session] : sessions)
             running += live_session->ended() ? 0 : 1;
           if (running >= options.max_live_sessions) {
             throw ApiError(
                 503, "already " + std::to_string(running) + " sessions running; stop one or wait");
           }
           std::optional<std::string> client;
           {
             auto db = pool.acquire();
             if (auto record = db->plan(pid)) client = record->client_id;
             const store::RecordId sid = db->create_session(client, pid);
             // Keep the most recent ended sessions for their streams; drop older ones.
             for (auto it = sessions.begin(); it != sessions.end() && sessions.size() > 16;) {
               it = it->second->ended() ? sessions.erase(it) : std::next(it);
             }
             sessions[sid] = std::make_shared<LiveSession>(sid, plan, head, head_map, location, lo);
             OJson j;
             j["id"] = sid;
             j["plan_id"] = pid;
             j["speed"] = lo.speed;
             j["state"] = "starting";
             send_json(res, 201, j.dump());
           }
         }));

  s.Get(R"(/api/v1/sessions/(\d{1,18}))", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "session");
          auto db = pool.acquire();
          const auto record = db->session(id);
          if (!record) throw ApiError(404, "no session " + std::to_string(id));
          OJson j;
          if (auto l = live(id))
            j = OJson::parse(l->status_json());
          else
            j = {{"format", "headspa/session-status@1"}, {"id", id}, {"live", false}};
          j["record"] = session_record_json(*record);
          send_json(res, 200, j.dump());
        }));

  s.Post(R"(/api/v1/sessions/(\d{1,18})/(pause|resume|softer|firmer|stop))",
         api([this](const Request& req, Response& res) {
           const store::RecordId id = parse_id(req.matches[1], "session");
           const std::string name = req.matches[2];
           const Json body = parse_body(req, options.max_json_bytes);
           allow_fields(body, {});
           const auto l = live(id);
           if (!l) {
             auto db = pool.acquire();
             if (!db->session(id)) throw ApiError(404, "no session " + std::to_string(id));
             throw ApiError(409, "session " + std::to_string(id) + " is not running here");
           }
           const auto command = control::parse_live_command(name);
           if (!command || !l->command(*command)) {
             throw ApiError(409, "session " + std::to_string(id) + " has ended or is busy");
           }
           OJson j;
           j["id"] = id;
           j["command"] = name;
           j["accepted"] = true;
           send_json(res, 202, j.dump());
         }));

  s.Get(R"(/api/v1/sessions/(\d{1,18})/events)", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "session");
          auto db = pool.acquire();
          if (!db->session(id)) throw ApiError(404, "no session " + std::to_string(id));
          OJson arr = OJson::array();
          for (const auto& e : db->session_events(id)) {
            arr.push_back({{"t_s", e.t_s}, {"kind", store::to_string(e.kind)}, {"cause", e.cause}});
          }
          send_json(res, 200, arr.dump());
        }));

  s.Get(R"(/api/v1/sessions/(\d{1,18})/trace)", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "session");
          const double from = query_number(req, "from_s", 0, 0, 1e7);
          const double to = query_number(req, "to_s", 1e7, 0, 1e7);
          const auto max = static_cast<std::size_t>(query_number(req, "max", 20000, 1, 200000));
          auto db = pool.acquire();
          if (!db->session(id)) throw ApiError(404, "no session " + std::to_string(id));
          const auto trace = db->session_trace(id, from, to);
          OJson j;
          j["truncated"] = trace.size() > max;
          auto& arr = j["samples"] = OJson::array();
          for (std::size_t i = 0; i < std::min(max, trace.size()); ++i) {
            const auto& t = trace[i];
            arr.push_back({t.t_s, t.contact, t.commanded_force_n, t.measured_force_n});
          }
          j["columns"] = {"t_s", "contact", "commanded_force_n", "measured_force_n"};
          send_json(res, 200, j.dump());
        }));

  s.Get(R"(/api/v1/sessions/(\d{1,18})/report)", api([this](const Request& req, Response& res) {
          send_json(res, 200, report_json(parse_id(req.matches[1], "session")));
        }));

  s.Get(R"(/api/v1/sessions/(\d{1,18})/report\.html)",
        api([this](const Request& req, Response& res) {
          const std::string html = report_html(parse_id(req.matches[1], "session"));
          // The page is self-contained: nothing may be fetched from it.
          res.set_header("Content-Security-Policy",
                         "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                         "script-src 'unsafe-inline'");
          res.set_content(html, "text/html; charset=utf-8");
        }));

  s.Get(R"(/api/v1/sessions/(\d{1,18})/telemetry)", api([this](const Request& req, Response& res) {
          const store::RecordId id = parse_id(req.matches[1], "session");
          auto l = live(id);
          if (!l) {
            auto db = pool.acquire();
            if (!db->session(id)) throw ApiError(404, "no session " + std::to_string(id));
            throw ApiError(409, "session " + std::to_string(id) + " is not running here");
          }
          if (streams.fetch_add(1) >= options.max_streams) {
            streams.fetch_sub(1);
            throw ApiError(503, "too many telemetry streams open");
          }
          auto last = std::make_shared<std::uint64_t>(0);
          res.set_header("Cache-Control", "no-store");
          res.set_chunked_content_provider(
              "text/event-stream",
              [this, l, last](std::size_t, httplib::DataSink& sink) {
                if (stopping) {
                  sink.done();
                  return true;
                }
                bool ended = false;
                const auto items =
                    l->telemetry_after(*last, std::chrono::milliseconds(500), &ended);
                std::string out;
                for (const auto& t : items) {
                  const bool is_end = t.json.rfind("{\"end\"", 0) == 0;
                  out += "id: " + std::to_string(t.seq) + "\n";
                  out += is_end ? "event: end\n" : "event: telemetry\n";
                  out += "data: " + t.json + "\n\n";
                  *last = t.seq;
                }
                if (out.empty()) out = ": waiting\n\n";
                if (!sink.write(out.data(), out.size())) return false;
                if (ended) sink.done();
                return true;
              },
              [this](bool) { streams.fetch_sub(1); });
        }));

  // ---- the web page, from memory ----
  s.Get("/(.*)", [this](const Request& req, Response& res) {
    if (req.path.rfind("/api/", 0) == 0) return send_error(res, 404, "nothing at " + req.path);
    const auto it = files.find(req.path);
    if (it == files.end()) return send_error(res, 404, "nothing at " + req.path);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(it->second.first, it->second.second.c_str());
  });
}

void Server::Impl::shut_down() {
  stopping = true;
  if (this->plans) this->plans->stop();
  std::map<store::RecordId, std::shared_ptr<LiveSession>> ending;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex);
    for (auto& [id, l] : sessions) l->shut_down("the server stopped");
    ending.swap(sessions);
  }
  http.stop();
  if (listener.joinable()) listener.join();
  ending.clear();  // joins each session's thread after its arms retracted
  std::lock_guard<std::mutex> lock(stop_mutex);
  stopped = true;
  stopped_cv.notify_all();
}

Server::Server(ServerOptions options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError(InputLocation{"", 0, 0, "serve"}, why);
  impl_ = std::make_unique<Impl>(std::move(options));
  auto& im = *impl_;
  {
    store::Store db = store::open_store(im.location);  // creates and migrates
    (void)db;
  }
  im.load_web_root();
  anatomy::DefaultHeadOptions ho;
  ho.target_vertices = im.options.head_vertices;
  im.head = anatomy::built_in_head(ho);
  im.head_json = head_view_json(im.head);
  im.head_sha256 = geometry::mesh_sha256(im.head.mesh);
  im.plans = std::make_unique<PlanService>(im.head, im.head_sha256, im.pool,
                                           im.options.plan_workers, im.options.plan_queue);
  const int threads = im.options.http_threads;
  im.http.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  im.http.set_payload_max_length(im.options.max_upload_bytes);
  im.http.set_read_timeout(10, 0);
  im.http.set_write_timeout(10, 0);
  // A kept-alive connection idle this long is closed; a client that sends its next request just
  // then finds it closed (a "Read" error in httplib's client). 5 s (httplib's default) makes that
  // race rarer than 2 s did for clients starved of CPU; an idle connection holds a thread as long.
  im.http.set_keep_alive_max_count(100);
  im.http.set_keep_alive_timeout(5);
  im.routes();
}

Server::~Server() { stop(); }

void Server::start() {
  auto& im = *impl_;
  if (im.options.port == 0) {
    im.port = im.http.bind_to_any_port(im.options.bind);
  } else {
    im.port = im.http.bind_to_port(im.options.bind, im.options.port) ? im.options.port : -1;
  }
  if (im.port <= 0) {
    throw InputError(InputLocation{"", 0, 0, "--bind/--port"},
                     "cannot listen on " + im.options.bind + ":" + std::to_string(im.options.port) +
                         " (in use, or not an address here)");
  }
  if (!im.http.widen_backlog(kListenBacklog)) {
    log::warn("server: cannot widen the listen backlog; bursts of clients may be refused");
  }
  im.listener = std::thread([&im] { im.http.listen_after_bind(); });
}

int Server::port() const noexcept { return impl_->port; }

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->stop_mutex);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

void Server::stop() {
  if (!impl_) return;
  std::call_once(impl_->shutdown_once, [this] { impl_->shut_down(); });
}

}  // namespace headspa::server
