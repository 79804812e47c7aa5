#include "headspa/geometry/laplacian.hpp"

#include "headspa/geometry/surface_point.hpp"
#include "numerics_detail.hpp"

#include <cmath>
#include <vector>

namespace headspa::geometry {

bool SurfacePoint::IsValid() const {
  if (face < 0 || !barycentric.allFinite()) return false;
  if (barycentric.minCoeff() < -1e-9) return false;
  return std::abs(barycentric.sum() - 1.0) <= 1e-9;
}

Vec3 position(const TriangleMesh& mesh, const SurfacePoint& point) {
  return point.barycentric[0] * detail::corner(mesh, point.face, 0) +
         point.barycentric[1] * detail::corner(mesh, point.face, 1) +
         point.barycentric[2] * detail::corner(mesh, point.face, 2);
}

double interpolate(const TriangleMesh& mesh, const Eigen::VectorXd& field,
                   const SurfacePoint& point) {
  const Face& f = mesh.faces[static_cast<std::size_t>(point.face)];
  return point.barycentric[0] * field[f[0]] + point.barycentric[1] * field[f[1]] +
         point.barycentric[2] * field[f[2]];
}

Eigen::SparseMatrix<double> cotan_laplacian(const TriangleMesh& mesh) {
  const int n = static_cast<int>(mesh.vertices.size());
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(mesh.faces.size() * 12);
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const Face& face = mesh.faces[static_cast<std::size_t>(f)];
    for (int k = 0; k < 3; ++k) {
      // The corner k is opposite the edge (i, j).
      const Vec3& p = detail::corner(mesh, f, k);
      const Vec3 u = detail::corner(mesh, f, (k + 1) % 3) - p;
      const Vec3 v = detail::corner(mesh, f, (k + 2) % 3) - p;
      const double twice_area = u.cross(v).norm();
      if (!(twice_area > 0.0)) continue;
      const double w = 0.5 * u.dot(v) / twice_area;  // half the cotangent
      const int i = face[static_cast<std::size_t>((k + 1) % 3)];
      const int j = face[static_cast<std::size_t>((k + 2) % 3)];
      triplets.emplace_back(i, j, -w);
      triplets.emplace_back(j, i, -w);
      triplets.emplace_back(i, i, w);
      triplets.emplace_back(j, j, w);
    }
  }
  Eigen::SparseMatrix<double> laplacian(n, n);
  laplacian.setFromTriplets(triplets.begin(), triplets.end());
  laplacian.makeCompressed();
  return laplacian;
}

Eigen::VectorXd lumped_mass(const TriangleMesh& mesh) {
  Eigen::VectorXd mass = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(mesh.vertices.size()));
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const double third = face_area(mesh, f) / 3.0;
    for (int v : mesh.faces[static_cast<std::size_t>(f)]) mass[v] += third;
  }
  return mass;
}

}  // namespace headspa::geometry
