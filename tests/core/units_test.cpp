#include "headspa/core/units.hpp"

#include <gtest/gtest.h>

namespace headspa {
namespace {

TEST(Units, RoundTripsEverySymbol) {
  for (LengthUnit u : kAllLengthUnits) {
    auto parsed = parse_length_unit(unit_symbol(u));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, u);
  }
  EXPECT_FALSE(parse_length_unit("ft").has_value());
  EXPECT_FALSE(parse_length_unit("").has_value());
}

TEST(Units, FactorsAreExact) {
  EXPECT_DOUBLE_EQ(metres_per_unit(LengthUnit::kInch), 0.0254);
  EXPECT_DOUBLE_EQ(metres_per_unit(LengthUnit::kDecimetre), 0.1);
  EXPECT_DOUBLE_EQ(metres_per_unit(LengthUnit::kMillimetre), 0.001);
}

}  // namespace
}  // namespace headspa
