#include "embedded.hpp"

#include "headspa/core/error.hpp"

namespace headspa::care::detail {

std::string_view embedded_text(std::string_view name) {
  for (const auto& file : embedded_files()) {
    if (file.name == name) return file.text;
  }
  HEADSPA_CHECK(false, "no embedded file " + std::string(name));
  return {};
}

}  // namespace headspa::care::detail
