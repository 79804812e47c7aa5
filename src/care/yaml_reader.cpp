#include "yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>

namespace headspa::care::detail {
namespace {

// Inputs are small hand-written documents; these bounds keep hostile ones cheap.
constexpr std::size_t kMaxTextBytes = 1 << 20;
constexpr int kMaxNesting = 64;

// Deepest nesting of flow collections ([ and {) and of block indicators on one line, outside
// quotes and comments. yaml-cpp parses recursively, so deep nesting is refused before parsing.
int nesting_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  char quote = 0;
  bool comment = false;
  bool line_start = true;
  int block_run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      comment = false;
      line_start = true;
      block_run = 0;
      if (quote == 0) continue;
    }
    if (comment) continue;
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (line_start) {
      // Count "- ", "? " and ": " indicators at the start of a line ("- - - x").
      if ((c == '-' || c == '?' || c == ':') && i + 1 < text.size() &&
          (text[i + 1] == ' ' || text[i + 1] == '\t')) {
        ++block_run;
        deepest = std::max(deepest, depth + block_run);
        continue;
      }
      if (c != ' ' && c != '\t') line_start = false;
    }
    switch (c) {
      case '"':
      case '\'':
        quote = c;
        break;
      case '#':
        comment = true;
        break;
      case '[':
      case '{':
        ++depth;
        deepest = std::max(deepest, depth);
        break;
      case ']':
      case '}':
        depth = std::max(0, depth - 1);
        break;
      default:
        break;
    }
  }
  return deepest;
}

// True when text is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). Files are text; everything read from them may be written back out as JSON.
bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out.append(".").append(key);
  return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
  std::string out(parent);
  out.append("[").append(std::to_string(index)).append("]");
  return out;
}

InputLocation Reader::location(const YAML::Node& node, std::string_view path) const {
  InputLocation where;
  where.file = file_;
  where.field_path = std::string(path);
  if (node.IsDefined()) {
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0) where.line = mark.line + 1;
    if (mark.column >= 0) where.column = mark.column + 1;
  }
  return where;
}

void Reader::fail(const YAML::Node& node, std::string_view path, const std::string& message) const {
  throw InputError(location(node, path), message);
}

YAML::Node Reader::load(std::string_view text) const {
  if (text.size() > kMaxTextBytes) {
    throw InputError(InputLocation{file_, 0, 0, {}},
                     "file is larger than " + std::to_string(kMaxTextBytes) + " bytes");
  }
  if (nesting_depth(text) > kMaxNesting) {
    throw InputError(InputLocation{file_, 0, 0, {}},
                     "nesting deeper than " + std::to_string(kMaxNesting) + " levels");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw InputError(InputLocation{file_, e.mark.line + 1, e.mark.column + 1, {}},
                     "not valid YAML or JSON: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError(InputLocation{file_, 0, 0, {}}, std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw InputError(InputLocation{file_, 0, 0, {}}, "empty document (expected a mapping)");
  }
  return root;
}

void Reader::expect_map(const YAML::Node& node, std::string_view path,
                        std::initializer_list<std::string_view> allowed) const {
  if (!node.IsMap()) fail(node, path, "expected a mapping, found " + describe(node));
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) fail(key, path, "expected a plain field name as key");
    const std::string& name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string expected;
      for (std::string_view a : allowed) {
        if (!expected.empty()) expected.append(", ");
        expected.append(a);
      }
      fail(key, child_path(path, name), "unknown field (expected one of: " + expected + ")");
    }
    if (!seen.insert(name).second) fail(key, child_path(path, name), "duplicate field");
  }
}

YAML::Node Reader::optional(const YAML::Node& map, std::string_view key) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node Reader::required(const YAML::Node& map, std::string_view key,
                            std::string_view path) const {
  YAML::Node value = optional(map, key);
  if (!value.IsDefined()) fail(map, child_path(path, key), "missing required field");
  return value;
}

std::vector<YAML::Node> Reader::sequence(const YAML::Node& node, std::string_view path) const {
  if (!node.IsSequence()) fail(node, path, "expected a sequence, found " + describe(node));
  std::vector<YAML::Node> out;
  for (const auto& item : node) out.push_back(item);
  return out;
}

std::string Reader::string(const YAML::Node& node, std::string_view path, bool allow_empty) const {
  if (!node.IsScalar()) fail(node, path, "expected a string, found " + describe(node));
  const std::string& text = node.Scalar();
  if (!allow_empty && text.empty()) fail(node, path, "expected a non-empty string");
  if (!is_utf8(text)) fail(node, path, "expected UTF-8 text");
  return text;
}

double Reader::number(const YAML::Node& node, std::string_view path, double lo, double hi,
                      std::string_view unit) const {
  std::string range = format_number(lo);
  range.append("–").append(format_number(hi));
  if (!unit.empty()) range.append(" ").append(unit);
  if (!node.IsScalar())
    fail(node, path, "expected a number " + range + ", found " + describe(node));
  const std::string& text = node.Scalar();
  double value = 0.0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || !std::isfinite(value)) {
    fail(node, path, "expected a number " + range + ", found '" + text + "'");
  }
  if (value < lo || value > hi) {
    fail(node, path, "expected a number " + range + ", found " + text);
  }
  return value;
}

bool Reader::boolean(const YAML::Node& node, std::string_view path) const {
  if (node.IsScalar()) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  fail(node, path, "expected true or false, found " + describe(node));
}

void Reader::expect_format(const YAML::Node& map, std::string_view format) const {
  const YAML::Node node = required(map, "format", "format");
  if (!node.IsScalar() || node.Scalar() != format) {
    fail(node, "format", "expected '" + std::string(format) + "', found " + describe(node));
  }
}

std::vector<Region> Reader::regions(const YAML::Node& node, std::string_view path,
                                    std::vector<std::string>* names_out) const {
  std::vector<bool> taken(enum_count<Region>(), false);
  const auto items = sequence(node, path);
  if (items.empty()) fail(node, path, "expected at least one region");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item_path = index_path(path, i);
    const std::string name = string(items[i], item_path);
    if (is_no_go_zone(name)) {
      fail(items[i], item_path, "'" + name + "' is a no-go zone and can never be a target");
    }
    const auto expanded = expand_region_name(name);
    if (!expanded) {
      std::string groups;
      for (std::string_view g : region_group_names()) groups.append(", ").append(g);
      fail(items[i], item_path,
           "unknown region '" + name + "' (expected a region, " + expected_one_of<Region>() +
               ", or a group" + groups + ")");
    }
    if (names_out != nullptr) names_out->push_back(name);
    for (Region r : *expanded) taken[static_cast<std::size_t>(r)] = true;
  }
  std::vector<Region> out;
  for (std::size_t i = 0; i < taken.size(); ++i) {
    if (taken[i]) out.push_back(static_cast<Region>(i));
  }
  return out;
}

std::vector<std::string> Reader::strings(const YAML::Node& node, std::string_view path) const {
  std::vector<std::string> out;
  const auto items = sequence(node, path);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item_path = index_path(path, i);
    std::string value = string(items[i], item_path);
    if (std::find(out.begin(), out.end(), value) != out.end()) {
      fail(items[i], item_path, "duplicate '" + value + "'");
    }
    out.push_back(std::move(value));
  }
  return out;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputLocation{path, 0, 0, {}}, "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(InputLocation{path, 0, 0, {}}, "cannot read the file");
  return text.str();
}

}  // namespace headspa::care::detail
