// The built-in head at 4000 vertices, built once: enough for the report's pictures and fast.
#pragma once

#include "headspa/anatomy/head.hpp"

namespace headspa::report::testing {

inline const anatomy::Head& small_head() {
  static const anatomy::Head head = [] {
    anatomy::DefaultHeadOptions o;
    o.target_vertices = 4000;
    return anatomy::built_in_head(o);
  }();
  return head;
}

}  // namespace headspa::report::testing
