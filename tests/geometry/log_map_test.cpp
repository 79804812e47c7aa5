#include "headspa/geometry/log_map.hpp"

#include "geometry/numerics_meshes.hpp"
#include "headspa/core/error.hpp"
#include "headspa/geometry/tangent_frames.hpp"

#include <gtest/gtest.h>
#include <Eigen/Geometry>

#include <cmath>
#include <numbers>

namespace headspa::geometry {
namespace {

using testing::kPi;

double angle_difference(double a, double b) { return std::abs(std::remainder(a - b, 2.0 * kPi)); }

TEST(TangentFrames, AreOrthonormalRightHandedAndFollowTheReference) {
  const TriangleMesh mesh = testing::icosphere(3, 0.1);
  const std::vector<TangentFrame> frames = vertex_tangent_frames(mesh);
  ASSERT_EQ(frames.size(), mesh.vertices.size());
  for (std::size_t v = 0; v < frames.size(); ++v) {
    const TangentFrame& f = frames[v];
    EXPECT_NEAR(f.normal.norm(), 1.0, 1e-12);
    EXPECT_NEAR(f.tangent.norm(), 1.0, 1e-12);
    EXPECT_NEAR(f.tangent.dot(f.normal), 0.0, 1e-12);
    EXPECT_LT((f.tangent.cross(f.bitangent) - f.normal).norm(), 1e-12);
    // The normal is radial on a sphere.
    EXPECT_GT(f.normal.dot(mesh.vertices[v].normalized()), 0.999);
    // Away from the poles the tangent points "up" (+Y) along the surface.
    if (std::abs(f.normal.y()) < 0.9) {
      EXPECT_GT(f.tangent.y(), 0.0);
    }
    const Eigen::Vector2d uv(0.3, -0.7);
    EXPECT_LT((f.to_local(f.to_world(uv)) - uv).norm(), 1e-12);
  }
  TangentFrameOptions bad;
  bad.fallback_direction = bad.reference_direction;
  std::string why;
  EXPECT_FALSE(bad.IsValid(&why));
  EXPECT_THROW(vertex_tangent_frames(mesh, bad), InputError);
}

TEST(LogMap, IsExactOnAPlane) {
  const double h = 0.001;
  const TriangleMesh mesh = testing::flat_grid(100, h);  // 10 cm square
  const LogMap log_map(mesh);
  LogMapPatch patch;
  const int centre = 50 * 101 + 50;
  for (const SurfacePoint& c :
       {log_map.vertex_point(centre),
        SurfacePoint{2 * (50 * 100 + 50), Eigen::Vector3d(0.2, 0.5, 0.3)}}) {
    LogMapRequest request;
    request.centre = c;
    request.radius_m = 0.03;
    log_map.compute(request, patch);
    const Vec3 origin = position(mesh, c);
    // The frame: normal +z, tangent +y (the default reference direction).
    EXPECT_LT((patch.frame().normal - Vec3::UnitZ()).norm(), 1e-12);
    EXPECT_LT((patch.frame().tangent - Vec3::UnitY()).norm(), 1e-12);
    double worst = 0.0;
    int inside = 0;
    for (int v : patch.vertices()) {
      const Vec3 d = mesh.vertices[static_cast<std::size_t>(v)] - origin;
      const Eigen::Vector2d expected = patch.frame().to_local(d);
      worst = std::max(worst, (*patch.log(v) - expected).norm());
      inside += d.norm() <= 0.03;
    }
    EXPECT_LT(worst, 1e-12);
    // Every vertex within the radius is in the patch (pi r^2 / h^2 of them, about).
    EXPECT_GT(inside, static_cast<int>(0.95 * kPi * 900));
    // exp inverts log exactly, and lands where the planar map says.
    for (double a = 0.0; a < 2 * kPi; a += 0.37) {
      const Eigen::Vector2d uv(0.025 * std::cos(a), 0.025 * std::sin(a));
      const std::optional<Vec3> p = patch.exp_position(uv);
      ASSERT_TRUE(p.has_value());
      EXPECT_LT((*p - (origin + patch.frame().to_world(uv))).norm(), 1e-12);
      const std::optional<SurfacePoint> sp = patch.exp(uv);
      EXPECT_LT((*patch.log(*sp) - uv).norm(), 1e-12);
    }
    EXPECT_FALSE(patch.exp(Eigen::Vector2d(0.2, 0.0)).has_value());
  }
}

TEST(LogMap, MatchesGeodesicPolarCoordinatesOnASphere) {
  // A head-sized sphere (R = 10 cm) with about 1.6 mm edges, patches of 5 cm.
  const double R = 0.1;
  const TriangleMesh mesh = testing::icosphere(6, R);
  const LogMap log_map(mesh);
  LogMapPatch patch;
  for (const SurfacePoint& c :
       {log_map.vertex_point(77), SurfacePoint{4321, Eigen::Vector3d(0.6, 0.1, 0.3)}}) {
    LogMapRequest request;
    request.centre = c;
    request.radius_m = 0.05;
    log_map.compute(request, patch);
    const Vec3 n = position(mesh, c).normalized();
    const TangentFrame& frame = patch.frame();
    EXPECT_GT(frame.normal.dot(n), 0.9999);
    double worst_r = 0.0, worst_theta = 0.0;
    for (int v : patch.vertices()) {
      const Vec3 q = mesh.vertices[static_cast<std::size_t>(v)].normalized();
      const double r_exact = R * std::atan2(n.cross(q).norm(), n.dot(q));
      if (r_exact < 0.005) continue;
      const Eigen::Vector2d dir = frame.to_local(q - q.dot(frame.normal) * frame.normal);
      const double theta_exact = std::atan2(dir.y(), dir.x());
      worst_r = std::max(worst_r, std::abs(*patch.distance(v) - r_exact) / r_exact);
      worst_theta = std::max(worst_theta, angle_difference(*patch.angle(v), theta_exact));
    }
    EXPECT_LT(worst_r, 0.01);
    EXPECT_LT(worst_theta, 0.03);
    // exp: the point at geodesic distance rho in direction alpha, in closed form.
    for (double a = 0.0; a < 2 * kPi; a += 0.5) {
      const double rho = 0.04;
      const Eigen::Vector2d uv(rho * std::cos(a), rho * std::sin(a));
      const std::optional<Vec3> p = patch.exp_position(uv);
      ASSERT_TRUE(p.has_value());
      const Vec3 exact =
          R * (std::cos(rho / R) * frame.normal + std::sin(rho / R) * frame.to_world(uv / rho));
      EXPECT_LT((*p - exact).norm(), 0.01 * rho) << "alpha " << a;
    }
  }
}

TEST(LogMap, PatchesAreReusableAndRequestsAreChecked) {
  const TriangleMesh mesh = testing::icosphere(4, 0.1);
  const LogMap log_map(mesh);
  LogMapPatch patch;
  LogMapRequest request;
  request.centre = log_map.vertex_point(3);
  request.radius_m = 0.02;
  log_map.compute(request, patch);
  const std::vector<int> first(patch.vertices().begin(), patch.vertices().end());
  request.centre = log_map.vertex_point(200);
  log_map.compute(request, patch);
  request.centre = log_map.vertex_point(3);
  log_map.compute(request, patch);
  EXPECT_EQ(first, std::vector<int>(patch.vertices().begin(), patch.vertices().end()));
  EXPECT_EQ(*patch.distance(3), 0.0);
  EXPECT_FALSE(patch.contains(static_cast<int>(mesh.vertices.size()) - 1) &&
               *patch.distance(static_cast<int>(mesh.vertices.size()) - 1) > 0.05);
  request.radius_m = -1.0;
  EXPECT_THROW(log_map.compute(request, patch), InputError);
  request.radius_m = 0.02;
  request.centre.barycentric = Eigen::Vector3d(0.5, 0.5, 0.5);
  EXPECT_THROW(log_map.compute(request, patch), InputError);
  EXPECT_THROW((void)log_map.vertex_point(-1), InputError);
}

}  // namespace
}  // namespace headspa::geometry
