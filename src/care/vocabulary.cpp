#include "headspa/care/vocabulary.hpp"

#include <algorithm>

namespace headspa::care {
namespace {

using R = Region;

constexpr std::array<std::string_view, 6> kGroupNames = {"scalp", "temples", "neck",
                                                         "face",  "cheeks",  "jaw"};

constexpr std::array<std::string_view, 7> kNoGoZones = {
    "eye_left", "eye_right", "nostrils", "lips", "ear_canal_left", "ear_canal_right", "throat"};

std::vector<Region> group_members(std::string_view group) {
  if (group == "scalp") {
    return {R::kScalpFrontal, R::kScalpParietalLeft, R::kScalpParietalRight, R::kScalpCrown,
            R::kScalpOccipital};
  }
  if (group == "temples") return {R::kTempleLeft, R::kTempleRight};
  if (group == "neck") return {R::kNeckBack, R::kNeckSideLeft, R::kNeckSideRight};
  if (group == "face") {
    return {R::kForehead, R::kGlabella, R::kCheekLeft, R::kCheekRight, R::kJawLeft, R::kJawRight};
  }
  if (group == "cheeks") return {R::kCheekLeft, R::kCheekRight};
  if (group == "jaw") return {R::kJawLeft, R::kJawRight};
  return {};
}

}  // namespace

std::span<const std::string_view> region_group_names() noexcept { return kGroupNames; }

std::optional<std::vector<Region>> expand_region_name(std::string_view name) {
  if (auto region = parse_enum<Region>(name)) return std::vector<Region>{*region};
  if (std::find(kGroupNames.begin(), kGroupNames.end(), name) != kGroupNames.end()) {
    return group_members(name);
  }
  return std::nullopt;
}

std::span<const std::string_view> no_go_zone_names() noexcept { return kNoGoZones; }

bool is_no_go_zone(std::string_view name) noexcept {
  return std::find(kNoGoZones.begin(), kNoGoZones.end(), name) != kNoGoZones.end();
}

bool is_bilateral(PressurePoint point) noexcept {
  switch (point) {
    case PressurePoint::kGV20:
    case PressurePoint::kGV16:
    case PressurePoint::kYintang:
      return false;
    default:
      return true;
  }
}

std::vector<Region> regions_of(PressurePoint point) {
  switch (point) {
    case PressurePoint::kGV20:
      return {R::kScalpCrown};
    case PressurePoint::kGV16:
    case PressurePoint::kGB20:
      return {R::kSkullBase};
    case PressurePoint::kBL10:
      return {R::kSkullBase, R::kNeckBack};
    case PressurePoint::kGB8:
      return {R::kScalpParietalLeft, R::kScalpParietalRight};
    case PressurePoint::kTaiyang:
      return {R::kTempleLeft, R::kTempleRight};
    case PressurePoint::kYintang:
      return {R::kGlabella};
    case PressurePoint::kST6:
      return {R::kJawLeft, R::kJawRight};
    case PressurePoint::kST7:
    case PressurePoint::kLI20:
      return {R::kCheekLeft, R::kCheekRight};
  }
  return {};
}

bool is_scalp(Region region) noexcept {
  return region == R::kScalpFrontal || region == R::kScalpParietalLeft ||
         region == R::kScalpParietalRight || region == R::kScalpCrown ||
         region == R::kScalpOccipital;
}

bool is_face(Region region) noexcept {
  return region == R::kForehead || region == R::kGlabella || region == R::kCheekLeft ||
         region == R::kCheekRight || region == R::kJawLeft || region == R::kJawRight;
}

double pressure_fraction(PressureLevel level) noexcept {
  switch (level) {
    case PressureLevel::kGentle:
      return 0.45;
    case PressureLevel::kMedium:
      return 0.65;
    case PressureLevel::kFirm:
      return 0.85;
  }
  return 0.45;
}

double preference_scale(PressureLevel preference) noexcept {
  switch (preference) {
    case PressureLevel::kGentle:
      return 0.8;
    case PressureLevel::kMedium:
      return 1.0;
    case PressureLevel::kFirm:
      return 1.15;
  }
  return 1.0;
}

double scaled_pressure_fraction(PressureLevel level, PressureLevel preference) noexcept {
  return std::min(1.0, pressure_fraction(level) * preference_scale(preference));
}

}  // namespace headspa::care
