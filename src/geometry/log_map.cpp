#include "headspa/geometry/log_map.hpp"

#include "headspa/core/error.hpp"
#include "numerics_detail.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

namespace headspa::geometry {

bool LogMapRequest::IsValid(std::string* why) const {
  auto fail = [why](const std::string& message) {
    if (why != nullptr) *why = message;
    return false;
  };
  if (!centre.IsValid()) {
    return fail("centre must name a face with barycentric coordinates >= 0 summing to 1");
  }
  if (!(radius_m > 0.0) || !std::isfinite(radius_m)) return fail("radius_m must be finite and > 0");
  std::string frame_why;
  if (!frame.IsValid(&frame_why)) return fail("frame: " + frame_why);
  return true;
}

namespace {

constexpr double kPi = std::numbers::pi;

double wrap_angle(double a) {
  a = std::remainder(a, 2.0 * kPi);  // in [-pi, pi]
  return a <= -kPi ? a + 2.0 * kPi : a;
}

struct Candidate {
  double r = std::numeric_limits<double>::infinity();
  double theta = 0.0;
};

// Unfolds triangle (j, k, i) into the plane with j, k settled at geodesic polar coordinates
// (rj, tj), (rk, tk): the virtual source lies at distances rj from j and rk from k on the far
// side of edge jk from i. Returns false when no virtual source exists or the straight line from
// it to i does not cross the edge jk.
bool unfold(const Vec3& pj, const Vec3& pk, const Vec3& pi, double rj, double tj, double rk,
            double tk, Candidate& out) {
  const double ljk = (pk - pj).norm();
  const double lji = (pi - pj).norm();
  const double lki = (pi - pk).norm();
  if (!(ljk > 0.0)) return false;
  // i in the plane: j at the origin, k at (ljk, 0), i above the x axis.
  const double xi = (lji * lji - lki * lki + ljk * ljk) / (2.0 * ljk);
  const double yi = std::sqrt(std::max(lji * lji - xi * xi, 0.0));
  // Virtual source below the x axis.
  const double xs = (rj * rj - rk * rk + ljk * ljk) / (2.0 * ljk);
  const double ys2 = rj * rj - xs * xs;
  if (ys2 < 0.0 || !(yi > 0.0)) return false;
  const double ys = -std::sqrt(ys2);
  // Where the segment from the source to i crosses the x axis.
  const double xc = xs + (xi - xs) * (-ys) / (yi - ys);
  if (xc < 0.0 || xc > ljk) return false;
  const double dx = xi - xs;
  const double dy = yi - ys;
  out.r = std::hypot(dx, dy);
  // Angles at the virtual source: towards j, towards k, towards i.
  const double aj = std::atan2(-ys, -xs);
  const double ak = std::atan2(-ys, ljk - xs);
  const double ai = std::atan2(dy, dx);
  const double span = ak - aj;  // j -> k, in (-pi, pi): both directions point upwards
  const double fraction = std::abs(span) > 1e-15 ? (ai - aj) / span : 0.0;
  out.theta = wrap_angle(tj + fraction * wrap_angle(tk - tj));
  return true;
}

// The edge from p (unit normal n) to x, projected on p's tangent plane with its length kept,
// rotated by the smallest rotation taking n to the centre's normal, in the centre's frame
// (the update of Schmidt, Grimm and Wyvill's discrete exponential map).
Eigen::Vector2d transported_step(const Vec3& p, const Vec3& n, const Vec3& x,
                                 const TangentFrame& centre) {
  const Vec3 edge = x - p;
  Vec3 w = edge - edge.dot(n) * n;
  const double len = w.norm();
  if (!(len > 0.0)) return Eigen::Vector2d::Zero();
  w *= edge.norm() / len;
  const double c = n.dot(centre.normal);
  if (c > -0.999) {
    const Vec3 axis = n.cross(centre.normal);
    w += axis.cross(w) + axis.cross(axis.cross(w)) / (1.0 + c);
  }
  return centre.to_local(w);
}

}  // namespace

LogMap::LogMap(const TriangleMesh& mesh) : mesh_(mesh) {
  const int n = static_cast<int>(mesh_.vertices.size());
  if (mesh_.faces.empty()) throw InputError("log map: the mesh has no faces");
  for (const Face& f : mesh_.faces) {
    for (int v : f) {
      if (v < 0 || v >= n) throw InputError("log map: a face refers to a missing vertex");
    }
  }
  normals_ = detail::angle_weighted_normals(mesh_);
  detail::VertexFaces vf = detail::vertex_faces(mesh_);
  face_offsets_ = std::move(vf.offsets);
  incident_ = std::move(vf.faces);
  mean_edge_ = mean_edge_length(mesh_);
}

SurfacePoint LogMap::vertex_point(int vertex) const {
  if (vertex < 0 || vertex >= static_cast<int>(mesh_.vertices.size())) {
    throw InputError("log map: vertex " + std::to_string(vertex) + " is out of range");
  }
  const auto v = static_cast<std::size_t>(vertex);
  if (face_offsets_[v] == face_offsets_[v + 1]) {
    throw InputError("log map: vertex " + std::to_string(vertex) + " belongs to no face");
  }
  SurfacePoint p;
  p.face = incident_[static_cast<std::size_t>(face_offsets_[v])];
  const Face& f = mesh_.faces[static_cast<std::size_t>(p.face)];
  p.barycentric.setZero();
  for (int k = 0; k < 3; ++k) {
    if (f[static_cast<std::size_t>(k)] == vertex) p.barycentric[k] = 1.0;
  }
  return p;
}

void LogMap::compute(const LogMapRequest& request, LogMapPatch& patch) const {
  std::string why;
  if (!request.IsValid(&why)) throw InputError("LogMapRequest: " + why);
  if (request.centre.face >= static_cast<int>(mesh_.faces.size())) {
    throw InputError("LogMapRequest: centre.face is out of range");
  }
  using State = LogMapPatch::State;
  const std::size_t n = mesh_.vertices.size();

  // Reset the workspace: full size once per mesh, then only what the last query touched.
  if (patch.map_ != this || patch.r_.size() != n) {
    patch.r_.assign(n, std::numeric_limits<double>::infinity());
    patch.theta_.assign(n, 0.0);
    patch.uv_.assign(n, Eigen::Vector2d::Zero());
    patch.state_.assign(n, State::kFar);
    patch.locked_.assign(n, 0);
    patch.face_seen_.assign(mesh_.faces.size(), 0);
    patch.touched_.clear();
    patch.faces_.clear();
  }
  for (int v : patch.touched_) {
    const auto vi = static_cast<std::size_t>(v);
    patch.r_[vi] = std::numeric_limits<double>::infinity();
    patch.state_[vi] = State::kFar;
    patch.locked_[vi] = 0;
  }
  for (int f : patch.faces_) patch.face_seen_[static_cast<std::size_t>(f)] = 0;
  patch.touched_.clear();
  patch.settled_.clear();
  patch.faces_.clear();
  patch.heap_.clear();
  patch.map_ = this;
  patch.centre_ = request.centre;
  patch.radius_ = request.radius_m;
  patch.centre_position_ = position(mesh_, request.centre);

  const Face& cf = mesh_.faces[static_cast<std::size_t>(request.centre.face)];
  int centre_vertex = -1;
  for (int k = 0; k < 3; ++k) {
    if (request.centre.barycentric[k] >= 1.0 - 1e-12)
      centre_vertex = cf[static_cast<std::size_t>(k)];
  }
  patch.frame_ =
      centre_vertex >= 0
          ? frame_from_normal(normals_[static_cast<std::size_t>(centre_vertex)], request.frame)
          : tangent_frame_at(mesh_, normals_, request.centre, request.frame);
  const TangentFrame& frame = patch.frame_;
  const Vec3& c = patch.centre_position_;

  auto heap_greater = std::greater<std::pair<double, int>>();
  auto push = [&patch, &heap_greater](double r, int v) {
    patch.heap_.emplace_back(r, v);
    std::push_heap(patch.heap_.begin(), patch.heap_.end(), heap_greater);
  };
  auto touch = [&patch](int v) {
    if (patch.state_[static_cast<std::size_t>(v)] == State::kFar) patch.touched_.push_back(v);
  };
  // Exact planar polar coordinates of a vertex near the centre, locked against later updates.
  auto seed = [&](int v) {
    const auto vi = static_cast<std::size_t>(v);
    if (patch.locked_[vi] != 0 || v == centre_vertex) return;
    const Vec3 d = mesh_.vertices[vi] - c;
    const Eigen::Vector2d local = frame.to_local(d);
    touch(v);
    patch.r_[vi] = d.norm();
    patch.theta_[vi] = local.squaredNorm() > 0.0 ? std::atan2(local.y(), local.x()) : 0.0;
    patch.state_[vi] = State::kFront;
    patch.locked_[vi] = 1;
    push(patch.r_[vi], v);
  };
  if (centre_vertex >= 0) {
    const auto cv = static_cast<std::size_t>(centre_vertex);
    touch(centre_vertex);
    patch.r_[cv] = 0.0;
    patch.theta_[cv] = 0.0;
    patch.state_[cv] = State::kFront;
    patch.locked_[cv] = 1;
    push(0.0, centre_vertex);
    for (int i = face_offsets_[cv]; i < face_offsets_[cv + 1]; ++i) {
      for (int v : mesh_.faces[static_cast<std::size_t>(incident_[static_cast<std::size_t>(i)])])
        seed(v);
    }
  } else {
    for (int v : cf) seed(v);
  }

  const double stop = request.radius_m + 2.0 * mean_edge_;
  while (!patch.heap_.empty()) {
    std::pop_heap(patch.heap_.begin(), patch.heap_.end(), heap_greater);
    const auto [d, v] = patch.heap_.back();
    patch.heap_.pop_back();
    const auto vi = static_cast<std::size_t>(v);
    if (patch.state_[vi] == State::kSettled || d != patch.r_[vi]) continue;  // stale entry
    if (d > stop) break;
    patch.state_[vi] = State::kSettled;
    patch.uv_[vi] = d * Eigen::Vector2d(std::cos(patch.theta_[vi]), std::sin(patch.theta_[vi]));
    patch.settled_.push_back(v);

    for (int i = face_offsets_[vi]; i < face_offsets_[vi + 1]; ++i) {
      const int f = incident_[static_cast<std::size_t>(i)];
      const Face& face = mesh_.faces[static_cast<std::size_t>(f)];
      int settled_corners = 0;
      for (int w : face)
        settled_corners += patch.state_[static_cast<std::size_t>(w)] == State::kSettled;
      if (settled_corners == 3 && patch.face_seen_[static_cast<std::size_t>(f)] == 0) {
        patch.face_seen_[static_cast<std::size_t>(f)] = 1;
        patch.faces_.push_back(f);
      }
      // Update the two other corners of this face.
      for (int k = 0; k < 3; ++k) {
        const int x = face[static_cast<std::size_t>(k)];
        const auto xi = static_cast<std::size_t>(x);
        if (x == v || patch.state_[xi] == State::kSettled || patch.locked_[xi] != 0) continue;
        int y = face[static_cast<std::size_t>((k + 1) % 3)];
        if (y == v) y = face[static_cast<std::size_t>((k + 2) % 3)];
        const auto yi = static_cast<std::size_t>(y);
        const Vec3& px = mesh_.vertices[xi];
        Candidate best;
        if (patch.state_[yi] != State::kSettled ||
            !unfold(mesh_.vertices[vi], mesh_.vertices[yi], px, patch.r_[vi], patch.theta_[vi],
                    patch.r_[yi], patch.theta_[yi], best)) {
          // One settled corner: step from v along the edge, carried into the centre's plane.
          const Eigen::Vector2d step =
              transported_step(mesh_.vertices[vi], normals_[vi], px, frame);
          const Eigen::Vector2d uv = patch.uv_[vi] + step;
          best.r = uv.norm();
          best.theta = best.r > 0.0 ? std::atan2(uv.y(), uv.x()) : 0.0;
        }
        if (best.r < patch.r_[xi]) {
          touch(x);
          patch.r_[xi] = best.r;
          patch.theta_[xi] = best.theta;
          patch.state_[xi] = State::kFront;
          push(best.r, x);
        }
      }
    }
  }
}

bool LogMapPatch::contains(int vertex) const {
  return map_ != nullptr && vertex >= 0 && static_cast<std::size_t>(vertex) < state_.size() &&
         state_[static_cast<std::size_t>(vertex)] == State::kSettled;
}

std::optional<Eigen::Vector2d> LogMapPatch::log(int vertex) const {
  if (!contains(vertex)) return std::nullopt;
  return uv_[static_cast<std::size_t>(vertex)];
}

std::optional<double> LogMapPatch::distance(int vertex) const {
  if (!contains(vertex)) return std::nullopt;
  return r_[static_cast<std::size_t>(vertex)];
}

std::optional<double> LogMapPatch::angle(int vertex) const {
  if (!contains(vertex)) return std::nullopt;
  return theta_[static_cast<std::size_t>(vertex)];
}

std::optional<Eigen::Vector2d> LogMapPatch::log(const SurfacePoint& point) const {
  if (map_ == nullptr || point.face < 0 ||
      point.face >= static_cast<int>(map_->mesh_.faces.size())) {
    return std::nullopt;
  }
  const Face& f = map_->mesh_.faces[static_cast<std::size_t>(point.face)];
  Eigen::Vector2d uv = Eigen::Vector2d::Zero();
  for (int k = 0; k < 3; ++k) {
    const int v = f[static_cast<std::size_t>(k)];
    if (!contains(v)) return std::nullopt;
    uv += point.barycentric[k] * uv_[static_cast<std::size_t>(v)];
  }
  return uv;
}

std::optional<SurfacePoint> LogMapPatch::exp(const Eigen::Vector2d& uv) const {
  if (map_ == nullptr) return std::nullopt;
  // The face whose 2-D image contains uv; on an edge, the first face found.
  SurfacePoint best;
  double best_margin = -1e-9;
  for (int f : faces_) {
    const Face& face = map_->mesh_.faces[static_cast<std::size_t>(f)];
    const Eigen::Vector2d& a = uv_[static_cast<std::size_t>(face[0])];
    const Eigen::Vector2d& b = uv_[static_cast<std::size_t>(face[1])];
    const Eigen::Vector2d& c = uv_[static_cast<std::size_t>(face[2])];
    const Eigen::Vector2d ab = b - a;
    const Eigen::Vector2d ac = c - a;
    const double det = ab.x() * ac.y() - ab.y() * ac.x();
    if (det == 0.0) continue;
    const Eigen::Vector2d ap = uv - a;
    const double s = (ap.x() * ac.y() - ap.y() * ac.x()) / det;
    const double t = (ab.x() * ap.y() - ab.y() * ap.x()) / det;
    const double margin = std::min({1.0 - s - t, s, t});
    if (margin > best_margin) {
      best_margin = margin;
      best.face = f;
      best.barycentric = Eigen::Vector3d(1.0 - s - t, s, t);
      if (margin >= 0.0) break;
    }
  }
  if (best.face < 0) return std::nullopt;
  best.barycentric = best.barycentric.cwiseMax(0.0);
  best.barycentric /= best.barycentric.sum();
  return best;
}

std::optional<Vec3> LogMapPatch::exp_position(const Eigen::Vector2d& uv) const {
  const std::optional<SurfacePoint> p = exp(uv);
  if (!p) return std::nullopt;
  return position(map_->mesh_, *p);
}

}  // namespace headspa::geometry
