#include "headspa/store/store.hpp"

#include <sys/random.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "store/connection.hpp"
#include "store/migrations.hpp"
#include "store/trace_codec.hpp"
#include "store/zlib_codec.hpp"

namespace headspa::store {

using detail::Blob;
using detail::Row;
using detail::Transaction;
using detail::Value;

namespace {

constexpr std::size_t kMaxJsonBytes = 16u << 20;  // one JSON document
// A plan's JSON, stored compressed: a real 40-minute routine's plan is about 18 MB, so this
// leaves room for routines several times as long (and sample rates above 100 Hz).
constexpr std::size_t kMaxPlanJsonBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxImageBytes = 32u << 20;  // one scalp photo
constexpr std::size_t kMaxMeshBytes = 512u << 20;  // one head scan
constexpr std::size_t kMaxImages = 64;             // photos per analysis
constexpr std::size_t kMaxNameChars = 200;         // names, media types, protocol ids
constexpr std::size_t kMaxTextChars = 4000;        // causes, outcomes, notes, paths
constexpr std::size_t kSamplesPerChunk = 4096;
constexpr std::string_view kClientPrefix = "cl_";
constexpr std::size_t kClientIdChars = 20;
// Crockford's base 32, lower case: no i, l, o, u.
constexpr std::string_view kBase32 = "0123456789abcdefghjkmnpqrstvwxyz";

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw InputError(InputLocation{"", 0, 0, field}, message);
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw StoreError("no randomness from the kernel (getrandom failed)");
    }
    got += static_cast<std::size_t>(r);
  }
  return out;
}

std::string new_client_id() {
  const std::string bytes = random_bytes(kClientIdChars);
  std::string id(kClientPrefix);
  for (const unsigned char b : bytes) id.push_back(kBase32[b & 31u]);
  return id;
}

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

// ---- checks on input: each names the field it found wrong ----

void check_client_id(const std::string& id, const std::string& field) {
  const bool ok =
      id.size() == kClientPrefix.size() + kClientIdChars &&
      id.compare(0, kClientPrefix.size(), kClientPrefix) == 0 &&
      std::all_of(id.begin() + static_cast<std::ptrdiff_t>(kClientPrefix.size()), id.end(),
                  [](char c) { return kBase32.find(c) != std::string_view::npos; });
  if (!ok) {
    bad(field, "'" + id.substr(0, 40) + "' is not a client id (expected cl_ and 20 of " +
                   std::string(kBase32) + ")");
  }
}

void check_record_id(RecordId id, const std::string& field) {
  if (id <= 0) bad(field, "record ids are positive, got " + std::to_string(id));
}

void check_json(const std::string& text, const std::string& field,
                std::size_t max_bytes = kMaxJsonBytes) {
  if (text.size() > max_bytes) {
    bad(field, "JSON of " + std::to_string(text.size()) + " bytes is over the limit of " +
                   std::to_string(max_bytes));
  }
  if (!nlohmann::json::accept(text)) bad(field, "not valid JSON");
}

// True when the bytes are well-formed UTF-8 (no overlong forms, no surrogates).
bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= text.size()) return false;
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    static constexpr std::uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Printable one-line UTF-8 text: no control characters, at most max_chars bytes, and (when
// required) not empty.
void check_text(const std::string& text, const std::string& field, std::size_t max_chars,
                bool required) {
  if (required && text.empty()) bad(field, "must not be empty");
  if (text.size() > max_chars) {
    bad(field, "longer than " + std::to_string(max_chars) + " characters");
  }
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      bad(field, "contains a control character");
    }
  }
  if (!is_utf8(text)) bad(field, "not valid UTF-8");
}

void check_sha256(const std::string& text, const std::string& field) {
  const bool ok = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (!ok) bad(field, "expected a SHA-256 as 64 lowercase hex digits");
}

void check_finite(double v, const std::string& field) {
  if (!std::isfinite(v)) bad(field, "must be a finite number");
}

Value nullable(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
Value nullable(std::optional<RecordId> id) { return id ? Value(*id) : Value(nullptr); }

// The dialect words of a migration.
std::string render_migration(std::string_view sql, const detail::Connection& db) {
  std::string out(sql);
  const auto replace_all = [&out](std::string_view from, std::string_view to) {
    for (std::size_t at = out.find(from); at != std::string::npos; at = out.find(from, at)) {
      out.replace(at, from.size(), to);
      at += to.size();
    }
  };
  replace_all("${ID}", db.id_column_type());
  replace_all("${BLOB}", db.blob_type());
  return out;
}

constexpr std::string_view kSchemaVersionTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_us BIGINT NOT NULL
))sql";

int applied_version(detail::Connection& db) {
  if (!db.has_table("schema_version")) return 0;
  const auto rows = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
  return static_cast<int>(rows.at(0).int64(0));
}

void check_not_newer(int version, const std::string& location) {
  const int latest = Store::latest_schema_version();
  if (version > latest) {
    throw InputError(InputLocation{location, 0, 0, ""},
                     "the database has schema version " + std::to_string(version) +
                         ", newer than this headspa knows (" + std::to_string(latest) +
                         "); use a newer headspa with it");
  }
}

// Session state moves: created -> running <-> paused -> finished | aborted.
bool allowed_move(SessionState from, SessionState to) {
  using S = SessionState;
  switch (from) {
    case S::kCreated:
      return to == S::kRunning || to == S::kAborted;
    case S::kRunning:
      return to == S::kPaused || to == S::kFinished || to == S::kAborted;
    case S::kPaused:
      return to == S::kRunning || to == S::kFinished || to == S::kAborted;
    case S::kFinished:
    case S::kAborted:
      return false;
  }
  return false;
}

constexpr std::array<std::string_view, 5> kStateNames = {"created", "running", "paused", "finished",
                                                         "aborted"};
constexpr std::array<std::string_view, 10> kEventNames = {
    "start", "pause", "resume", "softer", "firmer", "fault", "stop", "abort", "finish", "note"};

template <typename Enum, std::size_t N>
Enum parse_name(const std::array<std::string_view, N>& names, std::string_view name,
                const std::string& field) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  std::string known;
  for (const auto n : names) known += (known.empty() ? "" : ", ") + std::string(n);
  bad(field, "'" + std::string(name.substr(0, 40)) + "' is not one of " + known);
}

// ---- rows to records ----

constexpr std::string_view kClientColumns = "id, name, created_us";
Client client_from(const Row& r) { return Client{r.text(0), r.opt_text(1), r.int64(2)}; }

constexpr std::string_view kIntakeColumns = "id, client_id, taken_us, intake_json";
Intake intake_from(const Row& r) { return Intake{r.int64(0), r.text(1), r.int64(2), r.text(3)}; }

constexpr std::string_view kScreeningColumns =
    "id, client_id, intake_id, decision, screened_us, screening_json";
Screening screening_from(const Row& r) {
  return Screening{r.int64(0), r.text(1), r.opt_int64(2), r.text(3), r.int64(4), r.text(5)};
}

constexpr std::string_view kHeadScanColumns =
    "id, client_id, scanned_us, format, unit_note, mesh, mesh_path, sha256";
HeadScan head_scan_from(const Row& r) {
  return HeadScan{r.int64(0), r.text(1),     r.int64(2),    r.text(3),
                  r.text(4),  r.opt_text(5), r.opt_text(6), r.text(7)};
}

// A plan's document is plan_json's text, or (since schema version 2) plan_zlib inflated.
constexpr std::string_view kPlanColumns =
    "id, client_id, protocol_id, created_us, plan_json, input_hashes_json, plan_sha256, "
    "plan_zlib";
Plan plan_from(const Row& r) {
  Plan p;
  p.id = r.int64(0);
  p.client_id = r.opt_text(1);
  p.protocol_id = r.text(2);
  p.created_us = r.int64(3);
  if (r.size() > 7 && !r.is_null(7)) {
    try {
      p.json = detail::zlib_decompress(r.text(7), kMaxPlanJsonBytes);
    } catch (const StoreError& e) {
      throw StoreError("plan " + std::to_string(p.id) + ": " + e.what());
    }
  } else {
    p.json = r.text(4);
  }
  const auto hashes = nlohmann::json::parse(r.text(5), nullptr, false);
  if (!hashes.is_object()) throw StoreError("plan " + std::to_string(p.id) + ": bad input hashes");
  for (const auto& [name, value] : hashes.items()) {
    if (!value.is_string()) throw StoreError("plan " + std::to_string(p.id) + ": bad input hash");
    p.input_hashes[name] = value.get<std::string>();
  }
  p.sha256 = r.text(6);
  return p;
}

constexpr std::string_view kSessionColumns =
    "id, client_id, plan_id, state, outcome, created_us, started_us, ended_us";
Session session_from(const Row& r) {
  Session s;
  s.id = r.int64(0);
  s.client_id = r.opt_text(1);
  s.plan_id = r.opt_int64(2);
  s.state = parse_session_state(r.text(3), "sessions.state");
  s.outcome = r.text(4);
  s.created_us = r.int64(5);
  s.started_us = r.opt_int64(6);
  s.ended_us = r.opt_int64(7);
  return s;
}

ApiToken token_from(const Row& r) {
  return ApiToken{r.int64(0), r.text(1), r.int64(2), r.opt_int64(3)};
}

std::string select(std::string_view columns, std::string_view rest) {
  return "SELECT " + std::string(columns) + " " + std::string(rest);
}

}  // namespace

// ---- records.hpp ----

std::int64_t now_us() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view to_string(SessionState state) noexcept {
  return kStateNames[static_cast<std::size_t>(state)];
}
SessionState parse_session_state(std::string_view name, const std::string& field) {
  return parse_name<SessionState>(kStateNames, name, field);
}
std::string_view to_string(EventKind kind) noexcept {
  return kEventNames[static_cast<std::size_t>(kind)];
}
EventKind parse_event_kind(std::string_view name, const std::string& field) {
  return parse_name<EventKind>(kEventNames, name, field);
}

// ---- locations ----

std::string default_location() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return (std::filesystem::path(xdg) / "headspa" / "headspa.db").string();
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return (std::filesystem::path(home) / ".local" / "share" / "headspa" / "headspa.db").string();
  }
  throw InputError(InputLocation{"", 0, 0, "--db"},
                   "neither XDG_DATA_HOME nor HOME is set; pass --db FILE or a postgresql:// URL");
}

std::string resolve_location(const std::string& db) { return db.empty() ? default_location() : db; }

bool is_postgres_location(std::string_view location) noexcept {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Store open_store(const std::string& location_in, const OpenOptions& options) {
  const bool is_default = location_in.empty();
  const std::string location = resolve_location(location_in);
  std::unique_ptr<detail::Connection> db;
  std::string shown = location;
  if (is_postgres_location(location)) {
    shown = detail::redact_url(location);
    db = detail::open_postgres(location);
  } else {
    if (is_default && options.create) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(location).parent_path(), ec);
      if (ec) {
        throw InputError(InputLocation{location, 0, 0, ""},
                         "cannot create the data folder: " + ec.message());
      }
    }
    db = detail::open_sqlite(location, options.create);
  }
  Store store(std::move(db), shown);
  {
    Transaction txn(*store.db_, false);
    check_not_newer(applied_version(*store.db_), shown);
    txn.commit();
  }
  if (options.migrate) store.migrate();
  return store;
}

// ---- Store ----

Store::Store(std::unique_ptr<detail::Connection> connection, std::string location)
    : db_(std::move(connection)), location_(std::move(location)) {}
Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

std::string_view Store::backend() const noexcept { return db_->backend(); }

int Store::latest_schema_version() noexcept { return detail::migrations().back().version; }

int Store::schema_version() {
  Transaction txn(*db_, false);
  const int v = applied_version(*db_);
  txn.commit();
  return v;
}

int Store::migrate() {
  int applied = 0;
  for (const auto& m : detail::migrations()) {
    // One transaction per migration: the check, the schema change and its version row.
    Transaction txn(*db_, true);
    db_->lock_for_migration();
    db_->exec_script(std::string(kSchemaVersionTable));
    const int current = applied_version(*db_);
    check_not_newer(current, location_);
    if (m.version <= current) {
      txn.commit();
      continue;
    }
    HEADSPA_CHECK(m.version == current + 1, "migrations are numbered 1, 2, 3, ...");
    db_->exec_script(render_migration(m.sql, *db_));
    db_->query("INSERT INTO schema_version (version, description, applied_us) VALUES (?, ?, ?)",
               {std::int64_t{m.version}, std::string(m.description), now_us()});
    txn.commit();
    ++applied;
  }
  schema_checked_ = false;
  return applied;
}

void Store::require_current_schema() {
  if (schema_checked_) return;
  const int v = schema_version();
  check_not_newer(v, location_);
  if (v < latest_schema_version()) {
    throw InputError(InputLocation{location_, 0, 0, ""},
                     "the database has schema version " + std::to_string(v) +
                         ", this headspa needs " + std::to_string(latest_schema_version()) +
                         "; run `headspa db migrate`");
  }
  schema_checked_ = true;
}

SchemaStatus Store::status() {
  SchemaStatus s;
  s.latest = latest_schema_version();
  Transaction txn(*db_, false);
  s.version = applied_version(*db_);
  for (const auto table : detail::record_tables()) {
    const std::string name(table);
    if (!db_->has_table(name)) continue;
    const auto rows = db_->query("SELECT COUNT(*) FROM " + name, {});
    s.row_counts.emplace_back(name, rows.at(0).int64(0));
  }
  txn.commit();
  return s;
}

std::string Store::integrity_check() {
  Transaction txn(*db_, false);
  std::string problems = db_->backend_integrity_check();
  if (db_->has_table("trace_chunks")) {
    std::vector<TraceSample> scratch;
    for (const auto& r : db_->query(
             "SELECT id, sample_count, samples, t_first_s, t_last_s FROM trace_chunks", {})) {
      scratch.clear();
      try {
        detail::decode_trace(r.text(2), static_cast<std::size_t>(r.int64(1)), scratch);
        if (scratch.front().t_s != r.real(3) || scratch.back().t_s != r.real(4)) {
          problems += "trace chunk " + r.text(0) + ": times do not match its samples\n";
        }
      } catch (const StoreError& e) {
        problems += "trace chunk " + r.text(0) + ": " + e.what() + "\n";
      }
    }
  }
  // Every plan's document (inflated when stored compressed) against its SHA-256, one at a time.
  if (applied_version(*db_) >= 2) {
    for (const auto& idr : db_->query("SELECT id FROM plans ORDER BY id", {})) {
      const auto rows = db_->query(
          "SELECT plan_json, plan_sha256, plan_zlib FROM plans WHERE id = ?", {idr.int64(0)});
      const Row& r = rows.at(0);
      try {
        const std::string json =
            r.is_null(2) ? r.text(0) : detail::zlib_decompress(r.text(2), kMaxPlanJsonBytes);
        if (sha256_hex(json) != r.text(1)) {
          problems += "plan " + idr.text(0) + ": its document does not match its SHA-256\n";
        }
      } catch (const StoreError& e) {
        problems += "plan " + idr.text(0) + ": " + e.what() + "\n";
      }
    }
  }
  txn.commit();
  return problems.empty() ? "ok" : problems;
}

// ---- clients ----

Client Store::create_client(const std::optional<std::string>& name) {
  require_current_schema();
  if (name) check_text(*name, "client.name", kMaxNameChars, true);
  Client c{new_client_id(), name, now_us()};
  Transaction txn(*db_, true);
  db_->query("INSERT INTO clients (id, name, created_us) VALUES (?, ?, ?)",
             {c.id, nullable(c.name), c.created_us});
  txn.commit();
  return c;
}

std::optional<Client> Store::find_client(const std::string& client_id) {
  require_current_schema();
  check_client_id(client_id, "client_id");
  Transaction txn(*db_, false);
  const auto rows = db_->query(select(kClientColumns, "FROM clients WHERE id = ?"), {client_id});
  txn.commit();
  if (rows.empty()) return std::nullopt;
  return client_from(rows.front());
}

std::vector<Client> Store::list_clients() {
  require_current_schema();
  Transaction txn(*db_, false);
  std::vector<Client> out;
  for (const auto& r :
       db_->query(select(kClientColumns, "FROM clients ORDER BY created_us, id"), {})) {
    out.push_back(client_from(r));
  }
  txn.commit();
  return out;
}

namespace {

// Inside a transaction: the client must exist.
void require_client(detail::Connection& db, const std::string& client_id,
                    const std::string& field) {
  check_client_id(client_id, field);
  if (db.query("SELECT 1 FROM clients WHERE id = ?", {client_id}).empty()) {
    bad(field, "no client '" + client_id + "'");
  }
}

void require_row(detail::Connection& db, std::string_view table, RecordId id,
                 const std::string& field) {
  check_record_id(id, field);
  if (db.query("SELECT 1 FROM " + std::string(table) + " WHERE id = ?", {id}).empty()) {
    bad(field, "no " + std::string(table) + " record " + std::to_string(id));
  }
}

RecordId inserted_id(const std::vector<Row>& rows) {
  HEADSPA_CHECK(rows.size() == 1, "INSERT ... RETURNING id gave no row");
  return rows.front().int64(0);
}

}  // namespace

ClientHistory Store::client_history(const std::string& client_id) {
  require_current_schema();
  check_client_id(client_id, "client_id");
  ClientHistory h;
  Transaction txn(*db_, false);
  const auto client = db_->query(select(kClientColumns, "FROM clients WHERE id = ?"), {client_id});
  if (client.empty()) bad("client_id", "no client '" + client_id + "'");
  h.client = client_from(client.front());
  const auto latest = [&](std::string_view columns, std::string_view table, std::string_view time) {
    return db_->query(
        select(columns, "FROM " + std::string(table) + " WHERE client_id = ? ORDER BY " +
                            std::string(time) + " DESC, id DESC LIMIT 1"),
        {client_id});
  };
  if (auto r = latest(kHeadScanColumns, "head_scans", "scanned_us"); !r.empty()) {
    h.head_scan = head_scan_from(r.front());
  }
  if (auto r = latest(kIntakeColumns, "intakes", "taken_us"); !r.empty()) {
    h.intake = intake_from(r.front());
  }
  if (auto r = latest(kScreeningColumns, "screenings", "screened_us"); !r.empty()) {
    h.screening = screening_from(r.front());
  }
  if (auto r = latest("id, client_id, analysed_us, analysis_json", "scalp_analyses", "analysed_us");
      !r.empty()) {
    ScalpAnalysis a{
        r.front().int64(0), r.front().text(1), r.front().int64(2), r.front().text(3), {}};
    for (const auto& img : db_->query("SELECT name, media_type, sha256 FROM scalp_images WHERE "
                                      "analysis_id = ? ORDER BY position",
                                      {a.id})) {
      a.images.push_back(ScalpImage{img.text(0), img.text(1), {}, img.text(2)});
    }
    h.scalp_analysis = std::move(a);
  }
  for (const auto& r : db_->query(
           "SELECT id, client_id, protocol_id, created_us, '', input_hashes_json, plan_sha256 "
           "FROM plans WHERE client_id = ? ORDER BY created_us DESC, id DESC",
           {client_id})) {
    h.plans.push_back(plan_from(r));
  }
  for (const auto& r : db_->query(select(kSessionColumns,
                                         "FROM sessions WHERE client_id = ? "
                                         "ORDER BY created_us DESC, id DESC"),
                                  {client_id})) {
    h.sessions.push_back(session_from(r));
  }
  txn.commit();
  return h;
}

// ---- what a client brings ----

RecordId Store::add_intake(const std::string& client_id, const std::string& json) {
  require_current_schema();
  check_client_id(client_id, "intake.client_id");
  check_json(json, "intake.json");
  Transaction txn(*db_, true);
  require_client(*db_, client_id, "intake.client_id");
  const RecordId id = inserted_id(db_->query(
      "INSERT INTO intakes (client_id, taken_us, intake_json) VALUES (?, ?, ?) RETURNING id",
      {client_id, now_us(), json}));
  txn.commit();
  return id;
}

std::optional<Intake> Store::latest_intake(const std::string& client_id) {
  require_current_schema();
  check_client_id(client_id, "client_id");
  Transaction txn(*db_, false);
  const auto rows =
      db_->query(select(kIntakeColumns,
                        "FROM intakes WHERE client_id = ? ORDER BY taken_us DESC, id DESC LIMIT 1"),
                 {client_id});
  txn.commit();
  if (rows.empty()) return std::nullopt;
  return intake_from(rows.front());
}

RecordId Store::add_screening(const std::string& client_id, std::optional<RecordId> intake_id,
                              const std::string& decision, const std::string& json) {
  require_current_schema();
  check_client_id(client_id, "screening.client_id");
  if (decision != "proceed" && decision != "modified" && decision != "refused") {
    bad("screening.decision",
        "'" + decision.substr(0, 40) + "' is not one of proceed, modified, refused");
  }
  check_json(json, "screening.json");
  Transaction txn(*db_, true);
  require_client(*db_, client_id, "screening.client_id");
  if (intake_id) {
    check_record_id(*intake_id, "screening.intake_id");
    const auto owner = db_->query("SELECT client_id FROM intakes WHERE id = ?", {*intake_id});
    if (owner.empty()) bad("screening.intake_id", "no intake " + std::to_string(*intake_id));
    if (owner.front().text(0) != client_id) {
      bad("screening.intake_id", "intake " + std::to_string(*intake_id) + " is another client's");
    }
  }
  const RecordId id = inserted_id(db_->query(
      "INSERT INTO screenings (client_id, intake_id, decision, screened_us, screening_json) "
      "VALUES (?, ?, ?, ?, ?) RETURNING id",
      {client_id, nullable(intake_id), decision, now_us(), json}));
  txn.commit();
  return id;
}

RecordId Store::add_scalp_analysis(const std::string& client_id, const std::string& json,
                                   const std::vector<ScalpImage>& images) {
  require_current_schema();
  check_client_id(client_id, "scalp_analysis.client_id");
  check_json(json, "scalp_analysis.json");
  if (images.size() > kMaxImages) {
    bad("scalp_analysis.images", "more than " + std::to_string(kMaxImages) + " images");
  }
  Transaction txn(*db_, true);
  require_client(*db_, client_id, "scalp_analysis.client_id");
  const RecordId id = inserted_id(db_->query(
      "INSERT INTO scalp_analyses (client_id, analysed_us, analysis_json) VALUES (?, ?, ?) "
      "RETURNING id",
      {client_id, now_us(), json}));
  // Each image is checked as it is written: a bad one rolls back the analysis and its images.
  for (std::size_t i = 0; i < images.size(); ++i) {
    const ScalpImage& img = images[i];
    const std::string field = "scalp_analysis.images[" + std::to_string(i) + "]";
    check_text(img.name, field + ".name", kMaxNameChars, true);
    check_text(img.media_type, field + ".media_type", kMaxNameChars, true);
    if (!img.media_type.starts_with("image/")) bad(field + ".media_type", "expected image/...");
    if (img.bytes.empty()) bad(field + ".bytes", "the image is empty");
    if (img.bytes.size() > kMaxImageBytes) {
      bad(field + ".bytes", "over the limit of " + std::to_string(kMaxImageBytes) + " bytes");
    }
    db_->query(
        "INSERT INTO scalp_images (analysis_id, position, name, media_type, sha256, image) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {id, static_cast<std::int64_t>(i), img.name, img.media_type, sha256_hex(img.bytes),
         Blob{img.bytes}});
  }
  txn.commit();
  return id;
}

std::optional<ScalpAnalysis> Store::scalp_analysis(RecordId id) {
  require_current_schema();
  check_record_id(id, "scalp_analysis.id");
  Transaction txn(*db_, false);
  const auto rows = db_->query(
      "SELECT id, client_id, analysed_us, analysis_json FROM scalp_analyses WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  ScalpAnalysis a{
      rows.front().int64(0), rows.front().text(1), rows.front().int64(2), rows.front().text(3), {}};
  for (const auto& r : db_->query("SELECT name, media_type, image, sha256 FROM scalp_images "
                                  "WHERE analysis_id = ? ORDER BY position",
                                  {id})) {
    a.images.push_back(ScalpImage{r.text(0), r.text(1), r.text(2), r.text(3)});
  }
  txn.commit();
  return a;
}

RecordId Store::add_head_scan(const HeadScan& scan) {
  require_current_schema();
  check_client_id(scan.client_id, "head_scan.client_id");
  static constexpr std::array<std::string_view, 6> kFormats = {"ply", "obj",  "stl",
                                                               "glb", "gltf", "off"};
  if (std::find(kFormats.begin(), kFormats.end(), scan.format) == kFormats.end()) {
    bad("head_scan.format",
        "'" + scan.format.substr(0, 20) + "' is not one of ply, obj, stl, glb, gltf, off");
  }
  check_text(scan.unit_note, "head_scan.unit_note", kMaxNameChars, true);
  if (scan.mesh_bytes.has_value() == scan.mesh_path.has_value()) {
    bad("head_scan.mesh", "give either the mesh bytes or the mesh path, not both or neither");
  }
  std::string sha;
  Value mesh = nullptr;
  Value path = nullptr;
  if (scan.mesh_bytes) {
    if (scan.mesh_bytes->empty()) bad("head_scan.mesh_bytes", "the mesh is empty");
    if (scan.mesh_bytes->size() > kMaxMeshBytes) {
      bad("head_scan.mesh_bytes", "over the limit of " + std::to_string(kMaxMeshBytes) + " bytes");
    }
    sha = sha256_hex(*scan.mesh_bytes);
    mesh = Blob{*scan.mesh_bytes};
  } else {
    check_text(*scan.mesh_path, "head_scan.mesh_path", kMaxTextChars, true);
    if (!std::filesystem::path(*scan.mesh_path).is_absolute()) {
      bad("head_scan.mesh_path", "must be an absolute path");
    }
    sha = sha256_file_hex(*scan.mesh_path);  // InputError naming the file when unreadable
    path = *scan.mesh_path;
  }
  if (!scan.sha256.empty() && scan.sha256 != sha) {
    bad("head_scan.sha256", "does not match the mesh (its SHA-256 is " + sha + ")");
  }
  Transaction txn(*db_, true);
  require_client(*db_, scan.client_id, "head_scan.client_id");
  const RecordId id = inserted_id(db_->query(
      "INSERT INTO head_scans (client_id, scanned_us, format, unit_note, sha256, mesh, mesh_path) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {scan.client_id, scan.scanned_us != 0 ? scan.scanned_us : now_us(), scan.format,
       scan.unit_note, sha, mesh, path}));
  txn.commit();
  return id;
}

std::optional<HeadScan> Store::latest_head_scan(const std::string& client_id) {
  require_current_schema();
  check_client_id(client_id, "client_id");
  Transaction txn(*db_, false);
  const auto rows = db_->query(
      select(kHeadScanColumns,
             "FROM head_scans WHERE client_id = ? ORDER BY scanned_us DESC, id DESC LIMIT 1"),
      {client_id});
  txn.commit();
  if (rows.empty()) return std::nullopt;
  return head_scan_from(rows.front());
}

// ---- plans and sessions ----

RecordId Store::add_plan(const Plan& plan) {
  require_current_schema();
  if (plan.client_id) check_client_id(*plan.client_id, "plan.client_id");
  check_text(plan.protocol_id, "plan.protocol_id", kMaxNameChars, true);
  check_json(plan.json, "plan.json", kMaxPlanJsonBytes);
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [name, sha] : plan.input_hashes) {
    check_text(name, "plan.input_hashes", kMaxNameChars, true);
    check_sha256(sha, "plan.input_hashes." + name);
    hashes[name] = sha;
  }
  // Compressed before the transaction: the write lock is held only for the insert.
  Blob packed{detail::zlib_compress(plan.json)};
  const std::string sha = sha256_hex(plan.json);
  Transaction txn(*db_, true);
  if (plan.client_id) require_client(*db_, *plan.client_id, "plan.client_id");
  const RecordId id = inserted_id(db_->query(
      "INSERT INTO plans (client_id, protocol_id, created_us, plan_json, input_hashes_json, "
      "plan_sha256, plan_zlib) VALUES (?, ?, ?, '', ?, ?, ?) RETURNING id",
      {nullable(plan.client_id), plan.protocol_id,
       plan.created_us != 0 ? plan.created_us : now_us(), hashes.dump(), sha, std::move(packed)}));
  txn.commit();
  return id;
}

std::optional<Plan> Store::plan(RecordId id) {
  require_current_schema();
  check_record_id(id, "plan.id");
  Transaction txn(*db_, false);
  const auto rows = db_->query(select(kPlanColumns, "FROM plans WHERE id = ?"), {id});
  txn.commit();
  if (rows.empty()) return std::nullopt;
  return plan_from(rows.front());
}

RecordId Store::create_session(const std::optional<std::string>& client_id,
                               std::optional<RecordId> plan_id) {
  require_current_schema();
  if (client_id) check_client_id(*client_id, "session.client_id");
  if (plan_id) check_record_id(*plan_id, "session.plan_id");
  Transaction txn(*db_, true);
  if (client_id) require_client(*db_, *client_id, "session.client_id");
  if (plan_id) require_row(*db_, "plans", *plan_id, "session.plan_id");
  const RecordId id = inserted_id(
      db_->query("INSERT INTO sessions (client_id, plan_id, state, outcome, created_us) "
                 "VALUES (?, ?, 'created', '', ?) RETURNING id",
                 {nullable(client_id), nullable(plan_id), now_us()}));
  txn.commit();
  return id;
}

std::optional<Session> Store::session(RecordId id) {
  require_current_schema();
  check_record_id(id, "session.id");
  Transaction txn(*db_, false);
  const auto rows = db_->query(select(kSessionColumns, "FROM sessions WHERE id = ?"), {id});
  txn.commit();
  if (rows.empty()) return std::nullopt;
  return session_from(rows.front());
}

void Store::set_session_state(RecordId id, SessionState state, const std::string& outcome) {
  require_current_schema();
  check_record_id(id, "session.id");
  check_text(outcome, "session.outcome", kMaxTextChars, false);
  Transaction txn(*db_, true);
  const auto rows = db_->query(select(kSessionColumns, "FROM sessions WHERE id = ?"), {id});
  if (rows.empty()) bad("session.id", "no session " + std::to_string(id));
  const Session s = session_from(rows.front());
  if (!allowed_move(s.state, state)) {
    bad("session.state", "a " + std::string(to_string(s.state)) + " session cannot become " +
                             std::string(to_string(state)));
  }
  const std::int64_t now = now_us();
  const bool ends = state == SessionState::kFinished || state == SessionState::kAborted;
  db_->query(
      "UPDATE sessions SET state = ?, outcome = ?, started_us = ?, ended_us = ? WHERE id = ?",
      {std::string(to_string(state)), ends ? outcome : s.outcome,
       s.started_us ? *s.started_us
                    : (state == SessionState::kRunning ? Value(now) : Value(nullptr)),
       ends ? Value(now) : Value(nullptr), id});
  txn.commit();
}

void Store::append_session_log(RecordId session_id, const std::vector<SessionEvent>& events,
                               const std::vector<TraceSample>& samples) {
  require_current_schema();
  check_record_id(session_id, "session_id");
  if (events.empty() && samples.empty()) return;
  Transaction txn(*db_, true);
  require_row(*db_, "sessions", session_id, "session_id");
  // Each item is checked as it is written; a bad one rolls the whole batch back.
  for (std::size_t i = 0; i < events.size(); ++i) {
    const SessionEvent& e = events[i];
    const std::string field = "events[" + std::to_string(i) + "]";
    check_finite(e.t_s, field + ".t_s");
    if (e.t_s < 0.0) bad(field + ".t_s", "the session clock starts at 0");
    check_text(e.cause, field + ".cause", kMaxTextChars, false);
    if (static_cast<std::size_t>(e.kind) >= kEventNames.size())
      bad(field + ".kind", "unknown kind");
    db_->query("INSERT INTO session_events (session_id, t_s, kind, cause) VALUES (?, ?, ?, ?)",
               {session_id, e.t_s, std::string(to_string(e.kind)), e.cause});
  }
  for (std::size_t first = 0; first < samples.size(); first += kSamplesPerChunk) {
    const std::size_t n = std::min(kSamplesPerChunk, samples.size() - first);
    const std::span<const TraceSample> chunk(samples.data() + first, n);
    for (std::size_t i = 0; i < n; ++i) {
      const TraceSample& s = chunk[i];
      // Field names are built only for a sample that fails.
      const auto field = [&](const char* name) {
        return "samples[" + std::to_string(first + i) + "]." + name;
      };
      if (!std::isfinite(s.t_s) || s.t_s < 0.0) {
        bad(field("t_s"), "must be a finite time on the session clock (>= 0)");
      }
      if (i > 0 && s.t_s < chunk[i - 1].t_s) bad(field("t_s"), "samples go back in time");
      if (!std::isfinite(s.commanded_force_n))
        check_finite(s.commanded_force_n, field("commanded_force_n"));
      if (!std::isfinite(s.measured_force_n))
        check_finite(s.measured_force_n, field("measured_force_n"));
      for (std::size_t k = 0; k < 3; ++k) {
        if (!std::isfinite(s.commanded_position_m[k])) {
          check_finite(s.commanded_position_m[k], field("commanded_position_m"));
        }
        if (!std::isfinite(s.measured_position_m[k])) {
          check_finite(s.measured_position_m[k], field("measured_position_m"));
        }
      }
    }
    db_->query(
        "INSERT INTO trace_chunks (session_id, t_first_s, t_last_s, sample_count, samples) "
        "VALUES (?, ?, ?, ?, ?)",
        {session_id, chunk.front().t_s, chunk.back().t_s, static_cast<std::int64_t>(n),
         Blob{detail::encode_trace(chunk)}});
  }
  txn.commit();
}

std::vector<SessionEvent> Store::session_events(RecordId session_id) {
  require_current_schema();
  check_record_id(session_id, "session_id");
  Transaction txn(*db_, false);
  std::vector<SessionEvent> out;
  for (const auto& r :
       db_->query("SELECT t_s, kind, cause FROM session_events WHERE session_id = ? ORDER BY id",
                  {session_id})) {
    out.push_back(
        SessionEvent{r.real(0), parse_event_kind(r.text(1), "session_events.kind"), r.text(2)});
  }
  txn.commit();
  return out;
}

std::vector<TraceSample> Store::session_trace(RecordId session_id, double from_s, double to_s) {
  require_current_schema();
  check_record_id(session_id, "session_id");
  Transaction txn(*db_, false);
  std::vector<TraceSample> all;
  for (const auto& r : db_->query("SELECT sample_count, samples FROM trace_chunks "
                                  "WHERE session_id = ? AND t_last_s >= ? AND t_first_s <= ? "
                                  "ORDER BY id",
                                  {session_id, from_s, to_s})) {
    detail::decode_trace(r.text(1), static_cast<std::size_t>(r.int64(0)), all);
  }
  txn.commit();
  std::erase_if(all, [&](const TraceSample& s) { return s.t_s < from_s || s.t_s > to_s; });
  return all;
}

std::optional<double> Store::last_trace_time_s(RecordId session_id) {
  require_current_schema();
  check_record_id(session_id, "session_id");
  Transaction txn(*db_, false);
  const auto rows =
      db_->query("SELECT MAX(t_last_s) FROM trace_chunks WHERE session_id = ?", {session_id});
  txn.commit();
  if (rows.empty() || rows.front().is_null(0)) return std::nullopt;
  return rows.front().real(0);
}

// ---- API tokens ----

NewApiToken Store::create_token(const std::string& name) {
  require_current_schema();
  check_text(name, "token.name", kMaxNameChars, true);
  NewApiToken t;
  t.secret = "hst_" + hex(random_bytes(32));
  t.token.name = name;
  t.token.created_us = now_us();
  Transaction txn(*db_, true);
  t.token.id = inserted_id(db_->query(
      "INSERT INTO api_tokens (name, token_sha256, created_us) VALUES (?, ?, ?) RETURNING id",
      {name, sha256_hex(t.secret), t.token.created_us}));
  txn.commit();
  return t;
}

std::vector<ApiToken> Store::list_tokens() {
  require_current_schema();
  Transaction txn(*db_, false);
  std::vector<ApiToken> out;
  for (const auto& r :
       db_->query("SELECT id, name, created_us, revoked_us FROM api_tokens ORDER BY id", {})) {
    out.push_back(token_from(r));
  }
  txn.commit();
  return out;
}

void Store::revoke_token(RecordId id) {
  require_current_schema();
  check_record_id(id, "token.id");
  Transaction txn(*db_, true);
  require_row(*db_, "api_tokens", id, "token.id");
  db_->query("UPDATE api_tokens SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
             {now_us(), id});
  txn.commit();
}

std::optional<ApiToken> Store::verify_token(const std::string& secret) {
  require_current_schema();
  if (secret.size() > kMaxNameChars) return std::nullopt;
  Transaction txn(*db_, false);
  const auto rows = db_->query(
      "SELECT id, name, created_us, revoked_us FROM api_tokens "
      "WHERE token_sha256 = ? AND revoked_us IS NULL",
      {sha256_hex(secret)});
  txn.commit();
  if (rows.empty()) return std::nullopt;
  return token_from(rows.front());
}

}  // namespace headspa::store
