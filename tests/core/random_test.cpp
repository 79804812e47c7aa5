#include "headspa/core/random.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace headspa {
namespace {

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= (x != c.next_u64());
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, UniformAndNormalHaveTheRightMoments) {
  Rng r(7);
  const int n = 200000;
  double sum = 0, sum_sq = 0, nsum = 0, nsum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
    const double z = r.normal();
    nsum += z;
    nsum_sq += z * z;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum_sq / n - 0.25, 1.0 / 12.0, 0.002);
  EXPECT_NEAR(nsum / n, 0.0, 0.01);
  EXPECT_NEAR(nsum_sq / n, 1.0, 0.02);
}

TEST(Rng, BelowStaysInRangeAndForksDiffer) {
  Rng r(1);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.below(7), 7u);
  Rng f1 = r.fork(1), f2 = r.fork(2);
  EXPECT_NE(f1.next_u64(), f2.next_u64());
}

}  // namespace
}  // namespace headspa
