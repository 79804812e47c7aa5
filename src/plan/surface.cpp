#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "headspa/core/error.hpp"
#include "headspa/geometry/mesh.hpp"
#include "internal.hpp"

namespace headspa::plan {

void PointGrid::add(const Vec3& p, int id) {
  const auto c = cell_of(p);
  cell_for(key(c[0], c[1], c[2])).push_back({p, id});
  ++count_;
}

std::vector<PointGrid::Entry>& PointGrid::cell_for(std::uint64_t k) {
  if (std::vector<Entry>* cell = find(k)) return *cell;
  if (2 * (used_ + 1) > table_.size()) {
    // Twice the slots (at least 64), the cells in use placed again.
    std::vector<Slot> old(std::max<std::size_t>(64, 2 * table_.size()));
    old.swap(table_);
    for (const Slot& slot : old) {
      if (slot.cell < 0) continue;
      std::size_t i = slot_of(slot.key);
      while (table_[i].cell >= 0) i = (i + 1) & (table_.size() - 1);
      table_[i] = slot;
    }
  }
  std::size_t i = slot_of(k);
  while (table_[i].cell >= 0) i = (i + 1) & (table_.size() - 1);
  if (used_ == cells_.size()) cells_.emplace_back();
  table_[i] = {k, static_cast<int>(used_)};
  return cells_[used_++];
}

std::pair<int, double> PointGrid::nearest(const Vec3& p, double radius) const {
  int best = -1;
  double best_d = std::numeric_limits<double>::infinity();
  for_each_within(p, radius, [&](int id, double d) {
    if (d < best_d || (d == best_d && id < best)) {
      best_d = d;
      best = id;
    }
  });
  return {best, best_d};
}

bool PointGrid::any_within(const Vec3& p, double radius) const {
  return visit_within(p, radius, [](int, double) { return true; });
}

int PointGrid::first_within(const Vec3& p, double radius) const {
  int found = -1;
  (void)visit_within(p, radius, [&found](int id, double) {
    found = id;
    return true;
  });
  return found;
}

void NearestPoints::build() {
  build(0, entries_.size(), 0);
  built_ = true;
}

void NearestPoints::build(std::size_t lo, std::size_t hi, int axis) {
  if (hi - lo < 2) return;
  const std::size_t mid = lo + (hi - lo) / 2;
  const auto first = entries_.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(first, entries_.begin() + static_cast<std::ptrdiff_t>(mid),
                   entries_.begin() + static_cast<std::ptrdiff_t>(hi),
                   [axis](const Entry& a, const Entry& b) {
                     return a.p[axis] < b.p[axis] || (a.p[axis] == b.p[axis] && a.id < b.id);
                   });
  build(lo, mid, (axis + 1) % 3);
  build(mid + 1, hi, (axis + 1) % 3);
}

void NearestPoints::search(std::size_t lo, std::size_t hi, int axis, const Vec3& p,
                           const Plane* above, int& best, double& best_d) const {
  if (lo >= hi) return;
  const std::size_t mid = lo + (hi - lo) / 2;
  const Entry& e = entries_[mid];
  const double d = (e.p - p).norm();
  if ((d < best_d || (d == best_d && (best < 0 || e.id < best))) &&
      (above == nullptr || (e.p - above->on).dot(above->up) > 0.0)) {
    best_d = d;
    best = e.id;
  }
  const double diff = p[axis] - e.p[axis];
  const int next = (axis + 1) % 3;
  if (diff < 0.0) {
    search(lo, mid, next, p, above, best, best_d);
    if (diff * diff <= best_d * best_d) search(mid + 1, hi, next, p, above, best, best_d);
  } else {
    search(mid + 1, hi, next, p, above, best, best_d);
    if (diff * diff <= best_d * best_d) search(lo, mid, next, p, above, best, best_d);
  }
}

std::pair<int, double> NearestPoints::nearest(const Vec3& p, double radius) const {
  if (!built_) throw InternalError("NearestPoints: nearest() before build()");
  int best = -1;
  double best_d = radius;
  search(0, entries_.size(), 0, p, nullptr, best, best_d);
  if (best < 0) return {-1, std::numeric_limits<double>::infinity()};
  return {best, best_d};
}

std::pair<int, double> NearestPoints::nearest_above(const Vec3& p, double radius, const Vec3& on,
                                                    const Vec3& up) const {
  if (!built_) throw InternalError("NearestPoints: nearest_above() before build()");
  int best = -1;
  double best_d = radius;
  const Plane plane{on, up};
  search(0, entries_.size(), 0, p, &plane, best, best_d);
  if (best < 0) return {-1, std::numeric_limits<double>::infinity()};
  return {best, best_d};
}

namespace {

double mean_face_edge(const geometry::TriangleMesh& mesh) {
  double edge_sum = 0.0;
  for (const auto& f : mesh.faces) {
    edge_sum += (mesh.vertices[static_cast<std::size_t>(f[0])] -
                 mesh.vertices[static_cast<std::size_t>(f[1])])
                    .norm();
  }
  return mesh.faces.empty() ? 0.0 : edge_sum / static_cast<double>(mesh.faces.size());
}

// The label of a vertex put midway between two labelled ones: theirs when they agree; otherwise
// the more careful of the two: a no-go zone, then skin that is not massaged, then the lower cap.
anatomy::Region midway_label(anatomy::Region a, anatomy::Region b) {
  if (a == b) return a;
  const bool a_no_go = anatomy::is_no_go(a);
  const bool b_no_go = anatomy::is_no_go(b);
  if (a_no_go != b_no_go) return a_no_go ? a : b;
  if (a_no_go) return std::min(a, b);
  const bool a_massage = anatomy::is_massage_region(a);
  const bool b_massage = anatomy::is_massage_region(b);
  if (a_massage != b_massage) return a_massage ? b : a;
  if (!a_massage) return std::min(a, b);
  const double cap_a = anatomy::tissue(a).force_cap_n;
  const double cap_b = anatomy::tissue(b).force_cap_n;
  if (cap_a != cap_b) return cap_a < cap_b ? a : b;
  return std::min(a, b);
}

// A coarse scan split for planning: each triangle into four at its edges' midpoints (the same
// surface, so the head's shape and the contact with it do not change) until the mean edge is at
// most kPlanningEdgeM, at most twice. Vertices keep their indices (pressure points refer to
// them); new ones follow. Null when the head is fine enough as it is.
std::unique_ptr<anatomy::Head> refined_for_planning(const anatomy::Head& h) {
  // A head whose labels do not match its vertices is refused by the constructor.
  if (h.regions.label.size() != h.mesh.vertices.size()) return nullptr;
  if (mean_face_edge(h.mesh) <= PlanningSurface::Impl::kPlanningEdgeM) return nullptr;
  auto out = std::make_unique<anatomy::Head>(h);
  for (int pass = 0; pass < 2; ++pass) {
    geometry::TriangleMesh& mesh = out->mesh;
    if (mean_face_edge(mesh) <= PlanningSurface::Impl::kPlanningEdgeM) break;
    std::vector<anatomy::Region>& label = out->regions.label;
    std::unordered_map<std::uint64_t, int> midpoint;
    midpoint.reserve(mesh.faces.size() * 2);
    auto middle = [&](int a, int b) {
      const auto lo = static_cast<std::uint64_t>(std::min(a, b));
      const auto hi = static_cast<std::uint64_t>(std::max(a, b));
      const auto [it, fresh] = midpoint.emplace((lo << 32) | hi, 0);
      if (fresh) {
        it->second = static_cast<int>(mesh.vertices.size());
        const Vec3 m = 0.5 * (mesh.vertices[static_cast<std::size_t>(a)] +
                              mesh.vertices[static_cast<std::size_t>(b)]);
        mesh.vertices.push_back(m);
        label.push_back(
            midway_label(label[static_cast<std::size_t>(a)], label[static_cast<std::size_t>(b)]));
      }
      return it->second;
    };
    std::vector<geometry::Face> faces;
    faces.reserve(mesh.faces.size() * 4);
    for (const geometry::Face f : mesh.faces) {
      const int ab = middle(f[0], f[1]);
      const int bc = middle(f[1], f[2]);
      const int ca = middle(f[2], f[0]);
      faces.push_back({f[0], ab, ca});
      faces.push_back({ab, f[1], bc});
      faces.push_back({ca, bc, f[2]});
      faces.push_back({ab, bc, ca});
    }
    mesh.faces = std::move(faces);
  }
  return out;
}

}  // namespace

PlanningSurface::Impl::Impl(const anatomy::Head& original_head)
    : original(&original_head),
      refined(refined_for_planning(original_head)),
      head(refined != nullptr ? refined.get() : &original_head),
      query(head->mesh),
      log_map(head->mesh) {
  const anatomy::Head& h = *head;
  const geometry::TriangleMesh& mesh = h.mesh;
  original_vertices = original_head.mesh.vertices.size();
  original_mean_edge = refined != nullptr ? mean_face_edge(original_head.mesh) : 0.0;
  const std::size_t n = mesh.vertices.size();
  if (h.regions.label.size() != n) {
    throw InputError("head has " + std::to_string(h.regions.label.size()) + " region labels for " +
                     std::to_string(n) + " vertices");
  }
  vertex_area = geometry::vertex_areas(mesh);
  adjacency = geometry::vertex_adjacency(mesh);
  // Travel asks "at least the lift height out?" of many points: ready now, not mid-plan.
  query.prepare_signed_distance_up_to();
  // And the feet of the samples, nearly all near the last one's: ready before planning.
  query.prepare_nearby_queries();
  for (std::size_t v = 0; v < n; ++v) {
    const anatomy::Region r = h.regions.label[v];
    if (anatomy::is_no_go(r)) {
      no_go_points.add(mesh.vertices[v], static_cast<int>(v));
    } else if (!anatomy::is_massage_region(r)) {
      other_points.add(mesh.vertices[v], static_cast<int>(v));
    }
  }
  other_points.build();
  no_go_dist.assign(n, kNoGoReach);
  no_go_points.build();
  if (no_go_points.size() > 0) {
    for (std::size_t v = 0; v < n; ++v) {
      const auto [id, d] = no_go_points.nearest(mesh.vertices[v], kNoGoReach);
      if (id >= 0) no_go_dist[v] = d;
    }
  }
  mean_edge = mean_face_edge(mesh);

  // Where a pad can work: its ball, resting on the skin at the vertex and on the way down the
  // normal to it, touches no other skin (an ear beside the temple, a fold), and resting it
  // keeps clear of unlabelled skin rising towards it by kOtherSkinClearanceM.
  pad_fits.assign(n, 0);
  neck_cut.assign(n, 0);
  const auto& normal = log_map.vertex_normals();
  for (std::size_t v = 0; v < n; ++v) {
    if (!anatomy::is_massage_region(h.regions.label[v])) continue;
    const anatomy::Region r = h.regions.label[v];
    if ((r == anatomy::Region::kNeckBack || r == anatomy::Region::kNeckSideLeft ||
         r == anatomy::Region::kNeckSideRight) &&
        normal[v].y() < -kNeckCutNormalY) {
      neck_cut[v] = 1;
      neck_cut_area_m2 += vertex_area[v];
      continue;  // no pad there
    }
    const Vec3& p = mesh.vertices[v];
    bool fits = rising_other_skin_gap(p, normal[v]) >= kOtherSkinClearanceM;
    for (const double up : {0.0, 0.5 * kApproachHeightM, kApproachHeightM}) {
      if (!fits) break;
      const double gap = query.signed_distance(p + (kPadRadiusM + up) * normal[v]) - kPadRadiusM;
      if (gap < 0.5 * up - kPadFitToleranceM) {
        fits = false;
        break;
      }
    }
    pad_fits[v] = fits ? 1 : 0;
  }
  // The lowest cap under a pad resting at each vertex: its footprint may reach a neighbouring
  // region with a lower cap, and a safety monitor sees the lowest cap near the pad.
  PointGrid massage(0.01);
  for (std::size_t v = 0; v < n; ++v) {
    if (anatomy::is_massage_region(h.regions.label[v])) {
      massage.add(mesh.vertices[v], static_cast<int>(v));
    }
  }
  footprint_cap.assign(n, 0.0);
  for (std::size_t v = 0; v < n; ++v) {
    if (!anatomy::is_massage_region(h.regions.label[v])) continue;
    double cap = anatomy::tissue(h.regions.label[v]).force_cap_n;
    massage.for_each_within(mesh.vertices[v], kPadRadiusM + kTrackingSlackM, [&](int u, double) {
      cap = std::min(cap, anatomy::tissue(h.regions[u]).force_cap_n);
    });
    footprint_cap[v] = cap;
  }
  // Where a spot may be centred: the massage vertices, thinned to kSpotCentreSpacingM in vertex
  // order, so that a fine scan offers the layout and the fill about as many centres as a 2-3 mm
  // mesh rather than one per vertex; and each massage vertex's nearest centre (within that
  // spacing, or the vertex itself), where the fill gathers its skin.
  {
    spot_centre.assign(n, 0);
    spot_centre_of.assign(n, -1);
    PointGrid kept(0.01);
    for (std::size_t v = 0; v < n; ++v) {
      if (!anatomy::is_massage_region(h.regions.label[v])) continue;
      if (kept.any_within(mesh.vertices[v], kSpotCentreSpacingM)) continue;
      kept.add(mesh.vertices[v], static_cast<int>(v));
      spot_centre[v] = 1;
    }
    for (std::size_t v = 0; v < n; ++v) {
      if (!anatomy::is_massage_region(h.regions.label[v])) continue;
      const int near =
          spot_centre[v] != 0 ? -1 : kept.nearest(mesh.vertices[v], kSpotCentreSpacingM).first;
      spot_centre_of[v] = near >= 0 ? near : static_cast<int>(v);
    }
  }
  NearestPoints misfits;
  for (std::size_t v = 0; v < n; ++v) {
    if (anatomy::is_massage_region(h.regions.label[v]) && pad_fits[v] == 0) {
      misfits.add(mesh.vertices[v], static_cast<int>(v));
    }
  }
  misfit_dist.assign(n, kNoGoReach);
  misfits.build();
  if (misfits.size() > 0) {
    for (std::size_t v = 0; v < n; ++v) {
      const auto [id, d] = misfits.nearest(mesh.vertices[v], kNoGoReach);
      if (id >= 0) misfit_dist[v] = d;
    }
  }

  // Skin that no pad can cover: farther than the coverage reach from every vertex where a pad
  // may rest with the smallest margin a plan may keep from the no-go zones (PlanLimits: 1 cm).
  {
    constexpr double kSmallestMargin = 0.01;
    PointGrid rests(0.01);
    for (std::size_t v = 0; v < n; ++v) {
      if (pad_fits[v] != 0 && no_go_dist[v] >= kSmallestMargin) {
        rests.add(mesh.vertices[v], static_cast<int>(v));
      }
    }
    out_of_reach.assign(n, 0);
    for (std::size_t v = 0; v < n; ++v) {
      const anatomy::Region r = h.regions.label[v];
      if (!anatomy::is_massage_region(r) || neck_cut[v] != 0 || no_go_dist[v] < kSmallestMargin) {
        continue;
      }
      if (pad_fits[v] != 0 || rests.any_within(mesh.vertices[v], kCoverageReachM)) continue;
      out_of_reach[v] = 1;
      out_of_reach_area_m2[static_cast<std::size_t>(r)] += vertex_area[v];
    }
  }

  // The centre of the massage regions: inside the skull, a pivot for travel around the head.
  Vec3 sum = Vec3::Zero();
  double count = 0.0;
  for (std::size_t v = 0; v < n; ++v) {
    if (anatomy::is_massage_region(h.regions.label[v])) {
      sum += mesh.vertices[v];
      count += 1.0;
    }
  }
  centre = count > 0.0 ? Vec3(sum / count) : geometry::bounding_box(mesh).centre();
  centre.x() = 0.0;
  // Park each contact beside the head at the level of the centre, well outside the skin.
  const geometry::Box3 box = geometry::bounding_box(mesh);
  const double half_width = std::max(std::abs(box.min.x()), std::abs(box.max.x()));
  park[0] = Vec3(half_width + 0.12, centre.y() + 0.04, centre.z());
  park[1] = Vec3(-(half_width + 0.12), centre.y() + 0.04, centre.z());
}

double PlanningSurface::Impl::no_go_distance(const Vec3& p, anatomy::Region* zone) const {
  const auto [id, d] = no_go_points.nearest(p, kNoGoReach);
  if (zone != nullptr) {
    *zone = id >= 0 ? head->regions[id] : anatomy::Region::kOther;
  }
  return id >= 0 ? d : kNoGoReach;
}

double PlanningSurface::Impl::other_skin_gap(const Vec3& pad_centre) const {
  const double reach = kPadRadiusM + kOtherSkinClearanceM + 0.01;
  const auto [id, d] = other_points.nearest(pad_centre, reach);
  return (id >= 0 ? d : reach) - kPadRadiusM;
}

double PlanningSurface::Impl::rising_other_skin_gap(const Vec3& contact, const Vec3& n) const {
  const double reach = kPadRadiusM + kOtherSkinClearanceM + 0.01;
  const auto [id, d] = other_points.nearest_above(contact + kPadRadiusM * n, reach, contact, n);
  return (id >= 0 ? d : reach) - kPadRadiusM;
}

PlanningSurface::Impl::Foot PlanningSurface::Impl::foot_of(const geometry::SurfacePoint& sp) const {
  const geometry::TriangleMesh& mesh = head->mesh;
  const auto& face = mesh.faces[static_cast<std::size_t>(sp.face)];
  Foot out;
  out.position = geometry::position(mesh, sp);
  Vec3 nrm = Vec3::Zero();
  int best = 0;
  for (int k = 0; k < 3; ++k) {
    nrm +=
        sp.barycentric[k] * normals()[static_cast<std::size_t>(face[static_cast<std::size_t>(k)])];
    if (sp.barycentric[k] > sp.barycentric[best]) best = k;
  }
  out.normal = nrm.norm() > 0.0 ? Vec3(nrm.normalized()) : Vec3::UnitY();
  out.vertex = face[static_cast<std::size_t>(best)];
  out.face = sp.face;
  out.region = head->regions[out.vertex];
  return out;
}

PlanningSurface::Impl::Foot PlanningSurface::Impl::foot(const Vec3& p) const {
  return foot_near(p, -1);
}

PlanningSurface::Impl::Foot PlanningSurface::Impl::foot_near(const Vec3& p, int near_face) const {
  const auto c = query.closest_point_near(p, near_face);
  if (!c) return {};
  Foot out = foot_of(c->point);
  out.position = c->position;
  out.distance = c->distance;
  return out;
}

PlanningSurface::PlanningSurface(const anatomy::Head& head) : impl_(std::make_unique<Impl>(head)) {}
PlanningSurface::~PlanningSurface() = default;
PlanningSurface::PlanningSurface(PlanningSurface&&) noexcept = default;
PlanningSurface& PlanningSurface::operator=(PlanningSurface&&) noexcept = default;

const anatomy::Head& PlanningSurface::head() const noexcept { return *impl_->original; }

std::unique_ptr<anatomy::Head> planning_head(const anatomy::Head& head) {
  return refined_for_planning(head);
}

double PlanningSurface::no_go_distance(int vertex) const {
  if (vertex < 0 || static_cast<std::size_t>(vertex) >= impl_->no_go_dist.size()) {
    throw InputError("vertex " + std::to_string(vertex) + " is not on the head");
  }
  return impl_->no_go_dist[static_cast<std::size_t>(vertex)];
}

double PlanningSurface::no_go_distance(const Eigen::Vector3d& p, anatomy::Region* zone) const {
  return impl_->no_go_distance(p, zone);
}

bool PlanOptions::IsValid(std::string* why) const {
  auto fail = [why](const std::string& what) {
    if (why != nullptr) *why = what;
    return false;
  };
  if (!(sample_rate_hz >= 100.0 && sample_rate_hz <= 1000.0)) {
    return fail("sample_rate_hz must be 100-1000");
  }
  if (!(pad_radius_m > 0.002 && pad_radius_m < 0.02)) return fail("pad_radius_m must be 2-20 mm");
  if (!(touch_force_n >= 0.0 && touch_force_n < 2.0)) return fail("touch_force_n must be 0-2 N");
  if (!(force_ramp_s >= 0.1 && force_ramp_s <= 5.0)) return fail("force_ramp_s must be 0.1-5 s");
  if (!(lift_height_m >= 0.005 && lift_height_m <= 0.1))
    return fail("lift_height_m must be 5-100 mm");
  if (!(travel_speed_m_per_s > 0.0 && travel_speed_m_per_s <= limits.max_speed_m_per_s)) {
    return fail("travel_speed_m_per_s must be positive and within the speed limit");
  }
  if (!(slide_speed_m_per_s > 0.0 && slide_speed_m_per_s <= limits.max_speed_m_per_s)) {
    return fail("slide_speed_m_per_s must be positive and within the speed limit");
  }
  if (!(planning_margin_m >= 0.0 && planning_margin_m <= 0.02)) {
    return fail("planning_margin_m must be 0-20 mm");
  }
  if (!(tense_dwell_factor >= 1.0 && tense_dwell_factor <= 4.0)) {
    return fail("tense_dwell_factor must be 1-4");
  }
  if (!(limits.no_go_margin_m >= 0.01)) return fail("limits.no_go_margin_m must be at least 1 cm");
  if (!(limits.min_coverage > 0.0 && limits.min_coverage <= 1.0)) {
    return fail("limits.min_coverage must be in (0, 1]");
  }
  return true;
}

}  // namespace headspa::plan
