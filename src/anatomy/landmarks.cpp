#include "headspa/anatomy/landmarks.hpp"

#include <string>

#include "side_names.hpp"

namespace headspa::anatomy {
namespace {

constexpr std::string_view kNames[kLandmarkCount] = {"vertex",
                                                     "nasion",
                                                     "glabella",
                                                     "inion",
                                                     "tragion_left",
                                                     "tragion_right",
                                                     "ear_apex_left",
                                                     "ear_apex_right",
                                                     "eye_outer_left",
                                                     "eye_outer_right",
                                                     "eye_inner_left",
                                                     "eye_inner_right",
                                                     "brow_outer_left",
                                                     "brow_outer_right",
                                                     "brow_inner_left",
                                                     "brow_inner_right",
                                                     "nose_tip",
                                                     "mouth_corner_left",
                                                     "mouth_corner_right",
                                                     "chin",
                                                     "jaw_angle_left",
                                                     "jaw_angle_right",
                                                     "mastoid_left",
                                                     "mastoid_right"};

}  // namespace

std::string_view landmark_name(Landmark landmark) noexcept {
  return kNames[static_cast<int>(landmark)];
}

std::optional<Landmark> parse_landmark(std::string_view name) noexcept {
  for (int i = 0; i < kLandmarkCount; ++i) {
    if (kNames[i] == name) return static_cast<Landmark>(i);
  }
  return std::nullopt;
}

Landmark mirror(Landmark landmark) noexcept {
  return *parse_landmark(detail::other_side(landmark_name(landmark)));
}

}  // namespace headspa::anatomy
