// The names the care module shares with the rest of headspa: regions and their groups, no-go
// zones, pressure points, techniques, directions, pressure levels, care kinds, product roles,
// intake conditions and goals, hair lengths and scalp findings.
//
// Every enumeration has a canonical snake_case (or point code) spelling, used in files, JSON and
// messages: `to_string(e)` writes it and `parse_enum<E>(text)` reads it back.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace headspa::care {

// Per-vertex regions of the head, as labelled by anatomy.
enum class Region : std::uint8_t {
  kScalpFrontal,
  kScalpParietalLeft,
  kScalpParietalRight,
  kScalpCrown,
  kScalpOccipital,
  kTempleLeft,
  kTempleRight,
  kSkullBase,
  kNeckBack,
  kNeckSideLeft,
  kNeckSideRight,
  kForehead,
  kGlabella,
  kCheekLeft,
  kCheekRight,
  kJawLeft,
  kJawRight,
};

// Acupressure points used by press-and-release steps (DOMAIN.md §3).
enum class PressurePoint : std::uint8_t {
  kGV20,
  kGV16,
  kGB20,
  kBL10,
  kGB8,
  kTaiyang,
  kYintang,
  kST6,
  kST7,
  kLI20,
};

// Motion primitives a massage step may use.
enum class Technique : std::uint8_t {
  kCircularFriction,  // fingertip circles
  kKneading,          // petrissage with the finger pads
  kPressRelease,      // acupressure: ramp up, hold, ramp down on pressure points
  kGlide,             // effleurage: gliding strokes along a direction
  kSlideUp,           // sliding up along the neck
};

// Directions in which a step progresses or strokes.
enum class Direction : std::uint8_t {
  kFrontToBack,
  kSkullBaseToCrown,
  kNoseOutwards,
  kUpwards,
  kSkullBaseToShoulders,
};

// Pressure levels of a step and a client's pressure preference.
enum class PressureLevel : std::uint8_t { kGentle, kMedium, kFirm };

// What a care (non-massage) step does.
enum class CareKind : std::uint8_t {
  kAnalysis,
  kCleanse,
  kExfoliate,
  kSteam,
  kOil,
  kSerumOrMask,
  kRinse,
  kDryAndStyle,
};

// The role a product plays in a session; a care step asks for one role.
enum class ProductRole : std::uint8_t {
  kMassageOil,
  kCleanser,
  kExfoliant,
  kSerum,
  kMask,
  kStyling,
};

// Conditions asked for at intake; each has at least one screening rule.
enum class Condition : std::uint8_t {
  kScalpInfection,
  kOpenWound,
  kSeverePsoriasis,
  kRecentHeadNeckSurgery,
  kRecentHeadNeckInjury,
  kFever,
  kMigraineAttack,
  kPregnancy,
  kCarotidDisease,
  kBloodPressureProblem,
  kSensitiveSkin,
};

// What a client wants from the session.
enum class Goal : std::uint8_t {
  kStress,
  kHeadache,
  kNeckPain,
  kHairGrowth,
  kDandruff,
  kOilyScalp,
  kDryScalp,
  kFacialGlow,
};

// Hair length, which sets how long rinsing and styling take.
enum class HairLength : std::uint8_t { kNone, kShort, kMedium, kLong };

// Findings of the scalp module's image analysis (headspa/scalp-analysis@1).
enum class ScalpFindingName : std::uint8_t { kFlakyDry, kOily, kRedSensitive, kNormal };

// Canonical spellings of an enumeration, in enumerator order. Specialised below.
template <typename E>
struct EnumNames;

template <>
struct EnumNames<Region> {
  static constexpr std::array<std::string_view, 17> kNames = {
      "scalp_frontal",   "scalp_parietal_left", "scalp_parietal_right", "scalp_crown",
      "scalp_occipital", "temple_left",         "temple_right",         "skull_base",
      "neck_back",       "neck_side_left",      "neck_side_right",      "forehead",
      "glabella",        "cheek_left",          "cheek_right",          "jaw_left",
      "jaw_right"};
};
template <>
struct EnumNames<PressurePoint> {
  static constexpr std::array<std::string_view, 10> kNames = {
      "GV20", "GV16", "GB20", "BL10", "GB8", "Taiyang", "Yintang", "ST6", "ST7", "LI20"};
};
template <>
struct EnumNames<Technique> {
  static constexpr std::array<std::string_view, 5> kNames = {"circular_friction", "kneading",
                                                             "press_release", "glide", "slide_up"};
};
template <>
struct EnumNames<Direction> {
  static constexpr std::array<std::string_view, 5> kNames = {"front_to_back", "skull_base_to_crown",
                                                             "nose_outwards", "upwards",
                                                             "skull_base_to_shoulders"};
};
template <>
struct EnumNames<PressureLevel> {
  static constexpr std::array<std::string_view, 3> kNames = {"gentle", "medium", "firm"};
};
template <>
struct EnumNames<CareKind> {
  static constexpr std::array<std::string_view, 8> kNames = {
      "analysis", "cleanse",       "exfoliate", "steam",
      "oil",      "serum_or_mask", "rinse",     "dry_and_style"};
};
template <>
struct EnumNames<ProductRole> {
  static constexpr std::array<std::string_view, 6> kNames = {"massage_oil", "cleanser", "exfoliant",
                                                             "serum",       "mask",     "styling"};
};
template <>
struct EnumNames<Condition> {
  static constexpr std::array<std::string_view, 11> kNames = {
      "scalp_infection",         "open_wound",
      "severe_psoriasis",        "recent_head_neck_surgery",
      "recent_head_neck_injury", "fever",
      "migraine_attack",         "pregnancy",
      "carotid_disease",         "blood_pressure_problem",
      "sensitive_skin"};
};
template <>
struct EnumNames<Goal> {
  static constexpr std::array<std::string_view, 8> kNames = {
      "stress",   "headache",   "neck_pain", "hair_growth",
      "dandruff", "oily_scalp", "dry_scalp", "facial_glow"};
};
template <>
struct EnumNames<HairLength> {
  static constexpr std::array<std::string_view, 4> kNames = {"none", "short", "medium", "long"};
};
template <>
struct EnumNames<ScalpFindingName> {
  static constexpr std::array<std::string_view, 4> kNames = {"flaky_dry", "oily", "red_sensitive",
                                                             "normal"};
};

// Number of enumerators of E.
template <typename E>
constexpr std::size_t enum_count() {
  return EnumNames<E>::kNames.size();
}

// Canonical spelling of e.
template <typename E>
constexpr std::string_view to_string(E e) {
  return EnumNames<E>::kNames[static_cast<std::size_t>(e)];
}

// Reads a canonical spelling (exact match); nullopt for anything else.
template <typename E>
std::optional<E> parse_enum(std::string_view text) {
  const auto& names = EnumNames<E>::kNames;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

// "one of: a, b, c" for E's spellings, for error messages.
template <typename E>
std::string expected_one_of() {
  std::string out = "one of: ";
  const auto& names = EnumNames<E>::kNames;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(names[i]);
  }
  return out;
}

// Every enumerator of E, in order.
template <typename E>
std::vector<E> all_of() {
  std::vector<E> out;
  for (std::size_t i = 0; i < enum_count<E>(); ++i) out.push_back(static_cast<E>(i));
  return out;
}

// Group names usable wherever regions are named: scalp, temples, neck, face, cheeks, jaw.
std::span<const std::string_view> region_group_names() noexcept;

// Expands a region or group name into regions, in Region order; nullopt when it is neither.
std::optional<std::vector<Region>> expand_region_name(std::string_view name);

// No-go zones (never a target): eyes, nostrils, lips, ear canals, throat.
std::span<const std::string_view> no_go_zone_names() noexcept;

// True when name is a no-go zone.
bool is_no_go_zone(std::string_view name) noexcept;

// True when a point exists on both sides of the head (GB20, BL10, GB8, Taiyang, ST6, ST7, LI20).
bool is_bilateral(PressurePoint point) noexcept;

// The regions a pressure point lies in (both sides for bilateral points).
std::vector<Region> regions_of(PressurePoint point);

// True when the region is part of the scalp group.
bool is_scalp(Region region) noexcept;

// True when the region is part of the face group.
bool is_face(Region region) noexcept;

// Fraction of a region's force cap that a pressure level stands for (the planner multiplies it by
// the region's cap): gentle 0.45, medium 0.65, firm 0.85. The head-room above firm is left for
// the client's preference; 1.0 (the cap itself) is never exceeded.
double pressure_fraction(PressureLevel level) noexcept;

// Factor a client's pressure preference applies to every step's fraction: gentle 0.8,
// medium 1.0, firm 1.15.
double preference_scale(PressureLevel preference) noexcept;

// pressure_fraction(level) * preference_scale(preference), never more than 1.0.
double scaled_pressure_fraction(PressureLevel level, PressureLevel preference) noexcept;

}  // namespace headspa::care
