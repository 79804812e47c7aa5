#include "headspa/core/error.hpp"

#include <gtest/gtest.h>

namespace headspa {
namespace {

TEST(InputError, FormatsEveryKnownPartOfTheLocation) {
  InputError e(InputLocation{"intake.yaml", 12, 5, "conditions[1]"}, "unknown condition 'flu'");
  EXPECT_STREQ(e.what(), "intake.yaml:12:5: conditions[1]: unknown condition 'flu'");
  EXPECT_EQ(e.where().line, 12);
  EXPECT_EQ(e.message(), "unknown condition 'flu'");
}

TEST(InputError, LeavesOutUnknownParts) {
  EXPECT_STREQ(InputError(InputLocation{"head.obj", 0, 0, {}}, "empty file").what(),
               "head.obj: empty file");
  EXPECT_STREQ(InputError(InputLocation{{}, 0, 0, "units"}, "expected m|cm").what(),
               "units: expected m|cm");
  EXPECT_STREQ(InputError("plain").what(), "plain");
}

TEST(Check, ThrowsInternalErrorWithTheCondition) {
  try {
    HEADSPA_CHECK(1 + 1 == 3, "arithmetic");
    FAIL() << "no throw";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("1 + 1 == 3"), std::string::npos);
  }
}

}  // namespace
}  // namespace headspa
