// care names regions and pressure points without depending on anatomy; the two spellings must
// stay the same, in the same order, or a protocol would target the wrong vertices.
#include <gtest/gtest.h>

#include "headspa/anatomy/regions.hpp"
#include "headspa/care/vocabulary.hpp"

namespace headspa {
namespace {

TEST(Vocabulary, CareRegionsAreAnatomyMassageRegions) {
  int massage_regions = 0;
  for (int i = 0; i < anatomy::kRegionCount; ++i) {
    massage_regions += anatomy::is_massage_region(static_cast<anatomy::Region>(i)) ? 1 : 0;
  }
  ASSERT_EQ(care::enum_count<care::Region>(), static_cast<std::size_t>(massage_regions));
  for (std::size_t i = 0; i < care::enum_count<care::Region>(); ++i) {
    const auto name = care::to_string(static_cast<care::Region>(i));
    const auto region = anatomy::parse_region(name);
    ASSERT_TRUE(region.has_value()) << name;
    EXPECT_EQ(static_cast<std::size_t>(*region), i) << name;
    EXPECT_TRUE(anatomy::is_massage_region(*region)) << name;
  }
}

TEST(Vocabulary, EveryAnatomyNoGoZoneIsANoGoZoneForCare) {
  for (int i = 0; i < anatomy::kRegionCount; ++i) {
    const auto region = static_cast<anatomy::Region>(i);
    EXPECT_EQ(care::is_no_go_zone(anatomy::region_name(region)), anatomy::is_no_go(region))
        << anatomy::region_name(region);
  }
}

TEST(Vocabulary, CarePressurePointsAreAnatomyAcupoints) {
  ASSERT_EQ(care::enum_count<care::PressurePoint>(),
            static_cast<std::size_t>(anatomy::Acupoint::kCount));
  for (std::size_t i = 0; i < care::enum_count<care::PressurePoint>(); ++i) {
    const auto name = care::to_string(static_cast<care::PressurePoint>(i));
    const auto point = anatomy::parse_acupoint(name);
    ASSERT_TRUE(point.has_value()) << name;
    EXPECT_EQ(static_cast<std::size_t>(*point), i) << name;
  }
}

}  // namespace
}  // namespace headspa
