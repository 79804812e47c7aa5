// The progress bar the twin and stream commands draw on stderr while a session runs:
//
//   progress_bar(0.42);           // [################                        ]  42%
//   progress_bar(0.42, "  twin "); // the same after a label
#pragma once

#include <cstdio>

namespace headspa::cli {

inline void progress_bar(double fraction, const char* label = "") {
  constexpr int kWidth = 40;
  const int filled = static_cast<int>(fraction * kWidth);
  std::fprintf(stderr, "\r%s[%.*s%*s] %3d%%", label, filled,
               "########################################", kWidth - filled, "",
               static_cast<int>(fraction * 100));
  if (fraction >= 1.0) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace headspa::cli
