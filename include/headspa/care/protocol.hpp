// Protocols: ordered massage and care steps (format `headspa/protocol@1`, YAML or JSON).
// docs/schemas/protocol.schema.json describes the file; docs/care.md explains each field.
//
//   headspa::care::Protocol p = headspa::care::load_protocol_file("my.yaml");
//   for (const auto& step : p.steps) if (step.is_massage()) { ... step.massage().technique ... }
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "headspa/care/vocabulary.hpp"
#include "headspa/core/error.hpp"

namespace headspa::care {

// Closed interval of seconds.
struct DurationRange {
  double min_s = 0.0;  // Unit: [s]
  double max_s = 0.0;  // Unit: [s]
};

// Parameters of a technique. Which ones a technique needs (and allows) is fixed:
//   circular_friction: radius_m, frequency_hz
//   kneading:          amplitude_m, frequency_hz
//   press_release:     ramp_s, hold_s
//   glide, slide_up:   speed_m_per_s
struct TechniqueParams {
  std::optional<double> radius_m;       // circle radius, 0.003–0.03. Unit: [m]
  std::optional<double> frequency_hz;   // circles or kneads per second, 0.2–2.6. Unit: [Hz]
  std::optional<double> amplitude_m;    // kneading excursion, 0.002–0.03. Unit: [m]
  std::optional<double> ramp_s;         // force ramp up and down, 0.2–10. Unit: [s]
  std::optional<double> hold_s;         // hold at full force, 1–120. Unit: [s]
  std::optional<double> speed_m_per_s;  // stroke speed, 0.03–0.30. Unit: [m/s]
};

// A massage step: where, how, how hard and in which direction.
struct MassageStep {
  std::vector<std::string> region_names;  // as written in the file (groups allowed)
  std::vector<Region> regions;            // expanded, unique, in Region order
  Technique technique = Technique::kCircularFriction;
  TechniqueParams params;
  std::vector<PressurePoint> points;  // press_release only; each lies in one of `regions`
  bool bilateral = false;             // both sides at once (two contacts)
  PressureLevel pressure = PressureLevel::kGentle;
  std::optional<Direction> direction;  // required for glide and slide_up
  bool dwell_on_tense_spots = false;   // extra time where the client reports tension
  std::string cue;                     // said to the client, e.g. "breathe deeply"
};

// Device settings and their limits for wet and steam steps.
struct DeviceSettings {
  std::optional<double> water_temp_c;      // 36–40 while running. Unit: [°C]
  double water_hard_stop_c = 42.0;         // the heater shuts off here; never above 42. Unit: [°C]
  std::optional<double> steam_time_s;      // 60–900, no longer than the step. Unit: [s]
  std::optional<double> steam_distance_m;  // nozzle to scalp, 0.15–0.5. Unit: [m]
  std::optional<double> magnification;     // analysis magnifier, 10–300 (times)
};

// A care step: analysis, cleanse, exfoliate, steam, oil, serum or mask, rinse, dry and style.
struct CareStep {
  CareKind kind = CareKind::kAnalysis;
  std::optional<ProductRole> product_role;  // required for cleanse, exfoliate, oil, serum_or_mask
  std::vector<std::string> products;        // preferred catalogue ids; empty: any of the role
  std::vector<std::string> region_names;    // as written; default "scalp"
  std::vector<Region> regions;              // expanded
  DeviceSettings device;
  std::string instruction;  // what the operator or device does, in words
};

// One step of a protocol.
struct Step {
  std::string id;               // unique within the protocol
  std::string title;            // short, for people
  double duration_s = 0.0;      // nominal. Unit: [s]
  double min_duration_s = 0.0;  // shortest allowed (default 0.5 × nominal). Unit: [s]
  double max_duration_s = 0.0;  // longest allowed (default 1.5 × nominal). Unit: [s]
  bool optional = false;        // may be dropped to fit a time budget
  std::vector<Goal> serves;     // goals this step serves; they draw time to it
  std::variant<MassageStep, CareStep> body;
  InputLocation where;  // where the step starts in its file

  // True for a massage step.
  bool is_massage() const noexcept { return std::holds_alternative<MassageStep>(body); }
  // The massage body; only valid when is_massage().
  const MassageStep& massage() const { return std::get<MassageStep>(body); }
  // Mutable massage body; only valid when is_massage().
  MassageStep& massage() { return std::get<MassageStep>(body); }
  // The care body; only valid when !is_massage().
  const CareStep& care() const { return std::get<CareStep>(body); }
  // Mutable care body; only valid when !is_massage().
  CareStep& care() { return std::get<CareStep>(body); }
};

// A routine: identity, provenance, allowed total length and ordered steps.
struct Protocol {
  std::string id;          // lowercase-kebab, e.g. "japanese-head-spa"
  std::string title;       // for people
  std::string source;      // where the routine comes from
  DurationRange duration;  // allowed total; the nominal total lies inside it
  std::vector<Step> steps;

  // Sum of the steps' nominal durations. Unit: [s]
  double nominal_duration_s() const noexcept;
  // Sum of the steps' minimum durations. Unit: [s]
  double minimum_duration_s() const noexcept;
  // The step with this id, or nullptr.
  const Step* find_step(std::string_view step_id) const noexcept;
};

// Reads and validates a protocol from YAML or JSON text. `file_name` is used in messages.
// Throws InputError "file:line:column: field.path: what was expected" on any problem.
Protocol parse_protocol(std::string_view text, std::string_view file_name);

// Reads a protocol file; InputError when it cannot be read or is invalid.
Protocol load_protocol_file(const std::string& path);

// The protocol as JSON (format headspa/protocol@1; parse_protocol reads it back).
std::string protocol_to_json(const Protocol& protocol, int indent = 2);

}  // namespace headspa::care
