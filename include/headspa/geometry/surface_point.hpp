// A point on a triangle mesh named by its face and barycentric coordinates.
#pragma once

#include "headspa/geometry/mesh.hpp"

#include <Eigen/Core>
#include <Eigen/Geometry>

namespace headspa::geometry {

// A point on the surface: face index and barycentric coordinates (b0, b1, b2) of the face's
// three corners, in the face's vertex order. The coordinates are >= 0 and sum to 1 for a point
// on the face; a vertex is a face corner with one coordinate equal to 1.
struct SurfacePoint {
  int face = -1;
  Eigen::Vector3d barycentric = Eigen::Vector3d(1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0);

  // True when face >= 0 and the coordinates are finite, >= -1e-9 and sum to 1 within 1e-9.
  bool IsValid() const;
};

// The position of a surface point (the barycentric combination of its face's corners), in the
// mesh's units. Precondition: point.face is a face of mesh.
Vec3 position(const TriangleMesh& mesh, const SurfacePoint& point);

// Interpolates a per-vertex scalar field at a surface point (linear on each face).
double interpolate(const TriangleMesh& mesh, const Eigen::VectorXd& field,
                   const SurfacePoint& point);

}  // namespace headspa::geometry
