// Private: data files compiled into the library (protocols, product catalogue, screening rules,
// home-care advice). The source is generated at build time by embed.cmake.
#pragma once

#include <span>
#include <string_view>

namespace headspa::care::detail {

// One embedded file: its path relative to src/care and its bytes.
struct EmbeddedFile {
  std::string_view name;  // e.g. "protocols/head-therapy.yaml"
  std::string_view text;
};

// Every embedded file, in the order CMake listed them.
std::span<const EmbeddedFile> embedded_files() noexcept;

// The text of an embedded file; InternalError when there is none by that name.
std::string_view embedded_text(std::string_view name);

}  // namespace headspa::care::detail
