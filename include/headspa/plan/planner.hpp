// The planner: a personalised protocol and a head in, a validated SessionPlan out.
//
//   const anatomy::Head head = anatomy::built_in_head({});
//   const plan::PlanningSurface surface(head);          // per head: queries, no-go distances
//   plan::PlanInputs inputs{.protocol = &personalised, .intake = &intake, .seed = 7};
//   const plan::SessionPlan p = plan::make_plan(surface, inputs);  // throws PlanRejected
//
// Techniques are laid out in the skin's local frame (the log map around each working spot, see
// geometry/log_map.hpp); strokes follow direction fields on the surface; travel between spots
// lifts clear of the skin. The plan is validated before it is returned (validate.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/care/intake.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/plan/session_plan.hpp"

namespace headspa::plan {

// Tuning of the planner, with in-class defaults.
struct PlanOptions {
  double sample_rate_hz = 100.0;
  double pad_radius_m = 0.0075;        // a finger pad 1.5 cm wide
  double touch_force_n = 0.3;          // light contact while sliding between spots
  double force_ramp_s = 0.6;           // force ramps in and out at each spot
  double lift_height_m = 0.02;         // clearance while travelling
  double travel_speed_m_per_s = 0.18;  // peak speed in the air
  double slide_speed_m_per_s = 0.08;   // peak speed sliding between spots on the skin
  double planning_margin_m = 0.003;    // kept beyond the no-go margin when placing spots
  double tense_dwell_factor = 2.0;     // extra time on regions the intake names as tense
  PlanLimits limits;

  bool IsValid(std::string* why) const;
};

// Everything the planner needs to know about one head, computed once.
class PlanningSurface {
 public:
  // Keeps a reference to the head: it must outlive the surface (a temporary will not do).
  explicit PlanningSurface(const anatomy::Head& head);
  explicit PlanningSurface(const anatomy::Head&& head) = delete;
  ~PlanningSurface();
  PlanningSurface(PlanningSurface&&) noexcept;
  PlanningSurface& operator=(PlanningSurface&&) noexcept;
  PlanningSurface(const PlanningSurface&) = delete;
  PlanningSurface& operator=(const PlanningSurface&) = delete;

  // The head as given. A scan coarser than 3.5 mm (mean edge) is planned on a copy with each
  // triangle split in four at its edges' midpoints: the same surface; the head's vertices keep
  // their indices, so vertex numbers of the head mean the same here.
  const anatomy::Head& head() const noexcept;
  // Distance from vertex v to the nearest no-go zone (capped at a few centimetres). Unit: [m]
  double no_go_distance(int vertex) const;
  // The same for any point, and the nearest no-go zone's region.
  double no_go_distance(const Eigen::Vector3d& p, anatomy::Region* zone = nullptr) const;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct PlanInputs {
  const care::PersonalisedProtocol* protocol = nullptr;  // required, not refused
  const care::Intake* intake = nullptr;                  // optional: tense areas
  InputHashes hashes;                                    // copied into the plan
  std::uint64_t seed = 0;
};

// Thrown when the plan cannot be made or fails validation; carries the report.
class PlanRejected : public std::runtime_error {
 public:
  PlanRejected(const std::string& what, ValidationReport report)
      : std::runtime_error(what), report_(std::move(report)) {}
  const ValidationReport& report() const noexcept { return report_; }

 private:
  ValidationReport report_;
};

// The head plans are made on: for a scan coarser than 3.5 mm (mean edge), a copy with each
// triangle split in four at its edges' midpoints, a new vertex between two labels taking the
// more careful one (see PlanningSurface::head()); null when the head is planned as given. The
// twin's safety map is built from it too, so the monitor reads the caps the planner planned to.
std::unique_ptr<anatomy::Head> planning_head(const anatomy::Head& head);

// Plans every step. Throws InputError for a refused or empty protocol, PlanRejected when the
// result fails validation.
SessionPlan make_plan(const PlanningSurface& surface, const PlanInputs& inputs,
                      const PlanOptions& options = {});

// The same without validation (for tests that inject violations and for diagnosis).
SessionPlan make_plan_unvalidated(const PlanningSurface& surface, const PlanInputs& inputs,
                                  const PlanOptions& options = {});

// The spots a circle step `spacing_m` apart would work over `regions` (left side's lanes back and
// forth, then the right side's, each with its fill of the gaps), in order: the coverage path
// without time, force or samples. For benchmarks and inspection.
std::vector<Eigen::Vector3d> coverage_path(
    const PlanningSurface& surface, const std::vector<anatomy::Region>& regions, double spacing_m,
    care::Direction direction = care::Direction::kFrontToBack);

}  // namespace headspa::plan
