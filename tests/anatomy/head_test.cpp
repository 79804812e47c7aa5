// The head pipeline on the built-in head and on real scans.
#include "headspa/anatomy/head.hpp"

#include <gtest/gtest.h>

#include <Eigen/Geometry>

#include <cmath>
#include <map>
#include <string>

#include "geometry/numerics_meshes.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/random.hpp"
#include "headspa/geometry/surface_query.hpp"
#include "test_util.hpp"

namespace headspa::anatomy {
namespace {

using Vec3 = Eigen::Vector3d;
constexpr double kCm = 0.01;

Vec3 mirrored(const Vec3& p) { return Vec3(-p.x(), p.y(), p.z()); }

// A random rotation, seeded.
Eigen::Matrix3d random_rotation(Rng& rng) {
  Eigen::Quaterniond q(rng.normal(), rng.normal(), rng.normal(), rng.normal());
  q.normalize();
  return q.toRotationMatrix();
}

// The anatomical checks every head must pass.
void check_anatomy(const Head& head, const std::string& name) {
  SCOPED_TRACE(name);
  const auto& lm = head.landmarks;
  // Left/right landmarks mirror within 1 cm.
  for (int i = 0; i < kLandmarkCount; ++i) {
    const auto l = static_cast<Landmark>(i);
    if (mirror(l) == l) {
      EXPECT_LT(std::abs(lm[l].x()), 1.0 * kCm) << landmark_name(l) << " off the midline";
      continue;
    }
    EXPECT_LT((lm[l] - mirrored(lm[mirror(l)])).norm(), 1.0 * kCm) << landmark_name(l);
  }
  // Left is +X.
  EXPECT_GT(lm[Landmark::kTragionLeft].x(), 0.05);
  EXPECT_GT(lm[Landmark::kEyeOuterLeft].x(), lm[Landmark::kEyeInnerLeft].x());
  // Origin between the tragions.
  EXPECT_LT((0.5 * (lm[Landmark::kTragionLeft] + lm[Landmark::kTragionRight])).norm(), 1e-9);
  // Nose forward, vertex up.
  EXPECT_GT(lm[Landmark::kNoseTip].z(), 0.07);
  EXPECT_GT(lm[Landmark::kVertex].y(), 0.09);
  EXPECT_LT(std::abs(lm[Landmark::kVertex].z()), 0.06);
  EXPECT_LT(lm[Landmark::kChin].y(), lm[Landmark::kNoseTip].y());
  EXPECT_LT(lm[Landmark::kInion].z(), -0.06);
  // The nose tip is the most forward point of the face; the vertex the highest of the scalp.
  for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
    const Vec3& p = head.mesh.vertices[v];
    if (p.y() > lm[Landmark::kChin].y() && std::abs(p.x()) < 0.08) {
      ASSERT_LE(p.z(), lm[Landmark::kNoseTip].z() + 1e-9) << "vertex " << v;
    }
    ASSERT_LE(p.y(), lm[Landmark::kVertex].y() + 1e-9) << "vertex " << v;
  }
  // Tragions sit at the ear openings: inside the ear-canal zone, and recessed relative to the ear
  // around them.
  EXPECT_EQ(head.regions[lm.vertex[static_cast<int>(Landmark::kTragionLeft)]],
            Region::kEarCanalLeft);
  EXPECT_EQ(head.regions[lm.vertex[static_cast<int>(Landmark::kTragionRight)]],
            Region::kEarCanalRight);
  EXPECT_GT(lm[Landmark::kEarApexLeft].y(), lm[Landmark::kTragionLeft].y() + 1.5 * kCm);
  // No-go zones cover the eyes, nostrils and lips.
  for (Landmark l : {Landmark::kEyeInnerLeft, Landmark::kEyeOuterLeft}) {
    EXPECT_EQ(head.regions[lm.vertex[static_cast<int>(l)]], Region::kEyeLeft) << landmark_name(l);
  }
  for (Landmark l : {Landmark::kEyeInnerRight, Landmark::kEyeOuterRight}) {
    EXPECT_EQ(head.regions[lm.vertex[static_cast<int>(l)]], Region::kEyeRight) << landmark_name(l);
  }
  for (Landmark l : {Landmark::kMouthCornerLeft, Landmark::kMouthCornerRight}) {
    EXPECT_EQ(head.regions[lm.vertex[static_cast<int>(l)]], Region::kLips) << landmark_name(l);
  }
  // Below the nose tip on the midline: nostrils.
  int nostril_vertices = 0;
  for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
    nostril_vertices += head.regions.label[v] == Region::kNostrils ? 1 : 0;
  }
  EXPECT_GT(nostril_vertices, 0);
  // Every massage region is present on a full head.
  std::map<Region, double> area;
  const auto va = geometry::vertex_areas(head.mesh);
  for (std::size_t v = 0; v < va.size(); ++v) area[head.regions.label[v]] += va[v];
  for (int r = 0; r < kRegionCount; ++r) {
    const auto region = static_cast<Region>(r);
    if (region == Region::kOther) continue;
    EXPECT_GT(area[region], 1.0e-4) << region_name(region) << " missing or under 1 cm²";
  }
  EXPECT_GT(area[Region::kScalpCrown] + area[Region::kScalpFrontal], 50e-4);
  // Pressure points: 3 midline + 7 bilateral, in massage regions, mirrored.
  ASSERT_EQ(head.pressure_points.size(), 17u);
  std::map<std::pair<Acupoint, Side>, Vec3> pos;
  for (const auto& p : head.pressure_points) {
    EXPECT_TRUE(is_massage_region(p.region))
        << acupoint_name(p.point) << " " << side_name(p.side) << " in " << region_name(p.region);
    EXPECT_NEAR(p.normal.norm(), 1.0, 1e-6);
    pos[{p.point, p.side}] = p.position;
  }
  for (const auto& [key, p] : pos) {
    if (key.second == Side::kLeft) {
      EXPECT_LT((p - mirrored(pos[{key.first, Side::kRight}])).norm(), 1.5 * kCm)
          << acupoint_name(key.first);
      EXPECT_GT(p.x(), 0.0) << acupoint_name(key.first);
    }
  }
  // GV20 lies on the midline, near the line joining the ear apices.
  const Vec3 gv20 = pos[{Acupoint::kGV20, Side::kMidline}];
  const double apex_z = 0.5 * (lm[Landmark::kEarApexLeft].z() + lm[Landmark::kEarApexRight].z());
  EXPECT_LT(std::abs(gv20.x()), 0.5 * kCm);
  EXPECT_LT(std::abs(gv20.z() - apex_z), 2.5 * kCm);
  EXPECT_GT(gv20.y(), 0.09);
  // GB20 below the occiput, GB8 above the ear.
  const Vec3 gb20 = pos[{Acupoint::kGB20, Side::kLeft}];
  const Vec3 gb8 = pos[{Acupoint::kGB8, Side::kLeft}];
  EXPECT_LT(gb20.z(), 0.0);
  EXPECT_GT(gb8.y(), lm[Landmark::kEarApexLeft].y());
}

void check_adult_size(const Head& head, const std::string& name) {
  SCOPED_TRACE(name);
  const auto& m = head.measurements;
  // Widened by 8 % beyond the ANSUR II percentiles: scans are not soldiers.
  EXPECT_GT(m.length_m, 0.92 * adult_head_length_range().min_m);
  EXPECT_LT(m.length_m, 1.08 * adult_head_length_range().max_m);
  EXPECT_GT(m.breadth_m, 0.92 * adult_head_breadth_range().min_m);
  EXPECT_LT(m.breadth_m, 1.08 * adult_head_breadth_range().max_m);
  EXPECT_GT(m.circumference_m, 0.92 * adult_head_circumference_range().min_m);
  EXPECT_LT(m.circumference_m, 1.08 * adult_head_circumference_range().max_m);
}

TEST(BuiltInHead, HasItsAnatomy) {
  for (Sex sex : {Sex::kFemale, Sex::kMale}) {
    for (int pct : {5, 50, 95}) {
      const Head head = built_in_head(DefaultHeadOptions{sex, pct, 30000});
      const std::string name =
          std::string(sex == Sex::kMale ? "male " : "female ") + std::to_string(pct);
      check_anatomy(head, name);
      check_adult_size(head, name);
    }
  }
}

bool warns_of_enclosed_skin(const Head& head) {
  for (const std::string& w : head.warnings) {
    if (w.find("enclosed") != std::string::npos) return true;
  }
  return false;
}

// A cavity inside the head where a cheek would be (as scans that model the inside of the mouth
// have): its skin lies within the cheek's bounds but no pad can reach it, so it is not massaged.
// The outside keeps every label it had.
TEST(BuiltInHead, SkinEnclosedByTheHeadIsNotMassaged) {
  const Head plain = built_in_head(DefaultHeadOptions{Sex::kFemale, 50, 20000});
  EXPECT_FALSE(warns_of_enclosed_skin(plain));
  const Vec3 centre(0.025, -0.025, 0.035);
  {
    const geometry::SurfaceQuery query(plain.mesh);
    ASSERT_LT(query.signed_distance(centre), -0.015) << "the cavity must lie inside the head";
  }
  // Outside, beside the cavity: the cheek.
  int beside = 0;
  for (std::size_t v = 1; v < plain.mesh.vertices.size(); ++v) {
    const Vec3 at = centre + Vec3(0.03, 0.0, 0.0);
    if ((plain.mesh.vertices[v] - at).norm() <
        (plain.mesh.vertices[static_cast<std::size_t>(beside)] - at).norm()) {
      beside = static_cast<int>(v);
    }
  }
  ASSERT_EQ(plain.regions[beside], Region::kCheekLeft);
  Head head = plain;
  geometry::TriangleMesh cavity = geometry::testing::icosphere(3, 0.012);
  const int offset = static_cast<int>(head.mesh.vertices.size());
  for (const Vec3& p : cavity.vertices) head.mesh.vertices.push_back(centre + p);
  for (auto f : cavity.faces) {
    std::swap(f[1], f[2]);  // facing into the cavity, as the skin inside a mouth does
    head.mesh.faces.push_back({f[0] + offset, f[1] + offset, f[2] + offset});
  }
  head.warnings.clear();
  annotate_head(head);
  EXPECT_TRUE(warns_of_enclosed_skin(head));
  for (std::size_t v = 0; v < plain.mesh.vertices.size(); ++v) {
    ASSERT_EQ(head.regions.label[v], plain.regions.label[v]) << "outside vertex " << v;
  }
  for (std::size_t v = plain.mesh.vertices.size(); v < head.mesh.vertices.size(); ++v) {
    EXPECT_FALSE(is_massage_region(head.regions.label[v]))
        << "cavity vertex " << v << " labelled " << region_name(head.regions.label[v]);
  }
}

// Landmarks found from the scan's own shape are held to 1 cm; those carried over from the fitted
// reference head (eye, brow and mouth corners, jaw angles, mastoids, ear apices, inion) to 1.5 cm.
double tolerance(Landmark l) {
  switch (l) {
    case Landmark::kVertex:
    case Landmark::kNasion:
    case Landmark::kGlabella:
    case Landmark::kNoseTip:
    case Landmark::kChin:
    case Landmark::kTragionLeft:
    case Landmark::kTragionRight:
      return 1.0 * kCm;
    default:
      return 1.5 * kCm;
  }
}

// The built-in head written to a file, rotated and moved at random, imports back to its own
// frame and its landmarks are found again.
TEST(BuiltInHead, DetectorFindsItsLandmarksAgain) {
  const DefaultHead built = make_default_head(DefaultHeadOptions{Sex::kMale, 50, 20000});
  Rng rng(2024);
  for (int trial = 0; trial < 4; ++trial) {
    geometry::TriangleMesh mesh = built.mesh;
    const Eigen::Matrix3d r = trial == 0 ? Eigen::Matrix3d::Identity() : random_rotation(rng);
    const Vec3 t(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1));
    geometry::transform(mesh, r, 1000.0, t);  // millimetres
    ImportOptions options;
    const Head head = prepare_head(mesh, options, "built-in head");
    EXPECT_EQ(head.unit_note, "inferred: mm");
    // file_to_head takes the file's coordinates to the head's.
    ASSERT_EQ(head.mesh.vertices.size(), mesh.vertices.size());
    for (std::size_t v = 0; v < mesh.vertices.size(); v += 997) {
      const Eigen::Vector4d p = head.file_to_head * mesh.vertices[v].homogeneous();
      EXPECT_LT((p.head<3>() - head.mesh.vertices[v]).norm(), 1e-9) << "vertex " << v;
    }
    SCOPED_TRACE("trial " + std::to_string(trial));
    check_anatomy(head, "built-in, rotated");
    for (int i = 0; i < kLandmarkCount; ++i) {
      const auto l = static_cast<Landmark>(i);
      EXPECT_LT((head.landmarks[l] - built.landmarks[l]).norm(), tolerance(l)) << landmark_name(l);
    }
  }
}

struct SharedHead {
  std::string path;
  std::string units;  // "" = infer
  std::string expect_unit_note;
};

std::vector<SharedHead> shared_heads(const std::string& data) {
  return {{data + "/heads/makehuman/makehuman_headneck.obj", "", "inferred: dm"},
          {data + "/heads/ict/ict_neutral_skin.obj", "", "inferred: cm"},
          {data + "/heads/ict/ict_identity000_skin.obj", "", "inferred: cm"},
          {data + "/heads/ict/ict_identity001_skin.obj", "", "inferred: cm"},
          {data + "/heads/lee_perry_smith/lee_perry_smith.obj", "auto", ""}};
}

TEST(SharedHeads, ImportIntoTheHeadFrame) {
  const std::string data = test::shared_data();
  if (data.empty()) GTEST_SKIP() << "../shared/data is absent: skipping the real-scan tests";
  for (const SharedHead& h : shared_heads(data)) {
    const Head head = import_head(h.path, import_options_for_units(h.units));
    if (!h.expect_unit_note.empty()) {
      EXPECT_EQ(head.unit_note, h.expect_unit_note) << h.path;
    }
    check_anatomy(head, h.path);
    check_adult_size(head, h.path);
  }
}

// MakeHuman and Lee Perry-Smith model the inside of the mouth (and MakeHuman the nose's and
// the throat's): none of it is massaged. Inside the face, well behind its front and between the
// cheeks' outer surfaces (2.5 cm behind the mouth's corners, from 2 cm below them up to the
// nose tip), no vertex carries a cheek or jaw label.
TEST(SharedHeads, TheInsideOfTheMouthIsNotMassaged) {
  const std::string data = test::shared_data();
  if (data.empty()) GTEST_SKIP() << "../shared/data is absent: skipping the real-scan tests";
  for (const auto& [file, units] :
       {std::pair<std::string, std::string>{"/heads/makehuman/makehuman_headneck.obj", ""},
        {"/heads/lee_perry_smith/lee_perry_smith.obj", "auto"}}) {
    const Head head = import_head(data + file, import_options_for_units(units));
    SCOPED_TRACE(file);
    EXPECT_TRUE(warns_of_enclosed_skin(head));
    const auto& lm = head.landmarks;
    const Vec3 mouth = 0.5 * (lm[Landmark::kMouthCornerLeft] + lm[Landmark::kMouthCornerRight]);
    int inside = 0;
    for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
      const Vec3& p = head.mesh.vertices[v];
      const Region r = head.regions.label[v];
      const bool face = r == Region::kCheekLeft || r == Region::kCheekRight ||
                        r == Region::kJawLeft || r == Region::kJawRight;
      if (face && std::abs(p.x()) < 0.03 && p.z() < mouth.z() - 0.025 && p.y() > mouth.y() - 0.02 &&
          p.y() < lm[Landmark::kNoseTip].y()) {
        ++inside;
        ADD_FAILURE() << region_name(r) << " at (" << p.transpose() << ")";
        if (inside > 5) break;
      }
    }
  }
}

TEST(SharedHeads, LeePerrySmithNeedsUnits) {
  const std::string data = test::shared_data();
  if (data.empty()) GTEST_SKIP() << "../shared/data is absent: skipping the real-scan tests";
  const std::string path = data + "/heads/lee_perry_smith/lee_perry_smith.obj";
  try {
    import_head(path, ImportOptions{});
    FAIL() << "no units error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--units auto"), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
  }
  const Head head = import_head(path, import_options_for_units("auto"));
  EXPECT_GT(head.unit_factor, 0.03);  // about 4.3 cm per unit
  EXPECT_LT(head.unit_factor, 0.06);
}

// Every shared head, its axes rotated at random (seeded), lands in the same head frame.
TEST(SharedHeads, AnyRotationOfTheFileGivesTheSameHead) {
  const std::string data = test::shared_data();
  if (data.empty()) GTEST_SKIP() << "../shared/data is absent: skipping the real-scan tests";
  Rng rng(7);
  for (const SharedHead& h : shared_heads(data)) {
    const ImportOptions options = import_options_for_units(h.units);
    const geometry::TriangleMesh raw = geometry::load_mesh_file(h.path);
    const Head reference = prepare_head(raw, options, h.path);
    for (int trial = 0; trial < 3; ++trial) {
      geometry::TriangleMesh mesh = raw;
      geometry::transform(mesh, random_rotation(rng), 1.0, Vec3(rng.normal(), rng.normal(), 0));
      const Head head = prepare_head(mesh, options, h.path);
      SCOPED_TRACE(h.path + " trial " + std::to_string(trial));
      check_anatomy(head, h.path);
      for (int i = 0; i < kLandmarkCount; ++i) {
        const auto l = static_cast<Landmark>(i);
        EXPECT_LT((head.landmarks[l] - reference.landmarks[l]).norm(), 1.0 * kCm)
            << landmark_name(l);
      }
    }
  }
}

TEST(ImportOptions, ParsesUnits) {
  EXPECT_EQ(import_options_for_units("").unit_mode, UnitMode::kInfer);
  EXPECT_EQ(import_options_for_units("auto").unit_mode, UnitMode::kAuto);
  EXPECT_EQ(import_options_for_units("in").unit, LengthUnit::kInch);
  EXPECT_THROW(import_options_for_units("furlong"), InputError);
}

}  // namespace
}  // namespace headspa::anatomy
