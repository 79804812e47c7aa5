// Pose from shape: symmetry plane, nose, up, then a template fit.
#include "pose.hpp"

#include <Eigen/Geometry>
#include <Eigen/SVD>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <sstream>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/core/log.hpp"
#include "point_index.hpp"

namespace headspa::anatomy::detail {

using Vec3 = Eigen::Vector3d;  // as in default_head_shape.hpp (the two may share a unit)

namespace {

using geometry::TriangleMesh;

// The nose's cap must be this many times smaller than a typical extremity's cap.
constexpr double kMinNoseSharpness = 3.0;

struct Samples {
  std::vector<Vec3> points;
  std::vector<double> weights;
  Vec3 centre = Vec3::Zero();
  double rms_radius = 0;
};

// Every k-th vertex with its area, so that results do not depend on how dense the mesh is.
Samples area_samples(const TriangleMesh& mesh, const std::vector<double>& areas, int max_count) {
  Samples s;
  const int n = static_cast<int>(mesh.vertices.size());
  const int stride = std::max(1, n / max_count);
  double total = 0;
  for (int v = 0; v < n; ++v) {
    total += areas[static_cast<std::size_t>(v)];
    s.centre += areas[static_cast<std::size_t>(v)] * mesh.vertices[static_cast<std::size_t>(v)];
  }
  s.centre /= total;
  double sq = 0;
  for (int v = 0; v < n; ++v) {
    sq += areas[static_cast<std::size_t>(v)] *
          (mesh.vertices[static_cast<std::size_t>(v)] - s.centre).squaredNorm();
  }
  s.rms_radius = std::sqrt(sq / total);
  for (int v = 0; v < n; v += stride) {
    s.points.push_back(mesh.vertices[static_cast<std::size_t>(v)]);
    s.weights.push_back(areas[static_cast<std::size_t>(v)]);
  }
  return s;
}

// Nearest-neighbour queries for the pose search and the template fits: the k-d tree of
// PointIndex (the same splits and the same visiting order, hence the same answers), stored flat
// with the points in tree order and searched without recursion. A query may name a hint, a
// point near the answer (an ICP iteration moves the points little, so the previous iteration's
// match): the hint and its kNeighbours nearest points are tried first, and when the best of them
// is closer to the query than anything beyond that neighbourhood can be (triangle inequality)
// and has no tie, it is the answer without a search. Otherwise the full search runs, so the
// answer is always the one the full search gives.
class MatchIndex {
 public:
  explicit MatchIndex(std::vector<Vec3> points) : points_(std::move(points)) {
    order_.resize(points_.size());
    std::iota(order_.begin(), order_.end(), 0);
    nodes_.reserve(2 * points_.size() / kKdLeafSize + 2);
    if (!points_.empty()) {
      build_kd_tree(points_, order_, nodes_, 0, static_cast<int>(points_.size()));
    }
    sorted_.reserve(points_.size());
    for (int i : order_) sorted_.push_back(points_[static_cast<std::size_t>(i)]);
  }

  // Enables queries with a hint: each point's kNeighbours nearest other points are then found
  // the first time the point is a hint, and kept.
  void prepare_hints() {
    const std::size_t n = points_.size();
    if (n <= static_cast<std::size_t>(kNeighbours)) return;
    neighbours_.resize(n * kNeighbours);
    reach_.assign(n, -1.0);  // -1: not found yet
  }

  // Index of the nearest point (-1 when empty) and its squared distance; `hint` (or -1) is a
  // point to start from.
  int nearest(const Vec3& q, int hint, double* dist_sq = nullptr) const {
    if (hint >= 0 && !reach_.empty()) {
      const auto h = static_cast<std::size_t>(hint);
      if (reach_[h] < 0.0) {
        reach_[h] = std::sqrt(k_nearest(points_[h], hint, neighbours_.data() + h * kNeighbours));
      }
      const double to_hint = (points_[h] - q).squaredNorm();
      int best = hint;
      double best_d = to_hint;
      bool tie = false;
      for (int k = 0; k < kNeighbours; ++k) {
        const int j = neighbours_[h * kNeighbours + static_cast<std::size_t>(k)];
        const double d = (points_[static_cast<std::size_t>(j)] - q).squaredNorm();
        if (d < best_d) {
          best_d = d;
          best = j;
          tie = false;
        } else if (d == best_d) {
          tie = true;
        }
      }
      // Every point outside the neighbourhood is at least reach from the hint, so at least
      // reach - |q - hint| from q.
      const double outside = reach_[h] - std::sqrt(to_hint);
      if (!tie && outside > 0.0 && best_d < 0.999 * outside * outside) {
        if (dist_sq) *dist_sq = best_d;
        return best;
      }
    }
    double best_d = std::numeric_limits<double>::infinity();
    const int best = search(q, best_d);
    if (dist_sq) *dist_sq = best_d;
    return best;
  }

  const Vec3& point(int i) const { return points_[static_cast<std::size_t>(i)]; }

 private:
  static constexpr int kNeighbours = 16;

  // PointIndex's search: the first point found at the smallest squared distance (best_d).
  int search(const Vec3& q, double& best_d) const {
    int best = -1;
    if (nodes_.empty()) return best;
    // Far children wait on the stack with the split distance that decides whether to enter
    // (uninitialised: a query must not pay for clearing it).
    int stack_node[64];
    double stack_gap[64];
    int top = 0;
    stack_node[top] = 0;
    stack_gap[top++] = -1.0;
    while (top > 0) {
      --top;
      if (stack_gap[top] >= best_d) continue;
      const KdNode& n = nodes_[static_cast<std::size_t>(stack_node[top])];
      if (n.axis < 0) {
        for (int i = n.begin; i < n.end; ++i) {
          const double d = (sorted_[static_cast<std::size_t>(i)] - q).squaredNorm();
          if (d < best_d) {
            best_d = d;
            best = order_[static_cast<std::size_t>(i)];
          }
        }
        continue;
      }
      const double delta = q[n.axis] - n.split;
      stack_node[top] = delta < 0 ? n.right : n.left;
      stack_gap[top++] = delta * delta;
      stack_node[top] = delta < 0 ? n.left : n.right;
      stack_gap[top++] = -1.0;
    }
    return best;
  }

  // The kNeighbours points nearest to q other than `skip`, into out; returns the squared
  // distance of the last of them.
  double k_nearest(const Vec3& q, int skip, int* out) const {
    std::array<double, kNeighbours> d;
    d.fill(std::numeric_limits<double>::infinity());
    std::array<int, kNeighbours> id;
    id.fill(-1);
    int stack_node[64];
    double stack_gap[64];
    int top = 0;
    stack_node[top] = 0;
    stack_gap[top++] = -1.0;
    while (top > 0) {
      --top;
      if (stack_gap[top] >= d.back()) continue;
      const KdNode& n = nodes_[static_cast<std::size_t>(stack_node[top])];
      if (n.axis < 0) {
        for (int i = n.begin; i < n.end; ++i) {
          const int p = order_[static_cast<std::size_t>(i)];
          const double di = (sorted_[static_cast<std::size_t>(i)] - q).squaredNorm();
          if (p == skip || !(di < d.back())) continue;
          std::size_t at = kNeighbours - 1;
          for (; at > 0 && d[at - 1] > di; --at) {
            d[at] = d[at - 1];
            id[at] = id[at - 1];
          }
          d[at] = di;
          id[at] = p;
        }
        continue;
      }
      const double delta = q[n.axis] - n.split;
      stack_node[top] = delta < 0 ? n.right : n.left;
      stack_gap[top++] = delta * delta;
      stack_node[top] = delta < 0 ? n.left : n.right;
      stack_gap[top++] = -1.0;
    }
    std::copy(id.begin(), id.end(), out);
    return d.back();
  }

  std::vector<Vec3> points_;
  std::vector<Vec3> sorted_;  // points_ in tree order
  std::vector<int> order_;
  std::vector<KdNode> nodes_;
  // Filled on demand by const queries (an index serves one thread).
  mutable std::vector<int> neighbours_;  // kNeighbours per point (prepare_hints)
  mutable std::vector<double> reach_;    // per point: the distance to its farthest neighbour
};

// Mean distance between the mirrored samples and the surface points, capped.
double mirror_mismatch(const Samples& s, const MatchIndex& index, const Vec3& n, double offset) {
  const double cap = 0.1 * s.rms_radius;
  double sum = 0, wsum = 0;
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const Vec3& p = s.points[i];
    const Vec3 r = p - 2.0 * (n.dot(p) - offset) * n;
    double d2 = 0;
    index.nearest(r, -1, &d2);
    sum += s.weights[i] * std::min(std::sqrt(d2), cap);
    wsum += s.weights[i];
  }
  return sum / wsum;
}

Vec3 rotate(const Vec3& v, const Vec3& axis, double angle) {
  return Eigen::AngleAxisd(angle, axis.normalized()) * v;
}

struct Plane {
  Vec3 normal;
  double offset;
  double mismatch;
};

Plane find_symmetry_plane(const Samples& coarse, const MatchIndex& index) {
  // Candidate normals: a Fibonacci half-sphere.
  std::vector<Plane> candidates;
  const int count = 160;
  const double golden = std::numbers::pi * (3.0 - std::sqrt(5.0));
  for (int i = 0; i < count; ++i) {
    const double z = 1.0 - (static_cast<double>(i) + 0.5) / count;  // (0, 1]
    const double r = std::sqrt(std::max(0.0, 1.0 - z * z));
    const Vec3 n(r * std::cos(golden * i), r * std::sin(golden * i), z);
    const double offset = n.dot(coarse.centre);
    candidates.push_back(Plane{n, offset, mirror_mismatch(coarse, index, n, offset)});
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Plane& a, const Plane& b) { return a.mismatch < b.mismatch; });
  // Refine the best few distinct candidates by pattern search on (normal, offset).
  std::vector<Plane> seeds;
  for (const Plane& c : candidates) {
    bool distinct = true;
    for (const Plane& s : seeds) distinct = distinct && std::abs(s.normal.dot(c.normal)) < 0.95;
    if (distinct) seeds.push_back(c);
    if (seeds.size() == 3) break;
  }
  Plane best{Vec3::UnitX(), 0, std::numeric_limits<double>::infinity()};
  for (Plane p : seeds) {
    double step = 3.0 * std::numbers::pi / 180.0;
    double offset_step = 0.03 * coarse.rms_radius;
    while (step > 0.4 * std::numbers::pi / 180.0) {
      bool improved = false;
      const Vec3 a = p.normal.unitOrthogonal();
      const Vec3 b = p.normal.cross(a);
      const Vec3 trial_normals[4] = {rotate(p.normal, a, step), rotate(p.normal, a, -step),
                                     rotate(p.normal, b, step), rotate(p.normal, b, -step)};
      for (const Vec3& n : trial_normals) {
        const double off = p.offset + (n - p.normal).dot(coarse.centre);
        const double m = mirror_mismatch(coarse, index, n, off);
        if (m < p.mismatch) {
          p = Plane{n, off, m};
          improved = true;
        }
      }
      for (double d : {offset_step, -offset_step}) {
        const double m = mirror_mismatch(coarse, index, p.normal, p.offset + d);
        if (m < p.mismatch) {
          p.offset += d;
          p.mismatch = m;
          improved = true;
        }
      }
      if (!improved) {
        step *= 0.5;
        offset_step *= 0.5;
      }
    }
    if (p.mismatch < best.mismatch) best = p;
  }
  return best;
}

// The nose: the sharpest extremity seen from directions in the mid-sagittal plane. For each
// direction, the area of surface within `band` of the supporting plane is small only at a
// pointed feature; the nose is the most pointed one on the midline.
struct NoseTip {
  int vertex = -1;
  Vec3 direction = Vec3::Zero();  // the direction from which it is the sharpest extremity
  double sharpness = 0;           // median cap area over the nose's cap area (1 for a sphere)
};

NoseTip find_nose_tip(const TriangleMesh& mesh, const std::vector<double>& areas,
                      const std::vector<char>& near_boundary, const Plane& plane, double band) {
  const Vec3 e1 = plane.normal.unitOrthogonal();
  const Vec3 e2 = plane.normal.cross(e1);
  const int steps = 120;
  std::vector<double> cap_area(steps, std::numeric_limits<double>::infinity());
  std::vector<int> support(steps, -1);
  const int n = static_cast<int>(mesh.vertices.size());
  std::vector<double> proj(static_cast<std::size_t>(n));
  for (int k = 0; k < steps; ++k) {
    const double a = 2.0 * std::numbers::pi * k / steps;
    const Vec3 d = std::cos(a) * e1 + std::sin(a) * e2;
    int arg = 0;
    double h = -std::numeric_limits<double>::infinity();
    for (int v = 0; v < n; ++v) {
      proj[static_cast<std::size_t>(v)] = d.dot(mesh.vertices[static_cast<std::size_t>(v)]);
      if (proj[static_cast<std::size_t>(v)] > h) {
        h = proj[static_cast<std::size_t>(v)];
        arg = v;
      }
    }
    support[static_cast<std::size_t>(k)] = arg;
    if (near_boundary[static_cast<std::size_t>(arg)]) continue;
    // Only features near the mid-sagittal plane can be the nose.
    const double off_plane =
        std::abs(plane.normal.dot(mesh.vertices[static_cast<std::size_t>(arg)]) - plane.offset);
    if (off_plane > 2.0 * band) continue;
    double area = 0;
    for (int v = 0; v < n; ++v) {
      if (proj[static_cast<std::size_t>(v)] > h - band) area += areas[static_cast<std::size_t>(v)];
    }
    cap_area[static_cast<std::size_t>(k)] = area;
  }
  // Smooth over neighbouring directions so that a single lucky direction does not win.
  int best = -1;
  double best_area = std::numeric_limits<double>::infinity();
  for (int k = 0; k < steps; ++k) {
    double sum = 0;
    for (int j = -2; j <= 2; ++j)
      sum += cap_area[static_cast<std::size_t>((k + j + steps) % steps)];
    if (sum < best_area) {
      best_area = sum;
      best = k;
    }
  }
  if (best < 0 || !std::isfinite(best_area)) return NoseTip{};
  std::vector<double> finite;
  for (double c : cap_area) {
    if (std::isfinite(c)) finite.push_back(c);
  }
  std::nth_element(finite.begin(), finite.begin() + static_cast<long>(finite.size() / 2),
                   finite.end());
  const double median = finite[finite.size() / 2];
  const double a = 2.0 * std::numbers::pi * best / steps;
  return NoseTip{support[static_cast<std::size_t>(best)], std::cos(a) * e1 + std::sin(a) * e2,
                 median / std::max(best_area / 5.0, 1e-300)};
}

// ICP of the scan points onto the template at a fixed scale (the size-based estimate in
// `initial`): rotation and translation only, since a free scale lets trimmed ICP shrink the scan
// into the template.
struct TemplateFit {
  Eigen::Matrix4d transform;
  double rms_m = 0;  // RMS distance of the kept matches, template metres
};

TemplateFit fit_template(const std::vector<Vec3>& scan_points, const MatchIndex& templ_index,
                         const Eigen::Matrix4d& initial, int iterations) {
  Eigen::Matrix4d current = initial;
  double rms = std::numeric_limits<double>::infinity();
  const double scale = initial.block<3, 1>(0, 0).norm();
  std::vector<int> match(scan_points.size(), -1);  // also the next iteration's hints
  for (int iter = 0; iter < iterations; ++iter) {
    std::vector<std::pair<double, int>> dist(scan_points.size());
    std::vector<Vec3> moved(scan_points.size());
    for (std::size_t i = 0; i < scan_points.size(); ++i) {
      moved[i] = current.block<3, 3>(0, 0) * scan_points[i] + current.block<3, 1>(0, 3);
      double d2 = 0;
      match[i] = templ_index.nearest(moved[i], match[i], &d2);
      dist[i] = {d2, static_cast<int>(i)};
    }
    // Trimmed: the best 80 % of matches (scans have extra parts, the template has a neck).
    std::sort(dist.begin(), dist.end());
    const std::size_t keep = std::max<std::size_t>(10, dist.size() * 8 / 10);
    double sum_sq = 0;
    for (std::size_t j = 0; j < keep; ++j) sum_sq += dist[j].first;
    rms = std::sqrt(sum_sq / static_cast<double>(keep));
    Eigen::Matrix3Xd src(3, static_cast<Eigen::Index>(keep));
    Eigen::Matrix3Xd dst(3, static_cast<Eigen::Index>(keep));
    for (std::size_t j = 0; j < keep; ++j) {
      const int i = dist[j].second;
      src.col(static_cast<Eigen::Index>(j)) = scale * scan_points[static_cast<std::size_t>(i)];
      dst.col(static_cast<Eigen::Index>(j)) = templ_index.point(match[static_cast<std::size_t>(i)]);
    }
    Eigen::Matrix4d next = Eigen::umeyama(src, dst, false);
    next.block<3, 3>(0, 0) *= scale;
    const double change = (next - current).cwiseAbs().maxCoeff();
    current = next;
    if (change < 1e-6) break;
  }
  return TemplateFit{current, rms};
}

// Similarity ICP with matches both ways (scan to template and template to scan), each trimmed to
// its best 80 %. Matching both ways keeps the scale honest: one-way closest points pull a scan
// inside the template.
TemplateFit fit_template_both_ways(const std::vector<Vec3>& scan_points,
                                   const MatchIndex& scan_index,
                                   const std::vector<Vec3>& templ_points,
                                   const MatchIndex& templ_index, const Eigen::Matrix4d& initial,
                                   int iterations) {
  Eigen::Matrix4d current = initial;
  double rms = std::numeric_limits<double>::infinity();
  const double initial_scale = initial.block<3, 1>(0, 0).norm();
  // Each point's match in the previous iteration: where its next search starts.
  std::vector<int> forward_hint(scan_points.size(), -1);
  std::vector<int> backward_hint(templ_points.size(), -1);
  for (int iter = 0; iter < iterations; ++iter) {
    const Eigen::Matrix3d a = current.block<3, 3>(0, 0);
    const Vec3 t = current.block<3, 1>(0, 3);
    const Eigen::Matrix3d a_inv = a.inverse();
    struct Match {
      double d2;
      Vec3 src, dst;
    };
    std::vector<Match> forward, backward;
    forward.reserve(scan_points.size());
    backward.reserve(templ_points.size());
    for (std::size_t i = 0; i < scan_points.size(); ++i) {
      const Vec3& p = scan_points[i];
      double d2 = 0;
      const int m = templ_index.nearest(a * p + t, forward_hint[i], &d2);
      forward_hint[i] = m;
      forward.push_back(Match{d2, p, templ_index.point(m)});
    }
    for (std::size_t i = 0; i < templ_points.size(); ++i) {
      const Vec3& m = templ_points[i];
      const int j = scan_index.nearest(a_inv * (m - t), backward_hint[i]);
      backward_hint[i] = j;
      const Vec3& p = scan_index.point(j);
      backward.push_back(Match{(a * p + t - m).squaredNorm(), p, m});
    }
    auto by_distance = [](const Match& x, const Match& y) { return x.d2 < y.d2; };
    std::sort(forward.begin(), forward.end(), by_distance);
    std::sort(backward.begin(), backward.end(), by_distance);
    forward.resize(forward.size() * 8 / 10);
    backward.resize(backward.size() * 8 / 10);
    const auto n = static_cast<Eigen::Index>(forward.size() + backward.size());
    if (n < 10) break;
    Eigen::Matrix3Xd src(3, n), dst(3, n);
    double sum_sq = 0;
    Eigen::Index col = 0;
    for (const auto* set : {&forward, &backward}) {
      for (const Match& m : *set) {
        src.col(col) = m.src;
        dst.col(col) = m.dst;
        sum_sq += m.d2;
        ++col;
      }
    }
    rms = std::sqrt(sum_sq / static_cast<double>(n));
    const Eigen::Matrix4d next = Eigen::umeyama(src, dst, true);
    const double s = next.block<3, 1>(0, 0).norm();
    if (s < 0.8 * initial_scale || s > 1.25 * initial_scale) break;
    const double change = (next - current).cwiseAbs().maxCoeff();
    current = next;
    if (change < 2e-5) break;  // 20 µm, 2e-5 rad: far below the landmarks' precision
  }
  return TemplateFit{current, rms};
}

}  // namespace

ScanPose find_pose(const TriangleMesh& mesh, const std::vector<char>& near_boundary,
                   const DefaultHead& templ, const std::string& name) {
  const std::vector<double> areas = geometry::vertex_areas(mesh);
  const Samples coarse = area_samples(mesh, areas, 400);
  const Samples dense = area_samples(mesh, areas, 12000);
  MatchIndex index(dense.points);
  index.prepare_hints();  // the template fit's matches from the template back to the scan

  // The mirror plane needs only a coarse picture of the surface; the template fit refines it.
  const MatchIndex mirror_index(area_samples(mesh, areas, 4000).points);
  const Plane plane = find_symmetry_plane(coarse, mirror_index);
  const double scale = coarse.rms_radius;
  const NoseTip nose = find_nose_tip(mesh, areas, near_boundary, plane, 0.06 * scale);
  if (nose.vertex < 0) {
    throw InputError(InputLocation{name, 0, 0, {}},
                     "not a head: no nose found on the mirror plane of the shape");
  }
  if (nose.sharpness < kMinNoseSharpness) {
    std::ostringstream msg;
    msg.precision(2);
    msg << "not a head: nothing on the mirror plane stands out like a nose (sharpness "
        << nose.sharpness << ", a head has at least " << kMinNoseSharpness << ")";
    throw InputError(InputLocation{name, 0, 0, {}}, msg.str());
  }
  const Vec3 nose_tip = mesh.vertices[static_cast<std::size_t>(nose.vertex)];

  // Rough size: the front-to-back extent above the nose tip, against the template's.
  auto front_back_above_nose = [](const std::vector<Vec3>& pts, const Eigen::Matrix3d& r,
                                  const Vec3& tip) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const Vec3& p : pts) {
      const Vec3 q = r * (p - tip);
      if (q.y() <= 0) continue;
      lo = std::min(lo, q.z());
      hi = std::max(hi, q.z());
    }
    return hi > lo ? hi - lo : 0.0;
  };
  const Vec3& t_nose = templ.landmarks[Landmark::kNoseTip];
  const double templ_length =
      front_back_above_nose(templ.mesh.vertices, Eigen::Matrix3d::Identity(), t_nose);
  const double chin_y = templ.landmarks[Landmark::kChin].y();
  MatchIndex templ_index(templ.mesh.vertices);
  templ_index.prepare_hints();
  const int stride = std::max<int>(1, static_cast<int>(mesh.vertices.size()) / 1500);

  // Candidate orientations: the nose's direction tilted within the mirror plane, either way up.
  // The template fit with the smallest residual decides.
  TemplateFit best_fit{Eigen::Matrix4d::Identity(), std::numeric_limits<double>::infinity()};
  std::vector<Vec3> best_points;
  Vec3 forward0 = nose.direction - nose.direction.dot(plane.normal) * plane.normal;
  forward0.normalize();
  for (double up_sign : {1.0, -1.0}) {
    for (double tilt_deg : {-45.0, -22.5, 0.0, 22.5, 45.0}) {
      const Vec3 forward = rotate(forward0, plane.normal, tilt_deg * std::numbers::pi / 180.0);
      const Vec3 up = up_sign * plane.normal.cross(forward);
      const Vec3 left = up.cross(forward);
      Eigen::Matrix3d r0;
      r0.row(0) = left.transpose();
      r0.row(1) = up.transpose();
      r0.row(2) = forward.transpose();
      const double scan_length = front_back_above_nose(mesh.vertices, r0, nose_tip);
      if (!(scan_length > 0)) continue;
      const double s0 = templ_length / scan_length;
      Eigen::Matrix4d initial = Eigen::Matrix4d::Identity();
      initial.block<3, 3>(0, 0) = s0 * r0;
      initial.block<3, 1>(0, 3) = t_nose - s0 * r0 * nose_tip;
      // Fit the head above the chin, away from open boundaries.
      std::vector<Vec3> points;
      for (std::size_t v = 0; v < mesh.vertices.size(); v += static_cast<std::size_t>(stride)) {
        if (near_boundary[v]) continue;
        const Vec3 q = s0 * r0 * mesh.vertices[v] + initial.block<3, 1>(0, 3);
        if (q.y() >= chin_y) points.push_back(mesh.vertices[v]);
      }
      if (points.size() < 50) continue;
      // A short fit ranks the candidates; the best one is then fitted to convergence
      // (point-to-point fits slide slowly over a round head).
      const TemplateFit fit = fit_template(points, templ_index, initial, 8);
      if (fit.rms_m < best_fit.rms_m) {
        best_fit = fit;
        best_points = std::move(points);
      }
    }
  }
  if (!std::isfinite(best_fit.rms_m)) {
    throw InputError(InputLocation{name, 0, 0, {}},
                     "not a head: too little surface above the chin");
  }
  {
    std::vector<Vec3> templ_points;
    for (std::size_t v = 0; v < templ.mesh.vertices.size(); ++v) {
      if (templ.mesh.vertices[v].y() >= chin_y) templ_points.push_back(templ.mesh.vertices[v]);
    }
    best_fit = fit_template_both_ways(best_points, index, templ_points, templ_index,
                                      best_fit.transform, 100);
  }

  {
    char line[256];
    std::snprintf(line, sizeof line,
                  "pose: mirror plane mismatch %.4f of the RMS radius; nose sharpness %.2f; "
                  "template fit RMS %.1f mm",
                  plane.mismatch / scale, nose.sharpness, 1000.0 * best_fit.rms_m);
    log::info(line);
  }

  ScanPose pose;
  const Eigen::Matrix4d& fit = best_fit.transform;
  const double s = fit.block<3, 1>(0, 0).norm();
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(fit.block<3, 3>(0, 0) / s,
                                        Eigen::ComputeFullU | Eigen::ComputeFullV);
  pose.rotation = svd.matrixU() * svd.matrixV().transpose();
  pose.template_scale = s;
  pose.template_offset = fit.block<3, 1>(0, 3);
  pose.nose_tip = nose_tip;
  pose.fit_rms_m = best_fit.rms_m;
  return pose;
}

}  // namespace headspa::anatomy::detail
