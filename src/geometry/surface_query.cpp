#include "headspa/geometry/surface_query.hpp"

#include "headspa/core/error.hpp"
#include "numerics_detail.hpp"

#include <embree3/rtcore.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <deque>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

namespace headspa::geometry {

namespace {

// State of one closest-point query, passed to Embree's callback through userPtr.
struct ClosestSearch {
  const TriangleMesh* mesh = nullptr;
  Vec3 p = Vec3::Zero();
  double best = std::numeric_limits<double>::infinity();
  int face = -1;
  detail::ClosestOnTriangle hit;
};

float radius_bound(double distance, const Vec3& p) {
  // The hierarchy sees the query point in single precision: widen the sphere by the rounding.
  const double slack = 1e-6 * (p.cwiseAbs().maxCoeff() + distance) + 1e-30;
  return static_cast<float>(distance + slack);
}

// Scores face f: true when it becomes the best so far (nearer, or as near with a lower index).
bool consider(ClosestSearch& search, int f) {
  const TriangleMesh& m = *search.mesh;
  const detail::ClosestOnTriangle c = detail::closest_on_triangle(
      search.p, detail::corner(m, f, 0), detail::corner(m, f, 1), detail::corner(m, f, 2));
  const double d = (c.point - search.p).norm();
  if (d < search.best || (d == search.best && f < search.face)) {
    search.best = d;
    search.face = f;
    search.hit = c;
    return true;
  }
  return false;
}

bool closest_callback(RTCPointQueryFunctionArguments* args) {
  auto* search = static_cast<ClosestSearch*>(args->userPtr);
  if (!consider(*search, static_cast<int>(args->primID))) return false;
  args->query->radius = std::min(args->query->radius, radius_bound(search->best, search->p));
  return true;
}

double longest_edge(const TriangleMesh& m, int f) {
  const Vec3& a = detail::corner(m, f, 0);
  const Vec3& b = detail::corner(m, f, 1);
  const Vec3& c = detail::corner(m, f, 2);
  return std::sqrt(std::max({(b - a).squaredNorm(), (c - b).squaredNorm(), (a - c).squaredNorm()}));
}

bool shares_corner(const Face& a, const Face& b) {
  for (int u : a) {
    for (int v : b) {
      if (u == v) return true;
    }
  }
  return false;
}

// State of the bounded search for sep(f).
struct SeparationSearch {
  const TriangleMesh* mesh = nullptr;
  Face face{};
  Vec3 centroid = Vec3::Zero();
  double best = 0.0;
};

bool separation_callback(RTCPointQueryFunctionArguments* args) {
  auto* search = static_cast<SeparationSearch*>(args->userPtr);
  const int g = static_cast<int>(args->primID);
  const TriangleMesh& m = *search->mesh;
  if (shares_corner(search->face, m.faces[static_cast<std::size_t>(g)])) return false;
  const detail::ClosestOnTriangle c = detail::closest_on_triangle(
      search->centroid, detail::corner(m, g, 0), detail::corner(m, g, 1), detail::corner(m, g, 2));
  const double d = (c.point - search->centroid).norm();
  if (!(d < search->best)) return false;
  search->best = d;
  args->query->radius = std::min(args->query->radius, radius_bound(d, search->centroid));
  return true;
}

// A lower bound on sep(f), up to f's longest edge (a larger one is never needed: the ring is
// tried only for points nearer f than that).
double find_separation(const TriangleMesh& m, RTCScene scene, int f) {
  const Vec3& a = detail::corner(m, f, 0);
  const Vec3& b = detail::corner(m, f, 1);
  const Vec3& c = detail::corner(m, f, 2);
  const Vec3 centroid = (a + b + c) / 3.0;
  // f lies within `reach` of its centroid, so dist(f, g) >= dist(centroid, g) - reach.
  const double reach =
      std::max({(a - centroid).norm(), (b - centroid).norm(), (c - centroid).norm()});
  const double cap = longest_edge(m, f);
  SeparationSearch search;
  search.mesh = &m;
  search.face = m.faces[static_cast<std::size_t>(f)];
  search.centroid = centroid;
  search.best = reach + cap;
  RTCPointQuery query;
  query.x = static_cast<float>(centroid.x());
  query.y = static_cast<float>(centroid.y());
  query.z = static_cast<float>(centroid.z());
  query.time = 0.0f;
  query.radius = radius_bound(search.best, centroid);
  RTCPointQueryContext context;
  rtcInitPointQueryContext(&context);
  rtcPointQuery(scene, &query, &context, separation_callback, &search);
  // Rounding of the distances (a few ulps) is covered by a margin of a millionth.
  const double sep = (search.best - reach) * (1.0 - 1e-6);
  return std::isfinite(sep) ? std::max(sep, 0.0) : 0.0;
}

}  // namespace

namespace detail {

// The faces around each face, and how far each face keeps from the faces that share no corner
// with it, for answering a query near the last answer's face without searching the hierarchy.
//
// A point p at distance d from face f: every face g sharing no corner with f lies at least
// sep(f) - d from p (sep(f): f's distance to the nearest such g). So when the nearest face
// around f is nearer than sep(f) - d, it is the nearest of all, and every face as near lies
// around f too: scoring the faces around f by the search's own rule gives the answer of a full
// search, bit for bit. sep(f) is found once per face, when first needed (a small bounded search
// from f's centroid), and kept.
struct RingIndex {
  // The faces around each face (sharing a corner with it, itself included), each once, in
  // compressed rows: faces around f are ring[ring_start[f] .. ring_start[f + 1]).
  std::vector<int> ring_start;
  std::vector<int> ring;
  // Each face's plane: unit normal (the query's own face normal) and offset, n . x = offset.
  std::vector<std::array<double, 4>> plane;
  // A margin for the planes' rounding: a face whose plane lies more than the best distance
  // plus `margin` from the point is not scored.
  double margin = 0.0;
  // Per face: a lower bound on sep(f), NaN until found. Read and written through atomic_ref:
  // threads that find it at once store the same value.
  mutable std::vector<double> separation;
  // Per face f, whether the faces around it bend away from its plane: bit kBelow when every
  // corner of theirs that is not f's lies strictly below it (n . x < offset), bit kAbove when
  // strictly above. A point on that side of the plane (at or beyond it) whose foot on f lies
  // inside f is nearer f than any face around it (their points lie on the far side of the
  // plane or, on f's edges, to the side of the foot), so the ring need not be scored.
  static constexpr std::uint8_t kBelow = 1;
  static constexpr std::uint8_t kAbove = 2;
  std::vector<std::uint8_t> bends;
  // Builds the rings and planes; no separation known yet.
  void build(const TriangleMesh& mesh, const std::vector<Vec3>& normals);
  // sep(f)'s lower bound, found now if not yet known.
  double separation_of(const TriangleMesh& mesh, RTCScene scene, int f) const;
};

void RingIndex::build(const TriangleMesh& mesh, const std::vector<Vec3>& normals) {
  const VertexFaces around = vertex_faces(mesh);
  const std::size_t nf = mesh.faces.size();
  ring_start.assign(nf + 1, 0);
  ring.clear();
  ring.reserve(14 * nf);
  for (std::size_t f = 0; f < nf; ++f) {
    const Face& face = mesh.faces[f];
    const std::size_t from = ring.size();
    for (std::size_t k = 0; k < 3; ++k) {
      const auto v = static_cast<std::size_t>(face[k]);
      for (int i = around.offsets[v]; i < around.offsets[v + 1]; ++i) {
        const int g = around.faces[static_cast<std::size_t>(i)];
        if (std::find(ring.begin() + static_cast<std::ptrdiff_t>(from), ring.end(), g) ==
            ring.end()) {
          ring.push_back(g);
        }
      }
    }
    ring_start[f + 1] = static_cast<int>(ring.size());
  }
  plane.resize(nf);
  for (std::size_t f = 0; f < nf; ++f) {
    const Vec3& n = normals[f];
    plane[f] = {n.x(), n.y(), n.z(), n.dot(detail::corner(mesh, static_cast<int>(f), 0))};
  }
  // A billionth of the coordinates' size: far above the rounding of a plane's distance (even
  // for a sliver's normal), far below any distance that matters.
  double size = 0.0;
  for (const Vec3& v : mesh.vertices) size = std::max(size, v.cwiseAbs().maxCoeff());
  margin = 1e-9 * size;
  // "Strictly" below or above: by a thousandth of the margin, still far above the rounding of
  // a corner's distance to a plane.
  const double strict = 1e-3 * margin;
  bends.assign(nf, 0);
  for (std::size_t f = 0; f < nf; ++f) {
    const Face& face = mesh.faces[f];
    const std::array<double, 4>& pl = plane[f];
    bool below = true;
    bool above = true;
    for (int i = ring_start[f]; i < ring_start[f + 1] && (below || above); ++i) {
      for (int v : mesh.faces[static_cast<std::size_t>(ring[static_cast<std::size_t>(i)])]) {
        if (v == face[0] || v == face[1] || v == face[2]) continue;
        const Vec3& x = mesh.vertices[static_cast<std::size_t>(v)];
        const double h = pl[0] * x.x() + pl[1] * x.y() + pl[2] * x.z() - pl[3];
        below = below && h < -strict;
        above = above && h > strict;
      }
    }
    bends[f] = static_cast<std::uint8_t>((below ? kBelow : 0) | (above ? kAbove : 0));
  }
  separation.assign(nf, std::numeric_limits<double>::quiet_NaN());
}

double RingIndex::separation_of(const TriangleMesh& mesh, RTCScene scene, int f) const {
  std::atomic_ref<double> slot(separation[static_cast<std::size_t>(f)]);
  double sep = slot.load(std::memory_order_relaxed);
  if (std::isnan(sep)) {
    sep = find_separation(mesh, scene, f);
    slot.store(sep, std::memory_order_relaxed);
  }
  return sep;
}

}  // namespace detail

struct SurfaceQuery::Impl {
  TriangleMesh mesh;
  std::vector<Vec3> face_normal;                 // unit
  std::vector<std::array<Vec3, 3>> edge_normal;  // per face edge (k, k+1): pseudo-normal
  std::vector<Vec3> vertex_normal;               // angle-weighted
  RTCDevice device = nullptr;
  RTCScene scene = nullptr;

  bool pseudo_normals = true;  // made (signed distances can be answered)

  // Which cells of a coarse grid over the mesh lie wholly outside it, for
  // signed_distance_up_to. Only for a closed, edge-manifold mesh whose every connected part
  // encloses a positive volume (faces wound outwards): there a point that no path through the
  // surface separates from far away has a positive signed distance. Built on first use.
  struct SideGrid {
    bool usable = false;
    Vec3 origin = Vec3::Zero();
    double cell = 0.0;
    std::array<int, 3> size{0, 0, 0};
    std::vector<std::uint8_t> outside;  // per cell: 1 when wholly outside the mesh
    // True when p lies in a cell wholly outside, or outside the grid.
    bool proves_outside(const Vec3& p) const;
  };
  mutable std::once_flag side_once;
  mutable SideGrid side_grid;
  const SideGrid& sides() const {
    std::call_once(side_once, [this] { side_grid = build_side_grid(mesh); });
    return side_grid;
  }
  static SideGrid build_side_grid(const TriangleMesh& mesh);

  mutable std::once_flag ring_once;
  mutable detail::RingIndex ring_index;
  const detail::RingIndex& rings() const {
    std::call_once(ring_once, [this] { ring_index.build(mesh, face_normal); });
    return ring_index;
  }

  Impl(const TriangleMesh& m, SurfaceQuery::Queries queries);
  ~Impl() {
    if (scene != nullptr) rtcReleaseScene(scene);
    if (device != nullptr) rtcReleaseDevice(device);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Vec3 pseudo_normal(int face, detail::TriangleFeature feature) const;
  // The signed distance of a finished search (its point's side from the pseudo-normal of the
  // feature it found), with the closest point into `closest` when given.
  double signed_answer(const ClosestSearch& search, ClosestPoint* closest) const {
    if (closest != nullptr) {
      closest->point.face = search.face;
      closest->point.barycentric = search.hit.barycentric;
      closest->position = search.hit.point;
      closest->distance = search.best;
    }
    const Vec3 n = pseudo_normal(search.face, search.hit.feature);
    return (search.p - search.hit.point).dot(n) < 0.0 ? -search.best : search.best;
  }

 private:
  void build_pseudo_normals();
  void build_scene(RTCBuildQuality quality);
};

SurfaceQuery::Impl::Impl(const TriangleMesh& m, SurfaceQuery::Queries queries)
    : mesh(m), pseudo_normals(queries == SurfaceQuery::Queries::kAll) {
  const int n = static_cast<int>(mesh.vertices.size());
  if (mesh.faces.empty()) throw InputError("surface query: the mesh has no faces");
  for (const Face& f : mesh.faces) {
    for (int v : f) {
      if (v < 0 || v >= n) throw InputError("surface query: a face refers to a missing vertex");
    }
  }
  face_normal = face_normals(mesh);
  if (pseudo_normals) build_pseudo_normals();
  build_scene(pseudo_normals ? RTC_BUILD_QUALITY_HIGH : RTC_BUILD_QUALITY_LOW);
}

void SurfaceQuery::Impl::build_pseudo_normals() {
  const int n = static_cast<int>(mesh.vertices.size());
  vertex_normal = detail::angle_weighted_normals(mesh);

  // Edge pseudo-normals: the sum of the normals of the faces sharing the edge. The face edges
  // are put in buckets by their lower vertex (a counting sort), and the few edges of a bucket
  // matched by their upper vertex.
  const std::size_t nf = mesh.faces.size();
  const auto nv = static_cast<std::size_t>(n);
  auto corner = [&](std::size_t f, int k) {
    return static_cast<std::size_t>(mesh.faces[f][static_cast<std::size_t>(k % 3)]);
  };
  std::vector<std::uint32_t> bucket_start(nv + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) {
    for (int k = 0; k < 3; ++k) ++bucket_start[std::min(corner(f, k), corner(f, k + 1)) + 1];
  }
  for (std::size_t v = 0; v < nv; ++v) bucket_start[v + 1] += bucket_start[v];
  std::vector<std::uint32_t> fill(bucket_start.begin(), bucket_start.end() - 1);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges(3 * nf);  // upper vertex, 3f + k
  for (std::size_t f = 0; f < nf; ++f) {
    for (int k = 0; k < 3; ++k) {
      const std::size_t a = corner(f, k);
      const std::size_t b = corner(f, k + 1);
      edges[fill[std::min(a, b)]++] = {
          static_cast<std::uint32_t>(std::max(a, b)),
          static_cast<std::uint32_t>(3 * f + static_cast<std::size_t>(k))};
    }
  }
  edge_normal.assign(nf, {Vec3::Zero(), Vec3::Zero(), Vec3::Zero()});
  for (std::size_t v = 0; v < nv; ++v) {
    const std::uint32_t lo = bucket_start[v];
    const std::uint32_t hi = bucket_start[v + 1];
    for (std::uint32_t i = lo; i < hi; ++i) {
      Vec3 sum = Vec3::Zero();
      for (std::uint32_t j = lo; j < hi; ++j) {
        if (edges[j].first == edges[i].first) sum += face_normal[edges[j].second / 3];
      }
      edge_normal[edges[i].second / 3][edges[i].second % 3] = sum;
    }
  }
}

void SurfaceQuery::Impl::build_scene(RTCBuildQuality quality) {
  const std::size_t nf = mesh.faces.size();
  device = rtcNewDevice(nullptr);
  if (device == nullptr) throw InternalError("Embree: rtcNewDevice failed");
  scene = rtcNewScene(device);
  rtcSetSceneFlags(scene, RTC_SCENE_FLAG_ROBUST);
  rtcSetSceneBuildQuality(scene, quality);
  RTCGeometry geometry = rtcNewGeometry(device, RTC_GEOMETRY_TYPE_TRIANGLE);
  auto* vb = static_cast<float*>(rtcSetNewGeometryBuffer(geometry, RTC_BUFFER_TYPE_VERTEX, 0,
                                                         RTC_FORMAT_FLOAT3, 3 * sizeof(float),
                                                         mesh.vertices.size()));
  auto* ib = static_cast<unsigned*>(rtcSetNewGeometryBuffer(
      geometry, RTC_BUFFER_TYPE_INDEX, 0, RTC_FORMAT_UINT3, 3 * sizeof(unsigned), nf));
  if (vb == nullptr || ib == nullptr) {
    rtcReleaseGeometry(geometry);
    throw InternalError("Embree: could not allocate geometry buffers");
  }
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    for (int k = 0; k < 3; ++k)
      vb[3 * v + static_cast<std::size_t>(k)] = static_cast<float>(mesh.vertices[v][k]);
  }
  for (std::size_t f = 0; f < nf; ++f) {
    for (std::size_t k = 0; k < 3; ++k) ib[3 * f + k] = static_cast<unsigned>(mesh.faces[f][k]);
  }
  rtcCommitGeometry(geometry);
  rtcAttachGeometry(scene, geometry);
  rtcReleaseGeometry(geometry);
  rtcCommitScene(scene);
  if (rtcGetDeviceError(device) != RTC_ERROR_NONE)
    throw InternalError("Embree: scene build failed");
}

namespace {

// True when every edge of the mesh is shared by exactly two faces that run along it in
// opposite directions (closed, edge-manifold and consistently wound).
bool closed_and_consistent(const TriangleMesh& mesh) {
  const std::size_t nv = mesh.vertices.size();
  const std::size_t nf = mesh.faces.size();
  // Directed edges a -> b bucketed by a (a counting sort); each must meet exactly one b -> a.
  std::vector<std::uint32_t> start(nv + 1, 0);
  for (const Face& f : mesh.faces) {
    for (int k = 0; k < 3; ++k)
      ++start[static_cast<std::size_t>(f[static_cast<std::size_t>(k)]) + 1];
  }
  for (std::size_t v = 0; v < nv; ++v) start[v + 1] += start[v];
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  std::vector<std::uint32_t> to(3 * nf);
  for (const Face& f : mesh.faces) {
    for (std::size_t k = 0; k < 3; ++k) {
      const auto a = static_cast<std::size_t>(f[k]);
      const auto b = static_cast<std::uint32_t>(f[(k + 1) % 3]);
      if (a == b) return false;
      to[fill[a]++] = b;
    }
  }
  auto count = [&](std::size_t a, std::uint32_t b) {
    int n = 0;
    for (std::uint32_t i = start[a]; i < start[a + 1]; ++i) n += to[i] == b ? 1 : 0;
    return n;
  };
  for (std::size_t a = 0; a < nv; ++a) {
    for (std::uint32_t i = start[a]; i < start[a + 1]; ++i) {
      if (count(a, to[i]) != 1 || count(to[i], static_cast<std::uint32_t>(a)) != 1) return false;
    }
  }
  return true;
}

// True when each connected part of the mesh (faces joined through shared vertices) encloses a
// positive volume: its faces are wound outwards.
bool parts_wound_outwards(const TriangleMesh& mesh) {
  std::vector<int> parent(mesh.vertices.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](int v) {
    while (parent[static_cast<std::size_t>(v)] != v) {
      parent[static_cast<std::size_t>(v)] =
          parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(v)])];
      v = parent[static_cast<std::size_t>(v)];
    }
    return v;
  };
  for (const Face& f : mesh.faces) {
    for (int k = 1; k < 3; ++k) {
      const int a = root(f[0]);
      const int b = root(f[static_cast<std::size_t>(k)]);
      if (a != b) parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
    }
  }
  // Six times each part's volume, about the part's first corner (well conditioned far from
  // the origin).
  std::vector<double> volume(mesh.vertices.size(), 0.0);
  for (const Face& f : mesh.faces) {
    const auto r = static_cast<std::size_t>(root(f[0]));
    const Vec3& o = mesh.vertices[r];
    const Vec3 a = mesh.vertices[static_cast<std::size_t>(f[0])] - o;
    const Vec3 b = mesh.vertices[static_cast<std::size_t>(f[1])] - o;
    const Vec3 c = mesh.vertices[static_cast<std::size_t>(f[2])] - o;
    volume[r] += a.dot(b.cross(c));
  }
  std::vector<char> has_faces(mesh.vertices.size(), 0);
  for (const Face& f : mesh.faces) has_faces[static_cast<std::size_t>(root(f[0]))] = 1;
  for (std::size_t v = 0; v < volume.size(); ++v) {
    if (has_faces[v] != 0 && !(volume[v] > 0.0)) return false;
  }
  return true;
}

}  // namespace

SurfaceQuery::Impl::SideGrid SurfaceQuery::Impl::build_side_grid(const TriangleMesh& mesh) {
  SideGrid g;
  if (!closed_and_consistent(mesh) || !parts_wound_outwards(mesh)) return g;
  Vec3 lo = mesh.vertices.front();
  Vec3 hi = lo;
  for (const Vec3& v : mesh.vertices) {
    lo = lo.cwiseMin(v);
    hi = hi.cwiseMax(v);
  }
  // About 64 cells along the longest side, and one cell to spare all round, so that the
  // outermost layer is outside and joins every outside cell to far away.
  constexpr int kCellsAlongLongest = 64;
  g.cell = (hi - lo).maxCoeff() / kCellsAlongLongest;
  if (!(g.cell > 0.0) || !std::isfinite(g.cell)) return g;
  g.origin = lo - Vec3::Constant(g.cell);
  for (int k = 0; k < 3; ++k) {
    g.size[static_cast<std::size_t>(k)] = static_cast<int>(std::ceil((hi[k] - lo[k]) / g.cell)) + 3;
  }
  const auto nx = static_cast<std::size_t>(g.size[0]);
  const auto ny = static_cast<std::size_t>(g.size[1]);
  const auto nz = static_cast<std::size_t>(g.size[2]);
  auto index = [&](std::size_t x, std::size_t y, std::size_t z) { return (z * ny + y) * nx + x; };
  // 0: unknown, 1: meets a face's box, 2: outside.
  std::vector<std::uint8_t> state(nx * ny * nz, 0);
  // Each face marks the cells its bounding box (widened by a millionth of a cell, for
  // rounding) meets: a cell left unmarked contains no point of the surface.
  const double widen = 1e-6 * g.cell;
  auto cell_range = [&](double a, double b, int k) {
    const double o = g.origin[k];
    const int last = g.size[static_cast<std::size_t>(k)] - 1;
    const int from = std::clamp(static_cast<int>(std::floor((a - widen - o) / g.cell)), 0, last);
    const int to = std::clamp(static_cast<int>(std::floor((b + widen - o) / g.cell)), 0, last);
    return std::pair<std::size_t, std::size_t>{static_cast<std::size_t>(from),
                                               static_cast<std::size_t>(to)};
  };
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const int fi = static_cast<int>(f);
    const Vec3& a = detail::corner(mesh, fi, 0);
    const Vec3& b = detail::corner(mesh, fi, 1);
    const Vec3& c = detail::corner(mesh, fi, 2);
    const Vec3 flo = a.cwiseMin(b).cwiseMin(c);
    const Vec3 fhi = a.cwiseMax(b).cwiseMax(c);
    const auto [x0, x1] = cell_range(flo.x(), fhi.x(), 0);
    const auto [y0, y1] = cell_range(flo.y(), fhi.y(), 1);
    const auto [z0, z1] = cell_range(flo.z(), fhi.z(), 2);
    for (std::size_t z = z0; z <= z1; ++z) {
      for (std::size_t y = y0; y <= y1; ++y) {
        for (std::size_t x = x0; x <= x1; ++x) state[index(x, y, z)] = 1;
      }
    }
  }
  // Flood the unmarked cells from the outermost layer, through shared cell faces.
  std::deque<std::array<std::size_t, 3>> queue;
  auto visit = [&](std::size_t x, std::size_t y, std::size_t z) {
    std::uint8_t& s = state[index(x, y, z)];
    if (s != 0) return;
    s = 2;
    queue.push_back({x, y, z});
  };
  for (std::size_t z = 0; z < nz; ++z) {
    for (std::size_t y = 0; y < ny; ++y) {
      for (std::size_t x = 0; x < nx; ++x) {
        if (x == 0 || y == 0 || z == 0 || x + 1 == nx || y + 1 == ny || z + 1 == nz) visit(x, y, z);
      }
    }
  }
  while (!queue.empty()) {
    const auto [x, y, z] = queue.front();
    queue.pop_front();
    if (x > 0) visit(x - 1, y, z);
    if (x + 1 < nx) visit(x + 1, y, z);
    if (y > 0) visit(x, y - 1, z);
    if (y + 1 < ny) visit(x, y + 1, z);
    if (z > 0) visit(x, y, z - 1);
    if (z + 1 < nz) visit(x, y, z + 1);
  }
  g.outside.resize(state.size());
  for (std::size_t i = 0; i < state.size(); ++i) g.outside[i] = state[i] == 2 ? 1 : 0;
  g.usable = true;
  return g;
}

bool SurfaceQuery::Impl::SideGrid::proves_outside(const Vec3& p) const {
  if (!usable) return false;
  std::array<std::size_t, 3> at{};
  for (int k = 0; k < 3; ++k) {
    const double u = std::floor((p[k] - origin[k]) / cell);
    // Beyond the grid is beyond the mesh's bounding box: outside.
    if (!(u >= 0.0)) return !std::isnan(u);
    if (u >= static_cast<double>(size[static_cast<std::size_t>(k)])) return true;
    at[static_cast<std::size_t>(k)] = static_cast<std::size_t>(u);
  }
  const auto nx = static_cast<std::size_t>(size[0]);
  const auto ny = static_cast<std::size_t>(size[1]);
  return outside[(at[2] * ny + at[1]) * nx + at[0]] != 0;
}

Vec3 SurfaceQuery::Impl::pseudo_normal(int face, detail::TriangleFeature feature) const {
  const auto f = static_cast<std::size_t>(face);
  using F = detail::TriangleFeature;
  switch (feature) {
    case F::kFace:
      return face_normal[f];
    case F::kEdge01:
      return edge_normal[f][0];
    case F::kEdge12:
      return edge_normal[f][1];
    case F::kEdge20:
      return edge_normal[f][2];
    case F::kVertex0:
      return vertex_normal[static_cast<std::size_t>(mesh.faces[f][0])];
    case F::kVertex1:
      return vertex_normal[static_cast<std::size_t>(mesh.faces[f][1])];
    case F::kVertex2:
      return vertex_normal[static_cast<std::size_t>(mesh.faces[f][2])];
  }
  return face_normal[f];
}

SurfaceQuery::SurfaceQuery(const TriangleMesh& mesh, Queries queries)
    : impl_(std::make_unique<Impl>(mesh, queries)) {}
SurfaceQuery::~SurfaceQuery() = default;
SurfaceQuery::SurfaceQuery(SurfaceQuery&&) noexcept = default;
SurfaceQuery& SurfaceQuery::operator=(SurfaceQuery&&) noexcept = default;

const TriangleMesh& SurfaceQuery::mesh() const noexcept { return impl_->mesh; }

namespace {

// This thread's last answer (see the header): the hierarchy it came from and the face.
struct LastAnswer {
  RTCScene scene = nullptr;
  int face = -1;
};
thread_local LastAnswer last_answer;

// Scores the faces around face f (those sharing a corner with it), each once.
void score_ring(ClosestSearch& search, const detail::RingIndex& rings, int f) {
  const Vec3& p = search.p;
  const auto from = static_cast<std::size_t>(rings.ring_start[static_cast<std::size_t>(f)]);
  const auto to = static_cast<std::size_t>(rings.ring_start[static_cast<std::size_t>(f) + 1]);
  for (std::size_t i = from; i < to; ++i) {
    const int g = rings.ring[i];
    // No nearer than its plane: a face whose plane is clearly farther than the best so far
    // cannot win (nor tie), and is passed over.
    const std::array<double, 4>& pl = rings.plane[static_cast<std::size_t>(g)];
    const double plane = std::abs(pl[0] * p.x() + pl[1] * p.y() + pl[2] * p.z() - pl[3]);
    if (plane > search.best + rings.margin) continue;
    consider(search, g);
  }
}

bool run_closest(const SurfaceQuery& self, const detail::RingIndex& rings, RTCScene scene,
                 const Vec3& p, double max_distance, ClosestSearch& search) {
  const TriangleMesh& m = self.mesh();
  search.mesh = &m;
  search.p = p;
  search.best = max_distance;
  // The last answer's face is scored first, as the callback scores a face: its distance bounds
  // the sphere, and the callback's rule still decides among every face within that bound, so
  // the result is that of an unbounded search. The face is only trusted for the hierarchy it
  // came from (and range-checked).
  const int hint = last_answer.scene == scene ? last_answer.face : -1;
  if (hint >= 0 && hint < static_cast<int>(m.faces.size())) {
    consider(search, hint);
    // A foot well inside the hint's face, on the side its ring bends away from: no face around
    // it is as near (see RingIndex::bends), and the faces farther out are ruled out as below.
    if (search.face == hint && search.hit.feature == detail::TriangleFeature::kFace &&
        search.hit.barycentric.minCoeff() > 1e-4) {
      const double d = search.best;
      const std::array<double, 4>& pl = rings.plane[static_cast<std::size_t>(hint)];
      const double h = pl[0] * p.x() + pl[1] * p.y() + pl[2] * p.z() - pl[3];
      const std::uint8_t side = h >= 0.0 ? detail::RingIndex::kBelow : detail::RingIndex::kAbove;
      if ((rings.bends[static_cast<std::size_t>(hint)] & side) != 0 && d < longest_edge(m, hint)) {
        const double sep = rings.separation_of(m, scene, hint);
        if (d < (sep - d) * (1.0 - 1e-9)) {
          last_answer = {scene, hint};
          return true;
        }
      }
    }
    // Near the hint's face, the faces around it may settle the answer (see RingIndex): around
    // the hint, then around the nearest face found, twice at most.
    int centre = search.face == hint ? hint : -1;
    for (int step = 0; step < 2 && centre >= 0; ++step) {
      const double d = search.best;  // distance to `centre`
      if (!(d < longest_edge(m, centre))) break;
      const double sep = rings.separation_of(m, scene, centre);
      if (!(d < sep)) break;
      score_ring(search, rings, centre);
      if (search.best < (sep - d) * (1.0 - 1e-9)) {
        last_answer = {scene, search.face};
        return true;
      }
      centre = search.face != centre ? search.face : -1;
    }
  }
  RTCPointQuery query;
  query.x = static_cast<float>(p.x());
  query.y = static_cast<float>(p.y());
  query.z = static_cast<float>(p.z());
  query.time = 0.0f;
  query.radius = std::isfinite(search.best) ? radius_bound(search.best, p)
                                            : std::numeric_limits<float>::infinity();
  RTCPointQueryContext context;
  rtcInitPointQueryContext(&context);
  rtcPointQuery(scene, &query, &context, closest_callback, &search);
  if (search.face >= 0) last_answer = {scene, search.face};
  return search.face >= 0;
}

}  // namespace

std::optional<ClosestPoint> SurfaceQuery::closest_point(const Vec3& p, double max_distance) const {
  ClosestSearch search;
  if (!run_closest(*this, impl_->rings(), impl_->scene, p, max_distance, search))
    return std::nullopt;
  ClosestPoint out;
  out.point.face = search.face;
  out.point.barycentric = search.hit.barycentric;
  out.position = search.hit.point;
  out.distance = search.best;
  return out;
}

std::optional<ClosestPoint> SurfaceQuery::closest_point_near(const Vec3& p, int near_face,
                                                             double max_distance) const {
  // The search starts from the last answer's face (run_closest): that face is named instead.
  if (near_face >= 0 && near_face < static_cast<int>(impl_->mesh.faces.size())) {
    last_answer = {impl_->scene, near_face};
  }
  return closest_point(p, max_distance);
}

double SurfaceQuery::signed_distance(const Vec3& p) const { return signed_distance(p, nullptr); }

double SurfaceQuery::signed_distance(const Vec3& p, ClosestPoint* closest) const {
  if (!impl_->pseudo_normals) {
    throw InternalError("surface query: signed distance asked of a hierarchy built for rays only");
  }
  ClosestSearch search;
  if (!run_closest(*this, impl_->rings(), impl_->scene, p, std::numeric_limits<double>::infinity(),
                   search)) {
    return std::numeric_limits<double>::infinity();
  }
  return impl_->signed_answer(search, closest);
}

void SurfaceQuery::prepare_nearby_queries() const {
  const detail::RingIndex& rings = impl_->rings();
  const int nf = static_cast<int>(impl_->mesh.faces.size());
  auto find_range = [&](int from, int to) {
    for (int f = from; f < to; ++f) (void)rings.separation_of(impl_->mesh, impl_->scene, f);
  };
  // Each face's separation is its own (whichever thread finds it): two threads share them.
  std::thread second(find_range, nf / 2, nf);
  find_range(0, nf / 2);
  second.join();
}

void SurfaceQuery::prepare_signed_distance_up_to() const {
  if (impl_->pseudo_normals) (void)impl_->sides();
}

double SurfaceQuery::signed_distance_up_to(const Vec3& p, double limit,
                                           ClosestPoint* closest) const {
  if (!impl_->pseudo_normals) {
    throw InternalError("surface query: signed distance asked of a hierarchy built for rays only");
  }
  if (!(limit > 0.0) || !std::isfinite(limit) || !p.allFinite() || !impl_->sides().usable) {
    return signed_distance(p, closest);
  }
  // A search bounded a little beyond the limit: a face found there is the closest of all (every
  // face nearer than it is scored), and the answer is the full query's.
  ClosestSearch search;
  const double bound = limit * (1.0 + 1e-9) + 1e-12;
  if (run_closest(*this, impl_->rings(), impl_->scene, p, bound, search)) {
    return impl_->signed_answer(search, closest);
  }
  // Nothing within the limit: the distance is above it, and in a cell wholly outside the
  // (closed) mesh its sign is positive.
  if (impl_->sides().proves_outside(p)) return std::numeric_limits<double>::infinity();
  return signed_distance(p, closest);
}

std::optional<RayHit> SurfaceQuery::intersect(const Vec3& origin, const Vec3& direction,
                                              double t_min, double t_max) const {
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  RTCRayHit rh;
  rh.ray.org_x = static_cast<float>(origin.x());
  rh.ray.org_y = static_cast<float>(origin.y());
  rh.ray.org_z = static_cast<float>(origin.z());
  rh.ray.dir_x = static_cast<float>(direction.x());
  rh.ray.dir_y = static_cast<float>(direction.y());
  rh.ray.dir_z = static_cast<float>(direction.z());
  rh.ray.tnear = static_cast<float>(std::max(t_min, 0.0));
  rh.ray.tfar =
      std::isfinite(t_max) ? static_cast<float>(t_max) : std::numeric_limits<float>::infinity();
  rh.ray.time = 0.0f;
  rh.ray.mask = 0xFFFFFFFFu;
  rh.ray.id = 0;
  rh.ray.flags = 0;
  rh.hit.geomID = RTC_INVALID_GEOMETRY_ID;
  rh.hit.primID = RTC_INVALID_GEOMETRY_ID;
  rh.hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
  rtcIntersect1(impl_->scene, &context, &rh);
  if (rh.hit.geomID == RTC_INVALID_GEOMETRY_ID) return std::nullopt;

  const int f = static_cast<int>(rh.hit.primID);
  const TriangleMesh& m = impl_->mesh;
  const Vec3& a = detail::corner(m, f, 0);
  const Vec3 e1 = detail::corner(m, f, 1) - a;
  const Vec3 e2 = detail::corner(m, f, 2) - a;
  RayHit hit;
  hit.point.face = f;
  // Refine in double precision (Moeller-Trumbore on the reported face).
  const Vec3 pvec = direction.cross(e2);
  const double det = e1.dot(pvec);
  double u = static_cast<double>(rh.hit.u);
  double v = static_cast<double>(rh.hit.v);
  double t = static_cast<double>(rh.ray.tfar);
  if (std::abs(det) > 0.0) {
    const Vec3 tvec = origin - a;
    const double uu = tvec.dot(pvec) / det;
    const Vec3 qvec = tvec.cross(e1);
    const double vv = direction.dot(qvec) / det;
    const double tt = e2.dot(qvec) / det;
    if (uu >= -1e-6 && vv >= -1e-6 && uu + vv <= 1.0 + 1e-6 && std::isfinite(tt)) {
      u = std::clamp(uu, 0.0, 1.0);
      v = std::clamp(vv, 0.0, 1.0 - u);
      t = tt;
    }
  }
  hit.point.barycentric = Eigen::Vector3d(1.0 - u - v, u, v);
  hit.position = a + u * e1 + v * e2;
  hit.t = t;
  hit.normal = impl_->face_normal[static_cast<std::size_t>(f)];
  return hit;
}

}  // namespace headspa::geometry
