// Meshes with known geometry for the numerical geometry tests.
#pragma once

#include "headspa/geometry/mesh.hpp"

#include <cmath>
#include <map>
#include <numbers>
#include <utility>

namespace headspa::geometry::testing {

inline constexpr double kPi = std::numbers::pi;

// Icosphere of the given radius centred at the origin: an icosahedron subdivided `levels` times
// (10 * 4^levels + 2 vertices), outward-facing.
inline TriangleMesh icosphere(int levels, double radius = 1.0) {
  TriangleMesh m;
  const double t = (1.0 + std::sqrt(5.0)) / 2.0;
  const double base[12][3] = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                              {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                              {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
  for (const auto& p : base) m.vertices.push_back(Vec3(p[0], p[1], p[2]).normalized());
  m.faces = {{0, 11, 5},  {0, 5, 1},  {0, 1, 7},  {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4},
             {11, 10, 2}, {10, 7, 6}, {7, 1, 8},  {3, 9, 4},  {3, 4, 2},   {3, 2, 6}, {3, 6, 8},
             {3, 8, 9},   {4, 9, 5},  {2, 4, 11}, {6, 2, 10}, {8, 6, 7},   {9, 8, 1}};
  for (int level = 0; level < levels; ++level) {
    std::map<std::pair<int, int>, int> midpoint;
    auto mid = [&](int a, int b) {
      const auto key = std::minmax(a, b);
      const auto it = midpoint.find(key);
      if (it != midpoint.end()) return it->second;
      const Vec3 p =
          (m.vertices[static_cast<std::size_t>(a)] + m.vertices[static_cast<std::size_t>(b)])
              .normalized();
      m.vertices.push_back(p);
      const int id = static_cast<int>(m.vertices.size()) - 1;
      midpoint.emplace(key, id);
      return id;
    };
    std::vector<Face> next;
    next.reserve(m.faces.size() * 4);
    for (const Face& f : m.faces) {
      const int ab = mid(f[0], f[1]), bc = mid(f[1], f[2]), ca = mid(f[2], f[0]);
      next.push_back({f[0], ab, ca});
      next.push_back({f[1], bc, ab});
      next.push_back({f[2], ca, bc});
      next.push_back({ab, bc, ca});
    }
    m.faces = std::move(next);
  }
  for (Vec3& p : m.vertices) p *= radius;
  return m;
}

// A flat n x n grid of squares of side h in the z = 0 plane, each split along the same
// diagonal, centred at the origin, normals +z. Vertex (i, j) has index j * (n + 1) + i.
inline TriangleMesh flat_grid(int n, double h) {
  TriangleMesh m;
  const double half = 0.5 * n * h;
  for (int j = 0; j <= n; ++j) {
    for (int i = 0; i <= n; ++i) m.vertices.emplace_back(i * h - half, j * h - half, 0.0);
  }
  auto id = [n](int i, int j) { return j * (n + 1) + i; };
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      m.faces.push_back({id(i, j), id(i + 1, j), id(i + 1, j + 1)});
      m.faces.push_back({id(i, j), id(i + 1, j + 1), id(i, j + 1)});
    }
  }
  return m;
}

// The vertex closest to p (linear scan).
inline int nearest_vertex(const TriangleMesh& m, const Vec3& p) {
  int best = 0;
  double d = (m.vertices[0] - p).squaredNorm();
  for (int v = 1; v < static_cast<int>(m.vertices.size()); ++v) {
    const double dv = (m.vertices[static_cast<std::size_t>(v)] - p).squaredNorm();
    if (dv < d) {
      d = dv;
      best = v;
    }
  }
  return best;
}

}  // namespace headspa::geometry::testing
