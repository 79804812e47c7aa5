// plan.json (format headspa/plan@1, docs/schemas/plan.schema.json) and samples CSV.
//
// The JSON is written with fixed formatting, so the same plan gives the same bytes. Samples are
// stored per contact as columns (t_s, position, normal, velocity, force, region, phase, segment).
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "headspa/plan/session_plan.hpp"

namespace headspa::plan {

void write_plan_json(const SessionPlan& plan, std::ostream& out);
std::string plan_to_json(const SessionPlan& plan);

// Reads a plan; InputError naming the file and field for anything malformed.
SessionPlan parse_plan_json(std::string_view text, std::string_view file_name);
SessionPlan read_plan_json_file(const std::string& path);

// One row per sample: contact,t_s,x_m,y_m,z_m,nx,ny,nz,vx,vy,vz,force_n,region,phase,segment.
void write_samples_csv(const SessionPlan& plan, std::ostream& out);

}  // namespace headspa::plan
