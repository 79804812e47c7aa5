// Anatomical landmarks of the head, in the head frame (metres):
// origin midway between the tragions, +X to the person's left, +Y up, +Z forward.
#pragma once

#include <Eigen/Core>

#include <array>
#include <optional>
#include <string_view>

namespace headspa::anatomy {

// "Left" and "right" are the person's own.
enum class Landmark : int {
  kVertex,       // highest point of the scalp
  kNasion,       // deepest point of the nasal bridge, between the eyes
  kGlabella,     // most forward point of the brow ridge on the midline
  kInion,        // external occipital protuberance
  kTragionLeft,  // ear opening (notch above the tragus)
  kTragionRight,
  kEarApexLeft,  // highest point of the ear
  kEarApexRight,
  kEyeOuterLeft,  // exocanthion
  kEyeOuterRight,
  kEyeInnerLeft,  // endocanthion
  kEyeInnerRight,
  kBrowOuterLeft,  // lateral end of the eyebrow
  kBrowOuterRight,
  kBrowInnerLeft,  // medial end of the eyebrow
  kBrowInnerRight,
  kNoseTip,          // pronasale
  kMouthCornerLeft,  // cheilion
  kMouthCornerRight,
  kChin,          // menton (lowest point of the chin)
  kJawAngleLeft,  // gonion
  kJawAngleRight,
  kMastoidLeft,  // tip of the mastoid process
  kMastoidRight,
  kCount
};

inline constexpr int kLandmarkCount = static_cast<int>(Landmark::kCount);

// snake_case name used in JSON and on the command line, e.g. "tragion_left".
std::string_view landmark_name(Landmark landmark) noexcept;
std::optional<Landmark> parse_landmark(std::string_view name) noexcept;

// The landmark on the other side (itself for a midline landmark).
Landmark mirror(Landmark landmark) noexcept;

// Positions of every landmark and the mesh vertex each one sits on.
struct LandmarkSet {
  std::array<Eigen::Vector3d, kLandmarkCount> position{};  // m, head frame
  std::array<int, kLandmarkCount> vertex{};                // mesh vertex index

  const Eigen::Vector3d& operator[](Landmark l) const { return position[static_cast<int>(l)]; }
  Eigen::Vector3d& operator[](Landmark l) { return position[static_cast<int>(l)]; }
};

}  // namespace headspa::anatomy
