// The SQLite backend: one sqlite3 handle in WAL mode.
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/store/store.hpp"
#include "store/connection.hpp"

namespace headspa::store::detail {
namespace {

constexpr int kBusyTimeoutMs = 10000;

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      throw StoreError(std::string("sqlite: ") + sqlite3_errmsg(db) + " in: " + std::string(sql));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const noexcept { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& path, bool create) : path_(path) {
    const int flags =
        SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw InputError(InputLocation{path, 0, 0, ""}, "cannot open the SQLite database: " + why);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 1);
    try {
      // A file that is not a database fails here, at the first read.
      const auto mode = query("PRAGMA journal_mode=WAL", {});
      if (mode.empty() || mode.front().text(0) != "wal") {
        throw InputError(InputLocation{path, 0, 0, ""}, "cannot switch the database to WAL mode");
      }
      // In WAL mode NORMAL survives any process crash; only a power cut can lose the newest
      // commits, never consistency.
      exec_script("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    } catch (const StoreError& e) {
      sqlite3_close(db_);
      db_ = nullptr;
      throw InputError(InputLocation{path, 0, 0, ""},
                       std::string("not a usable SQLite database: ") + e.what());
    } catch (...) {
      sqlite3_close(db_);
      db_ = nullptr;
      throw;
    }
  }
  ~SqliteConnection() override { sqlite3_close(db_); }

  std::string_view backend() const noexcept override { return "sqlite"; }
  std::string_view id_column_type() const noexcept override {
    return "INTEGER PRIMARY KEY AUTOINCREMENT";
  }
  std::string_view blob_type() const noexcept override { return "BLOB"; }

  void begin(bool write) override { exec_script(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) override {
    Statement stmt(db_, sql);
    sqlite3_stmt* s = stmt.get();
    if (sqlite3_bind_parameter_count(s) != static_cast<int>(params.size())) {
      throw InternalError("sqlite: parameter count mismatch in: " + std::string(sql));
    }
    for (std::size_t i = 0; i < params.size(); ++i) bind(s, static_cast<int>(i) + 1, params[i]);
    std::vector<Row> rows;
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(sql);
      const int n = sqlite3_column_count(s);
      std::vector<std::optional<std::string>> cells;
      cells.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) cells.push_back(cell(s, c));
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  void exec_script(const std::string& sql) override {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string why = message != nullptr ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      throw StoreError("sqlite: " + why + " (" + path_ + ")");
    }
  }

  void lock_for_migration() override {}  // BEGIN IMMEDIATE already holds the write lock

  bool has_table(const std::string& name) override {
    return !query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {name}).empty();
  }

  std::string backend_integrity_check() override {
    std::string problems;
    for (const auto& row : query("PRAGMA integrity_check", {})) {
      if (row.text(0) != "ok") problems += "integrity_check: " + row.text(0) + "\n";
    }
    for (const auto& row : query("PRAGMA foreign_key_check", {})) {
      problems += "foreign_key_check: table " + row.text(0) + " row " +
                  row.opt_text(1).value_or("?") + " refers to a missing " + row.text(2) + "\n";
    }
    return problems;
  }

 private:
  static void bind(sqlite3_stmt* s, int index, const Value& value) {
    if (std::holds_alternative<std::nullptr_t>(value)) {
      sqlite3_bind_null(s, index);
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      sqlite3_bind_int64(s, index, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      sqlite3_bind_double(s, index, *d);
    } else if (const auto* t = std::get_if<std::string>(&value)) {
      sqlite3_bind_text64(s, index, t->data(), t->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      const auto& b = std::get<Blob>(value).bytes;
      if (b.empty()) {
        sqlite3_bind_zeroblob(s, index, 0);
      } else {
        sqlite3_bind_blob64(s, index, b.data(), b.size(), SQLITE_STATIC);
      }
    }
  }

  static std::optional<std::string> cell(sqlite3_stmt* s, int c) {
    switch (sqlite3_column_type(s, c)) {
      case SQLITE_NULL:
        return std::nullopt;
      case SQLITE_INTEGER:
        return std::to_string(sqlite3_column_int64(s, c));
      case SQLITE_FLOAT: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(s, c));
        return std::string(buf);
      }
      default: {
        const void* p = sqlite3_column_blob(s, c);
        const int n = sqlite3_column_bytes(s, c);
        return p == nullptr ? std::string()
                            : std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
      }
    }
  }

  [[noreturn]] void fail(std::string_view sql) const {
    throw StoreError("sqlite: " + std::string(sqlite3_errmsg(db_)) + " (" + path_ +
                     ") in: " + std::string(sql.substr(0, 200)));
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool create) {
  if (!create && !std::filesystem::exists(path)) {
    throw InputError(InputLocation{path, 0, 0, ""},
                     "no database here (`headspa db migrate` creates one)");
  }
  return std::make_unique<SqliteConnection>(path, create);
}

}  // namespace headspa::store::detail
