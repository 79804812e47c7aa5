// The PostgreSQL backend, through libpqxx 6.4. Parameters travel as text (bytea as \x hex) and
// results come back as text, decoded here.
#include <pqxx/pqxx>

#include <cstdio>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/store/store.hpp"
#include "store/connection.hpp"

namespace headspa::store::detail {
namespace {

constexpr pqxx::oid kByteaOid = 17;
// An arbitrary key for pg_advisory_xact_lock: "headspa" migrations.
constexpr std::int64_t kMigrationLockKey = 0x6865616473706131;

std::string to_hex_bytea(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw StoreError("postgresql: bad hex digit in a bytea value");
}

std::string from_hex_bytea(const char* text, std::size_t size) {
  if (size < 2 || text[0] != '\\' || text[1] != 'x') {
    throw StoreError("postgresql: bytea not in hex format (set bytea_output = hex)");
  }
  std::string out;
  out.reserve((size - 2) / 2);
  for (std::size_t i = 2; i + 1 < size; i += 2) {
    out.push_back(static_cast<char>(hex_digit(text[i]) * 16 + hex_digit(text[i + 1])));
  }
  return out;
}

// "?" -> "$1", "$2", ... (our statements never hold a literal question mark).
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (const char c : sql) {
    if (c == '?') {
      out.push_back('$');
      out.append(std::to_string(++n));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

class PgConnection final : public Connection {
 public:
  explicit PgConnection(const std::string& url) : url_(url) {
    try {
      connect();
    } catch (const pqxx::broken_connection& e) {
      throw InputError(InputLocation{redact_url(url), 0, 0, ""},
                       std::string("cannot connect to PostgreSQL: ") + trim(e.what()));
    } catch (const pqxx::sql_error& e) {
      throw InputError(InputLocation{redact_url(url), 0, 0, ""},
                       std::string("PostgreSQL refused the session: ") + trim(e.what()));
    }
  }
  ~PgConnection() override {
    work_.reset();
    conn_.reset();
  }

  std::string_view backend() const noexcept override { return "postgresql"; }
  std::string_view id_column_type() const noexcept override { return "BIGSERIAL PRIMARY KEY"; }
  std::string_view blob_type() const noexcept override { return "BYTEA"; }

  void begin(bool /*write*/) override {
    HEADSPA_CHECK(work_ == nullptr, "nested transaction");
    // A connection the server dropped is replaced by a fresh one, here, between transactions.
    if (broken_) guard([&] { connect(); });
    guard([&] { work_ = std::make_unique<pqxx::work>(*conn_); });
  }
  void commit() override {
    HEADSPA_CHECK(work_ != nullptr, "commit outside a transaction");
    guard([&] { work_->commit(); });
    work_.reset();
  }
  void rollback() noexcept override {
    if (work_ == nullptr) return;
    try {
      work_->abort();
    } catch (...) {  // a broken connection has nothing left to roll back
    }
    work_.reset();
  }

  std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) override {
    HEADSPA_CHECK(work_ != nullptr, "query outside a transaction");
    // Text forms of the parameters; null pointers are SQL NULLs.
    std::vector<std::string> text(params.size());
    std::vector<const char*> args(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) continue;
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        text[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        text[i] = buf;
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        text[i] = *t;
      } else {
        text[i] = to_hex_bytea(std::get<Blob>(v).bytes);
      }
      args[i] = text[i].c_str();
    }
    pqxx::result result;
    guard([&] {
      result =
          work_->exec_params(number_placeholders(sql), pqxx::prepare::make_dynamic_params(args));
    });
    std::vector<Row> rows;
    rows.reserve(result.size());
    const auto columns = static_cast<std::size_t>(result.columns());
    std::vector<bool> bytea(columns);
    for (std::size_t c = 0; c < columns; ++c) {
      bytea[c] = result.column_type(static_cast<pqxx::row::size_type>(c)) == kByteaOid;
    }
    for (const auto& r : result) {
      std::vector<std::optional<std::string>> cells;
      cells.reserve(columns);
      for (std::size_t c = 0; c < columns; ++c) {
        const pqxx::field f = r[static_cast<pqxx::row::size_type>(c)];
        if (f.is_null()) {
          cells.emplace_back(std::nullopt);
        } else if (bytea[c]) {
          cells.emplace_back(from_hex_bytea(f.c_str(), f.size()));
        } else {
          cells.emplace_back(std::string(f.c_str(), f.size()));
        }
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  void exec_script(const std::string& sql) override {
    HEADSPA_CHECK(work_ != nullptr, "script outside a transaction");
    guard([&] { work_->exec(sql); });
  }

  void lock_for_migration() override {
    query("SELECT pg_advisory_xact_lock(?)", {kMigrationLockKey});
  }

  bool has_table(const std::string& name) override {
    return !query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name = ?",
                {name})
                .empty();
  }

  // PostgreSQL enforces the schema's constraints on every write and has no whole-database check
  // short of the amcheck extension; what is checked here is that the server answers.
  std::string backend_integrity_check() override {
    const auto rows = query("SELECT 1", {});
    return rows.size() == 1 ? "" : "postgresql: SELECT 1 returned no row\n";
  }

 private:
  // libpq's messages span lines; ours are one line.
  static std::string trim(const std::string& s) {
    std::string out;
    for (const char c : s) {
      if (c == '\n' || c == '\t') {
        if (!out.empty() && out.back() != ' ') out += ' ';
      } else {
        out.push_back(c);
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  // libpqxx errors become StoreError; a constraint failure says which.
  template <typename F>
  void guard(F&& f) {
    try {
      f();
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      throw StoreError("postgresql: connection lost: " + trim(e.what()));
    } catch (const pqxx::sql_error& e) {
      throw StoreError("postgresql: " + trim(e.what()));
    } catch (const pqxx::failure& e) {
      throw StoreError("postgresql: " + trim(e.what()));
    }
  }

  void connect() {
    work_.reset();
    conn_.reset();
    conn_ = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction setup(*conn_);
    setup.exec("SET client_min_messages = warning; SET bytea_output = 'hex'");
    broken_ = false;
  }

  std::string url_;
  bool broken_ = false;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> work_;
};

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& url) {
  return std::make_unique<PgConnection>(url);
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  // scheme://user:password@host... -> scheme://user:***@host...
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto end = out.find_first_of("/?", scheme + 3);
    const auto at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at > scheme) {
      const auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret&... -> ...?password=***&...
  for (auto at = out.find("password="); at != std::string::npos; at = out.find("password=", at)) {
    at += 9;
    const auto end = out.find('&', at);
    out.replace(at, (end == std::string::npos ? out.size() : end) - at, "***");
  }
  return out;
}

}  // namespace headspa::store::detail
