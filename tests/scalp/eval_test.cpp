#include "headspa/scalp/eval.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "headspa/core/error.hpp"
#include "headspa/scalp/training.hpp"
#include "test_util.hpp"

namespace headspa::scalp {
namespace {

namespace fs = std::filesystem;

const fs::path kScalpData = fs::path(HEADSPA_SHARED_DATA) / "scalp";

TEST(BinaryScores, PrecisionRecallF1) {
  BinaryScores s;
  for (int i = 0; i < 8; ++i) s.add(true, true);
  for (int i = 0; i < 2; ++i) s.add(false, true);
  for (int i = 0; i < 4; ++i) s.add(true, false);
  s.add(false, false);
  EXPECT_EQ(s.tn, 1);
  EXPECT_DOUBLE_EQ(s.precision(), 0.8);
  EXPECT_DOUBLE_EQ(s.recall(), 8.0 / 12.0);
  EXPECT_NEAR(s.f1(), 2 * 0.8 * (8.0 / 12.0) / (0.8 + 8.0 / 12.0), 1e-12);
  EXPECT_EQ(BinaryScores{}.f1(), 0.0);
  // 12 of 15 labelled: "always present" has precision 0.8 and recall 1.
  EXPECT_NEAR(s.always_present_f1(), 2 * 0.8 / 1.8, 1e-12);
  EXPECT_EQ(BinaryScores{}.always_present_f1(), 0.0);
}

TEST(EvalOptions, RepeatsNeedCrossValidation) {
  EvalOptions o;
  o.images_dir = "x";
  o.labels_csv = "y";
  std::string why;
  EXPECT_TRUE(o.IsValid(&why)) << why;
  o.repeats = 3;
  EXPECT_FALSE(o.IsValid(&why));
  o.cv_folds = 5;
  EXPECT_TRUE(o.IsValid(&why)) << why;
  o.repeats = 0;
  EXPECT_FALSE(o.IsValid(&why));
}

TEST(AreaAgreement, CorrelationsAndErrors) {
  const AreaAgreement a = area_agreement({0.1, 0.2, 0.3, 0.5}, {0.2, 0.4, 0.6, 1.0});
  EXPECT_NEAR(a.pearson_r, 1.0, 1e-12);
  EXPECT_NEAR(a.spearman_rho, 1.0, 1e-12);
  EXPECT_NEAR(a.mean_abs_error, (0.1 + 0.2 + 0.3 + 0.5) / 4, 1e-12);
  EXPECT_EQ(area_agreement({0.1, 0.1}, {0.0, 0.5}).pearson_r, 0.0);
}

TEST(LabelsCsv, ReadsColumnsByNameAndReportsBadRows) {
  const fs::path dir = fs::temp_directory_path() / "headspa_scalp_labels_test";
  fs::create_directories(dir);
  const fs::path p = dir / "labels.csv";
  {
    std::ofstream o(p);
    o << "file,has_d,has_ds,has_o,has_s,areafrac_d,areafrac_ds,areafrac_o,areafrac_s\n"
      << "a.jpg,0,1,0,1,0.0,0.02,0,0.01\n";
  }
  const auto rows = load_labels_csv(p.string());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].flakes);
  EXPECT_FALSE(rows[0].oil);
  EXPECT_TRUE(rows[0].redness);
  EXPECT_DOUBLE_EQ(rows[0].flakes_area, 0.02);
  {
    std::ofstream o(p);
    o << "file,has_d,has_ds,has_o,has_s,areafrac_d,areafrac_ds,areafrac_o,areafrac_s\n"
      << "a.jpg,0,yes,0,1,0.0,0.02,0,0.01\n";
  }
  try {
    load_labels_csv(p.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 2);
    EXPECT_EQ(e.where().field_path, "has_ds");
  }
  {
    std::ofstream o(p);
    o << "file,has_d\n";
  }
  EXPECT_THROW(load_labels_csv(p.string()), InputError);
  fs::remove_all(dir);
}

TEST(YoloPolygons, ParsesAndRejects) {
  const auto polys = parse_yolo_polygons("0 0.1 0.1 0.2 0.1 0.2 0.2\n\n3 0 0 1 0 1 1 0 1\n", "l");
  ASSERT_EQ(polys.size(), 2u);
  EXPECT_EQ(polys[1].label_class, 3);
  EXPECT_EQ(polys[1].points.size(), 4u);
  EXPECT_THROW(parse_yolo_polygons("7 0 0 1 0 1 1", "l"), InputError);
  EXPECT_THROW(parse_yolo_polygons("0 0 0 1 0 1", "l"), InputError);
  EXPECT_THROW(parse_yolo_polygons("0 0 0 1 0 5 1", "l"), InputError);
}

TEST(Folds, AreBalancedAndSeeded) {
  const auto a = assign_folds(23, 5, 7), b = assign_folds(23, 5, 7), c = assign_folds(23, 5, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int> count(5, 0);
  for (int f : a) ++count[static_cast<std::size_t>(f)];
  for (int n : count) EXPECT_TRUE(n == 4 || n == 5);
}

EvalOptions shared_eval_options(int cv_folds, int repeats) {
  EvalOptions o;
  o.images_dir = (kScalpData / "images").string();
  o.labels_csv = (kScalpData / "labels.csv").string();
  o.cv_folds = cv_folds;
  o.repeats = repeats;
  return o;
}

// Figures of the built-in model on the shared photographs: regression floors, a little below
// what the model reaches (see src/scalp/README.md for the measured values).
TEST(SharedScalpData, BuiltInModelMeetsItsMeasuredFigures) {
  if (!fs::exists(kScalpData / "labels.csv")) {
    GTEST_SKIP() << "shared scalp photographs not found at " << kScalpData;
  }
  const EvalReport r = evaluate(shared_eval_options(0, 1));
  EXPECT_EQ(r.images, 164);
  EXPECT_GE(r.flakes.f1(), 0.80);
  EXPECT_GE(r.flakes.recall(), 0.9);
  EXPECT_GE(r.oil.f1(), 0.55);
  EXPECT_GE(r.oil.precision(), 0.5);
  EXPECT_GE(r.redness.recall(), 0.75);
  EXPECT_GE(r.redness.precision(), 0.99);
  EXPECT_GT(r.redness_area.pearson_r, 0.9);
  EXPECT_GT(r.flakes_area.pearson_r, 0.25);
}

// Held-out figures (5-fold, refitted per fold, three fold assignments pooled: a single 5-fold
// run of oil swings between about 0.37 and 0.53 with the assignment): floors a little below what
// the method reaches (0.810 and 0.453), and above the chance level of "always present".
TEST(SharedScalpData, HeldOutFiguresBeatChance) {
  if (!fs::exists(kScalpData / "labels.csv")) {
    GTEST_SKIP() << "shared scalp photographs not found at " << kScalpData;
  }
  // Fifteen refits take a minute and a half under the sanitizers: there the cross-validation
  // runs once with two folds, for its memory safety; the figures are the release build's.
  if (headspa::test::kSanitized) {
    const EvalReport quick = evaluate(shared_eval_options(2, 1));
    EXPECT_EQ(quick.images, 164);
    EXPECT_GT(quick.flakes.f1(), 0.0);
    return;
  }
  const EvalReport r = evaluate(shared_eval_options(5, 3));
  EXPECT_EQ(r.images, 164);
  EXPECT_GE(r.flakes.f1(), 0.80);
  EXPECT_GT(r.flakes.f1(), r.flakes.always_present_f1());
  EXPECT_GE(r.oil.f1(), 0.43);
  EXPECT_GT(r.oil.f1(), r.oil.always_present_f1() + 0.05);
  EXPECT_GE(r.redness.recall(), 0.75);
  EXPECT_GE(r.redness.precision(), 0.99);
}

// The figures issue #6 asks for, held out (5-fold, five fold assignments pooled). NOT met (see
// src/scalp/README.md: flakes F1 0.81, oil F1 0.44, redness recall 3 of 4), so the test is
// disabled; run it with --gtest_also_run_disabled_tests to see how far off the method is.
TEST(SharedScalpData, DISABLED_HeldOutFiguresMeetIssueTargets) {
  if (!fs::exists(kScalpData / "labels.csv")) {
    GTEST_SKIP() << "shared scalp photographs not found at " << kScalpData;
  }
  const EvalReport r = evaluate(shared_eval_options(5, 5));
  EXPECT_GE(r.flakes.f1(), 0.85);
  EXPECT_GE(r.oil.f1(), 0.85);
  EXPECT_GE(r.redness.recall(), 0.8);
  EXPECT_GE(r.redness.precision(), 0.6);
}

// The training program's fit is deterministic: the same photographs give the same source text.
TEST(SharedScalpData, TrainingIsReproducible) {
  if (!fs::exists(kScalpData / "labels.csv")) {
    GTEST_SKIP() << "shared scalp photographs not found at " << kScalpData;
  }
  const auto rows = load_labels_csv((kScalpData / "labels.csv").string());
  std::vector<TrainingImage> images;
  for (std::size_t i = 0; i < rows.size() && images.size() < 40; i += 4) {
    const Image img = load_image((kScalpData / "images" / rows[i].file).string());
    TrainingImage t;
    t.table = compute_patch_table(img.view());
    std::ifstream in(kScalpData / "labels" / fs::path(rows[i].file).replace_extension(".txt"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto polys = parse_yolo_polygons(text, rows[i].file);
    t.flake_cover = patch_coverage(polys, {kClassFlakes, kClassShaftFlakes}, t.table);
    t.oil_cover = patch_coverage(polys, {kClassOil}, t.table);
    t.has_flakes = rows[i].flakes;
    t.has_oil = rows[i].oil;
    images.push_back(std::move(t));
  }
  const ScalpModel a = fit_scalp_model(images, TrainingOptions{});
  const ScalpModel b = fit_scalp_model(images, TrainingOptions{});
  std::string why;
  EXPECT_TRUE(a.IsValid(&why)) << why;
  EXPECT_EQ(model_to_cpp_source(a), model_to_cpp_source(b));
}

}  // namespace
}  // namespace headspa::scalp
