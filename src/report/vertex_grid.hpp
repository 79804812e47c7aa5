// A uniform grid over a set of mesh vertices for "which vertices lie within r of p" queries.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace headspa::report::detail {

class VertexGrid {
 public:
  // Indexes `vertices[i]` for every i in `members` (all vertices when empty) in cells of `cell_m`.
  VertexGrid(const std::vector<Eigen::Vector3d>& vertices, const std::vector<int>& members,
             double cell_m)
      : vertices_(vertices), cell_(cell_m) {
    const auto add = [&](int i) {
      cells_[key(cell_of(vertices_[static_cast<std::size_t>(i)]))].push_back(i);
    };
    if (members.empty()) {
      for (std::size_t i = 0; i < vertices.size(); ++i) add(static_cast<int>(i));
    } else {
      for (int i : members) add(i);
    }
  }

  // Calls visit(index, squared distance) for every indexed vertex within r of p (r <= cell).
  template <typename Visit>
  void within(const Eigen::Vector3d& p, double r, Visit&& visit) const {
    const Eigen::Vector3i c = cell_of(p);
    for (int dz = -1; dz <= 1; ++dz) {
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const auto it = cells_.find(key(c + Eigen::Vector3i(dx, dy, dz)));
          if (it == cells_.end()) continue;
          for (int i : it->second) {
            const double d2 = (vertices_[static_cast<std::size_t>(i)] - p).squaredNorm();
            if (d2 <= r * r) visit(i, d2);
          }
        }
      }
    }
  }

  // The nearest indexed vertex within r of p, or -1.
  int nearest(const Eigen::Vector3d& p, double r) const {
    int best = -1;
    double best_d2 = r * r;
    within(p, r, [&](int i, double d2) {
      if (d2 <= best_d2) {
        best = i;
        best_d2 = d2;
      }
    });
    return best;
  }

 private:
  Eigen::Vector3i cell_of(const Eigen::Vector3d& p) const {
    return Eigen::Vector3i(static_cast<int>(std::floor(p.x() / cell_)),
                           static_cast<int>(std::floor(p.y() / cell_)),
                           static_cast<int>(std::floor(p.z() / cell_)));
  }
  static std::int64_t key(const Eigen::Vector3i& c) {
    const auto part = [](int v) { return static_cast<std::int64_t>(v + (1 << 20)) & 0x1fffff; };
    return (part(c.x()) << 42) | (part(c.y()) << 21) | part(c.z());
  }

  const std::vector<Eigen::Vector3d>& vertices_;
  double cell_;
  std::unordered_map<std::int64_t, std::vector<int>> cells_;
};

}  // namespace headspa::report::detail
