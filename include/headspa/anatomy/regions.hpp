// Regions, no-go zones, pressure points and the tissue map of a head.
#pragma once

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace headspa::anatomy {

// Every vertex carries exactly one label: a massage region, a no-go zone, or kOther (parts of a
// scan that are neither, such as the shoulders or the ears).
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
  kGlabella,  // between the eyebrows
  kCheekLeft,
  kCheekRight,
  kJawLeft,
  kJawRight,
  // No-go zones: never touched.
  kEyeLeft,
  kEyeRight,
  kNostrils,
  kLips,
  kEarCanalLeft,
  kEarCanalRight,
  kThroat,  // front of the neck: throat and carotid
  // Neither.
  kOther,
  kCount
};

inline constexpr int kRegionCount = static_cast<int>(Region::kCount);

// snake_case name used in JSON, protocols and intake files ("scalp_frontal", "throat").
std::string_view region_name(Region region) noexcept;
std::optional<Region> parse_region(std::string_view name) noexcept;
bool is_no_go(Region region) noexcept;
bool is_massage_region(Region region) noexcept;  // neither no-go nor kOther
Region mirror(Region region) noexcept;
// Display colour for exports and the viewer.
std::array<unsigned char, 3> region_colour(Region region) noexcept;

// Soft-tissue properties and the force cap of one region.
struct TissueProperties {
  double stiffness_n_per_m = 0;  // normal stiffness of skin and soft tissue over bone
  double damping_n_s_per_m = 0;  // normal damping
  double force_cap_n = 0;        // largest normal force headspa may ever plan or apply here
  double pain_threshold_n =
      0;                    // 1 cm² pad at the lower end of the region's pressure-pain threshold
  std::string_view source;  // where the threshold comes from
};

// The tissue map: properties per region (no-go zones and kOther have a zero cap).
//
// How the caps are derived. A finger pad or robot pad meets the skin over about 1 cm²
// (kPadAreaM2). For each region we take a pressure-pain threshold (PPT) from algometry on healthy
// adults at its lower end (mean minus one standard deviation, or women's mean where that is
// lower), turn it into a force over the pad area, and keep a margin:
//   force_cap <= kCapFractionOfThreshold * PPT_low * kPadAreaM2 (rounded down).
// Scalp: posterior temporalis 3.36 ± 0.72 kgf/cm² (Grossi 2011) -> 2.64 kgf/cm² = 259 kPa ->
//   25.9 N; occiput mild pain 14 N in women (Widmalm 2014); cap 10 N, which also bounds the
//   "medium" one-finger push at GB20 (peak 9.5 N) and stays below the heavy push (18.3 N).
// Skull base and neck back: occiput, C1 and upper trapezius mild pain 14-23 N in women
//   (Widmalm 2014), mid-range 18.5 N; upper trapezius PPT 3.49 ± 0.83 kgf/cm² (Grossi 2011) is
//   higher (26 N) -> cap 7 N, above expert thumb kneading (about 6 N).
// Neck sides lie over the SCM near the carotid: the women's lower bound, 14 N -> cap 5 N.
// Temples: temporalis 1.93 kgf/cm² (Sarwono 2019), anterior temporalis cut-off 2.47 kgf/cm²
//   (Santos Silva 2005) -> 189 kPa -> 18.9 N; cap 7 N.
// (Each cap is at most kCapFractionOfThreshold of its threshold: a test checks it.)
// Forehead: 195 ± 88 kPa, women 158 kPa (BMJ Mil Health) -> 107 kPa -> 10.7 N; cap 4 N.
// Between the eyebrows: next to the nose, the most sensitive part of the upper face -> cap 3.5 N.
// Cheeks and jaw: masseter 1.76 kgf/cm² (Sarwono 2019), pain cut-off 1.5 kgf/cm² (Santos Silva
//   2005) -> 147 kPa -> 14.7 N; the face has the lowest discomfort thresholds -> cap 4 N.
// Every cap is well below its threshold and several times below ISO/TS 15066's quasi-static
// limits (65-150 N), which bound only the hard stop (kAbsoluteForceLimitN).
//
// Stiffness: scalp and forehead are thin tissue over bone (about 5 mm), so they are stiff; the
// temples, neck and cheeks lie over muscle and are softer. Values are effective linear
// stiffnesses for a 1 cm² pad at 1-10 N indentation.
const TissueProperties& tissue(Region region) noexcept;

inline constexpr double kPadAreaM2 = 1.0e-4;
inline constexpr double kCapFractionOfThreshold = 0.4;
// No command or plan may exceed this anywhere: well below ISO/TS 15066's face limit (65 N) and
// the 25 N guard of open massage platforms.
inline constexpr double kAbsoluteForceLimitN = 20.0;

// Per-vertex region labels.
struct RegionMap {
  std::vector<Region> label;  // one per mesh vertex

  Region operator[](int vertex) const { return label[static_cast<std::size_t>(vertex)]; }
};

// Pressure points of head massage (WHO standard locations).
enum class Acupoint : std::uint8_t {
  kGV20,     // Baihui
  kGV16,     // Fengfu
  kGB20,     // Fengchi (bilateral)
  kBL10,     // Tianzhu (bilateral)
  kGB8,      // Shuaigu (bilateral)
  kTaiyang,  // EX-HN5 (bilateral)
  kYintang,  // EX-HN3
  kST6,      // Jiache (bilateral)
  kST7,      // Xiaguan (bilateral)
  kLI20,     // Yingxiang (bilateral)
  kCount
};

std::string_view acupoint_name(Acupoint point) noexcept;  // "GV20", "Taiyang", ...
std::optional<Acupoint> parse_acupoint(std::string_view name) noexcept;
bool is_bilateral(Acupoint point) noexcept;

enum class Side : std::uint8_t { kMidline, kLeft, kRight };
std::string_view side_name(Side side) noexcept;

struct PressurePoint {
  Acupoint point = Acupoint::kGV20;
  Side side = Side::kMidline;
  Eigen::Vector3d position = Eigen::Vector3d::Zero();  // m, head frame, on the surface
  Eigen::Vector3d normal = Eigen::Vector3d::Zero();    // outward unit normal
  int vertex = -1;                                     // nearest mesh vertex
  Region region = Region::kOther;                      // the region it lies in
};

}  // namespace headspa::anatomy
