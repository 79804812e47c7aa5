// Left/right spellings shared by landmark and region names (private to anatomy).
#pragma once

#include <string>
#include <string_view>

namespace headspa::anatomy::detail {

// "x_left" -> "x_right" and back; any other name is returned unchanged.
inline std::string other_side(std::string_view name) {
  std::string flipped(name);
  if (name.ends_with("_left")) {
    flipped.replace(flipped.size() - 5, 5, "_right");
  } else if (name.ends_with("_right")) {
    flipped.replace(flipped.size() - 6, 6, "_left");
  }
  return flipped;
}

}  // namespace headspa::anatomy::detail
