#include "headspa/geometry/surface_query.hpp"

#include "geometry/numerics_meshes.hpp"
#include "headspa/core/error.hpp"

#include <gtest/gtest.h>
#include <Eigen/Geometry>

#include <random>
#include <thread>
#include <vector>

namespace headspa::geometry {
namespace {

// Brute force: the closest point over every face, in double precision.
double brute_force_distance(const TriangleMesh& mesh, const Vec3& p) {
  double best = std::numeric_limits<double>::infinity();
  for (const Face& f : mesh.faces) {
    const Vec3& a = mesh.vertices[static_cast<std::size_t>(f[0])];
    const Vec3& b = mesh.vertices[static_cast<std::size_t>(f[1])];
    const Vec3& c = mesh.vertices[static_cast<std::size_t>(f[2])];
    // Sample-free exact distance via the plane and the three edges.
    const Vec3 n = (b - a).cross(c - a).normalized();
    const Vec3 q = p - (p - a).dot(n) * n;
    const double d0 = ((b - a).cross(q - a)).dot(n);
    const double d1 = ((c - b).cross(q - b)).dot(n);
    const double d2 = ((a - c).cross(q - c)).dot(n);
    if (d0 >= 0 && d1 >= 0 && d2 >= 0) {
      best = std::min(best, (p - q).norm());
      continue;
    }
    for (const auto& [s, e] : {std::pair{a, b}, std::pair{b, c}, std::pair{c, a}}) {
      const double t = std::clamp((p - s).dot(e - s) / (e - s).squaredNorm(), 0.0, 1.0);
      best = std::min(best, (p - (s + t * (e - s))).norm());
    }
  }
  return best;
}

TEST(SurfaceQuery, ClosestPointMatchesBruteForce) {
  const TriangleMesh mesh = testing::icosphere(3, 0.1);
  const SurfaceQuery query(mesh);
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(-0.2, 0.2);
  for (int i = 0; i < 300; ++i) {
    const Vec3 p(u(rng), u(rng), u(rng));
    const std::optional<ClosestPoint> c = query.closest_point(p);
    ASSERT_TRUE(c.has_value());
    EXPECT_NEAR(c->distance, brute_force_distance(mesh, p), 1e-12);
    EXPECT_NEAR((c->position - p).norm(), c->distance, 1e-12);
    EXPECT_LT((position(mesh, c->point) - c->position).norm(), 1e-12);
    EXPECT_TRUE(c->point.IsValid());
  }
}

TEST(SurfaceQuery, BoundedQueryReturnsNothingBeyondTheBound) {
  const TriangleMesh mesh = testing::icosphere(3, 0.1);
  const SurfaceQuery query(mesh);
  EXPECT_FALSE(query.closest_point(Vec3(0.3, 0, 0), 0.1).has_value());
  const auto c = query.closest_point(Vec3(0.3, 0, 0), 0.25);
  ASSERT_TRUE(c.has_value());
  EXPECT_NEAR(c->distance, 0.2, 1e-3);
}

TEST(SurfaceQuery, SignedDistanceIsNegativeInsideASphere) {
  const double r = 0.1;
  const TriangleMesh mesh = testing::icosphere(4, r);
  const SurfaceQuery query(mesh);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int i = 0; i < 500; ++i) {
    const Vec3 dir = Vec3(u(rng), u(rng), u(rng)).normalized();
    const double radius = r * (0.5 + u(rng) * 0.45 + 0.5);  // 0.05 .. 0.145
    const double sd = query.signed_distance(radius * dir);
    // The polyhedron lies within 0.1% of r inside the sphere.
    EXPECT_NEAR(sd, radius - r, 0.002 * r);
    if (std::abs(radius - r) > 0.003 * r) {
      EXPECT_EQ(sd < 0.0, radius < r);
    }
  }
  // Points right next to a vertex and an edge, where the pseudo-normals decide.
  const Vec3 v = mesh.vertices[5];
  EXPECT_GT(query.signed_distance(v * 1.001), 0.0);
  EXPECT_LT(query.signed_distance(v * 0.999), 0.0);
  const Vec3 e = 0.5 * (mesh.vertices[static_cast<std::size_t>(mesh.faces[0][0])] +
                        mesh.vertices[static_cast<std::size_t>(mesh.faces[0][1])]);
  EXPECT_GT(query.signed_distance(e * 1.001), 0.0);
  EXPECT_LT(query.signed_distance(e * 0.999), 0.0);
}

TEST(SurfaceQuery, RaysHitTheFirstSurface) {
  const double r = 0.1;
  const TriangleMesh mesh = testing::icosphere(4, r);
  const SurfaceQuery query(mesh);
  const std::optional<RayHit> out = query.intersect(Vec3::Zero(), Vec3(0.3, 0.4, 0.5).normalized());
  ASSERT_TRUE(out.has_value());
  EXPECT_NEAR(out->t, r, 0.002 * r);
  EXPECT_NEAR(out->position.norm(), out->t, 1e-12);
  EXPECT_GT(out->normal.dot(out->position), 0.0);
  // From outside, the near side is hit first.
  const std::optional<RayHit> in = query.intersect(Vec3(0, 0, 0.5), Vec3(0, 0, -1));
  ASSERT_TRUE(in.has_value());
  EXPECT_NEAR(in->position.z(), r, 0.002 * r);
  EXPECT_NEAR(in->t, 0.5 - in->position.z(), 1e-12);
  EXPECT_FALSE(query.intersect(Vec3(0, 0, 0.5), Vec3(0, 0, 1)).has_value());
  EXPECT_FALSE(query.intersect(Vec3(0, 0, 0.5), Vec3(0, 0, -1), 0.0, 0.3).has_value());
}

// A hierarchy built for rays only meets every ray where the full one does, finds the same
// closest points, and refuses signed distances (it has no pseudo-normals).
TEST(SurfaceQuery, RaysOnlyHierarchyAnswersRaysAndClosestPointsAlike) {
  const TriangleMesh mesh = testing::icosphere(4, 0.1);
  const SurfaceQuery full(mesh);
  const SurfaceQuery rays(mesh, SurfaceQuery::Queries::kRaysOnly);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-0.15, 0.15);
  for (int i = 0; i < 500; ++i) {
    const Vec3 origin(u(rng), u(rng), u(rng));
    const Vec3 direction = Vec3(u(rng), u(rng), u(rng)).normalized();
    const std::optional<RayHit> a = full.intersect(origin, direction);
    const std::optional<RayHit> b = rays.intersect(origin, direction);
    ASSERT_EQ(a.has_value(), b.has_value()) << "ray " << i;
    if (a) {
      EXPECT_EQ(a->point.face, b->point.face) << "ray " << i;
      EXPECT_DOUBLE_EQ(a->t, b->t) << "ray " << i;
    }
    const std::optional<ClosestPoint> ca = full.closest_point(origin);
    const std::optional<ClosestPoint> cb = rays.closest_point(origin);
    ASSERT_TRUE(ca && cb);
    EXPECT_DOUBLE_EQ(ca->distance, cb->distance) << "point " << i;
  }
  EXPECT_THROW(rays.signed_distance(Vec3::Zero()), InternalError);
}

TEST(SurfaceQuery, ConcurrentQueriesAgreeWithSerialOnes) {
  const TriangleMesh mesh = testing::icosphere(4, 0.1);
  const SurfaceQuery query(mesh);
  std::vector<Vec3> points;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(-0.15, 0.15);
  for (int i = 0; i < 2000; ++i) points.emplace_back(u(rng), u(rng), u(rng));
  std::vector<double> serial(points.size()), parallel(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) serial[i] = query.signed_distance(points[i]);
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (std::size_t i = w; i < points.size(); i += 4)
        parallel[i] = query.signed_distance(points[i]);
    });
  }
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(serial, parallel);
}

// Each thread's last answer bounds its next search (see the header). The answers must be those
// of an unbounded search, bit for bit, whatever face came last: near the query or far from it,
// and at a vertex, where every face around it is exactly as near and the lowest index wins.
TEST(SurfaceQuery, TheLastAnswerNeverChangesTheNextOne) {
  const TriangleMesh mesh = testing::icosphere(4, 0.1);
  const SurfaceQuery query(mesh);
  const SurfaceQuery other(mesh);  // querying it makes `query` forget its last answer
  std::vector<Vec3> points;
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> u(-0.15, 0.15);
  for (int i = 0; i < 300; ++i) points.emplace_back(u(rng), u(rng), u(rng));
  for (std::size_t v = 0; v < mesh.vertices.size(); v += 97) {
    points.push_back(mesh.vertices[v]);
    points.push_back(1.01 * mesh.vertices[v]);
  }
  const auto centroid = [&](int f) {
    const Face& t = mesh.faces[static_cast<std::size_t>(f)];
    return Vec3((mesh.vertices[static_cast<std::size_t>(t[0])] +
                 mesh.vertices[static_cast<std::size_t>(t[1])] +
                 mesh.vertices[static_cast<std::size_t>(t[2])]) /
                3.0);
  };
  const int faces = static_cast<int>(mesh.faces.size());
  for (const Vec3& p : points) {
    (void)other.closest_point(p);
    ClosestPoint fresh;
    const double fresh_d = query.signed_distance(p, &fresh);
    // Faces to come last: the answer itself, its neighbours by index, and a far one.
    for (const int f :
         {fresh.point.face, std::max(fresh.point.face - 1, 0),
          std::min(fresh.point.face + 1, faces - 1), (fresh.point.face + faces / 2) % faces}) {
      ASSERT_EQ(query.closest_point(centroid(f))->point.face, f);
      ClosestPoint again;
      const double d = query.signed_distance(p, &again);
      EXPECT_EQ(d, fresh_d);
      EXPECT_EQ(again.point.face, fresh.point.face) << "after face " << f;
      EXPECT_EQ(again.point.barycentric, fresh.point.barycentric);
      const std::optional<ClosestPoint> bounded = query.closest_point(p, fresh.distance * 2 + 1e-9);
      ASSERT_TRUE(bounded.has_value());
      EXPECT_EQ(bounded->point.face, fresh.point.face);
    }
  }
}

// A query near the last answer's face may be settled by the faces around it (see RingIndex in
// surface_query.cpp). Along paths on and just off the surface (the planner's feet), and where
// another sheet of the surface passes within about an edge (a fold), the answers must
// be a full search's, bit for bit.
TEST(SurfaceQuery, QueriesNearTheLastAnswerMatchAFullSearch) {
  TriangleMesh fold = testing::flat_grid(20, 0.002);
  const auto offset = static_cast<int>(fold.vertices.size());
  const TriangleMesh sheet = testing::flat_grid(20, 0.002);
  for (const Vec3& v : sheet.vertices) fold.vertices.push_back(v + Vec3(0.0007, 0.0003, 0.0025));
  for (const Face& f : sheet.faces)
    fold.faces.push_back({f[0] + offset, f[2] + offset, f[1] + offset});
  // Separations found on first need, or all beforehand (on two threads).
  const std::pair<TriangleMesh, bool> cases[] = {{testing::icosphere(4, 0.1), false},
                                                 {testing::icosphere(4, 0.1), true},
                                                 {fold, false},
                                                 {fold, true}};
  for (const auto& [mesh, prepared] : cases) {
    const SurfaceQuery query(mesh);
    if (prepared) query.prepare_nearby_queries();
    const SurfaceQuery other(mesh);  // querying it makes `query` forget its last answer
    std::mt19937 rng(31);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    int steps = 0;
    for (int path = 0; path < 40; ++path) {
      // A walk over the surface from a random face: points on it, and up to 2.5 mm off (on the
      // fold, nearer the other sheet beyond 1.25 mm).
      int face = static_cast<int>(u(rng) * static_cast<double>(mesh.faces.size()));
      for (int k = 0; k < 50; ++k, ++steps) {
        const Face& f = mesh.faces[static_cast<std::size_t>(face)];
        double a = u(rng), b = u(rng);
        if (a + b > 1.0) {
          a = 1.0 - a;
          b = 1.0 - b;
        }
        const Vec3& p0 = mesh.vertices[static_cast<std::size_t>(f[0])];
        const Vec3& p1 = mesh.vertices[static_cast<std::size_t>(f[1])];
        const Vec3& p2 = mesh.vertices[static_cast<std::size_t>(f[2])];
        const Vec3 n = (p1 - p0).cross(p2 - p0).normalized();
        const double lift = k % 3 == 0 ? 0.0 : (u(rng) - 0.5) * 0.005;
        const Vec3 p = p0 + a * (p1 - p0) + b * (p2 - p0) + lift * n;
        const std::optional<ClosestPoint> near = query.closest_point(p);
        (void)other.closest_point(p);
        const std::optional<ClosestPoint> full = query.closest_point(p);
        ASSERT_TRUE(near && full);
        ASSERT_EQ(near->point.face, full->point.face) << "path " << path << ", step " << k;
        EXPECT_EQ(near->point.barycentric, full->point.barycentric);
        EXPECT_EQ(near->distance, full->distance);
        EXPECT_NEAR(full->distance, brute_force_distance(mesh, p), 1e-15);
        // On to a neighbouring face, sometimes.
        const int corner = f[static_cast<std::size_t>(k % 3)];
        for (int g = 0; g < static_cast<int>(mesh.faces.size()); ++g) {
          const Face& h = mesh.faces[static_cast<std::size_t>(g)];
          if (g != face && (h[0] == corner || h[1] == corner || h[2] == corner) && u(rng) < 0.3) {
            face = g;
            break;
          }
        }
      }
    }
    EXPECT_EQ(steps, 2000);
  }
}

// closest_point_near: the same answer as closest_point whichever face it is given, the face of
// the answer itself, one beside it, one far away or none at all; bounded queries too.
TEST(SurfaceQuery, QueriesFromANamedFaceMatchAFullSearch) {
  const TriangleMesh mesh = testing::icosphere(4, 0.1);
  const SurfaceQuery query(mesh);
  const SurfaceQuery other(mesh);  // querying it makes `query` forget its last answer
  std::mt19937 rng(37);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const auto faces = static_cast<int>(mesh.faces.size());
  for (int k = 0; k < 400; ++k) {
    const Vec3 dir = Vec3(u(rng), u(rng), u(rng)).normalized();
    const Vec3 p = (0.1 + 0.004 * u(rng)) * dir;  // within 4 mm of the sphere, both sides
    (void)other.closest_point(p);
    const std::optional<ClosestPoint> full = query.closest_point(p);
    ASSERT_TRUE(full);
    const Face& f = mesh.faces[static_cast<std::size_t>(full->point.face)];
    int beside = full->point.face;
    for (int g = 0; g < faces; ++g) {
      const Face& h = mesh.faces[static_cast<std::size_t>(g)];
      if (g != full->point.face && (h[0] == f[1] || h[1] == f[1] || h[2] == f[1])) {
        beside = g;
        break;
      }
    }
    const int named[] = {full->point.face, beside, (full->point.face + faces / 2) % faces, -1,
                         faces};
    for (const int face : named) {
      (void)other.closest_point(p);
      const std::optional<ClosestPoint> near = query.closest_point_near(p, face);
      ASSERT_TRUE(near);
      ASSERT_EQ(near->point.face, full->point.face) << "point " << k << ", face " << face;
      EXPECT_EQ(near->point.barycentric, full->point.barycentric);
      EXPECT_EQ(near->distance, full->distance);
      const std::optional<ClosestPoint> bounded =
          query.closest_point_near(p, face, 0.5 * full->distance);
      EXPECT_EQ(bounded.has_value(), full->distance == 0.0);
    }
  }
}

// signed_distance_up_to: the full query's answer up to the limit; above it, that answer or
// +infinity, and +infinity only where the point is really outside by more than the limit.
void expect_up_to_agrees(const TriangleMesh& mesh, bool may_skip, std::uint32_t seed) {
  const SurfaceQuery query(mesh);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-0.25, 0.25);
  int skipped = 0;
  for (int i = 0; i < 600; ++i) {
    const Vec3 p(u(rng), u(rng), u(rng));
    for (const double limit : {0.005, 0.02, 0.06}) {
      ClosestPoint full_closest, closest;
      const double full = query.signed_distance(p, &full_closest);
      const double v = query.signed_distance_up_to(p, limit, &closest);
      if (full <= limit || !may_skip) {
        ASSERT_EQ(v, full) << "point " << i << ", limit " << limit;
        EXPECT_EQ(closest.point.face, full_closest.point.face);
        EXPECT_EQ(closest.point.barycentric, full_closest.point.barycentric);
      } else {
        ASSERT_GT(v, limit) << "point " << i << ", limit " << limit;
        if (std::isinf(v)) {
          ++skipped;
        } else {
          EXPECT_EQ(v, full);
        }
      }
    }
  }
  if (may_skip) {
    EXPECT_GT(skipped, 500);  // most far points are answered from the grid
  }
}

TEST(SurfaceQuery, SignedDistanceUpToAgreesWithTheFullQuery) {
  const TriangleMesh sphere = testing::icosphere(4, 0.1);
  expect_up_to_agrees(sphere, true, 21);

  // Wound inwards, the same sphere has its signs turned over: outside is negative there, and
  // the grid must not call it positive.
  TriangleMesh inward = sphere;
  for (Face& f : inward.faces) std::swap(f[1], f[2]);
  expect_up_to_agrees(inward, false, 22);

  // Open (a cap cut off): the pseudo-normals' sign beyond the opening is not inside/outside.
  TriangleMesh open = sphere;
  std::erase_if(open.faces, [&](const Face& f) {
    return open.vertices[static_cast<std::size_t>(f[0])].z() > 0.08;
  });
  expect_up_to_agrees(open, false, 23);

  // Two parts, one wound inwards: not used either.
  TriangleMesh two = sphere;
  const auto offset = static_cast<int>(two.vertices.size());
  for (const Vec3& v : sphere.vertices) two.vertices.push_back(0.3 * v + Vec3(0.18, 0.0, 0.0));
  for (const Face& f : sphere.faces)
    two.faces.push_back({f[0] + offset, f[2] + offset, f[1] + offset});
  expect_up_to_agrees(two, false, 24);
}

TEST(SurfaceQuery, RejectsAnEmptyMesh) { EXPECT_THROW(SurfaceQuery(TriangleMesh{}), InputError); }

}  // namespace
}  // namespace headspa::geometry
