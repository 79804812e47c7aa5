#include <nlohmann/json.hpp>

#include <cmath>

#include "headspa/report/report.hpp"

namespace headspa::report {
namespace {

using Json = nlohmann::ordered_json;

// NaN and infinities are not JSON: null.
Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json numbers(const std::vector<double>& v) {
  Json out = Json::array();
  for (double x : v) out.push_back(number(std::round(x * 1000.0) / 1000.0));
  return out;
}

}  // namespace

std::string report_to_json(const SessionReport& r) {
  Json j;
  j["format"] = r.format;
  j["outcome"] = outcome_name(r.outcome);
  j["summary"] = r.summary;
  j["client"] = r.client;
  j["intake_file"] = r.intake_file;
  j["protocol"] = {{"id", r.protocol_id}, {"title", r.protocol_title}};
  j["decision"] = {{"decision", r.decision}, {"reasons", r.decision_reasons}};
  Json mods = Json::array();
  for (const auto& m : r.modifications) {
    mods.push_back(
        {{"source", m.source}, {"step", m.step_id}, {"what", m.what}, {"reason", m.reason}});
  }
  j["modifications"] = mods;
  Json steps = Json::array();
  for (const auto& s : r.steps) {
    Json pressure = Json::array();
    for (const auto& p : s.pressure) {
      pressure.push_back({{"region", care::to_string(p.region)}, {"fraction", p.fraction}});
    }
    steps.push_back({{"id", s.id},
                     {"title", s.title},
                     {"kind", s.kind},
                     {"duration_s", s.duration_s},
                     {"pressure", pressure},
                     {"product_id", s.product_id},
                     {"product", s.product},
                     {"needs_confirmation", s.needs_confirmation}});
  }
  j["steps"] = steps;
  j["planned_duration_s"] = r.planned_duration_s;
  Json plan = {{"made", r.plan_made}, {"rejection", r.plan_rejection}};
  Json checks = Json::array();
  for (const auto& c : r.checks) {
    checks.push_back({{"check", c.check},
                      {"passed", c.passed},
                      {"worst", number(c.worst)},
                      {"limit", number(c.limit)},
                      {"unit", c.unit}});
  }
  plan["checks"] = checks;
  j["plan"] = plan;
  Json regions = Json::array();
  for (const auto& l : r.regions) {
    regions.push_back({{"region", anatomy::region_name(l.region)},
                       {"targeted", l.targeted},
                       {"planned_time_s", l.planned_time_s},
                       {"planned_coverage", l.planned_coverage},
                       {"delivered_time_s", l.delivered_time_s},
                       {"delivered_coverage", l.delivered_coverage},
                       {"planned_peak_force_n", l.planned_peak_force_n},
                       {"peak_force_n", l.peak_force_n},
                       {"cap_n", l.cap_n}});
  }
  j["regions"] = regions;
  Json session = {{"ran", r.session_ran}};
  if (r.session_ran) {
    session["outcome"] = r.session_outcome;
    session["abort_cause"] = r.abort_cause;
    session["met_safety"] = session_met_safety(r.metrics);
    session["metrics"] = Json::parse(sim::metrics_to_json(r.metrics));
    Json force = Json::array();
    for (const auto& s : r.force) {
      force.push_back({{"pad", s.pad == 0 ? "left" : "right"},
                       {"t_s", numbers(s.t_s)},
                       {"commanded_n", numbers(s.commanded_n)},
                       {"measured_n", numbers(s.measured_n)},
                       {"true_n", numbers(s.true_n)},
                       {"cap_n", numbers(s.cap_n)}});
    }
    session["force"] = force;
    Json events = Json::array();
    for (const auto& e : r.events) {
      events.push_back({{"t_s", e.t_s}, {"event", e.kind}, {"detail", e.detail}});
    }
    session["events"] = events;
  }
  j["session"] = session;
  j["head"] = {{"source", r.head_source}, {"max_dwell_s", r.max_dwell_s}};
  j["scalp"] = r.scalp_analysed ? Json::parse(scalp::to_json(r.scalp)) : Json(nullptr);
  j["home_care"] = Json::parse(care::home_care_to_json(r.home_care));
  j["records"] = {{"database", r.records.database},
                  {"client_id", r.records.client_id},
                  {"plan_id", r.records.plan_id},
                  {"session_id", r.records.session_id}};
  return j.dump(2) + "\n";
}

}  // namespace headspa::report
