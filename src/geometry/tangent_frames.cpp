#include "headspa/geometry/tangent_frames.hpp"

#include "headspa/core/error.hpp"
#include "numerics_detail.hpp"

#include <cmath>

namespace headspa::geometry {

bool TangentFrameOptions::IsValid(std::string* why) const {
  auto fail = [why](const char* message) {
    if (why != nullptr) *why = message;
    return false;
  };
  if (!reference_direction.allFinite() || reference_direction.norm() == 0.0) {
    return fail("reference_direction must be a finite non-zero vector");
  }
  if (!fallback_direction.allFinite() || fallback_direction.norm() == 0.0) {
    return fail("fallback_direction must be a finite non-zero vector");
  }
  if (!(fallback_sine > 0.0 && fallback_sine < 1.0))
    return fail("fallback_sine must lie in (0, 1)");
  const double sine =
      reference_direction.normalized().cross(fallback_direction.normalized()).norm();
  if (sine < fallback_sine) {
    return fail(
        "fallback_direction must make an angle with reference_direction whose sine is at "
        "least fallback_sine");
  }
  return true;
}

TangentFrame frame_from_normal(const Vec3& normal, const TangentFrameOptions& options) {
  TangentFrame frame;
  const double len = normal.norm();
  if (!(len > 0.0)) return frame;
  frame.normal = normal / len;
  const Vec3 ref = options.reference_direction.normalized();
  Vec3 t = ref - ref.dot(frame.normal) * frame.normal;
  if (t.norm() < options.fallback_sine) {
    const Vec3 fb = options.fallback_direction.normalized();
    t = fb - fb.dot(frame.normal) * frame.normal;
  }
  frame.tangent = t.normalized();
  frame.bitangent = frame.normal.cross(frame.tangent);
  return frame;
}

std::vector<Vec3> angle_weighted_vertex_normals(const TriangleMesh& mesh) {
  return detail::angle_weighted_normals(mesh);
}

std::vector<TangentFrame> vertex_tangent_frames(const TriangleMesh& mesh,
                                                const TangentFrameOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError("TangentFrameOptions: " + why);
  const std::vector<Vec3> normals = detail::angle_weighted_normals(mesh);
  std::vector<TangentFrame> frames;
  frames.reserve(normals.size());
  for (const Vec3& n : normals) frames.push_back(frame_from_normal(n, options));
  return frames;
}

TangentFrame tangent_frame_at(const TriangleMesh& mesh, const std::vector<Vec3>& vertex_normals,
                              const SurfacePoint& point, const TangentFrameOptions& options) {
  const Face& f = mesh.faces[static_cast<std::size_t>(point.face)];
  Vec3 n = Vec3::Zero();
  for (int k = 0; k < 3; ++k) {
    n += point.barycentric[k] *
         vertex_normals[static_cast<std::size_t>(f[static_cast<std::size_t>(k)])];
  }
  if (!(n.norm() > 0.0)) n = face_area_vector(mesh, point.face);
  return frame_from_normal(n, options);
}

}  // namespace headspa::geometry
