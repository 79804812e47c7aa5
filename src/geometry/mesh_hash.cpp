#include "headspa/geometry/mesh_hash.hpp"

#include <cstdint>
#include <string_view>

#include "headspa/core/hash.hpp"

namespace headspa::geometry {

std::string mesh_sha256(const TriangleMesh& mesh) {
  Sha256 h;
  h.update(std::string_view(reinterpret_cast<const char*>(mesh.vertices.data()),
                            mesh.vertices.size() * sizeof(Vec3)));
  h.update(std::string_view(reinterpret_cast<const char*>(mesh.faces.data()),
                            mesh.faces.size() * sizeof(mesh.faces[0])));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : h.finish()) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace headspa::geometry
