// The care commands of the headspa binary: output and exit statuses.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct CliRun {
  int status = -1;
  std::string output;  // stdout and stderr
};

CliRun headspa(const std::string& args) {
  CliRun r;
  const std::string command = std::string(HEADSPA_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

class CareCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("headspa_care_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(CareCli, ListsAndShowsTheBuiltInProtocols) {
  CliRun r = headspa("protocols list");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* id : {"head-therapy", "scalp-self", "face-and-scalp", "japanese-head-spa"}) {
    EXPECT_NE(r.output.find(id), std::string::npos) << id;
  }
  r = headspa("protocols show japanese-head-spa");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("scalp-analysis"), std::string::npos);
  r = headspa("protocols show head-therapy --json");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.output.rfind("{\n  \"format\": \"headspa/protocol@1\"", 0), 0u) << r.output;
  r = headspa("protocols show thai-massage");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("unknown protocol 'thai-massage'"), std::string::npos);
}

TEST_F(CareCli, ChecksProtocolFiles) {
  // Every built-in protocol, written out as JSON, passes the check.
  for (const char* id : {"head-therapy", "scalp-self", "face-and-scalp", "japanese-head-spa"}) {
    const CliRun shown = headspa(std::string("protocols show ") + id + " --json");
    const std::string path = write(std::string(id) + ".json", shown.output);
    const CliRun r = headspa("protocols check " + path);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find(": ok: "), std::string::npos);
  }
  const std::string bad = write("bad.yaml",
                                "format: headspa/protocol@1\nid: x\ntitle: X\nsource: s\n"
                                "duration_s: {min: 60, max: 600}\nsteps:\n"
                                "  - {id: a, type: care, kind: rinse, duration_s: 60,\n"
                                "     device: {water_temp_c: 43}}\n");
  const CliRun r = headspa("protocols check " + bad);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find(bad + ":8:29: steps[0].device.water_temp_c: expected a number 36–40"),
            std::string::npos)
      << r.output;
}

TEST_F(CareCli, ScreenGivesTheDecisionAndExitStatus) {
  const std::string ok = write("ok.yaml", "format: headspa/intake@1\ngoals: [stress]\n");
  CliRun r = headspa("screen --intake " + ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("decision: proceed"), std::string::npos);

  const std::string modified =
      write("mod.json", R"({"format": "headspa/intake@1", "conditions": ["pregnancy"]})");
  r = headspa("screen --intake " + modified + " --json");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("\"decision\": \"modified\""), std::string::npos);
  EXPECT_NE(r.output.find("pregnancy-no-essential-oils"), std::string::npos);

  const std::string refused = write(
      "ref.yaml", "format: headspa/intake@1\nconditions: [severe_psoriasis, scalp_infection]\n");
  r = headspa("screen --intake " + refused + " --protocol japanese-head-spa");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.output.find("refuse-severe-psoriasis"), std::string::npos);
  EXPECT_NE(r.output.find("refuse-scalp-infection"), std::string::npos);

  const std::string unknown = write("unk.yaml", "format: headspa/intake@1\nconditions: [flu]\n");
  r = headspa("screen --intake " + unknown);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find(unknown + ":2:14: conditions[0]: unknown condition 'flu'"),
            std::string::npos)
      << r.output;
}

TEST_F(CareCli, ScreenWithAProtocolPersonalisesIt) {
  const std::string intake =
      write("in.yaml",
            "format: headspa/intake@1\nallergies: [coconut_oil]\nsensitive_areas: [face]\n"
            "time_budget_s: 1500\n");
  const std::string scalp = write(
      "scalp.json",
      R"({"format": "headspa/scalp-analysis@1", "findings": [{"name": "oily", "score": 0.9, "present": true}], "suspected_open_lesion": true, "images": []})");
  CliRun r = headspa("screen --intake " + intake + " --protocol head-therapy --scalp-analysis " +
                     scalp + " --json");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("\"format\": \"headspa/personalised-protocol@1\""), std::string::npos);
  EXPECT_NE(r.output.find("\"product\": \"oil_jojoba_light\""), std::string::npos);
  EXPECT_NE(r.output.find("lesion-confirm"), std::string::npos);
  // Coconut oil appears once: in the excluded products, with the allergy as reason.
  const auto first = r.output.find("\"product\": \"oil_coconut\"");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(r.output.find("\"product\": \"oil_coconut\"", first + 1), std::string::npos);
  EXPECT_NE(r.output.find("allergy to coconut_oil"), std::string::npos);
}

TEST_F(CareCli, HomeCarePrintsThePersonalisedRoutine) {
  const std::string intake = write("in.yaml", "format: headspa/intake@1\ngoals: [hair_growth]\n");
  CliRun r = headspa("home-care --intake " + intake);
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* text : {"while shampooing", "sulfate-free", "once a week", "vitamins A, C and E",
                           "hydrated", "stress", "4 min"}) {
    EXPECT_NE(r.output.find(text), std::string::npos) << text;
  }
  r = headspa("home-care --intake " + dir_.string() + "/missing.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("cannot open the file"), std::string::npos);
}

}  // namespace
