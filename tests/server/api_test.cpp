// The REST API end to end: a real server on a loopback port over a real SQLite file, driven by an
// HTTP client. Every endpoint with and without a token; bad requests get 4xx and change nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "headspa/scalp/image.hpp"
#include "headspa/server/server.hpp"
#include "headspa/store/store.hpp"
#include "test_util.hpp"

// After Eigen: glibc's resolv.h (through httplib) defines a macro `_res`.
#include <httplib.h>

namespace headspa::server {
namespace {

using Json = nlohmann::json;

struct Endpoint {
  const char* method;
  std::string path;
};

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    db_ = dir_->file("records.db");
    ServerOptions o;
    o.port = 0;
    o.db = db_;
    o.web_root = default_web_root();
    o.max_json_bytes = 64 * 1024;
    o.max_upload_bytes = 2u << 20;
    o.max_images = 3;
    o.head_vertices = 30000;
    server_ = new Server(o);
    server_->start();
    store::Store s = store::open_store(db_);
    token_ = s.create_token("api-test").secret;
    const auto revoked = s.create_token("revoked");
    s.revoke_token(revoked.token.id);
    revoked_ = revoked.secret;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  httplib::Client client(const std::string& token = token_) const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60, 0);
    if (!token.empty()) c.set_bearer_token_auth(token.c_str());
    return c;
  }
  static Json body(const httplib::Result& r) {
    EXPECT_TRUE(r) << "no answer";
    return r ? Json::parse(r->body) : Json();
  }
  httplib::Result post_json(const std::string& path, const Json& j,
                            const std::string& token = token_) const {
    return client(token).Post(path.c_str(), j.dump(), "application/json");
  }
  // Every table's row count: the database "unchanged" test.
  static std::vector<std::pair<std::string, std::int64_t>> counts() {
    store::Store s = store::open_store(db_, {.migrate = false, .create = false});
    return s.status().row_counts;
  }
  std::string new_client() const {
    const auto r = post_json("/api/v1/clients", {{"name", "Ada"}});
    EXPECT_EQ(r->status, 201);
    return body(r)["id"];
  }
  static std::string protocol_document() {
    return test::read_file(std::string(HEADSPA_SOURCE_DIR) + "/tests/server/data/point-holds.yaml");
  }
  // A plan of the one-minute test routine (planned once, then found again).
  std::int64_t plan_id() const {
    const auto r = post_json("/api/v1/plans", {{"protocol_document", protocol_document()}});
    EXPECT_TRUE(r && (r->status == 201 || r->status == 200)) << (r ? r->body : "");
    return body(r)["id"];
  }
  static std::string png_photo() {
    scalp::Image img;
    img.width = 160;
    img.height = 120;
    img.order = scalp::PixelOrder::kBgr;
    img.pixels.resize(static_cast<std::size_t>(img.width * img.height * 3));
    for (int y = 0; y < img.height; ++y) {
      for (int x = 0; x < img.width; ++x) {
        const auto i = static_cast<std::size_t>((y * img.width + x) * 3);
        const int dark = (x % 23 == 0) ? 90 : 0;  // a few hair-like dark lines
        img.pixels[i] = static_cast<std::uint8_t>(150 - dark);
        img.pixels[i + 1] = static_cast<std::uint8_t>(170 - dark);
        img.pixels[i + 2] = static_cast<std::uint8_t>(205 - dark);
      }
    }
    const std::string path = dir_->file("photo.png");
    scalp::write_png(path, img);
    return test::read_file(path);
  }
  // Waits up to `seconds` for the session's live state to become `want`.
  bool wait_for_state(std::int64_t id, const std::string& want, double seconds) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      const auto r = client().Get(("/api/v1/sessions/" + std::to_string(id)).c_str());
      if (r && r->status == 200 && Json::parse(r->body).value("state", "") == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  static test::TempDir* dir_;
  static std::string db_;
  static Server* server_;
  static std::string token_, revoked_;
};

test::TempDir* ApiTest::dir_ = nullptr;
std::string ApiTest::db_;
Server* ApiTest::server_ = nullptr;
std::string ApiTest::token_, ApiTest::revoked_;

TEST_F(ApiTest, HealthNeedsNoTokenAndSaysWhichStore) {
  const auto r = client("").Get("/api/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body(r)["status"], "ok");
  EXPECT_EQ(body(r)["store"], "sqlite");
}

TEST_F(ApiTest, EveryEndpointRefusesMissingBadAndRevokedTokens) {
  const std::string c = new_client();
  const std::vector<Endpoint> endpoints = {
      {"GET", "/api/v1/protocols"},
      {"GET", "/api/v1/protocols/scalp-self"},
      {"GET", "/api/v1/guide/scalp-self"},
      {"GET", "/api/v1/head"},
      {"GET", "/api/v1/clients"},
      {"POST", "/api/v1/clients"},
      {"GET", "/api/v1/clients/" + c},
      {"POST", "/api/v1/clients/" + c + "/intakes"},
      {"POST", "/api/v1/clients/" + c + "/screenings"},
      {"POST", "/api/v1/clients/" + c + "/scalp-analyses"},
      {"GET", "/api/v1/scalp-analyses/1"},
      {"GET", "/api/v1/scalp-analyses/1/images/0"},
      {"POST", "/api/v1/plans"},
      {"GET", "/api/v1/plans/1"},
      {"GET", "/api/v1/plans/1/playback"},
      {"POST", "/api/v1/sessions"},
      {"GET", "/api/v1/sessions/1"},
      {"POST", "/api/v1/sessions/1/pause"},
      {"POST", "/api/v1/sessions/1/resume"},
      {"POST", "/api/v1/sessions/1/softer"},
      {"POST", "/api/v1/sessions/1/firmer"},
      {"POST", "/api/v1/sessions/1/stop"},
      {"GET", "/api/v1/sessions/1/events"},
      {"GET", "/api/v1/sessions/1/trace"},
      {"GET", "/api/v1/sessions/1/report"},
      {"GET", "/api/v1/sessions/1/report.html"},
      {"GET", "/api/v1/sessions/1/telemetry"},
  };
  const auto before = counts();
  for (const std::string& token : {std::string(), std::string("hst_0123"), revoked_}) {
    for (const auto& e : endpoints) {
      auto cl = client(token);
      const auto r = std::string(e.method) == "GET"
                         ? cl.Get(e.path.c_str())
                         : cl.Post(e.path.c_str(), R"({"name":"x"})", "application/json");
      ASSERT_TRUE(r) << e.path;
      EXPECT_EQ(r->status, 401) << e.method << " " << e.path << " token '" << token << "'";
      EXPECT_EQ(r->body.find("cl_"), std::string::npos) << "a record leaked: " << r->body;
    }
  }
  EXPECT_EQ(counts(), before);
  // With the token the same routes answer (404 where the record does not exist yet).
  for (const auto& e : endpoints) {
    if (std::string(e.method) != "GET" || e.path.find("telemetry") != std::string::npos) continue;
    const auto r = client().Get(e.path.c_str());
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 200 || r->status == 404 || r->status == 409)
        << e.path << ": " << r->status;
  }
}

TEST_F(ApiTest, ClientsAreCreatedListedAndReadBack) {
  const std::string id = new_client();
  EXPECT_EQ(id.rfind("cl_", 0), 0u);
  const Json list = body(client().Get("/api/v1/clients"));
  bool found = false;
  for (const auto& c : list) found = found || c["id"] == id;
  EXPECT_TRUE(found);
  const Json one = body(client().Get(("/api/v1/clients/" + id).c_str()));
  EXPECT_EQ(one["client"]["name"], "Ada");
  EXPECT_EQ(client().Get("/api/v1/clients/cl_aaaaaaaaaaaaaaaaaaaa")->status, 404);
  const auto malformed = client().Get("/api/v1/clients/cl_short");
  EXPECT_EQ(malformed->status, 400);
  EXPECT_NE(malformed->body.find("cl_short"), std::string::npos) << malformed->body;
}

TEST_F(ApiTest, IntakeAndScreeningAreStored) {
  const std::string id = new_client();
  const Json intake = {
      {"format", "headspa/intake@1"}, {"goals", {"stress"}}, {"pressure_preference", "gentle"}};
  auto r = post_json("/api/v1/clients/" + id + "/intakes", {{"intake", intake}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  r = post_json("/api/v1/clients/" + id + "/screenings", Json::object());
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(body(r)["decision"], "proceed");
  const Json history = body(client().Get(("/api/v1/clients/" + id).c_str()));
  EXPECT_EQ(history["intake"]["pressure_preference"], "gentle");
  EXPECT_EQ(history["screening"]["decision"], "proceed");
}

TEST_F(ApiTest, MalformedAndOversizedRequestsAre4xxAndChangeNothing) {
  const std::string id = new_client();
  const std::string intakes = "/api/v1/clients/" + id + "/intakes";
  const auto before = counts();
  struct Case {
    std::string path, body, type;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {intakes, "{\"intake\": {", "application/json", 400, "not valid JSON"},
      {intakes, "[1,2]", "application/json", 400, "JSON object"},
      {intakes, R"({"intake": {"format": "headspa/intake@1", "goals": ["flying"]}})",
       "application/json", 400, "goals"},
      {intakes, R"({"intake": {}, "extra": 1})", "application/json", 400, "unknown field 'extra'"},
      {intakes, R"({"intake": {}})", "text/plain", 415, "Content-Type"},
      {intakes, "{\"intake\": {\"client\": \"" + std::string(70000, 'a') + "\"}}",
       "application/json", 413, "at most"},
      {"/api/v1/clients", R"({"name": 42})", "application/json", 400, "name"},
      {"/api/v1/clients", R"({"name": ")" + std::string(300, 'n') + "\"}", "application/json", 400,
       "longer than"},
      {"/api/v1/clients/cl_aaaaaaaaaaaaaaaaaaaa/intakes", R"({"intake": {}})", "application/json",
       404, "no client"},
      {"/api/v1/plans", R"({"protocol": "no-such-routine"})", "application/json", 404,
       "no built-in protocol"},
      {"/api/v1/plans", R"({"protocol_document": "format: headspa/protocol@1\nid: x\n"})",
       "application/json", 400, "protocol"},
      {"/api/v1/plans", R"({"protocol": "scalp-self", "seed": -1})", "application/json", 400,
       "seed"},
      {"/api/v1/plans", R"({})", "application/json", 400, "either protocol"},
      {"/api/v1/sessions", R"({"plan_id": 999999})", "application/json", 404, "no plan"},
      {"/api/v1/sessions", R"({"plan_id": "1"})", "application/json", 400, "plan_id"},
      {"/api/v1/sessions/999999/pause", "", "application/json", 404, "no session"},
  };
  for (const auto& c : cases) {
    const auto r = client().Post(c.path.c_str(), c.body, c.type.c_str());
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path << " " << c.body.substr(0, 80) << " -> " << r->body;
    EXPECT_NE(r->body.find(c.says), std::string::npos) << r->body;
    EXPECT_TRUE(Json::accept(r->body)) << r->body;
  }
  // Beyond the upload limit the server refuses before reading the body.
  const auto big = client().Post(intakes.c_str(), std::string(3u << 20, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(counts(), before);
}

TEST_F(ApiTest, GarbageOnTheSocketGetsA400AndTheServerCarriesOn) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string junk = "GARBAGE \x01\x02 nonsense\r\n\r\n";
  ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  char buf[256] = {};
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf).find(" 400 "), std::string::npos) << buf;
  EXPECT_EQ(client("").Get("/api/v1/health")->status, 200);
}

TEST_F(ApiTest, NoPathReachesTheFileSystem) {
  for (const std::string path :
       {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/index.html/../../etc/passwd",
        "/..%2f..%2fetc%2fpasswd", "/style.css%00.html", "//etc/passwd"}) {
    const auto r = client("").Get(path.c_str());
    ASSERT_TRUE(r) << path;
    EXPECT_GE(r->status, 400) << path;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
  }
  const auto page = client("").Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>headspa</title>"), std::string::npos);
  EXPECT_EQ(client("").Get("/app.js")->status, 200);
}

TEST_F(ApiTest, ProtocolsGuideAndHeadDescribeTheBuiltIns) {
  const Json protocols = body(client().Get("/api/v1/protocols"));
  EXPECT_EQ(protocols.size(), 4u);
  const Json guide = body(client().Get("/api/v1/guide/scalp-self"));
  EXPECT_EQ(guide["format"], "headspa/guide@1");
  ASSERT_FALSE(guide["cards"].empty());
  EXPECT_GT(guide["cards"][0]["duration_s"].get<double>(), 0.0);
  EXPECT_FALSE(guide["cards"][1]["how"].get<std::string>().empty());
  const Json head = body(client().Get("/api/v1/head"));
  EXPECT_EQ(head["positions_m"].size(), 3 * head["vertex_region"].size());
  EXPECT_EQ(head["faces"].size() % 3, 0u);
  EXPECT_GE(head["pressure_points"].size(), 10u);
  int no_go = 0;
  for (const auto& r : head["regions"]) no_go += r["no_go"].get<bool>() ? 1 : 0;
  EXPECT_EQ(no_go, 7);
}

TEST_F(ApiTest, ScalpPhotosAreAnalysedAndKeptByteForByte) {
  const std::string id = new_client();
  const std::string photo = png_photo();
  const std::string path = "/api/v1/clients/" + id + "/scalp-analyses";
  httplib::MultipartFormDataItems items = {{"image", photo, "../../crown.png", "image/png"}};
  auto r = client().Post(path.c_str(), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const Json created = body(r);
  EXPECT_EQ(created["analysis"]["format"], "headspa/scalp-analysis@1");
  const std::string aid = std::to_string(created["id"].get<std::int64_t>());
  const Json stored = body(client().Get(("/api/v1/scalp-analyses/" + aid).c_str()));
  EXPECT_EQ(stored["images"][0]["name"], "crown.png");  // the folder part is dropped
  const auto image = client().Get(("/api/v1/scalp-analyses/" + aid + "/images/0").c_str());
  ASSERT_TRUE(image);
  EXPECT_EQ(image->body, photo);
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(client().Get(("/api/v1/scalp-analyses/" + aid + "/images/5").c_str())->status, 404);

  // Not an image, too many images, a wrong field: 4xx, nothing stored.
  const auto before = counts();
  httplib::MultipartFormDataItems text = {{"image", "hello", "a.png", "image/png"}};
  EXPECT_EQ(client().Post(path.c_str(), text)->status, 415);
  httplib::MultipartFormDataItems many(4, {"image", photo, "p.png", "image/png"});
  EXPECT_EQ(client().Post(path.c_str(), many)->status, 413);
  httplib::MultipartFormDataItems wrong = {{"picture", photo, "p.png", "image/png"}};
  EXPECT_EQ(client().Post(path.c_str(), wrong)->status, 400);
  httplib::MultipartFormDataItems tiny = {{"image", photo.substr(0, 40), "p.png", "image/png"}};
  EXPECT_EQ(client().Post(path.c_str(), tiny)->status, 400);
  EXPECT_EQ(counts(), before);
}

TEST_F(ApiTest, PlansAreMadeOnceAndPlayedBack) {
  const auto first = post_json("/api/v1/plans", {{"protocol_document", protocol_document()}});
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->status == 201 || first->status == 200) << first->body;
  const Json plan = body(first);
  EXPECT_EQ(plan["protocol_id"], "point-holds");
  EXPECT_TRUE(plan["validation_ok"].get<bool>());
  // The same inputs again: the stored plan, not a second one.
  const auto again = post_json("/api/v1/plans", {{"protocol_document", protocol_document()}});
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(body(again)["id"], plan["id"]);
  const std::string pid = std::to_string(plan["id"].get<std::int64_t>());
  const Json full = body(client().Get(("/api/v1/plans/" + pid).c_str()));
  EXPECT_EQ(full["format"], "headspa/plan@1");
  const Json pb = body(client().Get(("/api/v1/plans/" + pid + "/playback?rate_hz=5").c_str()));
  EXPECT_EQ(pb["format"], "headspa/playback@1");
  EXPECT_EQ(pb["frames"].size(),
            static_cast<std::size_t>(std::floor(plan["duration_s"].get<double>() * 5)) + 1);
  const Json head = body(client().Get("/api/v1/head"));
  ASSERT_EQ(pb["vertex_contact_s"].size(), head["vertex_region"].size());
  // The heat map: the pads rest on the skin around the points the routine holds, nowhere else.
  std::vector<std::array<double, 3>> held;
  for (const auto& p : head["pressure_points"]) {
    if (p["point"] == "GB20" || p["point"] == "Taiyang")
      held.push_back(p["position_m"].get<std::array<double, 3>>());
  }
  ASSERT_EQ(held.size(), 4u);
  const auto distance = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return std::hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  };
  int touched = 0;
  for (std::size_t v = 0; v < pb["vertex_contact_s"].size(); ++v) {
    if (pb["vertex_contact_s"][v].get<double>() <= 0) continue;
    ++touched;
    const std::array<double, 3> x{head["positions_m"][3 * v].get<double>(),
                                  head["positions_m"][3 * v + 1].get<double>(),
                                  head["positions_m"][3 * v + 2].get<double>()};
    double nearest = 1.0;
    for (const auto& h : held) nearest = std::min(nearest, distance(x, h));
    EXPECT_LT(nearest, 0.02) << "vertex " << v;
  }
  EXPECT_GT(touched, 10);
  int pressing = 0;
  for (const auto& f : pb["frames"]) {
    for (const auto& c : f["c"]) pressing += (!c.is_null() && c["f"].get<double>() > 0.5) ? 1 : 0;
  }
  EXPECT_GT(pressing, 10);
  EXPECT_EQ(client().Get(("/api/v1/plans/" + pid + "/playback?rate_hz=abc").c_str())->status, 400);
}

TEST_F(ApiTest, ASessionOnTheTwinPausesResumesSoftensAndStops) {
  const std::int64_t pid = plan_id();
  const auto started = post_json("/api/v1/sessions", {{"plan_id", pid}, {"speed", 3}});
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  const std::int64_t sid = body(started)["id"];
  const std::string base = "/api/v1/sessions/" + std::to_string(sid);

  // Telemetry arrives as Server-Sent Events while it runs.
  int messages = 0;
  std::string stream;
  std::thread reader([&] {
    auto c = client();
    c.Get((base + "/telemetry").c_str(), [&](const char* data, std::size_t n) {
      stream.append(data, n);
      messages = static_cast<int>(std::count(stream.begin(), stream.end(), '\n'));
      return stream.find("event: end") == std::string::npos;
    });
  });

  ASSERT_TRUE(wait_for_state(sid, "massaging", 60)) << client().Get(base.c_str())->body;
  EXPECT_EQ(client().Get((base + "/report.html").c_str())->status, 409);  // not ended yet
  ASSERT_EQ(post_json(base + "/pause", Json::object())->status, 202);
  ASSERT_TRUE(wait_for_state(sid, "paused", 20));
  {
    store::Store s = store::open_store(db_, {.migrate = false, .create = false});
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a log flush period
    EXPECT_EQ(s.session(sid)->state, store::SessionState::kPaused);
  }
  ASSERT_EQ(post_json(base + "/resume", Json::object())->status, 202);
  ASSERT_TRUE(wait_for_state(sid, "massaging", 20));
  ASSERT_EQ(post_json(base + "/softer", Json::object())->status, 202);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  double scale = 1.0;
  while (scale > 0.95 && std::chrono::steady_clock::now() < deadline) {
    scale = body(client().Get(base.c_str())).value("force_scale", 1.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LT(scale, 0.95);
  ASSERT_EQ(post_json(base + "/stop", Json::object())->status, 202);
  reader.join();
  EXPECT_NE(stream.find("event: telemetry"), std::string::npos);
  EXPECT_NE(stream.find("event: end"), std::string::npos);
  EXPECT_GT(messages, 20);

  // Ended: commands are refused, and the log holds what happened.
  EXPECT_TRUE(wait_for_state(sid, "finished", 20) || wait_for_state(sid, "aborted", 1));
  EXPECT_EQ(post_json(base + "/pause", Json::object())->status, 409);
  const Json events = body(client().Get((base + "/events").c_str()));
  std::set<std::string> kinds;
  for (const auto& e : events) kinds.insert(e["kind"]);
  for (const char* k : {"start", "pause", "resume", "softer", "stop"}) {
    EXPECT_TRUE(kinds.count(k)) << k << " missing from " << events.dump();
  }
  const Json trace = body(client().Get((base + "/trace?max=100000").c_str()));
  EXPECT_GT(trace["samples"].size(), 100u);
  const auto html = client().Get((base + "/report.html").c_str());
  ASSERT_TRUE(html);
  ASSERT_EQ(html->status, 200) << html->body.substr(0, 300);
  EXPECT_NE(html->body.find("<html"), std::string::npos);
  EXPECT_NE(html->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  const Json report = body(client().Get((base + "/report").c_str()));
  EXPECT_EQ(report["session"]["id"], sid);
  EXPECT_EQ(report["session"]["outcome"], "stopped on request");
  EXPECT_GT(report["contacts"][0]["samples"].get<int>(), 50);
  store::Store s = store::open_store(db_, {.migrate = false, .create = false});
  EXPECT_EQ(s.integrity_check(), "ok");
}

TEST_F(ApiTest, APlanForAnotherHeadNeverRunsOnTheTwin) {
  // A plan stored by another tool for a scanned head (its head hash differs).
  const std::int64_t pid = plan_id();
  store::Store s = store::open_store(db_, {.migrate = false, .create = false});
  store::Plan other = *s.plan(pid);
  other.input_hashes["head"] = std::string(64, 'a');
  other.json += " ";  // a different document
  const store::RecordId foreign = s.add_plan(other);
  const auto before = counts();
  const auto r = post_json("/api/v1/sessions", {{"plan_id", foreign}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(r->body.find("built-in head"), std::string::npos) << r->body;
  EXPECT_EQ(counts(), before);
}

TEST_F(ApiTest, ConcurrentPlanAndStatusRequestsAllComplete) {
  // The short form of bench/server's load test: 64 clients at once for three seconds, half of
  // them on kept-alive connections and half opening a new connection for every request (a burst
  // of connects, as a page reload or many browsers make), every one answered with a 2xx, or with
  // 503 and Retry-After when the plan queue is full. No retries: a client that gets no answer
  // counts as a failure. No timing assertions; the test is bounded by its three seconds and the
  // answers still in flight then.
  constexpr int kClients = 64;
  const std::int64_t pid = plan_id();
  const std::string doc = protocol_document();
  const std::string playback = "/api/v1/plans/" + std::to_string(pid) + "/playback";
  ASSERT_EQ(client().Get(playback.c_str())->status, 200);  // computed once, then cached
  const std::string plan_path = "/api/v1/plans/" + std::to_string(pid);
  std::atomic<long> sent{0}, ok{0}, busy{0}, transport{0};
  std::mutex failures_mutex;
  std::string failures;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      const bool keep_alive = c % 2 == 0;
      auto cl = client();
      cl.set_keep_alive(keep_alive);
      ++ready;
      while (!go) std::this_thread::yield();
      for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
        ++sent;
        const int kind = (i + c) % 3;
        const auto r = kind == 0 ? cl.Post("/api/v1/plans", Json{{"protocol_document", doc}}.dump(),
                                           "application/json")
                       : kind == 1 ? cl.Get(playback.c_str())
                                   : cl.Get(plan_path.c_str());
        if (r && r->status < 300) {
          ++ok;
        } else if (r && r->status == 503 && r->has_header("Retry-After")) {
          ++busy;  // a full plan queue says so and when to come back: nothing is lost
        } else {
          if (!r) ++transport;
          std::lock_guard<std::mutex> lock(failures_mutex);
          if (failures.size() < 2000)
            failures += (r ? std::to_string(r->status) + " " + r->body.substr(0, 200)
                           : "no answer: " + httplib::to_string(r.error())) +
                        (keep_alive ? " (kept alive)" : " (new connection)") + "\n";
        }
      }
    });
  }
  while (ready < kClients) std::this_thread::yield();
  go = true;  // all connect at once
  for (auto& t : threads) t.join();
  EXPECT_GE(sent.load(), kClients);
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(transport.load(), 0) << failures;
  EXPECT_EQ(ok.load() + busy.load(), sent.load()) << failures;
}

TEST_F(ApiTest, ARealRoutinesPlanIsStoredAndServedWhole) {
  // The built-in 40-minute japanese-head-spa routine: its plan is about 18 MB of JSON, more than
  // a text document in the store may be; the store keeps it compressed.
  const auto before = counts();
  const auto r = post_json("/api/v1/plans", {{"protocol", "japanese-head-spa"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const Json summary = body(r);
  EXPECT_DOUBLE_EQ(summary["duration_s"].get<double>(), 2400.0);
  const std::string path = "/api/v1/plans/" + std::to_string(summary["id"].get<std::int64_t>());
  // As is, and gzip-compressed (httplib's client asks for it and inflates the answer).
  auto plain = client();
  plain.set_decompress(false);
  const auto whole = plain.Get(path.c_str(), {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200);
  EXPECT_GT(whole->body.size(), std::size_t{16} << 20);
  EXPECT_EQ(sha256_hex(whole->body), summary["sha256"].get<std::string>());
  const auto zipped = plain.Get(path.c_str(), {{"Accept-Encoding", "br, gzip"}});
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");  // never brotli (too slow)
  EXPECT_LT(zipped->body.size(), whole->body.size() / 3);
  const auto inflated = client().Get(path.c_str());
  ASSERT_TRUE(inflated);
  EXPECT_EQ(sha256_hex(inflated->body), summary["sha256"].get<std::string>());
  // Asked again, the same plan is found, not made anew; and it plays back.
  const auto again = post_json("/api/v1/plans", {{"protocol", "japanese-head-spa"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(body(again)["id"], summary["id"]);
  const auto playback = client().Get((path + "/playback?rate_hz=2").c_str());
  ASSERT_TRUE(playback);
  EXPECT_EQ(playback->status, 200);
  auto after = counts();
  for (auto& [table, count] : after) {
    if (table == "plans") --count;
  }
  EXPECT_EQ(after, before) << "one plan row, nothing else";
}

TEST(PlanQueue, AFullQueueAnswers503AndEveryAcceptedPlanIsStored) {
  test::TempDir dir;
  ServerOptions o;
  o.port = 0;
  o.db = dir.file("queue.db");
  o.plan_workers = 1;
  o.plan_queue = 1;
  Server server(o);
  server.start();
  const std::string token = store::open_store(o.db).create_token("queue").secret;
  const std::string doc =
      test::read_file(std::string(HEADSPA_SOURCE_DIR) + "/tests/server/data/point-holds.yaml");
  // Twelve different seeds at once: one is planned, one waits, the others find the queue full.
  std::vector<int> status(12, 0);
  std::vector<std::string> retry(12);
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", server.port());
      c.set_bearer_token_auth(token.c_str());
      c.set_read_timeout(120, 0);
      const auto r =
          c.Post("/api/v1/plans", Json{{"protocol_document", doc}, {"seed", 10 + i}}.dump(),
                 "application/json");
      if (r) {
        status[static_cast<std::size_t>(i)] = r->status;
        retry[static_cast<std::size_t>(i)] = r->get_header_value("Retry-After");
      }
    });
  }
  for (auto& t : threads) t.join();
  int created = 0, busy = 0;
  for (int i = 0; i < 12; ++i) {
    if (status[static_cast<std::size_t>(i)] == 201) ++created;
    if (status[static_cast<std::size_t>(i)] == 503) {
      ++busy;
      EXPECT_EQ(retry[static_cast<std::size_t>(i)], "1");
    }
  }
  EXPECT_EQ(created + busy, 12) << "every request is answered 201 or 503";
  EXPECT_GE(created, 1);
  EXPECT_GE(busy, 1);
  server.stop();
  store::Store s = store::open_store(o.db, {.migrate = false, .create = false});
  std::int64_t plans = -1;
  for (const auto& [table, count] : s.status().row_counts) {
    if (table == "plans") plans = count;
  }
  EXPECT_EQ(plans, created) << "every accepted plan is stored, and only those";
}

TEST(ServerOptions, RemoteAddressesMustBeAskedFor) {
  ServerOptions o;
  o.bind = "0.0.0.0";
  std::string why;
  EXPECT_FALSE(o.IsValid(&why));
  EXPECT_NE(why.find("--allow-remote"), std::string::npos);
  o.allow_remote = true;
  EXPECT_TRUE(o.IsValid(&why));
  o.port = 70000;
  EXPECT_FALSE(o.IsValid(&why));
}

}  // namespace
}  // namespace headspa::server
