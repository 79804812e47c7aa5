#include "validate.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/core/error.hpp"

namespace headspa::geometry::detail {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw InputError(InputLocation{name, 0, 0, {}}, what);
}

// ---- PLY ----------------------------------------------------------------------------------

struct PlyProperty {
  bool is_list = false;
  int count_size = 0;  // bytes of the list's count (binary)
  int value_size = 0;  // bytes of a value
  bool value_is_float = false;
  std::string name;
};

struct PlyElement {
  std::string name;
  std::uint64_t count = 0;
  std::vector<PlyProperty> properties;
};

// Size in bytes of a PLY scalar type; 0 when unknown.
int ply_type_size(std::string_view t, bool* is_float) {
  *is_float = false;
  if (t == "char" || t == "uchar" || t == "int8" || t == "uint8") return 1;
  if (t == "short" || t == "ushort" || t == "int16" || t == "uint16") return 2;
  if (t == "int" || t == "uint" || t == "int32" || t == "uint32") return 4;
  if (t == "float" || t == "float32") {
    *is_float = true;
    return 4;
  }
  if (t == "double" || t == "float64") {
    *is_float = true;
    return 8;
  }
  return 0;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::uint64_t read_uint(const unsigned char* p, int size, bool big_endian) {
  std::uint64_t v = 0;
  for (int k = 0; k < size; ++k) {
    const int byte = big_endian ? k : size - 1 - k;
    v = (v << 8) | p[byte];
  }
  return v;
}

void validate_ply(std::string_view bytes, const std::string& name) {
  if (bytes.substr(0, 3) != "ply") fail(name, "not a PLY file: it does not start with 'ply'");
  // end_header must stand alone on its line.
  std::size_t end = std::string_view::npos;
  for (std::size_t at = bytes.find("\nend_header"); at != std::string_view::npos;
       at = bytes.find("\nend_header", at + 1)) {
    const std::size_t after = at + 11;
    if (after >= bytes.size() || bytes[after] == '\n' || bytes[after] == '\r') {
      end = at + 1;
      break;
    }
  }
  if (end == std::string_view::npos) fail(name, "PLY header has no end_header line");
  std::size_t body = bytes.find('\n', end);
  if (body == std::string_view::npos) fail(name, "PLY file ends right after its header");
  ++body;
  std::string_view header = bytes.substr(0, end);
  std::string format;
  std::vector<PlyElement> elements;
  int line_no = 0;
  while (!header.empty()) {
    const std::size_t nl = header.find('\n');
    const std::string_view line = header.substr(0, nl);
    header = nl == std::string_view::npos ? std::string_view() : header.substr(nl + 1);
    ++line_no;
    const auto words = split(line);
    if (words.empty()) continue;
    auto bad = [&](const std::string& what) {
      throw InputError(InputLocation{name, line_no, 0, {}}, "PLY header: " + what);
    };
    if (words[0] == "format") {
      if (!format.empty()) bad("a second format line");
      if (words.size() != 3 || words[2] != "1.0") bad("expected 'format TYPE 1.0'");
      format = std::string(words[1]);
      if (format != "ascii" && format != "binary_little_endian" && format != "binary_big_endian") {
        bad("format '" + format + "' is not ascii, binary_little_endian or binary_big_endian");
      }
    } else if (words[0] == "element") {
      if (words.size() != 3) bad("expected 'element NAME COUNT'");
      PlyElement e;
      e.name = std::string(words[1]);
      auto [ptr, ec] = std::from_chars(words[2].data(), words[2].data() + words[2].size(), e.count);
      if (ec != std::errc() || ptr != words[2].data() + words[2].size()) {
        bad("element count '" + std::string(words[2]) + "' is not a number");
      }
      elements.push_back(e);
    } else if (words[0] == "property") {
      if (elements.empty()) bad("property before any element");
      PlyProperty p;
      bool is_float = false;
      if (words.size() >= 2 && words[1] == "list") {
        if (words.size() != 5) bad("expected 'property list COUNT_TYPE VALUE_TYPE NAME'");
        p.is_list = true;
        p.count_size = ply_type_size(words[2], &is_float);
        if (p.count_size == 0 || is_float)
          bad("bad list count type '" + std::string(words[2]) + "'");
        p.value_size = ply_type_size(words[3], &p.value_is_float);
        if (p.value_size == 0) bad("unknown type '" + std::string(words[3]) + "'");
        p.name = std::string(words[4]);
      } else {
        if (words.size() != 3) bad("expected 'property TYPE NAME'");
        p.value_size = ply_type_size(words[1], &p.value_is_float);
        if (p.value_size == 0) bad("unknown type '" + std::string(words[1]) + "'");
        p.name = std::string(words[2]);
      }
      elements.back().properties.push_back(p);
    } else if (words[0] != "ply" && words[0] != "comment" && words[0] != "obj_info") {
      bad("unknown header keyword '" + std::string(words[0]) + "'");
    }
  }
  std::uint64_t vertex_count = 0;
  for (const auto& e : elements) {
    if (e.name == "vertex") vertex_count = e.count;
    if (e.count > 0 && e.properties.empty()) {
      fail(name, "PLY element '" + e.name + "' has no properties");
    }
  }
  const bool binary = format == "binary_little_endian" || format == "binary_big_endian";
  if (!binary && format != "ascii")
    fail(name, "PLY format '" + format + "' is not ascii or binary");
  const bool big_endian = format == "binary_big_endian";
  auto is_index_list = [](const PlyProperty& p) {
    return p.is_list && (p.name == "vertex_indices" || p.name == "vertex_index");
  };

  if (binary) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    std::uint64_t pos = body;
    const std::uint64_t size = bytes.size();
    for (const auto& e : elements) {
      for (std::uint64_t i = 0; i < e.count; ++i) {
        for (const auto& p : e.properties) {
          if (!p.is_list) {
            pos += static_cast<std::uint64_t>(p.value_size);
            continue;
          }
          if (pos + static_cast<std::uint64_t>(p.count_size) > size) {
            fail(name, "PLY data is truncated in element '" + e.name + "' " + std::to_string(i));
          }
          const std::uint64_t n = read_uint(data + pos, p.count_size, big_endian);
          pos += static_cast<std::uint64_t>(p.count_size);
          if (pos + n * static_cast<std::uint64_t>(p.value_size) > size) {
            fail(name, "PLY data is truncated in element '" + e.name + "' " + std::to_string(i));
          }
          if (is_index_list(p) && !p.value_is_float) {
            for (std::uint64_t k = 0; k < n; ++k) {
              const std::uint64_t idx =
                  read_uint(data + pos + k * static_cast<std::uint64_t>(p.value_size), p.value_size,
                            big_endian);
              // Signed types: a negative index reads as a huge value and is rejected too.
              if (idx >= vertex_count) {
                fail(name, "PLY face " + std::to_string(i) + " refers to vertex " +
                               std::to_string(idx) + " of " + std::to_string(vertex_count));
              }
            }
          }
          pos += n * static_cast<std::uint64_t>(p.value_size);
        }
        if (pos > size) {
          fail(name, "PLY data is truncated: element '" + e.name +
                         "' needs more bytes than the "
                         "file holds");
        }
      }
    }
    return;
  }
  // ASCII: one line per element, as parsers read it; every number must parse and every list
  // must hold exactly the entries its count promises.
  std::string_view rest = bytes.substr(body);
  auto next_line = [&]() -> std::vector<std::string_view> {
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      auto words = split(line);
      if (!words.empty()) return words;
    }
    return {};
  };
  auto number = [](std::string_view t) {
    double v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && ptr == t.data() + t.size();
  };
  for (const auto& e : elements) {
    for (std::uint64_t i = 0; i < e.count; ++i) {
      const auto words = next_line();
      auto bad = [&](const std::string& what) {
        throw InputError(InputLocation{name, 0, 0, {}},
                         "PLY data, element '" + e.name + "' " + std::to_string(i) + ": " + what);
      };
      if (words.empty()) bad("the file ends here (truncated)");
      std::size_t k = 0;
      for (const auto& p : e.properties) {
        std::uint64_t n = 1;
        if (p.is_list) {
          if (k >= words.size()) bad("missing list count");
          auto [ptr, ec] = std::from_chars(words[k].data(), words[k].data() + words[k].size(), n);
          if (ec != std::errc() || ptr != words[k].data() + words[k].size()) {
            bad("list count '" + std::string(words[k]) + "' is not a count");
          }
          ++k;
        }
        if (n > words.size() - k) bad("fewer values than the line promises");
        for (std::uint64_t c = 0; c < n; ++c, ++k) {
          if (!number(words[k])) bad("'" + std::string(words[k]) + "' is not a number");
          if (is_index_list(p)) {
            long long idx = -1;
            auto [ptr, ec] =
                std::from_chars(words[k].data(), words[k].data() + words[k].size(), idx);
            if (ec != std::errc() || idx < 0 || static_cast<std::uint64_t>(idx) >= vertex_count) {
              bad("bad vertex index '" + std::string(words[k]) + "'");
            }
          }
        }
      }
      if (k != words.size()) bad("more values than its properties");
    }
  }
}

// ---- STL ----------------------------------------------------------------------------------

void validate_stl(std::string_view bytes, const std::string& name) {
  // ASCII STL starts with "solid" and is text; a binary one may too, so decide by size.
  if (bytes.size() >= 84) {
    std::uint32_t n = 0;
    std::memcpy(&n, bytes.data() + 80, 4);
    const std::uint64_t expected = 84 + 50ull * n;
    if (expected == bytes.size()) return;  // a well-formed binary STL
    if (bytes.substr(0, 5) != "solid") {
      fail(name, "binary STL declares " + std::to_string(n) + " triangles (" +
                     std::to_string(expected) + " bytes) but the file has " +
                     std::to_string(bytes.size()) + " bytes");
    }
  } else if (bytes.substr(0, 5) != "solid") {
    fail(name, "too short for a binary STL and not an ASCII one");
  }
  if (bytes.find("facet") == std::string_view::npos) fail(name, "ASCII STL without any facet");
}

// ---- GLB ----------------------------------------------------------------------------------

// The glTF document's references must point at things that exist, with sizes that fit, before a
// parser follows them.
void validate_gltf_json(std::string_view text, std::uint64_t bin_bytes, const std::string& name) {
  using nlohmann::json;
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(name, std::string("glTF JSON does not parse: ") + e.what());
  }
  auto bad = [&](const std::string& where, const std::string& what) {
    throw InputError(InputLocation{name, 0, 0, where}, "glTF: " + what);
  };
  if (!doc.is_object()) bad("", "the document is not a JSON object");
  auto array_of = [&](const char* key) -> const json& {
    static const json kEmpty = json::array();
    if (!doc.contains(key)) return kEmpty;
    const json& a = doc[key];
    if (!a.is_array()) bad(key, "expected an array");
    for (const json& item : a) {
      if (!item.is_object()) bad(key, "expected an array of objects");
    }
    return a;
  };
  const json& buffers = array_of("buffers");
  const json& views = array_of("bufferViews");
  const json& accessors = array_of("accessors");
  const json& meshes = array_of("meshes");
  const json& nodes = array_of("nodes");
  const json& scenes = array_of("scenes");
  auto index = [&](const json& obj, const char* key, std::size_t limit, const std::string& where,
                   bool required) -> std::int64_t {
    if (!obj.contains(key)) {
      if (required) bad(where, std::string("missing '") + key + "'");
      return -1;
    }
    const json& v = obj[key];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() >= limit) {
      bad(where + "." + key, "expected an index below " + std::to_string(limit));
    }
    return v.get<std::int64_t>();
  };
  auto size_field = [&](const json& obj, const char* key, const std::string& where,
                        bool required) -> std::uint64_t {
    if (!obj.contains(key)) {
      if (required) bad(where, std::string("missing '") + key + "'");
      return 0;
    }
    const json& v = obj[key];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > (1ull << 40)) {
      bad(where + "." + key, "expected a non-negative size");
    }
    return v.get<std::uint64_t>();
  };
  std::vector<std::uint64_t> buffer_size;
  for (std::size_t b = 0; b < buffers.size(); ++b) {
    const std::string where = "buffers[" + std::to_string(b) + "]";
    if (buffers[b].contains("uri")) bad(where, "external buffers cannot be read from a .glb");
    const std::uint64_t n = size_field(buffers[b], "byteLength", where, true);
    if (b == 0 && n > bin_bytes) bad(where, "byteLength is larger than the BIN chunk");
    if (b > 0) bad(where, "a .glb holds one buffer");
    buffer_size.push_back(n);
  }
  std::vector<std::uint64_t> view_size;
  for (std::size_t v = 0; v < views.size(); ++v) {
    const std::string where = "bufferViews[" + std::to_string(v) + "]";
    const auto b = index(views[v], "buffer", buffers.size(), where, true);
    const std::uint64_t off = size_field(views[v], "byteOffset", where, false);
    const std::uint64_t len = size_field(views[v], "byteLength", where, true);
    if (off + len > buffer_size[static_cast<std::size_t>(b)]) bad(where, "runs past its buffer");
    view_size.push_back(len);
  }
  for (std::size_t a = 0; a < accessors.size(); ++a) {
    const std::string where = "accessors[" + std::to_string(a) + "]";
    const json& acc = accessors[a];
    std::uint64_t component = 0;
    const json ct = acc.value("componentType", json());
    if (ct == 5120 || ct == 5121) component = 1;
    if (ct == 5122 || ct == 5123) component = 2;
    if (ct == 5125 || ct == 5126) component = 4;
    if (component == 0) bad(where + ".componentType", "unknown component type");
    const std::string type =
        acc.value("type", json()).is_string() ? acc["type"].get<std::string>() : std::string();
    std::uint64_t width = 0;
    if (type == "SCALAR") width = 1;
    if (type == "VEC2") width = 2;
    if (type == "VEC3") width = 3;
    if (type == "VEC4" || type == "MAT2") width = 4;
    if (type == "MAT3") width = 9;
    if (type == "MAT4") width = 16;
    if (width == 0) bad(where + ".type", "unknown accessor type");
    const std::uint64_t count = size_field(acc, "count", where, true);
    if (acc.contains("sparse")) bad(where, "sparse accessors are not supported");
    const auto view = index(acc, "bufferView", views.size(), where, false);
    if (view < 0) {
      if (count > 0) bad(where, "an accessor with data needs a bufferView");
      continue;
    }
    const std::uint64_t off = size_field(acc, "byteOffset", where, false);
    const std::uint64_t stride =
        size_field(views[static_cast<std::size_t>(view)], "byteStride", where, false);
    const std::uint64_t element = component * width;
    if (stride != 0 && stride < element) bad(where, "byteStride is smaller than an element");
    const std::uint64_t step = stride != 0 ? stride : element;
    if (count > 0 &&
        off + (count - 1) * step + element > view_size[static_cast<std::size_t>(view)]) {
      bad(where, "runs past its bufferView");
    }
  }
  for (std::size_t m = 0; m < meshes.size(); ++m) {
    const std::string where = "meshes[" + std::to_string(m) + "]";
    const json prims = meshes[m].value("primitives", json());
    if (!prims.is_array() || prims.empty()) bad(where, "expected a non-empty 'primitives' array");
    for (std::size_t p = 0; p < prims.size(); ++p) {
      const std::string pw = where + ".primitives[" + std::to_string(p) + "]";
      const json& prim = prims[p];
      if (!prim.is_object()) bad(pw, "expected an object");
      const json attrs = prim.value("attributes", json());
      if (!attrs.is_object() || !attrs.contains("POSITION")) bad(pw, "missing attributes.POSITION");
      for (const auto& [key, value] : attrs.items()) {
        if (!value.is_number_unsigned() || value.get<std::uint64_t>() >= accessors.size()) {
          bad(pw + ".attributes." + key, "expected an accessor index");
        }
      }
      index(prim, "indices", accessors.size(), pw, false);
      if (prim.contains("targets")) bad(pw, "morph targets are not supported");
      const json mode = prim.value("mode", json(4));
      // Triangles, strips and fans; the parser mishandles line loops, and points and lines are
      // no surface.
      if (!mode.is_number_unsigned() || mode.get<std::uint64_t>() < 4 ||
          mode.get<std::uint64_t>() > 6) {
        bad(pw + ".mode", "only triangle primitives (mode 4, 5 or 6) can be read");
      }
    }
  }
  // Nodes: valid references and no cycles.
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    const std::string where = "nodes[" + std::to_string(n) + "]";
    index(nodes[n], "mesh", meshes.size(), where, false);
    if (nodes[n].contains("children")) {
      const json& ch = nodes[n]["children"];
      if (!ch.is_array()) bad(where + ".children", "expected an array");
      for (const json& c : ch) {
        if (!c.is_number_unsigned() || c.get<std::uint64_t>() >= nodes.size()) {
          bad(where + ".children", "expected node indices");
        }
      }
    }
  }
  std::vector<int> state(nodes.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::pair<std::size_t, std::size_t>> stack;
  for (std::size_t root = 0; root < nodes.size(); ++root) {
    if (state[root] != 0) continue;
    stack.emplace_back(root, 0);
    state[root] = 1;
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      const json ch = nodes[n].value("children", json::array());
      if (next < ch.size()) {
        const auto c = ch[next++].get<std::size_t>();
        if (state[c] == 1)
          bad("nodes[" + std::to_string(c) + "]", "the node hierarchy has a cycle");
        if (state[c] == 0) {
          state[c] = 1;
          stack.emplace_back(c, 0);
        }
      } else {
        state[n] = 2;
        stack.pop_back();
      }
    }
  }
  for (std::size_t sc = 0; sc < scenes.size(); ++sc) {
    const json sn = scenes[sc].value("nodes", json::array());
    if (!sn.is_array()) bad("scenes[" + std::to_string(sc) + "].nodes", "expected an array");
    for (const json& n : sn) {
      if (!n.is_number_unsigned() || n.get<std::uint64_t>() >= nodes.size()) {
        bad("scenes[" + std::to_string(sc) + "].nodes", "expected node indices");
      }
    }
  }
  if (doc.contains("scene")) index(doc, "scene", scenes.size(), "", false);
}

void validate_glb(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 20 || bytes.substr(0, 4) != "glTF") {
    fail(name, "not a GLB file: it does not start with the 'glTF' magic");
  }
  std::uint32_t version = 0, length = 0, chunk_length = 0, chunk_type = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&length, bytes.data() + 8, 4);
  std::memcpy(&chunk_length, bytes.data() + 12, 4);
  std::memcpy(&chunk_type, bytes.data() + 16, 4);
  if (version != 2) fail(name, "GLB version " + std::to_string(version) + ", expected 2");
  if (length > bytes.size()) {
    fail(name, "GLB header says " + std::to_string(length) + " bytes, the file has " +
                   std::to_string(bytes.size()));
  }
  if (chunk_type != 0x4E4F534A) fail(name, "GLB's first chunk is not JSON");
  std::uint64_t pos = 20ull + chunk_length;
  if (pos > length) fail(name, "GLB JSON chunk runs past the end of the file");
  std::uint64_t bin_bytes = 0;
  while (pos + 8 <= length) {
    std::uint32_t len = 0, type = 0;
    std::memcpy(&len, bytes.data() + pos, 4);
    std::memcpy(&type, bytes.data() + pos + 4, 4);
    if (type == 0x004E4942 && bin_bytes == 0) bin_bytes = len;
    pos += 8ull + len;
    if (pos > length) fail(name, "GLB chunk runs past the end of the file");
  }
  validate_gltf_json(bytes.substr(20, chunk_length), bin_bytes, name);
}

}  // namespace

void validate_mesh_bytes(std::string_view bytes, std::string_view extension,
                         const std::string& name) {
  if (extension == ".ply") {
    validate_ply(bytes, name);
  } else if (extension == ".stl") {
    validate_stl(bytes, name);
  } else if (extension == ".glb") {
    validate_glb(bytes, name);
  }
}

}  // namespace headspa::geometry::detail
