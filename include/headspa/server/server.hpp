// headspa's HTTP server: the REST API (docs/api/openapi.yaml), live session telemetry as
// Server-Sent Events, and the web page.
//
//   server::Server s({.port = 0, .db = "records.db", .web_root = "build/web"});
//   s.start();                      // binds; InputError when it cannot
//   std::printf("%d\n", s.port());
//   s.wait();                       // until stop() (from another thread or a signal handler)
//
// Every /api/v1 route but /api/v1/health needs `Authorization: Bearer <token>` with a live token
// from the store (`headspa token create`). The server listens on loopback unless told otherwise.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace headspa::server {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port())
  // Listening on an address other than loopback must be asked for explicitly.
  bool allow_remote = false;
  std::string db;        // store location; "" = the user's data directory
  std::string web_root;  // folder with the bundled page (index.html ...); "" = API only

  std::size_t max_json_bytes = 1u << 20;     // a JSON request body. Unit: bytes
  std::size_t max_upload_bytes = 16u << 20;  // a scalp photo upload (all files). Unit: bytes
  int max_images = 8;                        // photos per scalp analysis
  int http_threads = 256;                    // connections served at once
  int plan_workers = 1;                      // plans computed at once
  std::size_t plan_queue = 64;               // plans waiting; more are answered 503
  int max_live_sessions = 4;                 // twin sessions running at once
  int max_streams = 32;                      // telemetry streams open at once
  double session_speed = 1.0;                // default simulated seconds per wall second
  double trace_rate_hz = 100.0;              // trace samples stored per contact
  int head_vertices = 30000;                 // the built-in head's size

  // True when every field is usable; otherwise *why names the field.
  bool IsValid(std::string* why) const;
};

// Where the build put the bundled web page (<build>/web).
std::string default_web_root();

class Server {
 public:
  // Opens (and migrates) the store, builds the built-in head and reads the web page.
  // InputError for bad options or a store that cannot be opened.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads. InputError when the address is refused.
  void start();
  // The port it listens on (after start()).
  int port() const noexcept;
  // Blocks until stop() is called.
  void wait();
  // Stops taking requests, ends live sessions (each logged as aborted) and joins every thread.
  // Idempotent; safe from any thread but the server's own.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace headspa::server
