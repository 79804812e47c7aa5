// The planner: lays each massage step out on the head and turns it into samples.
//
// Area techniques (circular friction, kneading) work spot by spot. Spots are chosen on each side
// of the head by a greedy Poisson-disk pass in the order of the step's direction (lanes across
// the direction, spots along it), so every workable vertex lies within the technique's reach of a
// spot. At a spot the pattern (a circle, or a kneading loop that shifts the skin) is drawn in the
// skin's local frame: the log map around the spot, with theta = 0 along the direction field.
// Strokes (glide, slide-up) follow lanes along the direction field. Pressure points are held
// with a smooth ramp in, hold and ramp out. Bilateral work pairs a spot on the left with its
// mirror image on the right; a pair whose contacts would come closer than a hand's width is done
// one hand at a time while the other waits at its park position.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <queue>
#include <sstream>
#include <thread>
#include <tuple>

#include "headspa/core/error.hpp"
#include "headspa/core/random.hpp"
#include "headspa/plan/validate.hpp"
#include "internal.hpp"

namespace headspa::plan {

namespace {

using anatomy::Region;
using care::Technique;
using geometry::SurfacePoint;

constexpr std::size_t kLeft = 0;
constexpr std::size_t kRight = 1;
constexpr double kSettleS = 0.2;
// Whether both hands can still retract after a block is tried (planned and taken back) only
// when the step has less than this left, or less than kRetractTrialFactor times the longest
// retract planned so far. Unit: [s]
constexpr double kRetractTrialS = 30.0;
constexpr long kRetractTrialFactor = 4;
// Targets stay this far under a cap, so that a force controller's overshoot on a ramp does not
// reach it.
constexpr double kCapHeadroom = 0.85;  // 0 -> touch force after touching down, and back
constexpr double kMoveSlack = 1.05;    // timing slack on minimum-jerk moves
// The extra spots of a step fill each region of a side until this much of its workable area is
// covered (as the planner estimates it), or, when the step is short, down to the lowest.
// Validation asks for 90%.
constexpr double kFillTarget = 0.97;
constexpr double kFillTargetLowest = 0.91;
// A sweep's band is counted as this share of its pattern's reach across the lane plus the pad,
// on each side of its path: the pattern swings sideways only briefly in each cycle, and the
// share makes the fill's estimate of a sweep's coverage match the coverage validation then
// measures (face-and-scalp's kneading on the built-in head: 0.8 matches, 0.75 keeps a margin).
constexpr double kSweepBand = 0.75;
// Spots are spaced up to this much wider (the fill closing the holes) before a short step works
// its pattern along lanes instead.
constexpr double kWiderBeforeSweeps = 2.0;
// The share of the planning margin the fill's small patterns and short strokes keep beyond the
// no-go margin (their samples stay within a millimetre of their centre or path).
constexpr double kFillMargin = 0.5;
// A slide or stroke slows for the pad's centre down to this share of its pace, no further (where
// the skin's normals jump, slower would not help; validation has the last word).
constexpr double kSlowestShare = 0.25;
// The same for the short strokes (smoothed in time, they stray a little more).
constexpr double kStrokeFillMargin = 0.75;
// A region's border lies within an edge of its outermost labelled vertices; on a coarse scan
// (edges of 4 to 7 mm) the allowance kept for it is no more than this. Unit: [m]
constexpr double kBorderAllowanceM = 0.003;
// The farthest a step area's border distance is found (StepArea::inside). Unit: [m]
constexpr double kInsideCapM = 0.04;
// The moves take about this much longer than the straight estimate of a step's layout (measured
// over whole steps: ramps, detours, the slower hand; between 0.9 and 1.2 on the built-in head).
constexpr double kMoveAllowance = 1.05;

// care and anatomy share region names and order (tests/cli/vocabulary_test.cpp).
Region to_anatomy(care::Region r) { return static_cast<Region>(static_cast<int>(r)); }

double minjerk(double x) { return smootherstep(x); }

// The peak speed of a minimum-jerk move over its average speed.
constexpr double kMinJerkPeak = 1.875;

// Shortest minimum-jerk time for a move of length L under the limits.
double move_time(double length, double peak_speed, const PlanLimits& limits) {
  if (length <= 0.0) return 0.0;
  const double by_speed = kMinJerkPeak * length / peak_speed;
  const double by_accel = std::sqrt(5.7735 * length / (0.5 * limits.max_acceleration_m_per_s2));
  const double by_jerk = std::cbrt(60.0 * length / (0.25 * limits.max_jerk_m_per_s3));
  return kMoveSlack * std::max({by_speed, by_accel, by_jerk, 0.2});
}

// A direction of progress as an ambient field: phi increases along it, psi runs across it.
struct DirectionField {
  care::Direction direction = care::Direction::kFrontToBack;
  Vec3 centre = Vec3::Zero();

  double phi(const Vec3& p) const {
    switch (direction) {
      case care::Direction::kFrontToBack:
        return -p.z();
      case care::Direction::kSkullBaseToCrown:
      case care::Direction::kUpwards:
        return p.y();
      case care::Direction::kNoseOutwards:
        return std::abs(p.x());
      case care::Direction::kSkullBaseToShoulders:
        return -p.y();
    }
    return 0.0;
  }
  // Across the direction, as a length (angle about the axis times a reference radius).
  double psi(const Vec3& p) const {
    const Vec3 d = p - centre;
    switch (direction) {
      case care::Direction::kFrontToBack:
        return 0.08 * std::atan2(d.y(), std::abs(d.x()) + 1e-9);
      case care::Direction::kSkullBaseToCrown:
      case care::Direction::kUpwards:
      case care::Direction::kSkullBaseToShoulders:
        return 0.08 * std::atan2(d.z(), std::abs(d.x()) + 1e-9);
      case care::Direction::kNoseOutwards:
        return p.y();
    }
    return 0.0;
  }
  // The ambient gradient of phi at p (theta = 0 of a spot's frame), left side.
  Vec3 gradient(const Vec3& p) const {
    switch (direction) {
      case care::Direction::kFrontToBack:
        return -Vec3::UnitZ();
      case care::Direction::kSkullBaseToCrown:
      case care::Direction::kUpwards:
        return Vec3::UnitY();
      case care::Direction::kNoseOutwards:
        return p.x() >= 0.0 ? Vec3::UnitX() : Vec3(-Vec3::UnitX());
      case care::Direction::kSkullBaseToShoulders:
        return -Vec3::UnitY();
    }
    return Vec3::UnitY();
  }
};

Vec3 mirror_point(const Vec3& p) { return {-p.x(), p.y(), p.z()}; }

// The pad's offset in a spot's frame at phase `th` (u along the direction, v across it; `spin`
// -1 for the mirrored hand), and in *mod the force's share at that phase. Circles: a circle of
// `radius`. Kneading (radius = the amplitude A): the pad pushes the skin forward and back along
// the direction and rolls a little sideways, a loop of A x A/2, harder on the push.
Eigen::Vector2d pattern_at(Technique technique, double radius, double th, double spin,
                           double* mod) {
  if (technique == Technique::kKneading) {
    *mod = 0.8 + 0.2 * std::sin(th);
    return {0.5 * radius * std::sin(th),
            0.25 * spin * radius * (1.0 - std::cos(th)) - 0.25 * spin * radius};
  }
  *mod = 1.0;
  return {radius * std::cos(th), spin * radius * std::sin(th)};
}

// How fast a contact's force may rise or fall: the twin's force loop follows this without
// overshooting (a spot's 0.6 s ramp up to 8 N peaks at about 37 N/s). Unit: [N/s]
constexpr double kMaxForceRate = 40.0;
// The peak slope of a spot's force ramp, smoothstep(smootherstep(t / ramp)), times the ramp.
constexpr double kSpotRampSlope = 1.5 * 1.875;
// The peak slope of a stroke's or a press's force ramp, smoothstep(t / ramp), times the ramp.
constexpr double kStrokeRampSlope = 1.5;

// The force a ramp of `seconds` may reach from `from` (a short spot is worked more lightly).
double reachable_force(double from, double target, double seconds, double shape_slope) {
  return std::min(target, from + kMaxForceRate * seconds / shape_slope);
}

// The last state of one contact.
struct ContactState {
  bool parked = true;
  Vec3 position = Vec3::Zero();
  Vec3 normal = Vec3::UnitY();
  double force = 0.0;
  Region region = Region::kOther;
  bool on_skin = false;
};

// A uv -> face locator over a log-map patch: a 2-D bucket grid of the patch's faces.
class UvLocator {
 public:
  void build(const geometry::LogMapPatch& patch, const geometry::TriangleMesh& mesh) {
    faces_.clear();
    corners_.clear();
    for (int f : patch.faces()) {
      const auto& face = mesh.faces[static_cast<std::size_t>(f)];
      std::array<Eigen::Vector2d, 3> uv;
      bool ok = true;
      for (int k = 0; k < 3; ++k) {
        const auto l = patch.log(face[static_cast<std::size_t>(k)]);
        if (!l) {
          ok = false;
          break;
        }
        uv[static_cast<std::size_t>(k)] = *l;
      }
      if (!ok) continue;
      faces_.push_back(f);
      corners_.push_back(uv);
    }
    radius_ = patch.radius() * 1.5 + 1e-6;
    cells_ = 24;
    // The buckets in one array (each bucket's faces in the patch's order): count, then place.
    const auto cells = static_cast<std::size_t>(cells_ * cells_);
    start_.assign(cells + 1, 0);
    span_.resize(faces_.size());
    for (std::size_t i = 0; i < faces_.size(); ++i) {
      const Eigen::Vector2d lo = corners_[i][0].cwiseMin(corners_[i][1]).cwiseMin(corners_[i][2]);
      const Eigen::Vector2d hi = corners_[i][0].cwiseMax(corners_[i][1]).cwiseMax(corners_[i][2]);
      const auto [x0, y0] = cell(lo);
      const auto [x1, y1] = cell(hi);
      span_[i] = {x0, y0, x1, y1};
      for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) ++start_[static_cast<std::size_t>(y * cells_ + x) + 1];
      }
    }
    for (std::size_t b = 0; b < cells; ++b) start_[b + 1] += start_[b];
    bucket_faces_.resize(static_cast<std::size_t>(start_[cells]));
    fill_.assign(start_.begin(), start_.end() - 1);
    for (std::size_t i = 0; i < faces_.size(); ++i) {
      const auto [x0, y0, x1, y1] = span_[i];
      for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
          bucket_faces_[static_cast<std::size_t>(
              fill_[static_cast<std::size_t>(y * cells_ + x)]++)] = static_cast<int>(i);
        }
      }
    }
  }
  std::optional<SurfacePoint> locate(const Eigen::Vector2d& uv) const {
    const auto [x, y] = cell(uv);
    double best_margin = -0.05;
    SurfacePoint best;
    const auto b = static_cast<std::size_t>(y * cells_ + x);
    for (int k = start_[b]; k < start_[b + 1]; ++k) {
      const int i = bucket_faces_[static_cast<std::size_t>(k)];
      const auto& c = corners_[static_cast<std::size_t>(i)];
      const Eigen::Vector2d ab = c[1] - c[0];
      const Eigen::Vector2d ac = c[2] - c[0];
      const double det = ab.x() * ac.y() - ab.y() * ac.x();
      if (det == 0.0) continue;
      const Eigen::Vector2d ap = uv - c[0];
      const double s = (ap.x() * ac.y() - ap.y() * ac.x()) / det;
      const double t = (ab.x() * ap.y() - ab.y() * ap.x()) / det;
      const double margin = std::min({1.0 - s - t, s, t});
      if (margin > best_margin) {
        best_margin = margin;
        best.face = faces_[static_cast<std::size_t>(i)];
        best.barycentric = Eigen::Vector3d(1.0 - s - t, s, t);
        if (margin >= 0.0) break;
      }
    }
    if (best.face < 0) return std::nullopt;
    best.barycentric = best.barycentric.cwiseMax(0.0);
    best.barycentric /= best.barycentric.sum();
    return best;
  }

 private:
  std::pair<int, int> cell(const Eigen::Vector2d& uv) const {
    auto c = [this](double v) {
      const int i = static_cast<int>(std::floor((v + radius_) / (2.0 * radius_) * cells_));
      return std::clamp(i, 0, cells_ - 1);
    };
    return {c(uv.x()), c(uv.y())};
  }
  std::vector<int> faces_;
  std::vector<std::array<Eigen::Vector2d, 3>> corners_;
  std::vector<int> start_;         // per bucket, its first entry in bucket_faces_ (and one more)
  std::vector<int> bucket_faces_;  // indices into faces_, bucket by bucket
  std::vector<int> fill_;          // while building: each bucket's next free entry
  std::vector<std::array<int, 4>> span_;  // while building: each face's cells x0, y0, x1, y1
  double radius_ = 0.0;
  int cells_ = 1;
};

// A surface path (for strokes and slides): points on the skin with normals and regions.
struct SurfacePath {
  std::vector<Vec3> points;
  std::vector<Vec3> normals;
  std::vector<Region> regions;
  std::vector<double> arc;  // cumulative length
  double length() const { return arc.empty() ? 0.0 : arc.back(); }
  void finish() {
    arc.assign(points.size(), 0.0);
    for (std::size_t i = 1; i < points.size(); ++i) {
      arc[i] = arc[i - 1] + (points[i] - points[i - 1]).norm();
    }
  }
  // Position, normal and region at arc length s.
  void at(double s, Vec3* p, Vec3* n, Region* r) const {
    if (points.size() == 1 || s <= 0.0) {
      *p = points.front();
      *n = normals.front();
      *r = regions.front();
      return;
    }
    const auto it = std::upper_bound(arc.begin(), arc.end(), s);
    if (it == arc.end()) {
      *p = points.back();
      *n = normals.back();
      *r = regions.back();
      return;
    }
    const std::size_t j = static_cast<std::size_t>(it - arc.begin());
    const std::size_t i = j - 1;
    const double seg = arc[j] - arc[i];
    const double w = seg > 0.0 ? (s - arc[i]) / seg : 0.0;
    *p = points[i] + w * (points[j] - points[i]);
    *n = (normals[i] + w * (normals[j] - normals[i])).normalized();
    *r = w < 0.5 ? regions[i] : regions[j];
  }
};

// One unit of work for one contact.
struct Work {
  // kSweep: the step's circle or kneading pattern worked while the pad moves along a lane.
  enum class Kind { kSpot, kPoint, kStroke, kSweep } kind = Kind::kSpot;
  int vertex = -1;  // spot or point
  Vec3 position = Vec3::Zero();
  Vec3 normal = Vec3::UnitY();
  Region region = Region::kOther;
  SurfacePath stroke;               // strokes and sweeps
  double weight = 1.0;              // share of the step's time (tense spots get more)
  double min_s = 0.0;               // the least time the work takes (0: the step's least per spot)
  std::vector<double> sweep_reach;  // sweeps: the pattern's reach at each point of `stroke`
  double reach = 0.0;               // spots near a border: a smaller pattern (0: the step's own)
  bool mirrored = false;
  std::optional<anatomy::Acupoint> point;
};

// A block: what both contacts do at the same time (one may be idle).
struct Block {
  std::array<std::optional<Work>, kContactCount> work;
};

// Which of the planner's per-thread scratch sets (Builder::Scratch) this thread uses: 0 on the
// thread that plans, 1 on the planner's second thread.
thread_local int t_scratch_slot = 0;

// The planner's second thread: runs one job at a time beside the planning thread (the right
// hand's share of a block, the right side's fill), using scratch slot 1. Each job is taken once,
// by whichever thread gets to it first: when the planning thread has finished its own share and
// the second thread has not started the job (it has no core just then, on a busy machine), the
// planning thread does it too, rather than wait. Where a job runs never changes its result.
class SecondThread {
 public:
  SecondThread() : thread_([this] { serve(); }) {}
  ~SecondThread() {
    stop_.store(true);
    posted_.fetch_add(1);
    posted_.notify_one();
    thread_.join();
  }
  SecondThread(const SecondThread&) = delete;
  SecondThread& operator=(const SecondThread&) = delete;

  // Runs left() on this thread and right() on the second at once (or after left(), here), and
  // returns when both are done; an exception of either is thrown here (the left's first).
  template <class L, class R>
  void both(L&& left, R&& right) {
    job_ = std::forward<R>(right);
    error_ = nullptr;
    const unsigned n = posted_.load() + 1;
    posted_.store(n);
    posted_.notify_one();
    std::exception_ptr left_error;
    try {
      left();
    } catch (...) {
      left_error = std::current_exception();
    }
    if (take(n)) {
      try {
        job_();
      } catch (...) {
        error_ = std::current_exception();
      }
    } else {
      // The second thread has it: wait, spinning a little first (a job takes well under a
      // millisecond to a few).
      for (int k = 0; finished_.load() != n; ++k) {
        if (k > 2000) {
          for (unsigned v = finished_.load(); v != n; v = finished_.load()) finished_.wait(v);
          break;
        }
      }
    }
    job_ = nullptr;
    if (left_error) std::rethrow_exception(left_error);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Takes job n for the calling thread, unless the other took it.
  bool take(unsigned n) {
    unsigned expected = n - 1;
    return taken_.compare_exchange_strong(expected, n);
  }

  void serve() {
    t_scratch_slot = 1;
    unsigned seen = 0;
    for (;;) {
      // Look for the next job for up to kAwakeFor (they come a fraction of a millisecond apart
      // while a plan is made: woken from sleep, this thread would start each a few tens of
      // microseconds late, and the planning thread would often do it itself), giving way to any
      // other thread that wants this core; then sleep until one is posted.
      const auto since = std::chrono::steady_clock::now();
      for (int k = 1; posted_.load() == seen; ++k) {
        if (k % 64 != 0) continue;
        if (std::chrono::steady_clock::now() - since > kAwakeFor) {
          posted_.wait(seen);
          break;
        }
        std::this_thread::yield();
      }
      seen = posted_.load();
      if (stop_.load()) return;
      if (!take(seen)) continue;  // the planning thread did it
      try {
        job_();
      } catch (...) {
        error_ = std::current_exception();
      }
      finished_.store(seen);
      finished_.notify_one();
    }
  }

  static constexpr std::chrono::microseconds kAwakeFor{300};
  std::function<void()> job_;
  std::exception_ptr error_;
  std::atomic<unsigned> posted_{0};    // the last job posted
  std::atomic<unsigned> taken_{0};     // the last job taken (by either thread)
  std::atomic<unsigned> finished_{0};  // the last job the second thread finished
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it starts once the rest is made
};

class Builder {
 public:
  Builder(const PlanningSurface::Impl& s, const PlanOptions& o, SessionPlan& plan,
          std::uint64_t seed)
      : s_(s), o_(o), plan_(plan), dt_(1.0 / o.sample_rate_hz), rng_(seed) {
    state_[kLeft].position = s.park[kLeft];
    state_[kRight].position = s.park[kRight];
    state_[kLeft].normal = park_normal(Contact::kLeft);
    state_[kRight].normal = park_normal(Contact::kRight);
  }

  // Spots `spacing` apart over the regions, in the order a step works them (each side's lanes
  // back and forth, then the fill of the gaps), for circles of a quarter of the spacing.
  std::vector<Vec3> coverage_path(const std::vector<Region>& regions, double spacing,
                                  care::Direction direction) {
    const StepArea area = make_area(regions);
    DirectionField field;
    field.centre = s_.centre;
    field.direction = direction;
    const double reach = 0.25 * spacing;
    PointGrid taken(spacing);
    std::vector<Vec3> path;
    for (std::size_t c = 0; c < kContactCount; ++c) {
      std::vector<Work> spots;
      for (int v : layout_spots(layout_order(area, field, c == kLeft, reach, spacing, 0.5), spacing,
                                taken)) {
        Work w;
        w.vertex = v;
        w.position = s_.head->mesh.vertices[static_cast<std::size_t>(v)];
        spots.push_back(w);
      }
      fill_gaps(area, field, c == kLeft, reach, spacing, 0.5, false, spots);
      for (const Work& w : spots) path.push_back(w.position);
    }
    return path;
  }

  // Makes the step up to `extra_s` longer (moving `end_tick`), within the step's longest and
  // the time the budget leaves.
  void lengthen(const care::PersonalisedStep& step, double extra_s, long& end_tick) {
    bool allowed = false;
    for (care::Region r : step.step.massage().regions) {
      allowed = allowed || may_lengthen_[static_cast<std::size_t>(to_anatomy(r))];
    }
    if (!allowed) return;
    const double most = step.step.max_duration_s - step.step.duration_s - lengthened_s_;
    const double extra = std::min({extra_s, most, spare_s_});
    if (extra < 1.0) return;
    const long ticks = static_cast<long>(std::floor(extra / dt_ + 1e-9));
    end_tick += ticks;
    spare_s_ -= static_cast<double>(ticks) * dt_;
    lengthened_s_ += static_cast<double>(ticks) * dt_;
  }

  void plan_protocol(const care::PersonalisedProtocol& protocol, const care::Intake* intake) {
    // A massage step too short for this head may take longer, up to its own longest and within
    // the client's time budget (if any).
    spare_s_ = std::numeric_limits<double>::infinity();
    if (intake != nullptr && intake->time_budget_s) {
      // As the steps will be timed: each rounded to the sample grid.
      double planned = 0.0;
      for (const care::PersonalisedStep& step : protocol.steps) {
        planned += static_cast<double>(std::llround(step.step.duration_s / dt_)) * dt_;
      }
      spare_s_ = std::max(0.0, *intake->time_budget_s - planned);
    }
    // Steps that give time away (see give_s_) leave it to the steps that may take longer,
    // wherever those come in the session.
    give_s_.resize(protocol.steps.size(), 0.0);
    std::vector<long> give_ticks(protocol.steps.size(), 0);
    for (std::size_t i = 0; i < protocol.steps.size(); ++i) {
      give_ticks[i] = static_cast<long>(std::floor(give_s_[i] / dt_));
      spare_s_ += static_cast<double>(give_ticks[i]) * dt_;
    }
    records_.assign(protocol.steps.size(), StepRecord{});
    // A track holds at most a sample a tick: room for the longest the steps may take, so that
    // the tracks are not copied as they grow (only what is written is ever touched).
    double longest_s = 0.0;
    for (const care::PersonalisedStep& step : protocol.steps) {
      longest_s += std::max(step.step.duration_s, step.step.max_duration_s);
    }
    for (auto& track : plan_.tracks) {
      track.reserve(static_cast<std::size_t>(std::ceil(longest_s / dt_)) + protocol.steps.size());
    }
    for (std::size_t i = 0; i < protocol.steps.size(); ++i) {
      const care::PersonalisedStep& step = protocol.steps[i];
      const long start = tick_;
      long end = start + static_cast<long>(std::llround(step.step.duration_s / dt_));
      if (give_ticks[i] > 0) {
        end -= give_ticks[i];
        plan_.notes.push_back(
            "step " + step.step.id + ": shortened from " +
            std::to_string(std::llround(step.step.duration_s)) + " s to " +
            std::to_string(std::llround(static_cast<double>(end - start) * dt_)) +
            " s, its time going to the steps short of coverage within the client's budget");
      }
      if (step.step.is_massage()) {
        // A step whose spots did not all fit is planned again with the moves estimated as
        // long as they turned out (so the layout thins evenly rather than losing its end).
        for (int attempt = 0;; ++attempt) {
          const Snapshot before = snapshot();
          const std::size_t notes = plan_.notes.size();
          shortfall_s_ = 0.0;
          plan_massage_step(step, intake, end);
          if (attempt == 0) {
            records_[i].shortfall_s = shortfall_s_;
            records_[i].first_round_s = first_round_s_;
          }
          if (shortfall_s_ <= 0.0 || attempt == 3) break;
          // Longer if the step and the budget allow, else a thinner layout (strokes, whose
          // lanes are what they are, keep what fitted); either way the moves are expected to
          // take as long as they did.
          const long was = end;
          lengthen(step, 1.1 * shortfall_s_, end);
          const care::Technique t = step.step.massage().technique;
          if (end == was && (t == Technique::kGlide || t == Technique::kSlideUp)) break;
          restore(before);
          plan_.notes.resize(notes);
          move_allowance_ *= 1.0 + 1.1 * shortfall_s_ / step.step.duration_s;
          if (end == was) fill_floor_ -= 0.03;
        }
        lengthened_s_ = 0.0;
        // The next spot step expects its moves to overrun their estimate as much as this
        // step's did (the same head, the same hands), if more than the default allowance.
        move_allowance_ = std::max(kMoveAllowance, measured_overrun_);
        fill_floor_ = kFillTargetLowest;
      } else {
        plan_care_step(step, end);
      }
      tick_ = end;
    }
    plan_.duration_s = static_cast<double>(tick_) * dt_;
  }

 private:
  // The closest skin point to p (PlanningSurface::Impl::foot). The same points are often asked
  // again (a move's samples when it is checked, given normals and emitted): the last answers are
  // kept, by the point's exact bits, so an answer is always the one the query gives.
  PlanningSurface::Impl::Foot foot(const Vec3& p) const { return foot_near(p, -1); }
  // The same, the search started at `near_face` when the point is not remembered: the same
  // answer (see SurfaceQuery::closest_point_near).
  PlanningSurface::Impl::Foot foot_near(const Vec3& p, int near_face) const {
    std::uint64_t h = 0;
    for (int k = 0; k < 3; ++k) {
      h = (h ^ std::bit_cast<std::uint64_t>(p[k])) * 0x9E3779B97F4A7C15ull;
      h ^= h >> 29;
    }
    RememberedFoot& r = sc().feet[static_cast<std::size_t>(h % kRememberedFeet)];
    if (!r.known || std::memcmp(r.at.data(), p.data(), sizeof(double) * 3) != 0) {
      r.foot = s_.foot_near(p, near_face);
      r.at = p;
      r.known = true;
    }
    return r.foot;
  }

  // ---- samples -------------------------------------------------------------------------------
  double now() const { return static_cast<double>(tick_) * dt_; }

  void emit(std::size_t c, long tick, const Vec3& p, const Vec3& n, double force, Region region,
            Phase phase) {
    Sample smp;
    smp.t_s = static_cast<double>(tick) * dt_;
    smp.position_m = p;
    smp.normal = n;
    // Unlabelled skin has no tissue entry and a cap of zero: a pattern's last hundredths of a
    // newton as it fades out over such a patch (a stray vertex beside the ear on some scans)
    // are written as zero. Anything more stays, for validation to refuse.
    if (phase == Phase::kContact && region == Region::kOther && force < 0.01) force = 0.0;
    smp.force_n = force;
    smp.region = phase == Phase::kContact ? region : Region::kOther;
    smp.phase = phase;
    smp.segment = static_cast<int>(plan_.segments.size()) - 1;
    plan_.tracks[c].push_back(smp);
    state_[c].parked = false;
    state_[c].position = p;
    state_[c].normal = n;
    state_[c].force = force;
    state_[c].region = region;
    state_[c].on_skin = phase == Phase::kContact;
  }

  // Each contact's own cursor while a block is built; blocks start with both at tick_.
  std::array<long, kContactCount> cursor_{};

  void open_segment(SegmentKind kind, const care::PersonalisedStep& step, std::string title) {
    close_segment();
    Segment seg;
    seg.kind = kind;
    seg.step_id = step.step.id;
    seg.title = std::move(title);
    seg.start_s = now();
    seg.end_s = now();
    seg.needs_confirmation = step.needs_confirmation;
    if (step.step.is_massage()) {
      const care::MassageStep& m = step.step.massage();
      seg.technique = m.technique;
      seg.direction = m.direction;
      seg.bilateral = m.bilateral;
      seg.cue = m.cue;
    }
    for (std::size_t c = 0; c < kContactCount; ++c) {
      seg.samples[c].first = plan_.tracks[c].size();
      seg.samples[c].end = plan_.tracks[c].size();
    }
    plan_.segments.push_back(std::move(seg));
  }

  void close_segment() {
    if (plan_.segments.empty()) return;
    Segment& seg = plan_.segments.back();
    seg.end_s = now();
    for (std::size_t c = 0; c < kContactCount; ++c) seg.samples[c].end = plan_.tracks[c].size();
  }

  // Pads the contact that finished early so both reach `until` (holding still).
  void sync(long until) {
    for (std::size_t c = 0; c < kContactCount; ++c) {
      if (state_[c].parked) {
        cursor_[c] = until;
        continue;
      }
      while (cursor_[c] < until) {
        emit(c, cursor_[c]++, state_[c].position, state_[c].normal, state_[c].force,
             state_[c].region, state_[c].on_skin ? Phase::kContact : Phase::kHold);
      }
    }
    tick_ = until;
  }

  long block_end() const { return std::max(cursor_[kLeft], cursor_[kRight]); }

  // True when the samples added since `from` keep the contacts a hand's width apart.
  bool tracks_apart(const std::array<std::size_t, kContactCount>& from) const {
    const auto& a = plan_.tracks[kLeft];
    const auto& b = plan_.tracks[kRight];
    const double min_sep = o_.limits.min_contact_separation_m + 0.002;
    auto pos = [&](const std::vector<Sample>& t, std::size_t first, std::size_t c, double time) {
      for (std::size_t i = first; i < t.size(); ++i) {
        if (std::abs(t[i].t_s - time) < 0.25 * dt_) return t[i].position_m;
      }
      return state_[c].parked ? s_.park[c] : (first > 0 ? t[first - 1].position_m : s_.park[c]);
    };
    for (std::size_t i = from[kLeft]; i < a.size(); ++i) {
      const std::size_t off = i - from[kLeft];
      Vec3 q;
      if (from[kRight] + off < b.size() &&
          std::abs(b[from[kRight] + off].t_s - a[i].t_s) < 0.25 * dt_) {
        q = b[from[kRight] + off].position_m;
      } else {
        q = pos(b, from[kRight], kRight, a[i].t_s);
      }
      if ((a[i].position_m - q).norm() < min_sep) return false;
    }
    for (std::size_t i = from[kRight]; i < b.size(); ++i) {
      if ((b[i].position_m - pos(a, from[kLeft], kLeft, b[i].t_s)).norm() < min_sep) return false;
    }
    return true;
  }

  // ---- moves ---------------------------------------------------------------------------------
  // Through the air from the current position to `to`, around the head with clearance.
  // The normal turns smoothly from the current one to `to_normal` on the way (the robot holds
  // the pad a radius out along the normal, so a sudden turn would be a jump of the pad).
  //
  // Three ways are tried, in turn:
  //  - straight, when every point of the line is in the air (across the face, along the neck
  //    into the shoulder's hollow);
  //  - an arc about the head centre: directions interpolated, radius kept clear of the skin
  //    (over the scalp, from one side of the head to the other);
  //  - the line pushed out to the lift height from the skin under it, when the arc does not
  //    come clear or swings far out (rays from the centre cross a scan's shoulders far out, so
  //    the arc is no way to go round the neck).
  // Each is pushed out to the lift height where it comes close to the skin.
  void travel(std::size_t c, const Vec3& to, const Vec3& to_normal, Phase phase = Phase::kTravel) {
    const Vec3 from = state_[c].parked ? s_.park[c] : state_[c].position;
    const Vec3 from_normal = state_[c].normal;
    // The same move again (a retract tried and then made, a block planned again with less
    // work): its samples depend on its ends alone.
    const std::array<Vec3, 4> ends{from, from_normal, to, to_normal};
    TravelCache& cache = travels_[c];
    for (const RememberedTravel& r : cache.entries) {
      if (!r.known || std::memcmp(r.ends.data(), ends.data(), sizeof(ends)) != 0) continue;
      for (std::size_t k = 0; k < r.points.size(); ++k) {
        emit(c, cursor_[c]++, r.points[k], r.normals[k], 0.0, Region::kOther, phase);
      }
      return;
    }
    RememberedTravel& made = cache.entries[cache.next];
    cache.next = (cache.next + 1) % cache.entries.size();
    made.ends = ends;
    made.known = true;
    made.points.clear();
    made.normals.clear();
    const double chord = (to - from).norm();
    const int n = std::max(2, static_cast<int>(std::ceil(chord / kTravelStepM)));
    std::vector<Vec3>& pts = sc().travel_points;
    std::vector<Vec3>& line = sc().travel_alternative;
    line.clear();
    for (int i = 0; i <= n; ++i) line.push_back(from + (static_cast<double>(i) / n) * (to - from));
    bool straight = true;
    for (int i = 1; i < n && straight; ++i) {
      straight = s_.query.signed_distance_up_to(line[static_cast<std::size_t>(i)],
                                                kStraightHopClearanceM) > kStraightHopClearanceM;
    }
    if (straight) {
      pts.swap(line);
      push_clear(pts);
    } else {
      arc_about_centre(from, to, n, pts);
      bool clear = push_clear(pts);
      if (!clear || longest_step(pts) > kTravelLongestStepM) {
        clear = fill_long_steps(pts) && clear;
        const bool line_clear = push_clear(line, 8) && fill_long_steps(line);
        if (line_clear && (!clear || path_length(line) < path_length(pts))) pts.swap(line);
      }
    }
    SurfacePath path;
    path.points = pts;
    path.normals.assign(pts.size(), Vec3::UnitY());
    path.regions.assign(pts.size(), Region::kOther);
    path.finish();
    std::vector<Vec3>& out = sc().smooth_points;
    timed_move(from, path, o_.travel_speed_m_per_s, 1, Smoothing::kInAir, out);
    for (std::size_t k = 1; k < out.size(); ++k) {
      const double w = minjerk(static_cast<double>(k) / static_cast<double>(out.size() - 1));
      Vec3 turn = (1.0 - w) * from_normal + w * to_normal;
      if (turn.norm() < 1e-6) turn = w < 0.5 ? from_normal : to_normal;
      made.points.push_back(out[k]);
      made.normals.push_back(turn.normalized());
      emit(c, cursor_[c]++, out[k], made.normals.back(), 0.0, Region::kOther, phase);
    }
  }

  // Waypoints from `from` to `to` about the head centre, n steps, clear of the outermost skin
  // along each direction, with the corners that makes smoothed (ends fixed).
  void arc_about_centre(const Vec3& from, const Vec3& to, int n, std::vector<Vec3>& pts) const {
    pts.clear();
    const Vec3 a = from - s_.centre;
    const Vec3 b = to - s_.centre;
    for (int i = 0; i <= n; ++i) {
      const double w = static_cast<double>(i) / n;
      Vec3 d = (1.0 - w) * a.normalized() + w * b.normalized();
      if (d.norm() < 1e-6) d = Vec3::UnitY();
      d.normalize();
      double r = (1.0 - w) * a.norm() + w * b.norm();
      if (i > 0 && i < n) r = std::max(r, outermost_skin(d) + o_.lift_height_m);
      pts.push_back(s_.centre + r * d);
    }
    for (int pass = 0; pass < 8; ++pass) {
      for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
        const Vec3 m = 0.5 * (pts[i - 1] + pts[i + 1]);
        const Vec3 cand = 0.5 * (pts[i] + m);
        if ((cand - s_.centre).norm() >= (pts[i] - s_.centre).norm() - 1e-4 ||
            s_.query.signed_distance_up_to(cand, o_.lift_height_m * 0.8) > o_.lift_height_m * 0.8) {
          pts[i] = cand;
        }
      }
    }
  }

  // Pushes the inner waypoints that come within the lift height of the skin out to it, from the
  // nearest skin, easing the neighbours along; up to `passes` times. True when the last pass
  // found every waypoint at least half the lift height out (in a hollow, a push from one side
  // can bring a waypoint nearer the other).
  bool push_clear(std::vector<Vec3>& pts, int passes = 3) const {
    double nearest = 0.0;
    // The signed distance of each waypoint last moved to a smoothing candidate, which was
    // measured there (NaN where not known): the next pass need not ask again.
    std::vector<double>& known = sc().push_known;
    known.assign(pts.size(), std::numeric_limits<double>::quiet_NaN());
    // A skin point found near each waypoint (where one was): no point is farther from the
    // skin than from it, so a candidate nearer than the lift height to one of these is
    // refused without asking.
    std::vector<Vec3>& skin = sc().push_skin;
    std::vector<char>& has_skin = sc().push_has_skin;
    skin.resize(pts.size());
    has_skin.assign(pts.size(), 0);
    const double lift = o_.lift_height_m;
    for (int pass = 0; pass < passes; ++pass) {
      bool pushed = false;
      nearest = std::numeric_limits<double>::infinity();
      for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
        geometry::ClosestPoint closest;  // the foot comes with the distance: one query
        // (A known distance is at least the lift height: no foot is needed.)
        double sd = known[i];
        if (std::isnan(sd)) {
          sd = s_.query.signed_distance_up_to(pts[i], lift, &closest);
          if (std::isfinite(sd)) {
            skin[i] = closest.position;
            has_skin[i] = 1;
          }
        }
        nearest = std::min(nearest, sd);
        if (sd >= lift) continue;
        auto f = s_.foot_of(closest.point);
        f.position = closest.position;
        f.distance = closest.distance;
        if (f.vertex < 0) continue;
        Vec3 out = pts[i] - f.position;
        out = sd > 1e-6 && out.norm() > 1e-9 ? Vec3(out.normalized()) : f.normal;
        pts[i] = f.position + lift * out;
        known[i] = std::numeric_limits<double>::quiet_NaN();
        pushed = true;
      }
      if (!pushed) return true;
      for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
        const Vec3 m = 0.5 * (pts[i - 1] + pts[i + 1]);
        const Vec3 cand = 0.5 * (pts[i] + m);
        bool too_near = false;
        for (std::size_t j = i - 1; j <= i + 1 && !too_near; ++j) {
          too_near = has_skin[j] != 0 && (cand - skin[j]).norm() < lift * (1.0 - 1e-9);
        }
        if (too_near) continue;  // its distance is below the lift height: refused
        geometry::ClosestPoint closest;
        const double sd = s_.query.signed_distance_up_to(cand, lift, &closest);
        if (std::isfinite(sd)) {
          skin[i] = closest.position;
          has_skin[i] = 1;
        }
        if (sd >= lift) {
          pts[i] = cand;
          known[i] = sd;
        }
      }
    }
    return nearest >= 0.5 * lift;
  }

  // Where consecutive waypoints lie far apart (a way pushed off the skin from both sides of the
  // neck, an arc swung out round the shoulders), puts the midpoint between and pushes it clear,
  // a few rounds. True when every step is then short and the waypoints clear.
  bool fill_long_steps(std::vector<Vec3>& pts) {
    std::vector<Vec3>& next = sc().travel_refined;
    for (int round = 0; round < 5; ++round) {
      if (longest_step(pts) <= kTravelLongestStepM) return true;
      next.clear();
      next.push_back(pts.front());
      for (std::size_t i = 1; i < pts.size(); ++i) {
        const double step = (pts[i] - pts[i - 1]).norm();
        if (step > kTravelStepM) {
          const int parts = std::min(8, static_cast<int>(std::ceil(step / kTravelStepM)));
          for (int k = 1; k < parts; ++k) {
            next.push_back(pts[i - 1] + (static_cast<double>(k) / parts) * (pts[i] - pts[i - 1]));
          }
        }
        next.push_back(pts[i]);
      }
      pts.swap(next);
      if (!push_clear(pts)) return false;
    }
    return longest_step(pts) <= kTravelLongestStepM;
  }

  static double longest_step(const std::vector<Vec3>& pts) {
    double longest = 0.0;
    for (std::size_t i = 1; i < pts.size(); ++i) {
      longest = std::max(longest, (pts[i] - pts[i - 1]).norm());
    }
    return longest;
  }

  static double path_length(const std::vector<Vec3>& pts) {
    double length = 0.0;
    for (std::size_t i = 1; i < pts.size(); ++i) length += (pts[i] - pts[i - 1]).norm();
    return length;
  }

  // How far from the centre the skin last crosses the ray in direction d (an ear stands out
  // beyond the skull it grows from). Unit: [m]
  double outermost_skin(const Vec3& d) const {
    double last = 0.0;
    double from = 0.0;
    for (int k = 0; k < 8; ++k) {
      const auto hit = s_.query.intersect(s_.centre, d, from, 1.0);
      if (!hit) break;
      last = hit->t;
      from = hit->t + 1e-4;
    }
    return last;
  }

  // Straight along the normal between the skin point and the point lift_height above it.
  void along_normal(std::size_t c, const Vec3 skin, const Vec3 normal, bool down) {
    const double h = o_.lift_height_m;
    const double T = move_time(h, 0.6 * o_.travel_speed_m_per_s, o_.limits);
    const long steps = std::max<long>(1, static_cast<long>(std::ceil(T / dt_)));
    for (long k = 1; k <= steps; ++k) {
      const double w = minjerk(static_cast<double>(k) / static_cast<double>(steps));
      const double off = down ? h * (1.0 - w) : h * w;
      emit(c, cursor_[c]++, skin + off * normal, normal, 0.0, Region::kOther,
           down ? Phase::kApproach : Phase::kLift);
    }
  }

  // Lift (if on the skin), travel, and touch down at a skin point with force 0.
  void go_to_skin(std::size_t c, const Vec3& p, const Vec3& n) {
    if (state_[c].on_skin) leave_skin(c);
    travel(c, p + o_.lift_height_m * n, n);
    along_normal(c, p, n, true);
    state_[c].on_skin = true;
    state_[c].region = foot(p).region;
  }

  void leave_skin(std::size_t c) {
    ramp_force(c, state_[c].force, 0.0, kSettleS);
    along_normal(c, state_[c].position, state_[c].normal, false);
  }

  void park(std::size_t c) {
    if (state_[c].parked) return;
    if (state_[c].on_skin) leave_skin(c);
    travel(c, s_.park[c], park_normal(static_cast<Contact>(c)));
    state_[c].parked = true;
  }

  // Force from f0 to f1 in place (C1 ramp).
  void ramp_force(std::size_t c, double f0, double f1, double seconds) {
    const long steps = std::max<long>(1, static_cast<long>(std::ceil(seconds / dt_)));
    for (long k = 1; k <= steps; ++k) {
      const double f =
          f0 + (f1 - f0) * smoothstep(static_cast<double>(k) / static_cast<double>(steps));
      emit(c, cursor_[c]++, state_[c].position, state_[c].normal, f, state_[c].region,
           Phase::kContact);
    }
  }

  struct StepArea {
    std::vector<char> in_set;    // per vertex: one of the step's regions
    std::vector<double> inside;  // per vertex: edge distance to the set's border (capped)
    std::array<double, anatomy::kRegionCount> fraction{};  // cap fraction per region
    double min_fraction = 1.0;
    std::vector<int> vertices;  // of the set
  };

  // The samples of a slide from `from` along `path` (smoothed in time, within the limits), or
  // false when the smoothed slide would leave the step's regions or come near a no-go zone.
  // `faces` holds the face under each point of the path (-1 where not known).
  bool slide_samples(const Vec3& from, const Vec3& from_normal, SurfacePath path,
                     std::vector<int> faces, const StepArea& area, std::vector<Vec3>& pts) const {
    // Each pass moves a point little: its closest point is searched from the face under it.
    for (int pass = 0; pass < 4; ++pass) {
      std::vector<Vec3> next = path.points;
      for (std::size_t i = 1; i + 1 < path.points.size(); ++i) {
        const auto f = foot_near(
            (path.points[i - 1] + 2.0 * path.points[i] + path.points[i + 1]) / 4.0, faces[i]);
        next[i] = f.position;
        faces[i] = f.face;
      }
      path.points = next;
    }
    path.finish();
    // Slower where the skin turns under the pad, so that its centre keeps within the limits.
    double peak = o_.slide_speed_m_per_s;
    const double first_peak = peak;
    std::vector<Vec3> normals, centres;
    for (int attempt = 0; attempt < 4; ++attempt) {
      timed_move(from, path, peak, 1, Smoothing::kOnSkin, pts);
      normals.assign(1, from_normal);
      for (std::size_t k = 1; k < pts.size(); ++k) normals.push_back(foot(pts[k]).normal);
      smooth_normals(normals);
      centres.resize(pts.size());
      for (std::size_t k = 0; k < pts.size(); ++k) centres[k] = pts[k] + kPadRadiusM * normals[k];
      const double slower = slow_down(centres);
      if (slower <= 1.0) break;
      if (peak <= kSlowestShare * first_peak) break;
      peak = std::max(kSlowestShare * first_peak, peak / slower);
    }
    if (slow_down(pts) > 1.0) return false;
    for (const Vec3& p : pts) {
      const auto f = foot(p);
      if (f.vertex < 0) return false;
      const auto v = static_cast<std::size_t>(f.vertex);
      if (area.in_set[v] == 0 || s_.pad_fits[v] == 0 ||
          s_.no_go_dist[v] < o_.limits.no_go_margin_m + o_.planning_margin_m) {
        return false;
      }
    }
    return true;
  }

  // Slides on the skin (at the current force) through the given samples.
  void slide(std::size_t c, const std::vector<Vec3>& pts) {
    std::vector<Vec3>& normals = sc().smooth_normals;
    normals.assign(1, state_[c].normal);
    for (std::size_t k = 1; k < pts.size(); ++k) normals.push_back(foot(pts[k]).normal);
    smooth_normals(normals);
    for (std::size_t k = 1; k < pts.size(); ++k) {
      const auto f = foot(pts[k]);
      emit(c, cursor_[c]++, pts[k], normals[k], state_[c].force, f.region, Phase::kContact);
    }
  }

  // The normals along a move on the skin, smoothed in time (first fixed): the pad's centre is
  // held a radius out along them, and the facets of the mesh would make it twitch.
  void smooth_normals(std::vector<Vec3>& normals) const {
    if (normals.size() < 3) return;
    const Vec3 first = normals.front();
    smooth_in_time(normals, 24);
    normals.front() = first;
    for (Vec3& n : normals) {
      if (n.norm() > 1e-9) n.normalize();
    }
  }

  // Samples a move from `from` along `path` at a minimum-jerk pace peaking at `peak_speed`
  // (at least `min_steps` samples after `from`), smoothed in time, and slowed until its
  // acceleration and jerk stay within 80% of the limits. out[0] is `from`.
  enum class Smoothing {
    kInAir,           // in time only
    kOnSkin,          // in time, then back on the skin
    kOnSkinFromFeet,  // each sample put on the skin first, then as kOnSkin
  };
  void timed_move(const Vec3& from, const SurfacePath& path, double peak_speed, long min_steps,
                  Smoothing how, std::vector<Vec3>& out) const {
    const double length = path.length();
    double T = move_time(length, peak_speed, o_.limits);
    // A path that jumps (a fold of the skin under a slide) is not made smooth by any pace:
    // the move stops slowing down at a few times its first length (and a caller that needs it
    // within the limits checks it).
    const double longest = std::max(4.0 * T, T + 2.0);
    for (int attempt = 0; attempt < 6; ++attempt) {
      const long steps = std::max<long>(min_steps, static_cast<long>(std::ceil(T / dt_)));
      out.clear();
      out.push_back(from);
      for (long k = 1; k <= steps; ++k) {
        Vec3 p, n;
        Region r;
        path.at(length * minjerk(static_cast<double>(k) / static_cast<double>(steps)), &p, &n, &r);
        out.push_back(how == Smoothing::kOnSkinFromFeet ? foot(p).position : p);
      }
      if (how == Smoothing::kInAir) {
        smooth_in_time(out, 16);
      } else {
        smooth_on_skin(out);
      }
      const double slower = slow_down(out);
      if (slower <= 1.0 || T >= longest) break;
      T = std::min(longest, T * slower);
    }
  }

  // How much longer a move starting and ending at rest must take for its peak acceleration
  // and jerk to stay within 80% of the limits (1: none). `moving`: the move does not start at
  // rest, but goes on from pts[0] at the speed of its first step (the first points are samples
  // already made).
  double slow_down(const std::vector<Vec3>& pts, bool moving = false) const {
    if (pts.size() < 2) return 1.0;
    double peak_a = 0.0;
    double peak_j = 0.0;
    Vec3 v_prev = moving ? Vec3((pts[1] - pts[0]) / dt_) : Vec3::Zero();
    Vec3 a_prev = Vec3::Zero();
    for (std::size_t i = moving ? 1 : 0; i + 1 <= pts.size(); ++i) {
      // At rest after the last sample (and before the first unless moving).
      const Vec3 v = i + 1 < pts.size() ? Vec3((pts[i + 1] - pts[i]) / dt_) : Vec3::Zero();
      const Vec3 a = (v - v_prev) / dt_;
      peak_a = std::max(peak_a, a.norm());
      if (!moving || i >= 2) peak_j = std::max(peak_j, ((a - a_prev) / dt_).norm());
      v_prev = v;
      a_prev = a;
    }
    const double fa = peak_a / (0.8 * o_.limits.max_acceleration_m_per_s2);
    const double fj = peak_j / (0.8 * o_.limits.max_jerk_m_per_s3);
    const double f = std::max(std::sqrt(std::max(fa, 0.0)), std::cbrt(std::max(fj, 0.0)));
    return f <= 1.0 ? 1.0 : 1.05 * f;
  }

  // Smooths a sampled path on the skin in time (ends fixed), so that the corners and facet
  // kinks of a path projected on the mesh do not become spikes of acceleration and jerk, and
  // puts it back on the skin.
  // Binomial smoothing of a sampled path in time, ends fixed.
  void smooth_in_time(std::vector<Vec3>& pts, int passes) const {
    if (pts.size() < 3) return;
    std::vector<Vec3>& next = sc().smooth_scratch;
    next.resize(pts.size());
    // Over the coordinates as one array (a Vec3 is three packed doubles): each coordinate of
    // point i from the same coordinate of points i - 1, i and i + 1, three doubles apart. The
    // same sums in the same order as point by point, in a loop the compiler vectorises.
    static_assert(sizeof(Vec3) == 3 * sizeof(double));
    const std::size_t last = 3 * pts.size() - 3;
    for (int pass = 0; pass < passes; ++pass) {
      const double* a = pts.data()->data();
      double* b = next.data()->data();
      for (std::size_t k = 0; k < 3; ++k) {
        b[k] = a[k];
        b[last + k] = a[last + k];
      }
      for (std::size_t k = 3; k < last; ++k) b[k] = 0.25 * (a[k - 3] + a[k + 3]) + 0.5 * a[k];
      pts.swap(next);
    }
  }

  void smooth_on_skin(std::vector<Vec3>& pts) const {
    if (pts.size() < 3) return;
    smooth_in_time(pts, 24);
    for (std::size_t i = 1; i + 1 < pts.size(); ++i) pts[i] = foot(pts[i]).position;
    std::vector<Vec3>& skin = sc().skin_scratch;
    skin.assign(pts.begin(), pts.end());
    smooth_in_time(pts, 4);
    // Where a crease of the skin pulled the smoothed path off it, clamp it back within a
    // fraction of the surface tolerance. A point still within that of the skin point it was
    // smoothed from (a nanometre to spare for rounding) is no farther from the skin: it stays.
    const double keep = 0.6 * o_.limits.surface_tolerance_m;
    for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
      if ((pts[i] - skin[i]).norm() <= keep - 1e-9) continue;
      const Vec3 on = foot(pts[i]).position;
      const Vec3 off = pts[i] - on;
      if (off.norm() > keep) pts[i] = on + off * (keep / off.norm());
    }
  }

  // ---- trial and take-back ------------------------------------------------------------------
  struct Snapshot {
    std::array<ContactState, kContactCount> state;
    std::array<long, kContactCount> cursor;
    long tick;
    std::array<std::size_t, kContactCount> samples;
    std::size_t segments;
    Segment last_segment;
  };

  Snapshot snapshot() const {
    return {state_,
            cursor_,
            tick_,
            {plan_.tracks[0].size(), plan_.tracks[1].size()},
            plan_.segments.size(),
            plan_.segments.empty() ? Segment{} : plan_.segments.back()};
  }

  void restore(const Snapshot& snap) {
    state_ = snap.state;
    cursor_ = snap.cursor;
    tick_ = snap.tick;
    for (std::size_t c = 0; c < kContactCount; ++c) plan_.tracks[c].resize(snap.samples[c]);
    plan_.segments.resize(snap.segments);
    if (!plan_.segments.empty()) plan_.segments.back() = snap.last_segment;
  }

  // Whether every sample since `from` keeps the no-go margin (approaching along the normal into
  // a hollow beside the throat comes nearer it than the skin point does), and presses only on
  // labelled skin.
  bool clear_of_no_go(const Snapshot& from) const {
    for (std::size_t c = 0; c < kContactCount; ++c) {
      const auto& track = plan_.tracks[c];
      for (std::size_t i = from.samples[c]; i < track.size(); ++i) {
        if (track[i].phase == Phase::kContact && track[i].region == Region::kOther &&
            track[i].force_n > 0.0) {
          return false;
        }
        if (s_.no_go_distance(track[i].position_m, nullptr) < o_.limits.no_go_margin_m) {
          return false;
        }
      }
    }
    return true;
  }

  // True when both hands, from where they are now, can lift and reach their park positions
  // with half a second to spare before `end_tick`. A retract takes a few seconds (4.4 s at most
  // on the test heads): while the time left is many times the longest seen so far (and at least
  // kRetractTrialS), it fits; nearer the step's end it is planned and taken back.
  bool retract_fits(long end_tick) {
    const long spare = static_cast<long>(std::llround(0.5 / dt_));
    const long ample = std::max(static_cast<long>(std::llround(kRetractTrialS / dt_)),
                                kRetractTrialFactor * longest_retract_);
    if (end_tick - tick_ - spare > ample) return true;
    const Snapshot here = snapshot();
    cursor_ = {tick_, tick_};
    for (std::size_t c = 0; c < kContactCount; ++c) park(c);
    const long parked = block_end();
    longest_retract_ = std::max(longest_retract_, parked - tick_);
    restore(here);
    return parked + spare <= end_tick;
  }

  // ---- step geometry -------------------------------------------------------------------------

  StepArea make_area(const care::PersonalisedStep& step) const {
    const care::MassageStep& m = step.step.massage();
    std::vector<Region> regions;
    for (care::Region r : m.regions) regions.push_back(to_anatomy(r));
    // The step's pattern reach: how far inside the border a spot may need to be (admissible)
    // and how far a fill spot's reach follows the distance (fill_gaps) set the distance cap.
    const double reach = m.technique == Technique::kCircularFriction ? *m.params.radius_m
                         : m.technique == Technique::kKneading       ? 0.5 * *m.params.amplitude_m
                                                                     : 0.0;
    const double needed = std::max(1.25 * reach + border_allowance(), reach / 0.85);
    StepArea area = make_area(regions, std::min(kInsideCapM, 1.01 * needed + 0.0001));
    for (const auto& rp : step.pressure) {
      area.fraction[static_cast<std::size_t>(to_anatomy(rp.region))] = rp.fraction;
      area.min_fraction = std::min(area.min_fraction, rp.fraction);
    }
    if (step.pressure.empty()) area.min_fraction = 0.0;
    return area;
  }

  // `cap`: the border distance is found up to this; farther vertices get the cap. Unit: [m]
  StepArea make_area(const std::vector<Region>& regions, double cap = kInsideCapM) const {
    const auto& mesh = s_.head->mesh;
    StepArea area;
    area.in_set.assign(mesh.vertices.size(), 0);
    std::vector<char> wanted(anatomy::kRegionCount, 0);
    for (Region r : regions) wanted[static_cast<std::size_t>(r)] = 1;
    for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
      if (wanted[static_cast<std::size_t>(s_.head->regions.label[v])] != 0) {
        area.in_set[v] = 1;
        area.vertices.push_back(static_cast<int>(v));
      }
    }
    // Edge distance to the border of the set (multi-source Dijkstra, capped).
    area.inside.assign(mesh.vertices.size(), 0.0);
    using Item = std::pair<double, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
    const auto& adj = s_.adjacency;
    for (int v : area.vertices) {
      bool border = false;
      for (int k = adj.offsets[static_cast<std::size_t>(v)];
           k < adj.offsets[static_cast<std::size_t>(v) + 1]; ++k) {
        if (area.in_set[static_cast<std::size_t>(adj.indices[static_cast<std::size_t>(k)])] == 0) {
          border = true;
          break;
        }
      }
      area.inside[static_cast<std::size_t>(v)] = border ? 0.0 : cap;
      if (border) heap.emplace(0.0, v);
    }
    while (!heap.empty()) {
      const auto [d, v] = heap.top();
      heap.pop();
      if (d > area.inside[static_cast<std::size_t>(v)]) continue;
      for (int k = adj.offsets[static_cast<std::size_t>(v)];
           k < adj.offsets[static_cast<std::size_t>(v) + 1]; ++k) {
        const int u = adj.indices[static_cast<std::size_t>(k)];
        if (area.in_set[static_cast<std::size_t>(u)] == 0) continue;
        const double nd = d + (mesh.vertices[static_cast<std::size_t>(u)] -
                               mesh.vertices[static_cast<std::size_t>(v)])
                                  .norm();
        if (nd < area.inside[static_cast<std::size_t>(u)]) {
          area.inside[static_cast<std::size_t>(u)] = nd;
          heap.emplace(nd, u);
        }
      }
    }
    return area;
  }

  // The force to command on a region in this step (cap fraction x cap, never above the cap).
  double force_on(const StepArea& area, Region r) const {
    const double cap = anatomy::tissue(r).force_cap_n;
    double f = area.fraction[static_cast<std::size_t>(r)];
    if (f <= 0.0) f = area.min_fraction;
    return std::min(kCapHeadroom * cap, f * cap);
  }

  // The same at a point on the skin, never above the lowest cap under the pad there.
  double force_at(const StepArea& area, const PlanningSurface::Impl::Foot& f) const {
    const double region = force_on(area, f.region);
    return f.vertex < 0
               ? region
               : std::min(region,
                          kCapHeadroom * s_.footprint_cap[static_cast<std::size_t>(f.vertex)]);
  }

  // How far inside a region's labelled vertices its border may lie: a mean edge, but at most
  // kBorderAllowanceM on a coarse mesh. Unit: [m]
  double border_allowance() const { return std::min(s_.mean_edge, kBorderAllowanceM); }

  // A work of `kind` at vertex v, with the vertex's position, normal and region.
  Work work_at(Work::Kind kind, int v) const {
    const auto i = static_cast<std::size_t>(v);
    Work w;
    w.kind = kind;
    w.vertex = v;
    w.position = s_.head->mesh.vertices[i];
    w.normal = s_.normals()[i];
    w.region = s_.head->regions.label[i];
    return w;
  }

  // `margin`: the share of the planning margin kept beyond the no-go margin (the fill's small
  // patterns and short strokes, whose samples stay within a millimetre of their path, keep half).
  // `on_border`: the spot may lie on the region's border itself (see fill_stroke_gaps).
  bool admissible(const StepArea& area, int v, double reach, double margin = 1.0,
                  bool on_border = false) const {
    const auto i = static_cast<std::size_t>(v);
    return area.in_set[i] != 0 && s_.pad_fits[i] != 0 &&
           s_.misfit_dist[i] >= reach + border_allowance() &&
           s_.no_go_dist[i] >= o_.limits.no_go_margin_m + margin * o_.planning_margin_m + reach &&
           (on_border || area.inside[i] >= 1.25 * reach + border_allowance());
  }

  // Spots on one side (left: x >= 0), greedy Poisson-disk in lane order.
  // The vertices a side's layout may take, in the order it tries them: lanes across the step's
  // direction in turn, back and forth (boustrophedon), so that the next spot is usually a short
  // slide away rather than a lift and travel. Depends on the side alone.
  std::vector<int> layout_order(const StepArea& area, const DirectionField& field, bool left,
                                double reach, double spacing, double lane_offset) const {
    const auto& V = s_.head->mesh.vertices;
    struct Key {
      long lane;
      double phi;
      int v;
    };
    std::vector<Key> keys;
    for (int v : area.vertices) {
      const Vec3& p = V[static_cast<std::size_t>(v)];
      if ((p.x() >= 0.0) != left) continue;
      if (s_.spot_centre[static_cast<std::size_t>(v)] == 0) continue;
      if (!admissible(area, v, reach)) continue;
      const Vec3 q = left ? p : mirror_point(p);
      const long lane = static_cast<long>(std::floor(field.psi(q) / spacing + lane_offset));
      keys.push_back({lane, field.phi(q), v});
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
      if (a.lane != b.lane) return a.lane < b.lane;
      if (a.phi != b.phi) return (a.lane % 2 == 0) == (a.phi < b.phi);
      return a.v < b.v;
    });
    std::vector<int> order;
    order.reserve(keys.size());
    for (const Key& k : keys) order.push_back(k.v);
    return order;
  }

  // A Poisson-disk layout: the vertices in `order` that keep `spacing` from every spot taken so
  // far (this side's and, through `taken`, the other's near the mid-plane).
  std::vector<int> layout_spots(const std::vector<int>& order, double spacing,
                                PointGrid& taken) const {
    const auto& V = s_.head->mesh.vertices;
    std::vector<int> spots;
    for (int v : order) {
      const Vec3& p = V[static_cast<std::size_t>(v)];
      if (taken.any_within(p, spacing)) continue;
      taken.add(p, v);
      spots.push_back(v);
    }
    return spots;
  }

  // Adds spots with a smaller pattern where the layout leaves workable skin of the step's
  // regions uncovered: along the regions' borders and the no-go margin, and in narrow regions
  // such as the temples. Keeps the side's lane order.
  void fill_gaps(const StepArea& area, const DirectionField& field, bool left, double reach,
                 double spacing, double lane_offset, bool knead, std::vector<Work>& spots) const {
    const auto& V = s_.head->mesh.vertices;
    const double pad = 0.85 * kCoveragePadRadiusM;
    const double clear = o_.limits.no_go_margin_m + kFillMargin * o_.planning_margin_m;
    constexpr double kMinReach = 0.0001;  // a circle this small is a press that moves the skin
    FillScratch& scratch = fill_scratch_[left ? kLeft : kRight];
    // The side's workable skin (off the no-go margin): all the fill counts.
    PointGrid& todo_grid = scratch.todo_grid;
    todo_grid.clear();
    std::vector<int>& todo = scratch.todo;
    todo.clear();
    for (int v : area.vertices) {
      const Vec3& p = V[static_cast<std::size_t>(v)];
      if ((p.x() >= 0.0) != left) continue;
      if (s_.no_go_dist[static_cast<std::size_t>(v)] >= o_.limits.no_go_margin_m) {
        todo.push_back(v);
        todo_grid.add(p, v);
      }
    }
    // What the spots already cover (their pattern's smaller extent plus a pad).
    std::vector<char>& covered = scratch.covered;
    covered.assign(V.size(), 0);
    auto cover = [&](const Vec3& centre, double r) {
      todo_grid.for_each_within(centre, r + pad,
                                [&](int u, double) { covered[static_cast<std::size_t>(u)] = 1; });
    };
    // Circles sweep their disk; kneading sweeps A x A/2 (reach = A/2): its narrow side is
    // reach/2.
    const double narrow = knead ? 0.6 : 1.0;
    // What the layout's spots really cover: the spacing of a Poisson-disk layout leaves holes
    // (and kneading's narrow side), which the fill closes too.
    for (const Work& w : spots) {
      if (w.kind != Work::Kind::kSweep) {
        cover(w.position, narrow * (w.reach > 0.0 ? w.reach : reach));
        continue;
      }
      // A sweep covers its band: each point of its path (2 mm or less apart) with its reach.
      for (std::size_t i = 0; i < w.stroke.points.size(); ++i) {
        cover(w.stroke.points[i], kSweepBand * (narrow * w.sweep_reach[i] + pad) - pad);
      }
    }
    const std::size_t first_fill = spots.size();
    // Greedy: the spot that covers the most workable area still uncovered, until every region
    // of the side is covered to kFillTarget (or nothing more can be reached).
    std::array<double, anatomy::kRegionCount> total{};
    std::array<double, anatomy::kRegionCount> done{};
    for (int v : todo) {
      const auto i = static_cast<std::size_t>(v);
      total[static_cast<std::size_t>(s_.head->regions.label[i])] += s_.vertex_area[i];
      if (covered[i] != 0) {
        done[static_cast<std::size_t>(s_.head->regions.label[i])] += s_.vertex_area[i];
      }
    }
    auto short_of = [&](std::size_t r) { return done[r] < fill_target_ * total[r]; };
    // The workable skin still uncovered, gathered at the spot centres: one piece per centre
    // and region, at the centre, with the area of the vertices nearest that centre (on a fine
    // scan about four to a centre), in a grid for their cell order.
    std::vector<Piece>& pieces = scratch.pieces;
    std::vector<int>& piece_of = scratch.piece_of;  // per centre: its first piece, or -1
    pieces.clear();
    piece_of.resize(V.size(), -1);
    for (int v : todo) {
      const auto i = static_cast<std::size_t>(v);
      if (covered[i] != 0) continue;
      const int centre = s_.spot_centre_of[i];
      const Region region = s_.head->regions.label[i];
      int* slot = &piece_of[static_cast<std::size_t>(centre)];
      while (*slot >= 0 && pieces[static_cast<std::size_t>(*slot)].region != region) {
        slot = &pieces[static_cast<std::size_t>(*slot)].next;
      }
      if (*slot < 0) {
        *slot = static_cast<int>(pieces.size());
        pieces.push_back({centre, region, 0.0, -1, false});
      }
      pieces[static_cast<std::size_t>(*slot)].area += s_.vertex_area[i];
    }
    PointGrid& live = scratch.live;
    live.clear();
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      piece_of[static_cast<std::size_t>(pieces[k].centre)] = -1;  // ready for the next call
      live.add(V[static_cast<std::size_t>(pieces[k].centre)], static_cast<int>(k));
    }
    auto counts = [&](int piece) {
      const Piece& pc = pieces[static_cast<std::size_t>(piece)];
      return !pc.covered && short_of(static_cast<std::size_t>(pc.region));
    };
    // The pieces each candidate takes in (for `reachable`'s index k: reached[start[k]] up to
    // reached[start[k + 1]]), in the live grid's cell order, found with the first gains (below).
    std::vector<int>& start = scratch.reached_start;
    std::vector<int>& reached = scratch.reached;
    // What candidate k would gain now: the pieces it takes in that still count, summed in the
    // order of a query of the live grid around it (the same sum, bit for bit).
    auto gain_of = [&](int k) {
      double g = 0.0;
      const auto from = static_cast<std::size_t>(start[static_cast<std::size_t>(k)]);
      const auto to = static_cast<std::size_t>(start[static_cast<std::size_t>(k) + 1]);
      for (std::size_t i = from; i < to; ++i) {
        if (counts(reached[i])) g += pieces[static_cast<std::size_t>(reached[i])].area;
      }
      return g;
    };
    std::vector<Candidate> candidates;
    using Entry = std::pair<double, int>;  // gain, -candidate index (larger first, then lower)
    std::priority_queue<Entry> heap;
    bool any_short = false;
    for (std::size_t k = 0; k < total.size(); ++k) any_short = any_short || short_of(k);
    if (any_short) {
      // Each candidate's reach first; then, from every vertex still to gain, the candidates
      // whose reach takes it in (the same distance test as gain_of). Only those can gain:
      // the others are skipped without a query, as they were when their gain came to zero.
      std::vector<Candidate>& reachable = scratch.reachable;
      reachable.clear();
      double widest = 0.0;
      PointGrid& reachers = scratch.reachers;  // id: the index in `reachable`
      reachers.clear();
      for (int v : area.vertices) {
        const auto i = static_cast<std::size_t>(v);
        if (s_.spot_centre[i] == 0 || (V[i].x() >= 0.0) != left || s_.pad_fits[i] == 0) continue;
        // A strip of a region one or two vertices wide (the jaw's angle on a coarse scan,
        // between the cheek and the throat's margin) is all border: a press that moves the skin
        // still works it, the force held to the lowest cap under the pad.
        const double r =
            std::min({reach, s_.no_go_dist[i] - clear, std::max(kMinReach, 0.85 * area.inside[i]),
                      s_.misfit_dist[i] - border_allowance()});
        if (r < kMinReach) continue;
        reachers.add(V[i], static_cast<int>(reachable.size()));
        reachable.push_back({v, r});
        widest = std::max(widest, narrow * r + pad);
      }
      // Each candidate's first gain, from every piece still to gain to the candidates whose
      // reach takes it in (the same distance test as gain_of). The pieces are taken in the
      // live grid's cell order, so each candidate's sum adds its pieces in gain_of's order:
      // the same sums, bit for bit, without a query per candidate.
      // Each pair (candidate, piece) is kept: a piece that does not count now (its region is
      // covered enough) never will, and the rest are what the candidate's later gains sum.
      std::vector<double>& first_gain = scratch.reach_gain;
      first_gain.assign(reachable.size(), 0.0);
      std::vector<std::pair<int, int>>& pairs = scratch.pairs;
      pairs.clear();
      live.for_each_in_cell_order([&](int u, const Vec3& p) {
        if (!counts(u)) return;
        const double a = pieces[static_cast<std::size_t>(u)].area;
        reachers.for_each_within(p, widest, [&](int k, double d) {
          if (d <= narrow * reachable[static_cast<std::size_t>(k)].reach + pad) {
            first_gain[static_cast<std::size_t>(k)] += a;
            pairs.emplace_back(k, u);
          }
        });
      });
      // The pairs by candidate, each candidate's pieces in the order found.
      start.assign(reachable.size() + 1, 0);
      for (const auto& [k, u] : pairs) ++start[static_cast<std::size_t>(k) + 1];
      for (std::size_t k = 0; k < reachable.size(); ++k) start[k + 1] += start[k];
      reached.resize(pairs.size());
      std::vector<int>& next = scratch.reached_next;
      next.assign(start.begin(), start.end() - 1);
      for (const auto& [k, u] : pairs) {
        reached[static_cast<std::size_t>(next[static_cast<std::size_t>(k)]++)] = u;
      }
      for (std::size_t k = 0; k < reachable.size(); ++k) {
        if (first_gain[k] <= 0.0) continue;
        heap.emplace(first_gain[k], -static_cast<int>(candidates.size()));
        candidates.push_back({reachable[k].vertex, reachable[k].reach, static_cast<int>(k)});
      }
    }
    while (!heap.empty()) {
      any_short = false;
      for (std::size_t k = 0; k < total.size(); ++k) any_short = any_short || short_of(k);
      if (!any_short) break;
      const auto [old_gain, neg] = heap.top();
      heap.pop();
      const Candidate& cand = candidates[static_cast<std::size_t>(-neg)];
      const double g = gain_of(cand.reached);
      if (g <= 0.0) continue;
      if (!heap.empty() && g < heap.top().first) {
        heap.emplace(g, neg);  // lazy: its gain fell; try the next best first
        continue;
      }
      Work w = work_at(Work::Kind::kSpot, cand.vertex);
      w.mirrored = !left;
      w.reach = cand.reach < reach ? cand.reach : 0.0;
      spots.push_back(w);
      // What it covers: the pieces it takes in (those of regions covered enough need not be
      // marked: their regions stay so).
      const auto from = static_cast<std::size_t>(start[static_cast<std::size_t>(cand.reached)]);
      const auto to = static_cast<std::size_t>(start[static_cast<std::size_t>(cand.reached) + 1]);
      for (std::size_t i = from; i < to; ++i) {
        Piece& pc = pieces[static_cast<std::size_t>(reached[i])];
        if (pc.covered) continue;
        pc.covered = true;
        done[static_cast<std::size_t>(pc.region)] += pc.area;
      }
    }
    if (spots.size() == first_fill) return;
    // Back into lane order (the same boustrophedon as the layout).
    auto key = [&](const Work& w) {
      const Vec3 q = left ? w.position : mirror_point(w.position);
      const long lane = static_cast<long>(std::floor(field.psi(q) / spacing + lane_offset));
      const double phi = field.phi(q);
      return std::make_tuple(lane, lane % 2 == 0 ? phi : -phi, w.vertex);
    };
    std::stable_sort(spots.begin(), spots.end(),
                     [&](const Work& a, const Work& b) { return key(a) < key(b); });
  }

  // Joins consecutive spots of a side (in lane order) into sweeps: a pass along the skin from
  // spot to spot, while the skin between two spots is as clear for the pattern as the spots
  // themselves (the smaller reach of the two inside the step's regions and off the no-go
  // margin) and they are at most two spacings apart. Along a pass the pattern's reach goes from
  // each spot's own to the next. A pass gets the weight of its spots and takes at least one
  // cycle of the pattern per spot; a spot left alone stays a spot, and sweeps stay as they are.
  void chain_spots(const StepArea& area, double reach, double spacing, double cycle_s,
                   std::vector<Work>& works) const {
    std::vector<Work> out;
    SurfacePath path;
    std::vector<double> reaches;
    int members = 0;
    const Work* last = nullptr;
    auto flush = [&] {
      if (members == 1) {
        out.push_back(*last);
      } else if (members > 1) {
        path.finish();
        Work w;
        w.kind = Work::Kind::kSweep;
        w.position = path.points.front();
        w.normal = path.normals.front();
        w.region = path.regions.front();
        w.mirrored = last->mirrored;
        w.weight = members;
        w.min_s = members * cycle_s;
        w.stroke = std::move(path);
        w.sweep_reach = std::move(reaches);
        out.push_back(std::move(w));
      }
      path = SurfacePath{};
      reaches.clear();
      members = 0;
      last = nullptr;
    };
    auto add = [&](const Vec3& p, const Vec3& n, Region r, double rr) {
      path.points.push_back(p);
      path.normals.push_back(n);
      path.regions.push_back(r);
      reaches.push_back(rr);
    };
    auto reach_of = [&](const Work& w) { return w.reach > 0.0 ? w.reach : reach; };
    for (const Work& w : works) {
      if (w.kind != Work::Kind::kSpot) {
        flush();
        out.push_back(w);
        continue;
      }
      if (last != nullptr) {
        const double d = (w.position - last->position).norm();
        const double r = std::min(reach_of(w), reach_of(*last));
        const double margin = w.reach > 0.0 || last->reach > 0.0 ? kFillMargin : 1.0;
        bool linked = d <= 2.0 * spacing;
        const int n = std::max(1, static_cast<int>(std::ceil(d / 0.002)));
        const std::size_t mark = path.points.size();
        for (int k = 1; k < n && linked; ++k) {
          const auto f =
              foot(last->position + (w.position - last->position) * (static_cast<double>(k) / n));
          linked = f.vertex >= 0 && admissible(area, f.vertex, r, margin);
          if (linked) add(f.position, f.normal, f.region, r);
        }
        if (!linked) {
          path.points.resize(mark);
          path.normals.resize(mark);
          path.regions.resize(mark);
          reaches.resize(mark);
          flush();
        }
      }
      add(w.position, w.normal, w.region, reach_of(w));
      ++members;
      last = &w;
    }
    flush();
    works = std::move(out);
  }

  struct SpotPattern {
    Technique technique = Technique::kCircularFriction;
    double radius = 0.01;  // circle radius or kneading amplitude
    double frequency = 1.0;
  };

  // ---- techniques at a spot ------------------------------------------------------------------

  // Works one spot for `seconds`: ramps in from the touch force, the pattern, ramps out.
  // The pattern in sc().buffer, from the contact's last state, smoothed in time and put back on
  // the skin, into sc().smooth_points and sc().smooth_normals (the first entry is the last state).
  void smooth_pattern(std::size_t c) {
    std::vector<Vec3>& pts = sc().smooth_points;
    pts.clear();
    pts.push_back(state_[c].position);
    for (const auto& b : sc().buffer) pts.push_back(b.p);
    smooth_on_skin(pts);
    std::vector<Vec3>& normals = sc().smooth_normals;
    normals.assign(1, state_[c].normal);
    for (const auto& b : sc().buffer) normals.push_back(b.n);
    smooth_normals(normals);
  }

  // True when the pad's centre along sc().smooth_points / sc().smooth_normals would pass the
  // acceleration or jerk limits (with the planner's 20% to spare), coming on from the contact's
  // last samples when they run on in time: a pad that arrives still moving and turns back at
  // once swings as much as one whose pattern does.
  bool centre_swings(std::size_t c) {
    const auto& track = plan_.tracks[c];
    std::size_t history = 0;  // earlier samples joined in time to the last one
    while (history < 2 && history + 1 < track.size() &&
           track[track.size() - 1 - history].t_s - track[track.size() - 2 - history].t_s <
               1.5 * dt_) {
      ++history;
    }
    if (track.empty() || (track.back().position_m - sc().smooth_points.front()).norm() > 0.0) {
      history = 0;
    }
    sc().centres.clear();
    for (std::size_t h = history; h > 0; --h) {
      const Sample& smp = track[track.size() - 1 - h];
      sc().centres.push_back(smp.position_m + kPadRadiusM * smp.normal);
    }
    for (std::size_t k = 0; k < sc().smooth_points.size(); ++k) {
      sc().centres.push_back(sc().smooth_points[k] + kPadRadiusM * sc().smooth_normals[k]);
    }
    return slow_down(sc().centres, history > 0) > 1.0;
  }

  // The log map a spot's pattern is drawn in: around the spot's vertex, theta = 0 along the
  // direction field (mirrored for the right hand), out to the pattern's reach (kneading's
  // reaches half its amplitude, see pattern_at) and a millimetre. The log map adds two mean
  // edges, so that every point within the radius lies on a face of the patch; `wide` adds two
  // mean edges more, for skin whose triangles are much longer than the mean.
  geometry::LogMapRequest spot_request(const Work& w, const SpotPattern& pat,
                                       const DirectionField& field, bool wide) const {
    geometry::LogMapRequest req;
    req.centre = s_.log_map.vertex_point(w.vertex);
    req.radius_m = pat.radius * (pat.technique == Technique::kKneading ? 0.5 : 1.0) +
                   (wide ? 2.0 * s_.mean_edge : 0.0) + 0.001;
    Vec3 g = field.gradient(w.position);
    if (w.mirrored) g.x() = -g.x();
    req.frame.reference_direction = g;
    req.frame.fallback_direction = std::abs(g.y()) > 0.9 ? Vec3::UnitZ() : Vec3::UnitY();
    return req;
  }

  // A spot's log map and the locator of its triangles.
  struct SpotMap {
    geometry::LogMapPatch patch;
    UvLocator locator;
  };
  void make_spot_map(const geometry::LogMapRequest& req, SpotMap& out) const {
    s_.log_map.compute(req, out.patch);
    out.locator.build(out.patch, s_.head->mesh);
  }

  void work_spot(std::size_t c, const Work& w, SpotPattern pat, const StepArea& area,
                 const DirectionField& field, double seconds) {
    if (w.reach > 0.0) {
      pat.radius = pat.technique == Technique::kKneading ? 2.0 * w.reach : w.reach;
    }
    // The patch out to the pattern's reach; where a point of the pattern falls off it (long
    // triangles at its rim), the wider patch, and the pattern is made again.
    SpotMap& map = sc().spot_map;
    bool wide = false;
    make_spot_map(spot_request(w, pat, field, wide), map);
    const geometry::LogMapPatch& patch = map.patch;
    const UvLocator& locator = map.locator;

    const long steps = std::max<long>(1, static_cast<long>(std::llround(seconds / dt_)));
    const double ramp = std::min(o_.force_ramp_s, 0.25 * seconds);
    const double omega = 2.0 * std::numbers::pi * pat.frequency;
    const double phase0 = 0.0;
    const double spin = w.mirrored ? -1.0 : 1.0;  // hands circle in mirror image
    double force_cap = std::numeric_limits<double>::infinity();
    std::vector<Vec3>& pts = sc().smooth_points;
    std::vector<Vec3>& normals = sc().smooth_normals;
    // Where the skin turns sharply under the pattern (a crease, a tight curve) the pad's centre,
    // a radius out along the normal, swings: the pattern is made smaller there until the
    // centre keeps within the acceleration and jerk limits (three tries), and where it still
    // swings the pad holds the spot without the pattern.
    for (int attempt = 0;; ++attempt) {
      sc().buffer.clear();
      force_cap = std::numeric_limits<double>::infinity();
      bool widen = false;
      for (long k = 1; k <= steps; ++k) {
        const double t = static_cast<double>(k) * dt_;
        const double env = smootherstep(t / ramp) * smootherstep((seconds - t) / ramp);
        const double th = phase0 + omega * t;
        double mod = 1.0;
        const Eigen::Vector2d uv = env * pattern_at(pat.technique, pat.radius, th, spin, &mod);
        PlanningSurface::Impl::Foot f;
        if (const auto sp = locator.locate(uv)) {
          f = s_.foot_of(*sp);
        } else if (!wide) {
          widen = true;
          break;
        } else {
          const geometry::TangentFrame& fr = patch.frame();
          f = foot(patch.centre_position() + fr.to_world(uv));
        }
        sc().buffer.push_back({f.position, f.normal, env, mod, f.region});
        if (env > 0.0) force_cap = std::min(force_cap, force_at(area, f) / mod);
      }
      if (widen) {
        wide = true;
        make_spot_map(spot_request(w, pat, field, wide), map);
        --attempt;  // the same try again, on the wider patch
        continue;
      }
      // Where the log map folds (a crease of the skin, the patch's rim) the pattern can step;
      // smooth it in time like a slide.
      smooth_pattern(c);
      if (attempt == kPatternTries || !centre_swings(c)) break;
      pat.radius = attempt + 1 < kPatternTries ? 0.6 * pat.radius : 0.0;
    }
    const double f0 = state_[c].force;
    const double target =
        reachable_force(f0, std::isfinite(force_cap) ? force_cap : 0.0, ramp, kSpotRampSlope);
    for (std::size_t k = 0; k < sc().buffer.size(); ++k) {
      const auto& b = sc().buffer[k];
      const double shape = smoothstep(b.env);
      const double f = f0 + (target * b.mod - f0) * shape;
      emit(c, cursor_[c]++, pts[k + 1], normals[k + 1], f, b.region, Phase::kContact);
    }
  }

  // Works the step's pattern along a lane for `seconds`: the pattern's centre moves along the
  // lane while the pad circles or kneads around it in the skin's tangent plane (theta = 0 along
  // the direction field, as at a spot). The centre moves only while the pattern is on, in step
  // with its ramps, so it starts and ends at rest; the force ramps in and out with the pattern.
  void work_sweep(std::size_t c, const Work& w, const SpotPattern& pat, const StepArea& area,
                  const DirectionField& field, double seconds) {
    const SurfacePath& path = w.stroke;
    const long steps = std::max<long>(1, static_cast<long>(std::llround(seconds / dt_)));
    const double ramp = std::min(o_.force_ramp_s, 0.25 * seconds);
    const double omega = 2.0 * std::numbers::pi * pat.frequency;
    const double spin = w.mirrored ? -1.0 : 1.0;
    auto envelope = [&](long k) {
      const double t = static_cast<double>(k) * dt_;
      return smootherstep(t / ramp) * smootherstep((seconds - t) / ramp);
    };
    double total = 0.0;
    for (long k = 1; k <= steps; ++k) total += envelope(k);
    double force_cap = std::numeric_limits<double>::infinity();
    double shrink = 1.0;  // as at a spot, smaller where the pad's centre would swing
    for (int attempt = 0;; ++attempt) {
      sc().buffer.clear();
      force_cap = std::numeric_limits<double>::infinity();
      double progressed = 0.0;
      for (long k = 1; k <= steps; ++k) {
        const double t = static_cast<double>(k) * dt_;
        const double env = envelope(k);
        progressed += env;
        Vec3 p0, n0;
        Region r0;
        const double at = total > 0.0 ? path.length() * progressed / total : 0.0;
        path.at(at, &p0, &n0, &r0);
        const auto centre = foot(p0);
        // The pattern's size here: each spot's own reach, and in between from one to the next.
        double radius = pat.radius;
        if (!w.sweep_reach.empty()) {
          const auto it = std::upper_bound(path.arc.begin(), path.arc.end(), at);
          const std::size_t j = std::min<std::size_t>(
              static_cast<std::size_t>(it - path.arc.begin()), path.arc.size() - 1);
          const std::size_t i = j > 0 ? j - 1 : 0;
          const double seg = path.arc[j] - path.arc[i];
          const double u = seg > 0.0 ? std::clamp((at - path.arc[i]) / seg, 0.0, 1.0) : 0.0;
          const double reach = w.sweep_reach[i] + u * (w.sweep_reach[j] - w.sweep_reach[i]);
          radius = pat.technique == Technique::kKneading ? 2.0 * reach : reach;
        }
        radius *= shrink;
        const double th = omega * t;
        double mod = 1.0;
        const Eigen::Vector2d uv = env * pattern_at(pat.technique, radius, th, spin, &mod);
        // The local frame: the direction field's gradient in the tangent plane, then n x it.
        Vec3 g = field.gradient(centre.position);
        if (w.mirrored) g.x() = -g.x();
        g -= g.dot(centre.normal) * centre.normal;
        if (g.norm() < 1e-6) {
          const Vec3 fb = std::abs(centre.normal.y()) > 0.9 ? Vec3::UnitZ() : Vec3::UnitY();
          g = fb - fb.dot(centre.normal) * centre.normal;
        }
        const Vec3 e1 = g.normalized();
        const Vec3 e2 = centre.normal.cross(e1);
        const auto f = foot(centre.position + uv.x() * e1 + uv.y() * e2);
        sc().buffer.push_back({f.position, f.normal, env, mod, f.region});
        if (env > 0.0) force_cap = std::min(force_cap, force_at(area, f) / mod);
      }
      smooth_pattern(c);
      if (attempt == kPatternTries || !centre_swings(c)) break;
      shrink = attempt + 1 < kPatternTries ? 0.6 * shrink : 0.0;
    }
    const double f0 = state_[c].force;
    const double target =
        reachable_force(f0, std::isfinite(force_cap) ? force_cap : 0.0, ramp, kSpotRampSlope);
    const std::vector<Vec3>& pts = sc().smooth_points;
    const std::vector<Vec3>& normals = sc().smooth_normals;
    for (std::size_t k = 0; k < sc().buffer.size(); ++k) {
      const auto& b = sc().buffer[k];
      const double shape = smoothstep(b.env);
      const double f = f0 + (target * b.mod - f0) * shape;
      emit(c, cursor_[c]++, pts[k + 1], normals[k + 1], f, b.region, Phase::kContact);
    }
    auto& regions = plan_.segments.back().regions;
    for (Region r : path.regions) {
      if (std::find(regions.begin(), regions.end(), r) == regions.end()) regions.push_back(r);
    }
  }

  // Holds a pressure point: ramp up, hold, ramp down (to the touch force).
  void work_point(std::size_t c, const Work& w, const StepArea& area, double ramp, double hold) {
    const double f0 = state_[c].force;
    const double target = reachable_force(
        f0,
        std::min(force_on(area, w.region),
                 kCapHeadroom * s_.footprint_cap[static_cast<std::size_t>(w.vertex)]),
        ramp, kStrokeRampSlope);
    ramp_force(c, f0, target, ramp);
    const long steps = static_cast<long>(std::llround(hold / dt_));
    for (long k = 0; k < steps; ++k) {
      emit(c, cursor_[c]++, w.position, w.normal, target, w.region, Phase::kContact);
    }
    ramp_force(c, target, o_.touch_force_n, ramp);
    plan_.segments.back().regions.push_back(w.region);
  }

  // Glides along a stroke: force ramps in and out over the first and last quarter.
  void work_stroke(std::size_t c, const Work& w, const StepArea& area, double speed) {
    const SurfacePath& path = w.stroke;
    double target = std::numeric_limits<double>::infinity();
    for (Region r : path.regions) target = std::min(target, force_on(area, r));
    for (const Vec3& p : path.points) target = std::min(target, force_at(area, foot(p)));
    // The protocol's speed is the stroke's average pace (its peak is higher).
    const double f0 = state_[c].force;
    std::vector<Vec3>& pts = sc().smooth_points;
    std::vector<Vec3>& normals = sc().smooth_normals;
    // The pad's centre, a radius out along the normal, turns with the skin: where the skin
    // curves sharply the stroke goes slower, so that the centre keeps within the limits too.
    double peak = kMinJerkPeak * speed;
    const double first_peak = peak;
    long steps = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
      timed_move(state_[c].position, path, peak, 2, Smoothing::kOnSkinFromFeet, pts);
      steps = static_cast<long>(pts.size()) - 1;
      normals.assign(1, state_[c].normal);
      for (long k = 1; k <= steps; ++k) {
        normals.push_back(foot(pts[static_cast<std::size_t>(k)]).normal);
      }
      smooth_normals(normals);
      sc().centres.resize(pts.size());
      for (std::size_t k = 0; k < pts.size(); ++k)
        sc().centres[k] = pts[k] + kPadRadiusM * normals[k];
      const double slower = slow_down(sc().centres);
      if (slower <= 1.0) break;
      if (peak <= kSlowestShare * first_peak) break;
      peak = std::max(kSlowestShare * first_peak, peak / slower);
    }
    // The force ramps over the first and last quarter of the stroke.
    const double ramp_s = 0.25 * static_cast<double>(steps) * dt_;
    target = reachable_force(std::max(f0, o_.touch_force_n), target, ramp_s, kStrokeRampSlope);
    for (long k = 1; k <= steps; ++k) {
      const double x = static_cast<double>(k) / static_cast<double>(steps);
      const auto ft = foot(pts[static_cast<std::size_t>(k)]);
      const double f =
          x < 0.5 ? f0 + (target - f0) * smoothstep(x / 0.25)
                  : o_.touch_force_n + (target - o_.touch_force_n) * smoothstep((1.0 - x) / 0.25);
      emit(c, cursor_[c]++, pts[static_cast<std::size_t>(k)], normals[static_cast<std::size_t>(k)],
           f, ft.region, Phase::kContact);
    }
    plan_.segments.back().regions.push_back(w.region);
  }

  // ---- strokes -------------------------------------------------------------------------------
  std::vector<SurfacePath> layout_strokes(const StepArea& area, const DirectionField& field,
                                          bool left, double lane_width) const {
    const auto& V = s_.head->mesh.vertices;
    std::map<long, std::map<long, std::pair<Vec3, int>>> lanes;  // lane -> phi bin -> (sum, n)
    constexpr double kBin = 0.004;
    for (int v : area.vertices) {
      const Vec3& p = V[static_cast<std::size_t>(v)];
      if ((p.x() >= 0.0) != left) continue;
      if (!admissible(area, v, 0.0)) continue;
      const Vec3 q = left ? p : mirror_point(p);
      const long lane = static_cast<long>(std::floor(field.psi(q) / lane_width));
      const long bin = static_cast<long>(std::floor(field.phi(q) / kBin));
      // (Eigen leaves a default-constructed vector uninitialised: start each cell at zero.)
      auto& cell = lanes[lane].try_emplace(bin, Vec3::Zero(), 0).first->second;
      cell.first += p;
      cell.second += 1;
    }
    std::vector<SurfacePath> strokes;
    for (const auto& [lane, bins] : lanes) {
      SurfacePath cur;
      long last_bin = std::numeric_limits<long>::min();
      auto flush = [&] {
        if (cur.points.size() >= 2) {
          cur.finish();
          if (cur.length() >= 0.015) strokes.push_back(cur);
        }
        cur = SurfacePath{};
      };
      for (const auto& [bin, cell] : bins) {
        const Vec3 mean = cell.first / static_cast<double>(cell.second);
        const auto f = foot(mean);
        const bool ok = f.vertex >= 0 && admissible(area, f.vertex, 0.0);
        if (!ok || (last_bin != std::numeric_limits<long>::min() && bin - last_bin > 3)) flush();
        if (!ok) continue;
        if (!cur.points.empty() && (f.position - cur.points.back()).norm() > 0.012) flush();
        cur.points.push_back(f.position);
        cur.normals.push_back(f.normal);
        cur.regions.push_back(f.region);
        last_bin = bin;
      }
      flush();
    }
    // Smooth each stroke a little and put it back on the skin.
    for (SurfacePath& sp : strokes) {
      for (int pass = 0; pass < 3; ++pass) {
        std::vector<Vec3> next = sp.points;
        for (std::size_t i = 1; i + 1 < sp.points.size(); ++i) {
          next[i] = (sp.points[i - 1] + 2.0 * sp.points[i] + sp.points[i + 1]) / 4.0;
        }
        sp.points = next;
      }
      for (std::size_t i = 0; i < sp.points.size(); ++i) {
        const auto f = foot(sp.points[i]);
        sp.points[i] = f.position;
        sp.normals[i] = f.normal;
        sp.regions[i] = f.region;
      }
      sp.finish();
    }
    return strokes;
  }

  // Adds short strokes, along the direction field, where the lanes leave workable skin of the
  // step's regions uncovered: the ends of the lanes, narrow regions (between the eyebrows), a
  // lane the layout broke up. Each is walked on the skin from an admissible vertex near the gap,
  // back against the direction and then forward with it, as far as the skin stays admissible.
  void fill_stroke_gaps(const StepArea& area, const DirectionField& field, bool left,
                        std::vector<SurfacePath>& strokes) const {
    const auto& V = s_.head->mesh.vertices;
    const double pad = 0.85 * kCoveragePadRadiusM;
    constexpr double kStep = 0.002;
    constexpr double kHalfLength = 0.015;
    constexpr double kMinLength = 0.005;
    // Both sides' vertices: near the midline the nearest admissible skin may lie just across.
    PointGrid set_grid(0.01);
    std::vector<int> todo;
    for (int v : area.vertices) {
      const Vec3& p = V[static_cast<std::size_t>(v)];
      set_grid.add(p, v);
      if ((p.x() >= 0.0) != left) continue;
      if (s_.no_go_dist[static_cast<std::size_t>(v)] >= o_.limits.no_go_margin_m) {
        todo.push_back(v);
      }
    }
    std::vector<char> covered(V.size(), 0);
    auto cover_path = [&](const SurfacePath& sp) {
      for (std::size_t i = 0; i < sp.points.size(); ++i) {
        const int n = i == 0 ? 1
                             : std::max(1, static_cast<int>(std::ceil(
                                               (sp.points[i] - sp.points[i - 1]).norm() / kStep)));
        for (int k = 0; k < n; ++k) {
          const Vec3 q = i == 0 ? sp.points[0]
                                : Vec3(sp.points[i - 1] + (sp.points[i] - sp.points[i - 1]) *
                                                              (static_cast<double>(k + 1) / n));
          set_grid.for_each_within(
              q, pad, [&](int u, double) { covered[static_cast<std::size_t>(u)] = 1; });
        }
      }
    };
    for (const SurfacePath& sp : strokes) cover_path(sp);
    // The uncovered vertices in lane order, so the new strokes come in a sensible order.
    std::vector<std::pair<std::pair<double, double>, int>> order;
    for (int v : todo) {
      if (covered[static_cast<std::size_t>(v)] != 0) continue;
      const Vec3& p = V[static_cast<std::size_t>(v)];
      const Vec3 q = left ? p : mirror_point(p);
      order.push_back({{field.psi(q), field.phi(q)}, v});
    }
    std::sort(order.begin(), order.end());
    // A strip of a region too narrow to keep the border allowance anywhere (the jaw's angle on
    // a coarse scan, between the cheek and the throat's margin) is all border: where no
    // admissible skin is near a gap, a fill stroke may run on the region's border vertices (the
    // pad then overlaps the next region, and its force keeps to the lowest cap under it).
    auto allowed = [&](int v, bool on_border) {
      return admissible(area, v, 0.0, kStrokeFillMargin, on_border);
    };
    bool on_border = false;
    auto ok_at = [&](const Vec3& q, PlanningSurface::Impl::Foot* f) {
      *f = foot(q);
      return f->vertex >= 0 && allowed(f->vertex, on_border);
    };
    // One walk from a point along (+1) or against (-1) the direction field, or across it.
    auto walk = [&](const PlanningSurface::Impl::Foot& from, double sign, bool across,
                    std::vector<PlanningSurface::Impl::Foot>& out) {
      PlanningSurface::Impl::Foot at = from;
      for (double done = 0.0; done < kHalfLength; done += kStep) {
        Vec3 g = field.gradient(at.position);
        if (across) g = at.normal.cross(g);
        g -= g.dot(at.normal) * at.normal;
        if (g.norm() < 1e-6) return;
        PlanningSurface::Impl::Foot next;
        if (!ok_at(at.position + sign * kStep * g.normalized(), &next)) return;
        if ((next.position - at.position).norm() < 0.25 * kStep) return;
        out.push_back(next);
        at = next;
      }
    };
    std::vector<PlanningSurface::Impl::Foot> back, ahead;
    for (const auto& [key, x] : order) {
      if (covered[static_cast<std::size_t>(x)] != 0) continue;
      // The admissible vertex nearest to x (a border one where there is none).
      int best = -1;
      for (const bool border : {false, true}) {
        on_border = border;
        double best_d = std::numeric_limits<double>::infinity();
        set_grid.for_each_within(V[static_cast<std::size_t>(x)], pad, [&](int v, double d) {
          if (!allowed(v, on_border)) return;
          if (d < best_d || (d == best_d && v < best)) {
            best_d = d;
            best = v;
          }
        });
        if (best >= 0) break;
      }
      if (best < 0) continue;
      PlanningSurface::Impl::Foot start;
      if (!ok_at(V[static_cast<std::size_t>(best)], &start)) continue;
      // Along the direction; where the skin is too narrow that way (between the eyebrows), a
      // short stroke across it.
      for (const bool across : {false, true}) {
        back.clear();
        ahead.clear();
        walk(start, -1.0, across, back);
        walk(start, 1.0, across, ahead);
        if (static_cast<double>(back.size() + ahead.size()) * kStep >= kMinLength) break;
      }
      SurfacePath sp;
      for (auto it = back.rbegin(); it != back.rend(); ++it) {
        sp.points.push_back(it->position);
        sp.normals.push_back(it->normal);
        sp.regions.push_back(it->region);
      }
      sp.points.push_back(start.position);
      sp.normals.push_back(start.normal);
      sp.regions.push_back(start.region);
      for (const auto& f : ahead) {
        sp.points.push_back(f.position);
        sp.normals.push_back(f.normal);
        sp.regions.push_back(f.region);
      }
      sp.finish();
      if (sp.length() < kMinLength) {
        covered[static_cast<std::size_t>(x)] = 1;  // nothing workable fits here
        continue;
      }
      cover_path(sp);
      covered[static_cast<std::size_t>(x)] = 1;
      strokes.push_back(std::move(sp));
    }
  }

  // ---- step assembly -------------------------------------------------------------------------
  struct Buffered {
    Vec3 p;
    Vec3 n;
    double env;
    double mod;
    Region region;
  };

  // Builds the works of both sides for the step.
  std::vector<Block> make_blocks(const care::PersonalisedStep& step, const StepArea& area,
                                 const DirectionField& field, const care::Intake* intake,
                                 std::vector<std::string>& notes) {
    const care::MassageStep& m = step.step.massage();
    const auto& V = s_.head->mesh.vertices;
    const double pad = o_.pad_radius_m;
    std::array<std::vector<Work>, kContactCount> side;
    auto weight_of = [&](Region r) {
      if (intake == nullptr) return 1.0;
      for (care::Region t : intake->tense_regions) {
        if (to_anatomy(t) == r) return o_.tense_dwell_factor;
      }
      return 1.0;
    };
    if (m.technique == Technique::kCircularFriction || m.technique == Technique::kKneading) {
      const bool knead = m.technique == Technique::kKneading;
      const double size = knead ? *m.params.amplitude_m : *m.params.radius_m;
      const double reach = knead ? 0.5 * size : size;
      const double spacing = spacing_scale_ * (knead ? 0.75 * size + pad : size + pad - 0.0015);
      const double offset = step_offset_;
      const double cycle_s = 1.0 / *m.params.frequency_hz;
      if (layout_.valid && layout_.spacing_scale == spacing_scale_ && layout_.sweep == sweep_) {
        // Only the fill's aim changed since the last try: the layout is the same.
        side = layout_.side;
      } else {
        PointGrid taken(spacing);
        // Each side's order on its own thread; the spots are then taken left side first.
        std::array<std::vector<int>, kContactCount> order;
        second_.both(
            [&] { order[kLeft] = layout_order(area, field, true, reach, spacing, offset); },
            [&] { order[kRight] = layout_order(area, field, false, reach, spacing, offset); });
        for (std::size_t c = 0; c < kContactCount; ++c) {
          for (int v : layout_spots(order[c], spacing, taken)) {
            Work w = work_at(Work::Kind::kSpot, v);
            w.mirrored = c == kRight;
            w.weight = weight_of(w.region);
            side[c].push_back(w);
          }
          // Sweeps: the spots of a lane are worked in one pass, the pad moving from spot to
          // spot while it keeps working; the fill then closes the gaps the passes leave.
          if (sweep_) chain_spots(area, reach, spacing, cycle_s, side[c]);
        }
        layout_ = {true, spacing_scale_, sweep_, side};
      }
      // Each side's fill depends on that side's spots alone: the right side's is made on a
      // second thread while this one makes the left's (the same spots either way).
      if (fill_gaps_) {
        second_.both(
            [&] { fill_gaps(area, field, true, reach, spacing, offset, knead, side[kLeft]); },
            [&] { fill_gaps(area, field, false, reach, spacing, offset, knead, side[kRight]); });
      }
      for (std::size_t c = 0; c < kContactCount; ++c) {
        if (sweep_) chain_spots(area, reach, spacing, cycle_s, side[c]);
        for (Work& w : side[c]) {
          if (w.kind == Work::Kind::kSpot) w.weight = weight_of(w.region);
        }
      }
    } else if (m.technique == Technique::kPressRelease) {
      std::vector<Block> point_blocks;
      for (care::PressurePoint cp : m.points) {
        const auto ap = anatomy::parse_acupoint(care::to_string(cp));
        Block block;
        for (const anatomy::PressurePoint& pp : s_.head->pressure_points) {
          if (!ap || pp.point != *ap) continue;
          const std::string label = std::string(care::to_string(cp)) + " (" +
                                    std::string(anatomy::side_name(pp.side)) + ")";
          int v = pp.vertex;
          if (v < 0 || area.in_set[static_cast<std::size_t>(v)] == 0) {
            notes.push_back("step " + step.step.id + ": " + label +
                            " is not in the step's regions on this head; left out");
            continue;
          }
          if (!admissible(area, v, 0.0)) {
            // Move it to the nearest vertex that keeps the margin, within 1.2 cm.
            int best = -1;
            double best_d = 0.012;
            for (int u : area.vertices) {
              const double d = (V[static_cast<std::size_t>(u)] - pp.position).norm();
              if (d < best_d && admissible(area, u, 0.0)) {
                best_d = d;
                best = u;
              }
            }
            if (best < 0) {
              notes.push_back("step " + step.step.id + ": " + label +
                              " lies inside the no-go margin and no point within 1.2 cm is "
                              "clear of it; left out");
              continue;
            }
            std::ostringstream note;
            note.precision(1);
            note << std::fixed << "step " << step.step.id << ": " << label << " moved "
                 << best_d * 1000.0 << " mm to keep the no-go margin";
            notes.push_back(note.str());
            v = best;
          }
          Work w = work_at(Work::Kind::kPoint, v);
          w.point = pp.point;
          w.weight = weight_of(w.region);
          const std::size_t c = pp.side == anatomy::Side::kRight ? kRight : kLeft;
          w.mirrored = c == kRight;
          block.work[c] = w;
        }
        if (block.work[kLeft] || block.work[kRight]) point_blocks.push_back(std::move(block));
      }
      return point_blocks;
    } else {
      for (std::size_t c = 0; c < kContactCount; ++c) {
        std::vector<SurfacePath> lanes = layout_strokes(area, field, c == kLeft, 1.6 * pad);
        fill_stroke_gaps(area, field, c == kLeft, lanes);
        for (SurfacePath& sp : lanes) {
          Work w;
          w.kind = Work::Kind::kStroke;
          w.position = sp.points.front();
          w.normal = sp.normals.front();
          w.region = sp.regions.front();
          w.mirrored = c == kRight;
          w.stroke = std::move(sp);
          side[c].push_back(std::move(w));
        }
      }
    }
    // Pair each left work with the first right work (in the right's own order) far enough away
    // for two hands: the mirror image where it can be, else one further along; the rest run
    // alone.
    const double reach = m.technique == Technique::kCircularFriction ? *m.params.radius_m
                         : m.technique == Technique::kKneading       ? 0.5 * *m.params.amplitude_m
                                                                     : 0.0;
    const double min_sep = o_.limits.min_contact_separation_m + 0.01;
    std::vector<Block> blocks;
    std::vector<char> used(side[kRight].size(), 0);
    std::size_t first_free = 0;
    for (const Work& lw : side[kLeft]) {
      while (first_free < used.size() && used[first_free] != 0) ++first_free;
      Block b;
      b.work[kLeft] = lw;
      int scanned = 0;
      for (std::size_t j = first_free; j < used.size() && scanned < 80; ++j) {
        if (used[j] != 0) continue;
        ++scanned;
        if (separation(lw, side[kRight][j], reach) >= min_sep) {
          used[j] = 1;
          b.work[kRight] = side[kRight][j];
          break;
        }
      }
      blocks.push_back(std::move(b));
    }
    for (std::size_t j = 0; j < used.size(); ++j) {
      if (used[j] != 0) continue;
      Block b;
      b.work[kRight] = side[kRight][j];
      blocks.push_back(std::move(b));
    }
    return blocks;
  }

  // The lowest distance between two works' reach (spots and points: centre distance minus the
  // pattern's reach; strokes: closest pair of points).
  double separation(const Work& a, const Work& b, double reach) const {
    const bool lane_a = a.kind == Work::Kind::kStroke || a.kind == Work::Kind::kSweep;
    const bool lane_b = b.kind == Work::Kind::kStroke || b.kind == Work::Kind::kSweep;
    double best = std::numeric_limits<double>::infinity();
    if (lane_a && lane_b) {
      // Both hands set off together and advance alike: compare them at the same distance
      // along their lanes (the one that finishes first waits at its end).
      // Sweeps take the same time, so they are compared at the same share of their lengths.
      const double la = a.stroke.length();
      const double lb = b.stroke.length();
      const double total = std::max(la, lb);
      const bool sweeps = a.kind == Work::Kind::kSweep && b.kind == Work::Kind::kSweep;
      const int n = std::max(1, static_cast<int>(std::ceil(total / 0.004)));
      Vec3 p, q, nn;
      Region r;
      for (int i = 0; i <= n; ++i) {
        const double sv = total * i / n;
        const double share = static_cast<double>(i) / n;
        a.stroke.at(sweeps ? share * la : std::min(sv, la), &p, &nn, &r);
        b.stroke.at(sweeps ? share * lb : std::min(sv, lb), &q, &nn, &r);
        best = std::min(best, (p - q).norm());
      }
      return best - 2.0 * reach;
    }
    auto pts = [](const Work& w) {
      return w.kind == Work::Kind::kStroke || w.kind == Work::Kind::kSweep
                 ? w.stroke.points
                 : std::vector<Vec3>{w.position};
    };
    for (const Vec3& p : pts(a)) {
      for (const Vec3& q : pts(b)) best = std::min(best, (p - q).norm());
    }
    return best - 2.0 * reach;
  }

  void plan_massage_step(const care::PersonalisedStep& step, const care::Intake* intake,
                         long& end_tick) {
    const care::MassageStep& m = step.step.massage();
    const StepArea area = make_area(step);
    const long step_start = tick_;
    first_round_s_ = -1.0;
    DirectionField field;
    field.centre = s_.centre;
    field.direction = m.direction.value_or(care::Direction::kFrontToBack);
    const bool spots =
        m.technique == Technique::kCircularFriction || m.technique == Technique::kKneading;
    // The least time at a spot: circles go round once between their ramps (a half circle
    // leaves half the ring unworked), kneading pushes and returns at least once.
    const double min_work = m.technique == Technique::kPressRelease ? 2.0 * 0.3 + 1.0
                            : m.technique == Technique::kCircularFriction
                                ? 0.5 + 1.0 / *m.params.frequency_hz
                            : spots ? 0.5 + 0.5 / *m.params.frequency_hz
                                    : 0.0;
    double seconds = static_cast<double>(end_tick - tick_) * dt_;
    const double planned_s = step.step.duration_s;
    const double hop = 2.0 * move_time(o_.lift_height_m, 0.6 * o_.travel_speed_m_per_s, o_.limits);
    std::vector<Block> ordered;
    std::vector<double> block_overheads, block_weights, block_mins;
    double weights = 0.0;
    double least_work = 0.0;  // the blocks' least working time, summed. Unit: [s]
    double overhead = 0.0;
    std::vector<std::string> step_notes;
    spacing_scale_ = 1.0;
    fill_gaps_ = true;
    sweep_ = false;
    fill_target_ = kFillTarget;
    bool keep_fill = false;
    // One offset of the lanes for every try of the step (the layout then changes only with the
    // spacing), drawn for circles and kneading alone.
    if (spots) step_offset_ = rng_.uniform();
    layout_.valid = false;
    for (int attempt = 0;; ++attempt) {
      step_notes.clear();
      std::vector<Block> blocks = make_blocks(step, area, field, intake, step_notes);
      ordered.clear();
      block_overheads.clear();
      block_weights.clear();
      block_mins.clear();
      weights = 0.0;
      least_work = 0.0;
      overhead = 0.0;
      if (blocks.empty() && !fill_gaps_ && !keep_fill) {
        // Without the fill nothing is left (a narrow region): keep the fill after all.
        fill_gaps_ = true;
        keep_fill = true;
        continue;
      }
      if (blocks.empty()) break;
      const bool knead_step = m.technique == Technique::kKneading;
      const double reach = m.technique == Technique::kCircularFriction ? *m.params.radius_m
                           : knead_step                                ? 0.5 * *m.params.amplitude_m
                                                                       : 0.0;
      const double min_sep = o_.limits.min_contact_separation_m + 0.01;
      // Split pairs that come too close into two single blocks, and gather those at the end (one
      // hand at a time).
      std::vector<Block> paired, single_left, single_right;
      for (Block& b : blocks) {
        if (b.work[kLeft] && b.work[kRight] &&
            separation(*b.work[kLeft], *b.work[kRight], reach) < min_sep) {
          Block l, r;
          l.work[kLeft] = b.work[kLeft];
          r.work[kRight] = b.work[kRight];
          single_left.push_back(std::move(l));
          single_right.push_back(std::move(r));
        } else if (b.work[kLeft] && !b.work[kRight]) {
          single_left.push_back(std::move(b));
        } else if (!b.work[kLeft] && b.work[kRight]) {
          single_right.push_back(std::move(b));
        } else {
          paired.push_back(std::move(b));
        }
      }
      for (auto* list : {&paired, &single_left, &single_right}) {
        for (Block& b : *list) ordered.push_back(std::move(b));
      }
      // Time: estimate the moves, share the rest by weight.
      std::array<Vec3, kContactCount> last{s_.park[kLeft], s_.park[kRight]};
      for (std::size_t i = 0; i < ordered.size(); ++i) {
        double block_overhead = 0.0;
        double w = 0.0;
        double least = 0.0;
        for (std::size_t c = 0; c < kContactCount; ++c) {
          if (!ordered[i].work[c]) continue;
          const Work& wk = *ordered[i].work[c];
          const double d = (wk.position - last[c]).norm();
          double move = d < 0.05 ? move_time(d, o_.slide_speed_m_per_s, o_.limits)
                                 : hop + move_time(1.3 * d, o_.travel_speed_m_per_s, o_.limits) +
                                       2 * kSettleS;
          if (wk.kind == Work::Kind::kStroke) {
            move = move +
                   move_time(wk.stroke.length(), kMinJerkPeak * *m.params.speed_m_per_s, o_.limits);
            last[c] = wk.stroke.points.back();
          } else if (wk.kind == Work::Kind::kSweep) {
            // From the end of the last lane, a hop to the start of this one.
            move = hop + move_time(1.3 * d, o_.travel_speed_m_per_s, o_.limits) + 2 * kSettleS;
            last[c] = wk.stroke.points.back();
          } else {
            last[c] = wk.position;
          }
          block_overhead = std::max(block_overhead, move);
          w = std::max(w, wk.weight);
          least = std::max(least, wk.min_s > 0.0 ? wk.min_s : min_work);
        }
        // Parking the idle hand when singles start.
        if (i > 0 &&
            (ordered[i].work[kLeft].has_value() != ordered[i - 1].work[kLeft].has_value() ||
             ordered[i].work[kRight].has_value() != ordered[i - 1].work[kRight].has_value())) {
          block_overhead += 2.0 * move_time(0.3, o_.travel_speed_m_per_s, o_.limits) + 2 * hop;
        }
        overhead += block_overhead;
        weights += w;
        least_work += least;
        block_overheads.push_back(block_overhead);
        block_weights.push_back(w);
        block_mins.push_back(least);
      }
      overhead += 2.0 * move_time(0.3, o_.travel_speed_m_per_s, o_.limits) + 2 * hop + 4 * kSettleS;
      // Spots that cannot all be worked in the step's time: first the fill aims a little lower
      // (never below what validation asks, with a margin) and the spots are spaced wider (up to
      // twice as far apart, the fill closing the holes); then the pattern is worked along lanes
      // instead of spot by spot (no lift, slide or ramp between spots), its fill again aiming
      // lower if need be, and, where the step may take longer, it does; then the lanes are
      // spaced wider (up to twice as far apart), and last the fill is left out (the wider
      // layout then leaves holes, which other steps on the same regions may cover).
      const double need = move_allowance_ * overhead + least_work;
      if (spots && attempt == 0 && need > seconds) {
        // Where this step may take longer, first as long as its full layout needs.
        const long before = end_tick;
        lengthen(step, 1.05 * need - seconds, end_tick);
        seconds += static_cast<double>(end_tick - before) * dt_;
      }
      if (!spots || need <= seconds || attempt == 32) break;
      if (fill_target_ > fill_floor_) {
        fill_target_ = std::max(fill_floor_, fill_target_ - 0.02);
        continue;
      }
      if (!sweep_ && spacing_scale_ >= kWiderBeforeSweeps) {
        sweep_ = true;
        spacing_scale_ = 1.0;
        fill_target_ = kFillTarget;
        continue;
      }
      if (sweep_ && spacing_scale_ == 1.0) {
        const long before = end_tick;
        lengthen(step, 1.05 * need - seconds, end_tick);
        seconds += static_cast<double>(end_tick - before) * dt_;
        if (end_tick > before) continue;
      }
      if (spacing_scale_ >= 2.0) {
        if (!fill_gaps_ || keep_fill) break;
        fill_gaps_ = false;
        continue;
      }
      const double widest = sweep_ ? 2.0 : kWiderBeforeSweeps;
      spacing_scale_ = std::min(widest, spacing_scale_ * 1.03 * std::sqrt(need / seconds));
    }
    for (std::string& n : step_notes) plan_.notes.push_back(std::move(n));
    if (lengthened_s_ > 0.0) {
      plan_.notes.push_back("step " + step.step.id + ": lengthened from " +
                            std::to_string(std::llround(planned_s)) + " s to " +
                            std::to_string(std::llround(planned_s + lengthened_s_)) +
                            " s for this head's area (the step allows up to " +
                            std::to_string(std::llround(step.step.max_duration_s)) + " s)");
    }
    if (sweep_) {
      plan_.notes.push_back("step " + step.step.id +
                            ": the pattern is worked along lanes rather than spot by spot, to "
                            "fit " +
                            std::to_string(std::llround(seconds)) + " s");
    }
    if (spacing_scale_ > 1.0) {
      std::ostringstream note;
      note << "step " << step.step.id << ": " << (sweep_ ? "lanes" : "spots") << " spaced "
           << std::llround(100.0 * (spacing_scale_ - 1.0))
           << "% wider than the technique's own spacing to fit " << std::llround(seconds) << " s";
      plan_.notes.push_back(note.str());
    }
    if (!fill_gaps_) {
      plan_.notes.push_back("step " + step.step.id + ": no extra spots in the gaps, to fit " +
                            std::to_string(std::llround(seconds)) + " s");
    } else if (fill_target_ < kFillTarget) {
      plan_.notes.push_back("step " + step.step.id + ": extra spots fill the regions to about " +
                            std::to_string(std::llround(100.0 * fill_target_)) + "% (not " +
                            std::to_string(std::llround(100.0 * kFillTarget)) + "%), to fit " +
                            std::to_string(std::llround(seconds)) + " s");
    }
    spacing_scale_ = 1.0;
    fill_gaps_ = true;
    sweep_ = false;
    if (m.technique != Technique::kPressRelease) {
      for (care::Region r : m.regions) targeted_[static_cast<std::size_t>(to_anatomy(r))] = true;
    }
    if (ordered.empty()) {
      open_segment(SegmentKind::kTransition, step, step.step.title + ": nothing to do");
      plan_.notes.push_back("step " + step.step.id + ": no workable area on this head; skipped");
      sync(end_tick);
      return;
    }
    const bool knead = m.technique == Technique::kKneading;
    double per_weight = weights > 0.0 ? (seconds * 0.97 - overhead) / weights : 0.0;
    if (m.technique == Technique::kGlide || m.technique == Technique::kSlideUp) {
      // Strokes are repeated in rounds to fill the time.
      per_weight = 0.0;
    }
    if ((spots || m.technique == Technique::kPressRelease) &&
        kMoveAllowance * overhead + least_work > 1.3 * seconds) {
      std::ostringstream why;
      why << "step " << step.step.id << ": " << seconds << " s is too short to work "
          << ordered.size() << " spots on this head (needs about "
          << std::llround(kMoveAllowance * overhead + least_work)
          << " s: " << std::llround(kMoveAllowance * overhead) << " s moving between them)";
      throw PlanRejected(why.str(), ValidationReport{});
    }

    SpotPattern pattern;
    pattern.technique = m.technique;
    if (m.technique == Technique::kCircularFriction) {
      pattern.radius = *m.params.radius_m;
      pattern.frequency = *m.params.frequency_hz;
    } else if (knead) {
      pattern.radius = *m.params.amplitude_m;
      pattern.frequency = *m.params.frequency_hz;
    }
    // Press-and-release: rounds of the points, each cycle ramp + hold + ramp.
    int rounds = 1;
    double ramp = m.params.ramp_s.value_or(1.0);
    double hold = m.params.hold_s.value_or(5.0);
    if (m.technique == Technique::kPressRelease) {
      const double cycle = 2.0 * ramp + hold;
      const double available = seconds * 0.97 - overhead;
      rounds = std::max(1, static_cast<int>(std::floor(available / (cycle * weights))));
      const double per = available / (rounds * weights);  // per unit weight per round
      if (per < cycle) {
        const double scale = per / cycle;
        ramp *= scale;
        hold *= scale;
      } else {
        hold += per - cycle;
      }
    }
    const double speed = m.params.speed_m_per_s.value_or(0.05);

    auto parameters = [&]() {
      std::vector<Parameter> ps;
      if (m.params.radius_m) ps.push_back({"radius_m", *m.params.radius_m});
      if (m.params.amplitude_m) {
        ps.push_back({"amplitude_m", *m.params.amplitude_m});
        ps.push_back({"skin_shift_m", 0.5 * *m.params.amplitude_m});
      }
      if (m.params.frequency_hz) ps.push_back({"frequency_hz", *m.params.frequency_hz});
      if (m.technique == Technique::kPressRelease) {
        ps.push_back({"ramp_s", ramp});
        ps.push_back({"hold_s", hold});
        ps.push_back({"rounds", static_cast<double>(rounds)});
      }
      if (m.params.speed_m_per_s) ps.push_back({"speed_m_per_s", speed});
      return ps;
    };

    // Strokes repeat in rounds to fill the time.
    const bool strokes = m.technique == Technique::kGlide || m.technique == Technique::kSlideUp;
    const int total_rounds = m.technique == Technique::kPressRelease ? rounds : strokes ? 1000 : 1;
    bool out_of_time = false;
    double spent_overhead = 0.0;  // moves and ramps so far, as planned. Unit: [s]
    double spent_estimate = 0.0;  // the same, as estimated beforehand. Unit: [s]
    for (int round = 0; round < total_rounds && !out_of_time; ++round) {
      for (std::size_t bi = 0; bi < ordered.size(); ++bi) {
        const Block& b = ordered[bi];
        if (round == 0 && !strokes && m.technique != Technique::kPressRelease && weights > 0.0) {
          // Share the time still left among the spots still to come.
          double rest_overhead =
              2.0 * move_time(0.3, o_.travel_speed_m_per_s, o_.limits) + 2 * hop + 4 * kSettleS;
          double rest_weight = 0.0;
          for (std::size_t k = bi; k < ordered.size(); ++k) {
            rest_overhead += block_overheads[k];
            rest_weight += block_weights[k];
          }
          // The moves so far took `overrun` times their estimate; expect the same of the rest.
          const double overrun =
              spent_estimate > 0.0 ? std::max(1.0, spent_overhead / spent_estimate) : 1.0;
          const double left_s = static_cast<double>(end_tick - tick_) * dt_;
          per_weight = std::max(0.0, (left_s * 0.97 - 1.1 * overrun * rest_overhead) / rest_weight);
        }
        // The work of the block: all hands work together for the longest share.
        double work_s = 0.0;
        for (std::size_t c = 0; c < kContactCount; ++c) {
          if (b.work[c]) work_s = std::max(work_s, per_weight * b.work[c]->weight);
        }
        // A sweep that falls behind may go up to twice as fast as its planned least (half a
        // cycle of the pattern per spot) rather than leave the last lanes out.
        const bool sweeping = (b.work[kLeft] && b.work[kLeft]->kind == Work::Kind::kSweep) ||
                              (b.work[kRight] && b.work[kRight]->kind == Work::Kind::kSweep);
        const double least_s =
            (block_mins.empty() ? min_work : block_mins[bi]) * (sweeping ? 0.5 : 1.0);
        if (!strokes && m.technique != Technique::kPressRelease) {
          work_s = std::max(work_s, least_s);
        }
        // Plan the block, then check that both hands can still retract in the step's time; if
        // not, take it back and try the least work, or stop there.
        const long block_start = tick_;
        auto run_block = [&](const double spot_s) {
          cursor_ = {tick_, tick_};
          // How each hand gets to its work: slide on the skin when near and clear, else hop.
          // Each hand's way depends on that hand alone: the right hand's is found on the
          // second thread while this one finds the left's.
          std::array<std::optional<std::vector<Vec3>>, kContactCount> slides;
          std::array<bool, kContactCount> hops{};
          auto find_way = [&](std::size_t c) {
            if (!b.work[c]) {
              hops[c] = !state_[c].parked;
              return;
            }
            const Work& w = *b.work[c];
            const double d = (w.position - state_[c].position).norm();
            if (state_[c].on_skin && d < 0.05 && w.kind != Work::Kind::kSweep) {
              SurfacePath path;
              std::vector<int> faces;
              const int n = std::max(2, static_cast<int>(std::ceil(d / 0.002)));
              bool ok = true;
              for (int k = 0; k <= n && ok; ++k) {
                const Vec3 q = state_[c].position +
                               (w.position - state_[c].position) * (static_cast<double>(k) / n);
                const auto f = foot(q);
                ok = f.vertex >= 0 && area.in_set[static_cast<std::size_t>(f.vertex)] != 0 &&
                     s_.no_go_dist[static_cast<std::size_t>(f.vertex)] >=
                         o_.limits.no_go_margin_m + o_.planning_margin_m;
                path.points.push_back(k == n ? w.position : f.position);
                path.normals.push_back(k == n ? w.normal : f.normal);
                path.regions.push_back(k == n ? w.region : f.region);
                faces.push_back(k == n ? -1 : f.face);
              }
              std::vector<Vec3> samples;
              if (ok) {
                path.finish();
                ok = slide_samples(state_[c].position, state_[c].normal, std::move(path),
                                   std::move(faces), area, samples);
              }
              if (ok) {
                slides[c] = std::move(samples);
                return;
              }
            }
            hops[c] = true;
          };
          if (b.work[kLeft] && b.work[kRight]) {
            second_.both([&] { find_way(kLeft); }, [&] { find_way(kRight); });
          } else {
            for (std::size_t c = 0; c < kContactCount; ++c) find_way(c);
          }
          const bool hop_needed = hops[kLeft] || hops[kRight];
          if (hop_needed) {
            open_segment(SegmentKind::kTransition, step, step.step.title + ": move");
          } else if (plan_.segments.back().kind != SegmentKind::kMassage ||
                     plan_.segments.back().step_id != step.step.id) {
            open_segment(SegmentKind::kMassage, step, step.step.title);
            plan_.segments.back().parameters = parameters();
          }
          // Hands that sit this block out go to their park position first.
          for (std::size_t c = 0; c < kContactCount; ++c) {
            if (!b.work[c]) park(c);
          }
          sync(block_end());
          cursor_ = {tick_, tick_};
          // Both hands move at once; if they would pass closer than a hand's width, one after
          // the other (the second waits where it is).
          const auto saved_state = state_;
          const std::array<std::size_t, kContactCount> saved_size{plan_.tracks[0].size(),
                                                                  plan_.tracks[1].size()};
          const long move_start = tick_;
          for (int attempt = 0; attempt < 3; ++attempt) {
            std::array<std::size_t, kContactCount> order{kLeft, kRight};
            if (attempt == 2) {
              // Last resort: both hands park, then come in one after the other.
              for (std::size_t c = 0; c < kContactCount; ++c) park(c);
              sync(block_end());
              cursor_ = {tick_, tick_};
              slides = {};
            }
            auto move_in = [&](std::size_t c) {
              const Work& w = *b.work[c];
              if (slides[c]) {
                // A stroke ends at the touch force, still moving a little (smoothed in time):
                // a moment's rest keeps its stop and the slide's start apart.
                ramp_force(c, state_[c].force, o_.touch_force_n,
                           state_[c].force != o_.touch_force_n ? 0.2 : 0.05);
                slide(c, *slides[c]);
                // The same between the slide's stop and the stroke's start.
                if (w.kind == Work::Kind::kStroke)
                  ramp_force(c, o_.touch_force_n, o_.touch_force_n, 0.05);
              } else {
                go_to_skin(c, w.position, w.normal);
                ramp_force(c, 0.0, o_.touch_force_n, kSettleS);
              }
            };
            if (attempt == 0 && b.work[kLeft] && b.work[kRight]) {
              // Together: each hand's samples depend on that hand alone (its own track, state
              // and cursor), so the right hand's are made on the second thread.
              second_.both([&] { move_in(kLeft); }, [&] { move_in(kRight); });
            } else {
              for (std::size_t c : order) {
                if (!b.work[c]) continue;
                if (attempt > 0 && c == order[1]) {
                  sync(block_end());
                  cursor_ = {tick_, tick_};
                }
                move_in(c);
              }
            }
            sync(block_end());
            if (attempt == 2 || tracks_apart(saved_size)) break;
            // Undo and try again.
            for (std::size_t c = 0; c < kContactCount; ++c) plan_.tracks[c].resize(saved_size[c]);
            state_ = saved_state;
            tick_ = move_start;
            cursor_ = {tick_, tick_};
          }
          // Both hands start working together.
          sync(block_end());
          cursor_ = {tick_, tick_};
          if (plan_.segments.back().kind != SegmentKind::kMassage) {
            open_segment(SegmentKind::kMassage, step, step.step.title);
            plan_.segments.back().parameters = parameters();
          }
          if (b.work[kLeft] && b.work[kLeft]->point) {
            plan_.segments.back().point = b.work[kLeft]->point;
          } else if (b.work[kRight] && b.work[kRight]->point) {
            plan_.segments.back().point = b.work[kRight]->point;
          }
          // Two spots are worked at once, the right hand's on the second thread (each hand's
          // samples depend on that hand alone); the segment lists their regions left first.
          const bool spot_pair = b.work[kLeft] && b.work[kRight] &&
                                 b.work[kLeft]->kind == Work::Kind::kSpot &&
                                 b.work[kRight]->kind == Work::Kind::kSpot;
          if (spot_pair) {
            second_.both([&] { work_spot(kLeft, *b.work[kLeft], pattern, area, field, spot_s); },
                         [&] { work_spot(kRight, *b.work[kRight], pattern, area, field, spot_s); });
          }
          for (std::size_t c = 0; c < kContactCount; ++c) {
            if (!b.work[c]) continue;
            const Work& w = *b.work[c];
            switch (w.kind) {
              case Work::Kind::kSpot:
                if (!spot_pair) work_spot(c, w, pattern, area, field, spot_s);
                plan_.segments.back().regions.push_back(w.region);
                break;
              case Work::Kind::kPoint:
                work_point(c, w, area, ramp, hold * w.weight);
                break;
              case Work::Kind::kStroke:
                work_stroke(c, w, area, speed);
                break;
              case Work::Kind::kSweep:
                work_sweep(c, w, pattern, area, field, spot_s);
                break;
            }
          }
          sync(block_end());
        };
        const Snapshot before = snapshot();
        run_block(work_s);
        if (strokes && !clear_of_no_go(before)) {
          // A stroke that its smoothing took into the no-go margin or onto unlabelled skin (near
          // the throat on the ICT heads): left out.
          restore(before);
          continue;
        }
        bool fits = retract_fits(end_tick);
        if (!fits && work_s > least_s && !strokes && m.technique != Technique::kPressRelease) {
          restore(before);
          work_s = least_s;
          run_block(work_s);
          fits = retract_fits(end_tick);
        }
        if (!fits) {
          restore(before);
          out_of_time = true;
          if (round == 0 && strokes) {
            // The first round of strokes did not finish: what its rest would have needed.
            for (std::size_t k = bi; k < ordered.size(); ++k) shortfall_s_ += block_overheads[k];
          }
          if (round == 0 && !strokes && m.technique != Technique::kPressRelease) {
            // What the spots left would have needed, at the overrun measured so far.
            const double overrun =
                spent_estimate > 0.0 ? std::max(1.0, spent_overhead / spent_estimate) : 1.0;
            for (std::size_t k = bi; k < ordered.size(); ++k) {
              shortfall_s_ += overrun * block_overheads[k] + block_mins[k];
            }
          }
          break;
        }
        if (round == 0 && !strokes && m.technique != Technique::kPressRelease) {
          spent_overhead += static_cast<double>(tick_ - block_start) * dt_ - work_s;
          spent_estimate += block_overheads[bi];
        }
      }
      if (round == 0 && !out_of_time) {
        first_round_s_ = static_cast<double>(tick_ - step_start) * dt_;
        if (spots && spent_estimate > 0.0) measured_overrun_ = spent_overhead / spent_estimate;
      }
    }
    if (strokes || m.technique == Technique::kPressRelease) {
      // Rounds repeat; nothing to report. Spots run once: all of them must have fitted.
    } else if (out_of_time) {
      plan_.notes.push_back("step " + step.step.id + ": the time ran out before the last spots");
    }
    // Lift both hands and park them; the hands wait at the park position to the end of the step.
    cursor_ = {tick_, tick_};
    open_segment(SegmentKind::kTransition, step, step.step.title + ": retract");
    for (std::size_t c = 0; c < kContactCount; ++c) park(c);
    const long parked = block_end();
    longest_retract_ = std::max(longest_retract_, parked - tick_);
    if (parked > end_tick) {
      std::ostringstream why;
      why << "step " << step.step.id << " overruns its " << seconds << " s by "
          << static_cast<double>(parked - end_tick) * dt_ << " s";
      throw PlanRejected(why.str(), ValidationReport{});
    }
    sync(parked);
    tick_ = end_tick;
    close_segment();
    // The remainder (hands parked) belongs to the retract segment.
    plan_.segments.back().end_s = static_cast<double>(end_tick) * dt_;
  }

  void plan_care_step(const care::PersonalisedStep& step, long end_tick) {
    cursor_ = {tick_, tick_};
    for (std::size_t c = 0; c < kContactCount; ++c) park(c);
    sync(block_end());
    open_segment(SegmentKind::kCare, step, step.step.title);
    Segment& seg = plan_.segments.back();
    const care::CareStep& care_step = step.step.care();
    seg.care_kind = care_step.kind;
    seg.device = care_step.device;
    seg.product_id = step.product_id;
    seg.instruction = care_step.instruction;
    for (care::Region r : care_step.regions) seg.regions.push_back(to_anatomy(r));
    tick_ = end_tick;
    close_segment();
  }

 public:
  std::array<bool, anatomy::kRegionCount> targeted_{};
  // The steps on these regions may take longer than planned (see lengthen()).
  std::array<bool, anatomy::kRegionCount> may_lengthen_{};
  // Per protocol step: seconds it gives away (it ends that much sooner), for steps short of
  // time within a budget that has none left.
  std::vector<double> give_s_;
  // Per protocol step, from its first try: what its layout would have needed beyond its time,
  // and when a round of strokes or presses first finished (-1: never). Unit: [s]
  struct StepRecord {
    double shortfall_s = 0.0;
    double first_round_s = -1.0;
  };
  std::vector<StepRecord> records_;

 private:
  double spacing_scale_ = 1.0;  // spots spaced wider to fit a short step
  double step_offset_ = 0.0;    // the step's lanes' offset, in lane widths
  // The step's last layout (before the fill) and what it was made for: a try that only aims the
  // fill lower reuses it.
  struct Layout {
    bool valid = false;
    double spacing_scale = 1.0;
    bool sweep = false;
    std::array<std::vector<Work>, kContactCount> side;
  };
  Layout layout_;
  bool sweep_ = false;                      // patterns worked along lanes to fit a short step
  double spare_s_ = 0.0;                    // time the budget leaves for longer steps
  double lengthened_s_ = 0.0;               // how much longer this step was made
  bool fill_gaps_ = true;                   // extra spots in the layout's gaps
  double fill_target_ = kFillTarget;        // the coverage the extra spots aim at
  double fill_floor_ = kFillTargetLowest;   // the least it may aim at in this try
  double move_allowance_ = kMoveAllowance;  // the moves' time over their estimate
  double shortfall_s_ = 0.0;                // what the spots left out of a step needed
  double measured_overrun_ = 0.0;           // the last spot step's moves over their estimate
  double first_round_s_ = -1.0;             // when the step's first round finished
  // fill_gaps' own scratch, one set per side (the two sides are filled at once).
  // A vertex where a fill spot may go, and the reach its pattern may have there.
  struct Candidate {
    int vertex;
    double reach;
    int reached = -1;  // its index among the side's reachable candidates (fill_gaps)
  };
  // Uncovered workable skin of one region gathered at a spot centre (see fill_gaps).
  struct Piece {
    int centre;     // the spot centre's vertex
    Region region;  // of the vertices gathered
    double area;    // theirs. Unit: [m^2]
    int next;       // the centre's next piece (another region), or -1
    bool covered;
  };
  struct FillScratch {
    std::vector<Piece> pieces;
    std::vector<int> piece_of;         // per vertex: a centre's first piece, or -1 between calls
    PointGrid todo_grid{0.01};         // the side's workable skin
    std::vector<int> todo;             // the same vertices
    std::vector<char> covered;         // per vertex: covered by the layout
    std::vector<Candidate> reachable;  // the candidates (spot centres with a reach)
    std::vector<double> reach_gain;    // their first gains
    std::vector<std::pair<int, int>> pairs;  // (candidate, piece) within the candidate's reach
    std::vector<int> reached_start;          // the same by candidate: each one's first in `reached`
    std::vector<int> reached;                // pieces
    std::vector<int> reached_next;           // while sorting: each candidate's next free entry
    PointGrid live{0.01};                    // the pieces, for their cell order
    PointGrid reachers{0.01};                // candidates with a reach
  };
  mutable std::array<FillScratch, kContactCount> fill_scratch_;
  // A spot's or a sweep's pattern is tried at this many sizes (each 0.6 of the last), then
  // left out (the pad presses without it).
  static constexpr int kPatternTries = 4;
  // The closest skin points last asked (foot), by their point's bits.
  struct RememberedFoot {
    Vec3 at = Vec3::Zero();
    PlanningSurface::Impl::Foot foot;
    bool known = false;
  };
  static constexpr std::size_t kRememberedFeet = 4096;
  // The last moves through the air (travel), by their ends' exact bits, with their samples.
  struct RememberedTravel {
    std::array<Vec3, 4> ends{Vec3::Zero(), Vec3::Zero(), Vec3::Zero(), Vec3::Zero()};
    std::vector<Vec3> points, normals;
    bool known = false;
  };
  // The scratch buffers and caches of one thread. The two hands' moves and spots of a block
  // are planned at once, the left hand's on the calling thread (slot 0) and the right hand's on
  // the second thread (slot 1), each with its own; what a cache holds never changes an answer.
  struct Scratch {
    std::vector<Vec3> smooth_points;       // moves
    std::vector<Vec3> smooth_normals;      // moves
    std::vector<Vec3> travel_points;       // waypoints through the air
    std::vector<Vec3> travel_alternative;  // the other way through the air
    std::vector<Vec3> travel_refined;      // waypoints with long steps filled
    std::vector<Vec3> centres;             // the pad's centre along a stroke
    std::vector<Vec3> smooth_scratch;      // smoothing
    std::vector<Vec3> skin_scratch;        // smooth_on_skin: the points put on the skin
    std::vector<double> push_known;        // push_clear: waypoints' distances known
    std::vector<Vec3> push_skin;           // push_clear: a skin point near each waypoint
    std::vector<char> push_has_skin;       // push_clear: where one is known
    std::vector<Buffered> buffer;          // a spot's or a sweep's pattern
    SpotMap spot_map;                      // work_spot's log map
    std::vector<RememberedFoot> feet = std::vector<RememberedFoot>(kRememberedFeet);
  };
  mutable std::array<Scratch, 2> scratch_;
  // Each hand's last moves through the air, kept by hand rather than by thread: a move tried
  // on one thread (a retract when the step's end is near, a block planned again one hand after
  // the other) is found again when the hand makes it on the other. Only the thread planning a
  // hand's share of a block touches that hand's.
  struct TravelCache {
    std::array<RememberedTravel, 8> entries;
    std::size_t next = 0;
  };
  std::array<TravelCache, kContactCount> travels_;
  Scratch& sc() const { return scratch_[static_cast<std::size_t>(t_scratch_slot)]; }
  // The second thread, for the right hand's share of a block and the right side's fill.
  SecondThread second_;
  const PlanningSurface::Impl& s_;
  const PlanOptions& o_;
  SessionPlan& plan_;
  double dt_;
  Rng rng_;
  long longest_retract_ = 0;  // the longest retract planned so far (retract_fits). Unit: ticks
  long tick_ = 0;
  std::array<ContactState, kContactCount> state_;
};

void fill_velocities(SessionPlan& plan) {
  const double dt = 1.0 / plan.sample_rate_hz;
  for (auto& track : plan.tracks) {
    for (std::size_t i = 0; i < track.size(); ++i) {
      const bool has_prev = i > 0 && track[i].t_s - track[i - 1].t_s < 1.5 * dt;
      const bool has_next = i + 1 < track.size() && track[i + 1].t_s - track[i].t_s < 1.5 * dt;
      Vec3 v = Vec3::Zero();
      if (has_prev && has_next) {
        v = (track[i + 1].position_m - track[i - 1].position_m) / (2.0 * dt);
      } else if (has_next) {
        v = (track[i + 1].position_m - track[i].position_m) / dt;
      } else if (has_prev) {
        v = (track[i].position_m - track[i - 1].position_m) / dt;
      }
      const Vec3& n = track[i].normal;
      track[i].tangential_velocity_m_per_s = v - v.dot(n) * n;
    }
  }
}

void summarise(SessionPlan& plan, const PlanningSurface::Impl& s,
               const std::array<bool, anatomy::kRegionCount>& targeted) {
  std::array<double, anatomy::kRegionCount> time{};
  std::array<double, anatomy::kRegionCount> peak{};
  const double dt = 1.0 / plan.sample_rate_hz;
  for (const auto& track : plan.tracks) {
    for (const Sample& smp : track) {
      if (smp.phase != Phase::kContact) continue;
      const auto r = static_cast<std::size_t>(smp.region);
      time[r] += dt;
      peak[r] = std::max(peak[r], smp.force_n);
    }
  }
  const CoverageResult cov = compute_coverage(plan, s, kCoveragePadRadiusM, kWorkingForceN);
  plan.regions.clear();
  for (int i = 0; i < anatomy::kRegionCount; ++i) {
    const auto r = static_cast<Region>(i);
    if (!anatomy::is_massage_region(r)) continue;
    const auto k = static_cast<std::size_t>(i);
    if (time[k] == 0.0 && !targeted[k]) continue;
    RegionSummary sum;
    sum.region = r;
    sum.targeted = targeted[k];
    sum.contact_time_s = time[k];
    sum.coverage = cov.fraction(r);
    sum.workable_area_m2 = cov.workable_area_m2[k];
    sum.peak_force_n = peak[k];
    sum.cap_n = anatomy::tissue(r).force_cap_n;
    plan.regions.push_back(sum);
  }
  // Say what coverage leaves out beyond the no-go margin, and why.
  bool neck = false;
  for (const RegionSummary& sum : plan.regions) {
    if (!sum.targeted) continue;
    const auto k = static_cast<std::size_t>(sum.region);
    neck = neck || sum.region == Region::kNeckBack || sum.region == Region::kNeckSideLeft ||
           sum.region == Region::kNeckSideRight;
    if (s.out_of_reach_area_m2[k] < 5e-6) continue;  // under 0.05 cm2
    std::ostringstream note;
    note.precision(1);
    note << std::fixed << "coverage of " << anatomy::region_name(sum.region) << " leaves out "
         << s.out_of_reach_area_m2[k] * 1e4 << " cm2 (of "
         << (sum.workable_area_m2 + s.out_of_reach_area_m2[k]) * 1e4
         << ") that no pad can reach: farther than " << kCoverageReachM * 1000.0
         << " mm from any skin where the pad fits and keeps 1 cm from the no-go zones";
    plan.notes.push_back(note.str());
  }
  if (neck && s.neck_cut_area_m2 > 1e-6) {
    std::ostringstream note;
    note.precision(1);
    note << std::fixed << "coverage of the neck leaves out " << s.neck_cut_area_m2 * 1e4
         << " cm2 facing down at the bottom of the head's mesh, where it is cut off from the body";
    plan.notes.push_back(note.str());
  }
  if (s.refined != nullptr) {
    std::ostringstream note;
    note.precision(1);
    note << std::fixed << "planned on the head's triangles split at their midpoints ("
         << s.original_vertices << " vertices, mean edge " << s.original_mean_edge * 1000.0
         << " mm, to " << s.head->mesh.vertices.size() << " and " << s.mean_edge * 1000.0
         << " mm): the same surface, with finer region borders and spot positions";
    plan.notes.push_back(note.str());
  }
}

}  // namespace

namespace {

// One planning pass; the steps on the regions marked in `lengthen` may take longer than planned.
SessionPlan plan_pass(const PlanningSurface& surface, const PlanInputs& inputs,
                      const PlanOptions& options,
                      const std::array<bool, anatomy::kRegionCount>& lengthen,
                      const std::vector<double>& give = {},
                      std::vector<Builder::StepRecord>* records = nullptr) {
  const care::PersonalisedProtocol& protocol = *inputs.protocol;
  SessionPlan plan;
  plan.protocol_id = protocol.protocol_id;
  plan.title = protocol.title;
  plan.sample_rate_hz = options.sample_rate_hz;
  plan.limits = options.limits;
  plan.inputs = inputs.hashes;
  plan.inputs.seed = inputs.seed;
  plan.park_position = surface.impl().park;
  Builder builder(surface.impl(), options, plan, inputs.seed);
  builder.may_lengthen_ = lengthen;
  builder.give_s_ = give;
  builder.plan_protocol(protocol, inputs.intake);
  if (records != nullptr) *records = builder.records_;
  fill_velocities(plan);
  summarise(plan, surface.impl(), builder.targeted_);
  return plan;
}

// Where the client's budget leaves no time for the steps short of coverage to take longer, the
// steps with time to spare give some: presses (their rounds and holds fit the time they have)
// and strokes whose first round finished with time left, each down to its shortest and never
// into its first round. They give in proportion to what they can, no more than is needed.
std::vector<double> time_to_give(const care::PersonalisedProtocol& protocol,
                                 const care::Intake* intake,
                                 const std::array<bool, anatomy::kRegionCount>& lengthen,
                                 const std::vector<Builder::StepRecord>& records) {
  std::vector<double> give(protocol.steps.size(), 0.0);
  if (intake == nullptr || !intake->time_budget_s || records.size() != protocol.steps.size()) {
    return give;
  }
  double need = 0.0;
  std::vector<double> can(protocol.steps.size(), 0.0);
  for (std::size_t i = 0; i < protocol.steps.size(); ++i) {
    const care::PersonalisedStep& step = protocol.steps[i];
    if (!step.step.is_massage()) continue;
    const care::MassageStep& m = step.step.massage();
    bool on_short = false;
    for (care::Region r : m.regions) {
      on_short = on_short || lengthen[static_cast<std::size_t>(to_anatomy(r))];
    }
    if (on_short) {
      need +=
          std::min(1.1 * records[i].shortfall_s, step.step.max_duration_s - step.step.duration_s);
      continue;
    }
    const bool press = m.technique == Technique::kPressRelease;
    const bool strokes = m.technique == Technique::kGlide || m.technique == Technique::kSlideUp;
    if (!(press || strokes) || records[i].first_round_s < 0.0) continue;
    double room = step.step.duration_s - step.step.min_duration_s;
    if (strokes) room = std::min(room, step.step.duration_s - 1.15 * records[i].first_round_s);
    can[i] = std::max(0.0, room);
  }
  need -= std::max(0.0, *intake->time_budget_s - protocol.total_duration_s());
  double total = 0.0;
  for (double c : can) total += c;
  if (need <= 0.0 || total <= 0.0) return give;
  const double share = std::min(1.0, need / total);
  for (std::size_t i = 0; i < give.size(); ++i) give[i] = can[i] * share;
  return give;
}

}  // namespace

SessionPlan make_plan_unvalidated(const PlanningSurface& surface, const PlanInputs& inputs,
                                  const PlanOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InternalError("plan options: " + why);
  if (inputs.protocol == nullptr) throw InputError("plan: no protocol given");
  const care::PersonalisedProtocol& protocol = *inputs.protocol;
  if (protocol.decision == care::Decision::kRefused) {
    std::string reasons;
    for (const auto& r : protocol.refusal_reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    throw InputError("plan: screening refused the session: " + reasons);
  }
  if (protocol.steps.empty())
    throw InputError("plan: protocol " + protocol.protocol_id + " has no steps");
  // The steps keep their planned lengths unless a targeted region then falls short of the
  // coverage validation asks (with a point to spare) or a step cannot be laid out at all: then
  // the plan is made again, and the steps on the regions short of it (all of them, when a step
  // could not be laid out) may take longer, within their longest and the client's budget.
  std::array<bool, anatomy::kRegionCount> lengthen{};
  std::vector<Builder::StepRecord> records;
  try {
    SessionPlan plan = plan_pass(surface, inputs, options, lengthen, {}, &records);
    bool short_of = false;
    for (const RegionSummary& r : plan.regions) {
      if (r.targeted && r.workable_area_m2 >= kMinWorkableAreaM2 &&
          r.coverage < options.limits.min_coverage + 0.01) {
        lengthen[static_cast<std::size_t>(r.region)] = true;
        short_of = true;
      }
    }
    if (!short_of) return plan;
  } catch (const PlanRejected&) {
    lengthen.fill(true);
    records.clear();
  }
  return plan_pass(surface, inputs, options, lengthen,
                   time_to_give(protocol, inputs.intake, lengthen, records));
}

std::vector<Eigen::Vector3d> coverage_path(const PlanningSurface& surface,
                                           const std::vector<anatomy::Region>& regions,
                                           double spacing_m, care::Direction direction) {
  if (!(spacing_m >= 0.002 && spacing_m <= 0.05)) {
    throw InputError("coverage path: spacing must be 2-50 mm");
  }
  const PlanOptions options;
  SessionPlan plan;
  Builder builder(surface.impl(), options, plan, 0);
  return builder.coverage_path(regions, spacing_m, direction);
}

SessionPlan make_plan(const PlanningSurface& surface, const PlanInputs& inputs,
                      const PlanOptions& options) {
  SessionPlan plan = make_plan_unvalidated(surface, inputs, options);
  plan.validation = validate_plan(plan, surface);
  if (!plan.validation.ok) {
    std::string what = "plan failed validation:";
    for (const auto& issue : plan.validation.issues)
      what += "\n  " + issue.check + ": " + issue.message;
    throw PlanRejected(what, plan.validation);
  }
  return plan;
}

}  // namespace headspa::plan
