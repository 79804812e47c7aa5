// The records headspa keeps: plain value types, the same for every backend.
//
// Records carry the other modules' JSON documents as text (an intake, a screening result, a scalp
// analysis, a session plan) next to the few typed fields that are queried, so `store` depends on
// `core` only. Times are wall-clock microseconds since the Unix epoch (UTC) unless a field ends in
// `_s`, which is seconds on the session clock (0 at the session's start).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace headspa::store {

// Row id of every record but a client (clients have a pseudonymous text id). Always > 0.
using RecordId = std::int64_t;

// Microseconds since the Unix epoch, now.
std::int64_t now_us() noexcept;

// A person, known by a generated pseudonym ("cl_" and 20 base-32 characters); the name is optional.
struct Client {
  std::string id;
  std::optional<std::string> name;
  std::int64_t created_us = 0;
};

// Intake answers (care's intake document, JSON text).
struct Intake {
  RecordId id = 0;
  std::string client_id;
  std::int64_t taken_us = 0;
  std::string json;
};

// A screening result (care's headspa/screening@1 JSON) and its decision.
struct Screening {
  RecordId id = 0;
  std::string client_id;
  std::optional<RecordId> intake_id;  // the intake that was screened, when stored
  std::string decision;               // "proceed", "modified" or "refused"
  std::int64_t screened_us = 0;
  std::string json;
};

// One magnified scalp photo, kept byte for byte.
struct ScalpImage {
  std::string name;        // the file name it came from, e.g. "crown-1.jpg"
  std::string media_type;  // e.g. "image/jpeg"
  std::string bytes;       // the encoded image
  std::string sha256;      // of bytes; filled in by the store
};

// A scalp analysis (the scalp module's JSON) with the photos it was made from.
struct ScalpAnalysis {
  RecordId id = 0;
  std::string client_id;
  std::int64_t analysed_us = 0;
  std::string json;
  std::vector<ScalpImage> images;
};

// A head scan: the mesh file's bytes, or the path where it is kept, with its SHA-256.
struct HeadScan {
  RecordId id = 0;
  std::string client_id;
  std::int64_t scanned_us = 0;
  std::string format;     // file format: "ply", "obj", "stl", "glb", "gltf", "off"
  std::string unit_note;  // how the scan's units were read, e.g. "mm (auto)" or "--units cm"
  std::optional<std::string> mesh_bytes;  // the file's bytes, when stored in the database
  std::optional<std::string> mesh_path;   // else the absolute path of the file
  std::string sha256;                     // of the mesh file; filled in by the store
};

// A session plan (plan's JSON), the protocol it follows and the inputs that made it.
struct Plan {
  RecordId id = 0;
  std::optional<std::string> client_id;  // absent for a plan on the default head
  std::string protocol_id;
  std::int64_t created_us = 0;
  std::string json;
  // Input name -> SHA-256 (64 lowercase hex digits), e.g. {"head": ..., "intake": ...}.
  std::map<std::string, std::string> input_hashes;
  std::string sha256;  // of json; filled in by the store
};

// Where a session is in its life. A session ends finished or aborted and stays so.
enum class SessionState : std::uint8_t { kCreated, kRunning, kPaused, kFinished, kAborted };
std::string_view to_string(SessionState state) noexcept;
// The state named `name`; InputError naming `field` otherwise.
SessionState parse_session_state(std::string_view name, const std::string& field);

struct Session {
  RecordId id = 0;
  std::optional<std::string> client_id;
  std::optional<RecordId> plan_id;
  SessionState state = SessionState::kCreated;
  std::string outcome;  // a short summary once ended ("completed", "stopped by client: ...")
  std::int64_t created_us = 0;
  std::optional<std::int64_t> started_us;  // first time it ran
  std::optional<std::int64_t> ended_us;    // when it finished or was aborted
};

// What happened during a session (ARCHITECTURE.md: SessionLog).
enum class EventKind : std::uint8_t {
  kStart,
  kPause,
  kResume,
  kSofter,
  kFirmer,
  kFault,
  kStop,
  kAbort,
  kFinish,
  kNote
};
std::string_view to_string(EventKind kind) noexcept;
EventKind parse_event_kind(std::string_view name, const std::string& field);

struct SessionEvent {
  double t_s = 0.0;  // session clock
  EventKind kind = EventKind::kNote;
  std::string cause;  // why, in words ("client asked", "force limit 12 N exceeded on contact 0")
};

// One controller sample of one contact: what was commanded and what was measured.
struct TraceSample {
  double t_s = 0.0;                              // session clock
  std::uint32_t contact = 0;                     // 0 = left hand, 1 = right hand
  double commanded_force_n = 0.0;                // target normal force. Unit: N
  double measured_force_n = 0.0;                 // wrist sensor's normal force. Unit: N
  std::array<double, 3> commanded_position_m{};  // head frame. Unit: m
  std::array<double, 3> measured_position_m{};   // head frame. Unit: m

  bool operator==(const TraceSample&) const = default;
};

// An API token as stored: only the SHA-256 of its secret is kept.
struct ApiToken {
  RecordId id = 0;
  std::string name;
  std::int64_t created_us = 0;
  std::optional<std::int64_t> revoked_us;
};

// A token just created: the secret is shown once and never stored.
struct NewApiToken {
  ApiToken token;
  std::string secret;  // "hst_" and 64 hex digits
};

// What a returning client brings: the latest head scan, intake, screening and scalp analysis,
// and the plans and sessions so far (newest first; plan JSON and images left out).
struct ClientHistory {
  Client client;
  std::optional<HeadScan> head_scan;
  std::optional<Intake> intake;
  std::optional<Screening> screening;
  std::optional<ScalpAnalysis> scalp_analysis;
  std::vector<Plan> plans;  // json empty
  std::vector<Session> sessions;
};

}  // namespace headspa::store
