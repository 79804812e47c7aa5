// Private helpers shared by the numerical geometry sources (not part of the public API).
#pragma once

#include "headspa/geometry/mesh.hpp"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <array>
#include <vector>

namespace headspa::geometry::detail {

inline const Vec3& corner(const TriangleMesh& mesh, int face, int k) {
  return mesh.vertices[static_cast<std::size_t>(
      mesh.faces[static_cast<std::size_t>(face)][static_cast<std::size_t>(k)])];
}

// Faces incident to each vertex in compressed rows: faces of v are
// faces[offsets[v] .. offsets[v+1]), ascending.
struct VertexFaces {
  std::vector<int> offsets;
  std::vector<int> faces;
};
VertexFaces vertex_faces(const TriangleMesh& mesh);

// Interior angle of face f at its corner k (radians); 0 for a degenerate corner.
double corner_angle(const TriangleMesh& mesh, int face, int k);

// Angle-weighted unit vertex normals (Thuermer and Wuethrich); zero for an isolated vertex.
std::vector<Vec3> angle_weighted_normals(const TriangleMesh& mesh);

// Where on a triangle the closest point lies.
enum class TriangleFeature { kFace, kEdge01, kEdge12, kEdge20, kVertex0, kVertex1, kVertex2 };

struct ClosestOnTriangle {
  Vec3 point;
  Eigen::Vector3d barycentric;
  TriangleFeature feature = TriangleFeature::kFace;
};

// Closest point on triangle (a, b, c) to p, by Voronoi regions of the triangle's features.
ClosestOnTriangle closest_on_triangle(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c);

}  // namespace headspa::geometry::detail
