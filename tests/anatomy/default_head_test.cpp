// The built-in default head: valid options, a closed and well-shaped mesh, the anthropometric
// dimensions it was built from, mirror symmetry, determinism and landmarks by construction.
#include "headspa/anatomy/default_head.hpp"

#include "headspa/core/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace headspa::anatomy {
namespace {

using geometry::TriangleMesh;
using geometry::Vec3;

DefaultHead build(Sex sex, int percentile, int vertices) {
  DefaultHeadOptions options;
  options.sex = sex;
  options.percentile = percentile;
  options.target_vertices = vertices;
  return make_default_head(options);
}

// One shared head per configuration keeps the suite quick.
const DefaultHead& head(Sex sex = Sex::kFemale, int percentile = 50, int vertices = 30000) {
  static std::map<std::tuple<int, int, int>, DefaultHead> cache;
  const auto key = std::make_tuple(static_cast<int>(sex), percentile, vertices);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, build(sex, percentile, vertices)).first;
  return it->second;
}

const Vec3& at(const DefaultHead& h, Landmark l) { return h.landmarks[l]; }

double min_angle_deg(const TriangleMesh& m, const geometry::Face& f) {
  double smallest = 180.0;
  for (int k = 0; k < 3; ++k) {
    const Vec3& p = m.vertices[static_cast<std::size_t>(f[static_cast<std::size_t>(k)])];
    const Vec3 a =
        m.vertices[static_cast<std::size_t>(f[static_cast<std::size_t>((k + 1) % 3)])] - p;
    const Vec3 b =
        m.vertices[static_cast<std::size_t>(f[static_cast<std::size_t>((k + 2) % 3)])] - p;
    const double c = std::clamp(a.normalized().dot(b.normalized()), -1.0, 1.0);
    smallest = std::min(smallest, std::acos(c) * 180.0 / std::numbers::pi);
  }
  return smallest;
}

// Does segment [p, q] cross triangle (a, b, c)? Strict: touching at an end does not count.
bool segment_hits_triangle(const Vec3& p, const Vec3& q, const Vec3& a, const Vec3& b,
                           const Vec3& c) {
  const Vec3 n = (b - a).cross(c - a);
  const double dp = n.dot(p - a), dq = n.dot(q - a);
  if (dp * dq >= 0.0) return false;
  const Vec3 x = p + (dp / (dp - dq)) * (q - p);
  const double eps = -1e-12 * n.squaredNorm();
  return n.dot((b - a).cross(x - a)) > -eps && n.dot((c - b).cross(x - b)) > -eps &&
         n.dot((a - c).cross(x - c)) > -eps;
}

TEST(DefaultHeadOptions, AcceptsTheDocumentedRange) {
  std::string why;
  DefaultHeadOptions options;
  EXPECT_TRUE(options.IsValid(&why)) << why;
  for (int p : {5, 50, 95}) {
    options.percentile = p;
    EXPECT_TRUE(options.IsValid(&why)) << why;
  }
  options.target_vertices = 2000;
  EXPECT_TRUE(options.IsValid(nullptr));
  options.target_vertices = 500000;
  EXPECT_TRUE(options.IsValid(nullptr));
}

TEST(DefaultHeadOptions, RejectsBadFieldsWithAReason) {
  std::string why;
  DefaultHeadOptions options;
  options.percentile = 25;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("percentile"), std::string::npos);
  options = DefaultHeadOptions{};
  options.target_vertices = 1999;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_NE(why.find("target_vertices"), std::string::npos);
  options.target_vertices = 500001;
  EXPECT_FALSE(options.IsValid(&why));
  EXPECT_THROW(make_default_head(options), InputError);
  options = DefaultHeadOptions{};
  options.percentile = 0;
  EXPECT_THROW(make_default_head(options), InputError);
  EXPECT_THROW(default_head_dimensions(Sex::kMale, 60), InputError);
}

TEST(DefaultHeadDimensions, ComeFromAnsurTwo) {
  const HeadDimensions f = default_head_dimensions(Sex::kFemale, 50);
  EXPECT_DOUBLE_EQ(f.head_length_m, 0.190);
  EXPECT_DOUBLE_EQ(f.head_breadth_m, 0.147);
  EXPECT_DOUBLE_EQ(f.head_circumference_m, 0.560);
  EXPECT_DOUBLE_EQ(f.tragion_to_top_m, 0.127);
  const HeadDimensions m = default_head_dimensions(Sex::kMale, 95);
  EXPECT_DOUBLE_EQ(m.head_length_m, 0.211);
  EXPECT_DOUBLE_EQ(m.neck_circumference_m, 0.443);
  EXPECT_DOUBLE_EQ(m.interpupillary_m, 0.070);
  // Percentiles are ordered for every dimension.
  for (Sex s : {Sex::kFemale, Sex::kMale}) {
    const HeadDimensions a = default_head_dimensions(s, 5), b = default_head_dimensions(s, 50),
                         c = default_head_dimensions(s, 95);
    EXPECT_LT(a.head_length_m, b.head_length_m);
    EXPECT_LT(b.head_length_m, c.head_length_m);
    EXPECT_LT(a.ear_protrusion_m, c.ear_protrusion_m);
    EXPECT_LT(a.neck_circumference_m, c.neck_circumference_m);
  }
}

TEST(DefaultHead, VertexCountFollowsTheTarget) {
  for (int target : {2000, 5000, 30000, 100000}) {
    const DefaultHead h = build(Sex::kFemale, 50, target);
    const auto n = static_cast<double>(h.mesh.vertex_count());
    EXPECT_NEAR(n, target, 0.1 * target) << "target " << target;
    EXPECT_EQ(h.mesh.face_count(), 2 * h.mesh.vertex_count() - 4);
  }
}

TEST(DefaultHead, IsAClosedOrientedGenusZeroSurface) {
  const TriangleMesh& m = head().mesh;
  // Every directed edge appears once and its reverse once: closed, manifold, consistent.
  std::map<std::pair<int, int>, int> directed;
  for (const auto& f : m.faces) {
    ASSERT_NE(f[0], f[1]);
    ASSERT_NE(f[1], f[2]);
    ASSERT_NE(f[2], f[0]);
    for (int k = 0; k < 3; ++k)
      ++directed[{f[static_cast<std::size_t>(k)], f[static_cast<std::size_t>((k + 1) % 3)]}];
  }
  for (const auto& [edge, count] : directed) {
    ASSERT_EQ(count, 1);
    ASSERT_EQ(directed.count({edge.second, edge.first}), 1u);
  }
  const auto V = static_cast<long>(m.vertex_count()), F = static_cast<long>(m.face_count());
  const auto E = static_cast<long>(directed.size() / 2);
  EXPECT_EQ(V - E + F, 2);  // Euler characteristic of a sphere
  // Outward: positive enclosed volume, close to that of a head and neck (a few litres).
  double volume = 0.0;
  for (const auto& f : m.faces) {
    volume += m.vertices[static_cast<std::size_t>(f[0])].dot(
                  m.vertices[static_cast<std::size_t>(f[1])].cross(
                      m.vertices[static_cast<std::size_t>(f[2])])) /
              6.0;
  }
  EXPECT_GT(volume, 0.003);
  EXPECT_LT(volume, 0.008);
  // Seen from the origin every triangle faces away (the head is star-shaped around it).
  for (const auto& f : m.faces) {
    const Vec3& a = m.vertices[static_cast<std::size_t>(f[0])];
    ASSERT_GT((m.vertices[static_cast<std::size_t>(f[1])] - a)
                  .cross(m.vertices[static_cast<std::size_t>(f[2])] - a)
                  .dot(a),
              0.0);
  }
}

TEST(DefaultHead, HasNoSelfIntersections) {
  // Every edge against every triangle near it that it does not share a vertex with.
  const TriangleMesh& m = build(Sex::kMale, 95, 8000).mesh;
  const geometry::Box3 box = geometry::bounding_box(m);
  const double cell = 4.0 * geometry::mean_edge_length(m);
  const auto key = [&](const Vec3& p) {
    const Vec3 c = (p - box.min) / cell;
    return std::array<int, 3>{static_cast<int>(c.x()), static_cast<int>(c.y()),
                              static_cast<int>(c.z())};
  };
  std::map<std::array<int, 3>, std::vector<int>> grid;
  for (int f = 0; f < static_cast<int>(m.face_count()); ++f) {
    const auto& t = m.faces[static_cast<std::size_t>(f)];
    std::array<int, 3> lo = key(m.vertices[static_cast<std::size_t>(t[0])]), hi = lo;
    for (int v : t) {
      const auto k = key(m.vertices[static_cast<std::size_t>(v)]);
      for (int d = 0; d < 3; ++d)
        lo[static_cast<std::size_t>(d)] =
            std::min(lo[static_cast<std::size_t>(d)], k[static_cast<std::size_t>(d)]),
        hi[static_cast<std::size_t>(d)] =
            std::max(hi[static_cast<std::size_t>(d)], k[static_cast<std::size_t>(d)]);
    }
    for (int x = lo[0]; x <= hi[0]; ++x)
      for (int y = lo[1]; y <= hi[1]; ++y)
        for (int z = lo[2]; z <= hi[2]; ++z) grid[{x, y, z}].push_back(f);
  }
  int crossings = 0;
  for (const auto& [cellkey, faces] : grid) {
    for (int f : faces) {
      const auto& t = m.faces[static_cast<std::size_t>(f)];
      for (int k = 0; k < 3; ++k) {
        const int a = t[static_cast<std::size_t>(k)], b = t[static_cast<std::size_t>((k + 1) % 3)];
        for (int g : faces) {
          const auto& s = m.faces[static_cast<std::size_t>(g)];
          if (std::find(s.begin(), s.end(), a) != s.end() ||
              std::find(s.begin(), s.end(), b) != s.end())
            continue;
          if (segment_hits_triangle(m.vertices[static_cast<std::size_t>(a)],
                                    m.vertices[static_cast<std::size_t>(b)],
                                    m.vertices[static_cast<std::size_t>(s[0])],
                                    m.vertices[static_cast<std::size_t>(s[1])],
                                    m.vertices[static_cast<std::size_t>(s[2])])) {
            ++crossings;
          }
        }
      }
    }
  }
  EXPECT_EQ(crossings, 0);
}

TEST(DefaultHead, TrianglesAreWellShaped) {
  // At least 99 % of triangles have all angles >= 15 degrees and none has one below 5.
  for (int target : {2000, 30000, 100000}) {
    const TriangleMesh& m = head(Sex::kFemale, 50, target).mesh;
    int below15 = 0, below5 = 0;
    for (const auto& f : m.faces) {
      const double a = min_angle_deg(m, f);
      below15 += a < 15.0 ? 1 : 0;
      below5 += a < 5.0 ? 1 : 0;
    }
    EXPECT_EQ(below5, 0) << "target " << target;
    EXPECT_LE(below15, static_cast<int>(0.01 * static_cast<double>(m.face_count())))
        << "target " << target;
  }
}

TEST(DefaultHead, IsBitForBitDeterministic) {
  const DefaultHead a = build(Sex::kMale, 5, 6000), b = build(Sex::kMale, 5, 6000);
  ASSERT_EQ(a.mesh.vertex_count(), b.mesh.vertex_count());
  ASSERT_EQ(a.mesh.faces, b.mesh.faces);
  for (std::size_t v = 0; v < a.mesh.vertex_count(); ++v) {
    ASSERT_EQ(a.mesh.vertices[v], b.mesh.vertices[v]);  // exact
  }
  EXPECT_EQ(a.landmarks.vertex, b.landmarks.vertex);
}

TEST(DefaultHead, IsExactlyMirrorSymmetric) {
  const TriangleMesh& m = head().mesh;
  std::map<std::array<double, 3>, int> index;
  for (int v = 0; v < static_cast<int>(m.vertex_count()); ++v) {
    const Vec3& p = m.vertices[static_cast<std::size_t>(v)];
    index[{p.x(), p.y(), p.z()}] = v;
  }
  std::vector<int> mirror_of(m.vertex_count());
  for (int v = 0; v < static_cast<int>(m.vertex_count()); ++v) {
    const Vec3& p = m.vertices[static_cast<std::size_t>(v)];
    const auto it = index.find({-p.x(), p.y(), p.z()});
    ASSERT_NE(it, index.end()) << "vertex " << v << " has no mirror image";
    mirror_of[static_cast<std::size_t>(v)] = it->second;
  }
  // The triangles mirror too (with their order reversed to stay outward).
  std::map<std::array<int, 3>, int> faces;
  const auto canonical = [](std::array<int, 3> f) {
    std::rotate(f.begin(), std::min_element(f.begin(), f.end()), f.end());
    return f;
  };
  for (const auto& f : m.faces) faces[canonical(f)] = 1;
  for (const auto& f : m.faces) {
    const std::array<int, 3> g = {mirror_of[static_cast<std::size_t>(f[0])],
                                  mirror_of[static_cast<std::size_t>(f[2])],
                                  mirror_of[static_cast<std::size_t>(f[1])]};
    ASSERT_EQ(faces.count(canonical(g)), 1u);
  }
}

TEST(DefaultHead, LandmarksSitOnTheirVerticesAndMirror) {
  const DefaultHead& h = head();
  for (int l = 0; l < kLandmarkCount; ++l) {
    const int v = h.landmarks.vertex[static_cast<std::size_t>(l)];
    ASSERT_GE(v, 0);
    ASSERT_LT(v, static_cast<int>(h.mesh.vertex_count()));
    EXPECT_EQ(h.landmarks.position[static_cast<std::size_t>(l)],
              h.mesh.vertices[static_cast<std::size_t>(v)]);
    const Landmark lm = static_cast<Landmark>(l);
    const Vec3& p = at(h, lm);
    const Vec3& q = at(h, mirror(lm));
    EXPECT_EQ(p.x(), -q.x()) << landmark_name(lm);
    EXPECT_EQ(p.y(), q.y()) << landmark_name(lm);
    EXPECT_EQ(p.z(), q.z()) << landmark_name(lm);
    if (mirror(lm) != lm && landmark_name(lm).ends_with("_left")) {
      EXPECT_GT(p.x(), 0.0) << landmark_name(lm);  // +X is the person's left
    }
  }
  // Distinct landmarks sit on distinct vertices.
  std::vector<int> used(h.landmarks.vertex.begin(), h.landmarks.vertex.end());
  std::sort(used.begin(), used.end());
  EXPECT_EQ(std::adjacent_find(used.begin(), used.end()), used.end());
}

TEST(DefaultHead, HeadFrameIsAnchoredAtTheTragions) {
  const DefaultHead& h = head();
  const Vec3 mid = 0.5 * (at(h, Landmark::kTragionLeft) + at(h, Landmark::kTragionRight));
  EXPECT_EQ(mid, Vec3::Zero());
  EXPECT_NEAR(at(h, Landmark::kTragionLeft).x(), 0.07, 0.01);  // half the bitragion breadth
}

TEST(DefaultHead, ExtremalLandmarksAreTheExtremes) {
  const DefaultHead& h = head();
  const auto& vs = h.mesh.vertices;
  const auto arg = [&](auto better) {
    return static_cast<int>(std::max_element(vs.begin(), vs.end(), better) - vs.begin());
  };
  EXPECT_EQ(arg([](const Vec3& a, const Vec3& b) { return a.z() < b.z(); }),
            h.landmarks.vertex[static_cast<int>(Landmark::kNoseTip)]);
  EXPECT_EQ(arg([](const Vec3& a, const Vec3& b) { return a.y() < b.y(); }),
            h.landmarks.vertex[static_cast<int>(Landmark::kVertex)]);
  // Menton: nothing on the chin (in front of the throat) is lower.
  const Vec3& menton = at(h, Landmark::kChin);
  for (const Vec3& p : vs) {
    if (p.z() > menton.z() - 0.01) {
      EXPECT_GE(p.y(), menton.y());
    }
  }
  // Glabella: nothing on the midline brow (between nasion and 3 cm above) is further forward.
  const Vec3& g = at(h, Landmark::kGlabella);
  for (const Vec3& p : vs) {
    if (std::abs(p.x()) < 0.01 && p.y() > at(h, Landmark::kNasion).y() && p.y() < g.y() + 0.03) {
      EXPECT_LE(p.z(), g.z() + 1e-12);
    }
  }
}

TEST(DefaultHead, FeaturesAreWhereAnatomySaysTheyAre) {
  const DefaultHead& h = head();
  const auto P = [&](Landmark l) { return at(h, l); };
  // Profile: glabella protrudes over the nasion; the nose tip over both; eyes are recessed.
  EXPECT_GT(P(Landmark::kGlabella).z(), P(Landmark::kNasion).z() + 0.002);
  EXPECT_GT(P(Landmark::kGlabella).y(), P(Landmark::kNasion).y());
  EXPECT_GT(P(Landmark::kNoseTip).z(), P(Landmark::kGlabella).z() + 0.01);
  EXPECT_LT(P(Landmark::kEyeInnerLeft).z(), P(Landmark::kNasion).z());
  EXPECT_LT(P(Landmark::kEyeOuterLeft).z(), P(Landmark::kEyeInnerLeft).z());
  EXPECT_GT(P(Landmark::kEyeOuterLeft).x(), P(Landmark::kEyeInnerLeft).x());
  EXPECT_GT(P(Landmark::kBrowInnerLeft).y(), P(Landmark::kEyeInnerLeft).y());
  EXPECT_GT(P(Landmark::kBrowOuterLeft).x(), P(Landmark::kBrowInnerLeft).x());
  // Face length: sellion (nasion) to menton.
  EXPECT_NEAR(P(Landmark::kNasion).y() - P(Landmark::kChin).y(), h.dimensions.face_length_m,
              0.06 * h.dimensions.face_length_m);
  // Mouth below the nose, above the chin; the interpupillary-based eye corners straddle x.
  EXPECT_LT(P(Landmark::kMouthCornerLeft).y(), P(Landmark::kNoseTip).y());
  EXPECT_GT(P(Landmark::kMouthCornerLeft).y(), P(Landmark::kChin).y());
  // Ears: apex above the tragion; the ear stands off the head by about its protrusion.
  EXPECT_GT(P(Landmark::kEarApexLeft).y(), P(Landmark::kTragionLeft).y() + 0.02);
  double ear_x = 0.0;
  for (const Vec3& p : h.mesh.vertices) {
    if (std::abs(p.y()) < 0.03 && std::abs(p.z()) < 0.04) ear_x = std::max(ear_x, p.x());
  }
  EXPECT_NEAR(ear_x - P(Landmark::kTragionLeft).x(), h.dimensions.ear_protrusion_m,
              0.5 * h.dimensions.ear_protrusion_m);
  // Jaw angle below and in front of the ear; mastoid behind and below it; inion at the back.
  EXPECT_LT(P(Landmark::kJawAngleLeft).y(), -0.03);
  EXPECT_LT(P(Landmark::kMastoidLeft).z(), 0.0);
  EXPECT_LT(P(Landmark::kMastoidLeft).y(), 0.0);
  EXPECT_LT(P(Landmark::kInion).z(), -0.08);
}

TEST(DefaultHead, TragionSitsInAConcavity) {
  const DefaultHead& h = head();
  const geometry::VertexAdjacency adj = geometry::vertex_adjacency(h.mesh);
  const int t = h.landmarks.vertex[static_cast<int>(Landmark::kTragionLeft)];
  Vec3 mean = Vec3::Zero();
  const int b = adj.offsets[static_cast<std::size_t>(t)],
            e = adj.offsets[static_cast<std::size_t>(t) + 1];
  for (int k = b; k < e; ++k)
    mean += h.mesh.vertices[static_cast<std::size_t>(adj.indices[static_cast<std::size_t>(k)])];
  mean /= static_cast<double>(e - b);
  EXPECT_LT(h.mesh.vertices[static_cast<std::size_t>(t)].x(), mean.x());
}

// The built head measures what it was built from, for every sex and percentile.
class DefaultHeadSizes : public ::testing::TestWithParam<std::tuple<Sex, int>> {};

TEST_P(DefaultHeadSizes, MatchTheTable) {
  const auto [sex, percentile] = GetParam();
  const DefaultHead& h = head(sex, percentile, 20000);
  const HeadDimensions& d = h.dimensions;
  const auto& vs = h.mesh.vertices;
  const Vec3& g = at(h, Landmark::kGlabella);
  // Head length: glabella to the most posterior point, along Z.
  const auto back = std::min_element(vs.begin(), vs.end(),
                                     [](const Vec3& a, const Vec3& b) { return a.z() < b.z(); });
  EXPECT_NEAR(g.z() - back->z(), d.head_length_m, 0.03 * d.head_length_m);
  // Breadth above the ears (clear of the rims that fade into the scalp above the apex).
  double half = 0.0;
  for (const Vec3& p : vs) {
    if (p.y() > at(h, Landmark::kEarApexLeft).y() + 0.008) half = std::max(half, std::abs(p.x()));
  }
  EXPECT_NEAR(2.0 * half, d.head_breadth_m, 0.03 * d.head_breadth_m);
  // Tragion to the top of the head.
  EXPECT_NEAR(at(h, Landmark::kVertex).y(), d.tragion_to_top_m, 0.03 * d.tragion_to_top_m);
  // Circumference: a tape through glabella and opisthocranion, level side to side.
  const Vec3 along = *back - g;
  const Vec3 normal = along.cross(Vec3::UnitX()).normalized();
  EXPECT_NEAR(headspa::geometry::section_tape_length(h.mesh, g, normal), d.head_circumference_m,
              0.03 * d.head_circumference_m);
  // The neck is roughly as thick as the table says (a horizontal section half-way down).
  const double y_neck = 0.5 * (at(h, Landmark::kChin).y() + geometry::bounding_box(h.mesh).min.y());
  EXPECT_NEAR(headspa::geometry::section_tape_length(h.mesh, Vec3(0.0, y_neck, 0.0), Vec3::UnitY()),
              d.neck_circumference_m, 0.12 * d.neck_circumference_m);
}

INSTANTIATE_TEST_SUITE_P(AllSexesAndPercentiles, DefaultHeadSizes,
                         ::testing::Combine(::testing::Values(Sex::kFemale, Sex::kMale),
                                            ::testing::Values(5, 50, 95)));

}  // namespace
}  // namespace headspa::anatomy
