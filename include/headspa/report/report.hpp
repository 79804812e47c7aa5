// The session report: one self-contained HTML page (inline CSS, SVG, a little JavaScript and
// PNG pictures as data URIs; no external address) and a JSON document beside it
// (format headspa/session-report@1). It says what was decided and why, every change made for the
// client, time and coverage per region, force against time with the caps, the head with its
// coverage map, the scalp findings with the analyser's overlays, and the at-home routine.
//
//   report::ReportInputs in;                   // pointers to what the stages produced
//   in.intake = &intake; in.screening = &screening; in.home_care = &routine; ...
//   const report::SessionReport r = report::make_report(in);
//   report::write_report(r, "out/");           // out/report.html and out/report.json
//
// A report can be made at any stage: after a refusal (no plan, no session), after the planner
// rejected the plan (its validation messages), or after a session on the twin.
#pragma once

#include <Eigen/Geometry>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/care/home_care.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/plan/session_plan.hpp"
#include "headspa/report/render.hpp"
#include "headspa/scalp/analysis.hpp"
#include "headspa/scalp/image.hpp"
#include "headspa/sim/session.hpp"

namespace headspa::report {

// How the run ended, from the client's point of view.
enum class Outcome : std::uint8_t {
  kRefused,       // screening refused: no plan, no contact
  kPlanRejected,  // the plan failed validation: no contact
  kFinished,      // the session ran to its end
  kAborted,       // the session stopped early and safely
  kUnsafe,        // a safety requirement was missed (see the metrics)
};
std::string_view outcome_name(Outcome outcome) noexcept;  // "refused", "plan_rejected", ...

// One scalp photograph as analysed: the picture and what the analyser drew over it.
struct ScalpPicture {
  std::string name;      // file name as given
  scalp::Image photo;    // decoded photograph
  scalp::Image overlay;  // the analyser's overlay (same size)
};

// Where the run's records were kept.
struct RecordRefs {
  std::string database;  // location (a PostgreSQL password shown as ***)
  std::string client_id;
  std::int64_t plan_id = 0;     // 0: none stored
  std::int64_t session_id = 0;  // 0: none stored
};

// Everything a report can show; pointers may be null where a stage did not run.
struct ReportInputs {
  const care::Intake* intake = nullptr;                      // required
  std::string intake_file;                                   // as given
  const care::ScreeningResult* screening = nullptr;          // required
  const care::PersonalisedProtocol* personalised = nullptr;  // null when refused
  const care::HomeCareRoutine* home_care = nullptr;          // required
  const scalp::ScalpAnalysis* scalp = nullptr;               // null without photographs
  std::vector<ScalpPicture> scalp_pictures;
  const anatomy::Head* head = nullptr;      // null: no pictures of the head
  std::string head_source;                  // "built-in head" or the scan's path and unit note
  const plan::SessionPlan* plan = nullptr;  // null when refused or rejected
  std::vector<std::string> plan_rejection;  // the planner's messages when rejected
  const plan::ValidationReport* rejected_validation = nullptr;  // its checks, when rejected
  const sim::SimulationResult* session = nullptr;               // null when no session ran
  // Maps the twin's world-frame pad positions into the head frame (the cradle's rest pose,
  // inverted); used to put the delivered contact on the head.
  Eigen::Isometry3d world_to_head = Eigen::Isometry3d::Identity();
  double pad_radius_m = 0.0075;  // the pad's radius, for the coverage map
  RecordRefs records;
};

// One modification made for the client, with its reason.
struct Modification {
  std::string source;   // "screening", "personalisation", "product", "confirmation", "planner"
  std::string step_id;  // empty: the whole session
  std::string what;
  std::string reason;
};

// A step as planned for the client.
struct StepLine {
  std::string id, title, kind;  // kind: a technique or a care kind
  double duration_s = 0;
  std::vector<care::RegionPressure> pressure;  // massage steps: fraction of each region's cap
  std::string product_id;                      // care steps: the product, empty when none
  std::string product;                         // its name
  bool needs_confirmation = false;
};

// Time, coverage and force on one region: as planned and as delivered on the twin.
struct RegionLine {
  anatomy::Region region = anatomy::Region::kOther;
  bool targeted = false;
  double planned_time_s = 0;        // contact time in the plan, both contacts
  double planned_coverage = 0;      // 0-1, the planner's figure
  double delivered_time_s = 0;      // contact on the twin (true force above 0.1 N), both pads
  double delivered_coverage = 0;    // 0-1 of the region's area within a pad of delivered contact
  double planned_peak_force_n = 0;  // the plan's highest target force
  double peak_force_n = 0;          // true force on the skin in the twin (0 without a session)
  double cap_n = 0;                 // the tissue map's cap
};

// Force on one pad, resampled for the chart: each point is the peak over its interval.
struct ForceSeries {
  int pad = 0;  // 0 left, 1 right
  std::vector<double> t_s;
  std::vector<double> commanded_n;
  std::vector<double> measured_n;  // the wrist sensor's reading (NaN during a dropout)
  std::vector<double> true_n;      // the twin's ground truth on the skin
  std::vector<double> cap_n;       // cap of the region under the pad (0 in the air)
};

// A noteworthy event of the session (state changes, faults, aborts; not every segment start).
struct EventLine {
  double t_s = 0;
  std::string kind;
  std::string detail;
};

// The report's content, computed once; the HTML and JSON are written from it.
struct SessionReport {
  std::string format = "headspa/session-report@1";
  Outcome outcome = Outcome::kRefused;
  std::string summary;  // one sentence
  std::string client;
  std::string intake_file;
  std::string protocol_id, protocol_title;
  std::string decision;                       // screening: proceed, modified or refused
  std::vector<std::string> decision_reasons;  // every matched rule, "rule-id: reason"
  std::vector<Modification> modifications;
  std::vector<StepLine> steps;
  double planned_duration_s = 0;
  // Plan validation (also when rejected).
  bool plan_made = false;
  std::vector<plan::CheckResult> checks;
  std::vector<std::string> plan_rejection;
  std::vector<RegionLine> regions;
  // The session on the twin.
  bool session_ran = false;
  std::string session_outcome;  // the runner's final state
  std::string abort_cause;
  sim::SessionMetrics metrics;
  std::vector<ForceSeries> force;
  std::vector<EventLine> events;
  // Pictures (PNG data URIs) of the head coloured by delivered contact, one per view.
  std::string head_source;
  std::vector<std::pair<std::string, std::string>> head_pictures;  // view name, data URI
  double max_dwell_s = 0;  // the longest contact time on one spot (the colour scale's top)
  // Scalp.
  bool scalp_analysed = false;
  scalp::ScalpAnalysis scalp;
  std::vector<std::pair<std::string, std::string>> scalp_pictures;  // photo URI, overlay URI
  // At home.
  care::HomeCareRoutine home_care;
  RecordRefs records;
};

// Computes the report. InputError when a required input is missing.
SessionReport make_report(const ReportInputs& inputs);

// The report as JSON (pictures left out).
std::string report_to_json(const SessionReport& report);

// The report as one self-contained HTML page.
std::string report_to_html(const SessionReport& report);

// Writes report.html and report.json into `directory` (created if needed) and returns the
// HTML's path. InputError when the folder cannot be written.
std::string write_report(const SessionReport& report, const std::string& directory);

// The safety requirements one session must meet: it ended safe (pads clear, heater off), no pad
// stayed above its cap + 10 % for more than 10 ms, and an emergency stop retracted within 100 ms.
bool session_met_safety(const sim::SessionMetrics& metrics) noexcept;

// Colour of a spot on the coverage map: contact time there (seconds), 0 for untouched.
Rgb coverage_colour(double dwell_s, double max_dwell_s) noexcept;

// Per-vertex contact time (seconds) from pad-centre positions in the head frame sampled every
// `dt_s`: a vertex counts as touched while a pad centre lies within `radius_m` of it.
std::vector<double> vertex_dwell_s(const geometry::TriangleMesh& mesh,
                                   const std::vector<Eigen::Vector3d>& contact_points_m,
                                   double dt_s, double radius_m);

}  // namespace headspa::report
