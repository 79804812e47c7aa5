#include "headspa/care/protocol.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "json_util.hpp"
#include "yaml_reader.hpp"

namespace headspa::care {
namespace {

using detail::child_path;
using detail::index_path;
using detail::Reader;

constexpr std::string_view kProtocolFormat = "headspa/protocol@1";

// Limits of the technique parameters (see TechniqueParams).
constexpr double kRadiusMinM = 0.003, kRadiusMaxM = 0.03;
constexpr double kFrequencyMinHz = 0.2, kFrequencyMaxHz = 2.6;
constexpr double kAmplitudeMinM = 0.002, kAmplitudeMaxM = 0.03;
constexpr double kRampMinS = 0.2, kRampMaxS = 10.0;
constexpr double kHoldMinS = 1.0, kHoldMaxS = 120.0;
constexpr double kSpeedMinMPerS = 0.03, kSpeedMaxMPerS = 0.30;
// Step and protocol durations.
constexpr double kStepMinS = 1.0, kStepMaxS = 3600.0;
constexpr double kProtocolMinS = 60.0, kProtocolMaxS = 10800.0;
// Device limits.
constexpr double kWaterMinC = 36.0, kWaterMaxC = 40.0, kWaterHardStopMaxC = 42.0;
constexpr double kSteamMinS = 60.0, kSteamMaxS = 900.0;
constexpr double kSteamDistanceMinM = 0.15, kSteamDistanceMaxM = 0.5;
constexpr double kMagnificationMin = 10.0, kMagnificationMax = 300.0;

bool is_kebab_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '-' || id.back() == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string read_id(const Reader& r, const YAML::Node& node, std::string_view path) {
  std::string id = r.string(node, path);
  if (!is_kebab_id(id)) {
    r.fail(node, path, "expected a lowercase id of letters, digits and '-', found '" + id + "'");
  }
  return id;
}

// The parameter names a technique needs, in a fixed order.
std::vector<std::string_view> params_of(Technique t) {
  switch (t) {
    case Technique::kCircularFriction:
      return {"radius_m", "frequency_hz"};
    case Technique::kKneading:
      return {"amplitude_m", "frequency_hz"};
    case Technique::kPressRelease:
      return {"ramp_s", "hold_s"};
    case Technique::kGlide:
    case Technique::kSlideUp:
      return {"speed_m_per_s"};
  }
  return {};
}

TechniqueParams read_params(const Reader& r, const YAML::Node& node, std::string_view path,
                            Technique technique) {
  r.expect_map(node, path,
               {"radius_m", "frequency_hz", "amplitude_m", "ramp_s", "hold_s", "speed_m_per_s"});
  const auto needed = params_of(technique);
  for (const auto& entry : node) {
    const std::string& key = entry.first.Scalar();
    if (std::find(needed.begin(), needed.end(), key) == needed.end()) {
      std::string list;
      for (std::string_view n : needed) list.append(list.empty() ? "" : ", ").append(n);
      r.fail(
          entry.first, child_path(path, key),
          "not a parameter of " + std::string(to_string(technique)) + " (expected " + list + ")");
    }
  }
  TechniqueParams p;
  for (std::string_view name : needed) {
    const YAML::Node v = r.required(node, name, path);
    const std::string at = child_path(path, name);
    if (name == "radius_m") p.radius_m = r.number(v, at, kRadiusMinM, kRadiusMaxM, "m");
    if (name == "frequency_hz") {
      p.frequency_hz = r.number(v, at, kFrequencyMinHz, kFrequencyMaxHz, "Hz");
    }
    if (name == "amplitude_m") {
      p.amplitude_m = r.number(v, at, kAmplitudeMinM, kAmplitudeMaxM, "m");
    }
    if (name == "ramp_s") p.ramp_s = r.number(v, at, kRampMinS, kRampMaxS, "s");
    if (name == "hold_s") p.hold_s = r.number(v, at, kHoldMinS, kHoldMaxS, "s");
    if (name == "speed_m_per_s") {
      p.speed_m_per_s = r.number(v, at, kSpeedMinMPerS, kSpeedMaxMPerS, "m/s");
    }
  }
  return p;
}

MassageStep read_massage(const Reader& r, const YAML::Node& node, std::string_view path) {
  MassageStep m;
  m.regions =
      r.regions(r.required(node, "regions", path), child_path(path, "regions"), &m.region_names);
  m.technique = r.enumeration<Technique>(r.required(node, "technique", path),
                                         child_path(path, "technique"), "technique");
  m.params =
      read_params(r, r.required(node, "params", path), child_path(path, "params"), m.technique);
  m.pressure = r.enumeration<PressureLevel>(r.required(node, "pressure", path),
                                            child_path(path, "pressure"), "pressure level");
  if (auto v = Reader::optional(node, "bilateral"); v.IsDefined()) {
    m.bilateral = r.boolean(v, child_path(path, "bilateral"));
  }
  if (auto v = Reader::optional(node, "dwell_on_tense_spots"); v.IsDefined()) {
    m.dwell_on_tense_spots = r.boolean(v, child_path(path, "dwell_on_tense_spots"));
  }
  if (auto v = Reader::optional(node, "cue"); v.IsDefined()) {
    m.cue = r.string(v, child_path(path, "cue"));
  }
  const YAML::Node direction = Reader::optional(node, "direction");
  if (direction.IsDefined()) {
    m.direction = r.enumeration<Direction>(direction, child_path(path, "direction"), "direction");
  } else if (m.technique == Technique::kGlide || m.technique == Technique::kSlideUp) {
    r.fail(node, child_path(path, "direction"),
           "missing required field (" + std::string(to_string(m.technique)) +
               " strokes need a direction)");
  }
  const YAML::Node points = Reader::optional(node, "points");
  if (m.technique == Technique::kPressRelease) {
    if (!points.IsDefined()) {
      r.fail(node, child_path(path, "points"),
             "missing required field (press_release needs pressure points)");
    }
    const std::string points_path = child_path(path, "points");
    m.points = r.enumerations<PressurePoint>(points, points_path, "pressure point");
    if (m.points.empty()) r.fail(points, points_path, "expected at least one pressure point");
    const auto items = r.sequence(points, points_path);
    for (std::size_t i = 0; i < m.points.size(); ++i) {
      const auto where = regions_of(m.points[i]);
      const bool inside = std::any_of(where.begin(), where.end(), [&](Region reg) {
        return std::find(m.regions.begin(), m.regions.end(), reg) != m.regions.end();
      });
      if (!inside) {
        std::string list;
        for (Region reg : where) list.append(list.empty() ? "" : " or ").append(to_string(reg));
        r.fail(items[i], index_path(points_path, i),
               "point " + std::string(to_string(m.points[i])) + " lies in " + list +
                   ", which is not among the step's regions");
      }
    }
  } else if (points.IsDefined()) {
    r.fail(points, child_path(path, "points"), "pressure points belong to press_release steps");
  }
  return m;
}

std::optional<ProductRole> default_role(CareKind kind) {
  switch (kind) {
    case CareKind::kCleanse:
      return ProductRole::kCleanser;
    case CareKind::kExfoliate:
      return ProductRole::kExfoliant;
    case CareKind::kOil:
      return ProductRole::kMassageOil;
    case CareKind::kSerumOrMask:
      return ProductRole::kSerum;
    default:
      return std::nullopt;
  }
}

bool role_fits(CareKind kind, ProductRole role) {
  switch (kind) {
    case CareKind::kCleanse:
      return role == ProductRole::kCleanser;
    case CareKind::kExfoliate:
      return role == ProductRole::kExfoliant;
    case CareKind::kOil:
      return role == ProductRole::kMassageOil;
    case CareKind::kSerumOrMask:
      return role == ProductRole::kSerum || role == ProductRole::kMask;
    case CareKind::kDryAndStyle:
      return role == ProductRole::kStyling;
    default:
      return false;
  }
}

DeviceSettings read_device(const Reader& r, const YAML::Node& node, std::string_view path,
                           CareKind kind, double step_duration_s) {
  r.expect_map(
      node, path,
      {"water_temp_c", "water_hard_stop_c", "steam_time_s", "steam_distance_m", "magnification"});
  DeviceSettings d;
  const bool wet =
      kind == CareKind::kCleanse || kind == CareKind::kRinse || kind == CareKind::kExfoliate;
  auto only_for = [&](std::string_view key, bool allowed, std::string_view kinds) {
    const YAML::Node v = Reader::optional(node, key);
    if (v.IsDefined() && !allowed) {
      r.fail(v, child_path(path, key),
             "only " + std::string(kinds) + " steps set this, not " + std::string(to_string(kind)));
    }
    return v;
  };
  if (auto v = only_for("water_temp_c", wet, "cleanse, exfoliate and rinse"); v.IsDefined()) {
    d.water_temp_c = r.number(v, child_path(path, "water_temp_c"), kWaterMinC, kWaterMaxC, "°C");
  }
  if (auto v = only_for("water_hard_stop_c", wet, "cleanse, exfoliate and rinse"); v.IsDefined()) {
    const double lo = d.water_temp_c.value_or(kWaterMinC);
    d.water_hard_stop_c =
        r.number(v, child_path(path, "water_hard_stop_c"), lo, kWaterHardStopMaxC, "°C");
    if (d.water_temp_c && d.water_hard_stop_c <= *d.water_temp_c) {
      r.fail(v, child_path(path, "water_hard_stop_c"),
             "the hard stop must lie above the water temperature");
    }
  }
  if (auto v = only_for("steam_time_s", kind == CareKind::kSteam, "steam"); v.IsDefined()) {
    d.steam_time_s = r.number(v, child_path(path, "steam_time_s"), kSteamMinS,
                              std::min(kSteamMaxS, step_duration_s), "s (at most the step)");
  }
  if (auto v = only_for("steam_distance_m", kind == CareKind::kSteam, "steam"); v.IsDefined()) {
    d.steam_distance_m = r.number(v, child_path(path, "steam_distance_m"), kSteamDistanceMinM,
                                  kSteamDistanceMaxM, "m");
  }
  if (auto v = only_for("magnification", kind == CareKind::kAnalysis, "analysis"); v.IsDefined()) {
    d.magnification = r.number(v, child_path(path, "magnification"), kMagnificationMin,
                               kMagnificationMax, "times");
  }
  if ((kind == CareKind::kCleanse || kind == CareKind::kRinse) && !d.water_temp_c) {
    r.fail(node, child_path(path, "water_temp_c"),
           "missing required field (wet steps set the water temperature, 36–40 °C)");
  }
  if (kind == CareKind::kSteam && (!d.steam_time_s || !d.steam_distance_m)) {
    r.fail(node, child_path(path, d.steam_time_s ? "steam_distance_m" : "steam_time_s"),
           "missing required field (steam steps set steam_time_s and steam_distance_m)");
  }
  return d;
}

CareStep read_care(const Reader& r, const YAML::Node& node, std::string_view path,
                   double step_duration_s) {
  CareStep c;
  c.kind = r.enumeration<CareKind>(r.required(node, "kind", path), child_path(path, "kind"),
                                   "care kind");
  const YAML::Node role = Reader::optional(node, "product_role");
  if (role.IsDefined()) {
    const auto value =
        r.enumeration<ProductRole>(role, child_path(path, "product_role"), "product role");
    if (!role_fits(c.kind, value)) {
      r.fail(role, child_path(path, "product_role"),
             "a " + std::string(to_string(c.kind)) + " step cannot use a " +
                 std::string(to_string(value)));
    }
    c.product_role = value;
  } else {
    c.product_role = default_role(c.kind);
  }
  if (auto v = Reader::optional(node, "products"); v.IsDefined()) {
    if (!c.product_role) {
      r.fail(v, child_path(path, "products"),
             "this step uses no product (set product_role to name one)");
    }
    c.products = r.strings(v, child_path(path, "products"));
  }
  if (auto v = Reader::optional(node, "regions"); v.IsDefined()) {
    c.regions = r.regions(v, child_path(path, "regions"), &c.region_names);
  } else {
    c.region_names = {"scalp"};
    c.regions = *expand_region_name("scalp");
  }
  const YAML::Node device = Reader::optional(node, "device");
  if (!device.IsDefined() &&
      (c.kind == CareKind::kCleanse || c.kind == CareKind::kRinse || c.kind == CareKind::kSteam)) {
    r.fail(node, child_path(path, "device"), "missing required field (device settings)");
  }
  c.device = read_device(r, device.IsDefined() ? device : YAML::Node(YAML::NodeType::Map),
                         child_path(path, "device"), c.kind, step_duration_s);
  if (auto v = Reader::optional(node, "instruction"); v.IsDefined()) {
    c.instruction = r.string(v, child_path(path, "instruction"));
  }
  return c;
}

Step read_step(const Reader& r, const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) r.fail(node, path, "expected a step (a mapping)");
  Step s;
  s.where = r.location(node, path);
  const std::string type = r.string(r.required(node, "type", path), child_path(path, "type"));
  if (type == "massage") {
    r.expect_map(node, path,
                 {"id", "title", "type", "duration_s", "min_duration_s", "max_duration_s",
                  "optional", "serves", "regions", "technique", "params", "points", "bilateral",
                  "pressure", "direction", "dwell_on_tense_spots", "cue"});
  } else if (type == "care") {
    r.expect_map(
        node, path,
        {"id", "title", "type", "duration_s", "min_duration_s", "max_duration_s", "optional",
         "serves", "kind", "product_role", "products", "regions", "device", "instruction"});
  } else {
    r.fail(Reader::optional(node, "type"), child_path(path, "type"),
           "unknown step type '" + type + "' (expected massage or care)");
  }
  s.id = read_id(r, r.required(node, "id", path), child_path(path, "id"));
  if (auto v = Reader::optional(node, "title"); v.IsDefined()) {
    s.title = r.string(v, child_path(path, "title"));
  }
  s.duration_s = r.number(r.required(node, "duration_s", path), child_path(path, "duration_s"),
                          kStepMinS, kStepMaxS, "s");
  s.min_duration_s = 0.5 * s.duration_s;
  s.max_duration_s = std::min(1.5 * s.duration_s, kStepMaxS);
  if (auto v = Reader::optional(node, "min_duration_s"); v.IsDefined()) {
    s.min_duration_s = r.number(v, child_path(path, "min_duration_s"), 0.0, s.duration_s,
                                "s (at most duration_s)");
  }
  if (auto v = Reader::optional(node, "max_duration_s"); v.IsDefined()) {
    s.max_duration_s = r.number(v, child_path(path, "max_duration_s"), s.duration_s, kStepMaxS,
                                "s (at least duration_s)");
  }
  if (auto v = Reader::optional(node, "optional"); v.IsDefined()) {
    s.optional = r.boolean(v, child_path(path, "optional"));
  }
  if (auto v = Reader::optional(node, "serves"); v.IsDefined()) {
    s.serves = r.enumerations<Goal>(v, child_path(path, "serves"), "goal");
  }
  if (type == "massage") {
    s.body = read_massage(r, node, path);
  } else {
    s.body = read_care(r, node, path, s.duration_s);
  }
  return s;
}

void check_protocol(const Reader& r, const YAML::Node& root, const Protocol& p) {
  const YAML::Node range = r.required(root, "duration_s", "");
  if (p.duration.min_s > p.duration.max_s) {
    r.fail(range, "duration_s.min", "expected min at most max");
  }
  const double nominal = p.nominal_duration_s();
  if (nominal < p.duration.min_s || nominal > p.duration.max_s) {
    r.fail(r.required(root, "steps", ""), "steps",
           "the steps' durations add up to " + std::to_string(static_cast<long>(nominal)) +
               " s, outside duration_s " + std::to_string(static_cast<long>(p.duration.min_s)) +
               "–" + std::to_string(static_cast<long>(p.duration.max_s)) + " s");
  }
}

}  // namespace

double Protocol::nominal_duration_s() const noexcept {
  double total = 0.0;
  for (const auto& s : steps) total += s.duration_s;
  return total;
}

double Protocol::minimum_duration_s() const noexcept {
  double total = 0.0;
  for (const auto& s : steps) total += s.min_duration_s;
  return total;
}

const Step* Protocol::find_step(std::string_view step_id) const noexcept {
  for (const auto& s : steps) {
    if (s.id == step_id) return &s;
  }
  return nullptr;
}

Protocol parse_protocol(std::string_view text, std::string_view file_name) {
  const Reader r(file_name);
  const YAML::Node root = r.load(text);
  r.expect_map(root, "", {"format", "id", "title", "source", "duration_s", "steps"});
  r.expect_format(root, kProtocolFormat);
  Protocol p;
  p.id = read_id(r, r.required(root, "id", ""), "id");
  p.title = r.string(r.required(root, "title", ""), "title");
  p.source = r.string(r.required(root, "source", ""), "source");
  const YAML::Node range = r.required(root, "duration_s", "");
  r.expect_map(range, "duration_s", {"min", "max"});
  p.duration.min_s = r.number(r.required(range, "min", "duration_s"), "duration_s.min",
                              kProtocolMinS, kProtocolMaxS, "s");
  p.duration.max_s = r.number(r.required(range, "max", "duration_s"), "duration_s.max",
                              kProtocolMinS, kProtocolMaxS, "s");
  const YAML::Node steps = r.required(root, "steps", "");
  const auto items = r.sequence(steps, "steps");
  if (items.empty()) r.fail(steps, "steps", "expected at least one step");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = index_path("steps", i);
    Step s = read_step(r, items[i], path);
    if (!ids.insert(s.id).second) {
      r.fail(Reader::optional(items[i], "id"), child_path(path, "id"),
             "duplicate step id '" + s.id + "'");
    }
    p.steps.push_back(std::move(s));
  }
  check_protocol(r, root, p);
  return p;
}

Protocol load_protocol_file(const std::string& path) {
  return parse_protocol(detail::read_text_file(path), path);
}

std::string protocol_to_json(const Protocol& protocol, int indent) {
  return detail::protocol_json(protocol).dump(indent);
}

}  // namespace headspa::care
