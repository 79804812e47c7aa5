#include "headspa/plan/validate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <map>
#include <sstream>
#include <thread>

#include "internal.hpp"

namespace headspa::plan {

namespace {

using anatomy::Region;

constexpr std::size_t kIssuesPerCheck = 3;

std::string where(std::size_t contact, double t) {
  std::ostringstream out;
  out.precision(2);
  out << std::fixed << contact_name(static_cast<Contact>(contact)) << " contact at t=" << t << " s";
  return out.str();
}

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out.precision(digits);
  out << std::fixed << v;
  return out.str();
}

class Checks {
 public:
  explicit Checks(ValidationReport& report) : report_(report) {}
  // Records into `report` the same checks as `like` has registered, none recorded yet (`report`
  // a copy of like's report made before anything was recorded).
  Checks(ValidationReport& report, const Checks& like)
      : report_(report), higher_(like.higher_), counts_(like.counts_.size(), 0) {}

  // Registers a check; returns its index.
  std::size_t add(const std::string& name, double limit, const std::string& unit,
                  bool higher_is_worse) {
    CheckResult r;
    r.check = name;
    r.limit = limit;
    r.unit = unit;
    r.worst = higher_is_worse ? 0.0 : std::numeric_limits<double>::infinity();
    report_.checks.push_back(r);
    higher_.push_back(higher_is_worse);
    counts_.push_back(0);
    return report_.checks.size() - 1;
  }
  // Records a value; a value past the limit fails with the message made by `what`.
  template <typename F>
  void value(std::size_t check, double v, F&& what) {
    CheckResult& r = report_.checks[check];
    const bool high = higher_[check];
    if (high ? v > r.worst : v < r.worst) r.worst = v;
    const bool bad = high ? v > r.limit : v < r.limit;
    if (!bad) return;
    r.passed = false;
    report_.ok = false;
    if (counts_[check]++ < kIssuesPerCheck) report_.issues.push_back({r.check, what()});
  }
  // Takes in what `later` recorded as if it had been recorded here after all of this one's
  // records: the worst values, and the issues each check still had room for, in their order.
  void append(const Checks& later) {
    const ValidationReport& other = later.report_;
    for (std::size_t i = 0; i < report_.checks.size(); ++i) {
      CheckResult& r = report_.checks[i];
      const CheckResult& o = other.checks[i];
      if (higher_[i] ? o.worst > r.worst : o.worst < r.worst) r.worst = o.worst;
      r.passed = r.passed && o.passed;
    }
    report_.ok = report_.ok && other.ok;
    for (const auto& issue : other.issues) {
      std::size_t i = 0;
      while (i < report_.checks.size() && report_.checks[i].check != issue.check) ++i;
      if (i < counts_.size() && counts_[i]++ < kIssuesPerCheck) report_.issues.push_back(issue);
    }
    // Failures past the issues recorded there (counted, not listed) count here too.
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (later.counts_[i] > kIssuesPerCheck) counts_[i] += later.counts_[i] - kIssuesPerCheck;
    }
  }
  void finish() {
    for (std::size_t i = 0; i < report_.checks.size(); ++i) {
      CheckResult& r = report_.checks[i];
      if (!std::isfinite(r.worst)) r.worst = r.limit;
      if (counts_[i] > kIssuesPerCheck) {
        report_.issues.push_back({r.check, std::to_string(counts_[i] - kIssuesPerCheck) +
                                               " more samples fail this check"});
      }
    }
  }

 private:
  ValidationReport& report_;
  std::vector<bool> higher_;
  std::vector<std::size_t> counts_;
};

// Distances to fixed sets of points (the no-go vertices, unlabelled skin) change no faster than
// the point asked about moves. Along a track, a sample whose distance from the last one asked
// exactly is too small to bring the value down to `floor` (the worst a check can still record,
// or its limit) cannot change the check, and is not asked: its value is at least the last one
// less the way moved since. Every sample that could fail or set the worst value is still asked.
class MovingBound {
 public:
  // True when the value at p is certainly at least `floor`.
  bool at_least(const Eigen::Vector3d& p, double floor) const {
    return known_ && value_ - (p - at_).norm() - kSlackM >= floor;
  }
  void record(const Eigen::Vector3d& p, double value) {
    at_ = p;
    value_ = value;
    known_ = true;
  }

 private:
  // Far above the rounding of a distance, far below anything a check tells apart. Unit: [m]
  static constexpr double kSlackM = 1e-9;
  Eigen::Vector3d at_ = Eigen::Vector3d::Zero();
  double value_ = 0.0;
  bool known_ = false;
};

// Which cells of a grid (cell width at least the reach asked about) hold a point, widened by one
// cell each way: a place whose cell is not marked has no point within the reach, as every point
// lies more than a cell's width away along some axis. Lets most skin far from every sample be
// settled with one look-up instead of the grid's search of the cells around it. The points must
// be finite. Points spread over more than kMaxCells cells (a plan far off the head) are not
// gridded: every place is then near.
class NearCells {
 public:
  NearCells(const std::vector<Eigen::Vector3d>& points, double cell_m) : cell_(cell_m) {
    if (points.empty()) return;
    Eigen::Vector3d low = points.front();
    Eigen::Vector3d high = low;
    for (const Eigen::Vector3d& p : points) {
      low = low.cwiseMin(p);
      high = high.cwiseMax(p);
    }
    double cells = 1.0;
    for (int a = 0; a < 3; ++a) cells *= (high[a] - low[a]) / cell_ + 4.0;
    if (!(cells <= kMaxCells)) {
      everywhere_ = true;
      return;
    }
    lo_ = cell_of(low);
    const std::array<int, 3> hi = cell_of(high);
    for (int a = 0; a < 3; ++a) {
      lo_[a] -= 1;
      dims_[a] = hi[a] + 1 - lo_[a] + 1;
    }
    marked_.assign(static_cast<std::size_t>(dims_[0]) * static_cast<std::size_t>(dims_[1]) *
                       static_cast<std::size_t>(dims_[2]),
                   0);
    for (const Eigen::Vector3d& p : points) marked_[index(cell_of(p))] = 1;
    // Widened one cell along each axis in turn: 3 x 3 x 3 blocks in three passes.
    const std::array<std::size_t, 3> stride = {
        static_cast<std::size_t>(dims_[1]) * static_cast<std::size_t>(dims_[2]),
        static_cast<std::size_t>(dims_[2]), 1};
    std::vector<char> before;
    for (std::size_t a = 0; a < 3; ++a) {
      before = marked_;
      const std::size_t s = stride[a];
      const std::size_t span = s * static_cast<std::size_t>(dims_[a]);
      for (std::size_t block = 0; block < marked_.size(); block += span) {
        for (std::size_t i = block; i < block + span; ++i) {
          const bool after_first = i >= block + s;
          const bool before_last = i + s < block + span;
          if ((after_first && before[i - s] != 0) || (before_last && before[i + s] != 0)) {
            marked_[i] = 1;
          }
        }
      }
    }
  }
  // False only when no point lies within one cell width of p (true: one may).
  bool near(const Eigen::Vector3d& p) const {
    if (everywhere_) return true;
    if (marked_.empty()) return false;
    const auto c = cell_of(p);
    for (int a = 0; a < 3; ++a) {
      if (c[a] < lo_[a] || c[a] >= lo_[a] + dims_[a]) return false;
    }
    return marked_[index(c)] != 0;
  }

 private:
  std::array<int, 3> cell_of(const Eigen::Vector3d& p) const {
    return {static_cast<int>(std::floor(p.x() / cell_)),
            static_cast<int>(std::floor(p.y() / cell_)),
            static_cast<int>(std::floor(p.z() / cell_))};
  }
  std::size_t index(const std::array<int, 3>& c) const {
    return (static_cast<std::size_t>(c[0] - lo_[0]) * static_cast<std::size_t>(dims_[1]) +
            static_cast<std::size_t>(c[1] - lo_[1])) *
               static_cast<std::size_t>(dims_[2]) +
           static_cast<std::size_t>(c[2] - lo_[2]);
  }
  static constexpr double kMaxCells = 1 << 24;
  double cell_;
  bool everywhere_ = false;
  std::array<int, 3> lo_{};
  std::array<int, 3> dims_{};
  std::vector<char> marked_;
};

// Every kProbeEvery-th sample a bounded check applies to is always asked; the least of those
// values, computed first, is a floor no lower than the check's worst value over the whole plan.
constexpr std::size_t kProbeEvery = 32;

// Runs first() on this thread and second() on a second thread at once; returns when both are
// done, and rethrows the second's exception (after the first's, which propagates as it is).
template <class First, class Second>
void both(First&& first, Second&& second) {
  std::exception_ptr second_error;
  {
    const std::jthread other([&] {
      try {
        second();
      } catch (...) {
        second_error = std::current_exception();
      }
    });
    first();
  }
  if (second_error) std::rethrow_exception(second_error);
}

}  // namespace

CoverageResult compute_coverage(const SessionPlan& plan, const PlanningSurface::Impl& s,
                                double pad_radius_m, double min_force_n) {
  CoverageResult out;
  const auto& mesh = s.head->mesh;
  // The skin counted: massage regions but the no-go margin, the neck's cut and skin no pad can
  // reach.
  std::vector<int> workable;
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    const Region r = s.head->regions.label[v];
    if (!anatomy::is_massage_region(r)) continue;
    if (s.no_go_dist[v] < plan.limits.no_go_margin_m || s.neck_cut[v] != 0 ||
        s.out_of_reach[v] != 0) {
      continue;
    }
    out.workable_area_m2[static_cast<std::size_t>(r)] += s.vertex_area[v];
    workable.push_back(static_cast<int>(v));
  }
  // The samples that cover: each track's pressing samples, each at least `step` from the last
  // one kept; a vertex within `reach` of one is covered. Each track's are picked on its own
  // thread (the second on a second thread), then each half of the skin is looked up on its own.
  const double step = 0.2 * pad_radius_m;
  const double reach = pad_radius_m - 0.5 * step;
  auto pick = [&](const std::vector<Sample>& track, std::vector<Eigen::Vector3d>& kept) {
    Eigen::Vector3d last(1e9, 1e9, 1e9);
    for (const Sample& smp : track) {
      // A sample with a non-finite position covers nothing (the checks report it).
      if (smp.phase != Phase::kContact || smp.force_n < min_force_n ||
          !smp.position_m.allFinite()) {
        continue;
      }
      if ((smp.position_m - last).norm() < step) continue;
      last = smp.position_m;
      kept.push_back(last);
    }
  };
  std::array<std::vector<Eigen::Vector3d>, kContactCount> kept;
  both([&] { pick(plan.tracks[0], kept[0]); }, [&] { pick(plan.tracks[1], kept[1]); });
  std::vector<Eigen::Vector3d>& points = kept[0];
  points.insert(points.end(), kept[1].begin(), kept[1].end());
  PointGrid grid(pad_radius_m);
  for (std::size_t k = 0; k < points.size(); ++k) grid.add(points[k], static_cast<int>(k));
  const NearCells near(points, pad_radius_m);
  std::vector<char> covered(workable.size(), 0);
  auto look_up = [&](std::size_t from, std::size_t to) {
    // Neighbouring vertices are mostly covered by the same sample: the last one found is tried
    // first (the grid's own test), then whether any sample is near at all, then the grid.
    int last = -1;
    for (std::size_t i = from; i < to; ++i) {
      const Eigen::Vector3d& x = mesh.vertices[static_cast<std::size_t>(workable[i])];
      if (last >= 0 &&
          std::sqrt((points[static_cast<std::size_t>(last)] - x).squaredNorm()) <= reach) {
        covered[i] = 1;
        continue;
      }
      if (!near.near(x)) continue;
      last = grid.first_within(x, reach);
      covered[i] = last >= 0 ? 1 : 0;
    }
  };
  const std::size_t half = workable.size() / 2;
  both([&] { look_up(0, half); }, [&] { look_up(half, workable.size()); });
  for (std::size_t i = 0; i < workable.size(); ++i) {
    if (covered[i] == 0) continue;
    const auto v = static_cast<std::size_t>(workable[i]);
    out.covered_area_m2[static_cast<std::size_t>(s.head->regions.label[v])] += s.vertex_area[v];
  }
  return out;
}

ValidationReport validate_plan(const SessionPlan& plan, const PlanningSurface& surface) {
  const auto pad = [](const Sample& smp) -> Eigen::Vector3d {
    return smp.position_m + kPadRadiusM * smp.normal;
  };
  const PlanningSurface::Impl& s = surface.impl();
  const PlanLimits& L = plan.limits;
  ValidationReport report;
  Checks checks(report);
  const std::size_t no_go = checks.add("no_go", L.no_go_margin_m, "m", false);
  const std::size_t force = checks.add("force_cap", 1.0, "force/cap", true);
  const std::size_t speed = checks.add("speed", L.max_speed_m_per_s, "m/s", true);
  const std::size_t accel = checks.add("acceleration", L.max_acceleration_m_per_s2, "m/s^2", true);
  const std::size_t jerk = checks.add("jerk", L.max_jerk_m_per_s3, "m/s^3", true);
  const std::size_t surf = checks.add("surface", L.surface_tolerance_m, "m", true);
  const std::size_t cont = checks.add("continuity", L.max_position_step_m, "m", true);
  const std::size_t sep = checks.add("separation", L.min_contact_separation_m, "m", false);
  const std::size_t cover = checks.add("coverage", L.min_coverage, "fraction", false);
  const std::size_t clearance = checks.add("clearance", kTravelClearanceM, "m", false);
  const std::size_t pad_fit = checks.add("pad_fit", -2.0 * kPadFitToleranceM, "m", false);
  const std::size_t other_skin = checks.add("other_skin", 0.0, "m", false);

  const double dt = 1.0 / plan.sample_rate_hz;
  auto finite = [](const Sample& smp) {
    return smp.position_m.allFinite() && std::isfinite(smp.force_n) && std::isfinite(smp.t_s);
  };
  auto presses = [](const Sample& smp) {
    return smp.phase == Phase::kContact && smp.force_n > 0.0;
  };
  // The floors of the two point-distance checks (see MovingBound): the least over the probes.
  double no_go_floor = std::numeric_limits<double>::infinity();
  double other_floor = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < kContactCount; ++c) {
    std::size_t asked = 0;
    std::size_t pressing = 0;
    for (const Sample& smp : plan.tracks[c]) {
      if (!finite(smp)) continue;
      if (asked++ % kProbeEvery == 0) {
        no_go_floor = std::min(no_go_floor, s.no_go_distance(smp.position_m, nullptr));
      }
      if (presses(smp) && pressing++ % kProbeEvery == 0) {
        other_floor = std::min(other_floor, s.other_skin_gap(pad(smp)));
      }
    }
  }
  no_go_floor = std::max(no_go_floor, L.no_go_margin_m);
  other_floor = std::max(other_floor, 0.0);
  // Each contact's own checks: the right contact's on a second thread, into a report of its
  // own that is then appended to this one (the same report as checking one after the other).
  auto check_track = [&](std::size_t c, Checks& track_checks) {
    const auto& track = plan.tracks[c];
    MovingBound no_go_bound, other_bound;
    std::size_t asked = 0;
    std::size_t pressing = 0;
    // The last skin queries, kept for samples at the same place (a hold, a ramp in place).
    Eigen::Vector3d foot_at(std::numeric_limits<double>::quiet_NaN(), 0.0, 0.0);
    PlanningSurface::Impl::Foot last_foot;
    Eigen::Vector3d pad_at(std::numeric_limits<double>::quiet_NaN(), 0.0, 0.0);
    double pad_sd = 0.0;
    auto pad_distance = [&](const Eigen::Vector3d& centre) {
      if (centre != pad_at) {
        pad_sd = s.query.signed_distance(centre);
        pad_at = centre;
      }
      return pad_sd;
    };
    for (std::size_t i = 0; i < track.size(); ++i) {
      const Sample& smp = track[i];
      const double t = smp.t_s;
      if (!finite(smp)) {
        track_checks.value(cont, std::numeric_limits<double>::infinity(),
                           [&] { return where(c, t) + ": a value is not a number"; });
        continue;
      }
      // No-go zones: every sample, in contact or in the air.
      if (asked++ % kProbeEvery == 0 || !no_go_bound.at_least(smp.position_m, no_go_floor)) {
        Region zone = Region::kOther;
        const double d = s.no_go_distance(smp.position_m, &zone);
        no_go_bound.record(smp.position_m, d);
        track_checks.value(no_go, d, [&] {
          return where(c, t) + " is " + fixed(d * 100.0, 2) + " cm from " +
                 std::string(anatomy::region_name(zone)) + " (limit " +
                 fixed(L.no_go_margin_m * 100.0, 1) + " cm)";
        });
      }
      // Force: only in contact, never above the cap of the region under the pad.
      if (smp.phase == Phase::kContact) {
        // The cap of the region under the pad, and the lowest within the pad's footprint.
        if (smp.position_m != foot_at) {
          last_foot = s.foot(smp.position_m);
          foot_at = smp.position_m;
        }
        const auto& foot = last_foot;
        double cap =
            std::min(anatomy::tissue(smp.region).force_cap_n, anatomy::kAbsoluteForceLimitN);
        if (foot.vertex >= 0) {
          cap = std::min(cap, s.footprint_cap[static_cast<std::size_t>(foot.vertex)]);
        }
        const double ratio = cap > 0.0 ? smp.force_n / cap : (smp.force_n > 0.0 ? 1e9 : 0.0);
        track_checks.value(force, ratio, [&] {
          return where(c, t) + ": " + fixed(smp.force_n, 2) + " N on " +
                 std::string(anatomy::region_name(smp.region)) + " (cap " + fixed(cap, 1) + " N)";
        });
        // The distance to the skin, read up to 1 cm (the closest point found for the cap).
        const double gap = foot.vertex >= 0 ? std::min(foot.distance, 0.01) : 0.01;
        track_checks.value(surf, gap, [&] {
          return where(c, t) + " is " + fixed(gap * 1000.0, 2) + " mm off the skin";
        });
        // The pad's ball rests on the skin here and touches no other skin (an ear, a fold).
        const double fit = pad_distance(pad(smp)) - kPadRadiusM;
        track_checks.value(pad_fit, fit, [&] {
          return where(c, t) + ": the pad reaches " + fixed(-fit * 1000.0, 1) +
                 " mm into the skin beside it";
        });
        // A pad pressing keeps its ball off unlabelled skin (cap zero: an ear, a shoulder).
        if (presses(smp) &&
            (pressing++ % kProbeEvery == 0 || !other_bound.at_least(pad(smp), other_floor))) {
          const double other = s.other_skin_gap(pad(smp));
          other_bound.record(pad(smp), other);
          track_checks.value(other_skin, other, [&] {
            return where(c, t) + ": the pad presses " + fixed(smp.force_n, 2) + " N " +
                   fixed(other * 1000.0, 1) + " mm from unlabelled skin (cap 0)";
          });
        }
      } else {
        const double ratio = smp.force_n > 0.0 ? 1e9 : 0.0;
        track_checks.value(force, ratio, [&] {
          return where(c, t) + ": " + fixed(smp.force_n, 2) + " N commanded off the skin";
        });
        const double sd = s.query.signed_distance(smp.position_m);
        const double inside = sd < -L.surface_tolerance_m ? -sd : 0.0;
        track_checks.value(surf, inside, [&] {
          return where(c, t) + " is " + fixed(-sd * 1000.0, 2) + " mm inside the head in the air";
        });
        // The pad: a ball of the pad radius on the normal side of the sample.
        const double gap = pad_distance(pad(smp)) - kPadRadiusM;
        if (smp.phase == Phase::kTravel) {
          track_checks.value(clearance, gap, [&] {
            return where(c, t) + ": the pad travels " + fixed(gap * 1000.0, 1) +
                   " mm from the skin (at least " + fixed(kTravelClearanceM * 1000.0, 0) + " mm)";
          });
        } else {
          // Coming down to the skin or lifting off: the pad's ball touches no other skin.
          track_checks.value(pad_fit, gap, [&] {
            return where(c, t) + ": the pad reaches " + fixed(-gap * 1000.0, 1) +
                   " mm into the skin beside it";
          });
        }
      }
      // Continuity, speed, acceleration and jerk over consecutive samples of a stretch, of the
      // pad's centre (held a pad radius out along the normal), which is what the arm moves.
      const bool joined = i > 0 && track[i].t_s - track[i - 1].t_s < 1.5 * dt;
      if (i > 0 && track[i].t_s <= track[i - 1].t_s) {
        track_checks.value(cont, std::numeric_limits<double>::infinity(),
                           [&] { return where(c, t) + ": time does not increase"; });
      }
      if (!joined) {
        const double from_park = (smp.position_m - plan.park_position[c]).norm();
        track_checks.value(cont, from_park, [&] {
          return where(c, t) + " starts " + fixed(from_park * 100.0, 1) +
                 " cm from its park position";
        });
        continue;
      }
      const Eigen::Vector3d v1 = (pad(track[i]) - pad(track[i - 1])) / dt;
      const double step_m = (pad(track[i]) - pad(track[i - 1])).norm();
      track_checks.value(cont, step_m, [&] {
        return where(c, t) + " jumps " + fixed(step_m * 1000.0, 1) + " mm in one sample";
      });
      track_checks.value(speed, v1.norm(),
                         [&] { return where(c, t) + " moves at " + fixed(v1.norm(), 3) + " m/s"; });
      const bool joined2 = i > 1 && track[i - 1].t_s - track[i - 2].t_s < 1.5 * dt;
      if (!joined2) continue;
      const Eigen::Vector3d v0 = (pad(track[i - 1]) - pad(track[i - 2])) / dt;
      const Eigen::Vector3d a1 = (v1 - v0) / dt;
      track_checks.value(accel, a1.norm(), [&] {
        return where(c, t) + " accelerates at " + fixed(a1.norm(), 2) + " m/s^2";
      });
      const bool joined3 = i > 2 && track[i - 2].t_s - track[i - 3].t_s < 1.5 * dt;
      if (!joined3) continue;
      const Eigen::Vector3d vm = (pad(track[i - 2]) - pad(track[i - 3])) / dt;
      const Eigen::Vector3d a0 = (v0 - vm) / dt;
      const double j = ((a1 - a0) / dt).norm();
      track_checks.value(jerk, j, [&] { return where(c, t) + ": jerk " + fixed(j, 1) + " m/s^3"; });
    }
    if (!track.empty()) {
      const double to_park = (track.back().position_m - plan.park_position[c]).norm();
      track_checks.value(cont, to_park, [&] {
        return where(c, track.back().t_s) + " ends " + fixed(to_park * 100.0, 1) +
               " cm from its park position";
      });
    }
  };
  {
    ValidationReport right_report = report;
    Checks right_checks(right_report, checks);
    both([&] { check_track(0, checks); }, [&] { check_track(1, right_checks); });
    checks.append(right_checks);
  }
  // Separation: walk both tracks on the common clock; a parked contact is at its park position.
  {
    const auto& a = plan.tracks[0];
    const auto& b = plan.tracks[1];
    std::size_t j = 0;
    auto position_b = [&](double t) -> Eigen::Vector3d {
      while (j < b.size() && b[j].t_s < t - 0.25 * dt) ++j;
      if (j < b.size() && std::abs(b[j].t_s - t) < 0.25 * dt) return b[j].position_m;
      return plan.park_position[1];
    };
    for (const Sample& smp : a) {
      const double d = (smp.position_m - position_b(smp.t_s)).norm();
      checks.value(sep, d, [&] {
        return "at t=" + fixed(smp.t_s, 2) + " s the contacts are " + fixed(d * 100.0, 1) +
               " cm apart";
      });
    }
    std::size_t i = 0;
    for (const Sample& smp : b) {
      while (i < a.size() && a[i].t_s < smp.t_s - 0.25 * dt) ++i;
      if (i < a.size() && std::abs(a[i].t_s - smp.t_s) < 0.25 * dt) continue;  // seen above
      const double d = (smp.position_m - plan.park_position[0]).norm();
      checks.value(sep, d, [&] {
        return "at t=" + fixed(smp.t_s, 2) + " s the right contact is " + fixed(d * 100.0, 1) +
               " cm from the parked left contact";
      });
    }
  }
  // Coverage of the regions the plan targets.
  const CoverageResult cov = compute_coverage(plan, s, kCoveragePadRadiusM, kWorkingForceN);
  for (const RegionSummary& r : plan.regions) {
    if (!r.targeted) continue;
    const auto k = static_cast<std::size_t>(r.region);
    if (cov.workable_area_m2[k] < kMinWorkableAreaM2) continue;
    const double f = cov.fraction(r.region);
    checks.value(cover, f, [&] {
      return std::string(anatomy::region_name(r.region)) + " is covered " + fixed(f * 100.0, 1) +
             "% (at least " + fixed(L.min_coverage * 100.0, 0) + "% required)";
    });
  }
  checks.finish();
  return report;
}

}  // namespace headspa::plan
