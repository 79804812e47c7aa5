#include "headspa/anatomy/regions.hpp"

#include <string>

#include "side_names.hpp"

namespace headspa::anatomy {
namespace {

constexpr std::string_view kRegionNames[kRegionCount] = {"scalp_frontal",
                                                         "scalp_parietal_left",
                                                         "scalp_parietal_right",
                                                         "scalp_crown",
                                                         "scalp_occipital",
                                                         "temple_left",
                                                         "temple_right",
                                                         "skull_base",
                                                         "neck_back",
                                                         "neck_side_left",
                                                         "neck_side_right",
                                                         "forehead",
                                                         "glabella",
                                                         "cheek_left",
                                                         "cheek_right",
                                                         "jaw_left",
                                                         "jaw_right",
                                                         "eye_left",
                                                         "eye_right",
                                                         "nostrils",
                                                         "lips",
                                                         "ear_canal_left",
                                                         "ear_canal_right",
                                                         "throat",
                                                         "other"};

constexpr std::string_view kAcupointNames[static_cast<int>(Acupoint::kCount)] = {
    "GV20", "GV16", "GB20", "BL10", "GB8", "Taiyang", "Yintang", "ST6", "ST7", "LI20"};

constexpr std::string_view kScalpSource =
    "posterior temporalis 3.36±0.72 kgf/cm² (Grossi 2011); occiput 14 N women (Widmalm 2014)";
constexpr std::string_view kTempleSource =
    "temporalis 1.93 kgf/cm² (Sarwono 2019); anterior temporalis 2.47 (Santos Silva 2005)";
constexpr std::string_view kNeckSource =
    "upper trapezius 3.49±0.83 kgf/cm² (Grossi 2011); SCM, C1 14-23 N women (Widmalm 2014)";
constexpr std::string_view kForeheadSource = "forehead 195±88 kPa, women 158 kPa (BMJ Mil Health)";
constexpr std::string_view kFaceSource =
    "masseter 1.76 kgf/cm² (Sarwono 2019), cut-off 1.5 kgf/cm² (Santos Silva 2005)";

constexpr TissueProperties kNone{0, 0, 0, 0, "no contact allowed"};
constexpr TissueProperties kScalp{4000, 40, 10.0, 25.9, kScalpSource};
constexpr TissueProperties kSkullBase{2500, 35, 7.0, 18.5, kNeckSource};
constexpr TissueProperties kNeckBack{1500, 30, 7.0, 18.5, kNeckSource};
constexpr TissueProperties kNeckSide{1000, 25, 5.0, 14.0, kNeckSource};
constexpr TissueProperties kTemple{2000, 30, 7.0, 18.9, kTempleSource};
constexpr TissueProperties kForehead{3500, 35, 4.0, 10.7, kForeheadSource};
constexpr TissueProperties kGlabellaTissue{3000, 30, 3.5, 10.7, kForeheadSource};
constexpr TissueProperties kCheek{800, 20, 4.0, 14.7, kFaceSource};
constexpr TissueProperties kJaw{1500, 25, 4.0, 14.7, kFaceSource};

}  // namespace

std::string_view region_name(Region region) noexcept {
  return kRegionNames[static_cast<int>(region)];
}

std::optional<Region> parse_region(std::string_view name) noexcept {
  for (int i = 0; i < kRegionCount; ++i) {
    if (kRegionNames[i] == name) return static_cast<Region>(i);
  }
  return std::nullopt;
}

bool is_no_go(Region region) noexcept {
  return region >= Region::kEyeLeft && region <= Region::kThroat;
}

bool is_massage_region(Region region) noexcept { return region < Region::kEyeLeft; }

Region mirror(Region region) noexcept {
  return *parse_region(detail::other_side(region_name(region)));
}

std::array<unsigned char, 3> region_colour(Region region) noexcept {
  switch (region) {
    case Region::kScalpFrontal:
      return {230, 190, 120};
    case Region::kScalpParietalLeft:
      return {200, 160, 90};
    case Region::kScalpParietalRight:
      return {210, 170, 100};
    case Region::kScalpCrown:
      return {240, 210, 150};
    case Region::kScalpOccipital:
      return {180, 140, 80};
    case Region::kTempleLeft:
    case Region::kTempleRight:
      return {120, 180, 220};
    case Region::kSkullBase:
      return {90, 130, 200};
    case Region::kNeckBack:
      return {100, 200, 160};
    case Region::kNeckSideLeft:
    case Region::kNeckSideRight:
      return {140, 220, 180};
    case Region::kForehead:
      return {250, 230, 200};
    case Region::kGlabella:
      return {250, 200, 220};
    case Region::kCheekLeft:
    case Region::kCheekRight:
      return {240, 170, 160};
    case Region::kJawLeft:
    case Region::kJawRight:
      return {200, 140, 170};
    case Region::kEyeLeft:
    case Region::kEyeRight:
    case Region::kNostrils:
    case Region::kLips:
    case Region::kEarCanalLeft:
    case Region::kEarCanalRight:
    case Region::kThroat:
      return {220, 30, 30};
    case Region::kOther:
    case Region::kCount:
      break;
  }
  return {160, 160, 160};
}

const TissueProperties& tissue(Region region) noexcept {
  switch (region) {
    case Region::kScalpFrontal:
    case Region::kScalpParietalLeft:
    case Region::kScalpParietalRight:
    case Region::kScalpCrown:
    case Region::kScalpOccipital:
      return kScalp;
    case Region::kTempleLeft:
    case Region::kTempleRight:
      return kTemple;
    case Region::kSkullBase:
      return kSkullBase;
    case Region::kNeckBack:
      return kNeckBack;
    case Region::kNeckSideLeft:
    case Region::kNeckSideRight:
      return kNeckSide;
    case Region::kForehead:
      return kForehead;
    case Region::kGlabella:
      return kGlabellaTissue;
    case Region::kCheekLeft:
    case Region::kCheekRight:
      return kCheek;
    case Region::kJawLeft:
    case Region::kJawRight:
      return kJaw;
    default:
      return kNone;
  }
}

std::string_view acupoint_name(Acupoint point) noexcept {
  return kAcupointNames[static_cast<int>(point)];
}

std::optional<Acupoint> parse_acupoint(std::string_view name) noexcept {
  for (int i = 0; i < static_cast<int>(Acupoint::kCount); ++i) {
    if (kAcupointNames[i] == name) return static_cast<Acupoint>(i);
  }
  return std::nullopt;
}

bool is_bilateral(Acupoint point) noexcept {
  return point != Acupoint::kGV20 && point != Acupoint::kGV16 && point != Acupoint::kYintang;
}

std::string_view side_name(Side side) noexcept {
  switch (side) {
    case Side::kLeft:
      return "left";
    case Side::kRight:
      return "right";
    case Side::kMidline:
      break;
  }
  return "midline";
}

}  // namespace headspa::anatomy
