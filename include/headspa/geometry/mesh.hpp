// The triangle mesh every other part of headspa works on.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <array>
#include <cstdint>
#include <vector>

namespace headspa::geometry {

using Vec3 = Eigen::Vector3d;
using Face = std::array<int, 3>;  // vertex indices, counter-clockwise seen from outside

// An indexed triangle mesh. Positions are in metres once a head is imported; the raw loader
// keeps the file's units until normalisation.
struct TriangleMesh {
  std::vector<Vec3> vertices;
  std::vector<Face> faces;

  std::size_t vertex_count() const noexcept { return vertices.size(); }
  std::size_t face_count() const noexcept { return faces.size(); }
};

// Axis-aligned bounding box.
struct Box3 {
  Vec3 min = Vec3::Constant(0.0);
  Vec3 max = Vec3::Constant(0.0);
  Vec3 extent() const { return max - min; }
  Vec3 centre() const { return 0.5 * (min + max); }
};

Box3 bounding_box(const TriangleMesh& mesh);

// Unnormalised face normal (length = twice the area).
Vec3 face_area_vector(const TriangleMesh& mesh, int face);
double face_area(const TriangleMesh& mesh, int face);
double total_area(const TriangleMesh& mesh);

// Unit face normals; degenerate faces get a zero vector.
std::vector<Vec3> face_normals(const TriangleMesh& mesh);
// Area-weighted unit vertex normals; an isolated vertex gets a zero vector.
std::vector<Vec3> vertex_normals(const TriangleMesh& mesh);
// Barycentric (one third of each incident face) area per vertex.
std::vector<double> vertex_areas(const TriangleMesh& mesh);

// Mean edge length (0 for an empty mesh).
double mean_edge_length(const TriangleMesh& mesh);

// Applies p -> scale * R p + t to every vertex.
void transform(TriangleMesh& mesh, const Eigen::Matrix3d& rotation, double scale,
               const Vec3& translation);

// Perimeter of the convex hull of 2-D points (0 for fewer than three).
double convex_hull_perimeter(std::vector<Eigen::Vector2d> points);

// What a tape measure around the mesh reads in a plane: the convex-hull perimeter of the points
// where the plane (through `point`, with normal `normal`) cuts the mesh's edges.
double section_tape_length(const TriangleMesh& mesh, const Vec3& point, const Vec3& normal);

// Vertex-to-vertex adjacency in compressed rows: neighbours of v are
// indices[offsets[v] .. offsets[v+1]), sorted ascending.
struct VertexAdjacency {
  std::vector<int> offsets;
  std::vector<int> indices;
};
VertexAdjacency vertex_adjacency(const TriangleMesh& mesh);

}  // namespace headspa::geometry
