#include "headspa/geometry/import.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "headspa/core/error.hpp"
#include "test_util.hpp"

namespace headspa::geometry {
namespace {

using test::TempDir;
using test::write_file;

// An open cylinder (no caps) made of quads, as OBJ text: `rings` x `segments` vertices.
std::string cylinder_obj(int rings, int segments) {
  std::string s;
  for (int r = 0; r < rings; ++r) {
    for (int k = 0; k < segments; ++k) {
      const double a = 2 * M_PI * k / segments;
      s += "v " + std::to_string(std::cos(a)) + " " + std::to_string(std::sin(a)) + " " +
           std::to_string(r * 0.5) + "\n";
    }
  }
  for (int r = 0; r + 1 < rings; ++r) {
    for (int k = 0; k < segments; ++k) {
      const int a = r * segments + k + 1, b = r * segments + (k + 1) % segments + 1;
      s += "f " + std::to_string(a) + " " + std::to_string(b) + " " + std::to_string(b + segments) +
           " " + std::to_string(a + segments) + "\n";
    }
  }
  return s;
}

TriangleMesh octahedron() {
  TriangleMesh m;
  m.vertices = {Vec3(1, 0, 0),  Vec3(-1, 0, 0), Vec3(0, 1, 0),
                Vec3(0, -1, 0), Vec3(0, 0, 1),  Vec3(0, 0, -1)};
  m.faces = {{0, 2, 4}, {2, 1, 4}, {1, 3, 4}, {3, 0, 4},
             {2, 0, 5}, {1, 2, 5}, {3, 1, 5}, {0, 3, 5}};
  return m;
}

TEST(Import, ObjQuadsAreTriangulated) {
  TempDir dir;
  write_file(dir.file("c.obj"), cylinder_obj(3, 8));
  TriangleMesh m = load_mesh_file(dir.file("c.obj"));
  EXPECT_EQ(m.faces.size(), 2u * 8 * 2);
  const CleanReport r = clean_mesh(m);
  EXPECT_EQ(m.vertices.size(), 24u);
  ASSERT_EQ(r.boundaries.size(), 2u);  // both open ends
  EXPECT_NEAR(r.boundaries[0].length, 16 * std::sin(M_PI / 8), 1e-4);
  EXPECT_EQ(r.non_manifold_edges, 0);
}

TEST(Import, AsciiPlyAndStlSoupAreWelded) {
  TempDir dir;
  write_file(dir.file("t.ply"),
             "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
             "property float z\nelement face 2\nproperty list uchar int vertex_indices\n"
             "end_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n");
  TriangleMesh ply = load_mesh_file(dir.file("t.ply"));
  EXPECT_EQ(ply.faces.size(), 2u);
  std::string stl = "solid s\n";
  const TriangleMesh oct = octahedron();
  for (const Face& f : oct.faces) {
    stl += " facet normal 0 0 0\n  outer loop\n";
    for (int v : f) {
      const Vec3& p = oct.vertices[static_cast<std::size_t>(v)];
      stl += "   vertex " + std::to_string(p.x()) + " " + std::to_string(p.y()) + " " +
             std::to_string(p.z()) + "\n";
    }
    stl += "  endloop\n endfacet\n";
  }
  stl += "endsolid s\n";
  write_file(dir.file("o.stl"), stl);
  TriangleMesh m = load_mesh_file(dir.file("o.stl"));
  const CleanReport r = clean_mesh(m);
  EXPECT_EQ(m.vertices.size(), 6u);  // 24 soup vertices welded to 6
  EXPECT_EQ(m.faces.size(), 8u);
  EXPECT_TRUE(r.boundaries.empty());
  EXPECT_NEAR(total_area(m), 8 * std::sqrt(3.0) / 2, 1e-5);
}

TEST(Import, WritersRoundTripThroughAssimp) {
  TempDir dir;
  const TriangleMesh oct = octahedron();
  std::vector<Rgb> colours(oct.vertices.size(), Rgb{10, 20, 30});
  write_obj(oct, dir.file("o.obj"));
  write_ply(oct, colours, dir.file("o.ply"));
  write_glb(oct, colours, dir.file("o.glb"));
  for (const char* name : {"o.obj", "o.ply", "o.glb"}) {
    TriangleMesh m = load_mesh_file(dir.file(name));
    clean_mesh(m);
    EXPECT_EQ(m.vertices.size(), 6u) << name;
    EXPECT_EQ(m.faces.size(), 8u) << name;
    EXPECT_NEAR(total_area(m), total_area(oct), 1e-5) << name;
  }
}

TEST(Clean, DropsDegenerateDuplicateAndStrayPieces) {
  TriangleMesh m = octahedron();
  m.faces.push_back({0, 0, 1});  // repeated vertex
  m.faces.push_back({4, 2, 0});  // duplicate of face 0, other order
  m.vertices.push_back(Vec3(2, 2, 2));
  m.vertices.push_back(Vec3(2, 2, 2) + Vec3(1e-3, 0, 0));
  m.vertices.push_back(Vec3(2, 2, 2) + Vec3(0, 1e-3, 0));
  m.faces.push_back({6, 7, 8});         // a tiny stray triangle
  m.vertices.push_back(Vec3(0, 0, 0));  // unused
  const CleanReport r = clean_mesh(m);
  EXPECT_EQ(r.degenerate_faces, 1);
  EXPECT_EQ(r.duplicate_faces, 1);
  EXPECT_EQ(r.dropped_components, 1);
  EXPECT_EQ(m.faces.size(), 8u);
  EXPECT_EQ(m.vertices.size(), 6u);
  EXPECT_EQ(r.components, 1);
}

TEST(Clean, OrientsFacesOutward) {
  TriangleMesh m = octahedron();
  std::swap(m.faces[3][1], m.faces[3][2]);        // one face flipped
  for (Face& f : m.faces) std::swap(f[1], f[2]);  // and everything inside out
  const CleanReport r = clean_mesh(m);
  EXPECT_EQ(r.flipped_faces, 1);
  for (const Vec3& n : face_normals(m)) {
    // Every normal points away from the centre.
    EXPECT_GT(n.norm(), 0.9);
  }
  double volume = 0;
  for (const Face& f : m.faces) {
    volume += m.vertices[static_cast<std::size_t>(f[0])].dot(
        m.vertices[static_cast<std::size_t>(f[1])].cross(
            m.vertices[static_cast<std::size_t>(f[2])]));
  }
  EXPECT_GT(volume, 0);
}

TEST(Clean, CountsNonManifoldEdges) {
  TriangleMesh m;
  m.vertices = {Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, -1, 0), Vec3(0, 0, 1)};
  m.faces = {{0, 1, 2}, {1, 0, 3}, {0, 1, 4}};  // three faces on edge 0-1
  const CleanReport r = clean_mesh(m);
  EXPECT_EQ(r.non_manifold_edges, 1);
}

// Bad input: each case is an InputError that names the file.
void expect_input_error(const std::string& path, const std::string& fragment) {
  try {
    load_mesh_file(path);
    FAIL() << "no error for " << path;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(ImportErrors, SayWhatIsWrong) {
  TempDir dir;
  write_file(dir.file("empty.obj"), "");
  expect_input_error(dir.file("empty.obj"), "empty file");
  expect_input_error(dir.file("missing.obj"), "no such file");
  expect_input_error(dir.path().string(), "is a directory");
  write_file(dir.file("head.xyz"), "v 0 0 0\n");
  expect_input_error(dir.file("head.xyz"), "unknown extension '.xyz'");
  write_file(dir.file("nan.obj"), "v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n");
  expect_input_error(dir.file("nan.obj"), "non-finite");
  write_file(dir.file("lines.obj"), "v 0 0 0\nv 1 0 0\nl 1 2\n");
  expect_input_error(dir.file("lines.obj"), "");
  // A binary PLY cut short in the middle of its vertex data.
  TriangleMesh oct = octahedron();
  write_ply(oct, {}, dir.file("full.ply"));
  const std::string bytes = test::read_file(dir.file("full.ply"));
  write_file(dir.file("cut.ply"), bytes.substr(0, bytes.size() - 10));
  expect_input_error(dir.file("cut.ply"), "truncated");
  write_file(dir.file("header.ply"), bytes.substr(0, 40));
  expect_input_error(dir.file("header.ply"), "end_header");
  write_file(dir.file("garbage.glb"), std::string(100, '\x07'));
  expect_input_error(dir.file("garbage.glb"), "not a GLB file");
  // A binary STL whose triangle count promises more than the file holds.
  std::string stl(84 + 50, '\0');
  stl[80] = 5;  // five triangles, one present
  write_file(dir.file("short.stl"), stl);
  expect_input_error(dir.file("short.stl"), "binary STL declares 5 triangles");
  // A PLY face pointing past the vertices.
  write_file(dir.file("index.ply"),
             "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
             "property float z\nelement face 1\nproperty list uchar int vertex_indices\n"
             "end_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n");
  expect_input_error(dir.file("index.ply"), "bad vertex index '7'");
}

// Inputs that once stopped the parser: a polygon repeating a vertex is split and its
// degenerate piece dropped; a header whose end_header is not on its own line, or an element with
// no properties, is refused.
TEST(ImportErrors, ParserTrapsAreHandled) {
  TempDir dir;
  write_file(dir.file("repeat.obj"), "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 2 3\nf 1 3 4\n");
  TriangleMesh m = load_mesh_file(dir.file("repeat.obj"));
  const CleanReport r = clean_mesh(m);
  EXPECT_EQ(r.degenerate_faces, 1);
  EXPECT_EQ(m.faces.size(), 2u);
  write_file(dir.file("inline.ply"),
             "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
             "property float z\nelement face 1\nproperty list uchar int vend_header\n"
             "0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n");
  expect_input_error(dir.file("inline.ply"), "end_header");
  write_file(dir.file("empty_element.ply"),
             "ply\nformat ascii 1.0\nelement thing 4000000000\nend_header\n");
  expect_input_error(dir.file("empty_element.ply"), "has no properties");
}

// A GLB whose JSON refers to things that are missing or too small is refused before parsing.
TEST(ImportErrors, GlbReferencesAreChecked) {
  TempDir dir;
  const TriangleMesh oct = octahedron();
  write_glb(oct, {}, dir.file("ok.glb"));
  const std::string good = test::read_file(dir.file("ok.glb"));
  auto with_json = [&](const std::string& from, const std::string& to) {
    std::string bytes = good;
    const std::size_t at = bytes.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    bytes.replace(at, from.size(), to);  // same length keeps the chunk sizes valid
    return bytes;
  };
  write_file(dir.file("no_attributes.glb"), with_json("\"attributes\"", "\"attribu]es\""));
  expect_input_error(dir.file("no_attributes.glb"), "attributes.POSITION");
  write_file(dir.file("big_count.glb"), with_json("\"count\":6,", "\"count\":9,"));
  expect_input_error(dir.file("big_count.glb"), "runs past its bufferView");
  write_file(dir.file("bad_view.glb"), with_json("\"bufferView\":0", "\"bufferView\":7"));
  expect_input_error(dir.file("bad_view.glb"), "expected an index below");
  write_file(dir.file("line_loop.glb"), with_json("\"mode\":4", "\"mode\":2"));
  expect_input_error(dir.file("line_loop.glb"), "only triangle primitives");
}

TEST(ImportErrors, CleaningNothingUsableIsAnError) {
  TriangleMesh m;
  m.vertices = {Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(2, 0, 0)};
  m.faces = {{0, 1, 2}};  // collinear
  EXPECT_THROW(clean_mesh(m), InputError);
}

}  // namespace
}  // namespace headspa::geometry
