// Writing meshes: OBJ, binary PLY with colours, binary glTF (GLB) with colours.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "headspa/core/error.hpp"
#include "headspa/geometry/import.hpp"

namespace headspa::geometry {
namespace {

std::ofstream open_for_writing(const std::string& path, bool binary) {
  std::ofstream out(path, binary ? std::ios::binary : std::ios::out);
  if (!out) throw InputError(InputLocation{path, 0, 0, {}}, "cannot open file for writing");
  return out;
}

void finish(std::ofstream& out, const std::string& path) {
  out.flush();
  if (!out) throw InputError(InputLocation{path, 0, 0, {}}, "write failed");
}

template <typename T>
void append_bytes(std::vector<char>& buffer, const T& value) {
  const auto* p = reinterpret_cast<const char*>(&value);
  buffer.insert(buffer.end(), p, p + sizeof(T));
}

void check_colours(const TriangleMesh& mesh, const std::vector<Rgb>& colours) {
  HEADSPA_CHECK(colours.empty() || colours.size() == mesh.vertices.size(), "one colour per vertex");
}

}  // namespace

void write_obj(const TriangleMesh& mesh, const std::string& path) {
  std::ofstream out = open_for_writing(path, false);
  out.precision(9);
  out << "# headspa mesh: " << mesh.vertices.size() << " vertices, " << mesh.faces.size()
      << " triangles\n";
  for (const Vec3& p : mesh.vertices) out << "v " << p.x() << ' ' << p.y() << ' ' << p.z() << '\n';
  for (const Face& f : mesh.faces) {
    out << "f " << f[0] + 1 << ' ' << f[1] + 1 << ' ' << f[2] + 1 << '\n';
  }
  finish(out, path);
}

void write_ply(const TriangleMesh& mesh, const std::vector<Rgb>& colours, const std::string& path) {
  check_colours(mesh, colours);
  std::ofstream out = open_for_writing(path, true);
  out << "ply\nformat binary_little_endian 1.0\ncomment headspa head\n"
      << "element vertex " << mesh.vertices.size() << "\n"
      << "property float x\nproperty float y\nproperty float z\n";
  if (!colours.empty()) out << "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  out << "element face " << mesh.faces.size() << "\nproperty list uchar int vertex_indices\n"
      << "end_header\n";
  std::vector<char> body;
  body.reserve(mesh.vertices.size() * 15 + mesh.faces.size() * 13);
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    for (int k = 0; k < 3; ++k) append_bytes(body, static_cast<float>(mesh.vertices[v][k]));
    if (!colours.empty()) body.insert(body.end(), colours[v].begin(), colours[v].end());
  }
  for (const Face& f : mesh.faces) {
    append_bytes(body, std::uint8_t{3});
    for (int v : f) append_bytes(body, static_cast<std::int32_t>(v));
  }
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  finish(out, path);
}

void write_glb(const TriangleMesh& mesh, const std::vector<Rgb>& colours, const std::string& path) {
  check_colours(mesh, colours);
  // Binary chunk: positions (float32 VEC3), colours (normalised uint8 VEC4), indices (uint32).
  std::vector<char> bin;
  Eigen::Vector3f lo = Eigen::Vector3f::Constant(std::numeric_limits<float>::max());
  Eigen::Vector3f hi = -lo;
  for (const Vec3& p : mesh.vertices) {
    const Eigen::Vector3f q = p.cast<float>();
    lo = lo.cwiseMin(q);
    hi = hi.cwiseMax(q);
    for (int k = 0; k < 3; ++k) append_bytes(bin, q[k]);
  }
  const std::size_t positions_bytes = bin.size();
  const std::size_t colours_offset = bin.size();
  if (!colours.empty()) {
    for (const Rgb& c : colours) {
      bin.insert(bin.end(), c.begin(), c.end());
      bin.push_back(static_cast<char>(0xFF));
    }
  }
  const std::size_t colours_bytes = bin.size() - colours_offset;
  const std::size_t indices_offset = bin.size();
  for (const Face& f : mesh.faces) {
    for (int v : f) append_bytes(bin, static_cast<std::uint32_t>(v));
  }
  const std::size_t indices_bytes = bin.size() - indices_offset;
  while (bin.size() % 4 != 0) bin.push_back(0);

  using nlohmann::json;
  json attributes = {{"POSITION", 0}};
  json views = json::array();
  json accessors = json::array();
  views.push_back(
      {{"buffer", 0}, {"byteOffset", 0}, {"byteLength", positions_bytes}, {"target", 34962}});
  accessors.push_back({{"bufferView", 0},
                       {"componentType", 5126},
                       {"count", mesh.vertices.size()},
                       {"type", "VEC3"},
                       {"min", {lo.x(), lo.y(), lo.z()}},
                       {"max", {hi.x(), hi.y(), hi.z()}}});
  if (!colours.empty()) {
    views.push_back({{"buffer", 0},
                     {"byteOffset", colours_offset},
                     {"byteLength", colours_bytes},
                     {"target", 34962}});
    accessors.push_back({{"bufferView", 1},
                         {"componentType", 5121},
                         {"normalized", true},
                         {"count", mesh.vertices.size()},
                         {"type", "VEC4"}});
    attributes["COLOR_0"] = 1;
  }
  const int index_view = static_cast<int>(views.size());
  views.push_back({{"buffer", 0},
                   {"byteOffset", indices_offset},
                   {"byteLength", indices_bytes},
                   {"target", 34963}});
  accessors.push_back({{"bufferView", index_view},
                       {"componentType", 5125},
                       {"count", mesh.faces.size() * 3},
                       {"type", "SCALAR"}});
  const json doc = {
      {"asset", {{"version", "2.0"}, {"generator", "headspa"}}},
      {"scene", 0},
      {"scenes", {{{"nodes", {0}}}}},
      {"nodes", {{{"mesh", 0}, {"name", "head"}}}},
      {"meshes",
       {{{"name", "head"},
         {"primitives", {{{"attributes", attributes}, {"indices", index_view}, {"mode", 4}}}}}}},
      {"buffers", {{{"byteLength", bin.size()}}}},
      {"bufferViews", views},
      {"accessors", accessors}};
  std::string text = doc.dump();
  while (text.size() % 4 != 0) text.push_back(' ');

  std::vector<char> file;
  auto u32 = [&](std::uint32_t v) { append_bytes(file, v); };
  u32(0x46546C67);  // "glTF"
  u32(2);
  u32(static_cast<std::uint32_t>(12 + 8 + text.size() + 8 + bin.size()));
  u32(static_cast<std::uint32_t>(text.size()));
  u32(0x4E4F534A);  // "JSON"
  file.insert(file.end(), text.begin(), text.end());
  u32(static_cast<std::uint32_t>(bin.size()));
  u32(0x004E4942);  // "BIN\0"
  file.insert(file.end(), bin.begin(), bin.end());
  std::ofstream out = open_for_writing(path, true);
  out.write(file.data(), static_cast<std::streamsize>(file.size()));
  finish(out, path);
}

}  // namespace headspa::geometry
