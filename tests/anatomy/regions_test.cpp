#include "headspa/anatomy/regions.hpp"

#include <gtest/gtest.h>

namespace headspa::anatomy {
namespace {

TEST(Regions, NamesRoundTripAndMirror) {
  for (int i = 0; i < kRegionCount; ++i) {
    const auto r = static_cast<Region>(i);
    EXPECT_EQ(parse_region(region_name(r)), r);
    EXPECT_EQ(mirror(mirror(r)), r);
    EXPECT_EQ(is_no_go(r), is_no_go(mirror(r)));
  }
  EXPECT_EQ(mirror(Region::kTempleLeft), Region::kTempleRight);
  EXPECT_EQ(mirror(Region::kSkullBase), Region::kSkullBase);
  EXPECT_FALSE(parse_region("shoulder").has_value());
}

TEST(Regions, NoGoZonesAreExactlyTheSevenNamed) {
  int count = 0;
  for (int i = 0; i < kRegionCount; ++i) count += is_no_go(static_cast<Region>(i)) ? 1 : 0;
  EXPECT_EQ(count, 7);
  EXPECT_TRUE(is_no_go(Region::kThroat));
  EXPECT_TRUE(is_no_go(Region::kEarCanalLeft));
  EXPECT_FALSE(is_no_go(Region::kNeckSideLeft));
  EXPECT_FALSE(is_massage_region(Region::kOther));
}

TEST(TissueMap, CapsSitBelowThresholdsAndTheFaceIsGentlest) {
  for (int i = 0; i < kRegionCount; ++i) {
    const auto r = static_cast<Region>(i);
    const TissueProperties& t = tissue(r);
    if (!is_massage_region(r)) {
      EXPECT_EQ(t.force_cap_n, 0.0) << region_name(r);
      continue;
    }
    EXPECT_GT(t.force_cap_n, 0.0) << region_name(r);
    EXPECT_LT(t.force_cap_n, t.pain_threshold_n) << region_name(r);
    EXPECT_LE(t.force_cap_n, kCapFractionOfThreshold * t.pain_threshold_n + 1e-9) << region_name(r);
    EXPECT_LT(t.force_cap_n, kAbsoluteForceLimitN) << region_name(r);
    EXPECT_GT(t.stiffness_n_per_m, 0.0) << region_name(r);
    EXPECT_FALSE(t.source.empty());
  }
  EXPECT_LT(tissue(Region::kCheekLeft).force_cap_n, tissue(Region::kScalpCrown).force_cap_n);
  EXPECT_LT(tissue(Region::kForehead).force_cap_n, tissue(Region::kScalpFrontal).force_cap_n);
  EXPECT_LT(tissue(Region::kNeckSideLeft).force_cap_n, tissue(Region::kNeckBack).force_cap_n);
  // ISO/TS 15066 face limit is 65 N: the absolute limit stays well below it.
  EXPECT_LT(kAbsoluteForceLimitN, 65.0 / 2);
}

TEST(Acupoints, NamesAndSides) {
  EXPECT_EQ(parse_acupoint("GB20"), Acupoint::kGB20);
  EXPECT_FALSE(is_bilateral(Acupoint::kGV20));
  EXPECT_TRUE(is_bilateral(Acupoint::kTaiyang));
  EXPECT_FALSE(parse_acupoint("GV99").has_value());
}

}  // namespace
}  // namespace headspa::anatomy
