// `headspa head …` as a user runs it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "headspa/anatomy/head.hpp"
#include "headspa/geometry/import.hpp"
#include "test_util.hpp"

namespace headspa {
namespace {

using test::quote;
using test::run_command;
using test::TempDir;
using test::write_file;

std::string headspa(const std::string& args) { return std::string(HEADSPA_CLI) + " " + args; }

// Bad input exits with status 2 and a single line that names the file.
void expect_bad_input(const std::string& args, const std::string& must_mention) {
  const auto r = run_command(headspa(args));
  EXPECT_EQ(r.status, 2) << args << "\n" << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_EQ(r.output.rfind("headspa: error: ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find(must_mention), std::string::npos) << r.output;
}

geometry::TriangleMesh sphere(double radius, int subdivisions) {
  geometry::TriangleMesh m;
  const double t = (1 + std::sqrt(5.0)) / 2;
  m.vertices = {{-1, t, 0},  {1, t, 0},  {-1, -t, 0}, {1, -t, 0}, {0, -1, t},  {0, 1, t},
                {0, -1, -t}, {0, 1, -t}, {t, 0, -1},  {t, 0, 1},  {-t, 0, -1}, {-t, 0, 1}};
  m.faces = {{0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
             {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
             {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
  for (int s = 0; s < subdivisions; ++s) {
    std::vector<geometry::Face> faces;
    std::map<std::pair<int, int>, int> mid;
    auto midpoint = [&](int a, int b) {
      auto key = std::minmax(a, b);
      auto it = mid.find(key);
      if (it != mid.end()) return it->second;
      m.vertices.push_back(0.5 * (m.vertices[static_cast<std::size_t>(a)] +
                                  m.vertices[static_cast<std::size_t>(b)]));
      return mid[key] = static_cast<int>(m.vertices.size()) - 1;
    };
    for (const auto& f : m.faces) {
      const int a = midpoint(f[0], f[1]), b = midpoint(f[1], f[2]), c = midpoint(f[2], f[0]);
      faces.push_back({f[0], a, c});
      faces.push_back({f[1], b, a});
      faces.push_back({f[2], c, b});
      faces.push_back({a, b, c});
    }
    m.faces = faces;
  }
  for (auto& p : m.vertices) p = radius * p.normalized();
  return m;
}

TEST(CliHead, BadInputExitsWithStatusTwoAndOneLine) {
  TempDir dir;
  write_file(dir.file("empty.obj"), "");
  expect_bad_input("head inspect " + quote(dir.file("empty.obj")), "empty file");
  write_file(dir.file("head.xyz"), "v 0 0 0\n");
  expect_bad_input("head inspect " + quote(dir.file("head.xyz")), "unknown extension");
  expect_bad_input("head inspect " + quote(dir.path().string()), "is a directory");
  write_file(dir.file("nan.obj"), "v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n");
  expect_bad_input("head inspect " + quote(dir.file("nan.obj")), "non-finite");
  write_file(dir.file("cube.obj"),
             "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n"
             "f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf 4 1 5 8\n");
  expect_bad_input("head inspect " + quote(dir.file("cube.obj")), "not a head");
  geometry::write_obj(sphere(10.0, 4), dir.file("sphere.obj"));
  expect_bad_input("head inspect " + quote(dir.file("sphere.obj")), "sphere.obj");
  expect_bad_input("head inspect " + quote(dir.file("sphere.obj")) + " --units m", "not a head");
  expect_bad_input("head inspect " + quote(dir.file("sphere.obj")) + " --units auto", "not a head");
  // A binary file cut short.
  geometry::write_ply(sphere(0.1, 3), {}, dir.file("full.ply"));
  const std::string bytes = test::read_file(dir.file("full.ply"));
  write_file(dir.file("cut.ply"), bytes.substr(0, bytes.size() * 2 / 3));
  expect_bad_input("head inspect " + quote(dir.file("cut.ply")), "cut.ply");
  expect_bad_input("head inspect " + quote(dir.file("empty.obj")) + " --units furlong", "--units");
  expect_bad_input("head default --percentile 40 -o " + quote(dir.file("x.obj")), "percentile");
}

TEST(CliHead, DefaultInspectAndExport) {
  TempDir dir;
  const std::string obj = dir.file("head.obj");
  auto r = run_command(
      headspa("head default --sex m --percentile 95 --vertices 12000 -o " + quote(obj)));
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_command(headspa("head inspect " + quote(obj) + " --units m --json"));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["format"], "headspa/head-inspect@1");
  EXPECT_GT(j["vertices"].get<int>(), 10000);
  EXPECT_TRUE(j["dimensions_m"]["length"]["within"].get<bool>());
  EXPECT_GT(j["dimensions_m"]["length"]["value"].get<double>(), 0.2);  // a large man's head
  EXPECT_EQ(j["file_to_head"].size(), 4u);
  EXPECT_EQ(j["landmarks_m"].size(), static_cast<std::size_t>(anatomy::kLandmarkCount));
  EXPECT_EQ(j["pressure_points"].size(), 17u);
  EXPECT_GT(j["region_area_m2"]["scalp_crown"].get<double>(), 0.0);
  EXPECT_GT(j["landmarks_m"]["nose_tip"][2].get<double>(), 0.07);
  r = run_command(headspa("head inspect " + quote(obj)));  // units inferred: metres
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("inferred: m"), std::string::npos) << r.output;
  for (const char* out : {"regions.ply", "regions.glb"}) {
    r = run_command(headspa("head export " + quote(obj) + " -o " + quote(dir.file(out))));
    ASSERT_EQ(r.status, 0) << r.output;
    geometry::TriangleMesh back = geometry::load_mesh_file(dir.file(out));
    EXPECT_GT(back.vertices.size(), 10000u) << out;
  }
}

}  // namespace
}  // namespace headspa
