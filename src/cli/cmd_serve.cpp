// headspa serve: the REST API, live session telemetry and the web page.
#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "command_registry.hpp"
#include "headspa/core/error.hpp"
#include "headspa/server/server.hpp"
#include "headspa/store/store.hpp"

namespace headspa::cli {
namespace {

template <typename Args>
bool cmd_web_given(const Args& args) {
  return args->web_option != nullptr && args->web_option->count() > 0;
}

void add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "serve", "Serve the REST API (docs/api/openapi.yaml), live telemetry and the web page");
  struct Args {
    server::ServerOptions options;
    std::string port_file;
    bool no_web = false;
    CLI::Option* web_option = nullptr;
  };
  auto args = std::make_shared<Args>();
  args->options.web_root = server::default_web_root();
  auto& o = args->options;
  cmd->add_option("--bind", o.bind, "Address to listen on (loopback unless --allow-remote)")
      ->capture_default_str();
  cmd->add_option("--port", o.port, "Port to listen on; 0 picks a free one")->capture_default_str();
  cmd->add_option("--db", o.db,
                  "Records: an SQLite file or a postgresql:// URL (default: the user's data "
                  "directory)");
  args->web_option = cmd->add_option("--web", o.web_root, "Folder with the bundled web page")
                         ->capture_default_str();
  cmd->add_flag("--no-web", args->no_web, "Serve the API only");
  cmd->add_flag("--allow-remote", o.allow_remote,
                "Allow --bind to an address other than loopback (use a TLS proxy in front)");
  cmd->add_option("--speed", o.session_speed,
                  "Default pace of twin sessions: simulated seconds per wall second (0: flat out)")
      ->capture_default_str();
  cmd->add_option("--plan-workers", o.plan_workers, "Plans computed at once")
      ->capture_default_str();
  cmd->add_option("--plan-queue", o.plan_queue, "Plans waiting before 503")->capture_default_str();
  cmd->add_option("--threads", o.http_threads, "Requests served at once")->capture_default_str();
  cmd->add_option("--port-file", args->port_file, "Write the port here once listening");
  cmd->callback([args] {
    if (args->no_web) args->options.web_root.clear();
    // The page the build bundled; a headspa copied elsewhere serves the API alone, saying so.
    if (!cmd_web_given(args) && !std::filesystem::is_directory(args->options.web_root)) {
      std::fprintf(stderr,
                   "headspa serve: no web page at %s (pass --web DIR): serving the API only\n",
                   args->options.web_root.c_str());
      args->options.web_root.clear();
    }
    // SIGINT and SIGTERM are taken by sigwait below, in this thread only: block them before the
    // server starts its threads, which inherit the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    server::Server s(args->options);
    s.start();
    const std::string where = store::resolve_location(args->options.db);
    std::printf("headspa serve: http://%s:%d/ (records: %s)\n", args->options.bind.c_str(),
                s.port(), where.c_str());
    std::printf("API tokens: headspa token create NAME --db %s\n", where.c_str());
    std::fflush(stdout);
    if (!args->port_file.empty()) {
      const std::string tmp = args->port_file + ".part";
      {
        std::ofstream out(tmp);
        out << s.port() << "\n";
        if (!out) throw InputError(InputLocation{args->port_file, 0, 0, ""}, "cannot write");
      }
      std::rename(tmp.c_str(), args->port_file.c_str());
    }
    int received = 0;
    sigwait(&signals, &received);
    std::printf("headspa serve: stopping (signal %d): live sessions retract and are logged\n",
                received);
    std::fflush(stdout);
    s.stop();
  });
}

const bool kServeRegistered = register_area(80, &add_serve);

}  // namespace
}  // namespace headspa::cli
