// Closest-point, signed-distance and ray queries against a triangle mesh (Embree 3 BVH).
//
// The BVH is built once (Embree, single-precision boxes); every answer is then recomputed in
// double precision from the mesh itself: the closest point on each candidate triangle by its
// Voronoi regions, and the ray hit by a double-precision Moeller-Trumbore test on the face
// Embree reports.
//
// Sign of the distance: from the angle-weighted pseudo-normal (Baerentzen and Aanaes, 2005) of
// the feature the closest point lies on -- the face normal inside a face, the sum of the two
// face normals on an edge, the angle-weighted vertex normal at a vertex. A point is outside
// (positive) when (p - closest) . pseudo_normal > 0. For a closed, consistently oriented mesh
// this is exact for every point; for an open scan (the neck is cut) it is right near the
// surface and beyond the open edge it tells which side of the nearest face the point is on.
// Ray parity is not used: it is wrong for open meshes.
//
// Queries are const and thread-safe: many threads may query one SurfaceQuery at once.
//
// Nearby queries are cheaper. Each thread remembers the face of its last closest-point answer
// on each hierarchy it last queried; the next closest-point or signed-distance query scores that
// face first and searches only the part of the hierarchy within its distance, instead of
// starting unbounded. A point close to that face (on the skin near the last sample) is often
// settled without the hierarchy: every face sharing no corner with the last face keeps at least
// a known distance from it (found once per face, on first need), so when the nearest of the
// faces around it is nearer than that distance less the point's distance to the face, nothing
// else can be as near. Points along a path (samples, a pad's trajectory) are answered faster.
// The answer never depends on any of this: every face as near as the answer is still scored,
// ties going to the lower face index, exactly as in an unbounded search.
//
// Example:
//   const SurfaceQuery query(mesh);
//   const ClosestPoint c = query.closest_point(fingertip);
//   const double depth = -query.signed_distance(fingertip);  // > 0 when pressed into the skin
#pragma once

#include "headspa/geometry/mesh.hpp"
#include "headspa/geometry/surface_point.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

namespace headspa::geometry {

// The closest point on the surface to a query point.
struct ClosestPoint {
  SurfacePoint point;  // face and barycentric coordinates
  Vec3 position = Vec3::Zero();
  double distance = 0.0;  // unsigned, mesh units
};

// The first surface point a ray hits.
struct RayHit {
  SurfacePoint point;
  Vec3 position = Vec3::Zero();
  double t = 0.0;              // ray parameter: position = origin + t * direction
  Vec3 normal = Vec3::Zero();  // unit geometric normal of the face hit
};

// A bounding-volume hierarchy over a mesh for closest-point, signed-distance and ray queries.
// Keeps its own copy of the mesh's vertices and faces; later changes to the mesh are not seen.
class SurfaceQuery {
 public:
  // What a hierarchy is built for. kAll answers every query. kRaysOnly answers intersect()
  // and closest_point() but not signed_distance() (the pseudo-normals it needs are not made),
  // and builds in about half the time, with a hierarchy of lower quality: for a one-off batch
  // of rays.
  enum class Queries : std::uint8_t { kAll, kRaysOnly };

  // Builds the hierarchy. Throws InputError when the mesh has no faces or a face refers to a
  // missing vertex, InternalError when Embree fails.
  explicit SurfaceQuery(const TriangleMesh& mesh, Queries queries = Queries::kAll);
  ~SurfaceQuery();
  SurfaceQuery(SurfaceQuery&&) noexcept;
  SurfaceQuery& operator=(SurfaceQuery&&) noexcept;
  SurfaceQuery(const SurfaceQuery&) = delete;
  SurfaceQuery& operator=(const SurfaceQuery&) = delete;

  // The closest surface point to p. With max_distance given, returns nullopt when nothing lies
  // within it (a bounded query is faster).
  std::optional<ClosestPoint> closest_point(
      const Vec3& p, double max_distance = std::numeric_limits<double>::infinity()) const;

  // closest_point(p, max_distance), searched first among the faces around `near_face`: the
  // same answer, bit for bit, found without the hierarchy when that face is near the answer
  // (the face of a nearby point's closest point, a step of a path earlier). A face out of range
  // is passed over.
  std::optional<ClosestPoint> closest_point_near(
      const Vec3& p, int near_face,
      double max_distance = std::numeric_limits<double>::infinity()) const;

  // Signed distance from p to the surface (negative inside, see the file comment).
  // Throws InternalError on a hierarchy built for kRaysOnly.
  double signed_distance(const Vec3& p) const;

  // For "is p at least `limit` out of the surface?" (limit > 0): the signed distance when it is
  // at most `limit`, the signed distance or +infinity when it is more. `closest` is filled
  // whenever the value is finite. On a closed mesh, edge-manifold, each part wound outwards,
  // a point with no face within `limit` that lies in a cell of a coarse grid (about 64 cells
  // along the head) which the surface does not enter and which connects to far away without
  // crossing it is answered +infinity from the grid, without a full search; elsewhere (an open
  // scan, a point inside) this is signed_distance(). The grid is built on first use.
  double signed_distance_up_to(const Vec3& p, double limit, ClosestPoint* closest = nullptr) const;

  // Finds now, for every face, what answering a query near it from the faces around it needs
  // (see the file comment), rather than for each face on first need. Two threads share the
  // work; about 20 ms for a 30k-vertex head. Safe to call more than once.
  void prepare_nearby_queries() const;

  // Builds the grid signed_distance_up_to() uses now rather than on its first call (a few
  // milliseconds for a 30k-vertex head). Safe to call more than once and from many threads.
  void prepare_signed_distance_up_to() const;

  // The signed distance together with the closest point.
  double signed_distance(const Vec3& p, ClosestPoint* closest) const;

  // The first hit along origin + t * direction with t in [t_min, t_max]; direction need not be
  // unit length (t is then in units of |direction|). Both sides of a face count.
  std::optional<RayHit> intersect(const Vec3& origin, const Vec3& direction, double t_min = 0.0,
                                  double t_max = std::numeric_limits<double>::infinity()) const;

  const TriangleMesh& mesh() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace headspa::geometry
