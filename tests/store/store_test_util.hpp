// Helpers for the store tests: a fresh database on each backend.
//
// SQLite databases live in a temporary folder. PostgreSQL databases are created on the test
// server that the `store_pg` ctest fixture starts (scripts/pg-test-server.sh), whose URL it writes
// to HEADSPA_PG_STATE_DIR/url. Without that file the PostgreSQL tests fail, saying how to start a
// server, unless HEADSPA_ALLOW_SKIP_PG=1 and the script found no PostgreSQL (it then writes
// HEADSPA_PG_STATE_DIR/skip), in which case they skip.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "headspa/core/error.hpp"
#include "test_util.hpp"

namespace headspa::store::testing {

inline std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The test server's URL for its `postgres` database, or "" with *why set.
inline std::string pg_admin_url(std::string* why, bool* skip) {
  *skip = false;
  if (const char* url = std::getenv("HEADSPA_TEST_PG_URL"); url != nullptr && url[0] != '\0') {
    return url;
  }
  const std::string dir = HEADSPA_PG_STATE_DIR;
  const std::string skip_reason = read_first_line(dir + "/skip");
  const char* allow = std::getenv("HEADSPA_ALLOW_SKIP_PG");
  if (!skip_reason.empty() && allow != nullptr && std::string(allow) == "1") {
    *skip = true;
    *why = skip_reason;
    return {};
  }
  const std::string url = read_first_line(dir + "/url");
  if (url.empty()) {
    *why =
        "no PostgreSQL test server: run the tests through ctest (the store_pg fixture starts "
        "one), or run `scripts/pg-test-server.sh start " +
        dir + "` first, or set HEADSPA_TEST_PG_URL";
  }
  return url;
}

// The same server URL with another database name.
inline std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

// A fresh, empty database for one test; dropped at the end.
class FreshDatabase {
 public:
  explicit FreshDatabase(const std::string& backend) : backend_(backend) {
    if (backend == "sqlite") {
      location_ = dir_.file("headspa.db");
      return;
    }
    bool skip = false;
    admin_url_ = pg_admin_url(&why_, &skip);
    if (admin_url_.empty()) {
      skip_ = skip;
      return;
    }
    static std::atomic<int> counter{0};
    name_ = "headspa_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + name_);
    location_ = with_database(admin_url_, name_);
  }
  ~FreshDatabase() {
    if (name_.empty()) return;
    try {
      pqxx::connection admin(admin_url_);
      pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not drop " << name_ << ": " << e.what();
    }
  }
  FreshDatabase(const FreshDatabase&) = delete;
  FreshDatabase& operator=(const FreshDatabase&) = delete;

  // "" when no database could be made; then why() says so and skip() whether to skip.
  const std::string& location() const { return location_; }
  const std::string& why() const { return why_; }
  bool skip() const { return skip_; }
  const std::filesystem::path& folder() const { return dir_.path(); }
  const std::string& backend() const { return backend_; }

 private:
  std::string backend_;
  headspa::test::TempDir dir_;
  std::string location_, admin_url_, name_, why_;
  bool skip_ = false;
};

// Fails or skips the current test when the database could not be made.
#define HEADSPA_REQUIRE_DATABASE(db)               \
  do {                                             \
    if ((db).location().empty()) {                 \
      if ((db).skip()) GTEST_SKIP() << (db).why(); \
      FAIL() << (db).why();                        \
    }                                              \
  } while (false)

// Every test that takes a backend runs on both.
inline const auto kBackends = ::testing::Values(std::string("sqlite"), std::string("postgresql"));
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// Runs f, which must throw InputError, and returns what(); "" when nothing was thrown.
template <typename F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return {};
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace headspa::store::testing
