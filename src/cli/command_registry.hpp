// The `headspa` command is assembled from one file per area (head, protocols, scalp, ...).
// Each file registers a function that adds its subcommands to the CLI11 app, so areas stay
// independent of one another.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace headspa::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // an internal error (a bug)
inline constexpr int kExitBadInput = 2;  // bad input: a file, a field, an option
inline constexpr int kExitRefused = 3;   // screening refused the session
// Sessions (run, simulate, stream):
inline constexpr int kExitAborted = 4;  // the session ended early but safely (a fault or a stop)
inline constexpr int kExitUnsafe = 5;   // a safety requirement was missed

struct CommandArea {
  int order = 0;  // position in --help
  std::function<void(CLI::App&)> add;
};

std::vector<CommandArea>& command_areas();

// Call at namespace scope, one uniquely named flag per area (the areas may be compiled as one
// unit): `const bool kHeadRegistered = register_area(10, &add_head_commands);`
bool register_area(int order, std::function<void(CLI::App&)> add);

// Subcommand callbacks set this when they finish with a status other than 0.
void set_exit_status(int status) noexcept;
int exit_status() noexcept;

}  // namespace headspa::cli
