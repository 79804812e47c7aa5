// Guide mode: the cards a person reads, and `headspa guide` in a terminal with no display.
#include "headspa/server/guide.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "headspa/care/builtin.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "test_util.hpp"

namespace headspa::server {
namespace {

care::PersonalisedProtocol routine(const std::string& id) {
  const care::Intake intake;
  const auto screening = care::screen(intake, nullptr, care::builtin_rules());
  return care::personalise(care::builtin_protocol(id), intake, screening, nullptr,
                           care::builtin_catalogue());
}

TEST(GuideCards, EveryBuiltInStepReadsInPlainWordsWithItsTime) {
  for (const auto& id : care::builtin_protocol_ids()) {
    const auto r = routine(id);
    const auto cards = guide_cards(r);
    ASSERT_EQ(cards.size(), r.steps.size()) << id;
    double total = 0;
    for (const auto& c : cards) {
      SCOPED_TRACE(id + "/" + c.step_id);
      EXPECT_FALSE(c.title.empty());
      EXPECT_FALSE(c.where.empty());
      EXPECT_FALSE(c.how.empty());
      EXPECT_GT(c.duration_s, 0.0);
      EXPECT_GT(c.breathing.inhale_s, 0.0);
      EXPECT_NE(c.breathing.words.find("breathe in"), std::string::npos);
      // No snake_case vocabulary leaks into the words a person reads.
      EXPECT_EQ(c.where.find('_'), std::string::npos) << c.where;
      if (c.massage) {
        EXPECT_FALSE(c.pressure.empty());
      }
      total += c.duration_s;
    }
    EXPECT_NEAR(total, r.total_duration_s(), 1e-9);
  }
}

TEST(GuideCards, PressReleaseStepsNameTheirPointsAndBreatheOutLonger) {
  const auto cards = guide_cards(routine("head-therapy"));
  bool seen = false;
  for (const auto& c : cards) {
    if (c.technique != "press_release") continue;
    seen = true;
    EXPECT_FALSE(c.points.empty());
    EXPECT_GT(c.breathing.exhale_s, c.breathing.inhale_s);
    EXPECT_NE(c.how.find("hold still"), std::string::npos);
  }
  EXPECT_TRUE(seen);
}

TEST(GuideCards, DurationsReadAsMinutesAndSeconds) {
  EXPECT_EQ(format_duration(45), "45 s");
  EXPECT_EQ(format_duration(120), "2 min");
  EXPECT_EQ(format_duration(200), "3 min 20 s");
  EXPECT_EQ(format_duration(-3), "0 s");
}

TEST(GuideCli, TimedStepsRunWithoutADisplay) {
  const auto r = test::run_command(std::string(HEADSPA_CLI) +
                                   " guide --protocol scalp-self --no-wait < /dev/null");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Step 1 of"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("left (breathe in for"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("The routine is complete"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\x1b["), std::string::npos) << "no terminal control codes";
}

TEST(GuideCli, TheTimerWaitsAtTheGivenSpeed) {
  // scalp-self is about 9 minutes of routine: at 600 times real time about a second.
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      test::run_command(std::string(HEADSPA_CLI) + " guide --protocol scalp-self --speed 600");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_GT(s, 0.6);
  EXPECT_LT(s, 8.0);
}

TEST(GuideCli, BadInputAndRefusalsAreSaidClearly) {
  test::TempDir dir;
  auto r = test::run_command(std::string(HEADSPA_CLI) + " guide --protocol no-such --no-wait");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("no-such"), std::string::npos) << r.output;
  test::write_file(dir.file("fever.yaml"), "format: headspa/intake@1\nconditions: [fever]\n");
  r = test::run_command(std::string(HEADSPA_CLI) +
                        " guide --protocol scalp-self --no-wait --intake " +
                        dir.file("fever.yaml"));
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("Not today"), std::string::npos) << r.output;
  test::write_file(dir.file("bad.yaml"), "format: headspa/intake@1\ngoals: [flying]\n");
  r = test::run_command(std::string(HEADSPA_CLI) + " guide --protocol scalp-self --intake " +
                        dir.file("bad.yaml"));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("goals"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace headspa::server
