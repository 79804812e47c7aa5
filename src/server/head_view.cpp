#include "head_view.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace headspa::server {
namespace {

using Json = nlohmann::ordered_json;

double round_to(double v, double step) { return std::round(v / step) * step; }

Json rounded_vec3(const Eigen::Vector3d& v) {
  return Json::array({round_to(v.x(), 1e-5), round_to(v.y(), 1e-5), round_to(v.z(), 1e-5)});
}

// Vertices hashed into cubes of one pad diameter, for "which vertices are under the pad".
class VertexGrid {
 public:
  VertexGrid(const geometry::TriangleMesh& mesh, double cell_m) : cell_(cell_m) {
    for (std::size_t i = 0; i < mesh.vertices.size(); ++i) {
      cells_[key(mesh.vertices[i])].push_back(static_cast<int>(i));
    }
  }
  template <typename F>
  void near(const Eigen::Vector3d& p, F&& visit) const {
    const auto c = cell(p);
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dz = -1; dz <= 1; ++dz) {
          const auto it = cells_.find(pack(c[0] + dx, c[1] + dy, c[2] + dz));
          if (it == cells_.end()) continue;
          for (int v : it->second) visit(v);
        }
  }

 private:
  std::array<long, 3> cell(const Eigen::Vector3d& p) const {
    return {static_cast<long>(std::floor(p.x() / cell_)),
            static_cast<long>(std::floor(p.y() / cell_)),
            static_cast<long>(std::floor(p.z() / cell_))};
  }
  static std::uint64_t pack(long x, long y, long z) {
    const auto u = [](long v) { return static_cast<std::uint64_t>(v + (1 << 20)) & 0x1fffffu; };
    return (u(x) << 42) | (u(y) << 21) | u(z);
  }
  std::uint64_t key(const Eigen::Vector3d& p) const {
    const auto c = cell(p);
    return pack(c[0], c[1], c[2]);
  }
  double cell_;
  std::unordered_map<std::uint64_t, std::vector<int>> cells_;
};

}  // namespace

std::string head_view_json(const anatomy::Head& head) {
  Json j;
  j["format"] = "headspa/head-view@1";
  std::vector<double> positions;
  positions.reserve(head.mesh.vertices.size() * 3);
  for (const auto& v : head.mesh.vertices) {
    for (int k = 0; k < 3; ++k) positions.push_back(round_to(v[k], 1e-5));
  }
  std::vector<int> faces;
  faces.reserve(head.mesh.faces.size() * 3);
  for (const auto& f : head.mesh.faces) faces.insert(faces.end(), f.begin(), f.end());
  std::vector<int> labels;
  labels.reserve(head.regions.label.size());
  for (anatomy::Region r : head.regions.label) labels.push_back(static_cast<int>(r));
  j["positions_m"] = std::move(positions);
  j["faces"] = std::move(faces);
  j["vertex_region"] = std::move(labels);
  auto& regions = j["regions"] = Json::array();
  for (int i = 0; i < anatomy::kRegionCount; ++i) {
    const auto r = static_cast<anatomy::Region>(i);
    const auto c = anatomy::region_colour(r);
    regions.push_back({{"index", i},
                       {"name", anatomy::region_name(r)},
                       {"no_go", anatomy::is_no_go(r)},
                       {"massage", anatomy::is_massage_region(r)},
                       {"force_cap_n", anatomy::tissue(r).force_cap_n},
                       {"colour", {c[0], c[1], c[2]}}});
  }
  auto& points = j["pressure_points"] = Json::array();
  for (const auto& p : head.pressure_points) {
    points.push_back({{"point", anatomy::acupoint_name(p.point)},
                      {"side", anatomy::side_name(p.side)},
                      {"position_m", rounded_vec3(p.position)},
                      {"normal", rounded_vec3(p.normal)},
                      {"region", anatomy::region_name(p.region)}});
  }
  return j.dump();
}

std::vector<double> vertex_contact_time(const plan::SessionPlan& plan, const anatomy::Head& head,
                                        double pad_radius_m) {
  std::vector<double> time(head.mesh.vertices.size(), 0.0);
  const VertexGrid grid(head.mesh, 2.0 * pad_radius_m);
  const double dt = 1.0 / plan.sample_rate_hz;
  // In contact a sample's position lies on the skin: a vertex is under the pad when it lies
  // within the pad's radius of that point.
  const double reach2 = pad_radius_m * pad_radius_m;
  for (const auto& track : plan.tracks) {
    for (const auto& s : track) {
      if (s.phase != plan::Phase::kContact || s.force_n <= 0.0) continue;
      const Eigen::Vector3d& touch = s.position_m;
      grid.near(touch, [&](int v) {
        if ((head.mesh.vertices[static_cast<std::size_t>(v)] - touch).squaredNorm() <= reach2) {
          time[static_cast<std::size_t>(v)] += dt;
        }
      });
    }
  }
  return time;
}

std::string playback_json(const plan::SessionPlan& plan, const anatomy::Head& head,
                          double rate_hz) {
  Json j;
  j["format"] = "headspa/playback@1";
  j["protocol_id"] = plan.protocol_id;
  j["title"] = plan.title;
  j["duration_s"] = plan.duration_s;
  j["rate_hz"] = rate_hz;
  auto& segs = j["segments"] = Json::array();
  for (const auto& s : plan.segments) {
    Json regions = Json::array();
    for (auto r : s.regions) regions.push_back(anatomy::region_name(r));
    segs.push_back({{"kind", plan::segment_kind_name(s.kind)},
                    {"step_id", s.step_id},
                    {"title", s.title},
                    {"start_s", s.start_s},
                    {"end_s", s.end_s},
                    {"regions", std::move(regions)},
                    {"cue", s.cue},
                    {"instruction", s.instruction}});
  }
  // Frames: each contact's pad position, target force and phase, or null while parked.
  auto& frames = j["frames"] = Json::array();
  const auto n = static_cast<long>(std::floor(plan.duration_s * rate_hz)) + 1;
  for (long i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    Json contacts = Json::array();
    for (int c = 0; c < plan::kContactCount; ++c) {
      const auto s = plan.sample_at(static_cast<plan::Contact>(c), t);
      if (!s) {
        contacts.push_back(nullptr);
        continue;
      }
      contacts.push_back({{"p", rounded_vec3(s->position_m)},
                          {"f", round_to(s->force_n, 1e-3)},
                          {"ph", plan::phase_name(s->phase)}});
    }
    frames.push_back({{"t", round_to(t, 1e-3)}, {"c", std::move(contacts)}});
  }
  auto& regions = j["regions"] = Json::array();
  for (const auto& r : plan.regions) {
    regions.push_back({{"region", anatomy::region_name(r.region)},
                       {"targeted", r.targeted},
                       {"coverage", r.coverage},
                       {"contact_time_s", r.contact_time_s},
                       {"peak_force_n", r.peak_force_n},
                       {"cap_n", r.cap_n}});
  }
  std::vector<double> time = vertex_contact_time(plan, head);
  for (double& t : time) t = round_to(t, 0.01);
  j["vertex_contact_s"] = std::move(time);
  return j.dump();
}

}  // namespace headspa::server
