// The little SQL surface both backends offer, so Store's queries are written once.
//
// Statements use `?` for parameters (PostgreSQL's backend renumbers them $1, $2, ...), and the
// migrations' `${ID}` and `${BLOB}` are the only dialect words. Every cell comes back as bytes
// (integers and reals as their decimal text), which Row's accessors parse.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace headspa::store::detail {

// A value bound to a `?`: NULL, an integer, a real, text, or bytes for a BLOB/bytea column.
struct Blob {
  std::string bytes;
};
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  std::size_t size() const noexcept { return cells_.size(); }
  bool is_null(std::size_t i) const { return !cells_.at(i).has_value(); }
  const std::string& text(std::size_t i) const;  // StoreError when NULL
  std::optional<std::string> opt_text(std::size_t i) const { return cells_.at(i); }
  std::int64_t int64(std::size_t i) const;
  std::optional<std::int64_t> opt_int64(std::size_t i) const;
  double real(std::size_t i) const;

 private:
  std::vector<std::optional<std::string>> cells_;
};

class Connection {
 public:
  virtual ~Connection() = default;

  virtual std::string_view backend() const noexcept = 0;
  // The SQL a migration's ${ID} (an auto-numbered primary key) and ${BLOB} stand for.
  virtual std::string_view id_column_type() const noexcept = 0;
  virtual std::string_view blob_type() const noexcept = 0;

  // A write transaction takes the write lock at once (SQLite BEGIN IMMEDIATE).
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  // One statement with `?` parameters; the rows it returns (RETURNING included).
  virtual std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) = 0;
  // Several statements, no parameters (migrations).
  virtual void exec_script(const std::string& sql) = 0;
  // Serialises migrations between processes; inside a write transaction.
  virtual void lock_for_migration() = 0;
  // True when the table exists.
  virtual bool has_table(const std::string& name) = 0;
  // The backend's own consistency checks: "" when all is well, else one problem per line.
  virtual std::string backend_integrity_check() = 0;
};

// One transaction: rolled back unless commit() is called.
class Transaction {
 public:
  Transaction(Connection& db, bool write) : db_(db) { db_.begin(write); }
  ~Transaction() {
    if (!done_) db_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  Connection& db_;
  bool done_ = false;
};

// Opens an SQLite file (WAL, foreign keys on, a busy timeout).
std::unique_ptr<Connection> open_sqlite(const std::string& path, bool create);
// Connects to PostgreSQL at a libpq URL.
std::unique_ptr<Connection> open_postgres(const std::string& url);

// The URL with any password replaced by "***", for messages.
std::string redact_url(const std::string& url);

}  // namespace headspa::store::detail
