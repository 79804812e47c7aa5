// headspa's records: one Store interface over two backends with the same schema.
//
//   SQLite (WAL)  the embedded default: a file path, `--db FILE`, or the user's data directory
//   PostgreSQL    a location starting with postgresql:// or postgres:// (a libpq URL)
//
// Every write is one transaction: it is checked first (InputError naming the field), and a write
// that fails part-way leaves the database as it was. A Store is used by one thread at a time;
// open one per thread (SessionLogWriter opens its own).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "headspa/store/records.hpp"

namespace headspa::store {

namespace detail {
class Connection;
}

// The database failed (disk full, connection lost, locked too long): not the caller's input.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the embedded database lives when no --db is given:
// $XDG_DATA_HOME/headspa/headspa.db, else ~/.local/share/headspa/headspa.db.
// InputError when neither XDG_DATA_HOME nor HOME is set to an absolute path.
std::string default_location();

// `db` when not empty, else default_location().
std::string resolve_location(const std::string& db);

// True when the location names a PostgreSQL server rather than an SQLite file.
bool is_postgres_location(std::string_view location) noexcept;

struct OpenOptions {
  bool migrate = true;  // apply pending migrations on open
  bool create = true;   // SQLite: create the file (and, for the default location, its folder)
};

// The schema's state, as `headspa db status` prints it.
struct SchemaStatus {
  int version = 0;                                               // applied; 0 for an empty database
  int latest = 0;                                                // the newest this headspa knows
  std::vector<std::pair<std::string, std::int64_t>> row_counts;  // per table, schema order
};

class Store {
 public:
  ~Store();
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // "sqlite" or "postgresql".
  std::string_view backend() const noexcept;
  // The location it was opened with (a PostgreSQL password is replaced by "***").
  const std::string& location() const noexcept { return location_; }

  // ---- schema ----
  // The number of the newest migration built into this headspa.
  static int latest_schema_version() noexcept;
  int schema_version();
  // Applies every pending migration, each in its own transaction; returns how many it applied.
  // Idempotent. InputError when the database is newer than this headspa.
  int migrate();
  SchemaStatus status();
  // The backend's own integrity check (SQLite: integrity_check and foreign_key_check) and a decode
  // of every trace chunk; "ok" or what is wrong, one problem per line.
  std::string integrity_check();

  // ---- clients ----
  // A new client with a generated pseudonymous id; the name is optional.
  Client create_client(const std::optional<std::string>& name = std::nullopt);
  std::optional<Client> find_client(const std::string& client_id);
  std::vector<Client> list_clients();
  // The latest head scan, intake, screening and analysis and every plan and session.
  ClientHistory client_history(const std::string& client_id);

  // ---- what a client brings ----
  RecordId add_intake(const std::string& client_id, const std::string& json);
  std::optional<Intake> latest_intake(const std::string& client_id);
  RecordId add_screening(const std::string& client_id, std::optional<RecordId> intake_id,
                         const std::string& decision, const std::string& json);
  RecordId add_scalp_analysis(const std::string& client_id, const std::string& json,
                              const std::vector<ScalpImage>& images);
  // With its images, in the order they were added.
  std::optional<ScalpAnalysis> scalp_analysis(RecordId id);
  // Stores the mesh bytes when scan.mesh_bytes is set, else records scan.mesh_path and hashes
  // that file. id, scanned_us (when 0) and sha256 are filled in.
  RecordId add_head_scan(const HeadScan& scan);
  std::optional<HeadScan> latest_head_scan(const std::string& client_id);

  // ---- plans and sessions ----
  RecordId add_plan(const Plan& plan);
  std::optional<Plan> plan(RecordId id);
  RecordId create_session(const std::optional<std::string>& client_id,
                          std::optional<RecordId> plan_id);
  std::optional<Session> session(RecordId id);
  // Moves a session on: created -> running <-> paused -> finished|aborted. Sets started_us when it
  // first runs and ended_us when it ends; InputError for a move that is not allowed.
  void set_session_state(RecordId id, SessionState state, const std::string& outcome = {});

  // Appends events and trace samples to a session's log in one transaction (SessionLogWriter
  // calls this on its own thread). Samples are stored as chunks of at most 4096.
  void append_session_log(RecordId session_id, const std::vector<SessionEvent>& events,
                          const std::vector<TraceSample>& samples);
  std::vector<SessionEvent> session_events(RecordId session_id);
  // Samples with from_s <= t_s <= to_s, in the order they were appended.
  std::vector<TraceSample> session_trace(RecordId session_id, double from_s = 0.0,
                                         double to_s = 1e300);
  // The session-clock time of the newest stored sample, if any.
  std::optional<double> last_trace_time_s(RecordId session_id);

  // ---- API tokens ----
  NewApiToken create_token(const std::string& name);
  std::vector<ApiToken> list_tokens();
  // Revokes a token (once; revoking again keeps the first time). InputError for an unknown id.
  void revoke_token(RecordId id);
  // The live (not revoked) token with this secret, if any.
  std::optional<ApiToken> verify_token(const std::string& secret);

 private:
  friend Store open_store(const std::string& location, const OpenOptions& options);
  Store(std::unique_ptr<detail::Connection> connection, std::string location);
  void require_current_schema();

  std::unique_ptr<detail::Connection> db_;
  std::string location_;
  bool schema_checked_ = false;
};

// Opens (and by default migrates) the store at a location: a postgresql:// or postgres:// URL,
// else an SQLite file path ("" = default_location()). InputError naming the location when it
// cannot be opened or its schema is newer than this headspa.
Store open_store(const std::string& location, const OpenOptions& options = {});

}  // namespace headspa::store
