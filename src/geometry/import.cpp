// Loading meshes through assimp and cleaning them.
#include "headspa/geometry/import.hpp"

#include <assimp/postprocess.h>
#include <assimp/scene.h>
#include <assimp/Importer.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <queue>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "headspa/core/error.hpp"
#include "validate.hpp"

namespace headspa::geometry {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string extension_list() {
  std::string out;
  for (std::string_view e : kMeshExtensions) {
    if (!out.empty()) out += ' ';
    out += e;
  }
  return out;
}

bool known_extension(std::string_view ext) {
  return std::find(std::begin(kMeshExtensions), std::end(kMeshExtensions), ext) !=
         std::end(kMeshExtensions);
}

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw InputError(InputLocation{name, 0, 0, {}}, what);
}

// Polygons are split into triangles here rather than by assimp's triangulation step, which
// aborts on polygons that repeat a vertex.
constexpr unsigned kImportFlags = aiProcess_PreTransformVertices;

// Turns an assimp scene into one triangle mesh (points and lines are ignored).
TriangleMesh mesh_from_scene(const aiScene* scene, const Assimp::Importer& importer,
                             const std::string& name) {
  if (scene == nullptr) {
    std::string why = importer.GetErrorString();
    if (why.empty()) why = "the file could not be parsed";
    fail(name, "cannot read mesh: " + why);
  }
  if ((scene->mFlags & AI_SCENE_FLAGS_INCOMPLETE) != 0u) {
    fail(name, "cannot read mesh: the file is incomplete");
  }
  TriangleMesh out;
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    const aiMesh* mesh = scene->mMeshes[m];
    if (mesh == nullptr || mesh->mVertices == nullptr) continue;
    const auto base = static_cast<int>(out.vertices.size());
    for (unsigned v = 0; v < mesh->mNumVertices; ++v) {
      const aiVector3D& p = mesh->mVertices[v];
      const Vec3 q(static_cast<double>(p.x), static_cast<double>(p.y), static_cast<double>(p.z));
      if (!q.allFinite()) {
        fail(name, "vertex " + std::to_string(v + 1) + " has a non-finite coordinate (NaN or inf)");
      }
      out.vertices.push_back(q);
    }
    for (unsigned f = 0; f < mesh->mNumFaces; ++f) {
      const aiFace& face = mesh->mFaces[f];
      if (face.mNumIndices < 3 || face.mIndices == nullptr) continue;  // points and lines
      for (unsigned k = 0; k < face.mNumIndices; ++k) {
        if (face.mIndices[k] >= mesh->mNumVertices) {
          fail(name, "face " + std::to_string(f + 1) + " refers to a missing vertex");
        }
      }
      // A fan from the first corner; degenerate pieces are dropped by clean_mesh().
      for (unsigned k = 1; k + 1 < face.mNumIndices; ++k) {
        out.faces.push_back(Face{base + static_cast<int>(face.mIndices[0]),
                                 base + static_cast<int>(face.mIndices[k]),
                                 base + static_cast<int>(face.mIndices[k + 1])});
      }
    }
  }
  if (out.faces.empty()) fail(name, "the file holds no triangles or polygons");
  return out;
}

// Union-find over face indices.
struct DisjointSets {
  std::vector<int> parent;
  explicit DisjointSets(int n) : parent(static_cast<std::size_t>(n)) {
    std::iota(parent.begin(), parent.end(), 0);
  }
  int find(int x) {
    while (parent[static_cast<std::size_t>(x)] != x) {
      parent[static_cast<std::size_t>(x)] =
          parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
      x = parent[static_cast<std::size_t>(x)];
    }
    return x;
  }
  void unite(int a, int b) { parent[static_cast<std::size_t>(find(a))] = find(b); }
};

// One entry per (undirected edge, face) pair, sorted so that equal edges are adjacent.
struct EdgeUse {
  int a, b;  // a < b
  int face;
  bool forward;  // the face runs a -> b
  bool operator<(const EdgeUse& o) const {
    return std::tie(a, b, face) < std::tie(o.a, o.b, o.face);
  }
};

// Sorted by (a, b, face) without a comparison sort of every use: a counting sort by a (stable,
// so faces stay ascending), then each vertex's few uses ordered by b with an insertion sort.
std::vector<EdgeUse> edge_uses(const TriangleMesh& mesh) {
  const std::size_t n = mesh.vertices.size();
  std::vector<int> start(n + 1, 0);
  for (const Face& t : mesh.faces) {
    for (int k = 0; k < 3; ++k) {
      const int u = t[static_cast<std::size_t>(k)];
      const int v = t[static_cast<std::size_t>((k + 1) % 3)];
      ++start[static_cast<std::size_t>(std::min(u, v)) + 1];
    }
  }
  for (std::size_t v = 0; v < n; ++v) start[v + 1] += start[v];
  std::vector<EdgeUse> uses(mesh.faces.size() * 3);
  std::vector<int> fill(start.begin(), start.end() - 1);
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const Face& t = mesh.faces[static_cast<std::size_t>(f)];
    for (int k = 0; k < 3; ++k) {
      const int u = t[static_cast<std::size_t>(k)];
      const int v = t[static_cast<std::size_t>((k + 1) % 3)];
      const auto a = static_cast<std::size_t>(std::min(u, v));
      uses[static_cast<std::size_t>(fill[a]++)] = EdgeUse{std::min(u, v), std::max(u, v), f, u < v};
    }
  }
  for (std::size_t v = 0; v < n; ++v) {
    const auto begin = static_cast<std::size_t>(start[v]);
    const auto end = static_cast<std::size_t>(start[v + 1]);
    for (std::size_t i = begin + 1; i < end; ++i) {
      const EdgeUse use = uses[i];
      std::size_t at = i;
      for (; at > begin && use < uses[at - 1]; --at) uses[at] = uses[at - 1];
      uses[at] = use;
    }
  }
  return uses;
}

void weld(TriangleMesh& mesh, double tolerance, CleanReport& report) {
  const std::size_t n = mesh.vertices.size();
  // Each vertex's grid cell (or exact position when the tolerance is zero), computed once;
  // + 0.0 makes -0 and 0 one key.
  std::vector<std::array<double, 3>> key(n);
  for (std::size_t v = 0; v < n; ++v) {
    const Vec3& p = mesh.vertices[v];
    key[v] = tolerance > 0 ? std::array<double, 3>{std::floor(p.x() / tolerance) + 0.0,
                                                   std::floor(p.y() / tolerance) + 0.0,
                                                   std::floor(p.z() / tolerance) + 0.0}
                           : std::array<double, 3>{p.x() + 0.0, p.y() + 0.0, p.z() + 0.0};
  }
  // Vertices with equal keys map to the first of them in file order: an open-addressing table
  // of first vertices, filled in file order.
  std::size_t slots = 16;
  while (slots < 2 * n) slots *= 2;
  std::vector<int> table(slots, -1);
  auto hash = [](const std::array<double, 3>& k) {
    std::uint64_t h = 0x9e3779b97f4a7c15ull;
    for (double c : k) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, &c, sizeof bits);
      h ^= bits + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      h *= 0xff51afd7ed558ccdull;
    }
    return h ^ (h >> 33);
  };
  std::vector<int> remap(n);
  for (std::size_t v = 0; v < n; ++v) {
    std::size_t slot = static_cast<std::size_t>(hash(key[v])) & (slots - 1);
    while (true) {
      const int u = table[slot];
      if (u < 0) {  // a new key (a NaN coordinate never equals a key, so it stays alone)
        table[slot] = static_cast<int>(v);
        remap[v] = static_cast<int>(v);
        break;
      }
      if (key[static_cast<std::size_t>(u)] == key[v]) {
        remap[v] = u;
        break;
      }
      slot = (slot + 1) & (slots - 1);
    }
  }
  // Compact in file order.
  std::vector<int> index(n, -1);
  std::vector<Vec3> kept;
  kept.reserve(n);
  for (std::size_t v = 0; v < n; ++v) {
    if (remap[v] == static_cast<int>(v)) {
      index[v] = static_cast<int>(kept.size());
      kept.push_back(mesh.vertices[v]);
    }
  }
  report.welded_vertices = static_cast<int>(n - kept.size());
  for (Face& f : mesh.faces) {
    for (int& v : f) v = index[static_cast<std::size_t>(remap[static_cast<std::size_t>(v)])];
  }
  mesh.vertices = std::move(kept);
}

void drop_bad_faces(TriangleMesh& mesh, double diag, CleanReport& report) {
  const double min_double_area = 1e-14 * diag * diag;
  std::vector<Face> kept;
  kept.reserve(mesh.faces.size());
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const Face& t = mesh.faces[static_cast<std::size_t>(f)];
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2] ||
        face_area_vector(mesh, f).norm() <= min_double_area) {
      ++report.degenerate_faces;
      continue;
    }
    kept.push_back(t);
  }
  // Duplicate faces: the same three vertices in any order. Sorted by (sorted corners, face):
  // a counting sort by the first corner (stable: faces stay ascending), then an insertion sort
  // of each vertex's few faces.
  std::vector<int> start(mesh.vertices.size() + 1, 0);
  std::vector<Face> corners(kept.size());
  for (std::size_t f = 0; f < kept.size(); ++f) {
    corners[f] = kept[f];
    std::sort(corners[f].begin(), corners[f].end());
    ++start[static_cast<std::size_t>(corners[f][0]) + 1];
  }
  for (std::size_t v = 0; v + 1 < start.size(); ++v) start[v + 1] += start[v];
  std::vector<std::pair<Face, int>> sorted(kept.size());
  {
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (std::size_t f = 0; f < kept.size(); ++f) {
      sorted[static_cast<std::size_t>(fill[static_cast<std::size_t>(corners[f][0])]++)] = {
          corners[f], static_cast<int>(f)};
    }
  }
  for (std::size_t v = 0; v + 1 < start.size(); ++v) {
    const auto begin = static_cast<std::size_t>(start[v]);
    const auto end = static_cast<std::size_t>(start[v + 1]);
    for (std::size_t i = begin + 1; i < end; ++i) {
      const std::pair<Face, int> entry = sorted[i];
      std::size_t at = i;
      for (; at > begin && entry < sorted[at - 1]; --at) sorted[at] = sorted[at - 1];
      sorted[at] = entry;
    }
  }
  std::vector<char> keep(kept.size(), 1);
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first == sorted[i - 1].first) {
      keep[static_cast<std::size_t>(sorted[i].second)] = 0;
      ++report.duplicate_faces;
    }
  }
  mesh.faces.clear();
  for (std::size_t f = 0; f < kept.size(); ++f) {
    if (keep[f]) mesh.faces.push_back(kept[f]);
  }
}

// Orients every component consistently (breadth-first over manifold edges), outward by the sign
// of the enclosed volume. Returns the component id of each face.
std::vector<int> orient_and_label(TriangleMesh& mesh, CleanReport& report) {
  const int nf = static_cast<int>(mesh.faces.size());
  const std::vector<EdgeUse> uses = edge_uses(mesh);
  // Face adjacency through manifold edges (at most one neighbour per edge, so three per face);
  // union through every shared edge.
  std::vector<std::array<int, 3>> neighbours(static_cast<std::size_t>(nf));
  std::vector<unsigned char> neighbour_count(static_cast<std::size_t>(nf), 0);
  auto add_neighbour = [&](int f, int g) {
    HEADSPA_CHECK(neighbour_count[static_cast<std::size_t>(f)] < 3, "one neighbour per edge");
    neighbours[static_cast<std::size_t>(f)][neighbour_count[static_cast<std::size_t>(f)]++] = g;
  };
  DisjointSets sets(nf);
  for (std::size_t i = 0; i < uses.size();) {
    std::size_t j = i;
    while (j < uses.size() && uses[j].a == uses[i].a && uses[j].b == uses[i].b) ++j;
    const std::size_t count = j - i;
    if (count > 2) ++report.non_manifold_edges;
    for (std::size_t k = i + 1; k < j; ++k) sets.unite(uses[i].face, uses[k].face);
    if (count == 2) {
      add_neighbour(uses[i].face, uses[i + 1].face);
      add_neighbour(uses[i + 1].face, uses[i].face);
    }
    i = j;
  }
  auto shares_direction = [&](int f, int g) {
    // True when f and g traverse their shared edge in the same direction (inconsistent).
    const Face& a = mesh.faces[static_cast<std::size_t>(f)];
    const Face& b = mesh.faces[static_cast<std::size_t>(g)];
    for (int i = 0; i < 3; ++i) {
      for (int k = 0; k < 3; ++k) {
        if (a[static_cast<std::size_t>(i)] == b[static_cast<std::size_t>(k)] &&
            a[static_cast<std::size_t>((i + 1) % 3)] == b[static_cast<std::size_t>((k + 1) % 3)]) {
          return true;
        }
      }
    }
    return false;
  };
  std::vector<char> visited(static_cast<std::size_t>(nf), 0);
  std::vector<int> component(static_cast<std::size_t>(nf), -1);
  int next_component = 0;
  for (int seed = 0; seed < nf; ++seed) {
    if (visited[static_cast<std::size_t>(seed)]) continue;
    std::vector<int> members;
    std::queue<int> queue;
    queue.push(seed);
    visited[static_cast<std::size_t>(seed)] = 1;
    while (!queue.empty()) {
      const int f = queue.front();
      queue.pop();
      members.push_back(f);
      for (int e = 0; e < neighbour_count[static_cast<std::size_t>(f)]; ++e) {
        const int g = neighbours[static_cast<std::size_t>(f)][static_cast<std::size_t>(e)];
        if (visited[static_cast<std::size_t>(g)]) continue;
        visited[static_cast<std::size_t>(g)] = 1;
        if (shares_direction(f, g)) {
          std::swap(mesh.faces[static_cast<std::size_t>(g)][1],
                    mesh.faces[static_cast<std::size_t>(g)][2]);
          ++report.flipped_faces;
        }
        queue.push(g);
      }
    }
    // Outward: positive volume relative to the patch centroid.
    Vec3 centroid = Vec3::Zero();
    for (int f : members) {
      for (int v : mesh.faces[static_cast<std::size_t>(f)]) {
        centroid += mesh.vertices[static_cast<std::size_t>(v)];
      }
    }
    centroid /= 3.0 * static_cast<double>(members.size());
    double volume = 0.0;
    for (int f : members) {
      const Face& t = mesh.faces[static_cast<std::size_t>(f)];
      const Vec3 a = mesh.vertices[static_cast<std::size_t>(t[0])] - centroid;
      const Vec3 b = mesh.vertices[static_cast<std::size_t>(t[1])] - centroid;
      const Vec3 c = mesh.vertices[static_cast<std::size_t>(t[2])] - centroid;
      volume += a.dot(b.cross(c));
    }
    if (volume < 0) {
      for (int f : members) {
        std::swap(mesh.faces[static_cast<std::size_t>(f)][1],
                  mesh.faces[static_cast<std::size_t>(f)][2]);
      }
    }
    for (int f : members) component[static_cast<std::size_t>(f)] = next_component;
    ++next_component;
  }
  // Components joined only through non-manifold edges share a label.
  std::vector<int> root_label(static_cast<std::size_t>(nf), -1);
  for (int f = 0; f < nf; ++f) {
    const int r = sets.find(f);
    if (root_label[static_cast<std::size_t>(r)] < 0) {
      root_label[static_cast<std::size_t>(r)] = component[static_cast<std::size_t>(f)];
    }
    component[static_cast<std::size_t>(f)] = root_label[static_cast<std::size_t>(r)];
  }
  return component;
}

void drop_small_components(TriangleMesh& mesh, const std::vector<int>& component,
                           double min_fraction, CleanReport& report) {
  std::unordered_map<int, double> area;
  double total = 0.0;
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    const double a = face_area(mesh, f);
    area[component[static_cast<std::size_t>(f)]] += a;
    total += a;
  }
  std::vector<Face> kept;
  for (int f = 0; f < static_cast<int>(mesh.faces.size()); ++f) {
    if (area[component[static_cast<std::size_t>(f)]] >= min_fraction * total) {
      kept.push_back(mesh.faces[static_cast<std::size_t>(f)]);
    } else {
      ++report.dropped_component_faces;
    }
  }
  int kept_components = 0;
  for (const auto& [id, a] : area) {
    if (a >= min_fraction * total) {
      ++kept_components;
    } else {
      ++report.dropped_components;
    }
  }
  report.components = kept_components;
  mesh.faces = std::move(kept);
}

void drop_unused_vertices(TriangleMesh& mesh, CleanReport& report) {
  std::vector<int> index(mesh.vertices.size(), -1);
  for (const Face& f : mesh.faces) {
    for (int v : f) index[static_cast<std::size_t>(v)] = 0;
  }
  std::vector<Vec3> kept;
  for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
    if (index[v] == 0) {
      index[v] = static_cast<int>(kept.size());
      kept.push_back(mesh.vertices[v]);
    }
  }
  report.unused_vertices = static_cast<int>(mesh.vertices.size() - kept.size());
  for (Face& f : mesh.faces) {
    for (int& v : f) v = index[static_cast<std::size_t>(v)];
  }
  mesh.vertices = std::move(kept);
}

std::vector<BoundaryLoop> boundary_loops(const TriangleMesh& mesh) {
  const std::vector<EdgeUse> uses = edge_uses(mesh);
  std::unordered_multimap<int, int> next;  // directed boundary edges u -> v
  for (std::size_t i = 0; i < uses.size();) {
    std::size_t j = i;
    while (j < uses.size() && uses[j].a == uses[i].a && uses[j].b == uses[i].b) ++j;
    if (j - i == 1) {
      const EdgeUse& e = uses[i];
      if (e.forward) {
        next.emplace(e.a, e.b);
      } else {
        next.emplace(e.b, e.a);
      }
    }
    i = j;
  }
  std::vector<std::pair<int, int>> starts;
  for (const auto& kv : next) starts.push_back(kv);
  std::sort(starts.begin(), starts.end());
  std::vector<BoundaryLoop> loops;
  for (const auto& [s, unused] : starts) {
    if (next.find(s) == next.end()) continue;
    BoundaryLoop loop;
    int cur = s;
    while (true) {
      auto it = next.find(cur);
      if (it == next.end()) break;
      const int to = it->second;
      next.erase(it);
      loop.vertices.push_back(cur);
      loop.length += (mesh.vertices[static_cast<std::size_t>(to)] -
                      mesh.vertices[static_cast<std::size_t>(cur)])
                         .norm();
      cur = to;
      if (cur == s) break;
    }
    if (loop.vertices.empty()) continue;
    for (int v : loop.vertices) loop.centroid += mesh.vertices[static_cast<std::size_t>(v)];
    loop.centroid /= static_cast<double>(loop.vertices.size());
    loops.push_back(std::move(loop));
  }
  std::stable_sort(loops.begin(), loops.end(), [](const BoundaryLoop& a, const BoundaryLoop& b) {
    return a.length > b.length;
  });
  return loops;
}

}  // namespace

TriangleMesh load_mesh_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail(path, "no such file");
  if (fs::is_directory(status)) fail(path, "is a directory, expected a mesh file");
  const std::string ext = lower(fs::path(path).extension().string());
  if (!known_extension(ext)) {
    fail(path, "unknown extension '" + ext + "'; expected one of " + extension_list());
  }
  if (!fs::is_regular_file(status)) fail(path, "is not a regular file");
  if (fs::file_size(path, ec) == 0 || ec) fail(path, "empty file");
  if (ext == ".gltf") {
    // Text glTF refers to buffers beside it, so the parser reads it from its path.
    Assimp::Importer importer;
    const aiScene* scene = importer.ReadFile(path, kImportFlags);
    return mesh_from_scene(scene, importer, path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file for reading");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_mesh_bytes(bytes, ext, path);
}

TriangleMesh load_mesh_bytes(std::string_view bytes, std::string_view extension,
                             const std::string& name) {
  const std::string ext = lower(extension);
  if (!known_extension(ext)) {
    fail(name, "unknown extension '" + ext + "'; expected one of " + extension_list());
  }
  if (bytes.empty()) fail(name, "empty file");
  detail::validate_mesh_bytes(bytes, ext, name);
  Assimp::Importer importer;
  const aiScene* scene =
      importer.ReadFileFromMemory(bytes.data(), bytes.size(), kImportFlags, ext.c_str() + 1);
  return mesh_from_scene(scene, importer, name);
}

bool CleanOptions::IsValid(std::string* why) const {
  if (!(weld_tolerance >= 0.0 && weld_tolerance < 0.01)) {
    if (why) *why = "weld_tolerance must be in [0, 0.01)";
    return false;
  }
  if (!(min_component_area_fraction >= 0.0 && min_component_area_fraction < 0.5)) {
    if (why) *why = "min_component_area_fraction must be in [0, 0.5)";
    return false;
  }
  return true;
}

CleanReport clean_mesh(TriangleMesh& mesh, const CleanOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "clean options"}, why);
  CleanReport report;
  report.input_vertices = static_cast<int>(mesh.vertices.size());
  report.input_faces = static_cast<int>(mesh.faces.size());
  for (const Face& f : mesh.faces) {
    for (int v : f) {
      HEADSPA_CHECK(v >= 0 && v < static_cast<int>(mesh.vertices.size()), "face index in range");
    }
  }
  const double diag = bounding_box(mesh).extent().norm();
  weld(mesh, options.weld_tolerance * diag, report);
  drop_bad_faces(mesh, diag, report);
  if (mesh.faces.empty()) throw InputError("the mesh has no triangle with a non-zero area");
  const std::vector<int> component = orient_and_label(mesh, report);
  drop_small_components(mesh, component, options.min_component_area_fraction, report);
  drop_unused_vertices(mesh, report);
  report.boundaries = boundary_loops(mesh);
  return report;
}

}  // namespace headspa::geometry
