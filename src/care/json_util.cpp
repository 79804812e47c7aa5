#include "json_util.hpp"

namespace headspa::care::detail {
namespace {

Json params_json(const TechniqueParams& p) {
  Json out = Json::object();
  if (p.radius_m) out["radius_m"] = *p.radius_m;
  if (p.frequency_hz) out["frequency_hz"] = *p.frequency_hz;
  if (p.amplitude_m) out["amplitude_m"] = *p.amplitude_m;
  if (p.ramp_s) out["ramp_s"] = *p.ramp_s;
  if (p.hold_s) out["hold_s"] = *p.hold_s;
  if (p.speed_m_per_s) out["speed_m_per_s"] = *p.speed_m_per_s;
  return out;
}

Json device_json(const CareStep& c) {
  Json out = Json::object();
  const DeviceSettings& d = c.device;
  if (d.water_temp_c) {
    out["water_temp_c"] = *d.water_temp_c;
    out["water_hard_stop_c"] = d.water_hard_stop_c;
  }
  if (d.steam_time_s) out["steam_time_s"] = *d.steam_time_s;
  if (d.steam_distance_m) out["steam_distance_m"] = *d.steam_distance_m;
  if (d.magnification) out["magnification"] = *d.magnification;
  return out;
}

}  // namespace

Json step_json(const Step& s) {
  Json out;
  out["id"] = s.id;
  if (!s.title.empty()) out["title"] = s.title;
  out["type"] = s.is_massage() ? "massage" : "care";
  out["duration_s"] = s.duration_s;
  out["min_duration_s"] = s.min_duration_s;
  out["max_duration_s"] = s.max_duration_s;
  if (s.optional) out["optional"] = true;
  if (!s.serves.empty()) out["serves"] = names_json(s.serves);
  if (s.is_massage()) {
    const MassageStep& m = s.massage();
    out["regions"] = names_json(m.regions);
    out["technique"] = std::string(to_string(m.technique));
    out["params"] = params_json(m.params);
    if (!m.points.empty()) out["points"] = names_json(m.points);
    out["bilateral"] = m.bilateral;
    out["pressure"] = std::string(to_string(m.pressure));
    if (m.direction) out["direction"] = std::string(to_string(*m.direction));
    if (m.dwell_on_tense_spots) out["dwell_on_tense_spots"] = true;
    if (!m.cue.empty()) out["cue"] = m.cue;
  } else {
    const CareStep& c = s.care();
    out["kind"] = std::string(to_string(c.kind));
    if (c.product_role) out["product_role"] = std::string(to_string(*c.product_role));
    if (!c.products.empty()) out["products"] = c.products;
    out["regions"] = names_json(c.regions);
    Json device = device_json(c);
    if (!device.empty()) out["device"] = std::move(device);
    if (!c.instruction.empty()) out["instruction"] = c.instruction;
  }
  return out;
}

Json protocol_json(const Protocol& p) {
  Json out;
  out["format"] = "headspa/protocol@1";
  out["id"] = p.id;
  out["title"] = p.title;
  out["source"] = p.source;
  out["duration_s"] = Json{{"min", p.duration.min_s}, {"max", p.duration.max_s}};
  Json steps = Json::array();
  for (const auto& s : p.steps) steps.push_back(step_json(s));
  out["steps"] = std::move(steps);
  return out;
}

Json intake_json(const Intake& in) {
  Json out;
  out["format"] = "headspa/intake@1";
  if (!in.client.empty()) out["client"] = in.client;
  out["conditions"] = names_json(in.conditions);
  out["goals"] = names_json(in.goals);
  out["pressure_preference"] = std::string(to_string(in.pressure_preference));
  out["sensitive_areas"] = in.sensitive_area_names;
  out["tense_areas"] = in.tense_area_names;
  out["allergies"] = in.allergies;
  if (in.time_budget_s) out["time_budget_s"] = *in.time_budget_s;
  out["hair_length"] = std::string(to_string(in.hair_length));
  return out;
}

}  // namespace headspa::care::detail
