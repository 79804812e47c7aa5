// The grid is filled by splatting each vertex into the cells around it (a bounded radius), so
// building costs O(vertices * cells per ball) rather than O(cells * vertices).
#include "headspa/control/head_field.hpp"

#include <algorithm>
#include <cmath>

#include "headspa/core/error.hpp"
#include "headspa/geometry/surface_query.hpp"

namespace headspa::control {
namespace {

// Cells farther than this from the skin take the direction from it as their normal.
constexpr double kNormalFromOffsetM = 0.001;
// Cells within this of the skin carry a normal.
constexpr double kNormalReachM = 0.016;

float trilinear(const std::vector<float>& v, int nx, int ny, int i, int j, int k, double fx,
                double fy, double fz) {
  const auto at = [&](int a, int b, int c) {
    return static_cast<double>(v[(static_cast<std::size_t>(c) * static_cast<std::size_t>(ny) +
                                  static_cast<std::size_t>(b)) *
                                     static_cast<std::size_t>(nx) +
                                 static_cast<std::size_t>(a)]);
  };
  const double c00 = at(i, j, k) * (1 - fx) + at(i + 1, j, k) * fx;
  const double c10 = at(i, j + 1, k) * (1 - fx) + at(i + 1, j + 1, k) * fx;
  const double c01 = at(i, j, k + 1) * (1 - fx) + at(i + 1, j, k + 1) * fx;
  const double c11 = at(i, j + 1, k + 1) * (1 - fx) + at(i + 1, j + 1, k + 1) * fx;
  const double c0 = c00 * (1 - fy) + c10 * fy;
  const double c1 = c01 * (1 - fy) + c11 * fy;
  return static_cast<float>(c0 * (1 - fz) + c1 * fz);
}

}  // namespace

HeadField::HeadField(const anatomy::Head& head, const HeadFieldOptions& options)
    : options_(options) {
  if (!(options.cell_m > 0.0) || !(options.max_distance_m > options.cell_m) ||
      !(options.cap_reach_m > 0.0) || !(options.unlabelled_margin_m >= 0.0) ||
      !(options.border_m >= options.max_distance_m)) {
    throw InputError(
        "head field options: cell_m > 0, max_distance_m > cell_m, cap_reach_m > 0, "
        "unlabelled_margin_m >= 0 and border_m >= max_distance_m are required");
  }
  const auto& mesh = head.mesh;
  if (mesh.vertices.empty() || head.regions.label.size() != mesh.vertices.size()) {
    throw InputError("head field: the head has no vertices or no region per vertex");
  }
  const geometry::Box3 box = geometry::bounding_box(mesh);
  origin_ = box.min - Eigen::Vector3d::Constant(options.border_m);
  const Eigen::Vector3d extent = box.extent() + Eigen::Vector3d::Constant(2 * options.border_m);
  nx_ = static_cast<int>(std::ceil(extent.x() / options.cell_m)) + 1;
  ny_ = static_cast<int>(std::ceil(extent.y() / options.cell_m)) + 1;
  nz_ = static_cast<int>(std::ceil(extent.z() / options.cell_m)) + 1;
  const std::size_t n =
      static_cast<std::size_t>(nx_) * static_cast<std::size_t>(ny_) * static_cast<std::size_t>(nz_);
  const auto far = static_cast<float>(options.max_distance_m);
  skin_.assign(n, far);
  no_go_.assign(n, far);
  cap_.assign(n, std::numeric_limits<float>::infinity());
  normal_x_.assign(n, 0.0f);
  normal_y_.assign(n, 0.0f);
  normal_z_.assign(n, 0.0f);

  const double h = options.cell_m;
  const int reach = static_cast<int>(std::ceil(options.max_distance_m / h));
  const double max_d2 = options.max_distance_m * options.max_distance_m;
  const auto reach_m = static_cast<float>(options.cap_reach_m);
  const auto other_m = static_cast<float>(options.unlabelled_margin_m);
  // Distance to the nearest massage vertex (only while building).
  std::vector<float> massage_near(n, far);
  // Two passes: distances first, then each massage vertex's cap wherever that vertex lies
  // within reach of the nearest massage vertex.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
      const Eigen::Vector3d& p = mesh.vertices[v];
      const anatomy::Region region = head.regions.label[v];
      const bool no_go = anatomy::is_no_go(region);
      const bool massage = anatomy::is_massage_region(region);
      if (pass == 1 && !massage) continue;
      const auto cap = static_cast<float>(anatomy::tissue(region).force_cap_n);
      const Eigen::Vector3d g = (p - origin_) / h;
      const int ci = static_cast<int>(std::lround(g.x()));
      const int cj = static_cast<int>(std::lround(g.y()));
      const int ck = static_cast<int>(std::lround(g.z()));
      for (int k = std::max(0, ck - reach); k <= std::min(nz_ - 1, ck + reach); ++k) {
        for (int j = std::max(0, cj - reach); j <= std::min(ny_ - 1, cj + reach); ++j) {
          for (int i = std::max(0, ci - reach); i <= std::min(nx_ - 1, ci + reach); ++i) {
            const Eigen::Vector3d c = origin_ + h * Eigen::Vector3d(i, j, k);
            const double d2 = (c - p).squaredNorm();
            if (d2 > max_d2) continue;
            const std::size_t idx = index(i, j, k);
            const auto d = static_cast<float>(std::sqrt(d2));
            if (pass == 0) {
              skin_[idx] = std::min(skin_[idx], d);
              if (no_go) no_go_[idx] = std::min(no_go_[idx], d);
              if (massage) massage_near[idx] = std::min(massage_near[idx], d);
            } else if (d <= massage_near[idx] + reach_m) {
              cap_[idx] = std::min(cap_[idx], cap);
            }
          }
        }
      }
    }
  }
  for (std::size_t idx = 0; idx < n; ++idx) {
    // Skin that is not massaged (or a no-go zone) clearly nearer than any massage skin: the pad
    // is over it, and no force is allowed there.
    if (std::isinf(cap_[idx]) || skin_[idx] + other_m < massage_near[idx]) cap_[idx] = 0.0f;
  }
  // Normals: at each cell near the skin, the direction from the closest point of the surface
  // (not of the vertices: on a coarse scan they can lie far to the side) to the cell, which is
  // the contact normal of a ball centred there and, in a crease, differs from the surface
  // normal. On the skin itself, the face normal.
  // Only where a pad centre can be while it presses (a pad radius out, plus slack and the
  // grid's own reach); elsewhere the normal stays zero.
  const auto normal_reach = static_cast<float>(kNormalReachM);
  const geometry::SurfaceQuery query(mesh);
  const std::vector<Eigen::Vector3d> face_normals = geometry::face_normals(mesh);
  for (int k = 0; k < nz_; ++k) {
    for (int j = 0; j < ny_; ++j) {
      for (int i = 0; i < nx_; ++i) {
        const std::size_t idx = index(i, j, k);
        if (!(skin_[idx] < normal_reach)) continue;
        const Eigen::Vector3d c = origin_ + h * Eigen::Vector3d(i, j, k);
        const auto cp = query.closest_point(c, static_cast<double>(far));
        if (!cp) continue;
        const Eigen::Vector3d& fn = face_normals[static_cast<std::size_t>(cp->point.face)];
        Eigen::Vector3d dir = fn;
        if (cp->distance > kNormalFromOffsetM) {
          dir = (c - cp->position) / cp->distance;
          if (dir.dot(fn) < 0.0) dir = -dir;  // a cell inside the head: still the outward side
        }
        normal_x_[idx] = static_cast<float>(dir.x());
        normal_y_[idx] = static_cast<float>(dir.y());
        normal_z_[idx] = static_cast<float>(dir.z());
      }
    }
  }
}

HeadFieldSample HeadField::at(const Eigen::Vector3d& p_head) const noexcept {
  HeadFieldSample out{options_.max_distance_m, options_.max_distance_m, 0.0};
  const Eigen::Vector3d g = (p_head - origin_) / options_.cell_m;
  if (!(g.x() >= 0.0 && g.y() >= 0.0 && g.z() >= 0.0 && g.x() < nx_ - 1 && g.y() < ny_ - 1 &&
        g.z() < nz_ - 1)) {
    return out;
  }
  const int i = static_cast<int>(g.x()), j = static_cast<int>(g.y()), k = static_cast<int>(g.z());
  const double fx = g.x() - i, fy = g.y() - j, fz = g.z() - k;
  out.skin_distance_m = static_cast<double>(trilinear(skin_, nx_, ny_, i, j, k, fx, fy, fz));
  out.no_go_distance_m = static_cast<double>(trilinear(no_go_, nx_, ny_, i, j, k, fx, fy, fz));
  const Eigen::Vector3d normal(
      static_cast<double>(trilinear(normal_x_, nx_, ny_, i, j, k, fx, fy, fz)),
      static_cast<double>(trilinear(normal_y_, nx_, ny_, i, j, k, fx, fy, fz)),
      static_cast<double>(trilinear(normal_z_, nx_, ny_, i, j, k, fx, fy, fz)));
  const double length = normal.norm();
  if (length > 1e-6) out.skin_normal = normal / length;
  const int ri = static_cast<int>(std::lround(g.x()));
  const int rj = static_cast<int>(std::lround(g.y()));
  const int rk = static_cast<int>(std::lround(g.z()));
  out.force_cap_n = static_cast<double>(cap_[index(ri, rj, rk)]);
  return out;
}

}  // namespace headspa::control
