#include "headspa/plan/plan_io.hpp"

// GCC 12 reports a false -Wrestrict inside std::string concatenation (GCC bug 105651).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "headspa/core/error.hpp"

namespace headspa::plan {

namespace {

using nlohmann::json;

// Values are rounded to a fixed grid before writing so the text is short and a plan read back
// writes the same bytes.
double q(double v, double unit) { return std::round(v / unit) * unit; }

json vec(const Eigen::Vector3d& v, double unit) {
  return json::array({q(v.x(), unit), q(v.y(), unit), q(v.z(), unit)});
}

json segment_json(const Segment& s) {
  json j;
  j["kind"] = segment_kind_name(s.kind);
  j["step"] = s.step_id;
  j["title"] = s.title;
  j["start_s"] = q(s.start_s, 1e-4);
  j["end_s"] = q(s.end_s, 1e-4);
  if (s.kind == SegmentKind::kMassage) {
    j["technique"] = care::to_string(s.technique);
    json regions = json::array();
    std::vector<anatomy::Region> unique;
    for (auto r : s.regions) {
      if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(r);
    }
    std::sort(unique.begin(), unique.end());
    for (auto r : unique) regions.push_back(anatomy::region_name(r));
    j["regions"] = regions;
    if (s.direction) j["direction"] = care::to_string(*s.direction);
    if (s.point) j["point"] = anatomy::acupoint_name(*s.point);
    j["bilateral"] = s.bilateral;
    json params = json::object();
    for (const auto& p : s.parameters) params[p.name] = q(p.value, 1e-6);
    j["parameters"] = params;
    if (!s.cue.empty()) j["cue"] = s.cue;
  }
  if (s.kind == SegmentKind::kCare && s.care_kind) {
    j["care"] = care::to_string(*s.care_kind);
    json device = json::object();
    if (s.device.water_temp_c) device["water_temp_c"] = *s.device.water_temp_c;
    if (s.device.water_temp_c) device["water_hard_stop_c"] = s.device.water_hard_stop_c;
    if (s.device.steam_time_s) device["steam_time_s"] = *s.device.steam_time_s;
    if (s.device.steam_distance_m) device["steam_distance_m"] = *s.device.steam_distance_m;
    if (s.device.magnification) device["magnification"] = *s.device.magnification;
    j["device"] = device;
    if (!s.product_id.empty()) j["product"] = s.product_id;
    j["instruction"] = s.instruction;
  }
  if (s.needs_confirmation) j["needs_confirmation"] = true;
  json samples = json::array();
  for (const auto& r : s.samples) samples.push_back(json::array({r.first, r.end}));
  j["samples"] = samples;
  return j;
}

json track_json(const std::vector<Sample>& track) {
  json t = json::array(), x = json::array(), y = json::array(), z = json::array();
  json nx = json::array(), ny = json::array(), nz = json::array();
  json vx = json::array(), vy = json::array(), vz = json::array();
  json f = json::array(), region = json::array(), phase = json::array(), seg = json::array();
  for (const Sample& s : track) {
    t.push_back(q(s.t_s, 1e-4));
    x.push_back(q(s.position_m.x(), 1e-6));
    y.push_back(q(s.position_m.y(), 1e-6));
    z.push_back(q(s.position_m.z(), 1e-6));
    nx.push_back(q(s.normal.x(), 1e-5));
    ny.push_back(q(s.normal.y(), 1e-5));
    nz.push_back(q(s.normal.z(), 1e-5));
    vx.push_back(q(s.tangential_velocity_m_per_s.x(), 1e-5));
    vy.push_back(q(s.tangential_velocity_m_per_s.y(), 1e-5));
    vz.push_back(q(s.tangential_velocity_m_per_s.z(), 1e-5));
    f.push_back(q(s.force_n, 1e-4));
    region.push_back(static_cast<int>(s.region));
    phase.push_back(static_cast<int>(s.phase));
    seg.push_back(s.segment);
  }
  return json{{"t_s", t},         {"x_m", x},         {"y_m", y},     {"z_m", z},
              {"nx", nx},         {"ny", ny},         {"nz", nz},     {"vx_m_per_s", vx},
              {"vy_m_per_s", vy}, {"vz_m_per_s", vz}, {"force_n", f}, {"region", region},
              {"phase", phase},   {"segment", seg}};
}

}  // namespace

void write_plan_json(const SessionPlan& plan, std::ostream& out) {
  // One top-level key per line; values compact.
  auto line = [&out](const char* key, const json& value, bool last = false) {
    out << "  \"" << key << "\": " << value.dump(-1, ' ', false, json::error_handler_t::replace)
        << (last ? "\n" : ",\n");
  };
  out << "{\n";
  line("format", plan.format);
  line("protocol", plan.protocol_id);
  line("title", plan.title);
  line("duration_s", q(plan.duration_s, 1e-4));
  line("sample_rate_hz", plan.sample_rate_hz);
  json inputs{{"protocol_sha256", plan.inputs.protocol},
              {"intake_sha256", plan.inputs.intake},
              {"head_sha256", plan.inputs.head},
              {"scalp_report_sha256", plan.inputs.scalp_report},
              {"seed", plan.inputs.seed}};
  line("inputs", inputs);
  json limits{{"no_go_margin_m", plan.limits.no_go_margin_m},
              {"max_speed_m_per_s", plan.limits.max_speed_m_per_s},
              {"max_acceleration_m_per_s2", plan.limits.max_acceleration_m_per_s2},
              {"max_jerk_m_per_s3", plan.limits.max_jerk_m_per_s3},
              {"surface_tolerance_m", plan.limits.surface_tolerance_m},
              {"min_coverage", plan.limits.min_coverage},
              {"min_contact_separation_m", plan.limits.min_contact_separation_m},
              {"max_sample_gap_s", plan.limits.max_sample_gap_s},
              {"max_position_step_m", plan.limits.max_position_step_m}};
  line("limits", limits);
  json park = json::object();
  for (int c = 0; c < kContactCount; ++c) {
    park[std::string(contact_name(static_cast<Contact>(c)))] =
        vec(plan.park_position[static_cast<std::size_t>(c)], 1e-6);
  }
  line("park_position_m", park);
  json summary = json::array();
  for (const RegionSummary& r : plan.regions) {
    summary.push_back({{"region", anatomy::region_name(r.region)},
                       {"targeted", r.targeted},
                       {"contact_time_s", q(r.contact_time_s, 1e-3)},
                       {"coverage", q(r.coverage, 1e-4)},
                       {"workable_area_m2", q(r.workable_area_m2, 1e-7)},
                       {"peak_force_n", q(r.peak_force_n, 1e-4)},
                       {"cap_n", r.cap_n}});
  }
  line("summary", summary);
  json checks = json::array();
  for (const CheckResult& c : plan.validation.checks) {
    checks.push_back({{"check", c.check},
                      {"passed", c.passed},
                      {"worst", q(c.worst, 1e-6)},
                      {"limit", c.limit},
                      {"unit", c.unit}});
  }
  json issues = json::array();
  for (const ValidationIssue& i : plan.validation.issues) {
    issues.push_back({{"check", i.check}, {"message", i.message}});
  }
  line("validation", json{{"ok", plan.validation.ok}, {"checks", checks}, {"issues", issues}});
  line("notes", plan.notes);
  out << "  \"segments\": [\n";
  for (std::size_t i = 0; i < plan.segments.size(); ++i) {
    out << "    "
        << segment_json(plan.segments[i]).dump(-1, ' ', false, json::error_handler_t::replace)
        << (i + 1 < plan.segments.size() ? ",\n" : "\n");
  }
  out << "  ],\n";
  out << "  \"region_codes\": [";
  for (int r = 0; r < anatomy::kRegionCount; ++r) {
    out << (r > 0 ? ", " : "") << '"' << anatomy::region_name(static_cast<anatomy::Region>(r))
        << '"';
  }
  out << "],\n  \"phase_codes\": [\"approach\", \"contact\", \"lift\", \"travel\", \"hold\"],\n";
  out << "  \"tracks\": {\n";
  for (int c = 0; c < kContactCount; ++c) {
    out << "    \"" << contact_name(static_cast<Contact>(c))
        << "\": " << track_json(plan.tracks[static_cast<std::size_t>(c)]).dump()
        << (c + 1 < kContactCount ? ",\n" : "\n");
  }
  out << "  }\n}\n";
}

std::string plan_to_json(const SessionPlan& plan) {
  std::ostringstream out;
  write_plan_json(plan, out);
  return out.str();
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    InputLocation where;
    where.file = file_;
    where.field_path = field;
    throw InputError(where, what);
  }
  const json& at(const json& j, const std::string& key, const std::string& path) const {
    if (!j.is_object() || !j.contains(key)) fail(path, "missing");
    return j.at(key);
  }
  double number(const json& j, const std::string& path) const {
    if (!j.is_number()) fail(path, "expected a number");
    const double v = j.get<double>();
    if (!std::isfinite(v)) fail(path, "expected a finite number");
    return v;
  }
  std::string string(const json& j, const std::string& path) const {
    if (!j.is_string()) fail(path, "expected a string");
    return j.get<std::string>();
  }
  Eigen::Vector3d vec3(const json& j, const std::string& path) const {
    if (!j.is_array() || j.size() != 3) fail(path, "expected [x, y, z]");
    return {number(j[0], path + "[0]"), number(j[1], path + "[1]"), number(j[2], path + "[2]")};
  }

 private:
  std::string file_;
};

template <typename E>
E enum_of(const Reader& r, const json& j, const std::string& path) {
  const std::string s = r.string(j, path);
  const auto e = care::parse_enum<E>(s);
  if (!e) r.fail(path, "unknown value '" + s + "' (" + care::expected_one_of<E>() + ")");
  return *e;
}

}  // namespace

SessionPlan parse_plan_json(std::string_view text, std::string_view file_name) {
  const Reader r(file_name);
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    InputLocation where;
    where.file = std::string(file_name);
    throw InputError(where, std::string("not valid JSON: ") + e.what());
  }
  SessionPlan plan;
  plan.format = r.string(r.at(root, "format", "format"), "format");
  if (plan.format != "headspa/plan@1")
    r.fail("format", "expected headspa/plan@1, found " + plan.format);
  plan.protocol_id = r.string(r.at(root, "protocol", "protocol"), "protocol");
  if (root.contains("title")) plan.title = r.string(root["title"], "title");
  plan.duration_s = r.number(r.at(root, "duration_s", "duration_s"), "duration_s");
  plan.sample_rate_hz = r.number(r.at(root, "sample_rate_hz", "sample_rate_hz"), "sample_rate_hz");
  if (!(plan.duration_s >= 0.0) ||
      !(plan.sample_rate_hz >= 1.0 && plan.sample_rate_hz <= 10000.0)) {
    r.fail("sample_rate_hz", "expected 1-10000 Hz and a duration >= 0");
  }
  if (root.contains("inputs")) {
    const json& in = root["inputs"];
    auto str = [&](const char* k, std::string* out) {
      if (in.contains(k)) *out = r.string(in[k], std::string("inputs.") + k);
    };
    str("protocol_sha256", &plan.inputs.protocol);
    str("intake_sha256", &plan.inputs.intake);
    str("head_sha256", &plan.inputs.head);
    str("scalp_report_sha256", &plan.inputs.scalp_report);
    if (in.contains("seed")) {
      if (!in["seed"].is_number_unsigned()) r.fail("inputs.seed", "expected an unsigned integer");
      plan.inputs.seed = in["seed"].get<std::uint64_t>();
    }
  }
  if (root.contains("limits")) {
    const json& l = root["limits"];
    auto num = [&](const char* k, double* out) {
      if (l.contains(k)) *out = r.number(l[k], std::string("limits.") + k);
    };
    num("no_go_margin_m", &plan.limits.no_go_margin_m);
    num("max_speed_m_per_s", &plan.limits.max_speed_m_per_s);
    num("max_acceleration_m_per_s2", &plan.limits.max_acceleration_m_per_s2);
    num("max_jerk_m_per_s3", &plan.limits.max_jerk_m_per_s3);
    num("surface_tolerance_m", &plan.limits.surface_tolerance_m);
    num("min_coverage", &plan.limits.min_coverage);
    num("min_contact_separation_m", &plan.limits.min_contact_separation_m);
    num("max_sample_gap_s", &plan.limits.max_sample_gap_s);
    num("max_position_step_m", &plan.limits.max_position_step_m);
  }
  const json& park = r.at(root, "park_position_m", "park_position_m");
  for (int c = 0; c < kContactCount; ++c) {
    const std::string name(contact_name(static_cast<Contact>(c)));
    plan.park_position[static_cast<std::size_t>(c)] =
        r.vec3(r.at(park, name, "park_position_m." + name), "park_position_m." + name);
  }
  if (root.contains("summary")) {
    const json& summary = root["summary"];
    if (!summary.is_array()) r.fail("summary", "expected an array");
    for (std::size_t i = 0; i < summary.size(); ++i) {
      const std::string path = "summary[" + std::to_string(i) + "]";
      const json& s = summary[i];
      RegionSummary rs;
      const std::string name = r.string(r.at(s, "region", path + ".region"), path + ".region");
      const auto region = anatomy::parse_region(name);
      if (!region) r.fail(path + ".region", "unknown region '" + name + "'");
      rs.region = *region;
      rs.targeted = s.value("targeted", false);
      rs.contact_time_s = r.number(r.at(s, "contact_time_s", path), path + ".contact_time_s");
      rs.coverage = r.number(r.at(s, "coverage", path), path + ".coverage");
      rs.workable_area_m2 = r.number(r.at(s, "workable_area_m2", path), path + ".workable_area_m2");
      rs.peak_force_n = r.number(r.at(s, "peak_force_n", path), path + ".peak_force_n");
      rs.cap_n = r.number(r.at(s, "cap_n", path), path + ".cap_n");
      plan.regions.push_back(rs);
    }
  }
  if (root.contains("validation")) {
    const json& v = root["validation"];
    plan.validation.ok = v.value("ok", false);
    const json checks = v.value("checks", json::array());
    const json issues = v.value("issues", json::array());
    for (const json& c : checks) {
      plan.validation.checks.push_back({c.value("check", ""), c.value("passed", false),
                                        c.value("worst", 0.0), c.value("limit", 0.0),
                                        c.value("unit", "")});
    }
    for (const json& i : issues) {
      plan.validation.issues.push_back({i.value("check", ""), i.value("message", "")});
    }
  }
  if (root.contains("notes")) {
    for (std::size_t i = 0; i < root["notes"].size(); ++i) {
      plan.notes.push_back(r.string(root["notes"][i], "notes[" + std::to_string(i) + "]"));
    }
  }
  const json& segments = r.at(root, "segments", "segments");
  if (!segments.is_array()) r.fail("segments", "expected an array");
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string path = "segments[" + std::to_string(i) + "]";
    const json& sj = segments[i];
    Segment s;
    const std::string kind = r.string(r.at(sj, "kind", path + ".kind"), path + ".kind");
    if (kind == "massage") {
      s.kind = SegmentKind::kMassage;
    } else if (kind == "transition") {
      s.kind = SegmentKind::kTransition;
    } else if (kind == "care") {
      s.kind = SegmentKind::kCare;
    } else {
      r.fail(path + ".kind", "expected massage, transition or care, found '" + kind + "'");
    }
    s.step_id = r.string(r.at(sj, "step", path + ".step"), path + ".step");
    if (sj.contains("title")) s.title = r.string(sj["title"], path + ".title");
    s.start_s = r.number(r.at(sj, "start_s", path + ".start_s"), path + ".start_s");
    s.end_s = r.number(r.at(sj, "end_s", path + ".end_s"), path + ".end_s");
    if (s.end_s < s.start_s) r.fail(path + ".end_s", "ends before it starts");
    if (s.kind == SegmentKind::kMassage) {
      s.technique = enum_of<care::Technique>(r, r.at(sj, "technique", path + ".technique"),
                                             path + ".technique");
      const json regions = sj.value("regions", json::array());
      for (std::size_t k = 0; k < regions.size(); ++k) {
        const std::string rp = path + ".regions[" + std::to_string(k) + "]";
        const std::string name = r.string(sj["regions"][k], rp);
        const auto region = anatomy::parse_region(name);
        if (!region) r.fail(rp, "unknown region '" + name + "'");
        s.regions.push_back(*region);
      }
      if (sj.contains("direction")) {
        s.direction = enum_of<care::Direction>(r, sj["direction"], path + ".direction");
      }
      if (sj.contains("point")) {
        const std::string name = r.string(sj["point"], path + ".point");
        s.point = anatomy::parse_acupoint(name);
        if (!s.point) r.fail(path + ".point", "unknown pressure point '" + name + "'");
      }
      s.bilateral = sj.value("bilateral", false);
      const json params = sj.value("parameters", json::object());
      for (const auto& [k, v] : params.items()) {
        s.parameters.push_back({k, r.number(v, path + ".parameters." + k)});
      }
      if (sj.contains("cue")) s.cue = r.string(sj["cue"], path + ".cue");
    }
    if (s.kind == SegmentKind::kCare) {
      s.care_kind = enum_of<care::CareKind>(r, r.at(sj, "care", path + ".care"), path + ".care");
      const json device = sj.value("device", json::object());
      if (device.contains("water_temp_c"))
        s.device.water_temp_c = r.number(device["water_temp_c"], path + ".device.water_temp_c");
      if (device.contains("water_hard_stop_c"))
        s.device.water_hard_stop_c =
            r.number(device["water_hard_stop_c"], path + ".device.water_hard_stop_c");
      if (device.contains("steam_time_s"))
        s.device.steam_time_s = r.number(device["steam_time_s"], path + ".device.steam_time_s");
      if (device.contains("steam_distance_m"))
        s.device.steam_distance_m =
            r.number(device["steam_distance_m"], path + ".device.steam_distance_m");
      if (device.contains("magnification"))
        s.device.magnification = r.number(device["magnification"], path + ".device.magnification");
      if (sj.contains("product")) s.product_id = r.string(sj["product"], path + ".product");
      if (sj.contains("instruction"))
        s.instruction = r.string(sj["instruction"], path + ".instruction");
    }
    s.needs_confirmation = sj.value("needs_confirmation", false);
    const json& ranges = r.at(sj, "samples", path + ".samples");
    if (!ranges.is_array() || ranges.size() != kContactCount) {
      r.fail(path + ".samples", "expected one [first, end] pair per contact");
    }
    for (std::size_t c = 0; c < kContactCount; ++c) {
      const json& pr = ranges[c];
      if (!pr.is_array() || pr.size() != 2 || !pr[0].is_number_unsigned() ||
          !pr[1].is_number_unsigned() || pr[1].get<std::size_t>() < pr[0].get<std::size_t>()) {
        r.fail(path + ".samples[" + std::to_string(c) + "]",
               "expected [first, end] with first <= end");
      }
      s.samples[c] = {pr[0].get<std::size_t>(), pr[1].get<std::size_t>()};
    }
    plan.segments.push_back(std::move(s));
  }
  const json& tracks = r.at(root, "tracks", "tracks");
  for (int c = 0; c < kContactCount; ++c) {
    const std::string name(contact_name(static_cast<Contact>(c)));
    const std::string path = "tracks." + name;
    const json& t = r.at(tracks, name, path);
    const char* cols[] = {"t_s",     "x_m",    "y_m",        "z_m",        "nx",
                          "ny",      "nz",     "vx_m_per_s", "vy_m_per_s", "vz_m_per_s",
                          "force_n", "region", "phase",      "segment"};
    std::size_t n = 0;
    for (const char* col : cols) {
      const json& a = r.at(t, col, path + "." + col);
      if (!a.is_array()) r.fail(path + "." + col, "expected an array");
      if (col == cols[0]) n = a.size();
      if (a.size() != n)
        r.fail(path + "." + col,
               "has " + std::to_string(a.size()) + " values, t_s has " + std::to_string(n));
    }
    auto& track = plan.tracks[static_cast<std::size_t>(c)];
    track.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string at = "[" + std::to_string(i) + "]";
      Sample& s = track[i];
      auto num = [&](const char* col) { return r.number(t[col][i], path + "." + col + at); };
      s.t_s = num("t_s");
      s.position_m = {num("x_m"), num("y_m"), num("z_m")};
      s.normal = {num("nx"), num("ny"), num("nz")};
      s.tangential_velocity_m_per_s = {num("vx_m_per_s"), num("vy_m_per_s"), num("vz_m_per_s")};
      s.force_n = num("force_n");
      const double region = num("region");
      const double phase = num("phase");
      const double seg = num("segment");
      if (region < 0 || region >= anatomy::kRegionCount || region != std::floor(region)) {
        r.fail(path + ".region" + at,
               "expected a region code 0-" + std::to_string(anatomy::kRegionCount - 1));
      }
      if (phase < 0 || phase > 4 || phase != std::floor(phase))
        r.fail(path + ".phase" + at, "expected a phase code 0-4");
      if (seg < -1 || seg >= static_cast<double>(plan.segments.size()) || seg != std::floor(seg)) {
        r.fail(path + ".segment" + at, "expected a segment index");
      }
      s.region = static_cast<anatomy::Region>(static_cast<int>(region));
      s.phase = static_cast<Phase>(static_cast<int>(phase));
      s.segment = static_cast<int>(seg);
    }
  }
  return plan;
}

SessionPlan read_plan_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    InputLocation where;
    where.file = path;
    throw InputError(where, "cannot read the file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_plan_json(text.str(), path);
}

void write_samples_csv(const SessionPlan& plan, std::ostream& out) {
  out << "contact,t_s,x_m,y_m,z_m,nx,ny,nz,vx_m_per_s,vy_m_per_s,vz_m_per_s,force_n,region,phase,"
         "segment\n";
  char buf[512];
  for (int c = 0; c < kContactCount; ++c) {
    for (const Sample& s : plan.tracks[static_cast<std::size_t>(c)]) {
      const int n = std::snprintf(
          buf, sizeof buf, "%s,%.4f,%.6f,%.6f,%.6f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.4f,%s,%s,%d\n",
          std::string(contact_name(static_cast<Contact>(c))).c_str(), s.t_s, s.position_m.x(),
          s.position_m.y(), s.position_m.z(), s.normal.x(), s.normal.y(), s.normal.z(),
          s.tangential_velocity_m_per_s.x(), s.tangential_velocity_m_per_s.y(),
          s.tangential_velocity_m_per_s.z(), s.force_n,
          std::string(anatomy::region_name(s.region)).c_str(),
          std::string(phase_name(s.phase)).c_str(), s.segment);
      out.write(buf, n);
    }
  }
}

}  // namespace headspa::plan
