// Pieces shared by the planner's source files: the per-head surface data and a point grid.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/geometry/log_map.hpp"
#include "headspa/geometry/surface_query.hpp"
#include "headspa/plan/planner.hpp"

namespace headspa::plan {

using Vec3 = Eigen::Vector3d;

// A uniform hash grid of points for radius queries. Lookups only: iteration order never leaks
// into results, so plans stay deterministic.
class PointGrid {
 public:
  explicit PointGrid(double cell_m = 0.01) : cell_(cell_m) {}
  // Empties the grid, keeping its memory for the next use.
  void clear() {
    for (Slot& slot : table_) slot.cell = -1;
    for (std::vector<Entry>& c : cells_) c.clear();
    used_ = 0;
    count_ = 0;
  }
  void add(const Vec3& p, int id);
  // The nearest point within radius (its id and distance), or id -1.
  std::pair<int, double> nearest(const Vec3& p, double radius) const;
  // True when any point lies within radius.
  bool any_within(const Vec3& p, double radius) const;
  // The id of the first point within radius that for_each_within would visit, or -1.
  int first_within(const Vec3& p, double radius) const;
  // Calls f(id, distance) for every point within radius. Cells wholly farther than radius (with
  // a nanometre to spare for rounding) are passed over: the calls and their order are the same.
  template <typename F>
  void for_each_within(const Vec3& p, double radius, F&& f) const {
    (void)visit_within(p, radius, [&](int id, double d) {
      f(id, d);
      return false;
    });
  }

 private:
  // Calls f(id, distance) for the points within radius, in for_each_within's order, until f
  // returns true; then returns true at once (false when it never did).
  template <typename F>
  bool visit_within(const Vec3& p, double radius, F&& f) const {
    const int reach = static_cast<int>(std::ceil(radius / cell_));
    const auto c = cell_of(p);
    const double reach2 = (radius + 1e-9) * (radius + 1e-9);
    // How far p lies from the cell `d` steps along an axis (0 for its own).
    auto gap = [this](double x, int home, int d) {
      if (d > 0) return static_cast<double>(home + d) * cell_ - x;
      if (d < 0) return x - static_cast<double>(home + d + 1) * cell_;
      return 0.0;
    };
    for (int dx = -reach; dx <= reach; ++dx) {
      const double gx = gap(p.x(), c[0], dx);
      if (gx > 0.0 && gx * gx > reach2) continue;
      for (int dy = -reach; dy <= reach; ++dy) {
        const double gy = gap(p.y(), c[1], dy);
        const double gxy = (gx > 0.0 ? gx * gx : 0.0) + (gy > 0.0 ? gy * gy : 0.0);
        if (gxy > reach2) continue;
        for (int dz = -reach; dz <= reach; ++dz) {
          const double gz = gap(p.z(), c[2], dz);
          if (gxy + (gz > 0.0 ? gz * gz : 0.0) > reach2) continue;
          const std::vector<Entry>* cell = find(key(c[0] + dx, c[1] + dy, c[2] + dz));
          if (cell == nullptr) continue;
          for (const Entry& e : *cell) {
            // Points clearly out of reach are passed over before the square root.
            const double d2 = (e.p - p).squaredNorm();
            if (d2 > reach2) continue;
            const double d = std::sqrt(d2);
            if (d <= radius && f(e.id, d)) return true;
          }
        }
      }
    }
    return false;
  }

 public:
  std::size_t size() const noexcept { return count_; }
  // Calls f(id, point) for every point, cell by cell in the order for_each_within visits cells
  // (by x, then y, then z), each cell's points in the order they were added: a sum over the
  // points within reach of any one place, made this way, adds them in the same order as
  // for_each_within from there.
  template <typename F>
  void for_each_in_cell_order(F&& f) const {
    std::vector<std::pair<std::uint64_t, int>> order;
    order.reserve(used_);
    for (const Slot& slot : table_) {
      if (slot.cell >= 0) order.emplace_back(slot.key, slot.cell);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [k, cell] : order) {
      for (const Entry& e : cells_[static_cast<std::size_t>(cell)]) f(e.id, e.p);
    }
  }

 private:
  std::array<int, 3> cell_of(const Vec3& p) const {
    return {static_cast<int>(std::floor(p.x() / cell_)),
            static_cast<int>(std::floor(p.y() / cell_)),
            static_cast<int>(std::floor(p.z() / cell_))};
  }
  static std::uint64_t key(int x, int y, int z) {
    auto u = [](int v) {
      return static_cast<std::uint64_t>(static_cast<std::uint32_t>(v + (1 << 20)));
    };
    return (u(x) << 42) | (u(y) << 21) | u(z);
  }
  double cell_;
  // Each cell's points in the order they were added, kept in the cell (one walk through memory).
  struct Entry {
    Vec3 p;
    int id;
  };
  // The cells in use, found by key in an open-addressing table (linear probing, at most half
  // full): a lookup is a multiply and a probe or two.
  struct Slot {
    std::uint64_t key = 0;
    int cell = -1;  // index into cells_, -1 when free
  };
  std::size_t slot_of(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 32) & (table_.size() - 1);
  }
  const std::vector<Entry>* find(std::uint64_t k) const {
    if (table_.empty()) return nullptr;
    for (std::size_t i = slot_of(k);; i = (i + 1) & (table_.size() - 1)) {
      const Slot& slot = table_[i];
      if (slot.cell < 0) return nullptr;
      if (slot.key == k) return &cells_[static_cast<std::size_t>(slot.cell)];
    }
  }
  std::vector<Entry>* find(std::uint64_t k) {
    return const_cast<std::vector<Entry>*>(std::as_const(*this).find(k));
  }
  std::vector<Entry>& cell_for(std::uint64_t k);  // found or made
  std::vector<Slot> table_;
  std::vector<std::vector<Entry>> cells_;  // the first used_ are in use (the rest kept empty)
  std::size_t used_ = 0;
  std::size_t count_ = 0;
};

// The nearest of a fixed set of points: a balanced k-d tree kept in one array (each range's
// middle element splits it along the axis of its depth). For the no-go vertices, asked about
// every vertex of the head and every sample of a plan.
class NearestPoints {
 public:
  void add(const Vec3& p, int id) {
    entries_.push_back({p, id});
    built_ = false;
  }
  // Sorts the points into the tree; nearest() needs it after the last add().
  void build();
  // The nearest point within radius (its id and distance; the lower id on a tie), or id -1.
  std::pair<int, double> nearest(const Vec3& p, double radius) const;
  // The same among the points above the plane through `on` with normal `up` only.
  std::pair<int, double> nearest_above(const Vec3& p, double radius, const Vec3& on,
                                       const Vec3& up) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    Vec3 p;
    int id;
  };
  void build(std::size_t lo, std::size_t hi, int axis);
  struct Plane {
    Vec3 on, up;
  };
  void search(std::size_t lo, std::size_t hi, int axis, const Vec3& p, const Plane* above,
              int& best, double& best_d) const;
  std::vector<Entry> entries_;
  bool built_ = true;
};

struct PlanningSurface::Impl {
  explicit Impl(const anatomy::Head& original_head);

  // A scan coarser than this (mean edge) is planned on a copy with its triangles split (see
  // refined_for_planning in surface.cpp). Unit: [m]
  static constexpr double kPlanningEdgeM = 0.0035;
  // The least distance between two vertices that may centre a spot (see spot_centre). Unit: [m]
  static constexpr double kSpotCentreSpacingM = 0.002;

  const anatomy::Head* original;           // the caller's head
  std::unique_ptr<anatomy::Head> refined;  // the split copy, or null
  const anatomy::Head* head;               // what is planned on: `refined` or the original
  std::size_t original_vertices = 0;       // the original's vertex count
  double original_mean_edge = 0.0;         // and its mean edge. Unit: [m]
  geometry::SurfaceQuery query;
  geometry::LogMap log_map;
  std::vector<double> vertex_area;
  geometry::VertexAdjacency adjacency;
  std::vector<double> no_go_dist;  // per vertex, capped at kNoGoReach
  std::vector<char> pad_fits;      // per vertex: a pad can rest there and come down to it
  std::vector<char> neck_cut;      // per vertex: the down-facing cut of the neck (not skin)
  double neck_cut_area_m2 = 0.0;   // of the massage regions, on the cut
  // per vertex: farther than the coverage reach from anywhere a pad may rest (it fits, and it
  // keeps the smallest no-go margin a plan may use): no plan can cover it, so coverage does not
  // count it (a fold beside the nose, the skin under an ear).
  std::vector<char> out_of_reach;
  std::array<double, anatomy::kRegionCount> out_of_reach_area_m2{};
  std::vector<double> misfit_dist;    // per vertex: to the nearest that does not (capped)
  std::vector<double> footprint_cap;  // per vertex: lowest cap under the pad, with slack. [N]
  // per vertex: a spot of the layout or the fill may be centred there. Every massage vertex at
  // least kSpotCentreSpacingM from the centres before it (in vertex order): the pad is 15 mm
  // wide, so centres 2 mm apart lose nothing, and the layout's sort and the fill's gains stop
  // growing with the vertex count.
  std::vector<char> spot_centre;
  std::vector<int> spot_centre_of;  // per massage vertex: its nearest spot centre (-1 elsewhere)
  NearestPoints no_go_points;       // no-go vertices, id = vertex
  // Skin that is neither massaged nor a no-go zone (an ear, unlabelled skin), id = vertex.
  NearestPoints other_points;
  Vec3 centre = Vec3::Zero();  // inside the skull, for travel around the head
  std::array<Vec3, kContactCount> park{Vec3::Zero(), Vec3::Zero()};
  double mean_edge = 0.0;

  static constexpr double kNoGoReach = 0.05;

  const std::vector<Vec3>& normals() const { return log_map.vertex_normals(); }
  // Distance to the nearest no-go vertex (capped at kNoGoReach), and its zone.
  double no_go_distance(const Vec3& p, anatomy::Region* zone) const;
  // How far a pad centred at `pad_centre` stays clear of unlabelled skin: the distance to its
  // nearest vertex less the pad radius (read up to kOtherSkinClearanceM + 1 cm). Unit: [m]
  double other_skin_gap(const Vec3& pad_centre) const;
  // The same for a pad resting at `contact` (normal `n`), counting only the unlabelled skin that
  // rises above the skin's tangent plane there, towards the pad (an ear standing out beside the
  // cheek), not skin that falls away from it (a flat or curving border, a hollow). Unit: [m]
  double rising_other_skin_gap(const Vec3& contact, const Vec3& n) const;
  // Closest surface point with its interpolated normal and dominant-corner region.
  struct Foot {
    Vec3 position = Vec3::Zero();
    Vec3 normal = Vec3::UnitY();
    anatomy::Region region = anatomy::Region::kOther;
    int vertex = -1;  // dominant corner
    int face = -1;
    double distance = 0.0;
  };
  Foot foot(const Vec3& p) const;
  // foot(p), the search started at `near_face` (see SurfaceQuery::closest_point_near; -1:
  // from the thread's last answer, as foot does).
  Foot foot_near(const Vec3& p, int near_face) const;
  Foot foot_of(const geometry::SurfacePoint& sp) const;
};

// Smooth ramps on [0, 1]: value, C1 (cubic) and C2 (quintic).
inline double smoothstep(double x) {
  x = x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
  return x * x * (3.0 - 2.0 * x);
}
inline double smootherstep(double x) {
  x = x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
  return x * x * x * (x * (6.0 * x - 15.0) + 10.0);
}

// Coverage of each region by the plan's contact samples (validate.cpp): per region, the
// workable area (vertices at least the no-go margin from a no-go zone) and the covered fraction.
struct CoverageResult {
  std::array<double, anatomy::kRegionCount> workable_area_m2{};
  std::array<double, anatomy::kRegionCount> covered_area_m2{};
  double fraction(anatomy::Region r) const {
    const auto i = static_cast<std::size_t>(r);
    return workable_area_m2[i] > 0.0 ? covered_area_m2[i] / workable_area_m2[i] : 0.0;
  }
};
CoverageResult compute_coverage(const SessionPlan& plan, const PlanningSurface::Impl& surface,
                                double pad_radius_m, double min_force_n);

// A neck vertex whose normal points down more steeply than this (its y component below minus
// this) lies on the cut where the mesh ends and the body would go on: not skin to work on, nor
// counted for coverage.
inline constexpr double kNeckCutNormalY = 0.6;
// Coverage counts a vertex as covered within this distance of a working sample (the coverage
// pad less half the sample spacing validation uses). Unit: [m]
inline constexpr double kCoverageReachM = 0.9 * 0.0075;
// Regions smaller than this (workable area) are not held to the coverage target.
inline constexpr double kMinWorkableAreaM2 = 1.0e-4;
// The pad the plan is made for (a ball this size at the fingertip), how high above a spot it
// comes down from, and how far into other skin it may reach. Unit: [m]
inline constexpr double kPadRadiusM = 0.0075;
inline constexpr double kApproachHeightM = 0.02;
inline constexpr double kPadFitToleranceM = 0.0005;
// A pad resting on massaged skin keeps its ball this far from skin that is neither massaged
// nor a no-go zone and rises towards the pad (an ear beside the cheek or the temple), whose cap
// is zero: a pad drifting on the skin or sinking into soft tissue must not press it. Unit: [m]
inline constexpr double kOtherSkinClearanceM = 0.001;
// How far a force-controlled pad may stray from its planned point (tracking, skin drag): the
// caps under the pad are taken this much wider. Unit: [m]
inline constexpr double kTrackingSlackM = 0.005;
// Moves through the air keep the pad at least this far from the skin (lifting off and
// approaching along the normal excepted). Unit: [m]
inline constexpr double kTravelClearanceM = 0.003;
// A hop through the air goes straight when every point of the line is this far out of the skin.
inline constexpr double kStraightHopClearanceM = 0.005;
// Waypoints of a move through the air are laid this far apart along the straight line; a way
// round the head whose waypoints end up farther apart than kTravelLongestStepM swings far out
// (round a scan's shoulders), and the line pushed clear of the skin is tried instead. Unit: [m]
inline constexpr double kTravelStepM = 0.004;
inline constexpr double kTravelLongestStepM = 0.012;
// A pad counts as working (for coverage) at or above this force.
inline constexpr double kWorkingForceN = 0.5;
// The pad radius coverage is measured with (a finger pad 1.5 cm wide).
inline constexpr double kCoveragePadRadiusM = 0.0075;

}  // namespace headspa::plan
