#include "headspa/geometry/laplacian.hpp"

#include "headspa/geometry/surface_point.hpp"
#include "numerics_detail.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
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
  // Column by column from the faces around each vertex, written straight into compressed
  // storage. Each entry sums its terms in the order of the faces and their corners, the order
  // in which a triplet list of every face's four entries would sum them.
  const int n = static_cast<int>(mesh.vertices.size());
  const auto face_count = mesh.faces.size();
  // Half the cotangent at each corner; NaN where the face has no area (no contribution).
  std::vector<std::array<double, 3>> half_cot(face_count);
  for (std::size_t f = 0; f < face_count; ++f) {
    for (int k = 0; k < 3; ++k) {
      // The corner k is opposite the edge ((k + 1) % 3, (k + 2) % 3).
      const Vec3& p = detail::corner(mesh, static_cast<int>(f), k);
      const Vec3 u = detail::corner(mesh, static_cast<int>(f), (k + 1) % 3) - p;
      const Vec3 v = detail::corner(mesh, static_cast<int>(f), (k + 2) % 3) - p;
      const double twice_area = u.cross(v).norm();
      half_cot[f][static_cast<std::size_t>(k)] =
          twice_area > 0.0 ? 0.5 * u.dot(v) / twice_area : std::numeric_limits<double>::quiet_NaN();
    }
  }
  const detail::VertexFaces around = detail::vertex_faces(mesh);
  std::vector<int> outer(static_cast<std::size_t>(n) + 1, 0);
  std::vector<int> inner;
  std::vector<double> values;
  inner.reserve(7 * static_cast<std::size_t>(n));
  values.reserve(7 * static_cast<std::size_t>(n));
  std::vector<std::pair<int, double>> column;  // (row, term) in summation order
  for (int i = 0; i < n; ++i) {
    column.clear();
    int last_face = -1;
    for (int slot = around.offsets[static_cast<std::size_t>(i)];
         slot < around.offsets[static_cast<std::size_t>(i) + 1]; ++slot) {
      const int f = around.faces[static_cast<std::size_t>(slot)];
      if (f == last_face) continue;  // a face that names i twice is listed twice
      last_face = f;
      const Face& face = mesh.faces[static_cast<std::size_t>(f)];
      for (int k = 0; k < 3; ++k) {
        const double w = half_cot[static_cast<std::size_t>(f)][static_cast<std::size_t>(k)];
        if (std::isnan(w)) continue;
        const int a = face[static_cast<std::size_t>((k + 1) % 3)];
        const int b = face[static_cast<std::size_t>((k + 2) % 3)];
        // The terms (a, b, -w), (b, a, -w), (a, a, w), (b, b, w) that fall in column i.
        if (b == i) column.emplace_back(a, -w);
        if (a == i) column.emplace_back(b, -w);
        if (a == i) column.emplace_back(i, w);
        if (b == i) column.emplace_back(i, w);
      }
    }
    // Insertion sort by row: stable, and no allocation for a couple of dozen terms.
    for (std::size_t e = 1; e < column.size(); ++e) {
      const std::pair<int, double> term = column[e];
      std::size_t at = e;
      for (; at > 0 && column[at - 1].first > term.first; --at) column[at] = column[at - 1];
      column[at] = term;
    }
    for (std::size_t e = 0; e < column.size(); ++e) {
      if (e > 0 && column[e].first == column[e - 1].first) {
        values.back() += column[e].second;
      } else {
        inner.push_back(column[e].first);
        values.push_back(column[e].second);
      }
    }
    outer[static_cast<std::size_t>(i) + 1] = static_cast<int>(inner.size());
  }
  Eigen::SparseMatrix<double> laplacian(n, n);
  laplacian.resizeNonZeros(static_cast<Eigen::Index>(inner.size()));
  std::copy(outer.begin(), outer.end(), laplacian.outerIndexPtr());
  std::copy(inner.begin(), inner.end(), laplacian.innerIndexPtr());
  std::copy(values.begin(), values.end(), laplacian.valuePtr());
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
