// Plan validation: the checks a plan must pass before it is written or executed.
//
// Checks (limits in PlanLimits):
//   no_go       no contact sample within no_go_margin_m of a no-go zone
//   force_cap   every target force <= the cap of the region under the pad, and <= the absolute
//   limit speed       every sample's speed (from positions) <= max_speed_m_per_s acceleration, jerk
//   finite differences of positions within their bounds surface     contact samples within
//   surface_tolerance_m of the skin; air samples outside it continuity  no gap in time or jump in
//   position between consecutive samples separation  the two contacts never closer than
//   min_contact_separation_m coverage    every targeted region covered to at least min_coverage
#pragma once

#include "headspa/plan/planner.hpp"
#include "headspa/plan/session_plan.hpp"

namespace headspa::plan {

// Runs every check. Never throws for a bad plan: the report says what failed and where.
ValidationReport validate_plan(const SessionPlan& plan, const PlanningSurface& surface);

}  // namespace headspa::plan
