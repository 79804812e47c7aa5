#include "headspa/control/devices.hpp"

#include <algorithm>
#include <cmath>

namespace headspa::control {
namespace {
constexpr double kAmbientC = 22.0;
constexpr double kHeatRateCPerS = 0.5;    // element on, full tank
constexpr double kCoolRatePerS = 0.004;   // Newtonian loss towards ambient
constexpr double kThermostatBandC = 0.3;  // hysteresis either side of the target
constexpr double kFlowBandC = 1.0;        // water flows only within this of the target
constexpr double kSteamWarmupS = 10.0;
constexpr double kDispenseRateMlPerS = 2.0;
constexpr double kJamDetectS = 1.0;
}  // namespace

std::string_view device_name(Device device) noexcept {
  switch (device) {
    case Device::kWaterHeater:
      return "water_heater";
    case Device::kSteamer:
      return "steamer";
    case Device::kDispenser:
      return "dispenser";
  }
  return "unknown";
}

void WaterHeater::set_target_c(double target_c) noexcept {
  target_c_ = std::clamp(target_c, 30.0, 40.0);
}

bool WaterHeater::tick(double dt_s) noexcept {
  // Thermostat with hysteresis; a welded relay keeps the element on regardless.
  if (temperature_c_ < target_c_ - kThermostatBandC) heating_ = true;
  if (temperature_c_ > target_c_ + kThermostatBandC) heating_ = false;
  const bool element = !tripped_ && (stuck_relay_ || (enabled_ && heating_));
  temperature_c_ +=
      dt_s * ((element ? kHeatRateCPerS : 0.0) - kCoolRatePerS * (temperature_c_ - kAmbientC));
  bool tripped_now = false;
  // The hard stop is independent of the thermostat: it cuts the element and closes the valve.
  if (!tripped_ && temperature_c_ >= kHardStopC) {
    tripped_ = true;
    tripped_now = true;
  }
  flowing_ = flow_requested_ && enabled_ && !tripped_ &&
             std::abs(temperature_c_ - target_c_) <= kFlowBandC && temperature_c_ < kHardStopC;
  if (flowing_) max_delivered_c_ = std::max(max_delivered_c_, temperature_c_);
  return tripped_now;
}

bool Steamer::tick(double dt_s) noexcept {
  if (!on_) {
    on_time_s_ = 0.0;
    steaming_ = false;
    return false;
  }
  on_time_s_ += dt_s;
  steaming_ = !failed_ && on_time_s_ >= kSteamWarmupS;
  if (failed_ && !fault_ && on_time_s_ >= kSteamWarmupS) {
    fault_ = true;
    on_ = false;
    return true;
  }
  return false;
}

void Dispenser::dispense(double volume_ml) noexcept {
  if (!fault_) remaining_ml_ = std::max(0.0, volume_ml);
  stalled_s_ = 0.0;
}

bool Dispenser::tick(double dt_s) noexcept {
  if (remaining_ml_ <= 0.0 || fault_) return false;
  if (jammed_ || reservoir_ml_ <= 0.0) {
    stalled_s_ += dt_s;
    if (stalled_s_ >= kJamDetectS) {
      fault_ = true;
      remaining_ml_ = 0.0;
      return true;
    }
    return false;
  }
  const double step = std::min({kDispenseRateMlPerS * dt_s, remaining_ml_, reservoir_ml_});
  remaining_ml_ -= step;
  reservoir_ml_ -= step;
  dispensed_ml_ += step;
  return false;
}

}  // namespace headspa::control
