#include "headspa/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace headspa::log {
namespace {

std::atomic<Level> g_level{Level::kWarn};

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_st("headspa");
    l->set_pattern("headspa: %l: %v");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

bool enabled(Level at) noexcept { return static_cast<int>(at) >= static_cast<int>(g_level.load()); }

}  // namespace

void set_level(Level level) noexcept { g_level.store(level); }
Level level() noexcept { return g_level.load(); }

void debug(std::string_view message) {
  if (enabled(Level::kDebug)) logger().debug("{}", message);
}
void info(std::string_view message) {
  if (enabled(Level::kInfo)) logger().info("{}", message);
}
void warn(std::string_view message) {
  if (enabled(Level::kWarn)) logger().warn("{}", message);
}
void error(std::string_view message) {
  if (enabled(Level::kError)) logger().error("{}", message);
}

}  // namespace headspa::log
