#include "headspa/geometry/mesh.hpp"

#include <gtest/gtest.h>

namespace headspa::geometry {
namespace {

TriangleMesh unit_tetrahedron() {
  TriangleMesh m;
  m.vertices = {Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)};
  m.faces = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  return m;
}

TEST(Mesh, AreasNormalsAndBox) {
  const TriangleMesh m = unit_tetrahedron();
  EXPECT_NEAR(total_area(m), 1.5 + std::sqrt(3.0) / 2.0, 1e-12);
  const Box3 box = bounding_box(m);
  EXPECT_EQ(box.min, Vec3(0, 0, 0));
  EXPECT_EQ(box.max, Vec3(1, 1, 1));
  const auto fn = face_normals(m);
  EXPECT_NEAR((fn[0] - Vec3(0, 0, -1)).norm(), 0.0, 1e-12);  // outward
  const auto va = vertex_areas(m);
  double sum = 0;
  for (double a : va) sum += a;
  EXPECT_NEAR(sum, total_area(m), 1e-12);
  const auto vn = vertex_normals(m);
  EXPECT_NEAR(vn[3].norm(), 1.0, 1e-12);
  EXPECT_GT(vn[3].z(), 0.0);
}

TEST(Mesh, AdjacencyIsSymmetricAndSorted) {
  const VertexAdjacency adj = vertex_adjacency(unit_tetrahedron());
  ASSERT_EQ(adj.offsets.size(), 5u);
  for (int v = 0; v < 4; ++v) {
    EXPECT_EQ(
        adj.offsets[static_cast<std::size_t>(v) + 1] - adj.offsets[static_cast<std::size_t>(v)], 3);
  }
  EXPECT_EQ(adj.indices[0], 1);
  EXPECT_EQ(adj.indices[2], 3);
}

TEST(Mesh, TransformScalesRotatesAndMoves) {
  TriangleMesh m = unit_tetrahedron();
  Eigen::Matrix3d r = Eigen::AngleAxisd(M_PI / 2, Vec3::UnitZ()).toRotationMatrix();
  transform(m, r, 2.0, Vec3(1, 0, 0));
  EXPECT_NEAR((m.vertices[1] - Vec3(1, 2, 0)).norm(), 0.0, 1e-12);
  EXPECT_NEAR(mean_edge_length(m), 2.0 * (3 + 3 * std::sqrt(2.0)) / 6.0, 1e-12);
}

TEST(Mesh, ConvexHullPerimeterAndTapeLength) {
  // A square with an inner point and a repeated corner.
  EXPECT_NEAR(convex_hull_perimeter({{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0.5, 0.5}, {1, 1}}), 4.0,
              1e-12);
  EXPECT_EQ(convex_hull_perimeter({{0, 0}, {1, 0}}), 0.0);
  // The tetrahedron cut half-way up its z axis: a triangle with legs 0.5.
  EXPECT_NEAR(section_tape_length(unit_tetrahedron(), Vec3(0, 0, 0.5), Vec3(0, 0, 2)),
              1.0 + 0.5 * std::sqrt(2.0), 1e-12);
}

}  // namespace
}  // namespace headspa::geometry
