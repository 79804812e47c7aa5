// Regions, no-go zones, pressure points and measurements of a head in the head frame.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/geometry/surface_query.hpp"
#include "point_index.hpp"

namespace headspa::anatomy {
namespace {

using Vec3 = Eigen::Vector3d;
using geometry::TriangleMesh;

// The mid-sagittal profile as arc length against the polar angle about the X axis (angle 0 is
// forward, 90° up, 180° back).
struct MidlineProfile {
  static constexpr int kBins = 360;
  std::array<double, kBins> radius{};  // largest radius of midline vertices in each degree
  std::array<double, kBins> arc{};     // arc length from angle 0 (m)

  static double angle_of(const Vec3& p) {
    double a = std::atan2(p.y(), p.z()) * 180.0 / std::numbers::pi;
    if (a < -90.0) a += 360.0;  // keep the back of the neck after the back of the head
    return a;
  }
  // Arc length at an angle in degrees (linear between bins).
  double arc_at(double degrees) const {
    const double x = std::clamp(degrees + 90.0, 0.0, kBins - 1.001);
    const int i = static_cast<int>(x);
    const double t = x - i;
    return (1 - t) * arc[static_cast<std::size_t>(i)] + t * arc[static_cast<std::size_t>(i + 1)];
  }
  double angle_at_arc(double s) const {
    for (int i = 1; i < kBins; ++i) {
      if (arc[static_cast<std::size_t>(i)] >= s) {
        const double a0 = arc[static_cast<std::size_t>(i - 1)];
        const double a1 = arc[static_cast<std::size_t>(i)];
        const double t = a1 > a0 ? (s - a0) / (a1 - a0) : 0.0;
        return i - 1 + t - 90.0;
      }
    }
    return kBins - 1 - 90.0;
  }
  Vec3 point_at_angle(double degrees) const {
    const double x = std::clamp(degrees + 90.0, 0.0, kBins - 1.0);
    const double r = radius[static_cast<std::size_t>(std::lround(x))];
    const double a = degrees * std::numbers::pi / 180.0;
    return Vec3(0, r * std::sin(a), r * std::cos(a));
  }
};

MidlineProfile midline_profile(const TriangleMesh& mesh, double half_width) {
  MidlineProfile prof;
  prof.radius.fill(0.0);
  for (const Vec3& p : mesh.vertices) {
    if (std::abs(p.x()) > half_width) continue;
    const int bin = static_cast<int>(std::floor(MidlineProfile::angle_of(p) + 90.0));
    if (bin < 0 || bin >= MidlineProfile::kBins) continue;
    const double r = std::hypot(p.y(), p.z());
    prof.radius[static_cast<std::size_t>(bin)] =
        std::max(prof.radius[static_cast<std::size_t>(bin)], r);
  }
  // Fill empty bins from their neighbours.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < MidlineProfile::kBins; ++i) {
      if (prof.radius[static_cast<std::size_t>(i)] > 0) continue;
      const double prev = i > 0 ? prof.radius[static_cast<std::size_t>(i - 1)] : 0.0;
      const double next =
          i + 1 < MidlineProfile::kBins ? prof.radius[static_cast<std::size_t>(i + 1)] : 0.0;
      prof.radius[static_cast<std::size_t>(i)] = std::max(prev, next);
    }
  }
  prof.arc[0] = 0;
  for (int i = 1; i < MidlineProfile::kBins; ++i) {
    const Vec3 a = prof.point_at_angle(i - 1 - 90.0);
    const Vec3 b = prof.point_at_angle(i - 90.0);
    prof.arc[static_cast<std::size_t>(i)] =
        prof.arc[static_cast<std::size_t>(i - 1)] + (b - a).norm();
  }
  return prof;
}

// Proportional frame of the head: cun and the hairline, from the midline profile.
struct Proportions {
  double cun = 0.02;  // m
  double front_hairline_deg = 60;
  double back_hairline_deg = 200;
  double gv20_deg = 100;
  MidlineProfile profile;
};

Proportions proportions(const TriangleMesh& mesh, const LandmarkSet& lm) {
  Proportions pr;
  pr.profile = midline_profile(mesh, 0.006);
  const double s_glabella = pr.profile.arc_at(MidlineProfile::angle_of(lm[Landmark::kGlabella]));
  const double s_inion = pr.profile.arc_at(MidlineProfile::angle_of(lm[Landmark::kInion]));
  // Posterior hairline about a tenth of the glabella-inion arc below the inion; the glabella to
  // the posterior hairline spans 3 + 12 = 15 cun (WHO proportional bone cun).
  const double s_back = s_inion + 0.1 * (s_inion - s_glabella);
  pr.cun = (s_back - s_glabella) / 15.0;
  pr.front_hairline_deg = pr.profile.angle_at_arc(s_glabella + 3 * pr.cun);
  pr.back_hairline_deg = pr.profile.angle_at_arc(s_back);
  pr.gv20_deg = pr.profile.angle_at_arc(s_glabella + 8 * pr.cun);
  return pr;
}

// Inside an axis-aligned ellipsoid.
bool inside(const Vec3& p, const Vec3& centre, const Vec3& semi_axes) {
  const Vec3 q = (p - centre).cwiseQuotient(semi_axes);
  return q.squaredNorm() <= 1.0;
}

// Height of the lower border of the mandible at depth z (chin to jaw angle, linear).
double mandible_height(const LandmarkSet& lm, double z, double side_x) {
  const Vec3& chin = lm[Landmark::kChin];
  const Vec3& jaw = side_x >= 0 ? lm[Landmark::kJawAngleLeft] : lm[Landmark::kJawAngleRight];
  if (z >= chin.z()) return chin.y();
  if (z <= jaw.z()) return jaw.y();
  const double t = (z - jaw.z()) / (chin.z() - jaw.z());
  return jaw.y() + t * (chin.y() - jaw.y());
}

Region classify(const Vec3& p, const LandmarkSet& lm, const Proportions& pr, double half_breadth) {
  const double cm = 0.01;
  const double side = p.x() >= 0 ? 1.0 : -1.0;
  auto pick = [&](Region left, Region right) { return side > 0 ? left : right; };
  const Vec3& eo = side > 0 ? lm[Landmark::kEyeOuterLeft] : lm[Landmark::kEyeOuterRight];
  const Vec3& ei = side > 0 ? lm[Landmark::kEyeInnerLeft] : lm[Landmark::kEyeInnerRight];
  const Vec3& bo = side > 0 ? lm[Landmark::kBrowOuterLeft] : lm[Landmark::kBrowOuterRight];
  const Vec3& bi = side > 0 ? lm[Landmark::kBrowInnerLeft] : lm[Landmark::kBrowInnerRight];
  const Vec3& tr = side > 0 ? lm[Landmark::kTragionLeft] : lm[Landmark::kTragionRight];
  const Vec3& ea = side > 0 ? lm[Landmark::kEarApexLeft] : lm[Landmark::kEarApexRight];
  const Vec3& ms = side > 0 ? lm[Landmark::kMastoidLeft] : lm[Landmark::kMastoidRight];
  const Vec3& mc_l = lm[Landmark::kMouthCornerLeft];
  const Vec3& mc_r = lm[Landmark::kMouthCornerRight];
  const Vec3& nose = lm[Landmark::kNoseTip];
  const Vec3& chin = lm[Landmark::kChin];

  // No-go zones first.
  const Vec3 eye_centre = 0.5 * (eo + ei);
  const double eye_half = 0.5 * (eo - ei).norm();
  if (inside(p, eye_centre, Vec3(eye_half + 0.8 * cm, 1.4 * cm, 2.5 * cm))) {
    return pick(Region::kEyeLeft, Region::kEyeRight);
  }
  if (inside(p, Vec3(nose.x(), nose.y() - 1.2 * cm, nose.z() - 1.2 * cm),
             Vec3(1.6 * cm, 1.0 * cm, 1.6 * cm))) {
    return Region::kNostrils;
  }
  const Vec3 mouth = 0.5 * (mc_l + mc_r);
  const double mouth_half = 0.5 * (mc_l - mc_r).norm();
  if (inside(p, Vec3(mouth.x(), mouth.y(), mouth.z() + 0.5 * cm),
             Vec3(mouth_half + 0.6 * cm, 1.4 * cm, 2.0 * cm))) {
    return Region::kLips;
  }
  if ((p - tr).norm() < 1.5 * cm) return pick(Region::kEarCanalLeft, Region::kEarCanalRight);

  // The ear itself (not massaged): near the tragion and standing out from the head.
  if ((p - tr).norm() < 4.5 * cm && side * p.x() > side * tr.x() - 0.2 * cm &&
      p.y() < ea.y() + 0.5 * cm && p.z() < tr.z() + 1.0 * cm) {
    return Region::kOther;
  }

  // Neck: below the mandible in front, below the skull base behind.
  const double skull_base_low = ms.y() - 1.0 * cm;
  const bool below_jaw = p.z() > ms.z() && p.y() < mandible_height(lm, p.z(), p.x());
  const bool below_skull = p.z() <= ms.z() && p.y() < skull_base_low;
  if (below_jaw || below_skull) {
    if (p.y() < chin.y() - 14 * cm) return Region::kOther;  // shoulders and chest
    // Angle around the neck, 0 = straight ahead.
    const double neck_centre_z = 0.5 * (ms.z() + chin.z()) - 2.0 * cm;
    // An adult neck is about 12 cm across: farther out are the shoulders and the chest.
    if (std::hypot(p.x(), p.z() - neck_centre_z) > 9.0 * cm) return Region::kOther;
    const double angle =
        std::abs(std::atan2(p.x(), p.z() - neck_centre_z)) * 180.0 / std::numbers::pi;
    if (angle < 65.0) return Region::kThroat;
    if (angle < 120.0) return pick(Region::kNeckSideLeft, Region::kNeckSideRight);
    return Region::kNeckBack;
  }
  // Skull-base band: behind the ears, from the mastoid level up to just above the inion.
  if (p.z() < tr.z() - 1.5 * cm && p.y() < lm[Landmark::kInion].y() + 0.8 * cm &&
      std::abs(p.x()) < std::abs(ms.x()) + 1.0 * cm) {
    return Region::kSkullBase;
  }

  // Scalp: within the hairline angles, above the ears at the sides.
  const double deg = MidlineProfile::angle_of(p);
  const bool above_ear = p.y() > ea.y() + 1.0 * cm;
  const bool behind_ear = p.z() < tr.z() - 2.0 * cm;
  if (deg >= pr.front_hairline_deg && deg <= pr.back_hairline_deg && (above_ear || behind_ear)) {
    if (deg < pr.gv20_deg - 15.0) {
      return std::abs(p.x()) < 0.55 * half_breadth
                 ? Region::kScalpFrontal
                 : pick(Region::kScalpParietalLeft, Region::kScalpParietalRight);
    }
    if (deg < pr.gv20_deg + 35.0 && std::abs(p.x()) < 0.45 * half_breadth) {
      return Region::kScalpCrown;
    }
    if (deg >= pr.gv20_deg + 35.0) return Region::kScalpOccipital;
    return pick(Region::kScalpParietalLeft, Region::kScalpParietalRight);
  }

  // Face and temples: in front of the ears, and below the ear back to the jaw angle.
  const double brow_y = 0.5 * (bo.y() + bi.y());
  const Vec3& ja = side > 0 ? lm[Landmark::kJawAngleLeft] : lm[Landmark::kJawAngleRight];
  const double face_back =
      p.y() < tr.y() - 2.0 * cm ? std::min(tr.z(), ja.z()) - 1.0 * cm : tr.z() + 0.5 * cm;
  if (p.z() > face_back) {
    // Temples: lateral to the brow's end, from the eye corner up to the hairline.
    if (side * p.x() > side * bo.x() - 0.3 * cm && p.y() > eo.y() - 1.0 * cm) {
      return pick(Region::kTempleLeft, Region::kTempleRight);
    }
    if (p.y() > brow_y + 0.3 * cm) {
      if (std::abs(p.x()) < std::abs(bi.x()) + 0.2 * cm && p.y() < brow_y + 2.0 * cm) {
        return Region::kGlabella;
      }
      return Region::kForehead;
    }
    if (std::abs(p.x()) < std::abs(bi.x()) + 0.2 * cm &&
        p.y() > lm[Landmark::kNasion].y() - 0.5 * cm) {
      return Region::kGlabella;
    }
    // Jaw: a band above the lower border of the mandible, from the chin to the jaw angle.
    const double border = mandible_height(lm, p.z(), p.x());
    if (p.y() < border + 2.0 * cm && p.y() < mouth.y() - 0.5 * cm) {
      return std::abs(p.x()) < 0.8 * cm ? Region::kOther
                                        : pick(Region::kJawLeft, Region::kJawRight);
    }
    // Cheeks: lateral to the nose and mouth, below the eyes.
    if (std::abs(p.x()) > std::abs(ei.x()) && p.y() < eo.y() - 0.5 * cm) {
      return pick(Region::kCheekLeft, Region::kCheekRight);
    }
  }
  return Region::kOther;
}

// Skin no pad can reach from outside. Scans that model the inside of the mouth, the nasal
// cavity or the throat put that skin within the face's positional bounds (the inner cheek lies
// where a cheek would). A vertex is enclosed when the ray along its normal and sixteen more in
// two cones about it (35° and 63° off the normal) all meet the mesh again; skin in a pocket of
// the outside (under the chin, behind the ear) sees out along some of them. A patch of a region
// that is cut off from the region's main sheet and borders enclosed skin (the far wall of the
// nose, seen out through a nostril) is taken as enclosed too. Enclosed massage skin is
// relabelled kOther, so no step works it and no force may be pressed there. Returns how many
// vertices were relabelled.
int unlabel_enclosed_skin(const TriangleMesh& mesh, const std::vector<Vec3>& normals,
                          std::vector<Region>& label) {
  const std::size_t n = mesh.vertices.size();
  std::vector<char> enclosed(n, 0);
  // The scalp lies above the ears and the hairline, where no scan models a cavity: only the
  // face, the temples and the neck are looked at.
  auto may_be_enclosed = [](Region r) {
    return is_massage_region(r) && r != Region::kScalpFrontal && r != Region::kScalpCrown &&
           r != Region::kScalpOccipital && r != Region::kScalpParietalLeft &&
           r != Region::kScalpParietalRight;
  };
  if (std::none_of(label.begin(), label.end(), may_be_enclosed)) return 0;
  const geometry::SurfaceQuery query(mesh, geometry::SurfaceQuery::Queries::kRaysOnly);
  constexpr int kAround = 8;
  constexpr double kTilts[2] = {0.6, 1.1};  // radians off the normal
  constexpr double kLift = 1e-4;            // start just off the skin. Unit: [m]
  bool any = false;
  for (std::size_t v = 0; v < n; ++v) {
    if (!may_be_enclosed(label[v])) continue;
    const Vec3& nv = normals[v];
    if (nv.squaredNorm() < 0.5) continue;  // no normal (an isolated vertex): nothing to say
    const Vec3 origin = mesh.vertices[v] + kLift * nv;
    if (!query.intersect(origin, nv)) continue;
    const Vec3 t1 = nv.unitOrthogonal();
    const Vec3 t2 = nv.cross(t1);
    bool sees_out = false;
    for (double tilt : kTilts) {
      for (int k = 0; k < kAround && !sees_out; ++k) {
        const double a = 2.0 * std::numbers::pi * k / kAround;
        const Vec3 d = std::cos(tilt) * nv + std::sin(tilt) * (std::cos(a) * t1 + std::sin(a) * t2);
        sees_out = !query.intersect(origin, d);
      }
      if (sees_out) break;
    }
    if (!sees_out) {
      enclosed[v] = 1;
      any = true;
    }
  }
  if (!any) return 0;

  // Patches of a region apart from its largest one, next to enclosed skin.
  const geometry::VertexAdjacency adj = geometry::vertex_adjacency(mesh);
  std::vector<int> component(n, -1);
  std::vector<int> size;
  std::vector<char> touches;
  std::vector<int> stack;
  for (std::size_t s = 0; s < n; ++s) {
    if (component[s] >= 0 || enclosed[s] || !is_massage_region(label[s])) continue;
    const int id = static_cast<int>(size.size());
    size.push_back(0);
    touches.push_back(0);
    component[s] = id;
    stack.assign(1, static_cast<int>(s));
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      ++size[static_cast<std::size_t>(id)];
      for (int k = adj.offsets[static_cast<std::size_t>(v)];
           k < adj.offsets[static_cast<std::size_t>(v) + 1]; ++k) {
        const auto w = static_cast<std::size_t>(adj.indices[static_cast<std::size_t>(k)]);
        if (enclosed[w]) touches[static_cast<std::size_t>(id)] = 1;
        if (component[w] >= 0 || enclosed[w] || label[w] != label[s]) continue;
        component[w] = id;
        stack.push_back(static_cast<int>(w));
      }
    }
  }
  std::array<int, kRegionCount> largest{};
  largest.fill(-1);
  for (std::size_t v = 0; v < n; ++v) {
    if (component[v] < 0) continue;
    int& best = largest[static_cast<std::size_t>(label[v])];
    if (best < 0 ||
        size[static_cast<std::size_t>(component[v])] > size[static_cast<std::size_t>(best)]) {
      best = component[v];
    }
  }
  int relabelled = 0;
  for (std::size_t v = 0; v < n; ++v) {
    const int c = component[v];
    const bool cut_off = c >= 0 && c != largest[static_cast<std::size_t>(label[v])] &&
                         touches[static_cast<std::size_t>(c)];
    if (enclosed[v] || cut_off) {
      label[v] = Region::kOther;
      ++relabelled;
    }
  }
  return relabelled;
}

// Closest vertex of a massage region: pressure points are pressed, so they never sit on a
// no-go zone or outside the regions.
class Projector {
 public:
  Projector(const TriangleMesh& mesh, const RegionMap& regions)
      : index_(massage_points(mesh, regions)) {}
  int nearest(const Vec3& p) const { return vertex_[static_cast<std::size_t>(index_.nearest(p))]; }

 private:
  std::vector<Vec3> massage_points(const TriangleMesh& mesh, const RegionMap& regions) {
    std::vector<Vec3> points;
    for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
      if (is_massage_region(regions.label[v])) {
        points.push_back(mesh.vertices[v]);
        vertex_.push_back(static_cast<int>(v));
      }
    }
    return points;
  }
  std::vector<int> vertex_;
  detail::PointIndex index_;
};

}  // namespace

HeadMeasurements measure_head(const TriangleMesh& mesh, const LandmarkSet& lm) {
  HeadMeasurements m;
  const Vec3& g = lm[Landmark::kGlabella];
  // Opisthocranion: the farthest midline point behind the glabella.
  Vec3 opistho = g;
  for (const Vec3& p : mesh.vertices) {
    if (std::abs(p.x()) < 0.01 && p.y() > lm[Landmark::kInion].y() && p.z() < opistho.z()) {
      opistho = p;
    }
  }
  m.length_m = (g - opistho).norm();
  const double ear_top =
      std::max(lm[Landmark::kEarApexLeft].y(), lm[Landmark::kEarApexRight].y()) + 0.005;
  double xlo = 0, xhi = 0;
  for (const Vec3& p : mesh.vertices) {
    if (p.y() > ear_top) {
      xlo = std::min(xlo, p.x());
      xhi = std::max(xhi, p.x());
    }
  }
  m.breadth_m = xhi - xlo;
  m.height_m = lm[Landmark::kVertex].y();
  // Circumference: the convex hull (a tape measure) of the section through the glabella and the
  // opisthocranion, perpendicular to the mid-sagittal plane.
  const Vec3 axis = (g - opistho).normalized();
  const Vec3 normal = Vec3::UnitX().cross(axis);  // the plane's normal, in the sagittal plane
  m.circumference_m = geometry::section_tape_length(mesh, g, normal);
  return m;
}

void annotate_head(Head& head) {
  const TriangleMesh& mesh = head.mesh;
  const LandmarkSet& lm = head.landmarks;
  head.measurements = measure_head(mesh, lm);
  const Proportions pr = proportions(mesh, lm);
  const double half_breadth = 0.5 * head.measurements.breadth_m;

  head.regions.label.resize(mesh.vertices.size());
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    head.regions.label[v] = classify(mesh.vertices[v], lm, pr, half_breadth);
  }
  const std::vector<Vec3> normals = geometry::vertex_normals(mesh);
  const int enclosed = unlabel_enclosed_skin(mesh, normals, head.regions.label);
  if (enclosed > 0) {
    head.warnings.push_back(std::to_string(enclosed) +
                            " vertices of skin enclosed by the scan (inside the mouth, nose or "
                            "throat) are not massaged");
  }

  // Pressure points by their proportional definitions, projected onto the surface.
  const Projector proj(mesh, head.regions);
  const double cun = pr.cun;
  auto add = [&](Acupoint point, Side side, const Vec3& guess) {
    PressurePoint pp;
    pp.point = point;
    pp.side = side;
    pp.vertex = proj.nearest(guess);
    pp.position = mesh.vertices[static_cast<std::size_t>(pp.vertex)];
    pp.normal = normals[static_cast<std::size_t>(pp.vertex)];
    pp.region = head.regions[pp.vertex];
    head.pressure_points.push_back(pp);
  };
  head.pressure_points.clear();
  // GV20: on the midline where it crosses the line joining the ear apices (WHO); 5 cun above
  // the front hairline by the proportional cun is the same point on a typical head.
  {
    const double apex_z = 0.5 * (lm[Landmark::kEarApexLeft].z() + lm[Landmark::kEarApexRight].z());
    double best_deg = pr.gv20_deg, best_dz = std::numeric_limits<double>::infinity();
    for (double deg = 30.0; deg <= 150.0; deg += 0.25) {
      const double dz = std::abs(pr.profile.point_at_angle(deg).z() - apex_z);
      if (dz < best_dz) {
        best_dz = dz;
        best_deg = deg;
      }
    }
    add(Acupoint::kGV20, Side::kMidline, pr.profile.point_at_angle(best_deg));
  }
  // GV16: just below the external occipital protuberance (1 cun down the midline from the
  // inion); GV15 is 0.5 cun below it.
  const double inion_deg = MidlineProfile::angle_of(lm[Landmark::kInion]);
  const double s_inion = pr.profile.arc_at(inion_deg);
  const Vec3 gv16 = pr.profile.point_at_angle(pr.profile.angle_at_arc(s_inion + 1.0 * cun));
  const Vec3 gv15 = pr.profile.point_at_angle(pr.profile.angle_at_arc(s_inion + 1.5 * cun));
  add(Acupoint::kGV16, Side::kMidline, gv16);
  // Yintang: midway between the inner ends of the eyebrows.
  add(Acupoint::kYintang, Side::kMidline,
      0.5 * (lm[Landmark::kBrowInnerLeft] + lm[Landmark::kBrowInnerRight]));
  for (Side side : {Side::kLeft, Side::kRight}) {
    const double s = side == Side::kLeft ? 1.0 : -1.0;
    const bool l = side == Side::kLeft;
    const Vec3& mastoid = lm[l ? Landmark::kMastoidLeft : Landmark::kMastoidRight];
    const Vec3& apex = lm[l ? Landmark::kEarApexLeft : Landmark::kEarApexRight];
    const Vec3& tragion = lm[l ? Landmark::kTragionLeft : Landmark::kTragionRight];
    const Vec3& brow_outer = lm[l ? Landmark::kBrowOuterLeft : Landmark::kBrowOuterRight];
    const Vec3& eye_outer = lm[l ? Landmark::kEyeOuterLeft : Landmark::kEyeOuterRight];
    const Vec3& jaw = lm[l ? Landmark::kJawAngleLeft : Landmark::kJawAngleRight];
    const Vec3& nose = lm[Landmark::kNoseTip];
    // GB20: level with GV16, midway between it and the mastoid (between SCM and trapezius).
    Vec3 gb20 = 0.5 * (gv16 + mastoid);
    gb20.y() = gv16.y();
    add(Acupoint::kGB20, side, gb20 - Vec3(0, 0, 0.01));
    // BL10: 1.3 cun lateral to GV15.
    add(Acupoint::kBL10, side, gv15 + Vec3(s * 1.3 * cun, 0, 0));
    // GB8: 1.5 cun directly above the ear apex, on the head.
    add(Acupoint::kGB8, side, apex + Vec3(-s * 0.5 * cun, 1.5 * cun, 0));
    // Taiyang: 1 cun behind the midpoint of the brow's end and the eye's outer corner.
    add(Acupoint::kTaiyang, side, 0.5 * (brow_outer + eye_outer) + Vec3(0, 0, -1.0 * cun));
    // ST6: a finger-breadth (about 1 cun) above and in front of the jaw angle.
    add(Acupoint::kST6, side, jaw + Vec3(0, 0.7 * cun, 0.7 * cun));
    // ST7: in front of the ear, between the zygomatic arch and the jaw notch.
    add(Acupoint::kST7, side, tragion + Vec3(0, -0.2 * cun, 1.3 * cun));
    // LI20: in the nasolabial groove, level with the middle of the nostril's outer edge.
    add(Acupoint::kLI20, side, nose + Vec3(s * 2.3 * 0.01, -1.3 * 0.01, -1.8 * 0.01));
  }
}

}  // namespace headspa::anatomy
