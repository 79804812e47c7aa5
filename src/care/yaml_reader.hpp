// Private helpers that read validated values out of yaml-cpp nodes and report problems as
// InputError "file:line:column: field.path: what was expected". JSON is read the same way
// (JSON documents are YAML flow documents), so both formats get lines and columns.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/vocabulary.hpp"
#include "headspa/core/error.hpp"

namespace headspa::care::detail {

// "a.b" or "b" when a is empty.
std::string child_path(std::string_view parent, std::string_view key);
// "a[3]".
std::string index_path(std::string_view parent, std::size_t index);

// Reads one document of one file.
class Reader {
 public:
  explicit Reader(std::string_view file_name) : file_(file_name) {}

  // Parses the text; malformed YAML, an empty document and excessive nesting are InputErrors.
  YAML::Node load(std::string_view text) const;

  // The file name used in messages.
  const std::string& file() const noexcept { return file_; }

  // Throws InputError at the node's position.
  [[noreturn]] void fail(const YAML::Node& node, std::string_view path,
                         const std::string& message) const;

  // Requires a mapping whose keys are unique scalars from `allowed`.
  void expect_map(const YAML::Node& node, std::string_view path,
                  std::initializer_list<std::string_view> allowed) const;
  // The mapping's value for key; InputError at the mapping when it is missing.
  YAML::Node required(const YAML::Node& map, std::string_view key, std::string_view path) const;
  // The mapping's value for key, or an undefined node.
  static YAML::Node optional(const YAML::Node& map, std::string_view key);

  // A sequence's elements (a sequence is required).
  std::vector<YAML::Node> sequence(const YAML::Node& node, std::string_view path) const;
  // A scalar as a string; `allow_empty` false rejects "".
  std::string string(const YAML::Node& node, std::string_view path, bool allow_empty = false) const;
  // A finite number in [lo, hi]; `unit` is named in the message.
  double number(const YAML::Node& node, std::string_view path, double lo, double hi,
                std::string_view unit) const;
  // true or false.
  bool boolean(const YAML::Node& node, std::string_view path) const;
  // The mapping's `format` field must equal `format`.
  void expect_format(const YAML::Node& map, std::string_view format) const;

  // A scalar naming one enumerator of E.
  template <typename E>
  E enumeration(const YAML::Node& node, std::string_view path, std::string_view what) const {
    const std::string text = string(node, path);
    if (auto value = parse_enum<E>(text)) return *value;
    fail(
        node, path,
        "unknown " + std::string(what) + " '" + text + "' (expected " + expected_one_of<E>() + ")");
  }

  // A sequence of enumerators of E; duplicates are errors.
  template <typename E>
  std::vector<E> enumerations(const YAML::Node& node, std::string_view path,
                              std::string_view what) const {
    std::vector<E> out;
    const auto items = sequence(node, path);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string item_path = index_path(path, i);
      const E value = enumeration<E>(items[i], item_path, what);
      for (E seen : out) {
        if (seen == value) fail(items[i], item_path, "duplicate " + std::string(what));
      }
      out.push_back(value);
    }
    return out;
  }

  // A sequence of region or group names (no-go zones are errors) and their expansion.
  std::vector<Region> regions(const YAML::Node& node, std::string_view path,
                              std::vector<std::string>* names_out) const;

  // A sequence of non-empty strings; duplicates are errors.
  std::vector<std::string> strings(const YAML::Node& node, std::string_view path) const;

  // The node's position as an InputLocation with `path`.
  InputLocation location(const YAML::Node& node, std::string_view path) const;

 private:
  std::string file_;
};

// Reads a whole file; InputError naming it when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace headspa::care::detail
