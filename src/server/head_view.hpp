// What the web page draws: the head (mesh, regions, no-go zones, pressure points) and a plan's
// playback (contact positions and forces over time, and per-vertex contact time for the coverage
// heat map), as JSON.
#pragma once

#include <string>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/plan/session_plan.hpp"

namespace headspa::server {

// format headspa/head-view@1: positions (metres, head frame, flat xyz), faces (flat vertex
// indices), region index per vertex, the region table and the pressure points.
std::string head_view_json(const anatomy::Head& head);

// Seconds a pad (of radius pad_radius_m) rests on each vertex over the plan. Unit: [s]
std::vector<double> vertex_contact_time(const plan::SessionPlan& plan, const anatomy::Head& head,
                                        double pad_radius_m = 0.0075);

// format headspa/playback@1: segments, frames at rate_hz (each contact's position, force and
// phase, or null while parked), region summaries and per-vertex contact time.
std::string playback_json(const plan::SessionPlan& plan, const anatomy::Head& head, double rate_hz);

}  // namespace headspa::server
