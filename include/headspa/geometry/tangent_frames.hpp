// Tangent frames on a triangle mesh: a unit normal and a right-handed orthonormal tangent basis
// at each vertex (or at any surface point), oriented consistently over the surface.
//
// The normal is the angle-weighted vertex normal (Thuermer and Wuethrich), the interpolated and
// renormalised vertex normal at a point inside a face. The first tangent axis is the projection
// of a global reference direction onto the tangent plane, so neighbouring frames agree (the basis
// varies smoothly with the normal) and a technique drawn in one frame means the same on both
// sides of the head. Where the normal is nearly parallel to the reference direction (the sine of
// the angle between them below fallback_sine) the fallback direction is used instead; no smooth
// tangent field exists on a closed surface, so a choice of switch point is unavoidable. With the
// head frame (+Y up, +Z forward) the defaults give "up the surface" as the first axis and switch
// to "forward" only around the crown.
//
// Example:
//   const std::vector<TangentFrame> frames = vertex_tangent_frames(mesh);
//   const Vec3 stroke = frames[v].to_world({0.0, 0.01});  // 1 cm along the second axis
#pragma once

#include "headspa/geometry/mesh.hpp"
#include "headspa/geometry/surface_point.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace headspa::geometry {

// An orthonormal right-handed frame: tangent x bitangent = normal.
struct TangentFrame {
  Vec3 normal = Vec3::UnitZ();
  Vec3 tangent = Vec3::UnitX();    // first tangent axis (local x)
  Vec3 bitangent = Vec3::UnitY();  // second tangent axis (local y)

  // Components of v along (tangent, bitangent); the normal part is dropped.
  Eigen::Vector2d to_local(const Vec3& v) const { return {v.dot(tangent), v.dot(bitangent)}; }
  // The tangent vector with local components uv.
  Vec3 to_world(const Eigen::Vector2d& uv) const { return uv.x() * tangent + uv.y() * bitangent; }
};

// How the first tangent axis is chosen (see the file comment).
struct TangentFrameOptions {
  Vec3 reference_direction = Vec3::UnitY();  // need not be unit length
  Vec3 fallback_direction = Vec3::UnitZ();   // must not be parallel to reference_direction
  double fallback_sine = 0.25;               // in (0, 1)

  // False (with the reason in *why when why is not null) when a field is out of range.
  bool IsValid(std::string* why) const;
};

// The frame with the given unit normal whose tangent is the projection of the option's reference
// direction (or its fallback). A zero normal gives the default frame.
TangentFrame frame_from_normal(const Vec3& normal, const TangentFrameOptions& options = {});

// One frame per vertex (isolated vertices get the default frame). Throws InputError when the
// options are invalid.
std::vector<TangentFrame> vertex_tangent_frames(const TriangleMesh& mesh,
                                                const TangentFrameOptions& options = {});

// The frame at a surface point from precomputed angle-weighted vertex normals (one per vertex):
// the barycentric blend of the corner normals, renormalised.
TangentFrame tangent_frame_at(const TriangleMesh& mesh, const std::vector<Vec3>& vertex_normals,
                              const SurfacePoint& point, const TangentFrameOptions& options = {});

// Angle-weighted unit vertex normals (zero for an isolated vertex).
std::vector<Vec3> angle_weighted_vertex_normals(const TriangleMesh& mesh);

}  // namespace headspa::geometry
