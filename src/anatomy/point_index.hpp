// A static k-d tree over 3-D points for nearest-neighbour queries (private to anatomy).
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

namespace headspa::anatomy::detail {

// One node of a static k-d tree over points: a range of the tree order, and for an inner node
// the split.
struct KdNode {
  int begin, end;  // range in the tree order
  int axis = -1;   // -1 for a leaf
  double split = 0;
  int left = -1, right = -1;
};

inline constexpr int kKdLeafSize = 8;

// Builds the nodes over order[begin, end) (median split on the widest axis, leaves of at most
// kKdLeafSize points), permuting `order` into tree order; returns the root's index.
inline int build_kd_tree(const std::vector<Eigen::Vector3d>& points, std::vector<int>& order,
                         std::vector<KdNode>& nodes, int begin, int end) {
  const int id = static_cast<int>(nodes.size());
  nodes.push_back(KdNode{begin, end});
  if (end - begin <= kKdLeafSize) return id;
  Eigen::Vector3d lo = Eigen::Vector3d::Constant(std::numeric_limits<double>::infinity());
  Eigen::Vector3d hi = -lo;
  for (int i = begin; i < end; ++i) {
    lo = lo.cwiseMin(points[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]);
    hi = hi.cwiseMax(points[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]);
  }
  int axis = 0;
  (hi - lo).maxCoeff(&axis);
  const int mid = (begin + end) / 2;
  std::nth_element(order.begin() + begin, order.begin() + mid, order.begin() + end,
                   [&](int a, int b) {
                     return points[static_cast<std::size_t>(a)][axis] <
                            points[static_cast<std::size_t>(b)][axis];
                   });
  const double split = points[static_cast<std::size_t>(order[static_cast<std::size_t>(mid)])][axis];
  const int left = build_kd_tree(points, order, nodes, begin, mid);
  const int right = build_kd_tree(points, order, nodes, mid, end);
  KdNode& n = nodes[static_cast<std::size_t>(id)];
  n.axis = axis;
  n.split = split;
  n.left = left;
  n.right = right;
  return id;
}

class PointIndex {
 public:
  explicit PointIndex(std::vector<Eigen::Vector3d> points) : points_(std::move(points)) {
    order_.resize(points_.size());
    std::iota(order_.begin(), order_.end(), 0);
    nodes_.reserve(2 * points_.size() / kKdLeafSize + 2);
    if (!points_.empty())
      build_kd_tree(points_, order_, nodes_, 0, static_cast<int>(points_.size()));
  }

  // Index of the nearest point and its squared distance; -1 when empty.
  int nearest(const Eigen::Vector3d& q, double* dist_sq = nullptr) const {
    int best = -1;
    double best_d = std::numeric_limits<double>::infinity();
    if (!nodes_.empty()) search(0, q, best, best_d);
    if (dist_sq) *dist_sq = best_d;
    return best;
  }

  const Eigen::Vector3d& point(int i) const { return points_[static_cast<std::size_t>(i)]; }
  std::size_t size() const { return points_.size(); }

 private:
  void search(int id, const Eigen::Vector3d& q, int& best, double& best_d) const {
    const KdNode& n = nodes_[static_cast<std::size_t>(id)];
    if (n.axis < 0) {
      for (int i = n.begin; i < n.end; ++i) {
        const int p = order_[static_cast<std::size_t>(i)];
        const double d = (points_[static_cast<std::size_t>(p)] - q).squaredNorm();
        if (d < best_d) {
          best_d = d;
          best = p;
        }
      }
      return;
    }
    const double delta = q[n.axis] - n.split;
    const int first = delta < 0 ? n.left : n.right;
    const int second = delta < 0 ? n.right : n.left;
    search(first, q, best, best_d);
    if (delta * delta < best_d) search(second, q, best, best_d);
  }

  std::vector<Eigen::Vector3d> points_;
  std::vector<int> order_;
  std::vector<KdNode> nodes_;
};

}  // namespace headspa::anatomy::detail
