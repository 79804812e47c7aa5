#include "store/migrations.hpp"

#include <array>

namespace headspa::store::detail {
namespace {

// Version 1: every record of issue #7. Times are microseconds since the Unix epoch (*_us) or
// seconds on the session clock (*_s); hashes are SHA-256 as 64 lowercase hex digits.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE clients (
  id TEXT PRIMARY KEY,
  name TEXT,
  created_us BIGINT NOT NULL
);
CREATE TABLE intakes (
  id ${ID},
  client_id TEXT NOT NULL REFERENCES clients(id),
  taken_us BIGINT NOT NULL,
  intake_json TEXT NOT NULL
);
CREATE INDEX intakes_by_client ON intakes(client_id, taken_us);
CREATE TABLE screenings (
  id ${ID},
  client_id TEXT NOT NULL REFERENCES clients(id),
  intake_id BIGINT REFERENCES intakes(id),
  decision TEXT NOT NULL CHECK (decision IN ('proceed', 'modified', 'refused')),
  screened_us BIGINT NOT NULL,
  screening_json TEXT NOT NULL
);
CREATE INDEX screenings_by_client ON screenings(client_id, screened_us);
CREATE TABLE scalp_analyses (
  id ${ID},
  client_id TEXT NOT NULL REFERENCES clients(id),
  analysed_us BIGINT NOT NULL,
  analysis_json TEXT NOT NULL
);
CREATE INDEX scalp_analyses_by_client ON scalp_analyses(client_id, analysed_us);
CREATE TABLE scalp_images (
  id ${ID},
  analysis_id BIGINT NOT NULL REFERENCES scalp_analyses(id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  image ${BLOB} NOT NULL,
  UNIQUE (analysis_id, position)
);
CREATE TABLE head_scans (
  id ${ID},
  client_id TEXT NOT NULL REFERENCES clients(id),
  scanned_us BIGINT NOT NULL,
  format TEXT NOT NULL,
  unit_note TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  mesh ${BLOB},
  mesh_path TEXT,
  CHECK ((mesh IS NULL) <> (mesh_path IS NULL))
);
CREATE INDEX head_scans_by_client ON head_scans(client_id, scanned_us);
CREATE TABLE plans (
  id ${ID},
  client_id TEXT REFERENCES clients(id),
  protocol_id TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  plan_json TEXT NOT NULL,
  input_hashes_json TEXT NOT NULL,
  plan_sha256 TEXT NOT NULL
);
CREATE INDEX plans_by_client ON plans(client_id, created_us);
CREATE TABLE sessions (
  id ${ID},
  client_id TEXT REFERENCES clients(id),
  plan_id BIGINT REFERENCES plans(id),
  state TEXT NOT NULL CHECK (state IN ('created', 'running', 'paused', 'finished', 'aborted')),
  outcome TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  started_us BIGINT,
  ended_us BIGINT
);
CREATE INDEX sessions_by_client ON sessions(client_id, created_us);
CREATE TABLE session_events (
  id ${ID},
  session_id BIGINT NOT NULL REFERENCES sessions(id),
  t_s DOUBLE PRECISION NOT NULL,
  kind TEXT NOT NULL,
  cause TEXT NOT NULL
);
CREATE INDEX session_events_by_session ON session_events(session_id, id);
CREATE TABLE trace_chunks (
  id ${ID},
  session_id BIGINT NOT NULL REFERENCES sessions(id),
  t_first_s DOUBLE PRECISION NOT NULL,
  t_last_s DOUBLE PRECISION NOT NULL,
  sample_count INTEGER NOT NULL CHECK (sample_count > 0),
  samples ${BLOB} NOT NULL
);
CREATE INDEX trace_chunks_by_session ON trace_chunks(session_id, id);
CREATE TABLE api_tokens (
  id ${ID},
  name TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_us BIGINT NOT NULL,
  revoked_us BIGINT
);
)sql";

// Version 2: a plan's document compressed (zlib). A real 40-minute routine's plan is about
// 18 MB of JSON, more than a text document may be; it is stored as plan_zlib (about 3.4 MB) with
// plan_json left empty. Rows written before keep their text in plan_json and plan_zlib NULL.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE plans ADD COLUMN plan_zlib ${BLOB};
)sql";

constexpr std::array<Migration, 2> kMigrations = {{
    {1, "clients, intakes, screenings, scalp analyses, head scans, plans, sessions, logs, tokens",
     kV1},
    {2, "plans: the document stored compressed (zlib) in plan_zlib", kV2},
}};

constexpr std::array<std::string_view, 11> kTables = {
    "clients", "intakes",  "screenings",     "scalp_analyses", "scalp_images", "head_scans",
    "plans",   "sessions", "session_events", "trace_chunks",   "api_tokens"};

}  // namespace

std::span<const Migration> migrations() noexcept { return kMigrations; }
std::span<const std::string_view> record_tables() noexcept { return kTables; }

}  // namespace headspa::store::detail
