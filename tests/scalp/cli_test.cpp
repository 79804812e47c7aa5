// Runs the headspa binary: `scalp analyze` on a synthetic photo and on bad input.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "synthetic.hpp"

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int status = -1;
  std::string out;
};

CliResult run(const std::string& args, const fs::path& dir) {
  const fs::path out = dir / "stdout.txt";
  const std::string cmd = std::string(HEADSPA_CLI) + " " + args + " > " + out.string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  r.out = s.str();
  return r;
}

class ScalpCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("headspa_scalp_cli_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ScalpCli, AnalyzeWritesJsonAndAnOverlay) {
  cv::Mat img = headspa::scalp::test::skin();
  cv::circle(img, {300, 300}, 25, cv::Scalar(40, 40, 200), -1);
  const fs::path photo = dir_ / "crown.png";
  cv::imwrite(photo.string(), img);
  const fs::path overlay = dir_ / "seen.png";
  const CliResult r = run(
      "scalp analyze " + photo.string() + " --json --um-per-px 2.5 --overlay " + overlay.string(),
      dir_);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"format\": \"headspa/scalp-analysis@1\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"suspected_open_lesion\": true"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(overlay));
  EXPECT_EQ(cv::imread(overlay.string()).cols, 640);
}

TEST_F(ScalpCli, BadInputExitsWithStatusTwoAndSaysWhy) {
  const fs::path text = dir_ / "notes.jpg";
  std::ofstream(text) << "not a photo";
  CliResult r = run("scalp analyze " + text.string(), dir_);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("not a JPEG, PNG or BMP"), std::string::npos) << r.out;

  const fs::path dot = dir_ / "dot.png";
  cv::imwrite(dot.string(), cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)));
  r = run("scalp analyze " + dot.string(), dir_);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("1x1 pixels"), std::string::npos) << r.out;

  r = run("scalp analyze " + (dir_ / "missing.jpg").string(), dir_);
  EXPECT_EQ(r.status, 2) << r.out;
}

}  // namespace
