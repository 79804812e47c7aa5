// headspa run and headspa demo: one client end to end. Scalp analysis, screening,
// personalisation, plan, the session on the twin, records and the report. A refusal (screening,
// or a plan that fails validation) stops before any contact and says why.
//
// Compiled only where the build has the report and store modules (HEADSPA_WITH_RUN_COMMAND comes
// with headspa::report); developer builds that leave a module out have no run command.
#ifdef HEADSPA_WITH_RUN_COMMAND
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "command_registry.hpp"
#include "headspa/anatomy/head.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/home_care.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/scalp_findings.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/hash.hpp"
#include "headspa/geometry/mesh_hash.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/plan/planner.hpp"
#include "headspa/report/report.hpp"
#include "headspa/scalp/analyzer.hpp"
#include "headspa/sim/session.hpp"
#include "headspa/sim/twin.hpp"
#include "headspa/store/store.hpp"
#include "progress_bar.hpp"
#include "protocol_source.hpp"

namespace headspa::cli {
namespace {

constexpr const char* kDemoProtocol = "japanese-head-spa";

// The demo's sample client (the same answers as examples/demo-client.yaml; a test compares them).
constexpr const char* kDemoIntake =
    R"(# A sample client for the demo: stress and a dry scalp, medium pressure, 45 minutes.
format: headspa/intake@1
client: demo-001
conditions: []
goals: [stress, dry_scalp, headache]
pressure_preference: medium
sensitive_areas: []
allergies: [coconut_oil]
time_budget_s: 2700
hair_length: medium
)";

struct RunArgs {
  std::string intake;       // a file; empty for the demo's built-in client
  std::string intake_text;  // the demo's client
  std::string head;
  std::string units;
  std::vector<std::string> scalp;
  double um_per_px = 0.0;
  std::string protocol = kDemoProtocol;
  std::string db;
  std::string out = "headspa-run";
  std::uint64_t seed = 1;
  bool demo = false;
  bool print_intake = false;
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputLocation{path, 0, 0, ""}, "cannot read the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

std::string media_type(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "png") return "image/png";
  if (ext == "bmp") return "image/bmp";
  if (ext == "tif" || ext == "tiff") return "image/tiff";
  return "image/" + (ext.empty() ? std::string("unknown") : ext);
}

// The runner's events as the store's session log.
std::vector<store::SessionEvent> log_events(const sim::SimulationResult& r,
                                            const plan::SessionPlan& plan) {
  using control::EventKind;
  std::vector<store::SessionEvent> out;
  bool started = false;
  control::RunnerState previous = control::RunnerState::kReady;
  for (const auto& e : r.events) {
    store::SessionEvent s;
    s.t_s = e.t_s;
    std::string pad = e.pad >= 0 ? (e.pad == 0 ? " on the left pad" : " on the right pad") : "";
    const std::string name(control::event_kind_name(e.kind));
    switch (e.kind) {
      case EventKind::kStateChanged: {
        const auto state = static_cast<control::RunnerState>(e.value);
        const std::string state_name(control::runner_state_name(state));
        if (state == control::RunnerState::kApproaching && !started) {
          s.kind = store::EventKind::kStart;
          started = true;
        } else if (state == control::RunnerState::kPaused) {
          s.kind = store::EventKind::kPause;
        } else if (state == control::RunnerState::kMassaging &&
                   previous == control::RunnerState::kPaused) {
          s.kind = store::EventKind::kResume;
        } else {
          s.kind = store::EventKind::kNote;
        }
        s.cause = "state " + state_name;
        previous = state;
        break;
      }
      case EventKind::kSegmentStarted: {
        const auto i = static_cast<std::size_t>(e.value);
        s.kind = store::EventKind::kNote;
        s.cause = "segment " + std::to_string(i) +
                  (i < plan.segments.size() ? " (" + plan.segments[i].step_id + ")" : "");
        break;
      }
      case EventKind::kLiveCommand: {
        const auto c = static_cast<control::LiveCommand>(e.value);
        s.kind = c == control::LiveCommand::kSofter   ? store::EventKind::kSofter
                 : c == control::LiveCommand::kFirmer ? store::EventKind::kFirmer
                 : c == control::LiveCommand::kStop   ? store::EventKind::kStop
                                                      : store::EventKind::kNote;
        s.cause = "live command " + std::string(control::live_command_name(c));
        break;
      }
      case EventKind::kEStop:
      case EventKind::kForceOverCap:
      case EventKind::kAbsoluteForce:
      case EventKind::kSpeedLimit:
      case EventKind::kNoGoProximity:
      case EventKind::kHeadMoved:
      case EventKind::kCommandStall:
      case EventKind::kSensorDropout:
      case EventKind::kJointNearLimit:
      case EventKind::kDeviceFault: {
        s.kind = store::EventKind::kFault;
        char buf[96];
        std::snprintf(buf, sizeof buf, " (value %g)", e.value);
        s.cause = name + pad + buf;
        break;
      }
      case EventKind::kFinished:
        s.kind = store::EventKind::kFinish;
        s.cause = "finished";
        break;
      case EventKind::kAborted:
        s.kind = store::EventKind::kAbort;
        s.cause = r.metrics.abort_cause.empty() ? "aborted" : r.metrics.abort_cause;
        break;
      default: {
        s.kind = store::EventKind::kNote;
        char buf[96];
        std::snprintf(buf, sizeof buf, " (value %g)", e.value);
        s.cause = name + pad + buf;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

void run_session(const RunArgs& a) {
  const auto t_all = Clock::now();
  std::vector<std::pair<std::string, double>> stages;

  // Intake.
  const care::Intake intake = a.demo ? care::parse_intake(a.intake_text, "demo client (built in)")
                                     : care::load_intake_file(a.intake);
  const std::string intake_name = a.demo ? std::string("demo client (built in)") : a.intake;
  std::printf("headspa run: %s, protocol %s\n",
              intake.client.empty() ? intake_name.c_str() : intake.client.c_str(),
              a.protocol.c_str());

  // Scalp analysis.
  auto t0 = Clock::now();
  std::optional<scalp::ScalpAnalysis> analysis;
  std::vector<report::ScalpPicture> pictures;
  care::ScalpFindings findings;
  if (!a.scalp.empty()) {
    scalp::AnalyzerOptions options;
    options.um_per_px = a.um_per_px;
    std::string why;
    if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "--um-per-px"}, why);
    scalp::ScalpAnalyzer analyzer(options);
    std::vector<scalp::ImageAnalysis> images;
    for (const auto& path : a.scalp) {
      scalp::Overlay overlay;
      images.push_back(analyzer.analyze_file(path, &overlay));
      pictures.push_back({path, scalp::load_image(path), std::move(overlay.image)});
    }
    analysis = scalp::aggregate(std::move(images));
    findings = care::parse_scalp_findings(scalp::to_json(*analysis), "scalp analysis");
    std::printf("  scalp: ");
    for (const auto& f : analysis->findings) {
      std::printf("%s %.2f%s  ", f.name.c_str(), f.score, f.present ? " (present)" : "");
    }
    std::printf("\n");
    stages.emplace_back("scalp analysis", since(t0));
  }

  // Screening and the at-home routine.
  const care::ScalpFindings* found = analysis ? &findings : nullptr;
  const care::ScreeningResult screening = care::screen(intake, found, care::builtin_rules());
  const care::HomeCareRoutine home =
      care::make_home_care(intake, found, care::builtin_rules(), care::builtin_catalogue());
  std::printf("  screening: %s\n", screening.BriefReport().c_str());

  // Records: the client and what they brought.
  t0 = Clock::now();
  const std::string location = a.db.empty() && a.demo
                                   ? (std::filesystem::path(a.out) / "headspa.db").string()
                                   : store::resolve_location(a.db);
  // A new SQLite file may be named in a folder that does not exist yet.
  if (!store::is_postgres_location(location)) {
    const auto folder = std::filesystem::path(location).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
  }
  store::Store db = store::open_store(location);
  const store::Client client = db.create_client(
      intake.client.empty() ? std::nullopt : std::optional<std::string>(intake.client));
  const store::RecordId intake_id = db.add_intake(client.id, care::intake_to_json(intake));
  db.add_screening(client.id, intake_id, std::string(care::to_string(screening.decision)),
                   care::screening_to_json(screening));
  if (analysis) {
    std::vector<store::ScalpImage> images;
    for (const auto& path : a.scalp) {
      images.push_back({std::filesystem::path(path).filename().string(), media_type(path),
                        read_bytes(path), ""});
    }
    db.add_scalp_analysis(client.id, scalp::to_json(*analysis), images);
  }
  stages.emplace_back("records", since(t0));

  report::ReportInputs in;
  in.intake = &intake;
  in.intake_file = intake_name;
  in.screening = &screening;
  in.home_care = &home;
  in.scalp = analysis ? &*analysis : nullptr;
  in.scalp_pictures = std::move(pictures);
  in.records.database = db.location();
  in.records.client_id = client.id;

  const auto finish = [&](const report::ReportInputs& inputs, int status) {
    const auto tr = Clock::now();
    const report::SessionReport rep = report::make_report(inputs);
    const std::string path = report::write_report(rep, a.out);
    stages.emplace_back("report", since(tr));
    std::printf("%s: %s\n", std::string(report::outcome_name(rep.outcome)).c_str(),
                rep.summary.c_str());
    std::string timing;
    for (const auto& [name, s] : stages) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%s %.1f s", timing.empty() ? "" : ", ", name.c_str(), s);
      timing += buf;
    }
    std::printf("  time: %s; %.1f s in all\n", timing.c_str(), since(t_all));
    std::printf("report: %s\n", std::filesystem::absolute(path).string().c_str());
    set_exit_status(status);
  };

  // A refusal stops here: nothing is planned and nothing touches the client.
  if (screening.decision == care::Decision::kRefused) {
    std::printf("refused before any contact:\n");
    for (const auto& r : screening.reasons()) std::printf("  %s\n", r.c_str());
    finish(in, kExitRefused);
    return;
  }

  // Personalisation.
  const care::Protocol protocol = protocol_by_id_or_file(a.protocol);
  const care::PersonalisedProtocol personal =
      care::personalise(protocol, intake, screening, found, care::builtin_catalogue());
  in.personalised = &personal;
  std::printf("  personalised: %s\n", personal.BriefReport().c_str());

  // The head.
  t0 = Clock::now();
  const anatomy::Head head =
      a.head.empty() ? anatomy::built_in_head({})
                     : anatomy::import_head(a.head, anatomy::import_options_for_units(a.units));
  in.head = &head;
  in.head_source = a.head.empty() ? std::string("built-in head (female, 50th percentile)")
                                  : a.head + " (" + head.unit_note + ")";
  if (!a.head.empty()) {
    store::HeadScan scan;
    scan.client_id = client.id;
    scan.format = lower_extension(a.head);
    scan.unit_note = head.unit_note;
    scan.mesh_path = std::filesystem::absolute(a.head).string();
    db.add_head_scan(scan);
  }
  stages.emplace_back("head", since(t0));

  // The plan, validated; a plan that fails validation is a refusal to plan.
  t0 = Clock::now();
  const plan::PlanningSurface surface(head);
  plan::PlanInputs inputs;
  inputs.protocol = &personal;
  inputs.intake = &intake;
  inputs.seed = a.seed;
  inputs.hashes.protocol = sha256_hex(care::personalised_to_json(personal));
  inputs.hashes.intake = sha256_hex(care::intake_to_json(intake));
  inputs.hashes.head = geometry::mesh_sha256(head.mesh);
  if (analysis) inputs.hashes.scalp_report = sha256_hex(scalp::to_json(*analysis));
  plan::SessionPlan session_plan;
  try {
    session_plan = plan::make_plan(surface, inputs);
  } catch (const plan::PlanRejected& e) {
    stages.emplace_back("plan", since(t0));
    // The planner's message, one line per issue (its issues when the message lists none).
    std::istringstream lines(e.what());
    for (std::string line; std::getline(lines, line);) {
      const auto first = line.find_first_not_of(' ');
      if (first != std::string::npos) in.plan_rejection.push_back(line.substr(first));
    }
    if (in.plan_rejection.size() <= 1) {
      for (const auto& issue : e.report().issues) {
        in.plan_rejection.push_back(issue.check + ": " + issue.message);
      }
    }
    std::printf("plan rejected before any contact:\n");
    for (const auto& line : in.plan_rejection) std::printf("  %s\n", line.c_str());
    const plan::ValidationReport validation = e.report();
    in.rejected_validation = &validation;
    finish(in, kExitRefused);
    return;
  }
  stages.emplace_back("plan", since(t0));
  in.plan = &session_plan;
  std::printf("  plan: %zu segments, %.0f s, validation passed\n", session_plan.segments.size(),
              session_plan.duration_s);

  // Record the plan and the session, then run it on the twin.
  t0 = Clock::now();
  store::Plan plan_record;
  plan_record.client_id = client.id;
  plan_record.protocol_id = session_plan.protocol_id;
  plan_record.json = plan::plan_to_json(session_plan);
  const auto add_hash = [&](const char* name, const std::string& sha) {
    if (!sha.empty()) plan_record.input_hashes[name] = sha;
  };
  add_hash("protocol", inputs.hashes.protocol);
  add_hash("intake", inputs.hashes.intake);
  add_hash("head", inputs.hashes.head);
  add_hash("scalp_report", inputs.hashes.scalp_report);
  // The whole plan goes beside the report; a long session's samples can outgrow one record,
  // and then the record keeps the plan without its samples and names the file that has them.
  const std::string plan_path = (std::filesystem::path(a.out) / "plan.json").string();
  std::filesystem::create_directories(a.out);
  {
    std::ofstream out(plan_path, std::ios::binary);
    out << plan_record.json;
    if (!out) throw InputError(InputLocation{plan_path, 0, 0, ""}, "cannot write the plan");
  }
  store::RecordId plan_id = 0;
  try {
    plan_id = db.add_plan(plan_record);
  } catch (const InputError& e) {
    if (e.where().field_path != "plan.json") throw;
    plan::SessionPlan summary = session_plan;
    for (auto& track : summary.tracks) track.clear();
    for (auto& segment : summary.segments) segment.samples = {};
    summary.notes.push_back("samples left out of this record (" + e.message() + "); plan " +
                            sha256_hex(plan_record.json) + " with its samples is in " +
                            std::filesystem::absolute(plan_path).string());
    plan_record.json = plan::plan_to_json(summary);
    plan_id = db.add_plan(plan_record);
    std::printf("  records: the plan's samples are too large for one record; they are in %s\n",
                plan_path.c_str());
  }
  const store::RecordId session_id = db.create_session(client.id, plan_id);
  in.records.plan_id = plan_id;
  in.records.session_id = session_id;
  db.set_session_state(session_id, store::SessionState::kRunning);
  stages.emplace_back("records", since(t0));

  t0 = Clock::now();
  sim::SimulationOptions options;
  options.twin.seed = a.seed;
  if (isatty(STDERR_FILENO)) options.progress = [](double f) { progress_bar(f, "  twin "); };
  const sim::SimulationResult result = sim::simulate(session_plan, head, options);
  stages.emplace_back("twin session", since(t0));
  in.session = &result;
  in.pad_radius_m = options.twin.pad_radius_m;
  {
    // The cradle's rest pose maps the head frame into the twin's world.
    const sim::Twin twin(head, options.twin);
    in.world_to_head = twin.head_rest_pose().inverse();
  }

  // The session's log into the records.
  t0 = Clock::now();
  std::vector<store::TraceSample> samples;
  samples.reserve(result.trace.size());
  for (const auto& row : result.trace) {
    store::TraceSample s;
    s.t_s = row.t_s;
    s.contact = static_cast<std::uint32_t>(row.pad);
    s.commanded_force_n = row.commanded_force_n;
    s.measured_force_n = std::isfinite(row.measured_force_n) ? row.measured_force_n : 0.0;
    const Eigen::Vector3d c = in.world_to_head * row.commanded_position_m;
    const Eigen::Vector3d m = in.world_to_head * row.measured_position_m;
    s.commanded_position_m = {c.x(), c.y(), c.z()};
    s.measured_position_m = {m.x(), m.y(), m.z()};
    samples.push_back(s);
  }
  db.append_session_log(session_id, log_events(result, session_plan), samples);
  const bool finished = result.metrics.outcome == control::RunnerState::kFinished;
  db.set_session_state(
      session_id, finished ? store::SessionState::kFinished : store::SessionState::kAborted,
      finished ? std::string("completed")
               : "aborted: " + (result.metrics.abort_cause.empty() ? std::string("stopped")
                                                                   : result.metrics.abort_cause));
  stages.emplace_back("records", since(t0));

  const bool safe = report::session_met_safety(result.metrics);
  finish(in, !safe ? kExitUnsafe : finished ? kExitOk : kExitAborted);
}

void add_run_options(CLI::App* cmd, RunArgs& args) {
  cmd->add_option("--head", args.head, "Head scan (OBJ, PLY, STL, glTF); default: built-in head");
  cmd->add_option("--units", args.units, "Units of --head: m|dm|cm|mm|in|auto (default: inferred)");
  cmd->add_option("--scalp", args.scalp, "Magnified scalp photographs (JPEG, PNG, BMP)");
  cmd->add_option("--um-per-px", args.um_per_px, "Scale of the scalp photographs (µm per pixel)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--db", args.db,
                  "Records: an SQLite file or a postgresql:// URL (default: the user's "
                  "headspa.db; for the demo, DIR/headspa.db)");
  cmd->add_option("--seed", args.seed, "Seed of the plan and the twin's sensor noise");
}

void add_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand(
      "run",
      "One client end to end: scalp analysis, screening, personalisation, plan, the session on "
      "the twin, records and the report (exit 0 finished, 3 refused or plan rejected, 4 aborted "
      "safely, 5 a safety requirement missed, 2 bad input)");
  run->add_option("--intake", args->intake, "Intake file (YAML or JSON)")->required();
  run->add_option("--protocol", args->protocol, "Protocol id or file (default japanese-head-spa)");
  run->add_option("-o,--output", args->out, "Folder for report.html and report.json");
  add_run_options(run, *args);
  run->callback([args] { run_session(*args); });

  auto demo_args = std::make_shared<RunArgs>();
  demo_args->demo = true;
  demo_args->intake_text = kDemoIntake;
  demo_args->out = "headspa-demo";
  auto* demo = app.add_subcommand(
      "demo",
      "A sample client on the built-in head through the Japanese head spa, on the twin; prints "
      "where the report is");
  demo->add_option("-o,--output", demo_args->out, "Folder for the report and the records");
  demo->add_flag("--print-intake", demo_args->print_intake,
                 "Print the sample client's intake and exit");
  add_run_options(demo, *demo_args);
  demo->callback([demo_args] {
    if (demo_args->print_intake) {
      std::fputs(kDemoIntake, stdout);
      return;
    }
    run_session(*demo_args);
  });
}

const bool kRunRegistered = register_area(45, &add_run);

}  // namespace
}  // namespace headspa::cli

#endif  // HEADSPA_WITH_RUN_COMMAND
