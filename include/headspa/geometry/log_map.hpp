// The local logarithmic map (geodesic polar coordinates) around a surface point, and its
// inverse, the exponential map, for patches up to a few centimetres.
//
// For a centre c and a vertex x near it, log_c(x) = r (cos theta, sin theta) where r is the
// geodesic distance from c to x and theta the angle, at c, between the first tangent axis of c's
// frame and the geodesic from c to x. exp_c inverts it: a 2-D point u in c's tangent plane maps
// to the surface point at geodesic distance |u| in direction u. Techniques are drawn as circles
// and strokes in (x, y) = u and laid on the skin with exp.
//
// Algorithm: a Dijkstra-ordered front propagation of (r, theta) with triangle unfolding
// (after Melvaer and Reimers, "Geodesic polar coordinates on polygonal meshes", CGF 2012):
//   - start: the centre's face corners (point in a face) or one-ring (a vertex) get their exact
//     planar polar coordinates in the centre's tangent plane;
//   - a vertex is settled in order of r; settling it updates the unsettled corners of its faces.
//     If the face's third corner is settled too, the face is unfolded into the plane: the
//     virtual source is the point at distances r_j and r_k from the two settled corners, on the
//     far side of their edge; r of the new corner is its planar distance from the virtual
//     source, theta is interpolated by the angle the new corner subtends at the virtual source.
//     Otherwise (or when the straight line would not cross the settled edge) the edge from the
//     settled corner is projected on its tangent plane (length kept), rotated into the centre's
//     plane by the smallest rotation between the normals and added to its 2-D coordinates (the
//     update of Schmidt et al.'s discrete exponential map). The smallest r wins;
//   - r is never set below the settled front (monotone order) nor below the straight-line
//     distance from the centre;
//   - propagation stops at the patch radius plus two mean edge lengths, so every point within the
//     radius lies on a face whose three corners have coordinates.
// Exact on a plane (up to rounding). On a sphere of radius 10 cm with 1.5 mm edges, r is within
// about 0.5% and theta within about 0.01 rad out to 5 cm (tests/geometry/log_map_test.cpp). The
// cost is proportional to the number of vertices in the patch, not the mesh; the workspace
// (LogMapPatch) is reused, so a query allocates nothing once it has seen a patch that size.
//
// Known limit: on raw, irregular scans with folds and needle triangles (the Lee Perry-Smith scan
// near the lips and nose) some updates underestimate r, so a 3 cm patch can take in vertices
// whose edge-graph distance is well beyond 3 cm; the chord bound above contains it but does not
// remove it. Clean and remesh such scans first; the default head and spheres are not affected.
//
// Inside a face the map is linear in the corners' coordinates (exact on the centre's own face).
//
// Model/data split: LogMap is immutable and may be shared by many threads; each thread computes
// into its own LogMapPatch.
//
// Example:
//   const LogMap log_map(head.mesh);
//   LogMapPatch patch;
//   log_map.compute({.centre = log_map.vertex_point(glabella), .radius_m = 0.03}, patch);
//   for (double a = 0; a < 2 * pi; a += 0.1) {
//     if (auto p = patch.exp({0.01 * std::cos(a), 0.01 * std::sin(a)})) lay(position(mesh, *p));
//   }
#pragma once

#include "headspa/geometry/mesh.hpp"
#include "headspa/geometry/surface_point.hpp"
#include "headspa/geometry/tangent_frames.hpp"

#include <Eigen/Core>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace headspa::geometry {

class LogMap;

// Where and how far to compute the log map.
struct LogMapRequest {
  SurfacePoint centre;     // a vertex is a corner with barycentric coordinate 1
  double radius_m = 0.03;  // geodesic radius of the patch, mesh units (designed for <= 0.05)
  // theta = 0 points along the projection of this direction on the centre's tangent plane (see
  // tangent_frames.hpp: the fallback applies near the reference direction).
  TangentFrameOptions frame;

  // False (with the reason in *why when why is not null) when a field is out of range.
  bool IsValid(std::string* why) const;
};

// The result of LogMap::compute and its reusable workspace. Refers to the LogMap that filled it;
// that LogMap must outlive the patch's queries.
class LogMapPatch {
 public:
  LogMapPatch() = default;

  // The centre, its position and its frame (normal; tangent is theta = 0; bitangent theta = pi/2).
  const SurfacePoint& centre() const noexcept { return centre_; }
  const Vec3& centre_position() const noexcept { return centre_position_; }
  const TangentFrame& frame() const noexcept { return frame_; }
  double radius() const noexcept { return radius_; }

  // Vertices with coordinates, in the order they were settled (increasing r).
  std::span<const int> vertices() const noexcept { return settled_; }
  // Faces whose three corners have coordinates.
  std::span<const int> faces() const noexcept { return faces_; }

  // True when the vertex has coordinates in this patch.
  bool contains(int vertex) const;
  // log of a vertex: (x, y) in the centre's tangent frame, |(x, y)| = geodesic distance.
  std::optional<Eigen::Vector2d> log(int vertex) const;
  // log of a surface point on a face of the patch (linear inside the face).
  std::optional<Eigen::Vector2d> log(const SurfacePoint& point) const;
  // Geodesic distance from the centre to a vertex of the patch.
  std::optional<double> distance(int vertex) const;
  // Polar angle theta in (-pi, pi] of a vertex of the patch.
  std::optional<double> angle(int vertex) const;

  // exp: the surface point whose log is uv, or nullopt when uv falls outside the patch's faces.
  std::optional<SurfacePoint> exp(const Eigen::Vector2d& uv) const;
  // exp followed by the position on the mesh.
  std::optional<Vec3> exp_position(const Eigen::Vector2d& uv) const;

 private:
  friend class LogMap;
  enum class State : unsigned char { kFar, kFront, kSettled };
  // Which update gave a front vertex its r (its angle is computed when it is settled).
  enum class Pending : unsigned char { kNone, kStep, kUnfold };

  // One vertex reached by the propagation; nodes are stored in the order they were reached, so
  // a query touches memory in proportion to the patch, not the mesh.
  struct Node {
    Eigen::Vector2d uv = Eigen::Vector2d::Zero();          // settled: log of the vertex
    Eigen::Vector2d pending_uv = Eigen::Vector2d::Zero();  // kStep: the 2-D point reached
    double r = 0.0;                                        // geodesic distance (estimate)
    double theta = 0.0;
    double chord = 0.0;  // straight-line distance from the centre (a lower bound of r)
    std::array<int, 3> pending_face{};  // kUnfold: face, corner j, corner k
    int vertex = -1;
    int heap_position = -1;  // in the front's heap, or -1
    State state = State::kFront;
    Pending pending = Pending::kNone;
    bool locked = false;  // exact seed near the centre
  };
  const Node* node(int vertex) const;

  const LogMap* map_ = nullptr;
  SurfacePoint centre_;
  Vec3 centre_position_ = Vec3::Zero();
  TangentFrame frame_;
  double radius_ = 0.0;
  std::vector<int> local_;  // per mesh vertex: index into nodes_, or -1
  std::vector<Node> nodes_;
  std::vector<int> settled_;
  std::vector<int> faces_;
  std::vector<std::pair<double, int>> heap_;  // the front: (r, node index), see compute()
};

// The immutable part of the log map for one mesh: adjacency and vertex normals.
class LogMap {
 public:
  // Copies the mesh. Throws InputError when the mesh has no faces or a face refers to a
  // missing vertex.
  explicit LogMap(const TriangleMesh& mesh);

  // Fills patch with the log map around request.centre out to request.radius_m. Throws
  // InputError when the request is invalid (bad face, barycentric coordinates or radius).
  void compute(const LogMapRequest& request, LogMapPatch& patch) const;

  // The surface point of a vertex (one of its faces, barycentric coordinate 1 at the vertex).
  // Throws InputError when the vertex is out of range or belongs to no face.
  SurfacePoint vertex_point(int vertex) const;

  const TriangleMesh& mesh() const noexcept { return mesh_; }
  const std::vector<Vec3>& vertex_normals() const noexcept { return normals_; }

 private:
  friend class LogMapPatch;
  TriangleMesh mesh_;
  std::vector<Vec3> normals_;
  std::vector<int> face_offsets_;  // faces of vertex v: incident_[face_offsets_[v] ..)
  std::vector<int> incident_;
  std::vector<std::array<double, 3>> opposite_length_;  // per face: edge opposite each corner
  // Per entry of incident_ (vertex v, face f): the edge step's length factor towards the next and
  // the previous corner of f after v (see compute()).
  std::vector<std::array<double, 2>> step_scale_;
  double mean_edge_ = 0.0;
};

}  // namespace headspa::geometry
