// Helpers shared by the care tests.
#pragma once

#include <string>
#include <string_view>

#include "headspa/core/error.hpp"

namespace headspa::care::testing {

// Runs f, which must throw InputError, and returns what(); "" when nothing was thrown.
template <typename F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return {};
}

// True when text begins with prefix (for messages whose tail lists many names).
inline bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace headspa::care::testing
