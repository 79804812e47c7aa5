// Load on loopback: N clients (200 by default) send plan and status requests for T seconds
// (30 by default) to a real server over a real SQLite file, with a session running on the twin.
// Every request must be answered with a 2xx (none lost, none failed); prints the latency
// percentiles per kind.
//
// The plans are real: a built-in routine (japanese-head-spa, 40 minutes, an 18 MB plan, by
// default) on the built-in head. Seed 1 is planned before the clock starts and runs on the twin;
// the clients ask for seeds 1..S (S = --seeds, 3 by default), so S-1 plans are made, compressed
// and stored while the load runs, and the requests for a seed being planned wait for it. Plan
// answers are counted apart: 201 (this request waited for the plan to be made) and 200 (found:
// the planner is deterministic, so the same inputs give the stored plan).
//
//   bench_server_load [--clients 200] [--seconds 30] [--speed 1] [--protocol japanese-head-spa]
//                     [--protocol-file FILE] [--seeds 3]
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
  int seeds = 3;
  std::string protocol = "japanese-head-spa", protocol_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--clients")
      clients = std::atoi(argv[i + 1]);
    else if (a == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (a == "--speed")
      speed = std::atof(argv[i + 1]);
    else if (a == "--seeds")
      seeds = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--protocol")
      protocol = argv[i + 1];
    else if (a == "--protocol-file")
      protocol_file = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: bench_server_load [--clients N] [--seconds T] [--speed X] "
                   "[--protocol ID | --protocol-file FILE] [--seeds S]\n");
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
  // The plan request for a seed: the built-in routine by id, or a protocol document.
  const auto plan_body = [&](int seed) {
    nlohmann::json j{{"seed", seed}};
    if (protocol_file.empty())
      j["protocol"] = protocol;
    else
      j["protocol_document"] = test::read_file(protocol_file);
    return j.dump();
  };

  // A session on the twin that runs throughout, whose status the clients ask for.
  httplib::Client setup("127.0.0.1", srv.port());
  setup.set_bearer_token_auth(token.c_str());
  setup.set_read_timeout(600, 0);
  const auto setup_start = Clock::now();
  const auto plan = setup.Post("/api/v1/plans", plan_body(1), "application/json");
  if (!plan || plan->status >= 300) {
    std::fprintf(stderr, "bench_server_load: cannot plan: %s\n", plan ? plan->body.c_str() : "");
    return 1;
  }
  const auto plan_summary = nlohmann::json::parse(plan->body);
  const auto plan_id = plan_summary["id"].get<long>();
  std::printf("bench_server_load: %s, %.0f s routine, %ld samples: planned and stored in %.1f s\n",
              plan_summary["protocol_id"].get<std::string>().c_str(),
              plan_summary["duration_s"].get<double>(), plan_summary["samples"].get<long>(),
              std::chrono::duration<double>(Clock::now() - setup_start).count());
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
  // Answered plan requests by status: 201 waited for the plan to be made, 200 found it.
  std::vector<std::vector<double>> made_ms(static_cast<std::size_t>(clients));
  std::vector<std::vector<double>> found_ms(static_cast<std::size_t>(clients));
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
      const std::string body = plan_body(1 + c % seeds);
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
        if (i % 2 == 0 && r->status == 201) made_ms[static_cast<std::size_t>(c)].push_back(ms);
        if (i % 2 == 0 && r->status == 200) found_ms[static_cast<std::size_t>(c)].push_back(ms);
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
    if (group == &plan_kinds) {
      for (auto [label, per_client] : {std::pair{"201 made", &made_ms}, {"200 found", &found_ms}}) {
        std::vector<double> v;
        for (const auto& m : *per_client) v.insert(v.end(), m.begin(), m.end());
        std::printf("    %-9s %8zu answers  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                    label, v.size(), percentile(v, 0.5), percentile(v, 0.9), percentile(v, 0.99),
                    percentile(v, 1.0));
      }
    }
  }
  // Nothing lost in the store either: one plan per seed (the setup plan is seed 1), each read
  // back whole against its SHA-256 by the integrity check, and a consistent database.
  // The session the status requests asked about ran throughout (a session that failed would have
  // answered its status all the same).
  if (const auto st = setup.Get(status_path.c_str()); st && st->status == 200) {
    const auto j = nlohmann::json::parse(st->body);
    const std::string state = j.value("state", "");
    std::printf("  session on the twin: %s, %.1f s of the plan done\n", state.c_str(),
                j.value("plan_t_s", 0.0));
    if (state != "approaching" && state != "massaging") ++bad;  // neither ended nor failed
  } else {
    std::printf("  session on the twin: no status\n");
    ++bad;
  }
  srv.stop();
  store::Store s = store::open_store(db, {.migrate = false, .create = false});
  long plans = 0;
  for (const auto& [table, count] : s.status().row_counts) {
    if (table == "plans") plans = static_cast<long>(count);
  }
  const std::string integrity = s.integrity_check();
  std::printf("  store: %ld plans (expected %d), integrity %s\n", plans, seeds, integrity.c_str());
  if (plans != seeds || integrity != "ok") ++bad;
  return bad == 0 ? 0 : 1;
}
