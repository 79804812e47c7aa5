// Simulated care devices: a water heater with its hard temperature stop, a steamer and product
// dispensers. Each advances with tick(dt) (allocation-free) and each can be made to fail, so the
// runner's handling of device faults can be tested.
#pragma once

#include <cstdint>
#include <string_view>

namespace headspa::control {

enum class Device : std::uint8_t { kWaterHeater, kSteamer, kDispenser };
std::string_view device_name(Device device) noexcept;

// A water tank heated towards a set point; water flows only within a degree of it. The heater
// is cut, and the valve closed, at the hard stop (42 °C) whatever the thermostat says.
class WaterHeater {
 public:
  static constexpr double kHardStopC = 42.0;

  void set_target_c(double target_c) noexcept;  // clamped to 30-40 °C
  void set_flow(bool on) noexcept { flow_requested_ = on; }
  void set_enabled(bool on) noexcept { enabled_ = on; }
  // Fault: the thermostat's relay welds shut, so the element heats without limit.
  void inject_stuck_relay() noexcept { stuck_relay_ = true; }
  // Advances the thermal model. Returns true on the tick the hard stop trips.
  bool tick(double dt_s) noexcept;

  double water_temperature_c() const noexcept { return temperature_c_; }
  bool flowing() const noexcept { return flowing_; }
  bool faulted() const noexcept { return tripped_; }
  double max_delivered_c() const noexcept { return max_delivered_c_; }

 private:
  double temperature_c_ = 30.0;
  double target_c_ = 38.0;
  bool enabled_ = false;
  bool flow_requested_ = false;
  bool flowing_ = false;
  bool heating_ = false;
  bool stuck_relay_ = false;
  bool tripped_ = false;
  double max_delivered_c_ = 0.0;
};

// A steamer that needs a warm-up before it produces steam. Faults: no steam (failed element).
class Steamer {
 public:
  void set_on(bool on) noexcept { on_ = on; }
  void inject_failure() noexcept { failed_ = true; }
  // Returns true on the tick a fault is detected (switched on but no steam after warm-up).
  bool tick(double dt_s) noexcept;
  bool steaming() const noexcept { return steaming_; }
  bool faulted() const noexcept { return fault_; }

 private:
  bool on_ = false, failed_ = false, steaming_ = false, fault_ = false;
  double on_time_s_ = 0.0;
};

// A product dispenser with a reservoir. Faults: a jammed pump (no flow while dispensing).
class Dispenser {
 public:
  explicit Dispenser(double reservoir_ml = 200.0) : reservoir_ml_(reservoir_ml) {}
  // Starts dispensing `volume_ml`.
  void dispense(double volume_ml) noexcept;
  void inject_jam() noexcept { jammed_ = true; }
  // Returns true on the tick a fault is detected (jammed, or the reservoir ran dry).
  bool tick(double dt_s) noexcept;
  bool busy() const noexcept { return remaining_ml_ > 0.0; }
  bool faulted() const noexcept { return fault_; }
  double dispensed_ml() const noexcept { return dispensed_ml_; }

 private:
  double reservoir_ml_;
  double remaining_ml_ = 0.0;
  double dispensed_ml_ = 0.0;
  double stalled_s_ = 0.0;
  bool jammed_ = false, fault_ = false;
};

struct CareDevices {
  WaterHeater heater;
  Steamer steamer;
  Dispenser dispenser;
};

}  // namespace headspa::control
