// headspa run and headspa demo end to end, on every example: exit status, report.json checked
// value by value, report.html opened in headless Chromium with no console output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "test_util.hpp"

namespace headspa {
namespace {

using nlohmann::json;

const std::string kCli = HEADSPA_CLI;
const std::string kExamples = std::string(HEADSPA_SOURCE_DIR) + "/examples/";
const std::string kChecker = std::string(HEADSPA_E2E_DIR) + "/check_report.sh";
const std::string kFixtures = std::string(HEADSPA_E2E_DIR) + "/fixtures/";

#define REQUIRE_SESSIONS()                                                  \
  if (!HEADSPA_E2E_SESSIONS) {                                              \
    GTEST_SKIP() << "sessions on the twin are not run in sanitizer builds"; \
  }

struct CliRun {
  int status = -1;
  std::string output;
  json report;  // null when no report.json was written
  std::string html;
  std::string html_path;
  std::string db;
};

// `headspa <command> ARGS -o DIR/out --db DIR/records.db`, and what it wrote.
CliRun run_cli(const test::TempDir& dir, const std::string& command, const std::string& args) {
  CliRun r;
  r.db = dir.file("records.db");
  const std::string out = dir.file("out");
  const auto c = test::run_command(kCli + " " + command + " " + args + " -o " + test::quote(out) +
                                   " --db " + test::quote(r.db));
  r.status = c.status;
  r.output = c.output;
  r.html_path = out + "/report.html";
  if (std::filesystem::exists(out + "/report.json")) {
    r.report = json::parse(test::read_file(out + "/report.json"));
  }
  if (std::filesystem::exists(r.html_path)) r.html = test::read_file(r.html_path);
  return r;
}

CliRun run_example(const test::TempDir& dir, const std::string& example,
                   const std::string& protocol, const std::string& extra = "") {
  return run_cli(
      dir, "run",
      "--intake " + test::quote(kExamples + example) + " --protocol " + protocol + " " + extra);
}

// 0 clean, 1 console output, 77 no Chromium.
test::CommandResult chromium_check(const std::string& page) {
  return test::run_command("bash " + test::quote(kChecker) + " " + test::quote(page));
}

void expect_opens_cleanly(const CliRun& r) {
  const auto c = chromium_check(r.html_path);
  if (c.status == 77) {
    std::printf("%s", c.output.c_str());  // said, not failed: Chromium is not installed here
    return;
  }
  EXPECT_EQ(c.status, 0) << c.output;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

// Self-contained: nothing loaded from elsewhere.
void expect_self_contained(const std::string& html) {
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src=\"/"), std::string::npos);
  EXPECT_EQ(html.find("<link rel=\"stylesheet\""), std::string::npos);
}

// The row count `headspa db status` prints for a table, or -1.
int db_rows(const std::string& db, const std::string& table) {
  const auto c = test::run_command(kCli + " db status --db " + test::quote(db));
  std::istringstream lines(c.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name;
    int rows = -1;
    if (words >> name >> rows && name == table) return rows;
  }
  return -1;
}

// What every finished session's report shows.
void expect_finished_session(const CliRun& r) {
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_TRUE(r.report.is_object()) << r.output;
  EXPECT_EQ(r.report["outcome"], "finished") << r.report["summary"];
  const json& s = r.report["session"];
  EXPECT_TRUE(s["ran"].get<bool>());
  EXPECT_TRUE(s["met_safety"].get<bool>());
  EXPECT_GT(s["metrics"]["coverage_achieved"].get<double>(), 0.8);
  ASSERT_EQ(s["force"].size(), 2u);
  for (const auto& pad : s["force"]) {
    EXPECT_GT(pad["t_s"].size(), 100u);
    EXPECT_EQ(pad["t_s"].size(), pad["commanded_n"].size());
    EXPECT_EQ(pad["t_s"].size(), pad["cap_n"].size());
  }
  // Every targeted region was worked on the twin, and no planned force exceeds its cap.
  ASSERT_FALSE(r.report["regions"].empty());
  for (const auto& region : r.report["regions"]) {
    if (!region["targeted"].get<bool>()) continue;
    EXPECT_GT(region["delivered_time_s"].get<double>(), 0.0) << region["region"];
    EXPECT_GT(region["delivered_coverage"].get<double>(), 0.0) << region["region"];
    EXPECT_LE(region["planned_peak_force_n"].get<double>(), region["cap_n"].get<double>() + 1e-9)
        << region["region"];
  }
  for (const auto& check : r.report["plan"]["checks"]) {
    EXPECT_TRUE(check["passed"].get<bool>()) << check["check"];
  }
  EXPECT_GT(r.report["records"]["session_id"].get<int>(), 0);
  EXPECT_EQ(db_rows(r.db, "sessions"), 1);
  EXPECT_EQ(db_rows(r.db, "plans"), 1);
  // Five pictures of the head, the force charts, the at-home routine.
  EXPECT_EQ(count(r.html, "<img alt=\"head seen from the "), 5u);
  EXPECT_EQ(count(r.html, "<svg class=\"chart\""), 2u);
  EXPECT_NE(r.html.find("id=\"home\""), std::string::npos);
  expect_self_contained(r.html);
  EXPECT_NE(r.output.find("report: "), std::string::npos);
  expect_opens_cleanly(r);
}

// The fraction of the cap each massage step commands on the regions in `group`.
std::vector<double> fractions_on(const json& report, const std::set<std::string>& group) {
  std::vector<double> out;
  for (const auto& step : report["steps"]) {
    for (const auto& p : step["pressure"]) {
      if (group.count(p["region"].get<std::string>())) out.push_back(p["fraction"].get<double>());
    }
  }
  return out;
}

const std::set<std::string> kFace{"forehead",    "glabella", "cheek_left",
                                  "cheek_right", "jaw_left", "jaw_right"};

bool mentions(const json& modifications, const std::string& text) {
  return std::any_of(modifications.begin(), modifications.end(), [&](const json& m) {
    return m["what"].get<std::string>().find(text) != std::string::npos ||
           m["reason"].get<std::string>().find(text) != std::string::npos;
  });
}

// ---- the checker ----

TEST(ChromiumCheck, CatchesAnInjectedConsoleErrorAndAnUncaughtException) {
  const auto error = chromium_check(kFixtures + "console-error.html");
  if (error.status == 77) GTEST_SKIP() << error.output;
  EXPECT_EQ(error.status, 1) << error.output;
  EXPECT_NE(error.output.find("injected console error"), std::string::npos) << error.output;
  const auto thrown = chromium_check(kFixtures + "uncaught-exception.html");
  EXPECT_EQ(thrown.status, 1) << thrown.output;
  EXPECT_NE(thrown.output.find("missingFunction"), std::string::npos) << thrown.output;
  const auto clean = chromium_check(kFixtures + "clean.html");
  EXPECT_EQ(clean.status, 0) << clean.output;
}

// ---- the examples folder ----

TEST(Examples, EveryExampleHasATestHere) {
  std::set<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(kExamples)) {
    if (e.path().extension() == ".yaml") found.insert(e.path().filename().string());
  }
  const std::set<std::string> tested{
      "demo-client.yaml",     "japanese-head-spa.yaml", "head-therapy.yaml",
      "face-and-scalp.yaml",  "scalp-self.yaml",        "severe-psoriasis.yaml",
      "coconut-allergy.yaml", "sensitive-face.yaml",    "short-time-budget.yaml"};
  EXPECT_EQ(found, tested);
}

TEST(Demo, SampleClientIsExamplesDemoClient) {
  const auto c = test::run_command(kCli + " demo --print-intake");
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_EQ(c.output, test::read_file(kExamples + "demo-client.yaml"));
}

// ---- refusals and bad input: no session, so they run in every build ----

TEST(Run, SeverePsoriasisIsRefusedBeforeAnyContact) {
  test::TempDir dir;
  const CliRun r = run_example(dir, "severe-psoriasis.yaml", "japanese-head-spa");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("refused before any contact"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("refuse-severe-psoriasis"), std::string::npos) << r.output;
  ASSERT_TRUE(r.report.is_object()) << r.output;
  EXPECT_EQ(r.report["outcome"], "refused");
  EXPECT_EQ(r.report["decision"]["decision"], "refused");
  EXPECT_NE(r.report["summary"].get<std::string>().find("psoriasis"), std::string::npos);
  EXPECT_FALSE(r.report["session"]["ran"].get<bool>());
  EXPECT_FALSE(r.report["plan"]["made"].get<bool>());
  EXPECT_TRUE(r.report["steps"].empty());
  EXPECT_EQ(r.report["records"]["session_id"], 0);
  // The refusal is on record, and nothing was planned or run.
  EXPECT_EQ(db_rows(r.db, "screenings"), 1);
  EXPECT_EQ(db_rows(r.db, "plans"), 0);
  EXPECT_EQ(db_rows(r.db, "sessions"), 0);
  // At home: self-massage waits too.
  EXPECT_TRUE(r.report["home_care"]["on_hold"].get<bool>());
  EXPECT_NE(r.html.find("Refused before any contact"), std::string::npos);
  expect_self_contained(r.html);
  expect_opens_cleanly(r);
}

TEST(Run, BadInputNamesTheFileAndExitsTwo) {
  test::TempDir dir;
  CliRun r = run_cli(dir, "run", "--intake " + dir.file("missing.yaml"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("missing.yaml"), std::string::npos) << r.output;
  EXPECT_TRUE(r.report.is_null());
  r = run_example(dir, "scalp-self.yaml", "no-such-routine");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("japanese-head-spa"), std::string::npos) << r.output;  // the known ids
  test::write_file(dir.file("bad.yaml"), "format: headspa/intake@1\ngoals: [world_peace]\n");
  r = run_cli(dir, "run", "--intake " + dir.file("bad.yaml"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("bad.yaml"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("goals"), std::string::npos) << r.output;
}

// ---- one client per source routine ----

// Each example below runs to `finished` on the twin and its report is checked.

TEST(Run, JapaneseHeadSpa) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "japanese-head-spa.yaml", "japanese-head-spa");
  expect_finished_session(r);
  // All six steps of the source, within the client's 30 minutes.
  std::set<std::string> kinds;
  double total = 0;
  for (const auto& s : r.report["steps"]) {
    kinds.insert(s["kind"].get<std::string>());
    total += s["duration_s"].get<double>();
  }
  for (const char* k : {"analysis", "cleanse", "steam", "serum_or_mask", "rinse", "dry_and_style"})
    EXPECT_TRUE(kinds.count(k)) << k;
  EXPECT_LE(total, 1800.0 + 1e-6);
}

// Head therapy within this client's 25 minutes.
TEST(Run, HeadTherapy) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "head-therapy.yaml", "head-therapy");
  expect_finished_session(r);
  // The five key areas, each worked on the twin.
  std::set<std::string> worked;
  for (const auto& region : r.report["regions"]) {
    if (region["delivered_time_s"].get<double>() > 0) worked.insert(region["region"]);
  }
  for (const char* k : {"scalp_crown", "temple_left", "skull_base", "neck_back", "cheek_left"})
    EXPECT_TRUE(worked.count(k)) << k;
}

TEST(Run, FaceAndScalp) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "face-and-scalp.yaml", "face-and-scalp");
  expect_finished_session(r);
  const auto face = fractions_on(r.report, kFace);
  ASSERT_FALSE(face.empty());
  EXPECT_GT(*std::max_element(face.begin(), face.end()), 0.45);  // compare SensitiveFace
}

TEST(Run, ScalpSelf) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "scalp-self.yaml", "scalp-self");
  expect_finished_session(r);
}

// ---- rule cases ----

TEST(Run, CoconutAllergySwapsTheOil) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "coconut-allergy.yaml", "scalp-self");
  expect_finished_session(r);
  bool oil_step = false;
  for (const auto& s : r.report["steps"]) {
    EXPECT_NE(s["product_id"], "oil_coconut") << s["id"];
    if (s["kind"] == "oil") {
      oil_step = true;
      EXPECT_EQ(s["product_id"], "oil_raspberry_seed");
    }
  }
  EXPECT_TRUE(oil_step);
  EXPECT_TRUE(mentions(r.report["modifications"], "coconut_oil")) << r.report["modifications"];
}

TEST(Run, SensitiveFaceLowersTheCaps) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "sensitive-face.yaml", "face-and-scalp");
  expect_finished_session(r);
  const auto face = fractions_on(r.report, kFace);
  ASSERT_FALSE(face.empty());
  for (double f : face) EXPECT_LE(f, 0.45 + 1e-9);
  for (const auto& region : r.report["regions"]) {
    if (kFace.count(region["region"]) == 0) continue;
    EXPECT_LE(region["planned_peak_force_n"].get<double>(),
              0.45 * region["cap_n"].get<double>() + 1e-6)
        << region["region"];
  }
  const auto& reasons = r.report["decision"]["reasons"];
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const json& s) {
    return s.get<std::string>().find("sensitive-skin-gentle-face") != std::string::npos;
  })) << reasons;
}

// Head therapy in 20 minutes: the steps rescaled, and the presses give some of their time to the
// forehead's strokes.
TEST(Run, ShortTimeBudgetRescalesTheRoutine) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_example(dir, "short-time-budget.yaml", "head-therapy");
  expect_finished_session(r);
  double total = 0;
  for (const auto& s : r.report["steps"]) total += s["duration_s"].get<double>();
  EXPECT_LE(total, 1200.0 + 1e-6);
  EXPECT_GT(total, 900.0);
  EXPECT_TRUE(mentions(r.report["modifications"], "budget")) << r.report["modifications"];
}

TEST(Run, ScalpPhotosShowFindingsWithOverlays) {
  REQUIRE_SESSIONS();
  const std::string data = test::shared_data();
  if (data.empty()) GTEST_SKIP() << "no ../shared/data: scalp photographs are third-party data";
  test::TempDir dir;
  const std::string images = data + "/scalp/images/";
  const CliRun r = run_example(
      dir, "face-and-scalp.yaml", "face-and-scalp",
      "--scalp " + test::quote(images + "D_102.jpg") + " " + test::quote(images + "D_139.jpg"));
  expect_finished_session(r);
  ASSERT_TRUE(r.report["scalp"].is_object());
  EXPECT_EQ(r.report["scalp"]["images"].size(), 2u);
  EXPECT_EQ(count(r.html, "<img alt=\"scalp photograph\""), 2u);
  EXPECT_EQ(count(r.html, "<img alt=\"what the analysis found\""), 2u);
  EXPECT_EQ(db_rows(r.db, "scalp_images"), 2);
}

// ---- the demo: the full Japanese head spa on the built-in head ----

TEST(Demo, RunsTheJapaneseHeadSpaAndSaysWhereTheReportIs) {
  REQUIRE_SESSIONS();
  test::TempDir dir;
  const CliRun r = run_cli(dir, "demo", "");
  expect_finished_session(r);
  EXPECT_EQ(r.report["protocol"]["id"], "japanese-head-spa");
  EXPECT_NE(r.output.find("report: " + dir.file("out") + "/report.html"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace headspa
