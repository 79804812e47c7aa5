// Reading head scans from files and cleaning them into a usable surface.
//
// load_mesh_file() reads OBJ (triangles and quads), PLY (ASCII and binary), STL, glTF and GLB
// through assimp, applies the file's node transforms and triangulates. clean_mesh() then welds
// duplicate vertices, drops degenerate and duplicate faces, stray small components and unused
// vertices, orients the faces consistently, and reports open boundaries and non-manifold edges.
// Both keep the file's units; putting the head in metres and in the head frame is
// anatomy::import_head's job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "headspa/geometry/mesh.hpp"

namespace headspa::geometry {

// File extensions load_mesh_file() accepts (lower case, with the dot).
inline constexpr std::string_view kMeshExtensions[] = {".obj", ".ply", ".stl", ".gltf", ".glb"};

// Reads a mesh file. Throws InputError naming the file and the problem for a missing file, a
// directory, an unknown extension, a file the parser rejects, a file with no triangles, or a
// non-finite coordinate.
TriangleMesh load_mesh_file(const std::string& path);

// Reads a mesh from bytes in memory; `extension` (".obj", ".ply", ...) picks the format and
// `name` is used in error messages.
TriangleMesh load_mesh_bytes(std::string_view bytes, std::string_view extension,
                             const std::string& name);

struct CleanOptions {
  // Vertices closer than this fraction of the bounding-box diagonal are welded.
  double weld_tolerance = 1e-7;
  // Connected components with less than this fraction of the total area are dropped.
  double min_component_area_fraction = 0.01;

  bool IsValid(std::string* why) const;
};

// An open boundary: a closed loop of boundary edges (a neck cut, an eye or mouth opening).
struct BoundaryLoop {
  std::vector<int> vertices;  // in order along the loop
  double length = 0.0;        // in the mesh's units
  Vec3 centroid = Vec3::Zero();
};

struct CleanReport {
  int input_vertices = 0;
  int input_faces = 0;
  int welded_vertices = 0;   // vertices merged into another
  int degenerate_faces = 0;  // zero area or a repeated vertex
  int duplicate_faces = 0;
  int dropped_components = 0;
  int dropped_component_faces = 0;
  int unused_vertices = 0;
  int flipped_faces = 0;                 // reoriented to agree with their neighbours
  int components = 0;                    // kept
  int non_manifold_edges = 0;            // edges with more than two faces
  std::vector<BoundaryLoop> boundaries;  // longest first
};

// Cleans the mesh in place. Throws InputError when nothing usable is left.
CleanReport clean_mesh(TriangleMesh& mesh, const CleanOptions& options = {});

// Writes the mesh as Wavefront OBJ (vertices and triangles). Throws InputError when the file
// cannot be written.
void write_obj(const TriangleMesh& mesh, const std::string& path);

// RGB colour per vertex, 0-255.
using Rgb = std::array<unsigned char, 3>;

// Writes binary little-endian PLY with per-vertex colours (colours may be empty).
void write_ply(const TriangleMesh& mesh, const std::vector<Rgb>& colours, const std::string& path);

// Writes binary glTF 2.0 (.glb) with per-vertex colours (colours may be empty).
void write_glb(const TriangleMesh& mesh, const std::vector<Rgb>& colours, const std::string& path);

}  // namespace headspa::geometry
