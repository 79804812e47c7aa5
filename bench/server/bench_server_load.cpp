// Load on loopback: N clients (200 by default) send plan and status requests for T seconds
// (30 by default) to a real server over a real SQLite file, with a session running on the twin.
// Every request must be answered with a 2xx (none lost, none failed); prints the latency
// percentiles per kind.
//
//   bench_server_load [--clients 200] [--seconds 30] [--speed 1]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "headspa/server/server.hpp"
#include "headspa/store/store.hpp"
#include "test_util.hpp"

#include <httplib.h>

namespace {

using Clock = std::chrono::steady_clock;
using namespace headspa;

struct Kind {
  const char* name;
  std::vector<double> latencies_ms;
  long sent = 0, answered = 0, failed = 0;
  std::string first_failure;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 200;
  double seconds = 30;
  double speed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (a == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (a == "--speed")
      speed = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_server_load [--clients N] [--seconds T] [--speed X]\n");
      return 2;
    }
  }
  test::TempDir dir;
  const std::string db = dir.file("load.db");
  server::ServerOptions o;
  o.port = 0;
  o.db = db;
  o.web_root.clear();
  o.http_threads = std::max(256, clients + 16);
  server::Server srv(o);
  srv.start();
  const std::string token = store::open_store(db).create_token("load").secret;
  const std::string doc =
      test::read_file(std::string(HEADSPA_SOURCE_DIR) + "/tests/server/data/point-holds.yaml");

  // A session on the twin that runs throughout, whose status the clients ask for.
  httplib::Client setup("127.0.0.1", srv.port());
  setup.set_bearer_token_auth(token.c_str());
  setup.set_read_timeout(120, 0);
  const auto plan = setup.Post("/api/v1/plans", nlohmann::json{{"protocol_document", doc}}.dump(),
                               "application/json");
  if (!plan || plan->status >= 300) {
    std::fprintf(stderr, "bench_server_load: cannot plan: %s\n", plan ? plan->body.c_str() : "");
    return 1;
  }
  const auto plan_id = nlohmann::json::parse(plan->body)["id"].get<long>();
  const auto session =
      setup.Post("/api/v1/sessions", nlohmann::json{{"plan_id", plan_id}, {"speed", speed}}.dump(),
                 "application/json");
  if (!session || session->status != 201) {
    std::fprintf(stderr, "bench_server_load: cannot start a session\n");
    return 1;
  }
  const std::string status_path =
      "/api/v1/sessions/" + std::to_string(nlohmann::json::parse(session->body)["id"].get<long>());

  std::vector<Kind> plan_kinds(static_cast<std::size_t>(clients), Kind{"plan", {}, 0, 0, 0, {}});
  std::vector<Kind> status_kinds(static_cast<std::size_t>(clients),
                                 Kind{"status", {}, 0, 0, 0, {}});
  std::atomic<bool> go{false};
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cl("127.0.0.1", srv.port());
      cl.set_bearer_token_auth(token.c_str());
      cl.set_keep_alive(true);
      // The first requests for each seed wait for the planner, which shares the cores with
      // everything else here: give them time rather than count a slow plan as lost.
      cl.set_read_timeout(300, 0);
      // Four seeds: four plans are made while the other requests for them wait.
      const std::string body =
          nlohmann::json{{"protocol_document", doc}, {"seed", 1 + c % 4}}.dump();
      while (!go) std::this_thread::yield();
      for (long i = 0; Clock::now() < end; ++i) {
        Kind& k = (i % 2 == 0) ? plan_kinds[static_cast<std::size_t>(c)]
                               : status_kinds[static_cast<std::size_t>(c)];
        ++k.sent;
        const auto t0 = Clock::now();
        const auto r = i % 2 == 0 ? cl.Post("/api/v1/plans", body, "application/json")
                                  : cl.Get(status_path.c_str());
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!r) {
          ++k.failed;
          if (k.first_failure.empty()) k.first_failure = httplib::to_string(r.error());
          continue;
        }
        ++k.answered;
        k.latencies_ms.push_back(ms);
        if (r->status >= 300) {
          ++k.failed;
          if (k.first_failure.empty()) k.first_failure = std::to_string(r->status) + " " + r->body;
        }
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();

  int bad = 0;
  std::printf("bench_server_load: %d clients, %.1f s, loopback, SQLite\n", clients, wall);
  for (auto* group : {&plan_kinds, &status_kinds}) {
    Kind all{(*group)[0].name, {}, 0, 0, 0, {}};
    for (auto& k : *group) {
      all.sent += k.sent;
      all.answered += k.answered;
      all.failed += k.failed;
      all.latencies_ms.insert(all.latencies_ms.end(), k.latencies_ms.begin(), k.latencies_ms.end());
      if (all.first_failure.empty()) all.first_failure = k.first_failure;
    }
    const long lost = all.sent - all.answered;
    std::printf(
        "  %-6s %8ld requests %7.0f/s  errors %ld  lost %ld  p50 %.1f ms  p90 %.1f ms  "
        "p99 %.1f ms  max %.1f ms\n",
        all.name, all.sent, static_cast<double>(all.sent) / wall, all.failed, lost,
        percentile(all.latencies_ms, 0.5), percentile(all.latencies_ms, 0.9),
        percentile(all.latencies_ms, 0.99), percentile(all.latencies_ms, 1.0));
    if (!all.first_failure.empty())
      std::printf("    first failure: %.200s\n", all.first_failure.c_str());
    bad += (all.failed > 0 || lost > 0) ? 1 : 0;
  }
  // Nothing lost in the store either: four plans, one per seed (the setup plan is seed 1), and a
  // consistent database.
  srv.stop();
  store::Store s = store::open_store(db, {.migrate = false, .create = false});
  long plans = 0;
  for (const auto& [table, count] : s.status().row_counts) {
    if (table == "plans") plans = static_cast<long>(count);
  }
  const std::string integrity = s.integrity_check();
  std::printf("  store: %ld plans (expected 4), integrity %s\n", plans, integrity.c_str());
  if (plans != 4 || integrity != "ok") ++bad;
  return bad == 0 ? 0 : 1;
}
