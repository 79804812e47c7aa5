// Logging for headspa: a thin front over spdlog, so callers need no third-party header.
#pragma once

#include <string_view>

namespace headspa::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

// Sets the level of messages written to standard error (default kWarn).
void set_level(Level level) noexcept;
Level level() noexcept;

void debug(std::string_view message);
void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

}  // namespace headspa::log
