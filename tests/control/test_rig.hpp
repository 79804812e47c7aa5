// Shared by the control tests: small SessionPlans on the built-in head (press-and-hold, circles)
// and a point-mass rig whose pads touch the head mesh through a spring-damper skin.
#pragma once

#include <Eigen/Geometry>
#include <cmath>
#include <memory>
#include <optional>

#include "headspa/anatomy/head.hpp"
#include "headspa/control/rig.hpp"
#include "headspa/geometry/surface_query.hpp"
#include "headspa/plan/session_plan.hpp"

namespace headspa::control::test {

// The built-in head and its query structures, built once per test binary.
struct HeadFixture {
  anatomy::Head head = anatomy::built_in_head({.target_vertices = 8000});
  geometry::SurfaceQuery query{head.mesh};

  static const HeadFixture& get() {
    static const HeadFixture fixture;
    return fixture;
  }

  // Where the ray from the head-frame origin along `direction` leaves the skin.
  struct Spot {
    Eigen::Vector3d position, normal;
    anatomy::Region region = anatomy::Region::kOther;
  };
  Spot spot(const Eigen::Vector3d& direction) const {
    const auto hit = query.intersect(Eigen::Vector3d::Zero(), direction.normalized(), 0.0, 1.0);
    Spot s;
    if (!hit) return s;
    s.position = hit->position;
    s.normal = hit->normal.dot(direction) > 0 ? hit->normal : -hit->normal;
    const auto& face = head.mesh.faces[static_cast<std::size_t>(hit->point.face)];
    s.region = head.regions[face[0]];
    return s;
  }

  // The spot in the middle of a region: along the direction of its vertices' centroid.
  Spot centre_of(anatomy::Region region) const {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
      if (head.regions.label[v] == region) sum += head.mesh.vertices[v];
    }
    return spot(sum);
  }
};

struct PlanShape {
  double force_n = 5.0;
  double hold_s = 2.0;
  double circle_radius_m = 0.0;  // > 0: circles around the spot instead of a still hold
  double circle_hz = 1.0;
};

// One massage segment: each pad approaches its spot, presses (ramp, hold or circles, ramp down)
// and lifts. Left pad on the left scalp, right pad on the right.
inline plan::SessionPlan make_plan(const PlanShape& shape) {
  const HeadFixture& hf = HeadFixture::get();
  plan::SessionPlan p;
  p.protocol_id = "test-press";
  const double rate = p.sample_rate_hz;
  const double approach_s = 1.0, ramp_s = 0.5, lift_s = 0.5;
  const double contact_s = 2 * ramp_s + shape.hold_s;
  const double total = approach_s + contact_s + lift_s;
  const int n = static_cast<int>(std::lround(total * rate));
  const std::array<Eigen::Vector3d, 2> dirs{Eigen::Vector3d(0.45, 1.0, 0.1),
                                            Eigen::Vector3d(-0.45, 1.0, 0.1)};
  for (int c = 0; c < 2; ++c) {
    const auto centre = hf.spot(dirs[static_cast<std::size_t>(c)]);
    const Eigen::Vector3d e1 = centre.normal.unitOrthogonal();
    const Eigen::Vector3d e2 = centre.normal.cross(e1);
    auto& track = p.tracks[static_cast<std::size_t>(c)];
    for (int i = 0; i <= n; ++i) {
      const double t = i / rate;
      plan::Sample s;
      s.t_s = t;
      s.segment = 0;
      s.region = centre.region;
      s.normal = centre.normal;
      s.position_m = centre.position;
      if (t < approach_s) {
        const double tau = t / approach_s;
        const double mj = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
        s.phase = plan::Phase::kApproach;
        s.position_m = centre.position + (1 - mj) * 0.03 * centre.normal;
      } else if (t < approach_s + contact_s) {
        const double tc = t - approach_s;
        s.phase = plan::Phase::kContact;
        const double ramp = std::min({1.0, tc / ramp_s, (contact_s - tc) / ramp_s});
        s.force_n = shape.force_n * std::max(0.0, ramp);
        if (shape.circle_radius_m > 0) {
          const double u = 2 * M_PI * shape.circle_hz * tc;
          // The circle grows from and shrinks back to the centre with the force ramps.
          const double r = shape.circle_radius_m * std::max(0.0, ramp);
          const Eigen::Vector3d q = centre.position + r * (std::cos(u) * e1 + std::sin(u) * e2);
          const auto on = hf.spot(q);
          s.position_m = on.position;
          s.normal = on.normal;
        }
      } else {
        const double tau = (t - approach_s - contact_s) / lift_s;
        const double mj = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
        s.phase = plan::Phase::kLift;
        s.position_m = centre.position + mj * 0.03 * centre.normal;
      }
      track.push_back(s);
    }
    p.park_position[static_cast<std::size_t>(c)] = centre.position + 0.06 * centre.normal;
  }
  p.duration_s = n / rate;
  plan::Segment seg;
  seg.kind = plan::SegmentKind::kMassage;
  seg.step_id = "press";
  seg.start_s = 0;
  seg.end_s = p.duration_s;
  seg.samples = {plan::SampleRange{0, p.tracks[0].size()},
                 plan::SampleRange{0, p.tracks[1].size()}};
  p.segments.push_back(seg);
  return p;
}

// Two point-mass pads touching the head mesh through a spring-damper skin with friction.
class PointRig {
 public:
  double mass_kg = 2.0;
  double pad_radius_m = 0.0075;
  double friction = 0.3;
  Eigen::Isometry3d head_pose = Eigen::Isometry3d::Identity();
  std::array<Eigen::Vector3d, 2> x{}, v{}, skin_force{};
  double t = 0;

  explicit PointRig(const plan::SessionPlan& plan) {
    for (int c = 0; c < 2; ++c) {
      x[static_cast<std::size_t>(c)] = plan.park_position[static_cast<std::size_t>(c)];
      v[static_cast<std::size_t>(c)].setZero();
      skin_force[static_cast<std::size_t>(c)].setZero();
    }
  }

  RigState state() const {
    RigState s;
    s.t_s = t;
    s.head_pose_tracked = head_pose;
    for (std::size_t c = 0; c < 2; ++c) {
      s.pads[c].position_m = x[c];
      s.pads[c].velocity_m_per_s = v[c];
      s.pads[c].force_n = skin_force[c];
    }
    return s;
  }

  void step(const RigCommand& command, double dt) {
    const HeadFixture& hf = HeadFixture::get();
    for (std::size_t c = 0; c < 2; ++c) {
      const Eigen::Vector3d local = head_pose.inverse() * x[c];
      geometry::ClosestPoint cp;
      const double d = hf.query.signed_distance(local, &cp) - pad_radius_m;
      Eigen::Vector3d f = Eigen::Vector3d::Zero();
      if (d < 0) {
        Eigen::Vector3d n = (local - cp.position).normalized();
        n = head_pose.linear() * n;
        const auto& face = hf.head.mesh.faces[static_cast<std::size_t>(cp.point.face)];
        const auto& tissue = anatomy::tissue(hf.head.regions[face[0]]);
        const double k = tissue.stiffness_n_per_m > 0 ? tissue.stiffness_n_per_m : 3000.0;
        const double b = tissue.damping_n_s_per_m > 0 ? tissue.damping_n_s_per_m : 30.0;
        const double fn = std::max(0.0, -k * d - b * v[c].dot(n));
        const Eigen::Vector3d vt = v[c] - v[c].dot(n) * n;
        f = fn * n - friction * fn * vt / std::max(vt.norm(), 0.01);
      }
      skin_force[c] = f;
      v[c] += dt * (command.pads[c].force_n + f) / mass_kg;
      x[c] += dt * v[c];
    }
    t += dt;
  }
};

}  // namespace headspa::control::test
