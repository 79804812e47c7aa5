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

// Triangle (j, k, i) unfolded into the plane: j at the origin, k at (ljk, 0), i above the x axis
// at (xi, yi), and the virtual source -- the point at distances rj from j and rk from k on the far
// side of the edge jk -- at (xs, ys), ys < 0.
struct Unfolding {
  double ljk = 0.0, xi = 0.0, yi = 0.0, xs = 0.0, ys = 0.0;
};

// Unfolds the triangle with edge lengths ljk, lji, lki; false when no virtual source exists or
// the straight line from it to i does not cross the edge jk.
bool unfold(double ljk, double lji, double lki, double rj, double rk, Unfolding& u) {
  if (!(ljk > 0.0)) return false;
  u.ljk = ljk;
  u.xi = (lji * lji - lki * lki + ljk * ljk) / (2.0 * ljk);
  u.yi = std::sqrt(std::max(lji * lji - u.xi * u.xi, 0.0));
  u.xs = (rj * rj - rk * rk + ljk * ljk) / (2.0 * ljk);
  const double ys2 = rj * rj - u.xs * u.xs;
  if (ys2 < 0.0 || !(u.yi > 0.0)) return false;
  u.ys = -std::sqrt(ys2);
  // Where the segment from the source to i crosses the x axis.
  const double xc = u.xs + (u.xi - u.xs) * (-u.ys) / (u.yi - u.ys);
  return xc >= 0.0 && xc <= ljk;
}

double unfolded_distance(const Unfolding& u) {
  const double dx = u.xi - u.xs;
  const double dy = u.yi - u.ys;
  return std::sqrt(dx * dx + dy * dy);  // no overflow or underflow at mesh scales: no hypot
}

// theta of i: theta_j and theta_k interpolated by the angle i subtends at the virtual source.
double unfolded_angle(const Unfolding& u, double tj, double tk) {
  // Directions from the source to j, k and i all point upwards (y > 0), so the angles between
  // them are the signed angles atan2(cross, dot), in (-pi, pi).
  const double jx = -u.xs, jy = -u.ys;
  const double kx = u.ljk - u.xs, ky = -u.ys;
  const double ix = u.xi - u.xs, iy = u.yi - u.ys;
  const double span = std::atan2(jx * ky - jy * kx, jx * kx + jy * ky);  // angle j -> k
  const double part = std::atan2(jx * iy - jy * ix, jx * ix + jy * iy);  // angle j -> i
  const double fraction = std::abs(span) > 1e-15 ? part / span : 0.0;
  return wrap_angle(tj + fraction * wrap_angle(tk - tj));
}

// The linear map taking an edge leaving a vertex (unit normal n) to its step in the centre's 2-D
// coordinates: project on the vertex's tangent plane, rotate by the smallest rotation taking n to
// the centre's normal, read in the centre's frame (Schmidt, Grimm and Wyvill's discrete
// exponential map). Rows are R^T e1 and R^T e2; R^T n_c = n, so the normal part drops out.
Eigen::Matrix<double, 2, 3> transport_matrix(const Vec3& n, const TangentFrame& centre) {
  auto rotate_back = [&](const Vec3& w) {
    const double c = centre.normal.dot(n);
    if (c <= -0.999) return Vec3(w - 2.0 * w.dot(centre.normal) * centre.normal);
    const Vec3 axis = centre.normal.cross(n);
    return Vec3(w + axis.cross(w) + axis.cross(axis.cross(w)) / (1.0 + c));
  };
  Eigen::Matrix<double, 2, 3> m;
  m.row(0) = rotate_back(centre.tangent).transpose();
  m.row(1) = rotate_back(centre.bitangent).transpose();
  return m;
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
  opposite_length_.resize(mesh_.faces.size());
  for (int f = 0; f < static_cast<int>(mesh_.faces.size()); ++f) {
    for (int k = 0; k < 3; ++k) {
      opposite_length_[static_cast<std::size_t>(f)][static_cast<std::size_t>(k)] =
          (detail::corner(mesh_, f, (k + 1) % 3) - detail::corner(mesh_, f, (k + 2) % 3)).norm();
    }
  }
  // For each incident face of each vertex v and each of its other two corners x: the factor
  // |vx| / |vx projected on v's tangent plane| of the edge step (0 when the edge is along the
  // normal), so that a step costs no square root.
  step_scale_.resize(incident_.size());
  for (std::size_t v = 0; v + 1 < face_offsets_.size(); ++v) {
    for (int i = face_offsets_[v]; i < face_offsets_[v + 1]; ++i) {
      const int f = incident_[static_cast<std::size_t>(i)];
      const Face& face = mesh_.faces[static_cast<std::size_t>(f)];
      int cv = 0;
      while (face[static_cast<std::size_t>(cv)] != static_cast<int>(v)) ++cv;
      for (int step = 1; step <= 2; ++step) {
        const int cx = (cv + step) % 3;
        const int cy = 3 - cv - cx;
        const double edge_len =
            opposite_length_[static_cast<std::size_t>(f)][static_cast<std::size_t>(cy)];
        const Vec3 edge =
            mesh_.vertices[static_cast<std::size_t>(face[static_cast<std::size_t>(cx)])] -
            mesh_.vertices[v];
        const double along_normal = edge.dot(normals_[v]);
        const double projected2 = edge_len * edge_len - along_normal * along_normal;
        step_scale_[static_cast<std::size_t>(i)][static_cast<std::size_t>(step - 1)] =
            projected2 > 0.0 ? edge_len / std::sqrt(projected2) : 0.0;
      }
    }
  }
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
  using Pending = LogMapPatch::Pending;
  using Node = LogMapPatch::Node;
  const std::size_t n = mesh_.vertices.size();

  // Reset the workspace: the vertex map in full once per mesh, then only what was reached.
  if (patch.map_ != this || patch.local_.size() != n) {
    patch.local_.assign(n, -1);
  } else {
    for (const Node& node : patch.nodes_) patch.local_[static_cast<std::size_t>(node.vertex)] = -1;
  }
  patch.nodes_.clear();
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
    if (request.centre.barycentric[k] >= 1.0 - 1e-12) {
      centre_vertex = cf[static_cast<std::size_t>(k)];
    }
  }
  patch.frame_ =
      centre_vertex >= 0
          ? frame_from_normal(normals_[static_cast<std::size_t>(centre_vertex)], request.frame)
          : tangent_frame_at(mesh_, normals_, request.centre, request.frame);
  const TangentFrame& frame = patch.frame_;

  // The front: a binary heap of (r, node) with each node at most once (its position kept in the
  // node), so the heap holds the front only and a better r moves the entry up in place. Ties go
  // to the lower node index, as with a plain heap of (r, node) pairs.
  auto before = [](const std::pair<double, int>& a, const std::pair<double, int>& b) {
    return a.first < b.first || (a.first == b.first && a.second < b.second);
  };
  auto place = [&patch](std::size_t at, const std::pair<double, int>& entry) {
    patch.heap_[at] = entry;
    patch.nodes_[static_cast<std::size_t>(entry.second)].heap_position = static_cast<int>(at);
  };
  auto push = [&patch, &before, &place](double r, int node) {
    int at = patch.nodes_[static_cast<std::size_t>(node)].heap_position;
    if (at < 0) {
      at = static_cast<int>(patch.heap_.size());
      patch.heap_.emplace_back();
    }
    const std::pair<double, int> entry(r, node);  // r only ever decreases: sift up
    auto i = static_cast<std::size_t>(at);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(entry, patch.heap_[parent])) break;
      place(i, patch.heap_[parent]);
      i = parent;
    }
    place(i, entry);
  };
  auto pop = [&patch, &before, &place]() {
    const std::pair<double, int> top = patch.heap_.front();
    patch.nodes_[static_cast<std::size_t>(top.second)].heap_position = -1;
    const std::pair<double, int> last = patch.heap_.back();
    patch.heap_.pop_back();
    const std::size_t size = patch.heap_.size();
    if (size > 0) {
      std::size_t i = 0;
      while (true) {
        std::size_t child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && before(patch.heap_[child + 1], patch.heap_[child])) ++child;
        if (!before(patch.heap_[child], last)) break;
        place(i, patch.heap_[child]);
        i = child;
      }
      place(i, last);
    }
    return top;
  };
  // The node of a vertex, created on first contact.
  const Vec3& c = patch.centre_position_;
  auto node_of = [this, &patch, &c](int v) {
    int& local = patch.local_[static_cast<std::size_t>(v)];
    if (local < 0) {
      local = static_cast<int>(patch.nodes_.size());
      Node& fresh = patch.nodes_.emplace_back();
      fresh.vertex = v;
      fresh.r = std::numeric_limits<double>::infinity();
      const auto vi = static_cast<std::size_t>(v);
      fresh.chord = (mesh_.vertices[vi] - c).norm();
      // The vertex is settled later, after other work: fetch what settling it reads now. On a
      // large mesh a patch's vertices are spread over tens of megabytes of normals, incidences
      // and step factors, and waiting on them took about an eighth of the time.
      const auto first = static_cast<std::size_t>(face_offsets_[vi]);
      __builtin_prefetch(&normals_[vi]);
      __builtin_prefetch(&incident_[first]);
      __builtin_prefetch(&step_scale_[first]);
      __builtin_prefetch(&step_scale_[first] + 4);
    }
    return local;
  };
  // Exact planar polar coordinates of a vertex near the centre, locked against later updates.
  auto seed = [&](int v, double r, double theta) {
    const int id = node_of(v);
    Node& s = patch.nodes_[static_cast<std::size_t>(id)];
    if (s.locked) return;
    s.r = r;
    s.theta = theta;
    s.locked = true;
    s.pending = Pending::kNone;
    push(r, id);
  };
  auto seed_planar = [&](int v) {
    if (v == centre_vertex) return;
    const Vec3 d = mesh_.vertices[static_cast<std::size_t>(v)] - c;
    const Eigen::Vector2d local = frame.to_local(d);
    seed(v, d.norm(), local.squaredNorm() > 0.0 ? std::atan2(local.y(), local.x()) : 0.0);
  };
  if (centre_vertex >= 0) {
    const auto cv = static_cast<std::size_t>(centre_vertex);
    seed(centre_vertex, 0.0, 0.0);
    for (int i = face_offsets_[cv]; i < face_offsets_[cv + 1]; ++i) {
      for (int v : mesh_.faces[static_cast<std::size_t>(incident_[static_cast<std::size_t>(i)])]) {
        seed_planar(v);
      }
    }
  } else {
    for (int v : cf) seed_planar(v);
  }

  const double stop = request.radius_m + 2.0 * mean_edge_;
  while (!patch.heap_.empty()) {
    const auto [d, id] = pop();
    Node& settling = patch.nodes_[static_cast<std::size_t>(id)];
    if (settling.state == State::kSettled || d != settling.r) continue;  // stale entry
    if (d > stop) break;
    // The front's next vertex is most likely settled next: fetch its faces' corners and edge
    // lengths now, while this one is settled (its incidences were fetched when its node was
    // made). A patch's faces lie in rows of the mesh far apart in memory.
    if (!patch.heap_.empty()) {
      const auto next = static_cast<std::size_t>(
          patch.nodes_[static_cast<std::size_t>(patch.heap_.front().second)].vertex);
      for (int i = face_offsets_[next]; i < face_offsets_[next + 1]; ++i) {
        const auto f = static_cast<std::size_t>(incident_[static_cast<std::size_t>(i)]);
        __builtin_prefetch(&mesh_.faces[f]);
        __builtin_prefetch(&opposite_length_[f]);
      }
    }
    // The positions of this vertex's neighbours, read below for the corners not reached yet.
    {
      const auto vv = static_cast<std::size_t>(settling.vertex);
      for (int i = face_offsets_[vv]; i < face_offsets_[vv + 1]; ++i) {
        const Face& face =
            mesh_.faces[static_cast<std::size_t>(incident_[static_cast<std::size_t>(i)])];
        for (int x : face) __builtin_prefetch(&mesh_.vertices[static_cast<std::size_t>(x)]);
      }
    }

    // Settle: the angle from the winning update, the 2-D point and the transport map.
    const int v = settling.vertex;
    const auto vi = static_cast<std::size_t>(v);
    bool uv_known = false;
    if (settling.pending == Pending::kStep) {
      const Eigen::Vector2d& dir = settling.pending_uv;
      const double dir_norm = dir.norm();
      settling.theta = dir_norm > 0.0 ? std::atan2(dir.y(), dir.x()) : 0.0;
      if (dir_norm > 0.0) {
        settling.uv = (d / dir_norm) * dir;  // d (cos theta, sin theta) without the sine
        uv_known = true;
      }
    } else if (settling.pending == Pending::kUnfold) {
      const auto [f, cj, ck] = settling.pending_face;
      const auto& len = opposite_length_[static_cast<std::size_t>(f)];
      const Face& face = mesh_.faces[static_cast<std::size_t>(f)];
      auto settled_node = [&](int corner) -> const Node& {
        const auto vertex = static_cast<std::size_t>(face[static_cast<std::size_t>(corner)]);
        return patch.nodes_[static_cast<std::size_t>(patch.local_[vertex])];
      };
      const Node& nj = settled_node(cj);
      const Node& nk = settled_node(ck);
      const int ci = 3 - cj - ck;
      Unfolding u;
      unfold(len[static_cast<std::size_t>(ci)], len[static_cast<std::size_t>(ck)],
             len[static_cast<std::size_t>(cj)], nj.r, nk.r, u);
      settling.theta = unfolded_angle(u, nj.theta, nk.theta);
    }
    settling.state = State::kSettled;
    if (!uv_known) {
      settling.uv = d * Eigen::Vector2d(std::cos(settling.theta), std::sin(settling.theta));
    }
    patch.settled_.push_back(v);
    const Eigen::Vector2d uv_v = settling.uv;
    const Eigen::Matrix<double, 2, 3> transport_v = transport_matrix(normals_[vi], frame);

    for (int i = face_offsets_[vi]; i < face_offsets_[vi + 1]; ++i) {
      const int f = incident_[static_cast<std::size_t>(i)];
      const Face& face = mesh_.faces[static_cast<std::size_t>(f)];
      const auto& len = opposite_length_[static_cast<std::size_t>(f)];
      int cv = 0;
      while (face[static_cast<std::size_t>(cv)] != v) ++cv;
      // The other two corners' nodes (-1: not reached yet), looked up once per face.
      std::array<int, 3> ids{};
      std::array<bool, 3> settled{};
      for (int k = 1; k <= 2; ++k) {
        const auto ck = static_cast<std::size_t>((cv + k) % 3);
        ids[ck] = patch.local_[static_cast<std::size_t>(face[ck])];
        settled[ck] = ids[ck] >= 0 &&
                      patch.nodes_[static_cast<std::size_t>(ids[ck])].state == State::kSettled;
      }
      // A face joins the patch when its last corner settles; then it has nothing to update.
      if (settled[static_cast<std::size_t>((cv + 1) % 3)] &&
          settled[static_cast<std::size_t>((cv + 2) % 3)]) {
        patch.faces_.push_back(f);
        continue;
      }
      // Update the unsettled corners of this face.
      for (int step = 1; step <= 2; ++step) {
        const int cx = (cv + step) % 3;
        const int cy = 3 - cv - cx;
        const int x = face[static_cast<std::size_t>(cx)];
        int xid = ids[static_cast<std::size_t>(cx)];
        if (settled[static_cast<std::size_t>(cx)] ||
            (xid >= 0 && patch.nodes_[static_cast<std::size_t>(xid)].locked)) {
          continue;
        }
        // Every update below gives r >= max(d, chord): skip an existing node already at or
        // below that bound (the same outcome, without the unfolding).
        // Nothing at r > stop is ever settled: corners that far need no node and no update.
        if (xid < 0) {
          if ((mesh_.vertices[static_cast<std::size_t>(x)] - c).squaredNorm() > stop * stop) {
            continue;
          }
          xid = node_of(x);
          ids[static_cast<std::size_t>(cx)] = xid;
        } else if (patch.nodes_[static_cast<std::size_t>(xid)].r <=
                   std::max(d, patch.nodes_[static_cast<std::size_t>(xid)].chord)) {
          continue;
        }
        const double chord_x = patch.nodes_[static_cast<std::size_t>(xid)].chord;
        const bool y_settled = settled[static_cast<std::size_t>(cy)];
        const double ry =
            y_settled ? patch.nodes_[static_cast<std::size_t>(ids[static_cast<std::size_t>(cy)])].r
                      : 0.0;
        const double edge_len = len[static_cast<std::size_t>(cy)];  // |v x|
        Unfolding u;
        if (y_settled && unfold(len[static_cast<std::size_t>(cx)], edge_len,
                                len[static_cast<std::size_t>(cv)], d, ry, u)) {
          // Never below the settled front (keeps the order monotone, as in Dijkstra) nor below
          // the straight-line distance from the centre (a geodesic is never shorter): bad
          // triangles of a raw scan cannot make the front leak across the mesh.
          const double r = std::max({unfolded_distance(u), d, chord_x});
          Node& nx = patch.nodes_[static_cast<std::size_t>(xid)];
          if (r < nx.r && r <= stop) {
            nx.r = r;
            nx.pending = Pending::kUnfold;
            nx.pending_face = {f, cv, cy};
            push(r, xid);
          }
          continue;
        }
        // One settled corner: the transported edge step; r kept between the settled front and
        // the triangle inequality.
        const double scale =
            step_scale_[static_cast<std::size_t>(i)][static_cast<std::size_t>(step - 1)];
        if (!(scale > 0.0)) continue;
        const Vec3 edge = mesh_.vertices[static_cast<std::size_t>(x)] - mesh_.vertices[vi];
        const Eigen::Vector2d uv = uv_v + scale * (transport_v * edge);
        Node& nx = patch.nodes_[static_cast<std::size_t>(xid)];
        // No square root when the step cannot improve r (r below is at least min(|uv|, d + |vx|)).
        if (d + edge_len >= nx.r && uv.squaredNorm() >= nx.r * nx.r) continue;
        const double r = std::max({std::min(uv.norm(), d + edge_len), d, chord_x});
        if (r < nx.r && r <= stop) {
          nx.r = r;
          nx.pending = Pending::kStep;
          nx.pending_uv = uv;
          push(r, xid);
        }
      }
    }
  }
}

const LogMapPatch::Node* LogMapPatch::node(int vertex) const {
  if (vertex < 0 || static_cast<std::size_t>(vertex) >= local_.size()) return nullptr;
  const int id = local_[static_cast<std::size_t>(vertex)];
  return id < 0 ? nullptr : &nodes_[static_cast<std::size_t>(id)];
}

bool LogMapPatch::contains(int vertex) const {
  const Node* nd = node(vertex);
  return nd != nullptr && nd->state == State::kSettled;
}

std::optional<Eigen::Vector2d> LogMapPatch::log(int vertex) const {
  if (!contains(vertex)) return std::nullopt;
  return nodes_[static_cast<std::size_t>(local_[static_cast<std::size_t>(vertex)])].uv;
}

std::optional<double> LogMapPatch::distance(int vertex) const {
  if (!contains(vertex)) return std::nullopt;
  return nodes_[static_cast<std::size_t>(local_[static_cast<std::size_t>(vertex)])].r;
}

std::optional<double> LogMapPatch::angle(int vertex) const {
  if (!contains(vertex)) return std::nullopt;
  return nodes_[static_cast<std::size_t>(local_[static_cast<std::size_t>(vertex)])].theta;
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
    uv += point.barycentric[k] *
          nodes_[static_cast<std::size_t>(local_[static_cast<std::size_t>(v)])].uv;
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
    // Corners of a patch face are always in the patch.
    auto uv_of = [this](int v) -> const Eigen::Vector2d& {
      return nodes_[static_cast<std::size_t>(local_[static_cast<std::size_t>(v)])].uv;
    };
    const Eigen::Vector2d& a = uv_of(face[0]);
    const Eigen::Vector2d& b = uv_of(face[1]);
    const Eigen::Vector2d& c = uv_of(face[2]);
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
