// The records store on both backends: schema, records, transactions and bad input.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "headspa/store/session_log.hpp"
#include "headspa/store/store.hpp"
#include "store/store_test_util.hpp"

namespace headspa::store {
namespace {

using testing::contains;
using testing::FreshDatabase;
using testing::input_error_of;

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { HEADSPA_REQUIRE_DATABASE(db_); }
  Store open(OpenOptions options = {}) { return open_store(db_.location(), options); }
  // Row counts of every table: equal before and after a failed write.
  static std::int64_t total(const SchemaStatus& s) {
    std::int64_t n = 0;
    for (const auto& [table, count] : s.row_counts) n += count;
    return n;
  }

  FreshDatabase db_{GetParam()};
};

TraceSample sample(double t, std::uint32_t contact) {
  TraceSample s;
  s.t_s = t;
  s.contact = contact;
  s.commanded_force_n = 4.0 + std::sin(t);
  s.measured_force_n = 4.1 + std::sin(t) / 3.0;
  s.commanded_position_m = {0.01 * t, -0.02, 0.1 + 1e-9 * t};
  s.measured_position_m = {0.01 * t + 1e-4, -0.0201, 0.1};
  return s;
}

TEST_P(StoreTest, OpensAtTheLatestSchemaAndMigratingAgainChangesNothing) {
  Store store = open();
  EXPECT_EQ(store.backend(), GetParam() == "sqlite" ? "sqlite" : "postgresql");
  EXPECT_EQ(store.schema_version(), Store::latest_schema_version());
  EXPECT_EQ(store.migrate(), 0);
  const SchemaStatus s = store.status();
  EXPECT_EQ(s.version, s.latest);
  EXPECT_EQ(s.row_counts.size(), 11u);
  EXPECT_EQ(total(s), 0);
  EXPECT_EQ(store.integrity_check(), "ok");
  // A second process opening the same database sees the same version and migrates nothing.
  Store again = open();
  EXPECT_EQ(again.migrate(), 0);
}

TEST_P(StoreTest, AnUnmigratedDatabaseSaysToMigrate) {
  Store store = open(OpenOptions{.migrate = false});
  EXPECT_EQ(store.schema_version(), 0);
  const std::string what = input_error_of([&] { store.create_client(); });
  EXPECT_TRUE(contains(what, "run `headspa db migrate`")) << what;
  EXPECT_EQ(store.migrate(), Store::latest_schema_version());
  EXPECT_NO_THROW(store.create_client());
}

TEST_P(StoreTest, ADatabaseNewerThanThisHeadspaIsAClearError) {
  {
    Store store = open();
    store.create_client(std::string("Ana"));
  }
  // Pretend a later headspa migrated the database.
  if (GetParam() == "sqlite") {
    const auto r = headspa::test::run_command(
        "sqlite3 " + headspa::test::quote(db_.location()) +
        " \"INSERT INTO schema_version VALUES (99, 'from the future', 0)\"");
    ASSERT_EQ(r.status, 0) << r.output;
  } else {
    pqxx::connection c(db_.location());
    pqxx::work w(c);
    w.exec("INSERT INTO schema_version VALUES (99, 'from the future', 0)");
    w.commit();
  }
  const std::string what = input_error_of([&] { open(); });
  EXPECT_TRUE(contains(what, "schema version 99, newer than this headspa knows")) << what;
}

TEST_P(StoreTest, ClientsGetPseudonymsAndNamesAreOptional) {
  Store store = open();
  const Client a = store.create_client();
  const Client b = store.create_client(std::string("Bea"));
  EXPECT_EQ(a.id.size(), 23u);
  EXPECT_EQ(a.id.rfind("cl_", 0), 0u);
  EXPECT_NE(a.id, b.id);
  EXPECT_FALSE(a.name.has_value());
  ASSERT_TRUE(store.find_client(b.id).has_value());
  EXPECT_EQ(store.find_client(b.id)->name, "Bea");
  EXPECT_EQ(store.list_clients().size(), 2u);
  EXPECT_FALSE(store.find_client("cl_00000000000000000000").has_value());

  EXPECT_TRUE(contains(input_error_of([&] { store.find_client("bob"); }), "client_id: 'bob'"));
  EXPECT_TRUE(contains(input_error_of([&] { store.create_client(std::string("a\nb")); }),
                       "client.name: contains a control character"));
  EXPECT_TRUE(contains(input_error_of([&] { store.create_client(std::string()); }),
                       "client.name: must not be empty"));
  EXPECT_TRUE(contains(input_error_of([&] { store.create_client(std::string("Jos\xe9")); }),
                       "client.name: not valid UTF-8"));
  EXPECT_EQ(store.create_client(std::string("Jos\xc3\xa9")).name, "Jos\xc3\xa9");
}

TEST_P(StoreTest, AReturningClientsHeadIntakeAndHistoryAreFetched) {
  Store store = open();
  const Client c = store.create_client(std::string("Chi"));
  EXPECT_FALSE(store.latest_intake(c.id).has_value());
  EXPECT_FALSE(store.latest_head_scan(c.id).has_value());

  const RecordId first = store.add_intake(c.id, R"({"age": 40, "pressure": "medium"})");
  const RecordId second = store.add_intake(c.id, R"({"age": 41, "pressure": "light"})");
  EXPECT_GT(second, first);
  ASSERT_TRUE(store.latest_intake(c.id));
  EXPECT_EQ(store.latest_intake(c.id)->json, R"({"age": 41, "pressure": "light"})");
  store.add_screening(c.id, second, "modified", R"({"decision": "modified", "matched": []})");

  HeadScan scan;
  scan.client_id = c.id;
  scan.format = "ply";
  scan.unit_note = "mm (auto)";
  scan.mesh_bytes = std::string("ply\nformat binary_little_endian 1.0\n\0\x01\xff", 40);
  const RecordId scan_id = store.add_head_scan(scan);
  const auto latest = store.latest_head_scan(c.id);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->id, scan_id);
  EXPECT_EQ(latest->mesh_bytes, scan.mesh_bytes);
  EXPECT_EQ(latest->sha256, sha256_hex(*scan.mesh_bytes));
  EXPECT_EQ(latest->unit_note, "mm (auto)");

  Plan plan;
  plan.client_id = c.id;
  plan.protocol_id = "japanese-head-spa";
  plan.json = R"({"format": "headspa/plan@1", "segments": []})";
  plan.input_hashes = {{"head", latest->sha256}, {"intake", sha256_hex("intake")}};
  const RecordId plan_id = store.add_plan(plan);
  const auto stored = store.plan(plan_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->json, plan.json);
  EXPECT_EQ(stored->input_hashes, plan.input_hashes);
  EXPECT_EQ(stored->sha256, sha256_hex(plan.json));
  const RecordId session_id = store.create_session(c.id, plan_id);

  const ClientHistory h = store.client_history(c.id);
  EXPECT_EQ(h.client.name, "Chi");
  ASSERT_TRUE(h.head_scan && h.intake && h.screening);
  EXPECT_EQ(h.head_scan->id, scan_id);
  EXPECT_EQ(h.intake->id, second);
  EXPECT_EQ(h.screening->decision, "modified");
  EXPECT_EQ(h.screening->intake_id, second);
  ASSERT_EQ(h.plans.size(), 1u);
  EXPECT_EQ(h.plans[0].protocol_id, "japanese-head-spa");
  ASSERT_EQ(h.sessions.size(), 1u);
  EXPECT_EQ(h.sessions[0].id, session_id);
  EXPECT_EQ(h.sessions[0].plan_id, plan_id);
}

TEST_P(StoreTest, HeadScansByPathAreHashedFromTheFile) {
  Store store = open();
  const Client c = store.create_client();
  const std::string mesh = (db_.folder() / "head.obj").string();
  headspa::test::write_file(mesh, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
  HeadScan scan{0, c.id, 0, "obj", "m", std::nullopt, mesh, ""};
  store.add_head_scan(scan);
  const auto got = store.latest_head_scan(c.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->mesh_path, mesh);
  EXPECT_FALSE(got->mesh_bytes);
  EXPECT_EQ(got->sha256, sha256_file_hex(mesh));

  scan.mesh_bytes = "v 0 0 0\n";
  EXPECT_TRUE(
      contains(input_error_of([&] { store.add_head_scan(scan); }), "head_scan.mesh: give either"));
  scan.mesh_bytes.reset();
  scan.mesh_path = "relative.obj";
  EXPECT_TRUE(contains(input_error_of([&] { store.add_head_scan(scan); }),
                       "head_scan.mesh_path: must be an absolute path"));
  scan.mesh_path = mesh;
  scan.sha256 = sha256_hex("something else");
  EXPECT_TRUE(contains(input_error_of([&] { store.add_head_scan(scan); }), "head_scan.sha256"));
  scan.sha256.clear();
  scan.format = "docx";
  EXPECT_TRUE(
      contains(input_error_of([&] { store.add_head_scan(scan); }), "head_scan.format: 'docx'"));
}

TEST_P(StoreTest, ScalpImagesAreKeptByteForByte) {
  Store store = open();
  const Client c = store.create_client();
  std::string jpeg("\xff\xd8\xff\xe0", 4);
  for (int i = 0; i < 70000; ++i) jpeg.push_back(static_cast<char>(i * 31));
  const std::vector<ScalpImage> images = {{"crown.jpg", "image/jpeg", jpeg, ""},
                                          {"temple.png", "image/png", std::string(3, '\0'), ""}};
  const RecordId id = store.add_scalp_analysis(c.id, R"({"oil": 0.3})", images);
  const auto got = store.scalp_analysis(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->json, R"({"oil": 0.3})");
  ASSERT_EQ(got->images.size(), 2u);
  EXPECT_EQ(got->images[0].bytes, jpeg);
  EXPECT_EQ(got->images[0].sha256, sha256_hex(jpeg));
  EXPECT_EQ(got->images[1].bytes, std::string(3, '\0'));
  EXPECT_EQ(got->images[1].media_type, "image/png");
  const ClientHistory h = store.client_history(c.id);
  ASSERT_TRUE(h.scalp_analysis);
  EXPECT_EQ(h.scalp_analysis->images.size(), 2u);
  EXPECT_TRUE(h.scalp_analysis->images[0].bytes.empty());  // the history leaves bytes out
}

TEST_P(StoreTest, AFailedWriteLeavesTheDatabaseUnchanged) {
  Store store = open();
  const Client c = store.create_client(std::string("Dee"));
  const RecordId session_id = store.create_session(c.id, std::nullopt);
  store.append_session_log(session_id, {{0.0, EventKind::kStart, ""}}, {sample(0.0, 0)});
  const SchemaStatus before = store.status();

  // The first image is written before the second is found bad: both roll back with the analysis.
  const std::vector<ScalpImage> images = {{"a.jpg", "image/jpeg", "jpeg bytes", ""},
                                          {"b.txt", "text/plain", "not an image", ""}};
  EXPECT_TRUE(contains(input_error_of([&] { store.add_scalp_analysis(c.id, "{}", images); }),
                       "scalp_analysis.images[1].media_type: expected image/"));
  // Events and a whole 4096-sample chunk are written before sample 5000 is found bad.
  std::vector<TraceSample> samples;
  for (int i = 0; i < 6000; ++i) samples.push_back(sample(1.0 + i * 1e-3, 0));
  samples[5000].measured_force_n = std::nan("");
  EXPECT_TRUE(
      contains(input_error_of([&] {
                 store.append_session_log(session_id, {{1.0, EventKind::kPause, "x"}}, samples);
               }),
               "samples[5000].measured_force_n: must be a finite number"));
  EXPECT_TRUE(contains(input_error_of([&] {
                         store.append_session_log(session_id, {{-1.0, EventKind::kNote, ""}}, {});
                       }),
                       "events[0].t_s"));
  // Records that do not exist, and fields that are wrong.
  EXPECT_TRUE(contains(input_error_of([&] { store.add_intake("cl_00000000000000000000", "{}"); }),
                       "intake.client_id: no client"));
  EXPECT_TRUE(contains(input_error_of([&] { store.add_intake(c.id, "{not json"); }),
                       "intake.json: not valid JSON"));
  EXPECT_TRUE(contains(input_error_of([&] { store.add_screening(c.id, {}, "maybe", "{}"); }),
                       "screening.decision: 'maybe'"));
  EXPECT_TRUE(contains(input_error_of([&] { store.add_screening(c.id, 12345, "proceed", "{}"); }),
                       "screening.intake_id: no intake 12345"));
  EXPECT_TRUE(contains(input_error_of([&] { store.create_session(c.id, 777); }),
                       "session.plan_id: no plans record 777"));
  EXPECT_TRUE(contains(input_error_of([&] { store.append_session_log(-3, {}, {}); }),
                       "session_id: record ids are positive"));
  Plan bad_plan;
  bad_plan.protocol_id = "head-therapy";
  bad_plan.json = "{}";
  bad_plan.input_hashes = {{"head", "abc"}};
  EXPECT_TRUE(contains(input_error_of([&] { store.add_plan(bad_plan); }),
                       "plan.input_hashes.head: expected a SHA-256"));

  const SchemaStatus after = store.status();
  EXPECT_EQ(after.row_counts, before.row_counts);
  EXPECT_EQ(store.session_trace(session_id).size(), 1u);
  EXPECT_EQ(store.session_events(session_id).size(), 1u);
  EXPECT_EQ(store.integrity_check(), "ok");
}

TEST_P(StoreTest, SessionsMoveThroughTheirStates) {
  Store store = open();
  const RecordId id = store.create_session(std::nullopt, std::nullopt);
  EXPECT_EQ(store.session(id)->state, SessionState::kCreated);
  EXPECT_TRUE(contains(input_error_of([&] { store.set_session_state(id, SessionState::kPaused); }),
                       "session.state: a created session cannot become paused"));
  store.set_session_state(id, SessionState::kRunning);
  const auto running = store.session(id);
  ASSERT_TRUE(running->started_us);
  store.set_session_state(id, SessionState::kPaused);
  store.set_session_state(id, SessionState::kRunning);
  EXPECT_EQ(store.session(id)->started_us, running->started_us);  // the first start is kept
  store.set_session_state(id, SessionState::kFinished, "completed");
  const auto done = store.session(id);
  EXPECT_EQ(done->state, SessionState::kFinished);
  EXPECT_EQ(done->outcome, "completed");
  ASSERT_TRUE(done->ended_us);
  EXPECT_GE(*done->ended_us, *done->started_us);
  EXPECT_TRUE(contains(input_error_of([&] { store.set_session_state(id, SessionState::kRunning); }),
                       "a finished session cannot become running"));
  EXPECT_FALSE(store.session(id + 100).has_value());
}

TEST_P(StoreTest, TracesComeBackExactlyAndByTime) {
  Store store = open();
  const RecordId id = store.create_session(std::nullopt, std::nullopt);
  std::vector<TraceSample> samples;
  for (int i = 0; i < 5000; ++i)
    samples.push_back(sample(i * 1e-3, static_cast<std::uint32_t>(i % 2)));
  store.append_session_log(id, {{0.0, EventKind::kStart, ""}, {2.5, EventKind::kSofter, "client"}},
                           samples);
  EXPECT_EQ(store.session_trace(id), samples);  // two chunks, decoded bit for bit
  const auto window = store.session_trace(id, 1.0, 1.0015);
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(window[0], samples[1000]);
  ASSERT_TRUE(store.last_trace_time_s(id));
  EXPECT_DOUBLE_EQ(*store.last_trace_time_s(id), 4.999);
  const auto events = store.session_events(id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, EventKind::kSofter);
  EXPECT_EQ(events[1].cause, "client");
  EXPECT_DOUBLE_EQ(events[1].t_s, 2.5);
  EXPECT_EQ(store.integrity_check(), "ok");
}

TEST_P(StoreTest, TheSessionLogWriterCommitsInTheBackground) {
  RecordId id = 0;
  {
    Store store = open();
    id = store.create_session(std::nullopt, std::nullopt);
  }
  SessionLogWriter writer(db_.location(), id, SessionLogOptions{.flush_period_s = 0.05});
  writer.append_event({0.0, EventKind::kStart, ""});
  for (int i = 0; i < 300; ++i) {
    writer.append_sample(sample(i * 1e-3, 0));
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Without a flush, the background thread commits within a few periods.
  Store reader = open();
  for (int tries = 0; tries < 100 && reader.session_trace(id).size() < 300; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(reader.session_trace(id).size(), 300u);
  writer.append_event({0.3, EventKind::kFinish, "completed"});
  writer.flush();
  EXPECT_EQ(reader.session_events(id).size(), 2u);
  writer.close();
  const SessionLogStats stats = writer.stats();
  EXPECT_EQ(stats.committed_samples, 300u);
  EXPECT_EQ(stats.committed_events, 2u);
  EXPECT_EQ(stats.dropped_samples, 0u);
  EXPECT_EQ(stats.last_committed_t_s, 0.299);
  EXPECT_TRUE(stats.last_error.empty());

  EXPECT_TRUE(contains(input_error_of([&] { SessionLogWriter w(db_.location(), id + 1); }),
                       "session_id: no session"));
  EXPECT_TRUE(contains(
      input_error_of([&] { SessionLogWriter w(db_.location(), id, {.flush_period_s = 2.0}); }),
      "flush_period_s"));
}

TEST_P(StoreTest, TokensAreStoredOnlyAsHashes) {
  Store store = open();
  const NewApiToken t = store.create_token("salon front desk");
  EXPECT_EQ(t.secret.size(), 68u);
  EXPECT_EQ(t.secret.rfind("hst_", 0), 0u);
  const NewApiToken other = store.create_token("research");
  ASSERT_TRUE(store.verify_token(t.secret));
  EXPECT_EQ(store.verify_token(t.secret)->name, "salon front desk");
  EXPECT_FALSE(store.verify_token(t.secret + "x"));
  EXPECT_FALSE(store.verify_token(""));
  store.revoke_token(t.token.id);
  store.revoke_token(t.token.id);  // again: no change
  EXPECT_FALSE(store.verify_token(t.secret));
  EXPECT_TRUE(store.verify_token(other.secret));
  const auto tokens = store.list_tokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens[0].revoked_us.has_value());
  EXPECT_FALSE(tokens[1].revoked_us.has_value());
  EXPECT_TRUE(contains(input_error_of([&] { store.revoke_token(9999); }),
                       "token.id: no api_tokens record 9999"));
  EXPECT_TRUE(contains(input_error_of([&] { store.create_token(""); }), "token.name"));
  if (GetParam() == "sqlite") {
    // The secret appears nowhere in the database files; its hash does.
    std::string files;
    for (const char* suffix : {"", "-wal"}) {
      files += headspa::test::read_file(db_.location() + suffix);
    }
    EXPECT_FALSE(contains(files, t.secret.substr(4)));
    EXPECT_TRUE(contains(files, sha256_hex(t.secret)));
  }
}

// A real plan: the built-in 40-minute japanese-head-spa routine on the built-in head, planned by
// the headspa command once per test process (about 18 MB of JSON, over the 16 MB a text
// document may be).
const std::string& real_plan_json() {
  static const std::string json = [] {
    headspa::test::TempDir dir;
    const std::string out = dir.file("plan.json");
    const auto r = headspa::test::run_command(std::string(HEADSPA_CLI) +
                                              " plan --protocol japanese-head-spa -o " +
                                              headspa::test::quote(out));
    EXPECT_EQ(r.status, 0) << r.output;
    return r.status == 0 ? headspa::test::read_file(out) : std::string();
  }();
  return json;
}

// Runs SQL on the test's database behind the store's back; the first row's cells as text.
std::vector<std::string> raw_sql(const FreshDatabase& db, const std::string& sql) {
  std::vector<std::string> cells;
  if (db.backend() == "sqlite") {
    const std::string script = (db.folder() / "raw.sql").string();
    headspa::test::write_file(script, sql + ";\n");
    const auto r =
        headspa::test::run_command("sqlite3 -separator '|' " + headspa::test::quote(db.location()) +
                                   " < " + headspa::test::quote(script));
    EXPECT_EQ(r.status, 0) << r.output;
    std::string line = r.output.substr(0, r.output.find('\n'));
    for (std::size_t at = 0; at <= line.size() && !line.empty();) {
      const std::size_t bar = std::min(line.find('|', at), line.size());
      cells.push_back(line.substr(at, bar - at));
      at = bar + 1;
    }
  } else {
    pqxx::connection c(db.location());
    pqxx::work w(c);
    const pqxx::result rows = w.exec(sql);
    w.commit();
    if (!rows.empty()) {
      for (const auto& f : rows[0]) cells.push_back(f.is_null() ? "" : f.c_str());
    }
  }
  return cells;
}

TEST_P(StoreTest, ARealFortyMinutePlanIsStoredCompressedAndComesBackExactly) {
  const std::string& json = real_plan_json();
  ASSERT_GT(json.size(), std::size_t{16} << 20) << "the routine's plan is expected above 16 MB";
  Store store = open();
  Plan plan;
  plan.protocol_id = "japanese-head-spa";
  plan.json = json;
  plan.input_hashes = {{"head", sha256_hex("head")}};
  const RecordId id = store.add_plan(plan);
  const auto back = store.plan(id);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->json == json) << "the plan came back changed";
  EXPECT_EQ(back->sha256, sha256_hex(json));
  // Stored compressed: no text, and the blob a fraction of the document.
  const bool lite = GetParam() == "sqlite";
  const auto sizes = raw_sql(db_, std::string("SELECT ") + (lite ? "length" : "octet_length") +
                                      "(plan_json), " + (lite ? "length" : "octet_length") +
                                      "(plan_zlib) FROM plans WHERE id = " + std::to_string(id));
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], "0");
  EXPECT_LT(std::stoll(sizes[1]), static_cast<long long>(json.size() / 3)) << sizes[1];
  EXPECT_EQ(store.integrity_check(), "ok");

  // Bad input the same size is refused and changes nothing.
  const SchemaStatus before = store.status();
  Plan broken = plan;
  broken.json = json.substr(0, json.size() / 2);
  EXPECT_TRUE(
      contains(input_error_of([&] { store.add_plan(broken); }), "plan.json: not valid JSON"));
  EXPECT_EQ(store.status().row_counts, before.row_counts);

  // A damaged blob is found by the integrity check and refused when read.
  raw_sql(db_, lite ? "UPDATE plans SET plan_zlib = substr(plan_zlib, 1, 1000)"
                    : "UPDATE plans SET plan_zlib = substring(plan_zlib from 1 for 1000)");
  EXPECT_TRUE(contains(store.integrity_check(), "plan " + std::to_string(id) + ": zlib:"));
  EXPECT_THROW(store.plan(id), StoreError);
}

TEST_P(StoreTest, PlansStoredBeforeSchemaVersion2AreKeptAndRead) {
  // A database as headspa with schema version 1 left it: plan documents as text.
  { Store store = open(); }
  raw_sql(db_, "ALTER TABLE plans DROP COLUMN plan_zlib");
  raw_sql(db_, "DELETE FROM schema_version WHERE version = 2");
  const std::string old_json = R"({"format": "headspa/plan@1", "segments": [1, 2, 3]})";
  raw_sql(db_,
          "INSERT INTO plans (client_id, protocol_id, created_us, plan_json, input_hashes_json, "
          "plan_sha256) VALUES (NULL, 'scalp-self', 1, '" +
              old_json + "', '{}', '" + sha256_hex(old_json) + "')");
  {
    Store v1 = open(OpenOptions{.migrate = false});
    EXPECT_EQ(v1.schema_version(), 1);
    EXPECT_TRUE(contains(input_error_of([&] { v1.plan(1); }), "run `headspa db migrate`"));
  }
  Store store = open();  // migrates
  EXPECT_EQ(store.schema_version(), 2);
  const auto old = store.plan(1);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->json, old_json);
  EXPECT_EQ(old->sha256, sha256_hex(old_json));
  // New plans next to it are stored compressed; both read back.
  Plan plan;
  plan.protocol_id = "scalp-self";
  plan.json = R"({"format": "headspa/plan@1", "segments": []})";
  const RecordId id = store.add_plan(plan);
  EXPECT_EQ(store.plan(id)->json, plan.json);
  EXPECT_EQ(store.plan(1)->json, old_json);
  EXPECT_EQ(store.integrity_check(), "ok");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, testing::kBackends, testing::backend_name);

// ---- backend-specific ----

TEST(StoreSqlite, AppendsDoNotWaitForALockedDatabase) {
  FreshDatabase db("sqlite");
  RecordId id = 0;
  {
    Store store = open_store(db.location());
    id = store.create_session(std::nullopt, std::nullopt);
  }
  SessionLogWriter writer(db.location(), id, SessionLogOptions{.flush_period_s = 0.05});
  // Another process holds the write lock: the flush thread waits on it, the session must not.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db.location().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a commit is now waiting
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) writer.append_sample(sample(i * 1e-3, 0));
  const double append_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(append_s, 0.5);  // microseconds in practice; the lock is held for 1 s
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(writer.stats().committed_samples, 0u);
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  writer.flush();
  EXPECT_EQ(writer.stats().committed_samples, 2000u);
  EXPECT_EQ(writer.stats().failed_commits, 0u);  // it waited (busy timeout), it did not fail
}

TEST(StorePostgres, TheSessionLogSurvivesALostConnection) {
  FreshDatabase db("postgresql");
  HEADSPA_REQUIRE_DATABASE(db);
  RecordId id = 0;
  {
    Store store = open_store(db.location());
    id = store.create_session(std::nullopt, std::nullopt);
  }
  SessionLogWriter writer(db.location(), id, SessionLogOptions{.flush_period_s = 0.05});
  writer.append_sample(sample(0.0, 0));
  writer.flush();
  // The server drops the writer's connection (as a restart or a network cut would).
  {
    pqxx::connection admin(db.location());
    pqxx::nontransaction(admin).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  }
  for (int i = 1; i <= 100; ++i) writer.append_sample(sample(i * 1e-3, 0));
  // The first commit after the cut may fail; its batch is kept and committed on reconnection.
  for (int tries = 0; tries < 50 && writer.stats().committed_samples < 101; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  writer.close();
  EXPECT_EQ(writer.stats().committed_samples, 101u) << writer.stats().last_error;
  EXPECT_GE(writer.stats().failed_commits, 1u);  // the cut was seen, and the batch kept
  std::printf("lost connection: %llu failed commit(s) before reconnecting\n",
              static_cast<unsigned long long>(writer.stats().failed_commits));
  Store store = open_store(db.location());
  EXPECT_EQ(store.session_trace(id).size(), 101u);
}

TEST(StoreLocation, DefaultsToTheUsersDataFolder) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const std::string saved = old_xdg != nullptr ? old_xdg : "";
  ::setenv("XDG_DATA_HOME", "/data/xdg", 1);
  EXPECT_EQ(default_location(), "/data/xdg/headspa/headspa.db");
  ::unsetenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    EXPECT_EQ(default_location(), std::string(home) + "/.local/share/headspa/headspa.db");
  }
  EXPECT_EQ(resolve_location("x.db"), "x.db");
  if (!saved.empty()) ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
  EXPECT_TRUE(is_postgres_location("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_location("postgres://h/db"));
  EXPECT_FALSE(is_postgres_location("/tmp/postgresql://x"));
}

TEST(StoreLocation, TheDefaultDatabaseIsCreatedInItsFolder) {
  headspa::test::TempDir dir;
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  const std::string saved = old_xdg != nullptr ? old_xdg : "";
  ::setenv("XDG_DATA_HOME", dir.path().c_str(), 1);
  {
    Store store = open_store("");
    store.create_client();
    EXPECT_EQ(store.location(), (dir.path() / "headspa/headspa.db").string());
    // WAL mode: the write-ahead log sits next to the database while it is open.
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "headspa/headspa.db-wal"));
  }
  if (saved.empty()) {
    ::unsetenv("XDG_DATA_HOME");
  } else {
    ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
  }
}

TEST(StoreSqlite, AFileThatIsNotADatabaseIsBadInput) {
  headspa::test::TempDir dir;
  headspa::test::write_file(dir.file("notes.db"), std::string(4096, 'x'));
  const std::string what = input_error_of([&] { open_store(dir.file("notes.db")); });
  EXPECT_TRUE(contains(what, "notes.db: not a usable SQLite database")) << what;
  EXPECT_EQ(headspa::test::read_file(dir.file("notes.db")), std::string(4096, 'x'));
  const std::string missing = input_error_of([&] { open_store(dir.file("nowhere/x.db")); });
  EXPECT_TRUE(contains(missing, "cannot open the SQLite database")) << missing;
  EXPECT_TRUE(contains(
      input_error_of([&] { open_store(dir.file("absent.db"), OpenOptions{.create = false}); }),
      "absent.db: no database here"));
}

TEST(StorePostgres, AnUnreachableServerIsBadInputAndHidesThePassword) {
  headspa::test::TempDir dir;
  const std::string url = "postgresql://alice:s3cret@/headspa?host=" + dir.path().string();
  const std::string what = input_error_of([&] { open_store(url); });
  EXPECT_TRUE(contains(what, "cannot connect to PostgreSQL")) << what;
  EXPECT_TRUE(contains(what, "alice:***@")) << what;
  EXPECT_FALSE(contains(what, "s3cret")) << what;
  const std::string in_query = input_error_of([&] {
    open_store("postgres://alice@/headspa?host=" + dir.path().string() + "&password=hunter2&x=1");
  });
  EXPECT_TRUE(contains(in_query, "password=***&x=1")) << in_query;
  EXPECT_FALSE(contains(in_query, "hunter2")) << in_query;
}

}  // namespace
}  // namespace headspa::store
