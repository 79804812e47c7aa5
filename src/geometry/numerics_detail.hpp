// Private helpers shared by the numerical geometry sources (not part of the public API).
#pragma once

#include "headspa/geometry/mesh.hpp"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

namespace headspa::geometry::detail {

// Memory released with std::free.
struct FreeMemory {
  void operator()(void* memory) const { std::free(memory); }
};
template <class T>
using FreeArray = std::unique_ptr<T[], FreeMemory>;

// Uninitialised room for `bytes` bytes (throws std::bad_alloc). With huge_pages, a buffer of at
// least 512 KB is rounded up to whole 2 MB pages, aligned to one and advised into them where the
// system allows it (Linux, transparent huge pages on "madvise" or "always"): the first write to
// each fresh 4 KB page costs a page fault, about 2 us on a virtual machine (1 ms for a factor of
// the Lee Perry-Smith scan), where a 2 MB page costs one fault and the kernel's zeroing.
void* allocate_bytes(std::size_t bytes, bool huge_pages);

template <class T>
FreeArray<T> allocate_array(std::size_t count, bool huge_pages) {
  return FreeArray<T>(static_cast<T*>(allocate_bytes(count * sizeof(T), huge_pages)));
}

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
