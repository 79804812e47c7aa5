// headspa simulate and headspa stream end to end: a plan file in, trace, events and metrics out,
// exit statuses. stream runs against the loopback arm driver started as a separate process.
#include <gtest/gtest.h>

#include <fstream>

#include "control/test_rig.hpp"
#include "headspa/plan/plan_io.hpp"
#include "test_util.hpp"

namespace headspa::sim {
namespace {

int run_cli(const std::string& args) {
  const int status =
      std::system((std::string(HEADSPA_CLI) + " " + args + " > /dev/null 2>&1").c_str());
  return WEXITSTATUS(status);
}

TEST(SimulateCliTest, WritesOutputsAndTellsTheOutcome) {
  test::TempDir dir;
  const std::string plan_path = dir.file("plan.json");
  {
    std::ofstream out(plan_path);
    plan::write_plan_json(control::test::make_plan({}), out);
  }
  // The plan was made on the small built-in head the control tests use; the CLI's default head
  // is the full-resolution one, which is the same shape.
  EXPECT_EQ(run_cli("simulate " + plan_path + " -o " + dir.file("ok")), 0);
  for (const char* f : {"trace.csv", "events.jsonl", "metrics.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("ok/") + f))) << f;
  }
  const std::string metrics = test::read_file(dir.file("ok/metrics.json"));
  EXPECT_NE(metrics.find("\"outcome\": \"finished\""), std::string::npos) << metrics;
  EXPECT_EQ(run_cli("simulate " + plan_path + " --faults estop@3.5 -o " + dir.file("stop")), 4);
  EXPECT_NE(test::read_file(dir.file("stop/events.jsonl")).find("\"event\":\"estop\""),
            std::string::npos);
  EXPECT_EQ(run_cli("simulate " + plan_path + " --faults meteor@3 -o " + dir.file("bad")), 2);
  EXPECT_EQ(run_cli("simulate " + dir.file("missing.json") + " -o " + dir.file("bad")), 2);
  // Told before any simulation: no output folder; faults given to a campaign, which draws its own.
  EXPECT_EQ(run_cli("simulate " + plan_path), 2);
  EXPECT_EQ(
      run_cli("simulate " + plan_path + " --campaign 2 --faults estop@3 -o " + dir.file("bad")), 2);
  EXPECT_EQ(run_cli("simulate " + plan_path + " --campaign 3 -o " + dir.file("campaign")), 0);
}

TEST(StreamCliTest, StreamsToTheLoopbackArmAndTellsTheOutcome) {
  test::TempDir dir;
  const std::string plan_path = dir.file("plan.json");
  {
    std::ofstream out(plan_path);
    plan::write_plan_json(control::test::make_plan({}), out);
  }
  const auto run_pair = [&](const std::string& name, const std::string& faults) {
    const std::string sock = dir.file(name + ".sock");
    const std::string line =
        // The arm waits long enough for the CLI's start-up under the sanitizers on a busy
        // machine (it builds the full-resolution built-in head first).
        "(" + std::string(HEADSPA_LOOPBACK_ARM) + " --listen " + sock + " --accept-timeout 120" +
        (faults.empty() ? "" : " --fault " + faults) + " &) ; " + std::string(HEADSPA_CLI) +
        " stream " + plan_path + " --endpoint unix:" + sock +
        " --link-timeout 0.2 --connect-timeout 5 -o " + dir.file(name) + " > /dev/null 2>&1";
    const int status = std::system(line.c_str());
    return WEXITSTATUS(status);
  };
  EXPECT_EQ(run_pair("ok", ""), 0);
  const std::string summary = test::read_file(dir.file("ok/link.json"));
  EXPECT_NE(summary.find("\"outcome\": \"finished\""), std::string::npos) << summary;
  EXPECT_TRUE(std::filesystem::exists(dir.file("ok/trace.csv")));
  EXPECT_EQ(run_pair("spike", "spike@3:0.02*30"), 4);
  EXPECT_NE(test::read_file(dir.file("spike/events.jsonl")).find("absolute_force"),
            std::string::npos);
  // Nobody listening: a clear error, exit 2.
  EXPECT_EQ(run_cli("stream " + plan_path + " --endpoint unix:" + dir.file("none.sock") +
                    " --connect-timeout 0.05 -o " + dir.file("none")),
            2);
}

}  // namespace
}  // namespace headspa::sim
