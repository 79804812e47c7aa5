// headspa db status|migrate and headspa token create|list|revoke, on both backends.
#include <gtest/gtest.h>

#include <string>

#include "headspa/core/hash.hpp"
#include "headspa/store/store.hpp"
#include "store/store_test_util.hpp"

namespace headspa::store {
namespace {

using testing::contains;
using testing::FreshDatabase;

class StoreCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { HEADSPA_REQUIRE_DATABASE(db_); }
  headspa::test::CommandResult headspa(const std::string& args) {
    return headspa::test::run_command(std::string(HEADSPA_CLI) + " " + args + " --db " +
                                      headspa::test::quote(db_.location()));
  }
  FreshDatabase db_{GetParam()};
};

TEST_P(StoreCli, MigratesAndReportsStatus) {
  if (GetParam() == "sqlite") {
    const auto missing = headspa("db status");
    EXPECT_EQ(missing.status, 2) << missing.output;
    EXPECT_TRUE(contains(missing.output, "no database here")) << missing.output;
  } else {
    const auto empty = headspa("db status");
    EXPECT_EQ(empty.status, 0) << empty.output;
    EXPECT_TRUE(contains(empty.output, "schema: version 0 of")) << empty.output;
  }
  auto r = headspa("db migrate");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "applied 2 migrations; schema version 2")) << r.output;
  r = headspa("db migrate");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "applied 0 migrations")) << r.output;
  r = headspa("db status");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "schema: version 2 of 2 (up to date)")) << r.output;
  EXPECT_TRUE(contains(r.output, "trace_chunks")) << r.output;
}

TEST_P(StoreCli, CreatesListsAndRevokesTokens) {
  auto r = headspa("token create 'front desk'");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto start = r.output.find("hst_");
  ASSERT_NE(start, std::string::npos) << r.output;
  const std::string secret = r.output.substr(start, 68);
  EXPECT_TRUE(contains(r.output, "shown only this once")) << r.output;

  r = headspa("token list");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "front desk")) << r.output;
  EXPECT_TRUE(contains(r.output, "live")) << r.output;
  EXPECT_FALSE(contains(r.output, secret)) << r.output;
  {
    Store store = open_store(db_.location());
    ASSERT_TRUE(store.verify_token(secret));
  }
  r = headspa("token revoke 1");
  EXPECT_EQ(r.status, 0) << r.output;
  r = headspa("token list");
  EXPECT_TRUE(contains(r.output, "revoked")) << r.output;
  {
    Store store = open_store(db_.location());
    EXPECT_FALSE(store.verify_token(secret));
  }
  r = headspa("token revoke 42");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "token.id: no api_tokens record 42")) << r.output;
  r = headspa("token create ''");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "token.name: must not be empty")) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCli, testing::kBackends, testing::backend_name);

}  // namespace
}  // namespace headspa::store
