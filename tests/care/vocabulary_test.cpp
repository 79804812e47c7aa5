#include "headspa/care/vocabulary.hpp"

#include <gtest/gtest.h>

namespace headspa::care {
namespace {

TEST(Vocabulary, EveryNameReadsBackToItsEnumerator) {
  for (Region r : all_of<Region>()) EXPECT_EQ(parse_enum<Region>(to_string(r)), r);
  for (Technique t : all_of<Technique>()) EXPECT_EQ(parse_enum<Technique>(to_string(t)), t);
  for (Condition c : all_of<Condition>()) EXPECT_EQ(parse_enum<Condition>(to_string(c)), c);
  for (PressurePoint p : all_of<PressurePoint>()) {
    EXPECT_EQ(parse_enum<PressurePoint>(to_string(p)), p);
  }
  EXPECT_EQ(enum_count<Region>(), 17u);
  EXPECT_FALSE(parse_enum<Region>("Scalp_Frontal").has_value());
  EXPECT_FALSE(parse_enum<Goal>("").has_value());
}

TEST(Vocabulary, CanonicalSpellingsMatchTheRestOfHeadspa) {
  EXPECT_EQ(to_string(Region::kSkullBase), "skull_base");
  EXPECT_EQ(to_string(Region::kNeckSideLeft), "neck_side_left");
  EXPECT_EQ(to_string(Technique::kPressRelease), "press_release");
  EXPECT_EQ(to_string(Direction::kSkullBaseToShoulders), "skull_base_to_shoulders");
  EXPECT_EQ(to_string(PressurePoint::kTaiyang), "Taiyang");
  EXPECT_EQ(to_string(CareKind::kSerumOrMask), "serum_or_mask");
}

TEST(Vocabulary, GroupsExpandToTheirRegions) {
  EXPECT_EQ(expand_region_name("scalp")->size(), 5u);
  EXPECT_EQ(*expand_region_name("temples"),
            (std::vector<Region>{Region::kTempleLeft, Region::kTempleRight}));
  EXPECT_EQ(
      *expand_region_name("neck"),
      (std::vector<Region>{Region::kNeckBack, Region::kNeckSideLeft, Region::kNeckSideRight}));
  const auto face = *expand_region_name("face");
  EXPECT_EQ(face.size(), 6u);
  for (Region r : face) EXPECT_TRUE(is_face(r));
  EXPECT_EQ(*expand_region_name("glabella"), std::vector<Region>{Region::kGlabella});
  EXPECT_FALSE(expand_region_name("shoulders").has_value());
}

TEST(Vocabulary, NoGoZonesAreNeitherRegionsNorGroups) {
  EXPECT_EQ(no_go_zone_names().size(), 7u);
  for (std::string_view zone : no_go_zone_names()) {
    EXPECT_TRUE(is_no_go_zone(zone));
    EXPECT_FALSE(expand_region_name(zone).has_value()) << zone;
  }
  EXPECT_FALSE(is_no_go_zone("neck_back"));
}

TEST(Vocabulary, PressurePointsLieInTheirRegions) {
  EXPECT_EQ(regions_of(PressurePoint::kGV20), std::vector<Region>{Region::kScalpCrown});
  EXPECT_EQ(regions_of(PressurePoint::kYintang), std::vector<Region>{Region::kGlabella});
  EXPECT_FALSE(is_bilateral(PressurePoint::kGV16));
  EXPECT_TRUE(is_bilateral(PressurePoint::kGB20));
  EXPECT_EQ(regions_of(PressurePoint::kTaiyang),
            (std::vector<Region>{Region::kTempleLeft, Region::kTempleRight}));
  for (PressurePoint p : all_of<PressurePoint>()) EXPECT_FALSE(regions_of(p).empty());
}

TEST(Vocabulary, PressureLevelsAreFractionsOfTheCap) {
  EXPECT_DOUBLE_EQ(pressure_fraction(PressureLevel::kGentle), 0.45);
  EXPECT_DOUBLE_EQ(pressure_fraction(PressureLevel::kMedium), 0.65);
  EXPECT_DOUBLE_EQ(pressure_fraction(PressureLevel::kFirm), 0.85);
  EXPECT_DOUBLE_EQ(scaled_pressure_fraction(PressureLevel::kMedium, PressureLevel::kMedium), 0.65);
  EXPECT_DOUBLE_EQ(scaled_pressure_fraction(PressureLevel::kGentle, PressureLevel::kGentle),
                   0.45 * 0.8);
  // Every combination stays within the cap, and a firmer preference never lowers force.
  for (PressureLevel level : all_of<PressureLevel>()) {
    double previous = 0.0;
    for (PressureLevel pref : all_of<PressureLevel>()) {
      const double f = scaled_pressure_fraction(level, pref);
      EXPECT_GT(f, 0.0);
      EXPECT_LE(f, 1.0);
      EXPECT_GE(f, previous);
      previous = f;
    }
  }
}

}  // namespace
}  // namespace headspa::care
