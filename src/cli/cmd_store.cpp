// headspa db status|migrate, headspa token create|list|revoke: the records store's commands.
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "command_registry.hpp"
#include "headspa/store/store.hpp"

namespace headspa::cli {
namespace {

namespace store = headspa::store;

constexpr const char* kDbHelp =
    "Database: an SQLite file or a postgresql:// URL (default: "
    "$XDG_DATA_HOME/headspa/headspa.db or ~/.local/share/headspa/headspa.db)";

// "2026-11-21 02:43:45Z" from microseconds since the epoch.
std::string utc(std::int64_t us) {
  const std::time_t s = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

void add_db(CLI::App& app) {
  auto* db = app.add_subcommand("db", "The records database: schema version and migrations");
  db->require_subcommand(1);
  auto location = std::make_shared<std::string>();

  auto* status = db->add_subcommand("status", "Show the database, its schema version and records");
  status->add_option("--db", *location, kDbHelp);
  status->callback([location] {
    const std::string where = store::resolve_location(*location);
    store::Store s = store::open_store(where, {.migrate = false, .create = false});
    const store::SchemaStatus st = s.status();
    std::printf("database: %s (%s)\n", s.location().c_str(), std::string(s.backend()).c_str());
    std::printf("schema: version %d of %d", st.version, st.latest);
    if (st.version < st.latest) {
      std::printf(" (%d migration%s pending: run `headspa db migrate`)\n", st.latest - st.version,
                  st.latest - st.version == 1 ? "" : "s");
    } else {
      std::printf(" (up to date)\n");
    }
    for (const auto& [table, count] : st.row_counts) {
      std::printf("  %-16s %lld\n", table.c_str(), static_cast<long long>(count));
    }
  });

  auto* migrate =
      db->add_subcommand("migrate", "Create the database or bring its schema up to date");
  migrate->add_option("--db", *location, kDbHelp);
  migrate->callback([location] {
    store::Store s = store::open_store(*location, {.migrate = false, .create = true});
    const int applied = s.migrate();
    std::printf("%s: applied %d migration%s; schema version %d\n", s.location().c_str(), applied,
                applied == 1 ? "" : "s", s.schema_version());
  });
}

void add_token(CLI::App& app) {
  auto* token =
      app.add_subcommand("token", "API tokens for `headspa serve` (only hashes are kept)");
  token->require_subcommand(1);
  auto location = std::make_shared<std::string>();

  auto* create = token->add_subcommand("create", "Create a token and print it (once)");
  auto name = std::make_shared<std::string>();
  create->add_option("NAME", *name, "What the token is for, e.g. \"front desk\"")->required();
  create->add_option("--db", *location, kDbHelp);
  create->callback([location, name] {
    store::Store s = store::open_store(*location);
    const store::NewApiToken t = s.create_token(*name);
    std::printf("%s\n", t.secret.c_str());
    std::fprintf(stderr,
                 "token %lld \"%s\" created; it is shown only this once (headspa keeps its "
                 "SHA-256 only)\n",
                 static_cast<long long>(t.token.id), t.token.name.c_str());
  });

  auto* list = token->add_subcommand("list", "List tokens (never their secrets)");
  list->add_option("--db", *location, kDbHelp);
  list->callback([location] {
    store::Store s = store::open_store(*location);
    for (const auto& t : s.list_tokens()) {
      std::printf("%4lld  %-32s created %s  %s\n", static_cast<long long>(t.id), t.name.c_str(),
                  utc(t.created_us).c_str(),
                  t.revoked_us ? ("revoked " + utc(*t.revoked_us)).c_str() : "live");
    }
  });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by its id");
  auto id = std::make_shared<std::int64_t>(0);
  revoke->add_option("ID", *id, "Token id (from `headspa token list`)")->required();
  revoke->add_option("--db", *location, kDbHelp);
  revoke->callback([location, id] {
    store::Store s = store::open_store(*location);
    s.revoke_token(*id);
    std::printf("token %lld revoked\n", static_cast<long long>(*id));
  });
}

const bool kStoreRegistered = register_area(70, [](CLI::App& app) {
  add_db(app);
  add_token(app);
});

}  // namespace
}  // namespace headspa::cli
