#include "numerics_detail.hpp"

#include <cmath>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace headspa::geometry::detail {

void* allocate_bytes(std::size_t bytes, bool huge_pages) {
  void* memory = nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  if (huge_pages && bytes >= kHugePage / 4) {
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    if (posix_memalign(&memory, kHugePage, rounded) == 0) {
      madvise(memory, rounded, MADV_HUGEPAGE);  // only advice: without it, 4 KB pages
      return memory;
    }
  }
#else
  (void)huge_pages;
#endif
  memory = std::malloc(bytes > 0 ? bytes : 1);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

VertexFaces vertex_faces(const TriangleMesh& mesh) {
  VertexFaces out;
  const std::size_t n = mesh.vertices.size();
  out.offsets.assign(n + 1, 0);
  for (const Face& f : mesh.faces) {
    for (int v : f) ++out.offsets[static_cast<std::size_t>(v) + 1];
  }
  for (std::size_t v = 0; v < n; ++v) out.offsets[v + 1] += out.offsets[v];
  out.faces.resize(static_cast<std::size_t>(out.offsets[n]));
  std::vector<int> fill(out.offsets.begin(), out.offsets.end() - 1);
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    for (int v : mesh.faces[static_cast<std::size_t>(f)]) {
      out.faces[static_cast<std::size_t>(fill[static_cast<std::size_t>(v)]++)] = f;
    }
  }
  return out;
}

double corner_angle(const TriangleMesh& mesh, int face, int k) {
  const Vec3& p = corner(mesh, face, k);
  const Vec3 u = corner(mesh, face, (k + 1) % 3) - p;
  const Vec3 v = corner(mesh, face, (k + 2) % 3) - p;
  const double s = u.cross(v).norm();
  const double c = u.dot(v);
  if (s == 0.0 && c == 0.0) return 0.0;
  return std::atan2(s, c);
}

std::vector<Vec3> angle_weighted_normals(const TriangleMesh& mesh) {
  std::vector<Vec3> normals(mesh.vertices.size(), Vec3::Zero());
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const Vec3 n =
        (corner(mesh, f, 1) - corner(mesh, f, 0)).cross(corner(mesh, f, 2) - corner(mesh, f, 0));
    const double len = n.norm();
    if (len == 0.0) continue;
    for (int k = 0; k < 3; ++k) {
      const int v = mesh.faces[static_cast<std::size_t>(f)][static_cast<std::size_t>(k)];
      normals[static_cast<std::size_t>(v)] += corner_angle(mesh, f, k) * (n / len);
    }
  }
  for (Vec3& n : normals) {
    const double len = n.norm();
    n = len > 0.0 ? Vec3(n / len) : Vec3(Vec3::Zero());
  }
  return normals;
}

ClosestOnTriangle closest_on_triangle(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c) {
  // Voronoi-region walk: vertex regions, then edge regions, then the face interior.
  const Vec3 ab = b - a;
  const Vec3 ac = c - a;
  const Vec3 ap = p - a;
  const double d1 = ab.dot(ap);
  const double d2 = ac.dot(ap);
  if (d1 <= 0.0 && d2 <= 0.0) return {a, {1, 0, 0}, TriangleFeature::kVertex0};

  const Vec3 bp = p - b;
  const double d3 = ab.dot(bp);
  const double d4 = ac.dot(bp);
  if (d3 >= 0.0 && d4 <= d3) return {b, {0, 1, 0}, TriangleFeature::kVertex1};

  const double vc = d1 * d4 - d3 * d2;
  if (vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0) {
    const double t = d1 / (d1 - d3);
    return {a + t * ab, {1.0 - t, t, 0.0}, TriangleFeature::kEdge01};
  }

  const Vec3 cp = p - c;
  const double d5 = ab.dot(cp);
  const double d6 = ac.dot(cp);
  if (d6 >= 0.0 && d5 <= d6) return {c, {0, 0, 1}, TriangleFeature::kVertex2};

  const double vb = d5 * d2 - d1 * d6;
  if (vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0) {
    const double t = d2 / (d2 - d6);
    return {a + t * ac, {1.0 - t, 0.0, t}, TriangleFeature::kEdge20};
  }

  const double va = d3 * d6 - d5 * d4;
  if (va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0) {
    const double t = (d4 - d3) / ((d4 - d3) + (d5 - d6));
    return {b + t * (c - b), {0.0, 1.0 - t, t}, TriangleFeature::kEdge12};
  }

  const double denom = va + vb + vc;
  if (!(denom > 0.0)) {
    // Degenerate triangle: fall back to the nearest corner.
    const double da = ap.squaredNorm(), db = bp.squaredNorm(), dc = cp.squaredNorm();
    if (da <= db && da <= dc) return {a, {1, 0, 0}, TriangleFeature::kVertex0};
    if (db <= dc) return {b, {0, 1, 0}, TriangleFeature::kVertex1};
    return {c, {0, 0, 1}, TriangleFeature::kVertex2};
  }
  const double v = vb / denom;
  const double w = vc / denom;
  return {a + v * ab + w * ac, {1.0 - v - w, v, w}, TriangleFeature::kFace};
}

}  // namespace headspa::geometry::detail
