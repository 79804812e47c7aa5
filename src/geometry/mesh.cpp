#include "headspa/geometry/mesh.hpp"

#include <algorithm>
#include <limits>

namespace headspa::geometry {

Box3 bounding_box(const TriangleMesh& mesh) {
  Box3 box;
  if (mesh.vertices.empty()) return box;
  box.min = Vec3::Constant(std::numeric_limits<double>::infinity());
  box.max = -box.min;
  for (const Vec3& p : mesh.vertices) {
    box.min = box.min.cwiseMin(p);
    box.max = box.max.cwiseMax(p);
  }
  return box;
}

Vec3 face_area_vector(const TriangleMesh& mesh, int face) {
  const Face& f = mesh.faces[static_cast<std::size_t>(face)];
  const Vec3& a = mesh.vertices[static_cast<std::size_t>(f[0])];
  const Vec3& b = mesh.vertices[static_cast<std::size_t>(f[1])];
  const Vec3& c = mesh.vertices[static_cast<std::size_t>(f[2])];
  return (b - a).cross(c - a);
}

double face_area(const TriangleMesh& mesh, int face) {
  return 0.5 * face_area_vector(mesh, face).norm();
}

double total_area(const TriangleMesh& mesh) {
  double sum = 0.0;
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) sum += face_area(mesh, f);
  return sum;
}

std::vector<Vec3> face_normals(const TriangleMesh& mesh) {
  std::vector<Vec3> normals(mesh.faces.size(), Vec3::Zero());
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const Vec3 n = face_area_vector(mesh, f);
    const double len = n.norm();
    if (len > 0.0) normals[static_cast<std::size_t>(f)] = n / len;
  }
  return normals;
}

std::vector<Vec3> vertex_normals(const TriangleMesh& mesh) {
  std::vector<Vec3> normals(mesh.vertices.size(), Vec3::Zero());
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const Vec3 n = face_area_vector(mesh, f);
    for (int v : mesh.faces[static_cast<std::size_t>(f)]) normals[static_cast<std::size_t>(v)] += n;
  }
  for (Vec3& n : normals) {
    const double len = n.norm();
    n = len > 0.0 ? Vec3(n / len) : Vec3(Vec3::Zero());
  }
  return normals;
}

std::vector<double> vertex_areas(const TriangleMesh& mesh) {
  std::vector<double> areas(mesh.vertices.size(), 0.0);
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const double a = face_area(mesh, f) / 3.0;
    for (int v : mesh.faces[static_cast<std::size_t>(f)]) areas[static_cast<std::size_t>(v)] += a;
  }
  return areas;
}

double mean_edge_length(const TriangleMesh& mesh) {
  if (mesh.faces.empty()) return 0.0;
  double sum = 0.0;
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) {
      sum += (mesh.vertices[static_cast<std::size_t>(f[k])] -
              mesh.vertices[static_cast<std::size_t>(f[(k + 1) % 3])])
                 .norm();
    }
  }
  return sum / (3.0 * static_cast<double>(mesh.faces.size()));
}

void transform(TriangleMesh& mesh, const Eigen::Matrix3d& rotation, double scale,
               const Vec3& translation) {
  for (Vec3& p : mesh.vertices) p = scale * (rotation * p) + translation;
}

double convex_hull_perimeter(std::vector<Eigen::Vector2d> points) {
  if (points.size() < 3) return 0.0;
  std::sort(points.begin(), points.end(), [](const Eigen::Vector2d& a, const Eigen::Vector2d& b) {
    return a.x() < b.x() || (a.x() == b.x() && a.y() < b.y());
  });
  const auto cross = [](const Eigen::Vector2d& o, const Eigen::Vector2d& a,
                        const Eigen::Vector2d& b) {
    return (a - o).x() * (b - o).y() - (a - o).y() * (b - o).x();
  };
  // Andrew's monotone chain: lower hull, then upper hull.
  std::vector<Eigen::Vector2d> hull(2 * points.size());
  std::size_t k = 0;
  for (const Eigen::Vector2d& p : points) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
    hull[k++] = p;
  }
  for (std::size_t i = points.size() - 1, lower = k + 1; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  double perimeter = 0.0;
  for (std::size_t i = 0; i + 1 < k; ++i) perimeter += (hull[i + 1] - hull[i]).norm();
  return perimeter;
}

double section_tape_length(const TriangleMesh& mesh, const Vec3& point, const Vec3& normal) {
  const Vec3 n = normal.normalized();
  const Vec3 e1 = n.unitOrthogonal();
  const Vec3 e2 = n.cross(e1);
  std::vector<Eigen::Vector2d> cuts;
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) {
      const Vec3& a = mesh.vertices[static_cast<std::size_t>(f[static_cast<std::size_t>(k)])];
      const Vec3& b =
          mesh.vertices[static_cast<std::size_t>(f[static_cast<std::size_t>((k + 1) % 3)])];
      const double da = n.dot(a - point);
      const double db = n.dot(b - point);
      if ((da < 0.0) == (db < 0.0)) continue;
      const Vec3 q = a + (da / (da - db)) * (b - a) - point;
      cuts.emplace_back(q.dot(e1), q.dot(e2));
    }
  }
  return convex_hull_perimeter(std::move(cuts));
}

VertexAdjacency vertex_adjacency(const TriangleMesh& mesh) {
  // Every directed edge of every face, bucketed by its first vertex (a counting sort), then each
  // vertex's few neighbours sorted and deduplicated: the sorted, unique pairs without sorting
  // them all.
  const std::size_t n = mesh.vertices.size();
  std::vector<int> start(n + 1, 0);
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k) {
      ++start[static_cast<std::size_t>(f[k]) + 1];
      ++start[static_cast<std::size_t>(f[(k + 1) % 3]) + 1];
    }
  }
  for (std::size_t v = 0; v < n; ++v) start[v + 1] += start[v];
  std::vector<int> ends(static_cast<std::size_t>(start[n]));
  {
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (const Face& f : mesh.faces) {
      for (int k = 0; k < 3; ++k) {
        const int a = f[k];
        const int b = f[(k + 1) % 3];
        ends[static_cast<std::size_t>(fill[static_cast<std::size_t>(a)]++)] = b;
        ends[static_cast<std::size_t>(fill[static_cast<std::size_t>(b)]++)] = a;
      }
    }
  }
  VertexAdjacency adj;
  adj.offsets.assign(n + 1, 0);
  adj.indices.reserve(ends.size() / 2 + n);
  for (std::size_t v = 0; v < n; ++v) {
    const auto begin = ends.begin() + start[v];
    const auto end = ends.begin() + start[v + 1];
    std::sort(begin, end);
    adj.indices.insert(adj.indices.end(), begin, std::unique(begin, end));
    adj.offsets[v + 1] = static_cast<int>(adj.indices.size());
  }
  return adj;
}

}  // namespace headspa::geometry
