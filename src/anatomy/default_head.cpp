#include "headspa/anatomy/default_head.hpp"

#include "anatomy/default_head_shape.hpp"
#include "headspa/core/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace headspa::anatomy {
namespace {

using detail::HeadShape;
using detail::Vec3;

// ANSUR II (2012, US Army anthropometric survey; US public domain), 5th / 50th / 95th
// percentiles in mm, women then men.
struct DimensionRow {
  double head_length, head_breadth, head_circumference, tragion_to_top, face_length, bizygomatic,
      ear_length, ear_breadth, ear_protrusion, neck_circumference, neck_base_circumference,
      interpupillary;
};
constexpr DimensionRow kAnsur[2][3] = {
    {
        {178, 140, 532, 116, 104, 125, 53, 29, 16, 302, 340, 55.5},
        {190, 147, 560, 127, 113, 134, 60, 33, 20, 328, 370, 62.0},
        {202, 156, 597, 137, 123, 143, 66, 38, 25, 363, 405, 67.5},
    },
    {
        {188, 146, 548, 121, 112, 133, 57, 31, 19, 360, 395, 58.5},
        {200, 154, 574, 131, 123, 143, 64, 36, 23, 395, 433, 64.0},
        {211, 163, 601, 141, 134, 153, 72, 41, 28, 443, 479, 70.0},
    },
};

int percentile_index(int percentile) {
  switch (percentile) {
    case 5:
      return 0;
    case 50:
      return 1;
    case 95:
      return 2;
    default:
      return -1;
  }
}

// ---- The parameter sphere: a cube grid projected onto the unit sphere. ----

struct SphereGrid {
  int n = 0;                                // cells per cube edge
  std::vector<Vec3> dirs;                   // unit directions
  std::vector<std::array<int, 3>> lattice;  // cube lattice coordinates (i, j, k) in [0, n]
  std::vector<geometry::Face> faces;
  std::vector<int> mirror;  // vertex of the mirror image (x -> -x)
};

// Index of boundary lattice point (i, j, k) of a cube with n cells per edge, in (i, j, k)
// order; i is the x layer. The end layers are full squares, the others rings of 4n points.
int lattice_index(int n, int i, int j, int k) {
  const int cap = (n + 1) * (n + 1);
  if (i == 0) return j * (n + 1) + k;
  if (i == n) return cap + (n - 1) * 4 * n + j * (n + 1) + k;
  int ring = 0;
  if (j == 0) {
    ring = k;
  } else if (j == n) {
    ring = (n + 1) + 2 * (n - 1) + k;
  } else {
    ring = (n + 1) + 2 * (j - 1) + (k == n ? 1 : 0);
  }
  return cap + (i - 1) * 4 * n + ring;
}

// Cube lattice with n cells per edge (n even). Equiangular spacing evens out the cells.
SphereGrid make_sphere_grid(int n) {
  std::vector<double> coord(static_cast<std::size_t>(n) + 1);
  for (int i = 0; i <= n / 2; ++i) {
    const double a = i == 0 ? -1.0 : std::tan(0.25 * std::numbers::pi * (2.0 * i / n - 1.0));
    coord[static_cast<std::size_t>(i)] = a;
    coord[static_cast<std::size_t>(n - i)] = -a;
  }
  coord[static_cast<std::size_t>(n / 2)] = 0.0;

  const auto id = [n](int i, int j, int k) { return lattice_index(n, i, j, k); };
  const int cap = (n + 1) * (n + 1);

  SphereGrid g;
  g.n = n;
  const int count = 2 * cap + (n - 1) * 4 * n;
  g.dirs.resize(static_cast<std::size_t>(count));
  g.lattice.resize(static_cast<std::size_t>(count));
  g.mirror.resize(static_cast<std::size_t>(count));
  for (int i = 0; i <= n; ++i) {
    for (int j = 0; j <= n; ++j) {
      for (int k = 0; k <= n; ++k) {
        const bool boundary = i == 0 || i == n || j == 0 || j == n || k == 0 || k == n;
        if (!boundary) {
          k = n - 1;  // inside the cube: jump to the far face of this row
          continue;
        }
        const auto v = static_cast<std::size_t>(id(i, j, k));
        g.dirs[v] = Vec3(coord[static_cast<std::size_t>(i)], coord[static_cast<std::size_t>(j)],
                         coord[static_cast<std::size_t>(k)])
                        .normalized();
        g.mirror[v] = id(n - i, j, k);
        g.lattice[v] = {i, j, k};
      }
    }
  }

  // Two triangles per cell; diagonals point away from each face's centre (a "union jack"),
  // which keeps the pattern mirror symmetric and the cube corners well shaped.
  g.faces.reserve(static_cast<std::size_t>(12 * n * n));
  for (int axis = 0; axis < 3; ++axis) {
    for (int side : {0, n}) {
      const auto lattice = [&](int p, int q) {
        int c[3];
        c[axis] = side;
        c[(axis + 1) % 3] = p;
        c[(axis + 2) % 3] = q;
        return id(c[0], c[1], c[2]);
      };
      for (int p = 0; p < n; ++p) {
        for (int q = 0; q < n; ++q) {
          const int a = lattice(p, q), b = lattice(p + 1, q), c = lattice(p + 1, q + 1),
                    d = lattice(p, q + 1);
          const bool main_diagonal = (2 * p + 1 < n) == (2 * q + 1 < n);
          geometry::Face t1 = main_diagonal ? geometry::Face{a, b, c} : geometry::Face{a, b, d};
          geometry::Face t2 = main_diagonal ? geometry::Face{a, c, d} : geometry::Face{b, c, d};
          for (geometry::Face t : {t1, t2}) {
            const Vec3& u0 = g.dirs[static_cast<std::size_t>(t[0])];
            const Vec3& u1 = g.dirs[static_cast<std::size_t>(t[1])];
            const Vec3& u2 = g.dirs[static_cast<std::size_t>(t[2])];
            if (u0.dot(u1.cross(u2)) < 0.0) std::swap(t[1], t[2]);
            g.faces.push_back(t);
          }
        }
      }
    }
  }
  return g;
}

// ---- Shaping the parameter sphere so that the head's surface is sampled evenly. ----

// Makes directions exactly mirror symmetric: u[m(v)] = mirror of u[v].
void symmetrize(std::vector<Vec3>& dirs, const std::vector<int>& mirror) {
  for (std::size_t v = 0; v < dirs.size(); ++v) {
    const auto m = static_cast<std::size_t>(mirror[v]);
    if (m == v) {
      dirs[v].x() = 0.0;
      dirs[v].normalize();
    } else if (v < m) {
      Vec3 s(0.5 * (dirs[v].x() - dirs[m].x()), 0.5 * (dirs[v].y() + dirs[m].y()),
             0.5 * (dirs[v].z() + dirs[m].z()));
      s.normalize();
      dirs[v] = s;
      dirs[m] = Vec3(-s.x(), s.y(), s.z());
    }
  }
}

// Remaps the polar angle about `axis` so that equal areas of the sphere carry equal areas of
// the head: the neck, seen edge-on from the origin, gets its share of vertices.
void equalize_polar_area(const HeadShape& shape, const Vec3& axis, std::vector<Vec3>& dirs) {
  constexpr int kBins = 256, kAround = 64;
  const Vec3 e1(1.0, 0.0, 0.0);
  const Vec3 e2 = axis.cross(e1).normalized();
  const auto dir = [&](double theta, double psi) {
    return Vec3(std::cos(theta) * axis +
                std::sin(theta) * (std::cos(psi) * e1 + std::sin(psi) * e2));
  };
  std::vector<Vec3> ring(kAround), next(kAround);
  const double dpsi = 2.0 * std::numbers::pi / kAround;
  for (int j = 0; j < kAround; ++j) ring[static_cast<std::size_t>(j)] = shape.surface_point(axis);
  std::vector<double> cdf(kBins + 1, 0.0);
  for (int i = 1; i <= kBins; ++i) {
    const double theta = std::numbers::pi * i / kBins;
    for (int j = 0; j < kAround; ++j) {
      next[static_cast<std::size_t>(j)] = shape.surface_point(dir(theta, j * dpsi));
    }
    double area = 0.0;
    for (int j = 0; j < kAround; ++j) {
      const auto j1 = static_cast<std::size_t>((j + 1) % kAround);
      const auto j0 = static_cast<std::size_t>(j);
      area += 0.5 * (next[j0] - ring[j0]).cross(next[j1] - ring[j0]).norm();
      area += 0.5 * (ring[j1] - ring[j0]).cross(next[j1] - ring[j0]).norm();
    }
    cdf[static_cast<std::size_t>(i)] = cdf[static_cast<std::size_t>(i - 1)] + area;
    std::swap(ring, next);
  }
  for (double& c : cdf) c /= cdf.back();
  for (Vec3& u : dirs) {
    const double c = std::clamp(u.dot(axis), -1.0, 1.0);
    const Vec3 side = u - c * axis;
    const double side_len = side.norm();
    if (side_len < 1e-12) continue;
    const double target = 0.5 * (1.0 - c);  // sphere area fraction within this polar angle
    const auto it = std::lower_bound(cdf.begin(), cdf.end(), target);
    const auto i = static_cast<int>(std::clamp<std::ptrdiff_t>(it - cdf.begin(), 1, kBins));
    const double c0 = cdf[static_cast<std::size_t>(i - 1)], c1 = cdf[static_cast<std::size_t>(i)];
    const double f = c1 > c0 ? (target - c0) / (c1 - c0) : 0.0;
    const double theta = std::numbers::pi * (i - 1 + f) / kBins;
    u = std::cos(theta) * axis + std::sin(theta) * side / side_len;
  }
}

bool all_positive(const std::vector<geometry::Face>& faces, const std::vector<Vec3>& dirs,
                  std::vector<int>* bad) {
  bad->clear();
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const auto& t = faces[f];
    const Vec3& a = dirs[static_cast<std::size_t>(t[0])];
    const Vec3& b = dirs[static_cast<std::size_t>(t[1])];
    const Vec3& c = dirs[static_cast<std::size_t>(t[2])];
    if (a.dot(b.cross(c)) <= 1e-14) bad->push_back(static_cast<int>(f));
  }
  return bad->empty();
}

// Tangential smoothing on the head's surface: each free vertex moves towards the centroid of
// its neighbours within its tangent plane, then back onto the surface along its new direction.
// Moves that would fold a triangle over in the parameter sphere are undone.
void relax(const HeadShape& shape, const SphereGrid& grid, const geometry::VertexAdjacency& adj,
           const std::vector<char>& pinned, int iterations, std::vector<Vec3>& dirs,
           std::vector<Vec3>& points) {
  const std::size_t n = dirs.size();
  std::vector<Vec3> normals(n), proposed(n);
  std::vector<int> bad;
  for (int it = 0; it < iterations; ++it) {
    std::fill(normals.begin(), normals.end(), Vec3::Zero());
    for (const auto& t : grid.faces) {
      const Vec3 a =
          (points[static_cast<std::size_t>(t[1])] - points[static_cast<std::size_t>(t[0])])
              .cross(points[static_cast<std::size_t>(t[2])] -
                     points[static_cast<std::size_t>(t[0])]);
      for (int v : t) normals[static_cast<std::size_t>(v)] += a;
    }
    for (std::size_t v = 0; v < n; ++v) {
      proposed[v] = dirs[v];
      if (pinned[v]) continue;
      Vec3 centroid = Vec3::Zero();
      const int b = adj.offsets[v], e = adj.offsets[v + 1];
      for (int k = b; k < e; ++k)
        centroid += points[static_cast<std::size_t>(adj.indices[static_cast<std::size_t>(k)])];
      centroid /= static_cast<double>(e - b);
      const Vec3 nrm = normals[v].normalized();
      Vec3 step = 0.6 * (centroid - points[v]);
      step -= step.dot(nrm) * nrm;
      proposed[v] = (points[v] + step).normalized();
    }
    symmetrize(proposed, grid.mirror);
    // Undo moves around any triangle that would turn over, until none does.
    for (int guard = 0; guard < 20 && !all_positive(grid.faces, proposed, &bad); ++guard) {
      for (int f : bad) {
        for (int v : grid.faces[static_cast<std::size_t>(f)]) {
          const auto u = static_cast<std::size_t>(v);
          proposed[u] = dirs[u];
          proposed[static_cast<std::size_t>(grid.mirror[u])] =
              dirs[static_cast<std::size_t>(grid.mirror[u])];
        }
      }
    }
    if (!bad.empty()) return;  // keep the last valid state
    for (std::size_t v = 0; v < n; ++v) {
      if (proposed[v] == dirs[v]) continue;
      dirs[v] = proposed[v];
      points[v] = shape.surface_point(dirs[v]);
    }
  }
}

// Carries a relaxed coarse grid's directions over to a finer grid of the same cube: each fine
// lattice point takes the bilinear blend of the coarse cell it falls in. False (and dirs
// untouched) if that would turn a triangle over.
bool transfer(const SphereGrid& coarse, const std::vector<Vec3>& coarse_dirs, SphereGrid& fine) {
  const int nc = coarse.n, nf = fine.n;
  std::vector<Vec3> dirs(fine.dirs.size());
  for (std::size_t v = 0; v < fine.dirs.size(); ++v) {
    const std::array<int, 3>& c = fine.lattice[v];
    // The face this point lies on (any, where it lies on an edge) and its two in-face axes.
    int axis = 0;
    while (c[static_cast<std::size_t>(axis)] != 0 && c[static_cast<std::size_t>(axis)] != nf)
      ++axis;
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    std::array<int, 3> base{};
    base[static_cast<std::size_t>(axis)] = c[static_cast<std::size_t>(axis)] == 0 ? 0 : nc;
    double w[2] = {0.0, 0.0};
    int lo[2] = {0, 0};
    for (int d = 0; d < 2; ++d) {
      const int axis_d = d == 0 ? a1 : a2;
      const double x = static_cast<double>(c[static_cast<std::size_t>(axis_d)]) * nc / nf;
      lo[d] = std::min(static_cast<int>(x), nc - 1);
      w[d] = x - lo[d];
    }
    Vec3 sum = Vec3::Zero();
    for (int da = 0; da < 2; ++da) {
      for (int db = 0; db < 2; ++db) {
        std::array<int, 3> q = base;
        q[static_cast<std::size_t>(a1)] = lo[0] + da;
        q[static_cast<std::size_t>(a2)] = lo[1] + db;
        const double weight = (da ? w[0] : 1.0 - w[0]) * (db ? w[1] : 1.0 - w[1]);
        sum += weight * coarse_dirs[static_cast<std::size_t>(lattice_index(nc, q[0], q[1], q[2]))];
      }
    }
    dirs[v] = sum.normalized();
  }
  symmetrize(dirs, fine.mirror);
  std::vector<int> bad;
  if (!all_positive(fine.faces, dirs, &bad)) return false;
  fine.dirs = std::move(dirs);
  return true;
}

}  // namespace

bool DefaultHeadOptions::IsValid(std::string* why) const {
  const auto fail = [why](const std::string& reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (sex != Sex::kFemale && sex != Sex::kMale) return fail("sex must be female or male");
  if (percentile_index(percentile) < 0) {
    return fail("percentile must be 5, 50 or 95, got " + std::to_string(percentile));
  }
  if (target_vertices < 2000 || target_vertices > 500000) {
    return fail("target_vertices must be between 2000 and 500000, got " +
                std::to_string(target_vertices));
  }
  return true;
}

HeadDimensions default_head_dimensions(Sex sex, int percentile) {
  const int p = percentile_index(percentile);
  if (p < 0) {
    throw InputError(InputLocation{"", 0, 0, "percentile"},
                     "must be 5, 50 or 95, got " + std::to_string(percentile));
  }
  const DimensionRow& r = kAnsur[sex == Sex::kMale ? 1 : 0][p];
  constexpr double mm = 0.001;
  HeadDimensions d;
  d.head_length_m = r.head_length * mm;
  d.head_breadth_m = r.head_breadth * mm;
  d.head_circumference_m = r.head_circumference * mm;
  d.tragion_to_top_m = r.tragion_to_top * mm;
  d.face_length_m = r.face_length * mm;
  d.bizygomatic_breadth_m = r.bizygomatic * mm;
  d.neck_circumference_m = r.neck_circumference * mm;
  d.neck_base_circumference_m = r.neck_base_circumference * mm;
  d.ear_length_m = r.ear_length * mm;
  d.ear_breadth_m = r.ear_breadth * mm;
  d.ear_protrusion_m = r.ear_protrusion * mm;
  d.interpupillary_m = r.interpupillary * mm;
  return d;
}

DefaultHead make_default_head(const DefaultHeadOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError(InputLocation{"", 0, 0, "default_head"}, why);

  DefaultHead head;
  head.dimensions = default_head_dimensions(options.sex, options.percentile);
  const HeadShape shape(head.dimensions, options.sex);

  // A cube grid with 6 n^2 + 2 vertices, n even for an exactly mirrored pattern.
  int n = 2 * static_cast<int>(std::lround(0.5 * std::sqrt((options.target_vertices - 2) / 6.0)));
  n = std::max(n, 4);
  SphereGrid grid = make_sphere_grid(n);
  std::vector<Vec3>& dirs = grid.dirs;
  std::vector<Vec3> points(dirs.size());
  const detail::HeadBlocks& k = shape.blocks();
  const Vec3 neck_axis = Vec3(0.0, k.base_y, k.base_z).normalized();

  // Even out the sampling: globally along the neck axis, then by smoothing on the surface.
  // Smoothing spreads slowly on fine grids, so it runs on a coarse grid whose result is
  // carried over to the fine one and polished there.
  constexpr int kCoarseCells = 32;
  std::vector<char> pinned;
  const auto smooth = [&](SphereGrid& g, std::vector<Vec3>& pts, int iterations) {
    equalize_polar_area(shape, neck_axis, g.dirs);
    symmetrize(g.dirs, g.mirror);
    pts.resize(g.dirs.size());
    for (std::size_t v = 0; v < g.dirs.size(); ++v) pts[v] = shape.surface_point(g.dirs[v]);
    geometry::TriangleMesh topo;
    topo.vertices.resize(g.dirs.size());
    topo.faces = g.faces;
    pinned.assign(g.dirs.size(), 0);
    relax(shape, g, geometry::vertex_adjacency(topo), pinned, iterations, g.dirs, pts);
  };
  bool coarse_done = false;
  if (n > kCoarseCells) {
    SphereGrid coarse = make_sphere_grid(kCoarseCells);
    std::vector<Vec3> coarse_points;
    smooth(coarse, coarse_points, 30);
    coarse_done = transfer(coarse, coarse.dirs, grid);
  }
  geometry::TriangleMesh topology;
  topology.vertices.resize(dirs.size());
  topology.faces = grid.faces;
  const geometry::VertexAdjacency adj = geometry::vertex_adjacency(topology);
  if (coarse_done) {
    for (std::size_t v = 0; v < dirs.size(); ++v) points[v] = shape.surface_point(dirs[v]);
    pinned.assign(dirs.size(), 0);
    relax(shape, grid, adj, pinned, 2, dirs, points);
  } else {
    smooth(grid, points, 40);
  }

  // Put a vertex exactly on every landmark (right side = mirror of the left), then relax the
  // rest around them.
  const std::array<Vec3, kLandmarkCount> targets = shape.landmark_directions();
  // Triangles around each vertex, to check a move locally.
  std::vector<int> ring_offsets(dirs.size() + 1, 0), ring_faces(3 * grid.faces.size());
  for (const auto& t : grid.faces) {
    for (int v : t) ++ring_offsets[static_cast<std::size_t>(v) + 1];
  }
  for (std::size_t v = 0; v < dirs.size(); ++v) ring_offsets[v + 1] += ring_offsets[v];
  {
    std::vector<int> fill(ring_offsets.begin(), ring_offsets.end() - 1);
    for (std::size_t f = 0; f < grid.faces.size(); ++f) {
      for (int v : grid.faces[f])
        ring_faces[static_cast<std::size_t>(fill[static_cast<std::size_t>(v)]++)] =
            static_cast<int>(f);
    }
  }
  const auto fan_is_valid = [&](std::size_t v) {
    for (int r = ring_offsets[v]; r < ring_offsets[v + 1]; ++r) {
      const auto& t = grid.faces[static_cast<std::size_t>(ring_faces[static_cast<std::size_t>(r)])];
      const Vec3& a = dirs[static_cast<std::size_t>(t[0])];
      if (a.dot(dirs[static_cast<std::size_t>(t[1])].cross(dirs[static_cast<std::size_t>(t[2])])) <=
          1e-14) {
        return false;
      }
    }
    return true;
  };
  for (int l = 0; l < kLandmarkCount; ++l) {
    const Landmark lm = static_cast<Landmark>(l);
    const bool midline = mirror(lm) == lm;
    if (!midline && landmark_name(lm).ends_with("_right")) continue;
    Vec3 target = targets[static_cast<std::size_t>(l)];
    if (midline) target = Vec3(0.0, target.y(), target.z()).normalized();
    // Candidates on the right side of the midline, nearest first.
    std::vector<std::pair<double, int>> candidates;
    for (std::size_t v = 0; v < dirs.size(); ++v) {
      const bool on_midline = grid.mirror[v] == static_cast<int>(v);
      if (pinned[v] || on_midline != midline || (!midline && dirs[v].x() <= 0.0)) continue;
      candidates.emplace_back(-dirs[v].dot(target), static_cast<int>(v));
    }
    std::partial_sort(candidates.begin(),
                      candidates.begin() + std::min<std::ptrdiff_t>(8, std::ssize(candidates)),
                      candidates.end());
    bool placed = false;
    for (std::size_t c = 0; c < std::min<std::size_t>(8, candidates.size()) && !placed; ++c) {
      const auto v = static_cast<std::size_t>(candidates[c].second);
      const auto m = static_cast<std::size_t>(grid.mirror[v]);
      const Vec3 old_v = dirs[v], old_m = dirs[m];
      dirs[v] = target;
      dirs[m] = Vec3(-target.x(), target.y(), target.z());
      if (fan_is_valid(v) && fan_is_valid(m)) {
        placed = true;
        pinned[v] = pinned[m] = 1;
        points[v] = shape.surface_point(dirs[v]);
        points[m] = shape.surface_point(dirs[m]);
        head.landmarks.vertex[static_cast<std::size_t>(l)] = static_cast<int>(v);
        if (!midline) {
          head.landmarks.vertex[static_cast<std::size_t>(mirror(lm))] = static_cast<int>(m);
        }
      } else {
        dirs[v] = old_v;
        dirs[m] = old_m;
      }
    }
    HEADSPA_CHECK(placed, "could not place landmark " + std::string(landmark_name(lm)));
  }
  relax(shape, grid, adj, pinned, 2, dirs, points);

  head.mesh.vertices = std::move(points);
  head.mesh.faces = std::move(grid.faces);
  for (int l = 0; l < kLandmarkCount; ++l) {
    head.landmarks.position[static_cast<std::size_t>(l)] =
        head.mesh
            .vertices[static_cast<std::size_t>(head.landmarks.vertex[static_cast<std::size_t>(l)])];
  }
  return head;
}

}  // namespace headspa::anatomy
