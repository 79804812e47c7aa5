// The identity of a mesh, for plans and records:
//
//   plan_inputs.hashes.head = geometry::mesh_sha256(head.mesh);
#pragma once

#include <string>

#include "headspa/geometry/mesh.hpp"

namespace headspa::geometry {

// SHA-256 (lower-case hex) of the mesh's vertex and face arrays as stored in memory.
std::string mesh_sha256(const TriangleMesh& mesh);

}  // namespace headspa::geometry
