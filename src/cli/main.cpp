// headspa: the command-line entry point.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "command_registry.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/log.hpp"

namespace headspa::cli {
namespace {
int g_exit_status = kExitOk;
}  // namespace

std::vector<CommandArea>& command_areas() {
  static std::vector<CommandArea> areas;
  return areas;
}

bool register_area(int order, std::function<void(CLI::App&)> add) {
  command_areas().push_back(CommandArea{order, std::move(add)});
  return true;
}

void set_exit_status(int status) noexcept { g_exit_status = status; }
int exit_status() noexcept { return g_exit_status; }

}  // namespace headspa::cli

int main(int argc, char** argv) {
  using namespace headspa::cli;
  CLI::App app{"headspa: automated head, scalp, face and neck massage", "headspa"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "headspa 0.1.0");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log progress to standard error");
  app.parse_complete_callback([&] {
    if (verbose) headspa::log::set_level(headspa::log::Level::kInfo);
  });

  auto& areas = command_areas();
  std::stable_sort(areas.begin(), areas.end(),
                   [](const CommandArea& a, const CommandArea& b) { return a.order < b.order; });
  for (const auto& area : areas) area.add(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "headspa: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const headspa::InputError& e) {
    std::fprintf(stderr, "headspa: error: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "headspa: error: out of memory\n");
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "headspa: internal error: %s\n", e.what());
    return kExitFailure;
  }
  return exit_status();
}
