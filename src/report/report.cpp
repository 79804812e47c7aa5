#include "headspa/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <map>

#include "headspa/care/products.hpp"
#include "headspa/core/error.hpp"
#include "vertex_grid.hpp"

namespace headspa::report {
namespace {

constexpr double kContactForceN = 0.1;      // true force above this: the pad touches the skin
constexpr std::size_t kChartPoints = 1500;  // per pad
constexpr std::size_t kMaxEvents = 300;

[[gnu::format(printf, 1, 2)]] std::string format(const char* text, ...) {
  char buf[128];
  va_list args;
  va_start(args, text);
  std::vsnprintf(buf, sizeof buf, text, args);
  va_end(args);
  return buf;
}

std::vector<StepLine> step_lines(const care::PersonalisedProtocol& p) {
  std::vector<StepLine> out;
  for (const auto& ps : p.steps) {
    StepLine line;
    line.id = ps.step.id;
    line.title = ps.step.title;
    line.duration_s = ps.step.duration_s;
    line.needs_confirmation = ps.needs_confirmation;
    if (ps.step.is_massage()) {
      line.kind = std::string(care::to_string(ps.step.massage().technique));
      line.pressure = ps.pressure;
    } else {
      line.kind = std::string(care::to_string(ps.step.care().kind));
      line.product_id = ps.product_id;
      if (!ps.product_id.empty()) {
        const care::Product* product = care::builtin_catalogue().find(ps.product_id);
        line.product = product ? product->name : ps.product_id;
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<Modification> modifications(const ReportInputs& in) {
  std::vector<Modification> out;
  if (in.personalised) {
    for (const auto& c : in.personalised->changes) {
      out.push_back({"personalisation", c.step_id, c.what, c.reason});
    }
    for (const auto& e : in.personalised->excluded_products) {
      out.push_back({"product", "", "product " + e.product_id + " is never used", e.reason});
    }
    for (const auto& c : in.personalised->confirmations) {
      std::string steps;
      for (const auto& s : c.step_ids) steps += (steps.empty() ? "" : ", ") + s;
      out.push_back(
          {"confirmation", steps,
           "the operator confirms " +
               (steps.empty() ? std::string("before the session starts") : "before " + steps),
           c.reason});
    }
  }
  if (in.plan) {
    for (const auto& n : in.plan->notes) out.push_back({"planner", "", n, "planner adaptation"});
  }
  return out;
}

// Peak-preserving resampling of the trace into at most kChartPoints points per pad.
std::vector<ForceSeries> force_series(const sim::SimulationResult& r) {
  std::vector<ForceSeries> out(2);
  out[0].pad = 0;
  out[1].pad = 1;
  const double end = r.trace.empty() ? 0.0 : r.trace.back().t_s;
  const double width = std::max(0.01, end / static_cast<double>(kChartPoints));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto& s : out) {
    long bucket = -1;
    for (const auto& row : r.trace) {
      if (row.pad != s.pad) continue;
      const long b = static_cast<long>(row.t_s / width);
      if (b != bucket) {
        bucket = b;
        s.t_s.push_back(row.t_s);
        s.commanded_n.push_back(0.0);
        s.measured_n.push_back(nan);
        s.true_n.push_back(0.0);
        s.cap_n.push_back(0.0);
      }
      s.commanded_n.back() = std::max(s.commanded_n.back(), row.commanded_force_n);
      if (std::isfinite(row.measured_force_n)) {
        s.measured_n.back() = std::isfinite(s.measured_n.back())
                                  ? std::max(s.measured_n.back(), row.measured_force_n)
                                  : row.measured_force_n;
      }
      s.true_n.back() = std::max(s.true_n.back(), row.true_force_n);
      // The lowest cap met in the interval, so a chart never hides a force above a cap.
      if (row.cap_n > 0) {
        s.cap_n.back() = s.cap_n.back() > 0 ? std::min(s.cap_n.back(), row.cap_n) : row.cap_n;
      }
    }
  }
  return out;
}

std::string event_detail(const control::SessionEvent& e, const plan::SessionPlan* plan) {
  using control::EventKind;
  switch (e.kind) {
    case EventKind::kStateChanged:
      return "state " +
             std::string(control::runner_state_name(static_cast<control::RunnerState>(e.value)));
    case EventKind::kLiveCommand:
      return std::string(control::live_command_name(static_cast<control::LiveCommand>(e.value)));
    case EventKind::kDeviceOn:
    case EventKind::kDeviceOff:
    case EventKind::kDeviceFault:
      return std::string(control::device_name(static_cast<control::Device>(e.value)));
    case EventKind::kCareSkipped: {
      const auto i = static_cast<std::size_t>(e.value);
      return plan && i < plan->segments.size() ? "step " + plan->segments[i].step_id
                                               : format("segment %.0f", e.value);
    }
    case EventKind::kForceOverCap:
    case EventKind::kAbsoluteForce:
    case EventKind::kSensorTared:
      return format("%.2f N", e.value);
    case EventKind::kSpeedLimit:
      return format("%.3f m/s", e.value);
    case EventKind::kNoGoProximity:
    case EventKind::kHeadMoved:
    case EventKind::kHeadReregistered:
      return format("%.4f m", e.value);
    case EventKind::kCommandStall:
    case EventKind::kRetracted:
      return format("%.3f s", e.value);
    default:
      return e.value != 0 ? format("%g", e.value) : std::string();
  }
}

// Per-region lines from the plan, then the session's delivered contact on the head.
void fill_regions(const ReportInputs& in, SessionReport& out, std::vector<double>* dwell) {
  std::map<anatomy::Region, RegionLine> lines;
  if (in.plan) {
    for (const auto& r : in.plan->regions) {
      RegionLine& l = lines[r.region];
      l.region = r.region;
      l.targeted = r.targeted;
      l.planned_time_s = r.contact_time_s;
      l.planned_coverage = r.coverage;
      l.planned_peak_force_n = r.peak_force_n;
      l.cap_n = r.cap_n;
    }
  }
  if (in.session && in.head) {
    const auto& mesh = in.head->mesh;
    const detail::VertexGrid grid(mesh.vertices, {}, 0.02);
    std::vector<Eigen::Vector3d> contact_points;
    const double dt = in.session->trace.size() >= 4
                          ? std::max(1e-4, in.session->trace[2].t_s - in.session->trace[0].t_s)
                          : 0.01;
    for (const auto& row : in.session->trace) {
      if (row.true_force_n <= kContactForceN) continue;
      const Eigen::Vector3d p = in.world_to_head * row.measured_position_m;
      contact_points.push_back(p);
      const int v = grid.nearest(p, 0.02);
      if (v < 0) continue;
      const anatomy::Region region = in.head->regions[v];
      if (!anatomy::is_massage_region(region)) continue;
      RegionLine& l = lines[region];
      l.region = region;
      l.cap_n = anatomy::tissue(region).force_cap_n;
      l.delivered_time_s += dt;
      l.peak_force_n = std::max(l.peak_force_n, row.true_force_n);
    }
    *dwell = vertex_dwell_s(mesh, contact_points, dt, in.pad_radius_m);
    // Delivered coverage: share of each region's workable area (at least the no-go margin from
    // a no-go zone) within a pad of delivered contact.
    const double margin = in.plan ? in.plan->limits.no_go_margin_m : 0.01;
    std::vector<int> no_go;
    for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
      if (anatomy::is_no_go(in.head->regions[static_cast<int>(v)]))
        no_go.push_back(static_cast<int>(v));
    }
    const detail::VertexGrid no_go_grid(mesh.vertices, no_go, std::max(margin, 1e-3));
    const std::vector<double> areas = geometry::vertex_areas(mesh);
    std::map<anatomy::Region, std::pair<double, double>> area;  // touched, workable
    for (std::size_t v = 0; v < mesh.vertices.size(); ++v) {
      const anatomy::Region region = in.head->regions[static_cast<int>(v)];
      if (!anatomy::is_massage_region(region)) continue;
      if (!no_go.empty() && no_go_grid.nearest(mesh.vertices[v], margin) >= 0) continue;
      auto& a = area[region];
      a.second += areas[v];
      if ((*dwell)[v] > 0) a.first += areas[v];
    }
    for (auto& [region, l] : lines) {
      const auto it = area.find(region);
      if (it != area.end() && it->second.second > 0) {
        l.delivered_coverage = it->second.first / it->second.second;
      }
    }
  }
  for (auto& [region, l] : lines) out.regions.push_back(l);
}

}  // namespace

std::string_view outcome_name(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kRefused:
      return "refused";
    case Outcome::kPlanRejected:
      return "plan_rejected";
    case Outcome::kFinished:
      return "finished";
    case Outcome::kAborted:
      return "aborted";
    case Outcome::kUnsafe:
      return "unsafe";
  }
  return "refused";
}

bool session_met_safety(const sim::SessionMetrics& m) noexcept {
  return m.safe_end && m.longest_over_cap_10pct_s <= 0.010 &&
         (m.estop_to_retracted_s < 0 || m.estop_to_retracted_s <= 0.100);
}

Rgb coverage_colour(double dwell_s, double max_dwell_s) noexcept {
  if (dwell_s <= 0) return {226, 214, 200};  // skin, untouched
  // Light green to deep blue with contact time (log scale from 0.05 s to the longest dwell).
  const double top = std::max(max_dwell_s, 0.1);
  const double f = std::clamp(std::log(dwell_s / 0.05) / std::log(top / 0.05), 0.0, 1.0);
  static constexpr std::array<Rgb, 4> kStops{Rgb{199, 233, 180}, Rgb{65, 182, 196},
                                             Rgb{34, 94, 168}, Rgb{8, 29, 88}};
  const double x = f * (kStops.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), kStops.size() - 2);
  const double u = x - static_cast<double>(i);
  Rgb out{};
  for (std::size_t c = 0; c < 3; ++c) {
    out[c] = static_cast<std::uint8_t>(std::lround((1 - u) * kStops[i][c] + u * kStops[i + 1][c]));
  }
  return out;
}

std::vector<double> vertex_dwell_s(const geometry::TriangleMesh& mesh,
                                   const std::vector<Eigen::Vector3d>& contact_points_m,
                                   double dt_s, double radius_m) {
  if (!(radius_m > 0) || !(dt_s > 0)) {
    throw InputError(InputLocation{"", 0, 0, "radius_m"}, "a positive radius and step expected");
  }
  std::vector<double> dwell(mesh.vertices.size(), 0.0);
  const detail::VertexGrid grid(mesh.vertices, {}, radius_m);
  for (const auto& p : contact_points_m) {
    grid.within(p, radius_m, [&](int v, double) { dwell[static_cast<std::size_t>(v)] += dt_s; });
  }
  return dwell;
}

SessionReport make_report(const ReportInputs& in) {
  if (!in.intake || !in.screening || !in.home_care) {
    throw InputError(InputLocation{"", 0, 0, "ReportInputs"},
                     "the intake, the screening result and the at-home routine are required");
  }
  SessionReport out;
  out.client = in.intake->client;
  out.intake_file = in.intake_file;
  out.decision = std::string(care::to_string(in.screening->decision));
  out.decision_reasons = in.screening->reasons();
  out.home_care = *in.home_care;
  out.records = in.records;
  out.head_source = in.head_source;
  if (in.personalised) {
    out.protocol_id = in.personalised->protocol_id;
    out.protocol_title = in.personalised->title;
    out.steps = step_lines(*in.personalised);
    out.planned_duration_s = in.personalised->total_duration_s();
  }
  out.modifications = modifications(in);
  out.plan_rejection = in.plan_rejection;
  if (in.rejected_validation && !in.plan) out.checks = in.rejected_validation->checks;
  if (in.plan) {
    out.plan_made = true;
    out.checks = in.plan->validation.checks;
    out.planned_duration_s = in.plan->duration_s;
  }

  // What happened.
  if (in.screening->decision == care::Decision::kRefused) {
    out.outcome = Outcome::kRefused;
  } else if (!in.plan) {
    out.outcome = Outcome::kPlanRejected;
  } else if (!in.session) {
    throw InputError(InputLocation{"", 0, 0, "ReportInputs.session"},
                     "a plan was made but no session result was given");
  } else if (!session_met_safety(in.session->metrics)) {
    out.outcome = Outcome::kUnsafe;
  } else if (in.session->metrics.outcome == control::RunnerState::kFinished) {
    out.outcome = Outcome::kFinished;
  } else {
    out.outcome = Outcome::kAborted;
  }

  std::vector<double> dwell;
  fill_regions(in, out, &dwell);

  if (in.session) {
    const auto& r = *in.session;
    out.session_ran = true;
    out.metrics = r.metrics;
    out.session_outcome = std::string(control::runner_state_name(r.metrics.outcome));
    out.abort_cause = r.metrics.abort_cause;
    out.force = force_series(r);
    for (const auto& e : r.events) {
      if (e.kind == control::EventKind::kSegmentStarted) continue;
      if (out.events.size() >= kMaxEvents) break;
      std::string kind(control::event_kind_name(e.kind));
      if (e.pad >= 0) kind += e.pad == 0 ? " (left pad)" : " (right pad)";
      out.events.push_back({e.t_s, kind, event_detail(e, in.plan)});
    }
  }

  // Pictures of the head: delivered contact time per spot, no-go zones dark.
  if (in.head) {
    const auto& mesh = in.head->mesh;
    if (dwell.empty()) dwell.assign(mesh.vertices.size(), 0.0);
    out.max_dwell_s = dwell.empty() ? 0.0 : *std::max_element(dwell.begin(), dwell.end());
    std::vector<Rgb> colours(mesh.vertices.size());
    for (std::size_t v = 0; v < colours.size(); ++v) {
      const anatomy::Region region = in.head->regions[static_cast<int>(v)];
      if (anatomy::is_no_go(region)) {
        colours[v] = {120, 40, 40};
      } else if (!anatomy::is_massage_region(region)) {
        colours[v] = {170, 170, 170};
      } else {
        colours[v] = coverage_colour(dwell[v], out.max_dwell_s);
      }
    }
    for (View view : {View::kFront, View::kLeft, View::kBack, View::kRight, View::kTop}) {
      out.head_pictures.emplace_back(std::string(view_name(view)),
                                     png_data_uri(render_head(mesh, colours, view)));
    }
  }

  // Scalp photographs: the photo and the analyser's overlay, reduced for the page.
  if (in.scalp) {
    out.scalp_analysed = true;
    out.scalp = *in.scalp;
    for (const auto& pic : in.scalp_pictures) {
      const auto to_rgb = [](const scalp::Image& img) {
        RgbImage rgb;
        rgb.width = img.width;
        rgb.height = img.height;
        const int ch = scalp::channel_count(img.order);
        rgb.pixels.resize(static_cast<std::size_t>(img.width) *
                          static_cast<std::size_t>(img.height) * 3);
        for (std::size_t i = 0;
             i < static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height); ++i) {
          const std::uint8_t* p = img.pixels.data() + i * static_cast<std::size_t>(ch);
          const bool bgr =
              img.order == scalp::PixelOrder::kBgr || img.order == scalp::PixelOrder::kBgra;
          for (std::size_t c = 0; c < 3; ++c) {
            rgb.pixels[3 * i + c] = ch == 1 ? p[0] : p[bgr ? 2 - c : c];
          }
        }
        return png_data_uri(downscale(rgb, 320));
      };
      out.scalp_pictures.emplace_back(to_rgb(pic.photo), to_rgb(pic.overlay));
    }
  }

  // One sentence.
  char buf[512];
  switch (out.outcome) {
    case Outcome::kRefused: {
      std::string why;
      for (const auto& m : in.screening->matched) {
        if (m.effect == care::Effect::kRefuse) why += (why.empty() ? "" : " ") + m.reason;
      }
      out.summary = "Refused before any contact. " + why;
      break;
    }
    case Outcome::kPlanRejected: {
      std::string failed;
      for (const auto& c : out.checks) {
        if (!c.passed) failed += (failed.empty() ? "" : ", ") + c.check;
      }
      out.summary = "No session: the planner rejected the plan" +
                    (failed.empty() ? std::string() : " (failed checks: " + failed + ")") +
                    ", so nothing touched the client." +
                    (failed.empty() && !in.plan_rejection.empty() ? " " + in.plan_rejection.front()
                                                                  : std::string());
      break;
    }
    case Outcome::kFinished:
    case Outcome::kAborted:
    case Outcome::kUnsafe: {
      const auto& m = in.session->metrics;
      std::snprintf(buf, sizeof buf,
                    "%s on the twin after %.1f min: planned contact delivered %.0f%%, peak "
                    "force %.1f N, at most %.2f N above a cap%s%s.",
                    out.outcome == Outcome::kFinished  ? "Finished"
                    : out.outcome == Outcome::kAborted ? "Stopped early and safely"
                                                       : "A safety requirement was missed",
                    m.simulated_s / 60.0, 100.0 * m.coverage_achieved, m.max_force_n,
                    m.max_force_over_cap_n,
                    m.abort_cause.empty() ? "" : "; cause: ", m.abort_cause.c_str());
      out.summary = buf;
      break;
    }
  }
  return out;
}

}  // namespace headspa::report
